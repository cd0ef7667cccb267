//! What the gateway reads from outside: its configuration file (TOML), and
//! DNS answers and DHCP packets from the LAN, through the sink that turns
//! them into events. None may panic; every binding has a name and stays
//! within its cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_gateway::config::Config;
use warden_gateway::watch::dns_bindings;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = Config::parse(s) {
            let _ = c.quarantine.triggers("scan.horizontal");
        }
    }
    if let Ok(m) = warden_wire::dns::parse(data) {
        let b = dns_bindings(&m);
        assert!(b.len() <= 256);
    }
});
