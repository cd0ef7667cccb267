//! Everything the store holds about one device: exported table by table,
//! then erased.
//!
//! Both walk every table SQLite lists (so a table added by a later
//! migration is covered without a change here) and find a device by its
//! MAC address in any text column, written with colons (any case) or as
//! the twelve hex digits that name its nftables chains. A row whose `mac`
//! column is the device is about it: exported, then deleted. A row about
//! something else that only mentions it (another device's alert naming it
//! as the victim of a spoof) is exported too, and on erase the mention is
//! replaced by "an erased device": the other device's record stays whole.

use crate::{Result, SqliteStore};
use rusqlite::types::ValueRef;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Columns a household export leaves out: the accounts' secrets.
const SECRET_COLUMNS: [(&str, &str); 4] = [
    ("users", "password_phc"),
    ("sessions", "token_sha256"),
    ("sessions", "csrf"),
    ("api_tokens", "token_sha256"),
];

/// Tables erasing the household leaves: who may log in, how the gateway is
/// set up, and the operator's vulnerability database.
const KEPT_ON_ERASE: [&str; 5] = [
    "users",
    "sessions",
    "api_tokens",
    "settings",
    "vuln_records",
];

/// What a tenant's name becomes in the records once the tenancy ends.
pub const FORMER_TENANT: &str = "a former tenant";

/// What a mention of an erased device becomes in rows about others.
pub const ERASED: &str = "an erased device";

/// The forms a MAC takes in stored text: `02:77:00:00:00:01` and `027700000001`.
fn forms(mac: &str) -> Vec<String> {
    let m = mac.to_ascii_lowercase();
    vec![m.replace(':', ""), m]
}

/// The store's tables and, for each, its text-holding columns (declared
/// TEXT, or without a type) and whether it has a `mac` column.
fn tables(db: &rusqlite::Connection) -> Result<Vec<(String, Vec<String>, bool)>> {
    let names: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for t in names {
        let cols: Vec<(String, String)> = db
            .prepare(&format!("PRAGMA table_info(\"{t}\")"))?
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let has_mac = cols.iter().any(|(c, _)| c == "mac");
        let text = cols
            .into_iter()
            .filter(|(_, ty)| {
                let ty = ty.to_ascii_uppercase();
                ty.is_empty() || ty.contains("TEXT") || ty.contains("CHAR")
            })
            .map(|(c, _)| c)
            .collect();
        out.push((t, text, has_mac));
    }
    Ok(out)
}

/// `col LIKE '%form%'` for every text column and form, OR-ed (SQLite's
/// LIKE ignores ASCII case).
fn mentions(text: &[String], n_forms: usize) -> String {
    let mut parts = Vec::new();
    for c in text {
        for i in 0..n_forms {
            parts.push(format!("\"{c}\" LIKE '%' || ?{} || '%' ESCAPE '\\'", i + 1));
        }
    }
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join(" OR ")
    }
}

fn json_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

