//! DNS A/AAAA records, TLS server names (SNI) and MUD URLs (DHCPv4 option 161, DHCPv6 option 112,
//! LLDP) decoded from every corpus capture agree with tshark's fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use warden_capture::open_path;
use warden_wire::{decode, dhcp, dns, lldp, tls, Net, Transport};

/// frame number -> sorted values, from tshark.
fn captures() -> Vec<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    assert!(
        base.is_dir(),
        "the shared corpus is missing at {}",
        base.display()
    );
    warden_capture::captures_in(&base).unwrap()
}

fn tshark(p: &Path, fields: &[&str], filter: &str) -> BTreeMap<u64, Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(p).args([
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "aggregator=,",
        "-e",
        "frame.number",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().expect("tshark");
    let mut out = BTreeMap::new();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let mut it = l.split('\t');
        let n: u64 = it.next().unwrap().parse().unwrap();
        let mut v: Vec<String> = it
            .flat_map(|x| x.split(','))
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect();
        v.sort();
        if !v.is_empty() {
            out.insert(n, v);
        }
    }
    out
}

const DNS_PORTS: [u16; 3] = [53, 5353, 5355];

type Fields = BTreeMap<u64, Vec<String>>;

/// frame number -> (DNS addresses, MUD URLs, TLS server names), from warden.
fn warden(p: &Path) -> (Fields, Fields, Fields) {
    let mut src = open_path(p).unwrap();
    let (mut dnsmap, mut mud, mut sni) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut n = 0u64;
    while let Ok(Some(pkt)) = src.next_packet() {
        n += 1;
        let d = decode(pkt.link, pkt.data);
        let mut addrs = Vec::new();
        let mut urls = Vec::new();
        match d.net {
            Net::Ip(ip) => match ip.transport {
                Transport::Udp(u) => {
                    if DNS_PORTS.contains(&u.src_port) || DNS_PORTS.contains(&u.dst_port) {
                        if let Ok(m) = dns::parse(u.payload) {
                            addrs
                                .extend(m.resolutions().into_iter().map(|r| r.address.to_string()));
                        }
                    }
                    if matches!((u.src_port, u.dst_port), (67 | 68, 67 | 68)) {
                        if let Some(x) = dhcp::parse_v4(u.payload).and_then(|x| x.mud_url) {
                            urls.push(x);
                        }
                    }
                    if matches!((u.src_port, u.dst_port), (546 | 547, 546 | 547)) {
                        urls.extend(dhcp::v6_mud_urls(u.payload));
                    }
                }
                Transport::Tcp(t) if t.src_port == 53 || t.dst_port == 53 => {
                    if let Some(msg) = t.payload.get(2..) {
                        if let Ok(m) = dns::parse(msg) {
                            addrs
                                .extend(m.resolutions().into_iter().map(|r| r.address.to_string()));
                        }
                    }
                }
                Transport::Tcp(t) => {
                    if let Some(name) = tls::client_hello(t.payload).and_then(|c| c.server_name) {
                        sni.insert(n, vec![name]);
                    }
                }
                _ => {}
            },
            Net::Lldp(b) => urls.extend(lldp::parse(b).mud_url),
            _ => {}
        }
        addrs.sort();
        urls.sort();
        if !addrs.is_empty() {
            dnsmap.insert(n, addrs);
        }
        if !urls.is_empty() {
            mud.insert(n, urls);
        }
    }
    (dnsmap, mud, sni)
}

#[test]
fn dns_addresses_mud_urls_and_tls_names_agree_with_tshark() {
    let files = captures();
    // Two workers: tshark is single-threaded and the machine has two cores.
    let results: Vec<(Vec<String>, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().map(|f| compare(f)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let failures: Vec<String> = results.iter().flat_map(|r| r.0.clone()).collect();
    let frames_dns: usize = results.iter().map(|r| r.1).sum();
    let frames_mud: usize = results.iter().map(|r| r.2).sum();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        frames_mud >= 8,
        "the tcpdump captures hold 8 frames with MUD URLs (1 DHCPv4, 5 DHCPv6, 2 LLDP)"
    );
    eprintln!(
        "{frames_dns} frames with DNS addresses and {frames_mud} with MUD URLs agree with tshark"
    );
}

fn compare(f: &Path) -> (Vec<String>, usize, usize) {
    let mut failures = Vec::new();
    let (mut frames_dns, mut frames_mud) = (0, 0);
    {
        let (wd, wm, mut ws) = warden(f);
        // tshark does not dissect the payload of a TCP retransmission;
        // warden reads the (identical) ClientHello in it again.
        let retrans = tshark(
            f,
            &["tcp.stream"],
            "tcp.analysis.retransmission || tcp.analysis.spurious_retransmission",
        );
        ws.retain(|n, _| !retrans.contains_key(n));
        // tshark reassembles a ClientHello split over TCP segments; warden
        // reads the first segment only. Compared: hellos that fit one segment.
        let ts = tshark(
            f,
            &["tls.handshake.extensions_server_name"],
            "tls.handshake.type == 1 && !tcp.segments",
        );
        // Records quoted inside ICMP errors are not answers anyone received.
        let td = tshark(
            f,
            &["dns.a", "dns.aaaa"],
            "(dns.a || dns.aaaa) && !icmp && !icmpv6",
        );
        let tm = tshark(
            f,
            &["dhcp.option.mudurl", "dhcpv6.mudurl", "lldp.iana.mudurl"],
            "dhcp.option.mudurl || dhcpv6.mudurl || lldp.iana.mudurl",
        );
        for (name, w, t) in [
            ("DNS", &wd, &td),
            ("MUD URL", &wm, &tm),
            ("TLS SNI", &ws, &ts),
        ] {
            if w != t {
                let only_w: Vec<_> = w
                    .iter()
                    .filter(|(k, v)| t.get(k) != Some(v))
                    .take(3)
                    .collect();
                let only_t: Vec<_> = t
                    .iter()
                    .filter(|(k, v)| w.get(k) != Some(v))
                    .take(3)
                    .collect();
                failures.push(format!(
                    "{} {name}: warden {only_w:?} / tshark {only_t:?}",
                    f.display()
                ));
            }
        }
        frames_dns += td.len();
        frames_mud += tm.len();
    }
    (failures, frames_dns, frames_mud)
}
