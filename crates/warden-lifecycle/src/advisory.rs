//! Security advisories in CSAF 2.0 (read with `csaf-rs`'s types), and
//! their VEX product status for one device.
//!
//! A device is described by its maker, model and software version (from
//! its MUD file, its DHCP and mDNS announcements, or a person). A CSAF
//! product matches it when the advisory's product tree says so: a vendor
//! branch with the maker's name (or none), a product-name branch or a model
//! number equal to the model, and a product-version equal to the version
//! or a product-version-range that holds it; or a relationship ("firmware
//! X installed on camera Y") joining a matching version to a matching
//! model. Names compare without case, spaces or punctuation. A product
//! warden cannot place (free-text ranges) is skipped and counted.

use crate::version;
use csaf_rs::schema::csaf2_0::schema::{Branch, CommonSecurityAdvisoryFramework};
use std::collections::{BTreeMap, BTreeSet};

/// The largest advisory warden reads (bytes).
pub const MAX_ADVISORY_BYTES: usize = 16 << 20;

/// What a device is, as far as matching needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceProduct {
    pub maker: String,
    pub model: String,
    pub version: String,
}

/// A VEX product status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    KnownAffected,
    UnderInvestigation,
    Fixed,
    KnownNotAffected,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::KnownAffected => "known affected",
            Status::UnderInvestigation => "under investigation",
            Status::Fixed => "fixed",
            Status::KnownNotAffected => "known not affected",
        }
    }
}

/// One vulnerability of one advisory, as it concerns the device.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    /// The advisory's tracking id ("ICSA-24-235-03").
    pub advisory: String,
    pub title: String,
    /// CVE, or the advisory's own id for the vulnerability.
    pub id: String,
    pub status: Status,
    /// CVSS base score and its vector, when the advisory gives one.
    pub score: Option<f64>,
    pub vector: Option<String>,
    /// The vendor's fix, in its words ("Update to MX-V4.7.2.18 or later").
    pub fix: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdvisoryError {
    #[error("the advisory is {0} bytes; warden reads at most {MAX_ADVISORY_BYTES}")]
    TooLarge(usize),
    #[error("not CSAF 2.0: {0}")]
    Invalid(String),
}

/// A read advisory.
pub struct Advisory {
    doc: CommonSecurityAdvisoryFramework,
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a product sits in the branch tree.
#[derive(Debug, Default, Clone)]
struct Place {
    vendor: Option<String>,
    names: Vec<String>,
    version: Option<String>,
    range: Option<String>,
}

impl Advisory {
    pub fn read(bytes: &[u8]) -> Result<Advisory, AdvisoryError> {
        if bytes.len() > MAX_ADVISORY_BYTES {
            return Err(AdvisoryError::TooLarge(bytes.len()));
        }
        let doc: CommonSecurityAdvisoryFramework =
            serde_json::from_slice(bytes).map_err(|e| AdvisoryError::Invalid(e.to_string()))?;
        Ok(Advisory { doc })
    }

    pub fn id(&self) -> String {
        self.doc.document.tracking.id.to_string()
    }

    pub fn title(&self) -> String {
        self.doc.document.title.to_string()
    }

    /// How many vulnerabilities the advisory covers.
    pub fn vulnerabilities(&self) -> usize {
        self.doc.vulnerabilities.len()
    }

    fn places(&self) -> BTreeMap<String, Place> {
        fn walk(bs: &[Branch], at: &Place, out: &mut BTreeMap<String, Place>, depth: usize) {
            if depth > 32 {
                return;
            }
            for b in bs {
                let mut p = at.clone();
                let name = b.name.to_string();
                match serde_json::to_value(b.category)
                    .ok()
                    .as_ref()
                    .and_then(|v| v.as_str())
                {
                    Some("vendor") => p.vendor = Some(name),
                    Some("product_version") => p.version = Some(name),
                    Some("product_version_range") => p.range = Some(name),
                    _ => p.names.push(name),
                }
                if let Some(prod) = &b.product {
                    let mut q = p.clone();
                    if let Some(h) = &prod.product_identification_helper {
                        for m in h.model_numbers.iter().flatten() {
                            q.names.push(m.to_string());
                        }
                    }
                    out.insert(prod.product_id.to_string(), q);
                }
                if let Some(sub) = &b.branches {
                    walk(sub, &p, out, depth + 1);
                }
            }
        }
        let mut out = BTreeMap::new();
        if let Some(t) = &self.doc.product_tree {
            if let Some(bs) = &t.branches {
                walk(bs, &Place::default(), &mut out, 0);
            }
        }
        out
    }

    /// The ids of the products that are this device, and how many products
    /// could not be placed.
    pub fn products_of(&self, dev: &DeviceProduct) -> (BTreeSet<String>, usize) {
        let places = self.places();
        let (maker, model) = (fold(&dev.maker), fold(&dev.model));
        let vendor_ok = |p: &Place| p.vendor.as_deref().is_none_or(|v| fold(v) == maker);
        let model_ok = |p: &Place| p.names.iter().any(|n| fold(n) == model);
        let mut unplaced = 0;
        // Some(true): the version holds; None: cannot tell.
        let mut version_ok = |p: &Place| -> Option<bool> {
            match (&p.version, &p.range) {
                (Some(v), _) => Some(
                    version::compare(v, &dev.version) == std::cmp::Ordering::Equal
                        || fold(v) == fold(&dev.version),
                ),
                (None, Some(r)) => {
                    let r = version::in_range(&dev.version, r);
                    if r.is_none() {
                        unplaced += 1;
                    }
                    r
                }
                (None, None) => Some(false),
            }
        };
        let mut ids = BTreeSet::new();
        for (id, p) in &places {
            if vendor_ok(p) && model_ok(p) && version_ok(p) == Some(true) {
                ids.insert(id.clone());
            }
        }
        if let Some(t) = &self.doc.product_tree {
            for r in &t.relationships {
                let (Some(a), Some(b)) = (
                    places.get(r.product_reference.as_str()),
                    places.get(r.relates_to_product_reference.as_str()),
                ) else {
                    continue;
                };
                // Either side may be the firmware or the model.
                let fits =
                    |fw: &Place, hw: &Place, version_ok: &mut dyn FnMut(&Place) -> Option<bool>| {
                        vendor_ok(hw) && model_ok(hw) && version_ok(fw) == Some(true)
                    };
                if fits(a, b, &mut version_ok) || fits(b, a, &mut version_ok) {
                    ids.insert(r.full_product_name.product_id.to_string());
                }
            }
        }
        (ids, unplaced)
    }

