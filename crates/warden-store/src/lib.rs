//! # warden-store: what the gateway remembers
//!
//! Devices and their identities, life-cycle events, every MUD fetch with
//! its signature outcome (and the last good file), the policies applied,
//! alerts with their evidence, and per-device flow summaries (metadata
//! only: who, which protocol and port, how much, when; never payload).
//!
//! [`Store`] is the trait the gateway writes through, so that a PostgreSQL
//! backend for fleets can sit beside [`SqliteStore`], the embedded
//! default: one file, WAL journal, `synchronous = FULL` (a committed
//! transaction survives a kill -9 and a power cut), schema versions in
//! `PRAGMA user_version` with forward-only migrations, and retention
//! pruning of events, alerts and flow summaries.
//!
//! ```
//! use warden_store::{SqliteStore, Store, DeviceRow};
//! let mut s = SqliteStore::open_in_memory().unwrap();
//! s.upsert_device(&DeviceRow::new("02:00:00:00:00:01", 10)).unwrap();
//! assert_eq!(s.devices().unwrap().len(), 1);
//! ```
//!
//! Times are passed in (Unix seconds): the store never reads the clock.

#![forbid(unsafe_code)]

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused an operation (I/O, corruption, a locked file).
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file holds a schema newer than this warden knows.
    #[error("store: schema version {0} is newer than this warden ({1}); refusing to touch it")]
    TooNew(i64, i64),
    /// A stored JSON column does not parse.
    #[error("store: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One device, keyed by MAC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub mac: String,
    pub addresses: Vec<String>,
    pub mud_url: Option<String>,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    /// observed | default | enforced | quarantined | blocked
    pub state: String,
    /// Why it is in this state (a sentence).
    pub state_reason: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The name a person gave it (None: not named).
    #[serde(default)]
    pub name: Option<String>,
    /// What kind of device it is (a person's choice, or warden's guess
    /// when None): decides who sees its destinations.
    #[serde(default)]
    pub category: Option<String>,
    /// Who gave the device its MUD file on the dashboard ("name (role)");
    /// None: the file is the one the device announced.
    #[serde(default)]
    pub mud_given_by: Option<String>,
    /// Where it is in its life: discovered | identified | in-use |
    /// end-of-support | transferred (disposed devices are erased).
    #[serde(default = "discovered")]
    pub lifecycle: String,
}

fn discovered() -> String {
    "discovered".into()
}

