//! Each device's software and its known vulnerabilities (RFC 9472).
//!
//! The device's SBOM (uploaded by a person, or fetched from the `sbom-url`
//! its MUD file names) is matched offline against the OSV database the
//! operator imported (`warden vuln import`). The maker's CSAF advisories
//! (uploaded, or fetched from the MUD file's `vuln-url`) add what they say
//! about this device (maker, model and software version from its MUD
//! file): a "known not affected" or "fixed" statement for a vulnerability
//! (by its id or any alias) overrides an OSV match and silences its alert.
//! A vulnerability that is known to affect the device and has a fixed
//! version it does not run raises `vuln.fixable`, once per device and
//! vulnerability.

use super::*;
use warden_lifecycle::advisory::{Advisory, DeviceProduct, Status};
use warden_lifecycle::osv::VulnDb;
use warden_lifecycle::sbom;

/// One vulnerability of one device.
#[derive(Debug, Clone, Serialize)]
pub struct VulnFinding {
    pub id: String,
    pub aliases: Vec<String>,
    /// "known affected", "known not affected", "fixed", "under investigation".
    pub status: &'static str,
    /// The package URL and version that matched (OSV), when it was a match.
    pub component: Option<String>,
    pub version: Option<String>,
    pub fixed: Option<String>,
    pub score: Option<f64>,
    pub summary: Option<String>,
    /// Where the status comes from: "OSV" or the advisory's id.
    pub source: String,
    /// The vendor's fix in its own words (CSAF).
    pub fix: Option<String>,
}

/// What warden knows of a device's software.
#[derive(Debug, Clone, Serialize, Default)]
pub struct VulnReport {
    pub sbom_format: Option<String>,
    pub sbom_source: Option<String>,
    pub sbom_subject: Option<String>,
    pub components: usize,
    /// Maker, model and version as matched against advisories.
    pub product: Option<(String, String, String)>,
    pub advisories: Vec<String>,
    pub database_records: usize,
    pub findings: Vec<VulnFinding>,
}

/// `warden vuln import`: reads an OSV archive and replaces the store's
/// records with it in one transaction (the running gateway loads them when
/// told, `POST /api/v1/vulnerabilities/reload`, or at its next start).
/// Returns what the import did and the seconds reading and storing took.
pub fn import_archive(
    store_path: &std::path::Path,
    archive: &std::path::Path,
    now: i64,
) -> Result<(warden_lifecycle::osv::ImportReport, f64, f64), CoreError> {
    let t0 = std::time::Instant::now();
    let f = std::fs::File::open(archive)
        .map_err(|e| CoreError::Invalid(format!("{}: {e}", archive.display())))?;
    let mut kept: Vec<(String, Vec<u8>)> = Vec::new();
    let rep = VulnDb::default()
        .import_zip_with(std::io::BufReader::new(f), |r, b| {
            kept.push((r.id.clone(), b.to_vec()))
        })
        .map_err(|e| CoreError::Invalid(format!("{}: {e}", archive.display())))?;
    let read_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let mut store = SqliteStore::open(store_path)
        .map_err(|e| CoreError::Store(format!("{}: {e}", store_path.display())))?;
    store
        .replace_vuln_records(kept.iter().map(|(i, b)| (i.as_str(), b.as_slice())), now)
        .map_err(|e| CoreError::Store(format!("{}: {e}", store_path.display())))?;
    let _ = store.record_event(
        now,
        None,
        "vuln-import",
        &json!({"file": archive.display().to_string(), "records": rep.records, "refused": rep.refused_count}),
    );
    Ok((rep, read_s, t1.elapsed().as_secs_f64()))
}

/// How often the documents a MUD file points at are fetched again.
pub const DOCUMENT_REFRESH_S: i64 = 86_400;
/// How many document fetches one check starts at most.
pub const DOCUMENTS_PER_CHECK: usize = 8;

