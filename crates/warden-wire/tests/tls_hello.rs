//! The whole TLS ClientHello, checked against two independent readers:
//! every parameter warden decodes from every corpus capture agrees with
//! tshark's fields, and the JA4 fingerprints agree with the ones nDPI
//! publishes for the same captures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use warden_capture::open_path;
use warden_wire::tls::{self, ClientHello};
use warden_wire::{decode, Net, Transport};

fn corpus() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    assert!(
        base.is_dir(),
        "the shared corpus is missing at {}",
        base.display()
    );
    base
}

/// frame number -> (client port, hello), for every TCP segment that starts
/// with a ClientHello.
fn hellos(p: &Path) -> BTreeMap<u64, (u16, ClientHello)> {
    let mut src = open_path(p).unwrap();
    let mut out = BTreeMap::new();
    let mut n = 0u64;
    while let Ok(Some(pkt)) = src.next_packet() {
        n += 1;
        let d = decode(pkt.link, pkt.data);
        if let Net::Ip(ip) = d.net {
            if let Transport::Tcp(t) = ip.transport {
                if let Some(h) = tls::client_hello(t.payload) {
                    out.insert(n, (t.src_port, h));
                }
            }
        }
    }
    out
}

fn hex16(s: &str) -> u16 {
    u16::from_str_radix(s.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("tshark printed `{s}`"))
}

fn no_grease(v: &[u16]) -> Vec<u16> {
    v.iter().copied().filter(|x| !tls::is_grease(*x)).collect()
}

