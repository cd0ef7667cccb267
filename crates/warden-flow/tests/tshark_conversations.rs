//! TCP and UDP conversations of every corpus capture agree with tshark's
//! `-z conv,tcp` and `-z conv,udp`: the same number of conversations, and for
//! each the same frames and bytes in each direction (bytes compared as tshark
//! prints them: exact below 10 000, then truncated to kB/MB/GB).
//!
//! Deliberate differences, each checked rather than skipped:
//! * tshark runs with `ip.defragment:FALSE`, because warden does not
//!   reassemble IP fragments (the first fragment carries the ports and
//!   counts; later ones belong to no transport conversation).
//! * [`SPLIT_BY_TSHARK`]: UDP 5-tuples that Wireshark splits into several
//!   conversations after ICMP errors quoting them perturb its conversation
//!   table. warden keeps one conversation; the test checks that tshark's
//!   pieces add up to it exactly.

use std::path::{Path, PathBuf};
use std::process::Command;
use warden_capture::open_path;
use warden_flow::{Endpoint, FlowTable, Limits};
use warden_wire::decode;

/// Wireshark's format_size with SI prefixes, as conv tables print bytes.
fn size(v: u64) -> String {
    if v / 1_000_000_000_000 >= 10 {
        format!("{} TB", v / 1_000_000_000_000)
    } else if v / 1_000_000_000 >= 10 {
        format!("{} GB", v / 1_000_000_000)
    } else if v / 1_000_000 >= 10 {
        format!("{} MB", v / 1_000_000)
    } else if v / 1000 >= 10 {
        format!("{} kB", v / 1000)
    } else {
        format!("{v} bytes")
    }
}

/// (protocol, lower endpoint, higher endpoint, frames lo→hi, bytes lo→hi, frames hi→lo, bytes hi→lo)
type Conv = (u8, String, String, u64, String, u64, String);

fn endpoint(s: &str) -> Endpoint {
    let (ip, port) = s.rsplit_once(':').unwrap();
    Endpoint {
        ip: ip.parse().unwrap(),
        port: port.parse().unwrap(),
    }
}

fn captures() -> Vec<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    assert!(
        base.is_dir(),
        "the shared corpus is missing at {}",
        base.display()
    );
    warden_capture::captures_in(&base).unwrap()
}

fn tshark(p: &Path, proto: &str, number: u8) -> Vec<Conv> {
    let o = Command::new("tshark")
        .args([
            "-n",
            "-q",
            "-o",
            "ip.defragment:FALSE",
            "-z",
            &format!("conv,{proto}"),
            "-r",
        ])
        .arg(p)
        .output()
        .unwrap();
    let mut out = Vec::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let Some((a, rest)) = line.split_once("<->") else {
            continue;
        };
        let t: Vec<&str> = rest.split_whitespace().collect();
        let (a, b) = (endpoint(a.trim()), endpoint(t[0]));
        // "<-" is B→A, "->" is A→B.
        let (ba_f, ba_b) = (t[1].parse().unwrap(), format!("{} {}", t[2], t[3]));
        let (ab_f, ab_b) = (t[4].parse().unwrap(), format!("{} {}", t[5], t[6]));
        out.push(if a <= b {
            (number, a.to_string(), b.to_string(), ab_f, ab_b, ba_f, ba_b)
        } else {
            (number, b.to_string(), a.to_string(), ba_f, ba_b, ab_f, ab_b)
        });
    }
    out.sort();
    out
}

fn warden(p: &Path) -> Vec<Conv> {
    // No timeouts: tshark never ends a conversation by time.
    let mut t = FlowTable::new(Limits {
        max_flows: usize::MAX,
        idle_ns: i64::MAX,
        active_ns: i64::MAX,
        unanswered_idle_ns: i64::MAX,
    });
    let mut src = open_path(p).unwrap();
    while let Ok(Some(pkt)) = src.next_packet() {
        t.observe(pkt.ts_nanos, &decode(pkt.link, pkt.data), pkt.orig_len);
    }
    let mut out: Vec<Conv> = t
        .into_flows()
        .into_iter()
        .map(|f| {
            let (i, r) = if f.initiator == f.key.lo {
                (0, 1)
            } else {
                (1, 0)
            };
            (
                f.key.protocol,
                f.key.lo.to_string(),
                f.key.hi.to_string(),
                f.packets[i],
                size(f.bytes[i]),
                f.packets[r],
                size(f.bytes[r]),
            )
        })
        .collect();
    out.sort();
    out
}

/// (file name, lower endpoint, higher endpoint) of the listed splits.
const SPLIT_BY_TSHARK: &[(&str, &str, &str)] = &[(
    "amp.UDP.snmp.src161.pcapng",
    "10.10.10.10:12294",
    "89.21.89.6:161",
)];

/// Joins tshark's pieces of a listed split; bytes must be exact to add up.
fn merge_splits(f: &Path, t: Vec<Conv>) -> Vec<Conv> {
    let name = f.file_name().unwrap().to_string_lossy().to_string();
    let mut out: Vec<Conv> = Vec::new();
    for c in t {
        let listed = SPLIT_BY_TSHARK
            .iter()
            .any(|(n, lo, hi)| *n == name && c.1 == *lo && c.2 == *hi);
        match out
            .iter_mut()
            .find(|o| listed && o.0 == c.0 && o.1 == c.1 && o.2 == c.2)
        {
            Some(o) => {
                let add = |a: &str, b: &str| -> String {
                    let n = |s: &str| {
                        s.strip_suffix(" bytes")
                            .expect("exact bytes in a split")
                            .parse::<u64>()
                            .unwrap()
                    };
                    size(n(a) + n(b))
                };
                o.3 += c.3;
                o.4 = add(&o.4, &c.4);
                o.5 += c.5;
                o.6 = add(&o.6, &c.6);
            }
            None => out.push(c),
        }
    }
    out
}

fn compare(f: &Path) -> (Vec<String>, usize) {
    let mut w = warden(f);
    let mut t = tshark(f, "tcp", 6);
    t.extend(tshark(f, "udp", 17));
    let mut t = merge_splits(f, t);
    t.sort();
    w.sort();
    if w == t {
        return (vec![], t.len());
    }
    let only_w: Vec<&Conv> = w.iter().filter(|c| !t.contains(c)).take(4).collect();
    let only_t: Vec<&Conv> = t.iter().filter(|c| !w.contains(c)).take(4).collect();
    (
        vec![format!(
            "{}: {} vs {} conversations\n  warden only {only_w:?}\n  tshark only {only_t:?}",
            f.display(),
            w.len(),
            t.len()
        )],
        t.len(),
    )
}

#[test]
fn tcp_and_udp_conversations_agree_with_tshark() {
    let files = captures();
    let results: Vec<(Vec<String>, usize)> = std::thread::scope(|s| {
        let hs: Vec<_> = files
            .chunks(files.len().div_ceil(2))
            .map(|c| s.spawn(move || c.iter().map(|f| compare(f)).collect::<Vec<_>>()))
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<String> = results.iter().flat_map(|r| r.0.clone()).collect();
    let total: usize = results.iter().map(|r| r.1).sum();
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{total} conversations in {} captures agree with tshark",
        files.len()
    );
}
