//! LLDP TLVs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = warden_wire::lldp::parse(data);
});