/// What tshark reads from the ClientHellos of one capture, by frame.
fn tshark(p: &Path) -> BTreeMap<u64, Vec<String>> {
    let fields = [
        "frame.number",
        "tls.handshake.ciphersuite",
        "tls.handshake.extension.type",
        "tls.handshake.extensions_supported_group",
        "tls.handshake.extensions.supported_version",
        "tls.handshake.extensions_alpn_str",
        "tls.handshake.extensions_server_name",
    ];
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(p).args([
        "-Y",
        "tls.handshake.type == 1",
        "-T",
        "fields",
        "-E",
        "aggregator=;",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark");
    let mut out = BTreeMap::new();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let cols: Vec<String> = l.split('\t').map(str::to_string).collect();
        if let Ok(n) = cols[0].parse::<u64>() {
            out.insert(n, cols);
        }
    }
    out
}

fn list(col: &str) -> Vec<&str> {
    col.split(';').filter(|x| !x.is_empty()).collect()
}

#[test]
fn every_client_hello_parameter_agrees_with_tshark() {
    let files = warden_capture::captures_in(&corpus()).unwrap();
    let mut compared = 0;
    let mut truncated = 0;
    let mut retransmitted = 0;
    let mut failures = Vec::new();
    for f in &files {
        let ours = hellos(f);
        if ours.is_empty() {
            continue;
        }
        let theirs = tshark(f);
        let mut seen: Vec<(u16, &ClientHello)> = Vec::new();
        for (n, (port, h)) in &ours {
            if h.truncated {
                // Continued in the next segment: tshark reassembles it
                // and reports it at a later frame.
                truncated += 1;
                continue;
            }
            let name = format!("{}#{n}", f.display());
            let Some(cols) = theirs.get(n) else {
                // tshark does not dissect a retransmitted segment again.
                if seen.contains(&(*port, h)) {
                    retransmitted += 1;
                    continue;
                }
                failures.push(format!("{name}: tshark sees no ClientHello"));
                continue;
            };
            let ciphers: Vec<u16> = list(&cols[1]).into_iter().map(hex16).collect();
            let exts: Vec<u16> = list(&cols[2])
                .into_iter()
                .map(|s| s.parse().unwrap())
                .collect();
            let groups: Vec<u16> = list(&cols[3]).into_iter().map(hex16).collect();
            let versions: Vec<u16> = list(&cols[4]).into_iter().map(hex16).collect();
            let alpn: Vec<String> = list(&cols[5]).into_iter().map(str::to_string).collect();
            let sni = list(&cols[6]).first().map(|s| s.to_ascii_lowercase());
            let ours_alpn: Vec<String> = h
                .alpn
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            for (what, a, b) in [
                ("cipher suites", h.cipher_suites.clone(), ciphers),
                ("extensions", h.extensions.clone(), exts),
                ("groups", h.groups.clone(), groups),
                ("versions", h.versions.clone(), versions),
            ] {
                if a != b {
                    failures.push(format!("{name}: {what}: warden {a:04x?}, tshark {b:04x?}"));
                }
            }
            if ours_alpn != alpn && !alpn.iter().any(|a| a.contains('\u{fffd}')) {
                failures.push(format!(
                    "{name}: alpn: warden {ours_alpn:?}, tshark {alpn:?}"
                ));
            }
            if h.server_name != sni {
                failures.push(format!(
                    "{name}: sni: warden {:?}, tshark {sni:?}",
                    h.server_name
                ));
            }
            compared += 1;
            seen.push((*port, h));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        compared >= 300,
        "the corpus holds hundreds of ClientHellos; compared {compared}"
    );
    eprintln!(
        "{compared} ClientHellos agree with tshark; {truncated} continued in a later segment, \
         {retransmitted} retransmitted"
    );
}

/// JA4 of each client port's first hello in a capture.
fn ja4_by_port(p: &Path) -> BTreeMap<u16, String> {
    let mut out = BTreeMap::new();
    for (_, (port, h)) in hellos(p) {
        out.entry(port).or_insert_with(|| h.ja4());
    }
    out
}

#[test]
fn ja4_agrees_with_the_fingerprints_ndpi_publishes() {
    // nDPI's expected results for these corpus captures
    // (github.com/ntop/nDPI, tests/cfgs/default/result/iphone.pcap.out at
    // 0180c1f04aac and sonos.pcapng.out at 0cc84e4fdd30), by client port.
    let safari = "t13d2613h2_2802a3db6c62_845d286b0d67";
    let safari_ticket = "t13d2614h2_2802a3db6c62_0e42e90cf648";
    let mut want: Vec<(&str, u16, &str)> = [
        50581, 50575, 50580, 50587, 50588, 50584, 50586, 50583, 50579, 50578, 50582,
    ]
    .into_iter()
    .map(|p| ("ndpi/iphone.pcap", p, safari))
    .collect();
    want.push(("ndpi/iphone.pcap", 50576, safari_ticket));
    want.push(("ndpi/iphone.pcap", 50577, safari_ticket));
    // nDPI printed `ht` here, the first two characters of `http/1.1`; the
    // JA4 specification takes the first and last (`h1`), and nDPI fixed
    // this after that result file (ntop/nDPI#2914, #2915).
    want.push((
        "ndpi/iphone.pcap",
        50585,
        "t13d2613h1_2802a3db6c62_845d286b0d67",
    ));
    // The Sonos controller puts an IP literal (192.168.1.70) in its SNI
    // extension. nDPI prints `i` for it; the JA4 specification and FoxIO's
    // own implementation key on the extension being there: `d`. The two
    // hashes agree.
    want.push((
        "ndpi/sonos.pcapng",
        52425,
        "t12d130700_88f5d26691c7_cdbdbcd6f742",
    ));
    let mut cache: BTreeMap<&str, BTreeMap<u16, String>> = BTreeMap::new();
    for (file, port, ja4) in want {
        let got = cache
            .entry(file)
            .or_insert_with(|| ja4_by_port(&corpus().join(file)));
        assert_eq!(
            got.get(&port).map(String::as_str),
            Some(ja4),
            "{file}, client port {port}"
        );
    }
}

#[test]
fn grease_is_left_out_of_the_fingerprint() {
    let h = ClientHello {
        legacy_version: tls::version::TLS12,
        cipher_suites: vec![0x1301],
        extensions: vec![tls::ext::SUPPORTED_VERSIONS],
        versions: vec![tls::version::TLS13],
        ..Default::default()
    };
    let mut g = h.clone();
    g.cipher_suites.insert(0, 0x3a3a);
    g.extensions.insert(0, 0x4a4a);
    g.versions.insert(0, 0x5a5a);
    assert_eq!(h.ja4(), g.ja4());
    assert_eq!(no_grease(&g.cipher_suites), h.cipher_suites);
}