impl DeviceRow {
    pub fn new(mac: &str, now: i64) -> DeviceRow {
        DeviceRow {
            mac: mac.to_ascii_lowercase(),
            addresses: vec![],
            mud_url: None,
            hostname: None,
            vendor_class: None,
            state: "observed".into(),
            state_reason: None,
            first_seen: now,
            last_seen: now,
            name: None,
            category: None,
            mud_given_by: None,
            lifecycle: discovered(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub ts: i64,
    pub mac: Option<String>,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// One attempt to fetch a MUD file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchRow {
    pub id: i64,
    pub url: String,
    pub ts: i64,
    /// ok | refused | failed | invalid | signature-failed
    pub outcome: String,
    pub error: Option<String>,
    pub http_status: Option<u16>,
    pub sha256: Option<String>,
    /// verified | failed | not-checked | missing
    pub signature: String,
    pub signer: Option<String>,
    /// The file, when the attempt gave a good one.
    pub body: Option<Vec<u8>>,
    /// Unix seconds until which the file may be used without a refresh.
    pub valid_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub mac: String,
    /// mud | default | quarantine
    pub kind: String,
    pub mud_url: Option<String>,
    pub applied_at: i64,
    /// sha256 of the whole ruleset this policy was applied in.
    pub ruleset_sha256: String,
    pub rules: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub ts: i64,
    pub mac: Option<String>,
    pub kind: String,
    pub severity: String,
    pub explanation: String,
    pub evidence: serde_json::Value,
    /// Who acknowledged it ("name (role)") and when; None: needs attention.
    #[serde(default)]
    pub acknowledged_by: Option<String>,
    #[serde(default)]
    pub acknowledged_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSummary {
    pub mac: String,
    pub remote: String,
    pub protocol: String,
    /// The service's port: the remote's when the device opened the flow,
    /// the device's when the remote did.
    pub port: u16,
    /// "out": the device opened it; "in": the remote did.
    #[serde(default = "outbound")]
    pub direction: String,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The MUD verdict: allowed | violation | exempt | unjudged (no MUD
    /// file). A row that ever held a violation stays one.
    #[serde(default = "unjudged")]
    pub verdict: String,
    /// The gateway's rules dropped it (enforced or quarantined).
    #[serde(default)]
    pub dropped: bool,
    /// Why the last violation was one (a sentence).
    #[serde(default)]
    pub why: Option<String>,
}

fn outbound() -> String {
    "out".into()
}

fn unjudged() -> String {
    "unjudged".into()
}

/// A device's traffic in one hour (the charts' data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrafficHour {
    /// Unix seconds at the start of the hour.
    pub hour: i64,
    pub packets: u64,
    pub bytes: u64,
}

/// One assessment report of a device (`warden assess --json`), with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRow {
    pub id: i64,
    pub mac: String,
    pub ts: i64,
    /// The label level the report gives (for example "2 of 3"), if any.
    pub label: Option<String>,
    pub report: serde_json::Value,
    pub by: String,
}

/// How much pruning removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    pub events: usize,
    pub alerts: usize,
    pub flow_summaries: usize,
    pub fetches: usize,
}

/// What the gateway keeps, whatever the backend.
pub trait Store: Send {
    fn upsert_device(&mut self, d: &DeviceRow) -> Result<()>;
    /// Removes a device's row (one the gateway never confirmed); its
    /// events and alerts stay until retention removes them.
    fn forget_device(&mut self, mac: &str) -> Result<()>;
    fn device(&self, mac: &str) -> Result<Option<DeviceRow>>;
    fn devices(&self) -> Result<Vec<DeviceRow>>;
    fn record_event(
        &mut self,
        ts: i64,
        mac: Option<&str>,
        kind: &str,
        detail: &serde_json::Value,
    ) -> Result<i64>;
    fn events(&self, mac: Option<&str>, limit: usize) -> Result<Vec<EventRow>>;
    fn record_fetch(&mut self, f: &FetchRow) -> Result<i64>;
    fn fetches(&self, url: Option<&str>, limit: usize) -> Result<Vec<FetchRow>>;
    /// The newest attempt that gave a good file.
    fn last_good_fetch(&self, url: &str) -> Result<Option<FetchRow>>;
    fn record_policy(&mut self, p: &PolicyRow) -> Result<()>;
    /// Many at once (one transaction where the backend has them).
    fn record_policies(&mut self, rows: &[PolicyRow]) -> Result<()> {
        for r in rows {
            self.record_policy(r)?;
        }
        Ok(())
    }
    fn policies(&self) -> Result<Vec<PolicyRow>>;
    fn record_alert(&mut self, a: &AlertRow) -> Result<i64>;
    fn alerts(&self, mac: Option<&str>, limit: usize) -> Result<Vec<AlertRow>>;
    /// Adds a finished flow to its summary row and to its device's hourly
    /// traffic.
    fn add_flow(&mut self, f: &FlowSummary) -> Result<()>;
    fn flow_summaries(&self, mac: &str) -> Result<Vec<FlowSummary>>;
    /// Events of one kind since `since`, the newest first.
    fn events_of_kind(&self, kind: &str, since: i64, limit: usize) -> Result<Vec<EventRow>>;
    /// Flow summaries whose first flow came at or after `since` (new
    /// destinations), the newest first.
    fn flows_since(&self, since: i64, limit: usize) -> Result<Vec<FlowSummary>>;
    /// A device's traffic per hour since `since` (oldest first).
    fn traffic(&self, mac: &str, since: i64) -> Result<Vec<TrafficHour>>;
    /// Alerts nobody has seen to yet, the newest first.
    fn open_alerts(&self, limit: usize) -> Result<Vec<AlertRow>>;
    /// Marks an alert as seen to; false when there is no such alert.
    fn acknowledge_alert(&mut self, id: i64, by: &str, now: i64) -> Result<bool>;
    fn alert(&self, id: i64) -> Result<Option<AlertRow>>;
    fn record_assessment(&mut self, a: &AssessmentRow) -> Result<i64>;
    /// The newest first; `mac` None: every device's.
    fn assessments(&self, mac: Option<&str>, limit: usize) -> Result<Vec<AssessmentRow>>;
    /// A setting the dashboard keeps (deployment context, ...).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()>;
    /// Removes events, alerts, flow summaries and fetches older than
    /// `before` (a device's last good MUD file is kept).
    fn prune(&mut self, before: i64) -> Result<Pruned>;
}

/// Forward-only migrations; index i brings the schema to version i + 1.
const MIGRATIONS: [&str; 6] = [
    r#"
CREATE TABLE devices (
  mac TEXT PRIMARY KEY,
  addresses TEXT NOT NULL,
  mud_url TEXT,
  hostname TEXT,
  vendor_class TEXT,
  state TEXT NOT NULL,
  state_reason TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  mac TEXT,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_mac ON events(mac, id);
CREATE TABLE mud_fetches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  ts INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT,
  http_status INTEGER,
  sha256 TEXT,
  signature TEXT NOT NULL,
  signer TEXT,
  body BLOB,
  valid_until INTEGER
);
CREATE INDEX mud_fetches_url ON mud_fetches(url, id);
CREATE TABLE policies (
  mac TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  mud_url TEXT,
  applied_at INTEGER NOT NULL,
  ruleset_sha256 TEXT NOT NULL,
  rules INTEGER NOT NULL
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  mac TEXT,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  explanation TEXT NOT NULL,
  evidence TEXT NOT NULL
);
CREATE TABLE flow_summaries (
  mac TEXT NOT NULL,
  remote TEXT NOT NULL,
  protocol TEXT NOT NULL,
  port INTEGER NOT NULL,
  flows INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (mac, remote, protocol, port)
);
"#,
    r#"
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_phc TEXT NOT NULL,
  failed INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_sha256 TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE TABLE api_tokens (
  token_sha256 TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  label TEXT NOT NULL,
  created INTEGER NOT NULL
);
"#,
    r#"
ALTER TABLE devices ADD COLUMN name TEXT;
"#,
    r#"
ALTER TABLE devices ADD COLUMN category TEXT;
ALTER TABLE devices ADD COLUMN mud_given_by TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
CREATE TABLE flow_summaries_v4 (
  mac TEXT NOT NULL,
  remote TEXT NOT NULL,
  protocol TEXT NOT NULL,
  port INTEGER NOT NULL,
  direction TEXT NOT NULL,
  flows INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  verdict TEXT NOT NULL DEFAULT 'unjudged',
  dropped INTEGER NOT NULL DEFAULT 0,
  why TEXT,
  PRIMARY KEY (mac, remote, protocol, port, direction)
);
INSERT INTO flow_summaries_v4 (mac, remote, protocol, port, direction, flows, packets, bytes, first_seen, last_seen)
  SELECT mac, remote, protocol, port, 'out', flows, packets, bytes, first_seen, last_seen FROM flow_summaries;
DROP TABLE flow_summaries;
ALTER TABLE flow_summaries_v4 RENAME TO flow_summaries;
CREATE INDEX flow_summaries_first ON flow_summaries(first_seen);
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX alerts_open ON alerts(acknowledged_at, id);
CREATE TABLE traffic_hours (
  mac TEXT NOT NULL,
  hour INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (mac, hour)
);
CREATE TABLE assessments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mac TEXT NOT NULL,
  ts INTEGER NOT NULL,
  label TEXT,
  report TEXT NOT NULL,
  by TEXT NOT NULL
);
CREATE INDEX assessments_mac ON assessments(mac, id);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE devices ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'discovered';
"#,
    r#"
ALTER TABLE devices ADD COLUMN support_milestone TEXT;
ALTER TABLE users ADD COLUMN until INTEGER;
CREATE TABLE device_support (
  mac TEXT PRIMARY KEY,
  end_date TEXT NOT NULL,
  reason TEXT NOT NULL,
  by TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE device_software (
  mac TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  format TEXT NOT NULL,
  body BLOB NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE device_advisories (
  mac TEXT NOT NULL,
  source TEXT NOT NULL,
  body BLOB NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (mac, source)
);
CREATE TABLE vuln_records (
  id TEXT PRIMARY KEY,
  body BLOB NOT NULL,
  imported_at INTEGER NOT NULL
);
"#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub mod accounts;
pub mod erase;
pub mod lifecycle;

/// The embedded default backend.
pub struct SqliteStore {
    pub(crate) db: Connection,
}

impl SqliteStore {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::migrate(db)
    }

    pub fn open_in_memory() -> Result<SqliteStore> {
        let db = Connection::open_in_memory()?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        Self::migrate(db)
    }

    fn migrate(mut db: Connection) -> Result<SqliteStore> {
        let v: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if v > SCHEMA_VERSION {
            return Err(StoreError::TooNew(v, SCHEMA_VERSION));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            let tx = db.transaction()?;
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteStore { db })
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .db
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

fn device_from(r: &rusqlite::Row) -> rusqlite::Result<DeviceRow> {
    let addrs: String = r.get(1)?;
    Ok(DeviceRow {
        mac: r.get(0)?,
        addresses: serde_json::from_str(&addrs).unwrap_or_default(),
        mud_url: r.get(2)?,
        hostname: r.get(3)?,
        vendor_class: r.get(4)?,
        state: r.get(5)?,
        state_reason: r.get(6)?,
        first_seen: r.get(7)?,
        last_seen: r.get(8)?,
        name: r.get(9)?,
        category: r.get(10)?,
        mud_given_by: r.get(11)?,
        lifecycle: r.get(12)?,
    })
}

fn fetch_from(r: &rusqlite::Row) -> rusqlite::Result<FetchRow> {
    Ok(FetchRow {
        id: r.get(0)?,
        url: r.get(1)?,
        ts: r.get(2)?,
        outcome: r.get(3)?,
        error: r.get(4)?,
        http_status: r.get::<_, Option<i64>>(5)?.map(|s| s as u16),
        sha256: r.get(6)?,
        signature: r.get(7)?,
        signer: r.get(8)?,
        body: r.get(9)?,
        valid_until: r.get(10)?,
    })
}

const FETCH_COLS: &str =
    "id, url, ts, outcome, error, http_status, sha256, signature, signer, body, valid_until";

fn alert_from(r: &rusqlite::Row) -> rusqlite::Result<AlertRow> {
    let ev: String = r.get(6)?;
    Ok(AlertRow {
        id: r.get(0)?,
        ts: r.get(1)?,
        mac: r.get(2)?,
        kind: r.get(3)?,
        severity: r.get(4)?,
        explanation: r.get(5)?,
        evidence: serde_json::from_str(&ev).unwrap_or(serde_json::Value::Null),
        acknowledged_by: r.get(7)?,
        acknowledged_at: r.get(8)?,
    })
}

const ALERT_COLS: &str =
    "id, ts, mac, kind, severity, explanation, evidence, acknowledged_by, acknowledged_at";

const DEVICE_COLS: &str = "mac, addresses, mud_url, hostname, vendor_class, state, state_reason, first_seen, last_seen, name, category, mud_given_by, lifecycle";

fn event_from(r: &rusqlite::Row) -> rusqlite::Result<EventRow> {
    let d: String = r.get(4)?;
    Ok(EventRow {
        id: r.get(0)?,
        ts: r.get(1)?,
        mac: r.get(2)?,
        kind: r.get(3)?,
        detail: serde_json::from_str(&d).unwrap_or(serde_json::Value::Null),
    })
}

fn flow_from(r: &rusqlite::Row) -> rusqlite::Result<FlowSummary> {
    Ok(FlowSummary {
        mac: r.get(0)?,
        remote: r.get(1)?,
        protocol: r.get(2)?,
        port: r.get::<_, i64>(3)? as u16,
        flows: r.get::<_, i64>(4)? as u64,
        packets: r.get::<_, i64>(5)? as u64,
        bytes: r.get::<_, i64>(6)? as u64,
        first_seen: r.get(7)?,
        last_seen: r.get(8)?,
        verdict: r.get(9)?,
        dropped: r.get::<_, i64>(10)? != 0,
        why: r.get(11)?,
        direction: r.get(12)?,
    })
}

fn assessment_from(r: &rusqlite::Row) -> rusqlite::Result<AssessmentRow> {
    let rep: String = r.get(4)?;
    Ok(AssessmentRow {
        id: r.get(0)?,
        mac: r.get(1)?,
        ts: r.get(2)?,
        label: r.get(3)?,
        report: serde_json::from_str(&rep).unwrap_or(serde_json::Value::Null),
        by: r.get(5)?,
    })
}

impl Store for SqliteStore {
    fn upsert_device(&mut self, d: &DeviceRow) -> Result<()> {
        self.db.execute(
            "INSERT INTO devices (mac, addresses, mud_url, hostname, vendor_class, state, state_reason, first_seen, last_seen, name, category, mud_given_by, lifecycle)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(mac) DO UPDATE SET addresses = ?2, mud_url = ?3, hostname = ?4, vendor_class = ?5,
               state = ?6, state_reason = ?7, last_seen = ?9, name = ?10, category = ?11, mud_given_by = ?12,
               lifecycle = ?13",
            params![
                d.mac,
                serde_json::to_string(&d.addresses)?,
                d.mud_url,
                d.hostname,
                d.vendor_class,
                d.state,
                d.state_reason,
                d.first_seen,
                d.last_seen,
                d.name,
                d.category,
                d.mud_given_by,
                d.lifecycle
            ],
        )?;
        Ok(())
    }

    fn forget_device(&mut self, mac: &str) -> Result<()> {
        self.db
            .execute("DELETE FROM devices WHERE mac = ?1", params![mac])?;
        Ok(())
    }

    fn device(&self, mac: &str) -> Result<Option<DeviceRow>> {
        Ok(self
            .db
            .query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE mac = ?1"),
                [mac.to_ascii_lowercase()],
                device_from,
            )
            .optional()?)
    }

    fn devices(&self) -> Result<Vec<DeviceRow>> {
        let mut st = self
            .db
            .prepare(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY mac"))?;
        let rows = st.query_map([], device_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_event(
        &mut self,
        ts: i64,
        mac: Option<&str>,
        kind: &str,
        detail: &serde_json::Value,
    ) -> Result<i64> {
        self.db.execute(
            "INSERT INTO events (ts, mac, kind, detail) VALUES (?1, ?2, ?3, ?4)",
            params![ts, mac, kind, detail.to_string()],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    fn events(&self, mac: Option<&str>, limit: usize) -> Result<Vec<EventRow>> {
        let mut st = self.db.prepare(
            "SELECT id, ts, mac, kind, detail FROM events WHERE (?1 IS NULL OR mac = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![mac, limit as i64], event_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_fetch(&mut self, f: &FetchRow) -> Result<i64> {
        self.db.execute(
            "INSERT INTO mud_fetches (url, ts, outcome, error, http_status, sha256, signature, signer, body, valid_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                f.url,
                f.ts,
                f.outcome,
                f.error,
                f.http_status.map(i64::from),
                f.sha256,
                f.signature,
                f.signer,
                f.body,
                f.valid_until
            ],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    fn fetches(&self, url: Option<&str>, limit: usize) -> Result<Vec<FetchRow>> {
        let mut st = self.db.prepare(&format!(
            "SELECT {FETCH_COLS} FROM mud_fetches WHERE (?1 IS NULL OR url = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![url, limit as i64], fetch_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_good_fetch(&self, url: &str) -> Result<Option<FetchRow>> {
        Ok(self
            .db
            .query_row(
                &format!("SELECT {FETCH_COLS} FROM mud_fetches WHERE url = ?1 AND outcome = 'ok' ORDER BY id DESC LIMIT 1"),
                [url],
                fetch_from,
            )
            .optional()?)
    }

    fn record_policy(&mut self, p: &PolicyRow) -> Result<()> {
        self.db.execute(
            "INSERT INTO policies (mac, kind, mud_url, applied_at, ruleset_sha256, rules) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(mac) DO UPDATE SET kind = ?2, mud_url = ?3, applied_at = ?4, ruleset_sha256 = ?5, rules = ?6",
            params![p.mac, p.kind, p.mud_url, p.applied_at, p.ruleset_sha256, p.rules as i64],
        )?;
        Ok(())
    }

    fn record_policies(&mut self, rows: &[PolicyRow]) -> Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO policies (mac, kind, mud_url, applied_at, ruleset_sha256, rules) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(mac) DO UPDATE SET kind = ?2, mud_url = ?3, applied_at = ?4, ruleset_sha256 = ?5, rules = ?6",
            )?;
            for p in rows {
                st.execute(params![
                    p.mac,
                    p.kind,
                    p.mud_url,
                    p.applied_at,
                    p.ruleset_sha256,
                    p.rules as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn policies(&self) -> Result<Vec<PolicyRow>> {
        let mut st = self
            .db
            .prepare("SELECT mac, kind, mud_url, applied_at, ruleset_sha256, rules FROM policies ORDER BY mac")?;
        let rows = st.query_map([], |r| {
            Ok(PolicyRow {
                mac: r.get(0)?,
                kind: r.get(1)?,
                mud_url: r.get(2)?,
                applied_at: r.get(3)?,
                ruleset_sha256: r.get(4)?,
                rules: r.get::<_, i64>(5)? as usize,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_alert(&mut self, a: &AlertRow) -> Result<i64> {
        self.db.execute(
            "INSERT INTO alerts (ts, mac, kind, severity, explanation, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![a.ts, a.mac, a.kind, a.severity, a.explanation, a.evidence.to_string()],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    fn alerts(&self, mac: Option<&str>, limit: usize) -> Result<Vec<AlertRow>> {
        let mut st = self.db.prepare(&format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE (?1 IS NULL OR mac = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![mac, limit as i64], alert_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_flow(&mut self, f: &FlowSummary) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO flow_summaries (mac, remote, protocol, port, flows, packets, bytes, first_seen, last_seen, verdict, dropped, why, direction)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(mac, remote, protocol, port, direction) DO UPDATE SET flows = flows + ?5, packets = packets + ?6,
               bytes = bytes + ?7, first_seen = MIN(first_seen, ?8), last_seen = MAX(last_seen, ?9),
               verdict = CASE WHEN verdict = 'violation' THEN verdict ELSE ?10 END,
               dropped = MAX(dropped, ?11), why = COALESCE(?12, why)",
            params![
                f.mac,
                f.remote,
                f.protocol,
                f.port,
                f.flows as i64,
                f.packets as i64,
                f.bytes as i64,
                f.first_seen,
                f.last_seen,
                f.verdict,
                f.dropped as i64,
                f.why,
                f.direction
            ],
        )?;
        tx.execute(
            "INSERT INTO traffic_hours (mac, hour, packets, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(mac, hour) DO UPDATE SET packets = packets + ?3, bytes = bytes + ?4",
            params![
                f.mac,
                f.last_seen - f.last_seen.rem_euclid(3600),
                f.packets as i64,
                f.bytes as i64
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn flow_summaries(&self, mac: &str) -> Result<Vec<FlowSummary>> {
        let mut st = self.db.prepare(
            "SELECT mac, remote, protocol, port, flows, packets, bytes, first_seen, last_seen, verdict, dropped, why, direction
             FROM flow_summaries WHERE mac = ?1 ORDER BY remote, protocol, port, direction",
        )?;
        let rows = st.query_map([mac], flow_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn events_of_kind(&self, kind: &str, since: i64, limit: usize) -> Result<Vec<EventRow>> {
        let mut st = self.db.prepare_cached(
            "SELECT id, ts, mac, kind, detail FROM events WHERE kind = ?1 AND ts >= ?2 ORDER BY id DESC LIMIT ?3",
        )?;
        let rows = st.query_map(params![kind, since, limit as i64], event_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn flows_since(&self, since: i64, limit: usize) -> Result<Vec<FlowSummary>> {
        let mut st = self.db.prepare_cached(
            "SELECT mac, remote, protocol, port, flows, packets, bytes, first_seen, last_seen, verdict, dropped, why, direction
             FROM flow_summaries WHERE first_seen >= ?1 ORDER BY first_seen DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![since, limit as i64], flow_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn traffic(&self, mac: &str, since: i64) -> Result<Vec<TrafficHour>> {
        let mut st = self.db.prepare_cached(
            "SELECT hour, packets, bytes FROM traffic_hours WHERE mac = ?1 AND hour >= ?2 ORDER BY hour",
        )?;
        let rows = st.query_map(params![mac, since], |r| {
            Ok(TrafficHour {
                hour: r.get(0)?,
                packets: r.get::<_, i64>(1)? as u64,
                bytes: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn open_alerts(&self, limit: usize) -> Result<Vec<AlertRow>> {
        let mut st = self.db.prepare_cached(&format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE acknowledged_at IS NULL ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], alert_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn acknowledge_alert(&mut self, id: i64, by: &str, now: i64) -> Result<bool> {
        Ok(self.db.execute(
            "UPDATE alerts SET acknowledged_by = ?2, acknowledged_at = ?3 WHERE id = ?1 AND acknowledged_at IS NULL",
            params![id, by, now],
        )? == 1)
    }

    fn alert(&self, id: i64) -> Result<Option<AlertRow>> {
        Ok(self
            .db
            .query_row(
                &format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"),
                [id],
                alert_from,
            )
            .optional()?)
    }

    fn record_assessment(&mut self, a: &AssessmentRow) -> Result<i64> {
        self.db.execute(
            "INSERT INTO assessments (mac, ts, label, report, by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.mac, a.ts, a.label, a.report.to_string(), a.by],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    fn assessments(&self, mac: Option<&str>, limit: usize) -> Result<Vec<AssessmentRow>> {
        let mut st = self.db.prepare(
            "SELECT id, mac, ts, label, report, by FROM assessments WHERE (?1 IS NULL OR mac = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![mac, limit as i64], assessment_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .db
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    fn prune(&mut self, before: i64) -> Result<Pruned> {
        let tx = self.db.transaction()?;
        let events = tx.execute("DELETE FROM events WHERE ts < ?1", [before])?;
        let alerts = tx.execute("DELETE FROM alerts WHERE ts < ?1", [before])?;
        let flow_summaries = tx
            .execute("DELETE FROM flow_summaries WHERE last_seen < ?1", [before])?
            + tx.execute(
                "DELETE FROM traffic_hours WHERE hour + 3600 <= ?1",
                [before],
            )?;
        // Keep each URL's newest good file: the gateway falls back on it.
        let fetches = tx.execute(
            "DELETE FROM mud_fetches WHERE ts < ?1 AND id NOT IN
               (SELECT MAX(id) FROM mud_fetches WHERE outcome = 'ok' GROUP BY url)",
            [before],
        )?;
        tx.commit()?;
        Ok(Pruned {
            events,
            alerts,
            flow_summaries,
            fetches,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(url: &str, ts: i64, outcome: &str) -> FetchRow {
        FetchRow {
            id: 0,
            url: url.into(),
            ts,
            outcome: outcome.into(),
            error: None,
            http_status: Some(200),
            sha256: None,
            signature: "verified".into(),
            signer: None,
            body: (outcome == "ok").then(|| b"{}".to_vec()),
            valid_until: None,
        }
    }

    #[test]
    fn devices_upsert_keeps_first_seen() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let mut d = DeviceRow::new("02:00:00:00:00:AA", 10);
        s.upsert_device(&d).unwrap();
        d.last_seen = 20;
        d.first_seen = 15;
        d.state = "enforced".into();
        s.upsert_device(&d).unwrap();
        let got = s.device("02:00:00:00:00:aa").unwrap().unwrap();
        assert_eq!(
            (got.first_seen, got.last_seen, got.state.as_str()),
            (10, 20, "enforced")
        );
        d.name = Some("Front door camera".into());
        s.upsert_device(&d).unwrap();
        assert_eq!(
            s.devices().unwrap()[0].name.as_deref(),
            Some("Front door camera")
        );
    }

    #[test]
    fn last_good_fetch_survives_failures_and_pruning() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        s.record_fetch(&fetch("https://a/x", 1, "ok")).unwrap();
        s.record_fetch(&fetch("https://a/x", 2, "failed")).unwrap();
        s.record_fetch(&fetch("https://a/x", 3, "signature-failed"))
            .unwrap();
        assert_eq!(s.last_good_fetch("https://a/x").unwrap().unwrap().ts, 1);
        let p = s.prune(100).unwrap();
        assert_eq!(p.fetches, 2);
        assert_eq!(s.last_good_fetch("https://a/x").unwrap().unwrap().ts, 1);
    }

    #[test]
    fn alerts_are_acknowledged_once_and_settings_and_assessments_keep() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let id = s
            .record_alert(&AlertRow {
                id: 0,
                ts: 1,
                mac: Some("m".into()),
                kind: "mud.violation".into(),
                severity: "medium".into(),
                explanation: "x".into(),
                evidence: serde_json::json!({}),
                acknowledged_by: None,
                acknowledged_at: None,
            })
            .unwrap();
        assert_eq!(s.open_alerts(10).unwrap().len(), 1);
        assert!(s.acknowledge_alert(id, "ann (owner)", 5).unwrap());
        assert!(s.open_alerts(10).unwrap().is_empty());
        assert!(!s.acknowledge_alert(id, "bob (operator)", 6).unwrap());
        assert!(!s.acknowledge_alert(id + 1, "ann (owner)", 6).unwrap());
        let a = s.alert(id).unwrap().unwrap();
        assert_eq!(
            (a.acknowledged_by.as_deref(), a.acknowledged_at),
            (Some("ann (owner)"), Some(5))
        );
        s.record_event(1, None, "login", &serde_json::json!({"user": "ann"}))
            .unwrap();
        s.record_event(7, None, "login", &serde_json::json!({"user": "ann"}))
            .unwrap();
        s.record_event(8, None, "seen", &serde_json::json!({}))
            .unwrap();
        let logins = s.events_of_kind("login", 2, 10).unwrap();
        assert_eq!((logins.len(), logins[0].ts), (1, 7));
        assert_eq!(s.setting("context").unwrap(), None);
        s.set_setting("context", "healthcare").unwrap();
        s.set_setting("context", "office").unwrap();
        assert_eq!(s.setting("context").unwrap().as_deref(), Some("office"));
        s.record_assessment(&AssessmentRow {
            id: 0,
            mac: "m".into(),
            ts: 3,
            label: Some("2".into()),
            report: serde_json::json!({"verdicts": []}),
            by: "ann (owner)".into(),
        })
        .unwrap();
        let got = s.assessments(None, 10).unwrap();
        assert_eq!((got.len(), got[0].label.as_deref()), (1, Some("2")));
    }

    #[test]
    fn a_version_3_store_keeps_its_flows_through_migration_4() {
        let dir = std::env::temp_dir().join(format!("warden-store-v3-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("warden.db");
        {
            let db = Connection::open(&path).unwrap();
            for m in &MIGRATIONS[..3] {
                db.execute_batch(m).unwrap();
            }
            db.pragma_update(None, "user_version", 3).unwrap();
            db.execute(
                "INSERT INTO flow_summaries VALUES ('m', 'cloud.example', 'tcp', 443, 2, 20, 2000, 1, 9)",
                [],
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let f = &s.flow_summaries("m").unwrap()[0];
        assert_eq!(
            (
                f.remote.as_str(),
                f.direction.as_str(),
                f.verdict.as_str(),
                f.bytes
            ),
            ("cloud.example", "out", "unjudged", 2000)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn flows_add_up_and_prune_by_age() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let f = FlowSummary {
            mac: "m".into(),
            remote: "cloud.example".into(),
            protocol: "tcp".into(),
            port: 443,
            flows: 1,
            packets: 10,
            bytes: 1000,
            first_seen: 5,
            last_seen: 6,
            verdict: "allowed".into(),
            dropped: false,
            why: None,
            direction: "out".into(),
        };
        s.add_flow(&f).unwrap();
        s.add_flow(&FlowSummary {
            first_seen: 2,
            last_seen: 9,
            ..f.clone()
        })
        .unwrap();
        let got = &s.flow_summaries("m").unwrap()[0];
        assert_eq!(
            (got.flows, got.packets, got.first_seen, got.last_seen),
            (2, 20, 2, 9)
        );
        // A violation stays one; a later allowed flow does not wash it out.
        s.add_flow(&FlowSummary {
            verdict: "violation".into(),
            dropped: true,
            why: Some("not in its MUD file".into()),
            ..f.clone()
        })
        .unwrap();
        s.add_flow(&f).unwrap();
        let got = &s.flow_summaries("m").unwrap()[0];
        assert_eq!(
            (got.verdict.as_str(), got.dropped, got.why.as_deref()),
            ("violation", true, Some("not in its MUD file"))
        );
        // Four flows in the hour that starts at 0.
        let t = s.traffic("m", 0).unwrap();
        assert_eq!((t.len(), t[0].hour, t[0].packets), (1, 0, 40));
        // The same port opened by the remote is another row.
        s.add_flow(&FlowSummary {
            direction: "in".into(),
            last_seen: 9,
            ..f.clone()
        })
        .unwrap();
        assert_eq!(s.flow_summaries("m").unwrap().len(), 2);
        s.record_event(1, Some("m"), "seen", &serde_json::json!({}))
            .unwrap();
        s.record_event(50, Some("m"), "seen", &serde_json::json!({}))
            .unwrap();
        let p = s.prune(8).unwrap();
        assert_eq!((p.events, p.flow_summaries), (1, 0));
        assert_eq!(s.events(Some("m"), 10).unwrap().len(), 1);
        // The hour [0, 3600) ends before 3600: pruned then, with its row.
        assert_eq!(s.prune(3600).unwrap().flow_summaries, 3);
        assert!(s.traffic("m", 0).unwrap().is_empty());
    }

    #[test]
    fn a_newer_schema_is_refused_and_reopening_keeps_data() {
        let dir = std::env::temp_dir().join(format!("warden-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("w.db");
        {
            let mut s = SqliteStore::open(&p).unwrap();
            s.upsert_device(&DeviceRow::new("02:00:00:00:00:01", 1))
                .unwrap();
            assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        }
        assert_eq!(SqliteStore::open(&p).unwrap().devices().unwrap().len(), 1);
        {
            let db = Connection::open(&p).unwrap();
            db.pragma_update(None, "user_version", 99).unwrap();
        }
        assert!(matches!(
            SqliteStore::open(&p),
            Err(StoreError::TooNew(99, _))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
