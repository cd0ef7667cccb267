//! # warden-assess: devices measured against the standards
//!
//! The data an assessment stands on, kept in the repository as reviewed
//! TOML (`data/`), each file citing its sources:
//!
//! - the ETSI EN 303 645 **catalogs**: V2.1.1 (the 67 provisions of clauses 5
//!   and 6, plus 4-1), each with its status (M or R) and conditions 1–13, in
//!   warden's own short titles (never ETSI's text); V3.1.3 as the changes the
//!   notes list, every unverified item marked;
//! - **crosswalks** to the other regimes: the UK Code of Practice, UK PSTI
//!   (with Schedule 2's deemed-compliance routes), EU CRA Annex I, NIST IR
//!   8425, Singapore CLS levels 1–4, Finland's label subset, and the
//!   Netherlands roadmap as policy alignment only;
//! - the catalog as an **OSCAL catalog** ([`oscal::catalog`]), which no one
//!   publishes for EN 303 645 today.
//!
//! On that data: the manufacturer's [`declaration`] and
//! [`verdict::assess`], which gives a verdict per provision (conceptual on
//! the declaration, functional on evidence from the device, evidence
//! winning) and a result per regime.
//!
//! From an assessment: the consumer [`label`] (a level, the support
//! period, a QR code to the report, as SVG), the [`html`] report that leads
//! with plain language, OSCAL assessment results ([`oscal`]), and
//! procurement [`policy`] checks.
//!
//! Not here: lab evidence (physical interfaces, secure boot, source code
//! review); regimes say so in each row's `needs`.

pub mod declaration;
pub mod evidence;
pub mod html;
pub mod label;
pub mod oscal;
pub mod policy;
pub mod text;
pub mod verdict;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Mandatory or recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    M,
    R,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub id: String,
    pub status: Status,
    /// The numbered conditions under which it applies (empty: always).
    pub conditions: Vec<u8>,
    /// V3 feature qualifiers F(x).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    pub title: String,
    /// Not checked against the primary text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
}

