//! Every capture of ../shared/corpus/pcap/ yields the same number of packets,
//! the same link-layer lengths and timestamps as tshark, an independent reader.

use std::path::{Path, PathBuf};
use std::process::Command;
use warden_capture::{open_path, CaptureError};

fn captures() -> Vec<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    assert!(
        base.is_dir(),
        "the shared corpus is missing at {}",
        base.display()
    );
    warden_capture::captures_in(&base).unwrap()
}

/// (frame length on the wire, captured length, epoch time as tshark prints it) per frame.
fn tshark_frames(p: &Path) -> Vec<(u32, u32, String)> {
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(p)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.time_epoch",
        ])
        .output()
        .expect("tshark is installed by scripts/test.sh");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            let len = f.next().unwrap().parse().unwrap();
            let cap = f.next().unwrap().parse().unwrap();
            (len, cap, f.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn every_corpus_capture_reads_like_tshark_reads_it() {
    let files = captures();
    assert!(files.len() >= 60, "{} captures", files.len());
    let mut failures = Vec::new();
    let mut total = 0u64;
    for f in &files {
        let want = tshark_frames(f);
        let mut got = Vec::new();
        let mut src = open_path(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let err = loop {
            match src.next_packet() {
                Ok(Some(p)) => got.push((p.orig_len, p.data.len() as u32, p.ts_nanos)),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        if let Some(e) = &err {
            if !matches!(e, CaptureError::Truncated { .. }) {
                failures.push(format!("{}: {e}", f.display()));
            }
        }
        if got.len() != want.len() {
            failures.push(format!(
                "{}: {} packets, tshark {}",
                f.display(),
                got.len(),
                want.len()
            ));
            continue;
        }
        for (i, ((len, cap, t), (wlen, wcap, wt))) in got.iter().zip(&want).enumerate() {
            let secs = format!(
                "{}.{:09}",
                t.div_euclid(1_000_000_000),
                t.rem_euclid(1_000_000_000)
            );
            if len != wlen
                || cap != wcap
                || !secs.starts_with(wt.trim_end_matches('0').trim_end_matches('.'))
            {
                failures.push(format!(
                    "{} frame {}: ({len}, {cap}, {secs}) vs tshark ({wlen}, {wcap}, {wt})",
                    f.display(),
                    i + 1
                ));
                break;
            }
        }
        total += got.len() as u64;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{} captures, {total} packets, all as tshark reads them",
        files.len()
    );
}
