//! bytes → RawMud → ValidatedMud (both dialects) → Policy → nftables, and the
//! explanation. Nothing may panic; a ruleset that compiles must serialize.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_mud::{Context, ValidateOptions};

fn ctx() -> &'static Context {
    static C: OnceLock<Context> = OnceLock::new();
    C.get_or_init(|| {
        Context::from_toml(
            r#"
local-networks = ["192.168.1.0/24", "fd00:1::/64"]
[controllers]
"urn:ietf:params:mud:dns" = ["192.168.1.1", "fd00:1::1"]
"urn:ietf:params:mud:gateway" = ["192.168.1.1", "gw.example.net"]
[[devices]]
mud-url = "https://example.com/other"
addresses = ["192.168.1.9"]
"#,
        )
        .expect("fixed context parses")
    })
}

fuzz_target!(|data: &[u8]| {
    for opts in [ValidateOptions::default(), ValidateOptions::legacy()] {
        let Ok(v) = warden_mud::load(data, &opts) else {
            continue;
        };
        let _ = warden_mud::explain(&v.mud);
        let policy = warden_mud::resolve(&v.mud, ctx());
        let device = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10,fd00:1::10")
            .expect("fixed device");
        let rs = warden_nft::compile(
            &[warden_nft::DevicePolicy {
                device,
                policy: &policy,
            }],
            &warden_nft::Options::default(),
        )
        .expect("one device cannot conflict");
        // The hand-written JSON writer must always produce valid JSON.
        let v: serde_json::Value = serde_json::from_str(&rs.json).expect("ruleset JSON parses");
        assert!(v["nftables"].is_array());
        // Hostile text must never reach the nft text form unescaped.
        for line in rs.text().lines() {
            if let Some((_, c)) = line.split_once(" comment \"") {
                assert!(c.ends_with('"') && c.matches('"').count() == 1, "{line}");
            }
        }
    }
});
