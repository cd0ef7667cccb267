//! Truncated and bit-flipped versions of every corpus capture go through the
//! whole traffic engine (reader, decoders, DNS/DHCP/LLDP, flow table)
//! without a panic. Deterministic: the mutations come from a fixed seed.

use std::path::PathBuf;
use warden_capture::open_reader;
use warden_flow::{FlowTable, Limits};
use warden_wire::{decode, dhcp, dns, lldp, Net, Transport};

fn run(bytes: Vec<u8>) -> u64 {
    let Ok(mut src) = open_reader(std::io::Cursor::new(bytes)) else {
        return 0;
    };
    let mut t = FlowTable::new(Limits {
        max_flows: 64,
        ..Limits::default()
    });
    let mut n = 0;
    while let Ok(Some(p)) = src.next_packet() {
        n += 1;
        let d = decode(p.link, p.data);
        match d.net {
            Net::Ip(ip) => {
                if let Transport::Udp(u) = ip.transport {
                    let _ = dns::parse(u.payload).map(|m| m.resolutions());
                    let _ = dhcp::parse_v4(u.payload);
                    let _ = dhcp::v6_mud_urls(u.payload);
                }
            }
            Net::Lldp(b) => {
                let _ = lldp::parse(b);
            }
            _ => {}
        }
        t.observe(p.ts_nanos, &d, p.orig_len);
    }
    assert!(t.active().count() <= 64, "the table cap holds");
    n
}

#[test]
fn mangled_corpus_captures_never_panic() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    let files = warden_capture::captures_in(&base).unwrap();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut variants = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        // Truncations at eight places, including inside headers.
        for k in 1..8 {
            run(bytes[..bytes.len() * k / 8].to_vec());
            variants += 1;
        }
        // Bit flips: few and many, the many concentrated in the first KiB
        // where the headers are.
        for flips in [1usize, 8, 64] {
            let mut b = bytes.clone();
            for _ in 0..flips {
                let span = if flips == 64 {
                    b.len().min(1024)
                } else {
                    b.len()
                };
                let i = (next() as usize) % span;
                b[i] ^= 1 << (next() % 8);
            }
            run(b);
            variants += 1;
        }
    }
    assert!(variants >= 600, "{variants}");
}
