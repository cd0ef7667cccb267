//! DHCPv4 options, DHCPv6 relay nesting and the addresses of DHCPv6 replies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = warden_wire::dhcp::parse_v4(data);
    if let Some(x) = warden_wire::dhcp::parse_v6(data) {
        assert!(x.mud_urls.len() <= 8);
    }
    assert!(warden_wire::dhcp::v6_reply_addresses(data).len() <= 16);
});
