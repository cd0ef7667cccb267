//! A hostile capture file all the way down: what the capture reader yields
//! (timestamps included, clamped at that boundary) goes through the
//! analyzer, every detector at its lowest thresholds, the clock-driven flow
//! expiry the gateway uses, and the report. No step may panic or overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/lowest.rs"]
mod lowest;
use warden_analyze::{Analyzer, Options};
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
});
