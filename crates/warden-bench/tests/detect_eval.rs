//! The detection evaluation as a test: every labelled capture (corpus and
//! synthetic) must meet its goal: an attack flagged with the right kind and
//! role, no alert of medium or higher on a benign capture. The table is
//! printed (cargo test -- --nocapture) as `detect-eval` prints it.

use std::path::PathBuf;

#[test]
fn every_attack_flagged_and_no_false_alarm_on_benign_captures() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus");
    assert!(
        corpus.is_dir(),
        "the shared corpus is missing at {}",
        corpus.display()
    );
    let labels = warden_bench::eval::load_labels(&root.join("bench/detect/labels.toml")).unwrap();
    let synth = std::env::temp_dir().join(format!("warden-detect-eval-{}", std::process::id()));
    let rows = warden_bench::eval::evaluate(&labels, &corpus, &synth).unwrap();
    let _ = std::fs::remove_dir_all(&synth);
    println!("{}", warden_bench::eval::table(&rows));
    // Every corpus capture is labelled, so a new capture cannot slip by.
    let labelled: std::collections::BTreeSet<String> =
        labels.iter().filter_map(|l| l.file.clone()).collect();
    for f in walk(&corpus.join("pcap")) {
        let rel = f
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            labelled.contains(&rel),
            "{rel} has no label in bench/detect/labels.toml"
        );
    }
    // And every capture recorded for warden.
    for f in walk(&root.join("bench/detect/pcap")) {
        let rel = format!(
            "warden:{}",
            f.strip_prefix(&root).unwrap().to_string_lossy()
        );
        assert!(
            labelled.contains(&rel),
            "{rel} has no label in bench/detect/labels.toml"
        );
    }
    let attacks = rows.iter().filter(|r| r.label.class == "attack").count();
    let benign = rows.iter().filter(|r| r.label.class == "benign").count();
    assert!(
        attacks >= 24 && benign >= 40,
        "{attacks} attacks, {benign} benign"
    );
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.pass == Some(false))
        .map(|r| format!("{}: {}", r.name, r.why))
        .collect();
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
    out
}
