//! DNS messages: compression loops, forward pointers and truncation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = warden_wire::dns::parse(data) {
        assert!(m.answers.len() <= warden_wire::dns::MAX_RECORDS);
        assert!(m.extra.len() <= warden_wire::dns::MAX_RECORDS);
        for r in m.resolutions() {
            assert!(!r.names.is_empty() && r.names.len() <= warden_wire::dns::MAX_NAMES);
        }
    }
});
