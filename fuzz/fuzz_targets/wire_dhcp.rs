//! DHCPv4 options, DHCPv6 relay nesting and the addresses of DHCPv6 replies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = warden_wire::dhcp::parse_v4(data);
    let _ = warden_wire::dhcp::v6_mud_urls(data);
    assert!(warden_wire::dhcp::v6_reply_addresses(data).len() <= 16);
});
