//! Hostile life-cycle documents: an SBOM (CycloneDX JSON/XML, SPDX), a CSAF
//! advisory matched to a device, an OSV record matched to components, a
//! support catalogue and version ranges. The first byte picks the reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_lifecycle::{advisory, osv, sbom, support, version};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 5 {
        0 => {
            if let Ok(s) = sbom::read(rest) {
                assert!(s.components.len() <= sbom::MAX_COMPONENTS);
            }
        }
        1 => {
            if let Ok(a) = advisory::Advisory::read(rest) {
                let dev = advisory::DeviceProduct {
                    maker: "Mobotix".into(),
                    model: "D24M".into(),
                    version: "MX-V4.1.4.11".into(),
                };
                let f = a.findings(&dev);
                assert!(f.len() <= a.vulnerabilities());
            }
        }
        2 => {
            let mut db = osv::VulnDb::default();
            if db.add_json(rest, "fuzz").is_ok() {
                let c = sbom::Component {
                    name: "x".into(),
                    version: Some("1.2.3".into()),
                    purl: Some("pkg:cargo/tokio@1.19.2".into()),
                };
                let _ = db.matches(&c);
            }
        }
        3 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = support::Catalogue::parse(text);
                let _ = support::parse_date(text);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let (a, b) = text.split_once('\n').unwrap_or((text, "1.0"));
                let _ = version::in_range(a, b);
                let _ = version::compare(a, b);
            }
        }
    }
});
