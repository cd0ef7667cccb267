//! The traffic engine shared out over threads makes the report one thread
//! makes: on every capture of the shared corpus, the analyzer's JSON report,
//! every alert of every detector, and the flows recorded for each device
//! (what MUD compliance and profiles read) are the same with 1, 2 and 3
//! flow workers as with the plain single-threaded analyzer.

use std::path::{Path, PathBuf};
use warden_analyze::shard::Sharded;
use warden_analyze::{Analyzer, Observe, Report};
use warden_detect::{DevKey, Engine, Findings, Record};

fn corpus_captures() -> Vec<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcap");
    assert!(
        base.is_dir(),
        "the shared corpus is missing at {}",
        base.display()
    );
    let mut out = Vec::new();
    let mut stack = vec![base];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "gz")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn feed(o: &mut impl Observe, file: &Path) {
    let mut src = warden_capture::open_path(file).unwrap();
    loop {
        match src.next_packet() {
            Ok(Some(p)) => o.observe(&p),
            Ok(None) => break,
            Err(e) => {
                o.capture_error(&file.display().to_string(), &e);
                break;
            }
        }
    }
}

fn engine() -> Engine {
    Engine::new(warden_detect::Options {
        record: Record::All,
        max_recorded_flows: 1 << 20,
        ..Default::default()
    })
}

/// The report, the findings and each device's recorded flows, as text.
fn outcome(report: &Report, engine: Engine) -> (String, String, String) {
    let mut flows = String::new();
    for d in &report.devices {
        if let Some(mac) = d.mac.as_deref().and_then(warden_addr::MacAddr::parse) {
            flows += &format!("{mac}: {:?}\n", engine.device_flows(DevKey::Mac(mac.0)));
        }
    }
    let found: Findings = engine.finish();
    (
        serde_json::to_string_pretty(report).unwrap(),
        serde_json::to_string_pretty(&found).unwrap(),
        flows,
    )
}

#[test]
fn sharded_analysis_matches_one_thread_on_every_corpus_capture() {
    let files = corpus_captures();
    assert!(
        files.len() >= 60,
        "expected the corpus's 63 captures, found {}",
        files.len()
    );
    let mut packets = 0;
    for f in &files {
        let mut one = Analyzer::with_sink(Default::default(), engine());
        feed(&mut one, f);
        let (report, sink) = one.finish_with_sink();
        packets += report.packets;
        let expected = outcome(&report, sink);
        for workers in [1, 2, 3] {
            let mut sharded =
                Sharded::new(Analyzer::with_sink(Default::default(), engine()), workers);
            feed(&mut sharded, f);
            let (report, sink) = sharded.finish_with_sink();
            let got = outcome(&report, sink);
            assert!(
                got.0 == expected.0,
                "{}: the report with {workers} workers differs",
                f.display()
            );
            assert!(
                got.1 == expected.1,
                "{}: the alerts with {workers} workers differ",
                f.display()
            );
            assert!(
                got.2 == expected.2,
                "{}: the recorded flows with {workers} workers differ",
                f.display()
            );
        }
    }
    assert!(
        packets > 100_000,
        "the corpus should hold over 100,000 packets, saw {packets}"
    );
}

#[test]
fn sharded_analysis_keeps_capture_errors_in_order() {
    // A capture cut in the middle of a record: the error is reported, the
    // packets before it are kept, with one thread and with several.
    let src = corpus_captures()
        .into_iter()
        .find(|f| f.extension().is_some_and(|x| x == "pcap"))
        .unwrap();
    let bytes = std::fs::read(&src).unwrap();
    let dir = std::env::temp_dir().join(format!("warden-sharded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len().min(4000) - 7]).unwrap();
    let mut one = Analyzer::new(Default::default());
    feed(&mut one, &cut);
    feed(&mut one, &src);
    let expected = serde_json::to_string(&one.finish()).unwrap();
    let mut sharded = Sharded::new(Analyzer::new(Default::default()), 2);
    feed(&mut sharded, &cut);
    feed(&mut sharded, &src);
    let report = sharded.finish();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        report.capture_errors.len(),
        1,
        "{:?}",
        report.capture_errors
    );
    assert_eq!(serde_json::to_string(&report).unwrap(), expected);
}
