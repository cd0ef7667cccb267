//! TLS and DTLS ClientHello: nested length fields, every list capped; the
//! JA4 fingerprint of whatever was read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_wire::tls::{client_hello, MAX_LIST};

fuzz_target!(|data: &[u8]| {
    if let Some(c) = client_hello(data) {
        for n in [
            c.cipher_suites.len(),
            c.extensions.len(),
            c.alpn.len(),
            c.versions.len(),
            c.groups.len(),
            c.signature_algorithms.len(),
            c.psk_modes.len(),
        ] {
            assert!(n <= MAX_LIST);
        }
        let j = c.ja4();
        assert_eq!(j.len(), 36, "{j}");
    }
});
