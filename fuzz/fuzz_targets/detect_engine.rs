//! The traffic engine with every detector, flow recording and the profile
//! generator on hostile frames: the input is split into frames (a length
//! byte, then that many bytes), each stamped 1 ms after the last, with
//! thresholds at their lowest so every detector's firing path runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/lowest.rs"]
mod lowest;
use warden_analyze::{Analyzer, Options};
use warden_capture::{Link, Packet};
use warden_detect::Engine;

fuzz_target!(|data: &[u8]| {
    let opts = lowest::options();
    let mut a = Analyzer::with_sink(Options::default(), Engine::new(opts));
    let mut rest = data;
    let mut ts = 1_700_000_000_000_000_000i64;
    while let Some((&n, tail)) = rest.split_first() {
        let n = (n as usize).min(tail.len());
        let (frame, tail) = tail.split_at(n);
        a.observe(&Packet {
            ts_nanos: ts,
            link: Link::Ethernet,
            interface: 0,
            orig_len: frame.len() as u32,
            data: frame,
        });
        ts += 1_000_000;
        rest = tail;
    }
    let (_r, engine) = a.finish_with_sink();
    let ctx = warden_mud::Context::default();
    for d in engine.recorded_devices() {
        let p = engine.profile(
            d,
            &ctx,
            &warden_detect::ProfileOptions {
                mud_url: "https://example.com/fuzz".into(),
                systeminfo: "fuzz".into(),
            },
        );
        // Whatever the traffic, the profile is a valid strict MUD file.
        let bytes = serde_json::to_vec(&p.mud).unwrap();
        if let Err(e) = warden_mud::load(&bytes, &warden_mud::ValidateOptions::default()) {
            panic!(
                "generated profile invalid: {e}\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    let _ = engine.finish();
});
