//! HTTP/SSDP heads and NTP headers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = warden_wire::http::parse(data) {
        assert!(h.user_agent.as_ref().is_none_or(|u| u.len() <= 512));
    }
    let _ = warden_wire::ntp::parse(data);
});
