//! A hostile capture file all the way down: what the capture reader yields
//! (timestamps included, clamped at that boundary) goes through the
//! analyzer, every detector at its lowest thresholds, the clock-driven flow
//! expiry the gateway uses, and the report. No step may panic or overflow.
//! And differentially: the analyzer with its flow stage on two worker
//! threads reports, alerts and records what one thread does.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/lowest.rs"]
mod lowest;
use warden_analyze::shard::Sharded;
use warden_analyze::{Analyzer, Observe, Options};
use warden_detect::Engine;

fuzz_target!(|data: &[u8]| {
    let Ok(mut src) = warden_capture::open_reader(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let opts = lowest::options();
    let mut a = Analyzer::with_sink(Options::default(), Engine::new(opts));
    let mut last = 0i64;
    while let Ok(Some(p)) = src.next_packet() {
        assert!((0..=warden_capture::MAX_TS_NS).contains(&p.ts_nanos));
        last = p.ts_nanos;
        a.observe(&p);
    }
    a.tick(last);
    a.tick(warden_capture::MAX_TS_NS);
    let (report, _engine) = a.finish_with_sink();
    let _ = serde_json::to_string(&report);

    // Without the clock (a capture read from a file), sharded == one thread.
    let one = Analyzer::with_sink(Options::default(), Engine::new(lowest::options()));
    let two = Sharded::new(
        Analyzer::with_sink(Options::default(), Engine::new(lowest::options())),
        2,
    );
    let (r1, e1) = run(data, one);
    let (r2, e2) = run(data, two);
    assert_eq!(r1, r2, "the sharded report differs");
    assert_eq!(e1, e2, "the sharded alerts differ");
});

fn run<O: Observe + Finish>(data: &[u8], mut o: O) -> (String, String) {
    if let Ok(mut src) = warden_capture::open_reader(std::io::Cursor::new(data.to_vec())) {
        loop {
            match src.next_packet() {
                Ok(Some(p)) => o.observe(&p),
                Ok(None) => break,
                Err(e) => {
                    o.capture_error("fuzz", &e);
                    break;
                }
            }
        }
    }
    let (report, engine) = o.done();
    (
        serde_json::to_string(&report).unwrap_or_default(),
        serde_json::to_string(&engine.finish()).unwrap_or_default(),
    )
}

trait Finish {
    fn done(self) -> (warden_analyze::Report, Engine);
}
impl Finish for Analyzer<Engine> {
    fn done(self) -> (warden_analyze::Report, Engine) {
        self.finish_with_sink()
    }
}
impl Finish for Sharded<Engine> {
    fn done(self) -> (warden_analyze::Report, Engine) {
        self.finish_with_sink()
    }
}
