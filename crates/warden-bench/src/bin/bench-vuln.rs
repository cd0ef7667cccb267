//! The vulnerability database's two costs, measured on this machine:
//! importing an OSV ecosystem archive (records per second) and matching
//! 250 devices of 500 components each against it (goal: <= 1 s).
//!
//! The archive is the RustSec database's OSV export shipped with the tests
//! (1,206 real records). Components are drawn, with a fixed seed, from the
//! archive's own package names (so every lookup finds a package and its
//! ranges are compared) with versions spread over 0.0.x to 3.x. No peer
//! tool runs here: osv-scanner (Go) needs a newer Go than this machine's
//! Debian offers, and it queries or downloads databases itself.
//!
//! Usage: bench-vuln [ARCHIVE] [RUNS]

use std::time::Instant;
use warden_lifecycle::osv::VulnDb;
use warden_lifecycle::sbom::Component;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let archive = args.next().unwrap_or_else(|| {
        format!(
            "{}/../warden-lifecycle/tests/data/osv/crates.io-rustsec.zip",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&archive).expect("the archive");
    let mut import_s = Vec::new();
    let mut db = VulnDb::default();
    let mut records = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut d = VulnDb::default();
        let rep = d
            .import_zip(std::io::Cursor::new(&bytes))
            .expect("an archive");
        import_s.push(t.elapsed().as_secs_f64());
        records = rep.records;
        db = d;
    }
    let imp = median(&mut import_s);
    println!(
        "import {archive}: {records} records in {:.3} s (median of {runs}): {:.0} records/s",
        imp,
        records as f64 / imp
    );

    // 250 devices x 500 components, a fixed pseudo-random draw.
    let mut names: Vec<&(String, String)> = db.package_names().collect();
    names.sort();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    fn purl_type(eco: &str) -> &str {
        match eco {
            "crates.io" => "cargo",
            other => other,
        }
    }
    let devices: Vec<Vec<Component>> = (0..250)
        .map(|_| {
            (0..500)
                .map(|_| {
                    let (eco, name) = names[(next() % names.len() as u64) as usize];
                    let v = format!("{}.{}.{}", next() % 4, next() % 30, next() % 20);
                    Component {
                        name: name.clone(),
                        version: Some(v.clone()),
                        purl: Some(format!("pkg:{}/{name}@{v}", purl_type(eco))),
                    }
                })
                .collect()
        })
        .collect();
    let mut match_s = Vec::new();
    let mut hits = 0;
    for _ in 0..runs {
        let t = Instant::now();
        hits = devices.iter().map(|d| db.match_all(d).len()).sum::<usize>();
        match_s.push(t.elapsed().as_secs_f64());
    }
    let worst = match_s.iter().cloned().fold(0.0, f64::max);
    let m = median(&mut match_s);
    println!(
        "match 250 devices x 500 components: {:.3} s median, {:.3} s worst of {runs} ({hits} vulnerable components found; goal <= 1 s)",
        m, worst
    );
}