impl Core {
    /// The documents the devices' MUD files point at (RFC 9472 `sbom-url`
    /// and `vuln-url`, HTTPS only) that are due: never fetched, or not for
    /// a day. (device, URL, true for an SBOM / false for an advisory).
    pub fn documents_due(&mut self, now: i64) -> Vec<(MacAddr, String, bool)> {
        let mut due = Vec::new();
        for d in self.devices.values() {
            let Some(t) = d.mud.as_ref().and_then(|m| m.meta().transparency.as_ref()) else {
                continue;
            };
            let urls = t
                .sbom_url
                .iter()
                .map(|u| (u.clone(), true))
                .chain(t.vuln_urls.iter().map(|u| (u.clone(), false)));
            for (url, sbom) in urls {
                if !url.starts_with("https://") {
                    continue;
                }
                let key = (d.mac, url.clone());
                if self
                    .docs_fetched
                    .get(&key)
                    .is_some_and(|t| now - t < DOCUMENT_REFRESH_S)
                {
                    continue;
                }
                due.push((d.mac, url, sbom));
                if due.len() >= DOCUMENTS_PER_CHECK {
                    break;
                }
            }
        }
        for (mac, url, _) in &due {
            self.docs_fetched.insert((*mac, url.clone()), now);
        }
        due
    }

    /// A document fetched for a device: kept when it reads as what it
    /// should be; otherwise an event says why, and nothing is kept.
    pub fn on_document(
        &mut self,
        mac: &MacAddr,
        url: &str,
        sbom: bool,
        r: Result<Vec<u8>, String>,
        now: i64,
    ) {
        if !self.devices.contains_key(mac) {
            return;
        }
        let by = if sbom {
            "warden (its MUD file's sbom-url)"
        } else {
            "warden (its MUD file's vuln-url)"
        };
        let kept = r.and_then(|body| {
            if sbom {
                self.put_sbom(mac, &body, url, by, now)
            } else {
                self.put_advisory(mac, &body, url, by, now)
            }
            .map_err(|e| e.to_string())
        });
        if let Err(e) = kept {
            self.event(
                now,
                Some(mac),
                "document-refused",
                json!({"url": url, "error": e}),
            );
        }
    }

    /// Loads the imported OSV records from the store (at start and after
    /// `warden vuln import`).
    pub fn reload_vulns(&mut self) -> Result<usize, CoreError> {
        let (bodies, _) = self.store.vuln_records()?;
        let mut db = VulnDb::default();
        for (i, b) in bodies.iter().enumerate() {
            // Records were checked at import; one the crate no longer reads
            // is skipped, not fatal.
            let _ = db.add_json(b, &format!("stored record {i}"));
        }
        self.vulndb = db;
        Ok(self.vulndb.len())
    }

    pub fn vuln_records(&self) -> usize {
        self.vulndb.len()
    }

    fn product_of(d: &Dev) -> Option<DeviceProduct> {
        let m = d.mud.as_ref()?;
        Some(DeviceProduct {
            maker: m.meta().mfg_name.clone()?,
            model: m.meta().model_name.clone()?,
            version: m
                .meta()
                .software_rev
                .clone()
                .or_else(|| m.meta().firmware_rev.clone())?,
        })
    }

    /// Keeps a device's SBOM after reading it (a document warden cannot
    /// read is refused and nothing is stored).
    pub fn put_sbom(
        &mut self,
        mac: &MacAddr,
        bytes: &[u8],
        source: &str,
        by: &str,
        now: i64,
    ) -> Result<String, CoreError> {
        if !self.devices.contains_key(mac) {
            return Err(CoreError::NoSuchDevice);
        }
        let s = sbom::read(bytes).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let doc = warden_store::lifecycle::Document {
            source: source.into(),
            format: s.format.clone(),
            body: bytes.to_vec(),
            at: now,
        };
        self.store.set_device_software(&mac_s(mac), &doc)?;
        let what = format!("{} with {} components", s.format, s.components.len());
        self.event(
            now,
            Some(mac),
            "sbom",
            json!({"source": source, "format": s.format, "components": s.components.len(), "by": by}),
        );
        self.check_vulns(mac, now);
        Ok(what)
    }

