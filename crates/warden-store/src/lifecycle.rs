//! What the store keeps about a device's life after the sale: a person's
//! support-period entry, the support milestone last alerted, the device's
//! SBOM and security advisories (as fetched or uploaded, bytes unchanged),
//! and the vulnerability records the operator imported.
//!
//! Every table about a device has a `mac` column, so export and erase
//! ([`crate::erase`]) cover them without a change.

use crate::{Result, SqliteStore};
use rusqlite::{params, OptionalExtension};

/// A support end entered by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportEntry {
    /// YYYY-MM-DD.
    pub end_date: String,
    pub reason: String,
    pub by: String,
    pub at: i64,
}

/// A document kept for a device: where it came from and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub source: String,
    pub format: String,
    pub body: Vec<u8>,
    pub at: i64,
}

impl SqliteStore {
    pub fn set_support_entry(&mut self, mac: &str, e: &SupportEntry) -> Result<()> {
        self.db.execute(
            "INSERT INTO device_support (mac, end_date, reason, by, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(mac) DO UPDATE SET end_date = ?2, reason = ?3, by = ?4, at = ?5",
            params![mac, e.end_date, e.reason, e.by, e.at],
        )?;
        Ok(())
    }

    pub fn support_entry(&self, mac: &str) -> Result<Option<SupportEntry>> {
        Ok(self
            .db
            .query_row(
                "SELECT end_date, reason, by, at FROM device_support WHERE mac = ?1",
                [mac],
                |r| {
                    Ok(SupportEntry {
                        end_date: r.get(0)?,
                        reason: r.get(1)?,
                        by: r.get(2)?,
                        at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every device's support entry.
    pub fn support_entries(&self) -> Result<Vec<(String, SupportEntry)>> {
        let mut st = self
            .db
            .prepare("SELECT mac, end_date, reason, by, at FROM device_support ORDER BY mac")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                SupportEntry {
                    end_date: r.get(1)?,
                    reason: r.get(2)?,
                    by: r.get(3)?,
                    at: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The support milestone last alerted for each device.
    pub fn support_milestones(&self) -> Result<Vec<(String, String)>> {
        let mut st = self.db.prepare(
            "SELECT mac, support_milestone FROM devices WHERE support_milestone IS NOT NULL",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_support_milestone(&mut self, mac: &str, m: Option<&str>) -> Result<()> {
        self.db.execute(
            "UPDATE devices SET support_milestone = ?2 WHERE mac = ?1",
            params![mac, m],
        )?;
        Ok(())
    }

    /// Keeps the device's SBOM (one per device: the newest).
    pub fn set_device_software(&mut self, mac: &str, d: &Document) -> Result<()> {
        self.db.execute(
            "INSERT INTO device_software (mac, source, format, body, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(mac) DO UPDATE SET source = ?2, format = ?3, body = ?4, at = ?5",
            params![mac, d.source, d.format, d.body, d.at],
        )?;
        Ok(())
    }

    pub fn device_software(&self, mac: &str) -> Result<Option<Document>> {
        Ok(self
            .db
            .query_row(
                "SELECT source, format, body, at FROM device_software WHERE mac = ?1",
                [mac],
                |r| {
                    Ok(Document {
                        source: r.get(0)?,
                        format: r.get(1)?,
                        body: r.get(2)?,
                        at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps one advisory for a device (by its source: URL or upload name).
    pub fn set_device_advisory(&mut self, mac: &str, d: &Document) -> Result<()> {
        self.db.execute(
            "INSERT INTO device_advisories (mac, source, body, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(mac, source) DO UPDATE SET body = ?3, at = ?4",
            params![mac, d.source, d.body, d.at],
        )?;
        Ok(())
    }

    pub fn device_advisories(&self, mac: &str) -> Result<Vec<Document>> {
        let mut st = self.db.prepare(
            "SELECT source, body, at FROM device_advisories WHERE mac = ?1 ORDER BY source",
        )?;
        let rows = st.query_map([mac], |r| {
            Ok(Document {
                source: r.get(0)?,
                format: "CSAF".into(),
                body: r.get(1)?,
                at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the imported vulnerability records by `records` (id, body),
    /// in one transaction: a failed import leaves the old database.
    pub fn replace_vuln_records<'a>(
        &mut self,
        records: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        at: i64,
    ) -> Result<usize> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM vuln_records", [])?;
        let mut n = 0;
        {
            let mut st = tx.prepare(
                "INSERT INTO vuln_records (id, body, imported_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET body = ?2, imported_at = ?3",
            )?;
            for (id, body) in records {
                st.execute(params![id, body, at])?;
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Every imported record's body, and when the import was made.
    pub fn vuln_records(&self) -> Result<(Vec<Vec<u8>>, Option<i64>)> {
        let mut st = self.db.prepare("SELECT body FROM vuln_records")?;
        let rows = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
        let at = self
            .db
            .query_row("SELECT MAX(imported_at) FROM vuln_records", [], |r| {
                r.get(0)
            })?;
        Ok((rows, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn a_device_s_life_documents_are_kept_and_erased_with_it() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let mac = "02:77:00:00:00:01";
        s.upsert_device(&crate::DeviceRow::new(mac, 1)).unwrap();
        let e = SupportEntry {
            end_date: "2027-03-31".into(),
            reason: "the maker's letter".into(),
            by: "ann (owner)".into(),
            at: 5,
        };
        s.set_support_entry(mac, &e).unwrap();
        assert_eq!(s.support_entry(mac).unwrap(), Some(e));
        s.set_support_milestone(mac, Some("90-days")).unwrap();
        assert_eq!(
            s.support_milestones().unwrap(),
            vec![(mac.to_string(), "90-days".to_string())]
        );
        let doc = Document {
            source: "https://maker.example/sbom/cam-2.1.json".into(),
            format: "CycloneDX 1.5".into(),
            body: b"{}".to_vec(),
            at: 7,
        };
        s.set_device_software(mac, &doc).unwrap();
        s.set_device_advisory(
            mac,
            &Document {
                format: "CSAF".into(),
                ..doc.clone()
            },
        )
        .unwrap();
        assert_eq!(s.device_software(mac).unwrap().unwrap().body, b"{}");
        assert_eq!(s.device_advisories(mac).unwrap().len(), 1);
        let n = s
            .replace_vuln_records([("X-1", &b"{}"[..]), ("X-2", &b"{}"[..])], 9)
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.vuln_records().unwrap().0.len(), 2);
        s.erase_device(mac).unwrap();
        assert_eq!(s.support_entry(mac).unwrap(), None);
        assert_eq!(s.device_software(mac).unwrap(), None);
        assert!(s.device_advisories(mac).unwrap().is_empty());
        assert_eq!(s.vuln_records().unwrap().0.len(), 2, "not about the device");
    }
}

/// How long each class of data is kept, in seconds (the privacy
/// controls' retention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassRetention {
    /// A device not seen for this long is forgotten: every row naming it.
    pub identity: i64,
    /// Flow summaries and hourly traffic.
    pub flows: i64,
    /// Flow summaries whose remote is a DNS name (not an address): the
    /// names a device looked up, kept shorter when the household wishes.
    pub dns_names: i64,
    /// Alerts and their evidence.
    pub alerts: i64,
    pub assessments: i64,
    /// Events (the audit trail) and MUD fetch attempts (each URL's last
    /// good file is kept).
    pub events: i64,
}

/// What one pruning removed, per class.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PrunedClasses {
    pub devices_forgotten: usize,
    pub flow_summaries: usize,
    pub traffic_hours: usize,
    pub dns_names: usize,
    pub alerts: usize,
    pub assessments: usize,
    pub events: usize,
    pub fetches: usize,
}

impl SqliteStore {
    /// Removes, per class, what is older than its retention at `now`.
    pub fn prune_classes(&mut self, now: i64, r: &ClassRetention) -> Result<PrunedClasses> {
        let mut p = PrunedClasses::default();
        // Identity first: a forgotten device takes all its rows along.
        let gone: Vec<String> = self
            .db
            .prepare("SELECT mac FROM devices WHERE last_seen < ?1")?
            .query_map([now - r.identity], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for mac in gone {
            self.erase_device(&mac)?;
            p.devices_forgotten += 1;
        }
        let tx = self.db.transaction()?;
        p.dns_names = tx.execute(
            "DELETE FROM flow_summaries WHERE last_seen < ?1
               AND remote NOT LIKE '%:%' AND remote GLOB '*[a-zA-Z]*'",
            [now - r.dns_names],
        )?;
        p.flow_summaries = tx.execute(
            "DELETE FROM flow_summaries WHERE last_seen < ?1",
            [now - r.flows],
        )?;
        p.traffic_hours = tx.execute(
            "DELETE FROM traffic_hours WHERE hour + 3600 <= ?1",
            [now - r.flows],
        )?;
        p.alerts = tx.execute("DELETE FROM alerts WHERE ts < ?1", [now - r.alerts])?;
        p.assessments = tx.execute(
            "DELETE FROM assessments WHERE ts < ?1",
            [now - r.assessments],
        )?;
        p.events = tx.execute("DELETE FROM events WHERE ts < ?1", [now - r.events])?;
        p.fetches = tx.execute(
            "DELETE FROM mud_fetches WHERE ts < ?1 AND id NOT IN
               (SELECT MAX(id) FROM mud_fetches WHERE outcome = 'ok' GROUP BY url)",
            [now - r.events],
        )?;
        tx.commit()?;
        Ok(p)
    }
}

#[cfg(test)]
mod retention_tests {
    use super::*;
    use crate::{AlertRow, FlowSummary, Store};

    fn flow(mac: &str, remote: &str, t: i64) -> FlowSummary {
        FlowSummary {
            mac: mac.into(),
            remote: remote.into(),
            protocol: "tcp".into(),
            port: 443,
            direction: "out".into(),
            flows: 1,
            packets: 2,
            bytes: 100,
            first_seen: t,
            last_seen: t,
            verdict: "allowed".into(),
            dropped: false,
            why: None,
        }
    }

    fn count(s: &SqliteStore, table: &str) -> i64 {
        s.db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn each_class_prunes_what_it_should_and_nothing_else() {
        const DAY: i64 = 86_400;
        let now = 1_000 * DAY;
        let mut s = SqliteStore::open_in_memory().unwrap();
        let (cam, old) = ("02:77:00:00:00:01", "02:77:00:00:00:02");
        let mut d = crate::DeviceRow::new(cam, now - DAY);
        d.last_seen = now - DAY;
        s.upsert_device(&d).unwrap();
        let mut o = crate::DeviceRow::new(old, now - 400 * DAY);
        o.last_seen = now - 400 * DAY;
        s.upsert_device(&o).unwrap();
        s.add_flow(&flow(old, "old.example", now - 400 * DAY))
            .unwrap();
        // The camera: a name 10 days old, an address 10 days old, a name
        // and an address 40 days old, a name today.
        for (remote, age) in [
            ("api.cloud.example", 10),
            ("198.51.100.7", 10),
            ("2001:db8::7", 10),
            ("cafe.example", 40),
            ("203.0.113.9", 40),
            ("today.example", 0),
        ] {
            s.add_flow(&flow(cam, remote, now - age * DAY)).unwrap();
        }
        for (age, kind) in [(100, "old"), (5, "new")] {
            s.record_alert(&AlertRow {
                id: 0,
                ts: now - age * DAY,
                mac: Some(cam.into()),
                kind: kind.into(),
                severity: "low".into(),
                explanation: "x".into(),
                evidence: serde_json::Value::Null,
                acknowledged_by: None,
                acknowledged_at: None,
            })
            .unwrap();
        }
        s.record_event(now - 60 * DAY, Some(cam), "old", &serde_json::json!({}))
            .unwrap();
        s.record_event(now - DAY, Some(cam), "new", &serde_json::json!({}))
            .unwrap();
        let r = ClassRetention {
            identity: 365 * DAY,
            flows: 30 * DAY,
            dns_names: 7 * DAY,
            alerts: 90 * DAY,
            assessments: 365 * DAY,
            events: 30 * DAY,
        };
        let p = s.prune_classes(now, &r).unwrap();
        assert_eq!(p.devices_forgotten, 1, "the device gone for 400 days");
        assert!(s.device(old).unwrap().is_none());
        let left: Vec<String> = s
            .flow_summaries(cam)
            .unwrap()
            .into_iter()
            .map(|f| f.remote)
            .collect();
        let mut left = left;
        left.sort();
        assert_eq!(
            left,
            vec!["198.51.100.7", "2001:db8::7", "today.example"],
            "names older than 7 days and anything older than 30 days go; addresses within 30 days stay"
        );
        assert_eq!((p.dns_names, p.flow_summaries), (2, 1));
        let alerts = s.alerts(Some(cam), 10).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, "new");
        let kinds: Vec<String> = s
            .events(Some(cam), 10)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.contains(&"new".to_string()) && !kinds.contains(&"old".to_string()));
        assert_eq!(count(&s, "devices"), 1);
        // Pruning again removes nothing more.
        let again = s.prune_classes(now, &r).unwrap();
        assert_eq!(again, PrunedClasses::default());
    }
}
