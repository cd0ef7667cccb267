//! Known vulnerabilities from an OSV database the operator imports, and
//! offline matching of SBOM components against it.
//!
//! The operator downloads an ecosystem archive (OSV's `all.zip` per
//! ecosystem, or an advisory database's OSV export) and imports it with
//! `warden vuln import FILE.zip`; nothing is fetched at run time. Records
//! are read with the `osv` crate's types, CVSS vectors scored with the
//! `cvss` crate. A component matches a record when its package URL names
//! the record's ecosystem and package and its version lies in an affected
//! range (`SEMVER` and `ECOSYSTEM` ranges, compared as [`crate::version`]
//! says; `GIT` ranges need commits an SBOM rarely has and are skipped) or
//! in the record's list of affected versions. Withdrawn records never
//! match.

use crate::sbom::Component;
use crate::version;
use std::collections::HashMap;
use std::io::{Read, Seek};

/// The largest record warden reads from an archive (bytes).
pub const MAX_RECORD_BYTES: u64 = 4 << 20;
/// The most entries an archive may hold.
pub const MAX_ENTRIES: usize = 2_000_000;

/// One vulnerability record, as warden keeps it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// The highest CVSS base score among the record's vectors.
    pub score: Option<f64>,
    pub vector: Option<String>,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// Up to this version, not included (`fixed`, `limit`).
    Before,
    /// Up to and including it (`last_affected`).
    Through,
}

#[derive(Debug, Clone)]
struct Interval {
    introduced: String,
    end: Option<(String, Bound)>,
}

#[derive(Debug, Clone)]
struct Affected {
    record: u32,
    intervals: Vec<Interval>,
    versions: Vec<String>,
}

/// One component found vulnerable.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub purl: String,
    pub version: String,
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub score: Option<f64>,
    /// The first fixed version above the component's, when there is one.
    pub fixed: Option<String>,
}

/// The imported database, indexed by (ecosystem, package).
#[derive(Debug, Default)]
pub struct VulnDb {
    records: Vec<Record>,
    by_package: HashMap<(String, String), Vec<Affected>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OsvError {
    #[error("{place}: {why}")]
    Record { place: String, why: String },
    #[error("the archive: {0}")]
    Archive(String),
}

/// What an import did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportReport {
    pub entries: usize,
    pub records: usize,
    /// Entries that were not records warden could read, with why (the
    /// first 20).
    pub refused: Vec<String>,
    pub refused_count: usize,
}

/// An ecosystem's key: OSV's name up to a colon ("Debian:12" -> "debian").
fn eco_key(e: &str) -> String {
    e.split(':').next().unwrap_or("").to_ascii_lowercase()
}

/// The OSV ecosystem and package name a package URL stands for.
pub fn purl_package(purl: &str) -> Option<(String, String, Option<String>)> {
    let p: packageurl::PackageUrl<'static> = purl.parse().ok()?;
    let ns = p.namespace().filter(|n| !n.is_empty());
    let name = p.name();
    let (eco, pkg) = match p.ty() {
        "cargo" => ("crates.io", name.to_string()),
        "npm" => (
            "npm",
            match ns {
                Some(n) => format!("{n}/{name}"),
                None => name.to_string(),
            },
        ),
        "pypi" => ("pypi", name.to_ascii_lowercase().replace(['_', '.'], "-")),
        "golang" => (
            "go",
            match ns {
                Some(n) => format!("{n}/{name}"),
                None => name.to_string(),
            },
        ),
        "maven" => ("maven", format!("{}:{name}", ns?)),
        "composer" => ("packagist", format!("{}/{name}", ns?)),
        "gem" => ("rubygems", name.to_string()),
        "nuget" => ("nuget", name.to_string()),
        "hex" => ("hex", name.to_string()),
        "pub" => ("pub", name.to_string()),
        "deb" => ("debian", name.to_string()),
        "apk" => ("alpine", name.to_string()),
        "swift" => ("swiftURL", name.to_string()),
        _ => return None,
    };
    Some((
        eco.to_ascii_lowercase(),
        pkg,
        p.version().map(str::to_string),
    ))
}