    /// Keeps one of a device's CSAF advisories (refused when unreadable).
    pub fn put_advisory(
        &mut self,
        mac: &MacAddr,
        bytes: &[u8],
        source: &str,
        by: &str,
        now: i64,
    ) -> Result<String, CoreError> {
        if !self.devices.contains_key(mac) {
            return Err(CoreError::NoSuchDevice);
        }
        let a = Advisory::read(bytes).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let doc = warden_store::lifecycle::Document {
            source: source.into(),
            format: "CSAF".into(),
            body: bytes.to_vec(),
            at: now,
        };
        self.store.set_device_advisory(&mac_s(mac), &doc)?;
        self.event(
            now,
            Some(mac),
            "advisory",
            json!({"source": source, "advisory": a.id(), "by": by}),
        );
        self.check_vulns(mac, now);
        Ok(a.id())
    }

    /// Everything known about the device's vulnerabilities.
    pub fn vulnerabilities(&self, mac: &MacAddr) -> Option<VulnReport> {
        let d = self.devices.get(mac)?;
        let m = mac_s(mac);
        let mut r = VulnReport {
            database_records: self.vulndb.len(),
            ..Default::default()
        };
        let product = Self::product_of(d);
        r.product = product
            .as_ref()
            .map(|p| (p.maker.clone(), p.model.clone(), p.version.clone()));
        // The maker's statements first: they decide over OSV.
        let mut vex: Vec<warden_lifecycle::advisory::Finding> = Vec::new();
        for doc in self.store.device_advisories(&m).ok().unwrap_or_default() {
            let Ok(a) = Advisory::read(&doc.body) else {
                continue;
            };
            r.advisories.push(a.id());
            if let Some(p) = &product {
                vex.extend(a.findings(p));
            }
        }
        if let Some(doc) = self.store.device_software(&m).ok().flatten() {
            if let Ok(s) = sbom::read(&doc.body) {
                r.sbom_format = Some(s.format.clone());
                r.sbom_source = Some(doc.source.clone());
                r.sbom_subject = s.subject.clone();
                r.components = s.components.len();
                for hit in self.vulndb.match_all(&s.components) {
                    let said = vex
                        .iter()
                        .find(|f| f.id == hit.id || hit.aliases.iter().any(|a| a == &f.id));
                    let (status, source, fix) = match said {
                        Some(f) => (f.status.name(), f.advisory.clone(), f.fix.clone()),
                        None => (Status::KnownAffected.name(), "OSV".to_string(), None),
                    };
                    r.findings.push(VulnFinding {
                        id: hit.id,
                        aliases: hit.aliases,
                        status,
                        component: Some(hit.purl),
                        version: Some(hit.version),
                        fixed: hit.fixed,
                        score: hit.score,
                        summary: hit.summary,
                        source,
                        fix,
                    });
                }
            }
        }
        // What the advisories say that no OSV match covered.
        for f in vex {
            if r.findings
                .iter()
                .any(|x| x.id == f.id || x.aliases.iter().any(|a| a == &f.id))
            {
                continue;
            }
            r.findings.push(VulnFinding {
                id: f.id,
                aliases: vec![],
                status: f.status.name(),
                component: None,
                version: product.as_ref().map(|p| p.version.clone()),
                fixed: None,
                score: f.score,
                summary: Some(f.title),
                source: f.advisory,
                fix: f.fix,
            });
        }
        r.findings.sort_by(|a, b| {
            (a.status != "known affected")
                .cmp(&(b.status != "known affected"))
                .then(b.score.unwrap_or(0.0).total_cmp(&a.score.unwrap_or(0.0)))
                .then(a.id.cmp(&b.id))
        });
        Some(r)
    }