/// A MAC is only hex digits and colons: nothing in it is a LIKE wildcard.
fn checked(mac: &str) -> Option<String> {
    let ok = mac.len() == 17
        && mac.char_indices().all(|(i, c)| {
            if i % 3 == 2 {
                c == ':'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    ok.then(|| mac.to_ascii_lowercase())
}

impl SqliteStore {
    /// Every row that is about the device or mentions it, by table (rows
    /// as objects of column name to value; blobs in hex). Tables without
    /// such rows are listed empty.
    pub fn export_device(&self, mac: &str) -> Result<Value> {
        let Some(mac) = checked(mac) else {
            return Ok(Value::Object(Map::new()));
        };
        let f = forms(&mac);
        let mut out = Map::new();
        for (t, text, _) in tables(&self.db)? {
            let sql = format!("SELECT * FROM \"{t}\" WHERE {}", mentions(&text, f.len()));
            let mut st = self.db.prepare(&sql)?;
            let cols: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
            let mut rows = st.query(rusqlite::params_from_iter(f.iter()))?;
            let mut list = Vec::new();
            while let Some(r) = rows.next()? {
                let mut o = Map::new();
                for (i, c) in cols.iter().enumerate() {
                    o.insert(c.clone(), json_of(r.get_ref(i)?));
                }
                list.push(Value::Object(o));
            }
            out.insert(t, Value::Array(list));
        }
        Ok(Value::Object(out))
    }

    /// Everything the store holds about the household, by table, in the
    /// layout of [`SqliteStore::export_device`]: every table but the
    /// accounts' secrets (password hashes, session and token hashes are
    /// left out of `users`, `sessions` and `api_tokens`). A column is
    /// left out by name: a test fails when a table gains one unlisted.
    pub fn export_household(&self) -> Result<Value> {
        let mut out = Map::new();
        for (t, _, _) in tables(&self.db)? {
            let mut st = self.db.prepare(&format!("SELECT * FROM \"{t}\""))?;
            let cols: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
            let mut rows = st.query([])?;
            let mut list = Vec::new();
            while let Some(r) = rows.next()? {
                let mut o = Map::new();
                for (i, c) in cols.iter().enumerate() {
                    if SECRET_COLUMNS.contains(&(t.as_str(), c.as_str())) {
                        continue;
                    }
                    o.insert(c.clone(), json_of(r.get_ref(i)?));
                }
                list.push(Value::Object(o));
            }
            out.insert(t, Value::Array(list));
        }
        Ok(Value::Object(out))
    }

    /// Erases the household's records: every table about devices and
    /// what they did is emptied; the accounts (so the owner can still log
    /// in), the settings and the imported vulnerability records stay.
    /// Returns how many rows each table lost.
    pub fn erase_household(&mut self) -> Result<BTreeMap<String, usize>> {
        let tabs = tables(&self.db)?;
        let tx = self.db.transaction()?;
        let mut done = BTreeMap::new();
        for (t, _, _) in tabs {
            if KEPT_ON_ERASE.contains(&t.as_str()) {
                continue;
            }
            let n = tx.execute(&format!("DELETE FROM \"{t}\""), [])?;
            if n > 0 {
                done.insert(t, n);
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// Ends the tenancies whose end has come by `now`: each tenant's
    /// account, sessions and tokens are deleted, and what the store says
    /// they did ("NAME (tenant)" in any text column) becomes "a former
    /// tenant". Returns the names.
    pub fn end_tenancies(&mut self, now: i64) -> Result<Vec<String>> {
        let names: Vec<String> = self
            .db
            .prepare(
                "SELECT name FROM users WHERE until IS NOT NULL AND until <= ?1 ORDER BY name",
            )?
            .query_map([now], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if names.is_empty() {
            return Ok(names);
        }
        let tabs = tables(&self.db)?;
        let tx = self.db.transaction()?;
        for n in &names {
            tx.execute("DELETE FROM sessions WHERE user = ?1", [n])?;
            tx.execute("DELETE FROM api_tokens WHERE user = ?1", [n])?;
            tx.execute("DELETE FROM users WHERE name = ?1", [n])?;
            let who = format!("{n} (tenant)");
            for (t, text, _) in &tabs {
                for c in text {
                    tx.execute(
                        &format!(
                            "UPDATE \"{t}\" SET \"{c}\" = replace(\"{c}\", ?1, ?2) WHERE instr(\"{c}\", ?1) > 0"
                        ),
                        [who.as_str(), FORMER_TENANT],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(names)
    }

    /// Erases the device: its own rows deleted, mentions of it in rows
    /// about others replaced by [`ERASED`], in one transaction. Returns
    /// how many rows each table lost or had rewritten.
    pub fn erase_device(&mut self, mac: &str) -> Result<BTreeMap<String, usize>> {
        let Some(mac) = checked(mac) else {
            return Ok(BTreeMap::new());
        };
        let f = forms(&mac);
        let tabs = tables(&self.db)?;
        let tx = self.db.transaction()?;
        let mut done = BTreeMap::new();
        for (t, text, has_mac) in tabs {
            let mut n = 0;
            if has_mac {
                n += tx.execute(
                    &format!("DELETE FROM \"{t}\" WHERE lower(mac) = ?1"),
                    [&mac],
                )?;
            }
            for c in &text {
                // As written (lower or upper case), then what is left in
                // mixed case, with the rest of that text lowered.
                for form in f.iter().flat_map(|x| [x.clone(), x.to_ascii_uppercase()]) {
                    n += tx.execute(
                        &format!(
                            "UPDATE \"{t}\" SET \"{c}\" = replace(\"{c}\", ?1, ?2) WHERE instr(\"{c}\", ?1) > 0"
                        ),
                        [form.as_str(), ERASED],
                    )?;
                }
                for form in &f {
                    n += tx.execute(
                        &format!(
                            "UPDATE \"{t}\" SET \"{c}\" = replace(lower(\"{c}\"), ?1, ?2) WHERE \"{c}\" LIKE '%' || ?1 || '%'"
                        ),
                        [form.as_str(), ERASED],
                    )?;
                }
            }
            if n > 0 {
                done.insert(t, n);
            }
        }
        tx.commit()?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Accounts;
    use crate::*;

    const CAM: &str = "02:77:00:00:00:01";
    const NEIGHBOUR: &str = "02:77:00:00:00:02";

    fn alert(mac: &str, text: &str, evidence: Value) -> AlertRow {
        AlertRow {
            id: 0,
            ts: 5,
            mac: Some(mac.into()),
            kind: "spoof.arp".into(),
            severity: "high".into(),
            explanation: text.into(),
            evidence,
            acknowledged_by: None,
            acknowledged_at: None,
        }
    }

    fn flow(mac: &str) -> FlowSummary {
        FlowSummary {
            mac: mac.into(),
            remote: "api.cloud.example".into(),
            protocol: "tcp".into(),
            port: 8001,
            direction: "out".into(),
            flows: 1,
            packets: 10,
            bytes: 900,
            first_seen: 1,
            last_seen: 2,
            verdict: "allowed".into(),
            dropped: false,
            why: None,
        }
    }

    /// A store with rows about the camera in every table that can have
    /// them, rows about the neighbour that mention the camera, and rows
    /// that do not.
    fn store() -> SqliteStore {
        let mut s = SqliteStore::open_in_memory().unwrap();
        for m in [CAM, NEIGHBOUR] {
            let mut d = DeviceRow::new(m, 1);
            d.name = Some(format!("device {m}"));
            s.upsert_device(&d).unwrap();
            s.add_flow(&flow(m)).unwrap();
            s.record_event(1, Some(m), "seen", &serde_json::json!({}))
                .unwrap();
            s.record_policy(&PolicyRow {
                mac: m.into(),
                kind: "mud".into(),
                mud_url: None,
                applied_at: 1,
                ruleset_sha256: "x".into(),
                rules: 3,
            })
            .unwrap();
        }
        s.record_alert(&alert(CAM, "the camera scanned", serde_json::json!({})))
            .unwrap();
        // The neighbour's alert names the camera, in two forms and cases.
        s.record_alert(&alert(
            NEIGHBOUR,
            "02:77:00:00:00:02 claimed the address of 02:77:00:00:00:01",
            serde_json::json!({"victim": "02:77:00:00:00:01", "chain": "from_027700000001", "loud": "02:77:00:00:00:01".to_uppercase()}),
        ))
        .unwrap();
        s.record_event(
            3,
            None,
            "ruleset-applied",
            &serde_json::json!({"chains": ["from_027700000001", "from_027700000002"]}),
        )
        .unwrap();
        s.record_assessment(&AssessmentRow {
            id: 0,
            mac: CAM.into(),
            ts: 4,
            label: Some("1 (baseline)".into()),
            report: serde_json::json!({"manufacturer": "Lab Cams"}),
            by: "ann (owner)".into(),
        })
        .unwrap();
        s.set_setting("deployment", "home").unwrap();
        s
    }

    /// Every row of every table with a text column that names `mac` in
    /// either form, any case: by SQL over the whole schema.
    fn naming(s: &SqliteStore, mac: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (t, text, _) in tables(&s.db).unwrap() {
            for c in text {
                for form in forms(mac) {
                    let n: i64 =
                        s.db.query_row(
                            &format!(
                                "SELECT count(*) FROM \"{t}\" WHERE \"{c}\" LIKE '%' || ?1 || '%'"
                            ),
                            [&form],
                            |r| r.get(0),
                        )
                        .unwrap();
                    if n > 0 {
                        found.push(format!("{t}.{c}: {n}"));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn export_holds_every_row_about_the_device_table_by_table() {
        let s = store();
        let x = s.export_device(CAM).unwrap();
        let count = |t: &str, sql: &str| -> usize {
            let n: i64 = s.db.query_row(sql, [CAM], |r| r.get(0)).unwrap();
            assert_eq!(x[t].as_array().unwrap().len(), n as usize, "{t}: {x:#}");
            n as usize
        };
        assert_eq!(
            count("devices", "SELECT count(*) FROM devices WHERE mac = ?1"),
            1
        );
        assert_eq!(
            count(
                "flow_summaries",
                "SELECT count(*) FROM flow_summaries WHERE mac = ?1"
            ),
            1
        );
        assert_eq!(
            count(
                "traffic_hours",
                "SELECT count(*) FROM traffic_hours WHERE mac = ?1"
            ),
            1
        );
        assert_eq!(
            count("policies", "SELECT count(*) FROM policies WHERE mac = ?1"),
            1
        );
        assert_eq!(
            count(
                "assessments",
                "SELECT count(*) FROM assessments WHERE mac = ?1"
            ),
            1
        );
        // Its own event, and the ruleset event naming its chain.
        assert_eq!(
            x["events"].as_array().unwrap().len(),
            2,
            "{:#}",
            x["events"]
        );
        // Its own alert, and the neighbour's that names it.
        assert_eq!(x["alerts"].as_array().unwrap().len(), 2);
        assert_eq!(x["devices"][0]["name"], "device 02:77:00:00:00:01");
        // Tables that hold nothing about it are listed, empty.
        assert_eq!(x["users"], serde_json::json!([]));
        assert!(x["settings"].as_array().unwrap().is_empty());
    }

    #[test]
    fn after_erase_no_table_names_the_device_and_the_neighbour_keeps_its_rows() {
        let mut s = store();
        assert!(!naming(&s, CAM).is_empty());
        let done = s.erase_device(CAM).unwrap();
        assert!(
            done.contains_key("devices") && done.contains_key("alerts"),
            "{done:?}"
        );
        assert_eq!(naming(&s, CAM), Vec::<String>::new());
        // The neighbour's records are whole, the mention replaced.
        assert!(s.device(NEIGHBOUR).unwrap().is_some());
        let a = &s.alerts(Some(NEIGHBOUR), 10).unwrap()[0];
        assert_eq!(
            a.explanation,
            format!("02:77:00:00:00:02 claimed the address of {ERASED}")
        );
        assert_eq!(a.evidence["victim"], ERASED);
        assert_eq!(s.flow_summaries(NEIGHBOUR).unwrap().len(), 1);
        assert_eq!(s.setting("deployment").unwrap().as_deref(), Some("home"));
        // A string that is not a MAC erases nothing (and matches nothing).
        assert!(s.erase_device("%").unwrap().is_empty());
        assert!(s.device(NEIGHBOUR).unwrap().is_some());
    }

    #[test]
    fn the_household_exports_without_secrets_and_erases_all_but_the_accounts() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        s.upsert_device(&DeviceRow::new(CAM, 1)).unwrap();
        s.upsert_device(&DeviceRow::new(NEIGHBOUR, 1)).unwrap();
        s.add_flow(&flow(CAM)).unwrap();
        s.record_alert(&alert(NEIGHBOUR, "x", Value::Null)).unwrap();
        s.set_setting("deployment-note", "home").unwrap();
        s.db.execute(
            "INSERT INTO users (name, role, password_phc, created) VALUES ('ann', 'owner', '$argon2id$secret', 1)",
            [],
        )
        .unwrap();
        s.db.execute(
            "INSERT INTO api_tokens (token_sha256, user, role, label, created) VALUES ('abc123', 'ann', 'owner', 'cli', 1)",
            [],
        )
        .unwrap();
        let v = s.export_household().unwrap();
        let text = v.to_string();
        assert_eq!(v["devices"].as_array().unwrap().len(), 2);
        assert_eq!(v["flow_summaries"].as_array().unwrap().len(), 1);
        assert_eq!(v["users"][0]["name"], "ann");
        assert!(
            !text.contains("argon2id") && !text.contains("abc123"),
            "no secret: {text}"
        );
        // Every column named secret exists (a renamed column would leak).
        for (t, c) in SECRET_COLUMNS {
            let n: i64 =
                s.db.query_row(
                    &format!("SELECT COUNT(*) FROM pragma_table_info('{t}') WHERE name = '{c}'"),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{t}.{c}");
        }
        let done = s.erase_household().unwrap();
        assert_eq!(done.get("devices"), Some(&2));
        // SQL over every table: only the kept ones hold rows.
        for (t, _, _) in tables(&s.db).unwrap() {
            let n: i64 =
                s.db.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                    .unwrap();
            assert!(
                n == 0 || KEPT_ON_ERASE.contains(&t.as_str()),
                "{t} still holds {n} rows"
            );
        }
        assert_eq!(
            s.setting("deployment-note").unwrap().as_deref(),
            Some("home")
        );
    }

    #[test]
    fn an_ended_tenancy_takes_the_account_and_the_tenant_s_name_along() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        s.upsert_device(&DeviceRow::new(CAM, 1)).unwrap();
        s.db.execute(
            "INSERT INTO users (name, role, password_phc, created, until) VALUES ('tom', 'tenant', 'x', 1, 100), ('ann', 'owner', 'y', 1, NULL)",
            [],
        )
        .unwrap();
        s.record_event(
            50,
            Some(CAM),
            "quarantined",
            &serde_json::json!({"by": "tom (tenant)", "reason": "noisy"}),
        )
        .unwrap();
        assert!(s.end_tenancies(99).unwrap().is_empty(), "not yet");
        assert_eq!(s.end_tenancies(100).unwrap(), vec!["tom".to_string()]);
        assert!(s.user("tom").unwrap().is_none());
        assert!(s.user("ann").unwrap().is_some());
        let text = s.export_household().unwrap().to_string();
        assert!(!text.contains("tom"), "{text}");
        assert!(text.contains(FORMER_TENANT));
    }
}
