//! TLS ClientHello: nested length fields.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(c) = warden_wire::tls::client_hello(data) {
        assert!(c.alpn.len() <= 16 && c.versions.len() <= 16);
    }
});