    /// Alerts each known-affected vulnerability that has a fix the device
    /// does not run, once per device and vulnerability.
    pub fn check_vulns(&mut self, mac: &MacAddr, now: i64) {
        let Some(r) = self.vulnerabilities(mac) else {
            return;
        };
        for f in r.findings {
            if f.status != "known affected" || (f.fixed.is_none() && f.fix.is_none()) {
                continue;
            }
            if !self.vulns_alerted.insert((*mac, f.id.clone())) {
                continue;
            }
            // Remembered across restarts (until retention prunes it: then
            // a reminder).
            self.event(now, Some(mac), "vuln-alerted", json!({"id": f.id}));
            let severity = match f.score {
                Some(s) if s >= 9.0 => "critical",
                Some(s) if s >= 7.0 => "high",
                _ => "medium",
            };
            let what = match (&f.component, &f.version, &f.fixed) {
                (Some(c), Some(v), Some(x)) => format!(
                    "its software contains {c} (version {v}), which has {}; version {x} fixes it",
                    f.id
                ),
                _ => format!(
                    "the maker says it is affected by {}: {}",
                    f.id,
                    f.fix.clone().unwrap_or_default()
                ),
            };
            self.alert(
                now,
                Some(mac),
                "vuln.fixable",
                severity,
                &format!("A known weakness with a fix: {what}. Update the device's software."),
                json!({"id": f.id, "aliases": f.aliases, "component": f.component, "version": f.version, "fixed": f.fixed, "score": f.score, "source": f.source}),
            );
        }
    }

