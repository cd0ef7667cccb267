//! DHCPv4 options and DHCPv6 relay nesting.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = warden_wire::dhcp::parse_v4(data);
    let _ = warden_wire::dhcp::v6_mud_urls(data);
});