fn record_score(sev: &[osv::schema::Severity]) -> (Option<f64>, Option<String>) {
    let mut best: (Option<f64>, Option<String>) = (None, None);
    for s in sev {
        if let Ok(c) = s.score.parse::<cvss::Cvss>() {
            let v = c.score();
            if best.0.is_none_or(|b| v > b) {
                best = (Some(v), Some(s.score.clone()));
            }
        }
    }
    best
}

impl VulnDb {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn packages(&self) -> usize {
        self.by_package.len()
    }

    /// The (ecosystem, package) pairs the database knows, for benchmarks.
    pub fn package_names(&self) -> impl Iterator<Item = &(String, String)> {
        self.by_package.keys()
    }

    /// Adds one OSV record (JSON). `place` names it in errors.
    pub fn add_json(&mut self, body: &[u8], place: &str) -> Result<&Record, OsvError> {
        let v: osv::schema::Vulnerability =
            serde_json::from_slice(body).map_err(|e| OsvError::Record {
                place: place.to_string(),
                why: e.to_string(),
            })?;
        let (mut score, mut vector) = record_score(v.severity.as_deref().unwrap_or_default());
        let idx = u32::try_from(self.records.len()).map_err(|_| OsvError::Record {
            place: place.into(),
            why: "too many records".into(),
        })?;
        for a in v.affected.iter().flatten() {
            let Some(pkg) = &a.package else { continue };
            if score.is_none() {
                (score, vector) = record_score(a.severity.as_deref().unwrap_or_default());
            }
            let eco = eco_key(
                &serde_json::to_value(&pkg.ecosystem)
                    .ok()
                    .and_then(|e| e.as_str().map(str::to_string))
                    .unwrap_or_default(),
            );
            let name = if eco == "pypi" {
                pkg.name.to_ascii_lowercase().replace(['_', '.'], "-")
            } else {
                pkg.name.clone()
            };
            let mut intervals = Vec::new();
            for r in a.ranges.iter().flatten() {
                if matches!(r.range_type, osv::schema::RangeType::Git) {
                    continue;
                }
                let mut cur: Option<String> = None;
                for e in &r.events {
                    match e {
                        osv::schema::Event::Introduced(x) => cur = Some(x.clone()),
                        osv::schema::Event::Fixed(y) | osv::schema::Event::Limit(y) => {
                            if let Some(i) = cur.take() {
                                intervals.push(Interval {
                                    introduced: i,
                                    end: Some((y.clone(), Bound::Before)),
                                });
                            }
                        }
                        osv::schema::Event::LastAffected(y) => {
                            if let Some(i) = cur.take() {
                                intervals.push(Interval {
                                    introduced: i,
                                    end: Some((y.clone(), Bound::Through)),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(i) = cur {
                    intervals.push(Interval {
                        introduced: i,
                        end: None,
                    });
                }
            }
            self.by_package
                .entry((eco, name))
                .or_default()
                .push(Affected {
                    record: idx,
                    intervals,
                    versions: a.versions.clone().unwrap_or_default(),
                });
        }
        self.records.push(Record {
            id: v.id,
            aliases: v.aliases.unwrap_or_default(),
            summary: v.summary,
            score,
            vector,
            withdrawn: v.withdrawn.is_some(),
        });
        Ok(&self.records[idx as usize])
    }

    /// Reads every `.json` entry of an OSV archive. An entry that is not a
    /// record is refused by name and the import goes on; a broken archive
    /// is an error.
    pub fn import_zip<R: Read + Seek>(&mut self, r: R) -> Result<ImportReport, OsvError> {
        self.import_zip_with(r, |_, _| {})
    }

    /// As [`VulnDb::import_zip`], handing each accepted record's bytes to
    /// `keep` (the store keeps them).
    pub fn import_zip_with<R: Read + Seek>(
        &mut self,
        r: R,
        mut keep: impl FnMut(&Record, &[u8]),
    ) -> Result<ImportReport, OsvError> {
        let mut z = zip::ZipArchive::new(r).map_err(|e| OsvError::Archive(e.to_string()))?;
        if z.len() > MAX_ENTRIES {
            return Err(OsvError::Archive(format!(
                "{} entries; warden reads at most {MAX_ENTRIES}",
                z.len()
            )));
        }
        let mut rep = ImportReport::default();
        let mut buf = Vec::new();
        for i in 0..z.len() {
            let mut f = z
                .by_index(i)
                .map_err(|e| OsvError::Archive(format!("entry {i}: {e}")))?;
            let name = f.name().to_string();
            if f.is_dir() || !name.ends_with(".json") {
                continue;
            }
            rep.entries += 1;
            let refuse = |why: String, rep: &mut ImportReport| {
                rep.refused_count += 1;
                if rep.refused.len() < 20 {
                    rep.refused.push(format!("{name}: {why}"));
                }
            };
            if f.size() > MAX_RECORD_BYTES {
                refuse(
                    format!("{} bytes; at most {MAX_RECORD_BYTES}", f.size()),
                    &mut rep,
                );
                continue;
            }
            buf.clear();
            // The declared size may lie: read at most one byte more.
            if let Err(e) = (&mut f).take(MAX_RECORD_BYTES + 1).read_to_end(&mut buf) {
                refuse(e.to_string(), &mut rep);
                continue;
            }
            if buf.len() as u64 > MAX_RECORD_BYTES {
                refuse("larger than it says".into(), &mut rep);
                continue;
            }
            match self.add_json(&buf, &name) {
                Ok(rec) => {
                    keep(rec, &buf);
                    rep.records += 1;
                }
                Err(OsvError::Record { why, .. }) => refuse(why, &mut rep),
                Err(e) => refuse(e.to_string(), &mut rep),
            }
        }
        Ok(rep)
    }

    /// The records that affect one component (none without a purl and a
    /// version).
    pub fn matches(&self, c: &Component) -> Vec<Match> {
        let Some(purl) = &c.purl else {
            return Vec::new();
        };
        let Some((eco, name, pv)) = purl_package(purl) else {
            return Vec::new();
        };
        let Some(version) = pv.or_else(|| c.version.clone()) else {
            return Vec::new();
        };
        let Some(list) = self.by_package.get(&(eco, name)) else {
            return Vec::new();
        };
        let mut out: Vec<Match> = Vec::new();
        for a in list {
            let rec = &self.records[a.record as usize];
            if rec.withdrawn || out.iter().any(|m| m.id == rec.id) {
                continue;
            }
            let listed = a.versions.iter().any(|v| v == &version);
            let hit = a.intervals.iter().find(|iv| {
                let after = iv.introduced == "0"
                    || version::compare(&version, &iv.introduced) != std::cmp::Ordering::Less;
                let before = match &iv.end {
                    None => true,
                    Some((e, Bound::Before)) => {
                        version::compare(&version, e) == std::cmp::Ordering::Less
                    }
                    Some((e, Bound::Through)) => {
                        version::compare(&version, e) != std::cmp::Ordering::Greater
                    }
                };
                after && before
            });
            if !listed && hit.is_none() {
                continue;
            }
            let fixed = hit
                .and_then(|iv| match &iv.end {
                    Some((e, Bound::Before)) => Some(e.clone()),
                    _ => None,
                })
                .or_else(|| {
                    // Listed versions: the lowest fixed version above it.
                    a.intervals
                        .iter()
                        .filter_map(|iv| match &iv.end {
                            Some((e, Bound::Before))
                                if version::compare(e, &version) == std::cmp::Ordering::Greater =>
                            {
                                Some(e.clone())
                            }
                            _ => None,
                        })
                        .min_by(|x, y| version::compare(x, y))
                });
            out.push(Match {
                purl: purl.clone(),
                version: version.clone(),
                id: rec.id.clone(),
                aliases: rec.aliases.clone(),
                summary: rec.summary.clone(),
                score: rec.score,
                fixed,
            });
        }
        out
    }

    /// Every match for a device's components.
    pub fn match_all(&self, components: &[Component]) -> Vec<Match> {
        components.iter().flat_map(|c| self.matches(c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (VulnDb, ImportReport) {
        let f = std::fs::File::open(format!(
            "{}/tests/data/osv/crates.io-rustsec.zip",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut db = VulnDb::default();
        let rep = db.import_zip(f).unwrap();
        (db, rep)
    }

    fn comp(purl: &str) -> Component {
        Component {
            name: "x".into(),
            version: None,
            purl: Some(purl.into()),
        }
    }

    #[test]
    fn the_real_rustsec_archive_imports_whole() {
        let (db, rep) = db();
        assert_eq!(rep.entries, 1206);
        assert_eq!(rep.records, 1206, "{:?}", rep.refused);
        assert_eq!(db.len(), 1206);
        assert!(db.packages() > 500);
    }

    #[test]
    fn the_real_spdx_example_s_tokio_is_affected_and_the_fix_is_named() {
        let (db, _) = db();
        let m = db.matches(&comp("pkg:cargo/tokio@1.19.2"));
        let r = m
            .iter()
            .find(|m| m.id == "RUSTSEC-2023-0001")
            .expect("{m:?}");
        assert_eq!(r.fixed.as_deref(), Some("1.20.3"));
        assert!(
            r.aliases.iter().any(|a| a == "CVE-2023-22466"),
            "{:?}",
            r.aliases
        );
        assert!(db
            .matches(&comp("pkg:cargo/tokio@1.20.3"))
            .iter()
            .all(|m| m.id != "RUSTSEC-2023-0001"));
        // tough before 0.7.1, with its CVSS score.
        let t = db.matches(&comp("pkg:cargo/tough@0.7.0"));
        let t = t.iter().find(|m| m.id == "RUSTSEC-2020-0024").unwrap();
        assert_eq!(t.fixed.as_deref(), Some("0.7.1"));
        assert!(t.score.unwrap() > 7.0);
        assert!(db.matches(&comp("pkg:cargo/tough@0.7.1")).is_empty());
        assert!(db.matches(&comp("pkg:npm/tough@0.7.0")).is_empty());
        assert!(db.matches(&comp("not a purl")).is_empty());
    }

    #[test]
    fn broken_records_are_refused_by_name_and_the_rest_imported() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("good.json", o).unwrap();
            z.write_all(br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"demo"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#).unwrap();
            z.start_file("bad.json", o).unwrap();
            z.write_all(b"{\"id\": 7}").unwrap();
            z.start_file("README.md", o).unwrap();
            z.write_all(b"not a record").unwrap();
            z.finish().unwrap();
        }
        buf.set_position(0);
        let mut db = VulnDb::default();
        let rep = db.import_zip(buf).unwrap();
        assert_eq!((rep.entries, rep.records, rep.refused_count), (2, 1, 1));
        assert!(
            rep.refused[0].starts_with("bad.json: "),
            "{:?}",
            rep.refused
        );
        let m = db.matches(&Component {
            name: "demo".into(),
            version: Some("1.1.9".into()),
            purl: Some("pkg:cargo/demo".into()),
        });
        assert_eq!(m[0].fixed.as_deref(), Some("1.2.0"));
        assert!(VulnDb::default()
            .import_zip(std::io::Cursor::new(b"PK not a zip".to_vec()))
            .is_err());
    }

    #[test]
    fn purls_map_to_osv_ecosystems() {
        assert_eq!(
            purl_package("pkg:npm/%40babel/core@7.0.0").unwrap(),
            ("npm".into(), "@babel/core".into(), Some("7.0.0".into()))
        );
        assert_eq!(
            purl_package("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
                .unwrap()
                .1,
            "org.apache.logging.log4j:log4j-core"
        );
        assert_eq!(
            purl_package("pkg:deb/debian/openssl@3.0.11-1?arch=amd64")
                .unwrap()
                .0,
            "debian"
        );
        assert_eq!(
            purl_package("pkg:pypi/Django_Rest@1").unwrap().1,
            "django-rest"
        );
        assert!(purl_package("pkg:unknowntype/x@1").is_none());
    }
}