impl Provision {
    /// The clause section ("5.3" for "5.3-7", "6" for "6-2", "4" for "4-1").
    pub fn section(&self) -> &str {
        self.id.split('-').next().unwrap_or(&self.id)
    }
    pub fn conditional(&self) -> bool {
        !self.conditions.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub id: u8,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub standard: String,
    pub version: String,
    pub date: String,
    #[serde(rename = "condition")]
    pub conditions: Vec<Condition>,
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
    #[serde(rename = "provision")]
    pub provisions: Vec<Provision>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: {message}")]
    Parse { file: &'static str, message: String },
    #[error("{file}: {message}")]
    Invalid { file: &'static str, message: String },
}

const V2: (&str, &str) = (
    "data/en303645-v2.1.1.toml",
    include_str!("../data/en303645-v2.1.1.toml"),
);
const V3_DELTA: (&str, &str) = (
    "data/en303645-v3.1.3-delta.toml",
    include_str!("../data/en303645-v3.1.3-delta.toml"),
);

/// The crosswalk files, by regime id.
pub const CROSSWALKS: [(&str, &str); 7] = [
    (
        "data/crosswalk-uk-cop.toml",
        include_str!("../data/crosswalk-uk-cop.toml"),
    ),
    (
        "data/crosswalk-uk-psti.toml",
        include_str!("../data/crosswalk-uk-psti.toml"),
    ),
    (
        "data/crosswalk-eu-cra.toml",
        include_str!("../data/crosswalk-eu-cra.toml"),
    ),
    (
        "data/crosswalk-us-nist-ir-8425.toml",
        include_str!("../data/crosswalk-us-nist-ir-8425.toml"),
    ),
    (
        "data/crosswalk-sg-cls.toml",
        include_str!("../data/crosswalk-sg-cls.toml"),
    ),
    (
        "data/crosswalk-fi-label.toml",
        include_str!("../data/crosswalk-fi-label.toml"),
    ),
    (
        "data/crosswalk-nl-roadmap.toml",
        include_str!("../data/crosswalk-nl-roadmap.toml"),
    ),
];

fn parse<T: for<'de> Deserialize<'de>>((file, text): (&'static str, &str)) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| DataError::Parse {
        file,
        message: e.to_string(),
    })
}

impl Catalog {
    /// EN 303 645 V2.1.1, the version UK PSTI pins.
    pub fn v2_1_1() -> Result<Catalog, DataError> {
        let c: Catalog = parse(V2)?;
        c.check(V2.0)?;
        Ok(c)
    }

    /// EN 303 645 V3.1.3: V2.1.1 with the listed changes applied.
    pub fn v3_1_3() -> Result<Catalog, DataError> {
        let d: Delta = parse(V3_DELTA)?;
        let mut c = Catalog::v2_1_1()?;
        let err = |m: String| DataError::Invalid {
            file: V3_DELTA.0,
            message: m,
        };
        if d.base != c.version {
            return Err(err(format!("base {} is not {}", d.base, c.version)));
        }
        c.version = d.version;
        c.date = d.date;
        for r in d.rename {
            let p = c
                .provisions
                .iter_mut()
                .find(|p| p.id == r.from)
                .ok_or_else(|| err(format!("rename: no provision {}", r.from)))?;
            p.id = r.to;
            p.unverified = true;
        }
        for s in d.split {
            let i = c
                .provisions
                .iter()
                .position(|p| p.id == s.id)
                .ok_or_else(|| err(format!("split: no provision {}", s.id)))?;
            let old = c.provisions.remove(i);
            for (k, id) in s.into.iter().enumerate() {
                let mut p = old.clone();
                p.id = id.clone();
                if let Some(st) = s.statuses.get(k) {
                    p.status = *st;
                }
                p.unverified = true;
                c.provisions.insert(i + k, p);
            }
        }
        for a in d.added {
            if c.provisions.iter().any(|p| p.id == a.id) {
                return Err(err(format!("added: {} exists", a.id)));
            }
            c.provisions.push(Provision {
                id: a.id,
                status: a.status,
                conditions: Vec::new(),
                features: Vec::new(),
                title: a.title,
                unverified: true,
            });
        }
        for ch in d.changed {
            let p = c
                .provisions
                .iter_mut()
                .find(|p| p.id == ch.id)
                .ok_or_else(|| err(format!("changed: no provision {}", ch.id)))?;
            if let Some(cs) = ch.conditions {
                p.conditions = cs;
            }
            p.features = ch.features;
            p.unverified = true;
        }
        for extra in [14u8, 15, 16] {
            if !c.conditions.iter().any(|x| x.id == extra) {
                c.conditions.push(Condition {
                    id: extra,
                    text: "(new in V3; text not verified)".into(),
                });
            }
        }
        c.sections.push(Section {
            id: "5.0".into(),
            title: "Reporting implementation".into(),
        });
        c.provisions.sort_by_key(|p| order(&p.id));
        c.check(V3_DELTA.0)?;
        Ok(c)
    }

    pub fn get(&self, id: &str) -> Option<&Provision> {
        self.provisions.iter().find(|p| p.id == id)
    }

    /// Every id unique, every condition defined, every section known.
    fn check(&self, file: &'static str) -> Result<(), DataError> {
        let err = |m: String| DataError::Invalid { file, message: m };
        let mut seen = BTreeSet::new();
        for p in &self.provisions {
            if !seen.insert(&p.id) {
                return Err(err(format!("provision {} twice", p.id)));
            }
            if let Some(c) = p
                .conditions
                .iter()
                .find(|c| !self.conditions.iter().any(|x| x.id == **c))
            {
                return Err(err(format!("provision {}: no condition {c}", p.id)));
            }
            if !self.sections.iter().any(|s| s.id == p.section()) {
                return Err(err(format!(
                    "provision {}: no section {}",
                    p.id,
                    p.section()
                )));
            }
            if p.title.trim().is_empty() {
                return Err(err(format!("provision {}: no title", p.id)));
            }
        }
        Ok(())
    }
}

/// Sort key for provision ids: "5.3-10" after "5.3-9", "5.0-1" first, "6-1" last.
pub fn order(id: &str) -> (u32, u32, u32, String) {
    let (sec, rest) = id.split_once('-').unwrap_or((id, ""));
    let (major, minor) = sec.split_once('.').unwrap_or((sec, "0"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let suffix: String = rest.chars().skip_while(char::is_ascii_digit).collect();
    (
        major.parse().unwrap_or(u32::MAX),
        minor.parse().unwrap_or(0),
        digits.parse().unwrap_or(0),
        suffix,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delta {
    #[allow(dead_code)]
    standard: String,
    version: String,
    date: String,
    base: String,
    #[serde(default)]
    rename: Vec<Rename>,
    #[serde(default)]
    split: Vec<Split>,
    #[serde(default)]
    added: Vec<Added>,
    #[serde(default)]
    changed: Vec<Changed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Split {
    id: String,
    into: Vec<String>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Added {
    id: String,
    status: Status,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Changed {
    id: String,
    conditions: Option<Vec<u8>>,
    #[serde(default)]
    features: Vec<String>,
}

/// How well a regime's requirement is covered by its provisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    Good,
    Partial,
    Weak,
    Gap,
    Policy,
}

/// One requirement of another regime, and the EN 303 645 provisions that decide it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub provisions: Vec<String>,
    pub fit: Fit,
    /// Lower levels this one includes (CLS).
    #[serde(default)]
    pub includes: Vec<String>,
    /// Evidence warden cannot give (lab work).
    #[serde(default)]
    pub needs: Vec<String>,
    /// A deemed-compliance route (PSTI Schedule 2).
    #[serde(default)]
    pub deemed: Option<String>,
    /// Regimes a policy row aligns with (the Dutch roadmap).
    #[serde(default)]
    pub aligned_with: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub unverified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crosswalk {
    pub regime: String,
    pub name: String,
    /// law | guideline | label | policy
    pub kind: String,
    pub source: String,
    #[serde(default)]
    pub catalog_version: Option<String>,
    #[serde(default)]
    pub levels: bool,
    #[serde(default)]
    pub unverified: bool,
    #[serde(rename = "row")]
    pub rows: Vec<Row>,
}

/// Every crosswalk, checked against `catalog`: every row's provisions exist
/// (4-1 included), every `includes` names a row of the same regime, every
/// `aligned_with` names a regime.
pub fn crosswalks(catalog: &Catalog) -> Result<Vec<Crosswalk>, DataError> {
    let mut out: Vec<Crosswalk> = Vec::new();
    for f in CROSSWALKS {
        let c: Crosswalk = parse(f)?;
        let err = |m: String| DataError::Invalid {
            file: f.0,
            message: m,
        };
        let ids: BTreeSet<&str> = c.rows.iter().map(|r| r.id.as_str()).collect();
        if ids.len() != c.rows.len() {
            return Err(err("a row id appears twice".into()));
        }
        for r in &c.rows {
            if let Some(p) = r.provisions.iter().find(|p| catalog.get(p).is_none()) {
                return Err(err(format!(
                    "row {}: no provision {p} in {}",
                    r.id, catalog.version
                )));
            }
            if let Some(i) = r.includes.iter().find(|i| !ids.contains(i.as_str())) {
                return Err(err(format!("row {}: includes unknown row {i}", r.id)));
            }
        }
        out.push(c);
    }
    let regimes: BTreeSet<String> = out.iter().map(|c| c.regime.clone()).collect();
    for c in &out {
        for r in &c.rows {
            if let Some(a) = r.aligned_with.iter().find(|a| !regimes.contains(*a)) {
                return Err(DataError::Invalid {
                    file: "data/crosswalk-*.toml",
                    message: format!("{} row {}: aligned with unknown regime {a}", c.regime, r.id),
                });
            }
        }
    }
    Ok(out)
}

/// Counts by status and conditionality: (M, M with conditions, R, R with conditions).
pub fn counts(c: &Catalog) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for p in &c.provisions {
        let k = match (p.status, p.conditional()) {
            (Status::M, false) => "M",
            (Status::M, true) => "M C",
            (Status::R, false) => "R",
            (Status::R, true) => "R C",
        };
        *m.entry(k).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_catalog_has_the_67_provisions_and_4_1() {
        let c = Catalog::v2_1_1().unwrap();
        let clause56: Vec<&Provision> = c.provisions.iter().filter(|p| p.id != "4-1").collect();
        assert_eq!(clause56.len(), 67);
        assert_eq!(c.get("4-1").unwrap().status, Status::M);
        let mut only56 = c.clone();
        only56.provisions.retain(|p| p.id != "4-1");
        let n = counts(&only56);
        assert_eq!((n["M"], n["M C"], n["R"], n["R C"]), (19, 13, 25, 10));
        assert_eq!(
            c.provisions
                .iter()
                .filter(|p| p.id.starts_with("6-"))
                .count(),
            5
        );
        assert_eq!(c.conditions.len(), 13);
        assert_eq!(c.get("5.1-1").unwrap().conditions, vec![1]);
        assert_eq!(c.get("5.3-6").unwrap().conditions, vec![9, 12]);
        // Our own titles, never ETSI's: a short line each.
        assert!(c.provisions.iter().all(|p| p.title.len() < 120));
    }

    #[test]
    fn v3_catalog_applies_the_listed_changes_and_marks_them() {
        let c = Catalog::v3_1_3().unwrap();
        assert!(c.get("4-1").is_none());
        assert!(c.get("5.0-1").unwrap().unverified);
        assert!(c.get("5.3-4").is_none());
        assert_eq!(c.get("5.6-4A").unwrap().status, Status::M);
        assert_eq!(c.get("5.6-4B").unwrap().status, Status::R);
        assert_eq!(c.get("6-6").unwrap().status, Status::M);
        assert_eq!(c.get("5.1-5").unwrap().conditions, vec![14]);
        assert_eq!(c.get("5.1-1").unwrap().features, vec!["a"]);
        // 67 + 4-1, six splits (+6), four additions.
        assert_eq!(c.provisions.len(), 68 + 6 + 4);
        // Ordered as the standard orders them.
        let i = |id: &str| c.provisions.iter().position(|p| p.id == id).unwrap();
        assert!(i("5.0-1") < i("5.1-1") && i("5.3-9") < i("5.3-10") && i("5.13-1B") < i("6-1"));
        assert!(c.provisions.iter().filter(|p| p.unverified).count() >= 20);
    }

    #[test]
    fn every_crosswalk_row_points_at_provisions_that_exist() {
        let c = Catalog::v2_1_1().unwrap();
        let x = crosswalks(&c).unwrap();
        let names: Vec<&str> = x.iter().map(|c| c.regime.as_str()).collect();
        assert_eq!(
            names,
            [
                "uk-cop",
                "uk-psti",
                "eu-cra",
                "us-nist-ir-8425",
                "sg-cls",
                "fi-label",
                "nl-roadmap"
            ]
        );
        let cop = &x[0];
        assert_eq!(cop.rows.len(), 13);
        // Every provision of clauses 5 and 6 sits under exactly one CoP guideline.
        let mut all: Vec<&String> = cop.rows.iter().flat_map(|r| &r.provisions).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 67);
        let psti = &x[1];
        assert_eq!(psti.catalog_version.as_deref(), Some("V2.1.1"));
        assert!(psti.rows.iter().all(|r| r.deemed.is_some()));
        let cls = &x[4];
        assert_eq!(
            cls.rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["L1", "L2", "L3", "L4"]
        );
        assert_eq!(x[5].rows[0].provisions.len(), 18);
        // The roadmap carries no provisions: policy alignment only.
        assert!(x[6]
            .rows
            .iter()
            .all(|r| r.provisions.is_empty() && r.fit == Fit::Policy));
    }

    #[test]
    fn a_row_naming_a_missing_provision_is_refused() {
        let mut c = Catalog::v2_1_1().unwrap();
        c.provisions.retain(|p| p.id != "5.3-13");
        let e = crosswalks(&c).unwrap_err().to_string();
        assert!(e.contains("no provision 5.3-13"), "{e}");
    }
}
