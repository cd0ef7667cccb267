//! The deployment context file (TOML) is operator input: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = warden_mud::Context::from_toml(s);
    }
});