    /// The advisory's vulnerabilities for this device, one finding per
    /// vulnerability whose status lists one of its products.
    pub fn findings(&self, dev: &DeviceProduct) -> Vec<Finding> {
        let (ids, _) = self.products_of(dev);
        if ids.is_empty() {
            return Vec::new();
        }
        let has = |l: &Option<csaf_rs::schema::csaf2_0::schema::ProductsT>| {
            l.as_ref()
                .is_some_and(|l| l.iter().any(|p| ids.contains(p.as_str())))
        };
        let mut out = Vec::new();
        for (i, v) in self.doc.vulnerabilities.iter().enumerate() {
            let Some(s) = &v.product_status else { continue };
            // The device's own statement wins in this order: not affected,
            // fixed, affected, under investigation.
            let status = if has(&s.known_not_affected) {
                Status::KnownNotAffected
            } else if has(&s.fixed) || has(&s.first_fixed) {
                Status::Fixed
            } else if has(&s.known_affected) || has(&s.first_affected) || has(&s.last_affected) {
                Status::KnownAffected
            } else if has(&s.under_investigation) {
                Status::UnderInvestigation
            } else {
                continue;
            };
            let mut score = None;
            let mut vector = None;
            for sc in &v.scores {
                if !sc.products.iter().any(|p| ids.contains(p.as_str())) {
                    continue;
                }
                if let Some(vs) = sc.cvss_v3.get("vectorString").and_then(|x| x.as_str()) {
                    if let Ok(c) = vs.parse::<cvss::Cvss>() {
                        score = Some(c.score());
                        vector = Some(vs.to_string());
                    }
                }
            }
            let fix = v
                .remediations
                .iter()
                .filter(|r| {
                    serde_json::to_value(r.category)
                        .ok()
                        .as_ref()
                        .and_then(|c| c.as_str())
                        == Some("vendor_fix")
                })
                .find(|r| has(&r.product_ids))
                .map(|r| r.details.to_string());
            out.push(Finding {
                advisory: self.id(),
                title: self.title(),
                id: v
                    .cve
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| format!("{}#{}", self.id(), i + 1)),
                status,
                score,
                vector,
                fix: fix.filter(|_| status == Status::KnownAffected),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/data/csaf/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn cam(model: &str, version: &str) -> DeviceProduct {
        DeviceProduct {
            maker: "Mobotix".into(),
            model: model.into(),
            version: version.into(),
        }
    }

    #[test]
    fn a_real_camera_advisory_tells_affected_fixed_and_not_affected_apart() {
        let a = Advisory::read(&data("icsa-24-235-03.json")).unwrap();
        assert_eq!(a.id(), "ICSA-24-235-03");
        // An old P3 firmware on a D24M: affected, with the vendor's fix.
        let f = a.findings(&cam("D24M", "MX-V4.1.4.11"));
        assert_eq!(f.len(), a.vulnerabilities());
        let cve = f.iter().find(|f| f.id == "CVE-2023-34873").unwrap();
        assert_eq!(cve.status, Status::KnownAffected, "{f:?}");
        assert!(cve.fix.as_deref().unwrap().contains("MX-V4.7.2.18"));
        assert!(cve.score.unwrap() > 7.0);
        // The advisory's own statements for the oldest firmware: not affected.
        let old = a.findings(&cam("D24M", "MX-V4.0.1.15"));
        assert_eq!(old[0].status, Status::KnownNotAffected, "{old:?}");
        assert_eq!(old[0].fix, None);
        // A fixed firmware.
        let new = a.findings(&cam("D24M", "MX-V4.7.2.18"));
        assert_eq!(new[0].status, Status::Fixed, "{new:?}");
        // Another maker's camera of the same model name: nothing.
        let other = DeviceProduct {
            maker: "Acme".into(),
            ..cam("D24M", "MX-V4.1.4.11")
        };
        assert!(a.findings(&other).is_empty());
    }

    #[test]
    fn version_ranges_of_a_real_advisory() {
        let a = Advisory::read(&data("icsa-24-289-02.json")).unwrap();
        let dce = |v: &str| DeviceProduct {
            maker: "Schneider Electric".into(),
            model: "Data Center Expert".into(),
            version: v.into(),
        };
        let f = a.findings(&dce("8.1.0"));
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.status == Status::KnownAffected));
        assert!(a
            .findings(&dce("8.2"))
            .iter()
            .all(|f| f.status == Status::Fixed));
        assert!(a.findings(&dce("9.0")).is_empty());
    }

    #[test]
    fn hostile_advisories_get_errors() {
        assert!(Advisory::read(b"{}").is_err());
        assert!(Advisory::read(b"[").is_err());
        assert!(Advisory::read(&vec![b' '; MAX_ADVISORY_BYTES + 1]).is_err());
    }
}
