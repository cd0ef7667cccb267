//! The files a user hands the detectors: a blocklist and a thresholds TOML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(b) = warden_detect::Blocklist::parse(s) {
            let _ = b.has_ip("192.0.2.1".parse().unwrap());
            let _ = b.domain_of("a.b.example.com");
        }
        let _ = warden_detect::Thresholds::from_toml(s);
    }
});