    /// Checks every device (after an import).
    pub fn check_all_vulns(&mut self, now: i64) {
        let macs: Vec<MacAddr> = self.devices.keys().copied().collect();
        for m in macs {
            self.check_vulns(&m, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(p: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../warden-lifecycle/tests/data/{p}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn core() -> Core {
        test_core("")
    }

    fn device(c: &mut Core, maker: &str, model: &str, version: &str) -> MacAddr {
        let mac = MacAddr([2, 0, 0, 0, 0, 7]);
        c.on_event(
            Event::Dhcp {
                mac,
                mud_url: None,
                hostname: Some("gadget".into()),
                vendor_class: None,
                at: std::time::Instant::now(),
                via: "dhcp",
            },
            100,
        );
        let doc = serde_json::json!({"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://maker.example/g.json",
            "last-update": "2026-01-10T00:00:00Z", "is-supported": true, "systeminfo": "gadget",
            "mfg-name": maker, "model-name": model, "software-rev": version,
            "from-device-policy": {"access-lists": {"access-list": [{"name": "f"}]}}},
            "ietf-access-control-list:acls": {"acl": [{"name": "f", "type": "ipv4-acl-type", "aces": {"ace": []}}]}});
        let v = load(
            &serde_json::to_vec(&doc).unwrap(),
            &ValidateOptions::default(),
        )
        .unwrap();
        c.devices.get_mut(&mac).unwrap().mud = Some(v.mud);
        mac
    }

    /// The rustsec archive into the store, then into the core.
    fn import(c: &mut Core) {
        let f = std::fs::File::open(format!(
            "{}/../warden-lifecycle/tests/data/osv/crates.io-rustsec.zip",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut kept = Vec::new();
        VulnDb::default()
            .import_zip_with(f, |r, b| kept.push((r.id.clone(), b.to_vec())))
            .unwrap();
        c.store
            .replace_vuln_records(kept.iter().map(|(i, b)| (i.as_str(), b.as_slice())), 1)
            .unwrap();
        assert_eq!(c.reload_vulns().unwrap(), 1206);
    }

    /// A made VEX statement (CSAF 2.0) about the device's own product.
    fn vex(status: &str, cve: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
          "document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "Gadget and tokio",
            "publisher": {"category": "vendor", "name": "Acme", "namespace": "https://acme.example"},
            "tracking": {"id": "ACME-2026-1", "status": "final", "version": "1",
              "initial_release_date": "2026-01-01T00:00:00Z", "current_release_date": "2026-01-01T00:00:00Z",
              "revision_history": [{"number": "1", "date": "2026-01-01T00:00:00Z", "summary": "first"}]}},
          "product_tree": {"branches": [{"category": "vendor", "name": "Acme", "branches": [
            {"category": "product_name", "name": "Gadget", "branches": [
              {"category": "product_version", "name": "2.1", "product": {"name": "Acme Gadget 2.1", "product_id": "G-2.1"}}]}]}]},
          "vulnerabilities": [{"cve": cve, "product_status": {status: ["G-2.1"]}}]
        }))
        .unwrap()
    }

    #[test]
    fn a_known_affected_component_is_flagged_with_its_fix_and_a_vex_statement_silences_it() {
        let mut c = core();
        import(&mut c);
        let mac = device(&mut c, "Acme", "Gadget", "2.1");
        let sbom = data("sbom/example11-sbom.spdx.json");
        c.put_sbom(&mac, &sbom, "upload", "ann (owner)", 200)
            .unwrap();
        let r = c.vulnerabilities(&mac).unwrap();
        let t = r
            .findings
            .iter()
            .find(|f| f.id == "RUSTSEC-2023-0001")
            .unwrap();
        assert_eq!(
            (t.status, t.fixed.as_deref()),
            ("known affected", Some("1.20.3"))
        );
        let alerts = c.store.alerts(Some(&mac.to_string()), 50).unwrap();
        let a = alerts
            .iter()
            .find(|a| a.kind == "vuln.fixable" && a.evidence["id"] == "RUSTSEC-2023-0001")
            .expect("alerted");
        assert!(
            a.explanation.contains("version 1.20.3 fixes it"),
            "{}",
            a.explanation
        );
        // Again: no second alert.
        let n = alerts.len();
        c.check_vulns(&mac, 300);
        assert_eq!(c.store.alerts(Some(&mac.to_string()), 50).unwrap().len(), n);

        // Another device with the maker's VEX: not affected, so not alerted.
        let mut c = core();
        import(&mut c);
        let mac = device(&mut c, "Acme", "Gadget", "2.1");
        c.put_advisory(
            &mac,
            &vex("known_not_affected", "CVE-2023-22466"),
            "upload",
            "ann (owner)",
            150,
        )
        .unwrap();
        c.put_sbom(&mac, &sbom, "upload", "ann (owner)", 200)
            .unwrap();
        let r = c.vulnerabilities(&mac).unwrap();
        let t = r
            .findings
            .iter()
            .find(|f| f.id == "RUSTSEC-2023-0001")
            .unwrap();
        assert_eq!(
            (t.status, t.source.as_str()),
            ("known not affected", "ACME-2026-1")
        );
        assert!(!c
            .store
            .alerts(Some(&mac.to_string()), 50)
            .unwrap()
            .iter()
            .any(|a| a.evidence["id"] == "RUSTSEC-2023-0001"));
        // The same statement about another version does not apply.
        let mut c = core();
        import(&mut c);
        let mac = device(&mut c, "Acme", "Gadget", "2.2");
        c.put_advisory(
            &mac,
            &vex("known_not_affected", "CVE-2023-22466"),
            "upload",
            "ann (owner)",
            150,
        )
        .unwrap();
        c.put_sbom(&mac, &sbom, "upload", "ann (owner)", 200)
            .unwrap();
        let r = c.vulnerabilities(&mac).unwrap();
        assert_eq!(
            r.findings
                .iter()
                .find(|f| f.id == "RUSTSEC-2023-0001")
                .unwrap()
                .status,
            "known affected"
        );
    }

    #[test]
    fn unreadable_documents_are_refused_and_nothing_is_stored() {
        let mut c = core();
        let mac = device(&mut c, "Acme", "Gadget", "2.1");
        assert!(c
            .put_sbom(&mac, b"{\"hello\": 1}", "upload", "ann", 1)
            .is_err());
        assert!(c.put_advisory(&mac, b"[]", "upload", "ann", 1).is_err());
        assert!(c.store.device_software(&mac.to_string()).unwrap().is_none());
        assert!(c
            .store
            .device_advisories(&mac.to_string())
            .unwrap()
            .is_empty());
        // The real camera advisory for a Mobotix camera the device is not.
        let a = data("csaf/icsa-24-235-03.json");
        assert_eq!(
            c.put_advisory(&mac, &a, "upload", "ann", 2).unwrap(),
            "ICSA-24-235-03"
        );
        assert!(c.vulnerabilities(&mac).unwrap().findings.is_empty());
    }
}
