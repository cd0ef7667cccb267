//! The gateway's state: every device with its enforcement state, the DNS
//! answers seen, and what the kernel was last given. All decisions are
//! made here, under one lock; the daemon's tasks only feed it.
//!
//! A device's enforcement state moves only by [`State::after`]:
//!
//! ```text
//! Observed  --MUD verified-->  Enforced  --MUD refreshed-->  Enforced
//! Observed | Enforced  --detector or operator-->  Quarantined
//! Quarantined  --release-->  Enforced (it has a MUD file) | Observed
//! Quarantined  --MUD refreshed-->  Quarantined (the file waits for release)
//! ```

use crate::config::{Config, Privacy, SignaturePolicy, UnknownDevices};

/// A core on an in-memory store whose enforcer cannot run (applies fail
/// and are retried; the ruleset is read with [`Core::entries`]), with
/// `extra` added to a minimal configuration. For tests.
#[cfg(test)]
pub(crate) fn test_core(extra: &str) -> Core {
    let cfg = Config::parse(&format!(
        "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.0.0.1\"\nstate-dir = \"/nonexistent\"\n\
         api-listen = \"10.0.0.1:8443\"\nremediation-listen = \"10.0.0.1:8080\"\n{extra}"
    ))
    .unwrap();
    let enforcer = Enforcer {
        nft: "/nonexistent/nft".into(),
        // Nothing is written: a whole replacement fails at its file.
        state_dir: "/nonexistent/state".into(),
        last: None,
        egress: None,
    };
    Core::load(cfg, SqliteStore::open_in_memory().unwrap(), enforcer).unwrap()
}

/// Why the core refused, or could not do, what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// No device with that MAC address is known.
    #[error("no such device")]
    NoSuchDevice,
    /// The request breaks one of the core's rules (a state change that is
    /// not allowed, a reason missing or too long, a device listed as
    /// infrastructure); the words say which, for the person who asked.
    #[error("{0}")]
    Refused(String),
    /// What was given does not read (a document, an archive, a date).
    #[error("{0}")]
    Invalid(String),
    /// The ruleset could not be made or put in the kernel.
    #[error(transparent)]
    Enforce(#[from] enforce::EnforceError),
    /// The store failed; what it holds is as it was.
    #[error("store: {0}")]
    Store(String),
}

impl From<warden_store::StoreError> for CoreError {
    fn from(e: warden_store::StoreError) -> CoreError {
        CoreError::Store(e.to_string())
    }
}

/// A person's reason, checked: one line, at most 500 characters, and (when
/// `required`) not empty. Returns it trimmed.
pub fn checked_reason(reason: &str, required: bool) -> Result<&str, CoreError> {
    let r = reason.trim();
    if (required && r.is_empty()) || r.len() > 500 || r.chars().any(char::is_control) {
        return Err(CoreError::Refused(if required {
            "reason: say why, in at most 500 characters on one line".into()
        } else {
            "reason: at most 500 characters on one line".into()
        }));
    }
    Ok(r)
}

/// What a flow summary holds instead of a destination the privacy level
/// keeps out of the store.
pub const NOT_RECORDED: &str = "(not recorded: privacy)";
use crate::enforce::{self, Enforcer, Entry};
use crate::fetch::{FetchError, Fetched, SignatureStatus};
use crate::identity::Category;
use crate::lifecycle::Lifecycle;
use crate::watch::Event;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use warden_detect::Verdict;
use warden_mud::{load, resolve, MacAddr, Policy, Rule, ValidateOptions, ValidatedMud};
use warden_store::{AlertRow, DeviceRow, FetchRow, FlowSummary, PolicyRow, SqliteStore, Store};

pub mod support;
pub mod transfer;
pub mod vulns;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum State {
    Observed,
    Enforced,
    Quarantined {
        reason: String,
        since: i64,
    },
    /// Cut off by a person: not even DNS or the remediation page.
    Blocked {
        reason: String,
        since: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    MudApplied,
    Quarantine { reason: String, at: i64 },
    Block { reason: String, at: i64 },
    Release,
}

impl State {
    /// Every state's [`State::name`], in the order of the life cycle.
    pub const NAMES: [&'static str; 4] = ["observed", "enforced", "quarantined", "blocked"];

    pub fn name(&self) -> &'static str {
        match self {
            State::Observed => "observed",
            State::Enforced => "enforced",
            State::Quarantined { .. } => "quarantined",
            State::Blocked { .. } => "blocked",
        }
    }

    /// The only way a state changes. `has_mud`: a verified file is held.
    pub fn after(&self, t: &Transition, has_mud: bool) -> Result<State, CoreError> {
        match (self, t) {
            (State::Quarantined { .. } | State::Blocked { .. }, Transition::MudApplied) => {
                Ok(self.clone())
            }
            (State::Blocked { .. }, Transition::Block { .. }) => {
                Err(CoreError::Refused("the device is blocked already".into()))
            }
            (_, Transition::Block { reason, at }) => Ok(State::Blocked {
                reason: reason.clone(),
                since: *at,
            }),
            // A block is a person's choice; a detector's quarantine would
            // give the device DNS and the remediation page back.
            (State::Blocked { .. }, Transition::Quarantine { .. }) => Err(CoreError::Refused(
                "the device is blocked, which holds more than a quarantine".into(),
            )),
            (_, Transition::MudApplied) => Ok(State::Enforced),
            (State::Quarantined { .. }, Transition::Quarantine { .. }) => Err(CoreError::Refused(
                "the device is already quarantined".into(),
            )),
            (_, Transition::Quarantine { reason, at }) => Ok(State::Quarantined {
                reason: reason.clone(),
                since: *at,
            }),
            (State::Quarantined { .. } | State::Blocked { .. }, Transition::Release) => {
                Ok(if has_mud {
                    State::Enforced
                } else {
                    State::Observed
                })
            }
            (_, Transition::Release) => Err(CoreError::Refused(
                "the device is neither quarantined nor blocked".into(),
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dev {
    pub mac: MacAddr,
    pub addresses: BTreeSet<IpAddr>,
    pub mud_url: Option<String>,
    /// A different MUD URL the device announced while `mud` (the file of
    /// `mud_url`) holds: it takes over only once fetched, validated and
    /// verified; until then the last verified policy stays.
    pub pending_url: Option<String>,
    pub mud: Option<ValidatedMud>,
    pub mud_valid_until: i64,
    pub state: State,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The name a person gave it on the dashboard or through the API.
    pub name: Option<String>,
    /// The category a person gave it (None: warden's guess, see
    /// [`Core::category`]).
    pub category: Option<Category>,
    /// Who gave the device its MUD file on the dashboard: the device's own
    /// announcements then no longer replace it.
    pub mud_given_by: Option<String>,
    /// Host names it announced over mDNS since the gateway started (not
    /// stored: devices announce them again).
    pub mdns_names: BTreeSet<String>,
    /// Where it is in its life in the household.
    pub lifecycle: Lifecycle,
}

enum EvKind {
    Lease,
    Other,
}

/// What the daemon should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Fetch(String),
}

/// The policies warden writes itself, made from the configuration.
struct OwnPolicies {
    quarantine: Policy,
    /// What a blocked device gets: nothing.
    blocked: Policy,
    /// What a device without a MUD file gets (`unknown-devices`).
    default_policy: Option<Policy>,
    /// warden's internet-only and updates-only policies, for devices past
    /// their support period ([`support`]).
    internet_only: Policy,
    updates_only: Policy,
}

impl OwnPolicies {
    fn of(cfg: &Config) -> Result<OwnPolicies, CoreError> {
        let ctx = &cfg.context;
        let rport = cfg.remediation_listen.port();
        let quarantine =
            enforce::own_policy(&enforce::quarantine_doc(cfg.gateway_address, rport), ctx)?;
        let internet_only =
            enforce::own_policy(&enforce::internet_only_doc(cfg.gateway_address), ctx)?;
        let default_policy = match cfg.unknown_devices {
            UnknownDevices::Observe => None,
            UnknownDevices::InternetOnly => Some(internet_only.clone()),
            UnknownDevices::Block => Some(quarantine.clone()),
        };
        Ok(OwnPolicies {
            blocked: enforce::own_policy(&enforce::blocked_doc(), ctx)?,
            updates_only: enforce::own_policy(
                &enforce::updates_only_doc(cfg.gateway_address, &cfg.support.update_hosts),
                ctx,
            )?,
            quarantine,
            default_policy,
            internet_only,
        })
    }
}

pub struct Core {
    pub cfg: Config,
    pub store: SqliteStore,
    pub enforcer: Enforcer,
    pub devices: BTreeMap<MacAddr, Dev>,
    /// name -> address -> expiry (Unix seconds).
    dns: HashMap<String, HashMap<IpAddr, i64>>,
    name_sets: BTreeMap<String, (String, String)>,
    pub applied_sha: Option<String>,
    /// warden's own policies, made from the configuration.
    own: OwnPolicies,
    /// Devices whose security updates have ended, and the support
    /// milestone last alerted for each.
    support_ended: BTreeSet<MacAddr>,
    support_alerted: HashMap<MacAddr, String>,
    support_day: time::Date,
    /// The restricted policies applied to such devices, for flow verdicts.
    support_applied: HashMap<MacAddr, Policy>,
    /// The OSV records the operator imported, and the (device,
    /// vulnerability) pairs already alerted ([`vulns`]).
    vulndb: warden_lifecycle::osv::VulnDb,
    vulns_alerted: BTreeSet<(MacAddr, String)>,
    /// When each (device, document URL) was last fetched ([`vulns`]).
    docs_fetched: HashMap<(MacAddr, String), i64>,
    /// Devices being handed on ([`transfer`]).
    transfers: HashMap<MacAddr, transfer::Pending>,
    fetching: BTreeSet<String>,
    last_alert: HashMap<(String, String, warden_detect::Role), i64>,
    /// Milliseconds from a DHCP request to its rules being live.
    pub apply_latencies_ms: Vec<f64>,
    failed_at: HashMap<String, i64>,
    /// When the last ruleset went live in the kernel.
    last_live: Option<std::time::Instant>,
    /// The gateway's own LAN interface addresses (never devices).
    pub own_macs: BTreeSet<MacAddr>,
    /// Each device's rules as last applied (None until the first apply
    /// since start), to tell when a new policy takes access away.
    applied_rules: Option<HashMap<MacAddr, Vec<Rule>>>,
    /// (quarantined MAC, new MAC) pairs already flagged as the same device.
    returned: BTreeSet<(MacAddr, MacAddr)>,
    /// Which device's answer brought each DNS name in, and how many names
    /// each device holds: one device doing DNS water torture fills its own
    /// share, not the table.
    dns_owner: HashMap<String, MacAddr>,
    dns_per_device: HashMap<MacAddr, u32>,
    /// Devices told once that they reached their share.
    dns_share_alerted: BTreeSet<MacAddr>,
    /// Names turned away because their device held its share.
    pub dns_dropped: u64,
    /// Addresses turned away because their name held
    /// `dns.addresses-per-name`, and the names told so once.
    pub addresses_refused: u64,
    names_full_alerted: BTreeSet<String>,
    /// Where the kernel shows the LAN bridge's ports.
    pub sysfs: crate::ports::Sysfs,
    /// Each pinned device's bridge port, and since when its entry has been
    /// missing from the bridge's forwarding database.
    pub pins: BTreeMap<MacAddr, String>,
    pin_missing_since: HashMap<MacAddr, i64>,
    /// The bridge port of each MAC as the ports' police last read it (every
    /// 2 s), for naming the port in alerts without reading sysfs again.
    homes: BTreeMap<MacAddr, String>,
    /// When each (kind, sender) forgery and each (port, MAC) frame from the
    /// wrong port was last alerted.
    forged_alerted: HashMap<(String, MacAddr), i64>,
    moved_alerted: HashMap<(String, MacAddr), i64>,
    /// While the daemon drains a burst of LAN events, applies wait for its
    /// end: one apply for the burst, not one per made-up device.
    batch: Option<Option<String>>,
    /// DHCP requests whose cached file waits for the next apply, for the
    /// apply latency.
    latency_marks: Vec<(MacAddr, std::time::Instant)>,
    /// A failed apply: (attempts, when to try again, since when).
    pub apply_failing: Option<(u32, i64, i64)>,
    /// When each device last made the gateway fetch a MUD file.
    fetched_for: HashMap<MacAddr, i64>,
    /// Every event and alert as it happens, for the dashboard's live
    /// updates (`{"kind": ..., "mac": ...}`; lagging receivers lose the
    /// oldest).
    pub live: tokio::sync::broadcast::Sender<String>,
    /// The kind of policy each device got in the last apply the kernel
    /// took ("mud", "default", "quarantine"): what the kernel holds, which
    /// the API shows beside what is intended.
    pub applied_kinds: HashMap<MacAddr, &'static str>,
    /// Each device's MUD file resolved in the deployment context, for the
    /// flows' verdicts (emptied at every apply).
    resolved: HashMap<MacAddr, Policy>,
    /// When each MUD URL's failed fetch was last alerted.
    fetch_alerted: HashMap<String, i64>,
    /// When each (device, remote, protocol, port) violation was last alerted.
    violations_alerted: HashMap<(MacAddr, String, String, u16, bool), i64>,
    /// The figures `/metrics` shows (shared with the watchers).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// A violation of the same (device, remote, protocol, port) is alerted
/// again after this long.
const VIOLATION_REALERT_S: i64 = 3600;

/// A MUD URL that keeps failing is alerted again after this long.
const FETCH_REALERT_S: i64 = 600;

/// The MUD URL of a profile warden generated from a device's own traffic
/// and a person applied: `warden:generated/<sha256 of the file>`.
pub const GENERATED_MUD_SCHEME: &str = "warden:generated/";
/// The MUD URL of a file a person gave on the dashboard (uploaded or
/// fetched from a URL they typed): `warden:given/<sha256 of the file>`.
pub const GIVEN_MUD_SCHEME: &str = "warden:given/";

/// A device makes the gateway fetch at most one MUD file per this many
/// seconds (a device announcing ever new URLs only wastes its own turn).
pub const FETCH_INTERVAL_PER_DEVICE_S: i64 = 60;

/// A device the gateway never confirmed (no address, no MUD file, no
/// lease, not quarantined) is forgotten after this long without a word.
pub const UNCONFIRMED_TTL_S: i64 = 600;

/// What the ports' police needs from the core (see [`Core::ports_plan`]).
pub struct PortsPlan {
    sysfs: crate::ports::Sysfs,
    bridges: Vec<String>,
    /// Known devices without a pin yet.
    unpinned: Vec<MacAddr>,
}

/// What it found in sysfs and the kernel.
pub struct PortsSeen {
    homes: BTreeMap<MacAddr, String>,
    /// Pins now in the kernel.
    pinned: Vec<(MacAddr, String)>,
    /// (port, MAC) of frames dropped for coming from the wrong port.
    moved: Vec<(String, MacAddr)>,
}

impl PortsPlan {
    /// Reads the forwarding database, pins the devices found in it, and
    /// reads the frames dropped from the wrong port: sysfs and `nft` work,
    /// done with no lock of the core held.
    pub fn look(self, enforcer: &Enforcer) -> PortsSeen {
        let homes = self.sysfs.homes(&self.bridges);
        let new: Vec<(MacAddr, String)> = self
            .unpinned
            .iter()
            .filter_map(|m| homes.get(m).map(|p| (*m, p.clone())))
            .collect();
        let pinned = match enforcer.pin(&new) {
            Ok(()) => new,
            Err(e) => {
                log!("{e}");
                vec![]
            }
        };
        let moved = enforcer.moved().unwrap_or_else(|e| {
            log!("{e}");
            vec![]
        });
        PortsSeen {
            homes,
            pinned,
            moved,
        }
    }
}

/// A pin whose device has not been seen on its port for this long is lifted
/// (the device moved or left), so a device moved to another port works
/// again after at most this long plus the bridge's ageing time.
pub const PIN_IDLE_S: i64 = 600;

/// Names one device may bring into the gateway's DNS table (names that an
/// applied policy uses are always learned).
pub const DNS_NAMES_PER_DEVICE: u32 = 2048;
/// Names in the table in all.
pub const DNS_NAMES: usize = 65_536;

/// Whether `new` keeps every access `old` gave (rule names aside). When it
/// does not, the device's tracked connections must be cut, or the ones the
/// new policy forbids would go on.
fn keeps_access(old: Option<&Vec<Rule>>, new: &[Rule]) -> bool {
    let Some(old) = old else {
        // Not in the ruleset before: everything was allowed.
        return false;
    };
    old.iter().all(|o| new.iter().any(|n| same_access(o, n)))
}

/// Two rules that allow or deny the same traffic, whatever their names.
fn same_access(a: &Rule, b: &Rule) -> bool {
    let Rule {
        direction,
        action,
        family,
        remote,
        device_net,
        protocol,
        remote_port,
        device_port,
        icmp,
        ethertype,
        remote_mac,
        initiated_by,
        // A ClientHello profile changes what is reported, not what passes.
        tls_profiles: _,
        origin: _,
    } = a;
    (direction, action, family, remote, device_net, protocol)
        == (
            &b.direction,
            &b.action,
            &b.family,
            &b.remote,
            &b.device_net,
            &b.protocol,
        )
        && (
            remote_port,
            device_port,
            icmp,
            ethertype,
            remote_mac,
            initiated_by,
        ) == (
            &b.remote_port,
            &b.device_port,
            &b.icmp,
            &b.ethertype,
            &b.remote_mac,
            &b.initiated_by,
        )
}

fn mac_s(m: &MacAddr) -> String {
    m.to_string()
}

/// The newest good file the store holds for `url`, validated again (as
/// when it was fetched), with the time its cache validity ends.
fn last_good(store: &SqliteStore, url: &str) -> Option<(ValidatedMud, i64)> {
    let f = store.last_good_fetch(url).ok()??;
    // A file a person gave has no URL of its own to match.
    let given = url.starts_with(GIVEN_MUD_SCHEME) || url.starts_with(GENERATED_MUD_SCHEME);
    let opts = ValidateOptions {
        source_url: (!given).then(|| url.to_string()),
        ..Default::default()
    };
    let v = load(f.body.as_deref()?, &opts).ok()?;
    Some((v.mud, f.valid_until.unwrap_or(0)))
}

impl Core {
    /// Loads what the store holds. Nothing is applied yet: see [`Core::reconcile`].
    pub fn load(cfg: Config, store: SqliteStore, enforcer: Enforcer) -> Result<Core, CoreError> {
        let own = OwnPolicies::of(&cfg)?;
        let support_alerted: HashMap<MacAddr, String> = store
            .support_milestones()?
            .into_iter()
            .filter_map(|(m, s)| Some((MacAddr::parse(&m)?, s)))
            .collect();
        let support_ended = support_alerted
            .iter()
            .filter(|(_, s)| s.as_str() == "ended")
            .map(|(m, _)| *m)
            .collect();
        let mut devices = BTreeMap::new();
        for r in store.devices()? {
            let Some(mac) = MacAddr::parse(&r.mac) else {
                continue;
            };
            let mut d = Dev {
                mac,
                addresses: r.addresses.iter().filter_map(|a| a.parse().ok()).collect(),
                mud_url: r.mud_url.clone(),
                pending_url: None,
                mud: None,
                mud_valid_until: 0,
                state: match r.state.as_str() {
                    "quarantined" => State::Quarantined {
                        reason: r.state_reason.clone().unwrap_or_default(),
                        since: r.last_seen,
                    },
                    "blocked" => State::Blocked {
                        reason: r.state_reason.clone().unwrap_or_default(),
                        since: r.last_seen,
                    },
                    "enforced" => State::Enforced,
                    _ => State::Observed,
                },
                hostname: r.hostname.clone(),
                vendor_class: r.vendor_class.clone(),
                first_seen: r.first_seen,
                last_seen: r.last_seen,
                name: r.name.clone(),
                category: r.category.as_deref().and_then(Category::parse),
                mud_given_by: r.mud_given_by.clone(),
                mdns_names: BTreeSet::new(),
                lifecycle: Lifecycle::parse(&r.lifecycle).unwrap_or(Lifecycle::Discovered),
            };
            if let Some(url) = &r.mud_url {
                if let Some((mud, until)) = last_good(&store, url) {
                    d.mud = Some(mud);
                    d.mud_valid_until = until;
                }
            }
            if d.state == State::Enforced && d.mud.is_none() {
                d.state = State::Observed;
            }
            devices.insert(mac, d);
        }
        let mut core = Core {
            cfg,
            store,
            enforcer,
            devices,
            dns: HashMap::new(),
            name_sets: BTreeMap::new(),
            applied_sha: None,
            own,
            support_ended,
            support_alerted,
            support_day: support::day_of(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0),
            ),
            support_applied: HashMap::new(),
            vulndb: Default::default(),
            vulns_alerted: BTreeSet::new(),
            transfers: HashMap::new(),
            docs_fetched: HashMap::new(),
            fetching: BTreeSet::new(),
            last_alert: HashMap::new(),
            apply_latencies_ms: vec![],
            failed_at: HashMap::new(),
            last_live: None,
            own_macs: BTreeSet::new(),
            applied_rules: None,
            returned: BTreeSet::new(),
            dns_owner: HashMap::new(),
            dns_per_device: HashMap::new(),
            dns_share_alerted: BTreeSet::new(),
            dns_dropped: 0,
            addresses_refused: 0,
            names_full_alerted: BTreeSet::new(),
            sysfs: crate::ports::Sysfs::default(),
            pins: BTreeMap::new(),
            pin_missing_since: HashMap::new(),
            homes: BTreeMap::new(),
            forged_alerted: HashMap::new(),
            moved_alerted: HashMap::new(),
            batch: None,
            latency_marks: Vec::new(),
            apply_failing: None,
            fetched_for: HashMap::new(),
            applied_kinds: HashMap::new(),
            live: tokio::sync::broadcast::channel(256).0,
            resolved: HashMap::new(),
            violations_alerted: HashMap::new(),
            fetch_alerted: HashMap::new(),
            metrics: Default::default(),
        };
        core.reload_vulns()?;
        core.vulns_alerted = core
            .store
            .events_of_kind("vuln-alerted", 0, 100_000)?
            .into_iter()
            .filter_map(|e| {
                Some((
                    MacAddr::parse(e.mac.as_deref()?)?,
                    e.detail["id"].as_str()?.to_string(),
                ))
            })
            .collect();
        Ok(core)
    }

    fn event(&mut self, now: i64, mac: Option<&MacAddr>, kind: &str, detail: serde_json::Value) {
        let m = mac.map(mac_s);
        if let Err(e) = self.store.record_event(now, m.as_deref(), kind, &detail) {
            log!("store: {e}");
        }
        let _ = self.live.send(json!({"kind": kind, "mac": m}).to_string());
    }

    fn save(&mut self, mac: &MacAddr) {
        let Some(d) = self.devices.get(mac) else {
            return;
        };
        let row = DeviceRow {
            mac: mac_s(mac),
            addresses: d.addresses.iter().map(|a| a.to_string()).collect(),
            mud_url: d.mud_url.clone(),
            hostname: d.hostname.clone(),
            vendor_class: d.vendor_class.clone(),
            state: d.state.name().into(),
            state_reason: match &d.state {
                State::Quarantined { reason, .. } | State::Blocked { reason, .. } => {
                    Some(reason.clone())
                }
                _ => None,
            },
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            name: d.name.clone(),
            category: d.category.map(|c| c.name().to_string()),
            mud_given_by: d.mud_given_by.clone(),
            lifecycle: d.lifecycle.name().into(),
        };
        if let Err(e) = self.store.upsert_device(&row) {
            log!("store: {e}");
        }
    }

    /// The kind of policy `d` is meant to have now (None: not in the ruleset).
    pub fn intended_kind(&self, d: &Dev) -> Option<&'static str> {
        if self.cfg.infrastructure.contains(&d.mac) {
            return None;
        }
        match (&d.state, &d.mud) {
            (State::Quarantined { .. }, _) => Some("quarantine"),
            (State::Blocked { .. }, _) => Some("block"),
            (State::Enforced, Some(_)) if self.support_restricted(&d.mac) => Some("support-end"),
            (State::Enforced, Some(_)) => Some("mud"),
            _ if self.support_restricted(&d.mac)
                && self.cfg.unknown_devices != UnknownDevices::Block =>
            {
                Some("support-end")
            }
            _ => self.own.default_policy.as_ref().map(|_| "default"),
        }
    }

    /// The entries of the ruleset, with the kind of each policy.
    fn entries(&self) -> Vec<(Entry, &'static str, Option<String>)> {
        let mut out = Vec::new();
        for d in self.devices.values() {
            if self.cfg.infrastructure.contains(&d.mac) {
                continue; // the network's own equipment: never locked out
            }
            let (policy, kind) = match (&d.state, &d.mud) {
                (State::Quarantined { .. }, _) => (Some(self.own.quarantine.clone()), "quarantine"),
                (State::Blocked { .. }, _) => (Some(self.own.blocked.clone()), "block"),
                (State::Enforced, Some(m)) => (Some(resolve(m, &self.cfg.context)), "mud"),
                _ => (self.own.default_policy.clone(), "default"),
            };
            // Past its support period: the deployment's restriction, never
            // wider than a default that blocks.
            let (policy, kind) = match kind {
                "mud" | "default"
                    if !(kind == "default"
                        && self.cfg.unknown_devices == UnknownDevices::Block) =>
                {
                    match self.support_policy(&d.mac, policy.as_ref()) {
                        Some(p) => (Some(p), "support-end"),
                        None => (policy, kind),
                    }
                }
                _ => (policy, kind),
            };
            if let Some(policy) = policy {
                out.push((
                    Entry {
                        mac: d.mac,
                        addresses: d.addresses.iter().copied().collect(),
                        policy,
                    },
                    kind,
                    d.mud_url.clone().filter(|_| kind == "mud"),
                ));
            }
        }
        out
    }

    /// Applies wait until [`Core::end_batch`]; for a burst of LAN events.
    pub fn begin_batch(&mut self) {
        if self.batch.is_none() {
            self.batch = Some(None);
        }
    }

    /// Ends a burst: one apply when any event asked for one.
    pub fn end_batch(&mut self, now: i64) {
        if let Some(Some(why)) = self.batch.take() {
            let _ = self.reapply(now, &why);
        }
    }

    /// Runs with `reload`'s configuration from now (the file re-read on
    /// SIGHUP): warden's own policies are made from it first, so one they
    /// cannot be made from leaves the running configuration as it was.
    /// Then the ruleset is applied again (retried if that fails).
    pub fn reconfigure(
        &mut self,
        reload: crate::config::Reload,
        now: i64,
    ) -> Result<(), CoreError> {
        let own = OwnPolicies::of(&reload.config)?;
        self.cfg = reload.config;
        self.own = own;
        self.event(
            now,
            None,
            "configuration-reloaded",
            json!({"changed": reload.now, "at_restart": reload.at_restart}),
        );
        // The configuration is taken; an apply that fails is retried as
        // any failed apply is.
        if let Err(e) = self.reapply(now, "configuration re-read") {
            log!("the configuration is taken, but its ruleset did not apply ({e}); retrying");
        }
        Ok(())
    }

    /// Compiles and applies everything, then refills the DNS sets. Within
    /// a batch, only notes that an apply is due. A failure is retried with
    /// back-off ([`Core::retry_apply`]) and alerted once per failing streak.
    pub fn reapply(&mut self, now: i64, why: &str) -> Result<(), CoreError> {
        // A MUD file may have changed: verdicts resolve it again.
        self.resolved.clear();
        if let Some(due) = &mut self.batch {
            due.get_or_insert_with(|| why.to_string());
            return Ok(());
        }
        let r = self.apply_now(now, why);
        match &r {
            Ok(()) => {
                if let Some((attempts, _, since)) = self.apply_failing.take() {
                    self.event(
                        now,
                        None,
                        "apply-recovered",
                        json!({"attempts": attempts, "failing_s": now - since}),
                    );
                }
                let live = self.last_live.unwrap_or_else(std::time::Instant::now);
                for (mac, at) in std::mem::take(&mut self.latency_marks) {
                    let ms = live.saturating_duration_since(at).as_secs_f64() * 1000.0;
                    self.apply_latencies_ms.push(ms);
                    self.metrics.apply_latency(ms / 1000.0);
                    log!("{mac}: cached MUD file live {ms:.2} ms after its DHCP request");
                    self.event(now, Some(&mac), "apply-latency", json!({"ms": ms}));
                }
            }
            Err(e) => {
                let (attempts, since) = match self.apply_failing {
                    Some((a, _, since)) => (a + 1, since),
                    None => (1, now),
                };
                let wait = 1i64 << attempts.min(6); // 2, 4, ... 64 s
                self.apply_failing = Some((attempts, now + wait, since));
                if attempts == 1 {
                    self.alert(
                        now,
                        None,
                        "enforcement.failed",
                        "high",
                        &format!(
                            "The kernel refused the new ruleset ({e}). What it held before stays \
                             in force; warden tries again with back-off, and the API shows what the \
                             kernel holds beside what was intended."
                        ),
                        json!({"why": why, "error": e.to_string()}),
                    );
                }
            }
        }
        r
    }

    /// Whether `mac` may make the gateway fetch now (and uses its turn).
    fn may_fetch_for(&mut self, mac: &MacAddr, now: i64) -> bool {
        if self
            .fetched_for
            .get(mac)
            .is_some_and(|t| now - *t < FETCH_INTERVAL_PER_DEVICE_S)
        {
            return false;
        }
        if self.fetched_for.len() >= 65_536 {
            self.fetched_for
                .retain(|_, t| now - *t < FETCH_INTERVAL_PER_DEVICE_S);
        }
        self.fetched_for.insert(*mac, now);
        true
    }

    /// A fetch that could not even start (too many waiting): forgotten, and
    /// asked for again at the device's next announcement after a minute.
    pub fn fetch_deferred(&mut self, url: &str, now: i64) {
        self.fetching.remove(url);
        self.failed_at.insert(url.to_string(), now);
        self.event(now, None, "mud-fetch-deferred", json!({"url": url}));
    }

    /// Tries a failed apply again when its back-off has passed.
    pub fn retry_apply(&mut self, now: i64) {
        if let Some((_, next, _)) = self.apply_failing {
            if now >= next {
                let _ = self.reapply(now, "retry after a failed apply");
            }
        }
    }

    fn apply_now(&mut self, now: i64, why: &str) -> Result<(), CoreError> {
        let (plain, meta): (Vec<Entry>, Vec<(&'static str, Option<String>)>) = self
            .entries()
            .into_iter()
            .map(|(e, kind, url)| (e, (kind, url)))
            .unzip();
        let t0 = std::time::Instant::now();
        let applied = self.enforcer.apply(&plain);
        self.metrics
            .apply(applied.is_ok(), t0.elapsed().as_secs_f64());
        let applied = match applied {
            Ok(a) => a,
            Err(e) => {
                self.event(
                    now,
                    None,
                    "apply-failed",
                    json!({"why": why, "error": e.to_string()}),
                );
                return Err(e.into());
            }
        };
        self.last_live = Some(std::time::Instant::now());
        self.support_applied = plain
            .iter()
            .zip(&meta)
            .filter(|(_, (kind, _))| *kind == "support-end")
            .map(|(e, _)| (e.mac, e.policy.clone()))
            .collect();
        let rows: Vec<PolicyRow> = plain
            .iter()
            .zip(&meta)
            .map(|(e, (kind, url))| PolicyRow {
                mac: mac_s(&e.mac),
                kind: kind.to_string(),
                mud_url: url.clone(),
                applied_at: now,
                ruleset_sha256: applied.sha256.clone(),
                rules: e.policy.rules().len(),
            })
            .collect();
        if let Err(e) = self.store.record_policies(&rows) {
            log!("store: {e}");
        }
        self.name_sets = applied.name_sets.clone();
        self.applied_sha = Some(applied.sha256.clone());
        self.applied_kinds = plain
            .iter()
            .zip(&meta)
            .map(|(e, (kind, _))| (e.mac, *kind))
            .collect();
        self.event(
            now,
            None,
            "ruleset-applied",
            json!({"why": why, "sha256": applied.sha256, "devices": plain.len(), "rules": applied.rules, "incremental": applied.incremental}),
        );
        self.refill(now);
        if !applied.incremental {
            // A whole replacement empties the bridge table's pin sets.
            self.repin();
        }
        self.cut_lost_access(&plain, now);
        Ok(())
    }

    /// Cuts the tracked connections of every device whose new policy takes
    /// access away (quarantine, block, a tighter MUD file, a device that
    /// joins the ruleset), so nothing opened before goes on.
    fn cut_lost_access(&mut self, applied: &[Entry], now: i64) {
        let new: HashMap<MacAddr, Vec<Rule>> = applied
            .iter()
            .map(|e| (e.mac, e.policy.rules().to_vec()))
            .collect();
        let Some(old) = self.applied_rules.replace(new) else {
            return; // the first apply since start: the kernel already held a ruleset
        };
        for e in applied {
            if keeps_access(old.get(&e.mac), e.policy.rules()) {
                continue;
            }
            let addrs: Vec<IpAddr> = e.addresses.clone();
            let t0 = std::time::Instant::now();
            let outcome = crate::conntrack::cut(&addrs);
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            match outcome {
                Ok(what) => self.event(
                    now,
                    Some(&e.mac),
                    "connections-cut",
                    json!({"addresses": addrs, "outcome": what, "ms": ms}),
                ),
                Err(err) => {
                    log!("{err}");
                    self.event(
                        now,
                        Some(&e.mac),
                        "connections-cut-failed",
                        json!({"addresses": addrs, "error": err.to_string()}),
                    )
                }
            }
        }
    }

    fn refill(&mut self, now: i64) {
        let mut els = Vec::new();
        for (name, (s4, s6)) in &self.name_sets {
            if let Some(addrs) = self.dns.get(name) {
                for (ip, exp) in addrs {
                    if *exp > now {
                        let set = if ip.is_ipv4() { s4 } else { s6 };
                        els.push((set.clone(), *ip, (*exp - now) as u32));
                    }
                }
            }
        }
        if let Err(e) = self.enforcer.fill(&els) {
            log!("{e}");
        }
    }

    /// On start: does the kernel hold what the store intends? Applies only
    /// when it does not (an unchanged table keeps its filled DNS sets).
    pub fn reconcile(&mut self, now: i64) -> Result<String, CoreError> {
        let plain: Vec<Entry> = self.entries().into_iter().map(|(e, _, _)| e).collect();
        let (rs, intended) = self.enforcer.build(&plain)?;
        let kernel = self.enforcer.kernel_marker();
        let outcome = if kernel.as_deref() == Some(&intended[..16]) {
            self.applied_sha = Some(intended.clone());
            self.name_sets = enforce::name_sets(&rs);
            self.applied_kinds = self
                .devices
                .values()
                .filter_map(|d| self.intended_kind(d).map(|k| (d.mac, k)))
                .collect();
            self.enforcer.remember(rs, intended.clone());
            "the kernel holds what the store intends: nothing applied".to_string()
        } else {
            self.reapply(now, "reconcile")?;
            format!(
                "the kernel held {}; applied the intended ruleset",
                kernel
                    .map(|k| format!("ruleset {k}"))
                    .unwrap_or_else(|| "no warden table".into())
            )
        };
        self.event(
            now,
            None,
            "reconciled",
            json!({"intended": intended, "outcome": outcome}),
        );
        Ok(outcome)
    }

    fn dev(&mut self, mac: MacAddr, now: i64) -> &mut Dev {
        self.devices.entry(mac).or_insert_with(|| Dev {
            mac,
            addresses: BTreeSet::new(),
            mud_url: None,
            pending_url: None,
            mud: None,
            mud_valid_until: 0,
            state: State::Observed,
            hostname: None,
            vendor_class: None,
            first_seen: now,
            last_seen: now,
            name: None,
            category: None,
            mud_given_by: None,
            mdns_names: BTreeSet::new(),
            lifecycle: Lifecycle::Discovered,
        })
    }

    fn in_ruleset(&self, mac: &MacAddr) -> bool {
        self.devices.get(mac).is_some_and(|d| {
            !(matches!(d.state, State::Observed) && self.own.default_policy.is_none())
        })
    }

    /// The gateway's own frames are not a device's.
    fn is_own(&self, mac: &MacAddr, ip: IpAddr) -> bool {
        ip == self.cfg.gateway_address || self.own_macs.contains(mac)
    }

    fn add_address(&mut self, mac: MacAddr, ip: IpAddr, now: i64) -> bool {
        // An address belongs to one device: a lease that moved takes it along.
        let mut moved = false;
        for (m, d) in self.devices.iter_mut() {
            if *m != mac && d.addresses.remove(&ip) {
                moved = true;
            }
        }
        let d = self.dev(mac, now);
        d.last_seen = now;
        let new = d.addresses.len() < 16 && d.addresses.insert(ip);
        new || moved
    }

    /// Takes one event from the LAN; returns what to do next.
    pub fn on_event(&mut self, ev: Event, now: i64) -> Vec<Action> {
        let mut actions = Vec::new();
        let ev_kind = match &ev {
            Event::Lease { .. } => EvKind::Lease,
            _ => EvKind::Other,
        };
        match ev {
            Event::Dhcp {
                mac,
                mud_url,
                hostname,
                vendor_class,
                at,
                via,
            } => {
                // A device being handed on: its reset (a new DHCP exchange
                // under a new identity) ends the old household's history.
                let _ =
                    self.transfer_reset(&mac, hostname.as_deref(), vendor_class.as_deref(), now);
                let known = self.devices.contains_key(&mac);
                let d = self.dev(mac, now);
                d.last_seen = now;
                if hostname.is_some() {
                    d.hostname = hostname;
                }
                if vendor_class.is_some() {
                    d.vendor_class = vendor_class;
                }
                let changed = mud_url.is_some() && d.mud_url != mud_url;
                if changed && d.mud_given_by.is_some() {
                    // A person gave this device its file: what the device
                    // announces is noted, never applied over it.
                    let kept = d.mud_url.clone();
                    self.save(&mac);
                    self.event(
                        now,
                        Some(&mac),
                        "mud-url-not-taken",
                        json!({"announced": mud_url, "kept": kept, "via": via}),
                    );
                    return actions;
                }
                // A device that holds a verified file and announces another
                // URL keeps its policy until the new file is verified: a URL
                // changes with a firmware update, or because someone forged it.
                let switching = changed && d.mud.is_some();
                if switching {
                    if d.pending_url == mud_url {
                        return actions; // already waiting for it
                    }
                    d.pending_url = mud_url.clone();
                } else if changed {
                    d.mud_url = mud_url.clone();
                    d.pending_url = None;
                    d.mud = None;
                } else if mud_url.is_some() {
                    d.pending_url = None; // back to the URL it holds
                }
                if switching {
                    let old = d.mud_url.clone();
                    let url = mud_url.clone().unwrap_or_default();
                    self.event(
                        now,
                        Some(&mac),
                        "mud-url-changed",
                        json!({"from": old, "to": url, "via": via}),
                    );
                    self.alert(
                        now,
                        Some(&mac),
                        "mud.url-changed",
                        "medium",
                        &format!(
                            "The device announced another MUD URL ({url}, was {}). Its current policy \
                             stays until the new file is fetched and verified. A MUD URL changes with a \
                             firmware update; if there was none, something on the network is speaking \
                             for this device.",
                            old.as_deref().unwrap_or("none")
                        ),
                        json!({"from": old, "to": url, "via": via}),
                    );
                    if self.may_fetch_for(&mac, now) && self.fetching.insert(url.clone()) {
                        actions.push(Action::Fetch(url));
                    }
                    return actions;
                }
                let url = d.mud_url.clone();
                let fresh = d.mud.is_some() && d.mud_valid_until > now;
                // A cached good file is applied first: what is recorded
                // below waits until the rules are live.
                let cached = match &url {
                    Some(u) if !fresh => self.apply_cached(&mac, u, at, now),
                    _ => false,
                };
                if !known {
                    self.event(
                        now,
                        Some(&mac),
                        "device-learned",
                        json!({"mud_url": url, "via": via}),
                    );
                }
                if changed {
                    self.event(
                        now,
                        Some(&mac),
                        "mud-url-announced",
                        json!({"mud_url": url, "via": via}),
                    );
                }
                self.save(&mac);
                self.check_returned(&mac, now);
                if let Some(url) = url {
                    if !fresh {
                        // A file that just failed is not asked for again at every DHCP packet.
                        let recent_failure =
                            self.failed_at.get(&url).is_some_and(|t| now - *t < 60);
                        if !cached
                            && !recent_failure
                            && !self.fetching.contains(&url)
                            && self.may_fetch_for(&mac, now)
                        {
                            self.fetching.insert(url.clone());
                            actions.push(Action::Fetch(url));
                        }
                    }
                } else if !known && self.own.default_policy.is_some() {
                    let _ = self.reapply(now, "new device without MUD");
                }
            }
            Event::Lease { mac, ip } | Event::Seen { mac, ip } => {
                if self.is_own(&mac, ip) {
                    return actions;
                }
                // Only the trusted DHCP server moves an address from one
                // device to another; traffic claiming a neighbour's address
                // (spoofed, alerted by the spoof detectors) does not.
                let lease = matches!(ev_kind, EvKind::Lease);
                if !lease
                    && self
                        .devices
                        .iter()
                        .any(|(m, d)| *m != mac && d.addresses.contains(&ip))
                {
                    return actions;
                }
                if self.add_address(mac, ip, now) {
                    self.event(now, Some(&mac), "address", json!({"ip": ip}));
                    self.save(&mac);
                    if self.in_ruleset(&mac) || self.own.default_policy.is_some() {
                        let _ = self.reapply(now, "device address");
                    }
                }
            }
            Event::Dns { to, bindings } => {
                let mut els = Vec::new();
                let per_name = self.cfg.dns.addresses_per_name;
                for (name, ip, ttl) in bindings {
                    // Whatever TTL the answer claims: within the configured range.
                    let ttl = self.cfg.dns.clamp(ttl);
                    let exp = now + i64::from(ttl);
                    let needed = self.name_sets.contains_key(&name);
                    if !self.dns.contains_key(&name) && !self.admit_name(&name, to, needed, now) {
                        continue;
                    }
                    let m = self.dns.entry(name.clone()).or_default();
                    if m.len() >= per_name && !m.contains_key(&ip) {
                        self.addresses_refused += 1;
                        if self.names_full_alerted.insert(name.clone()) {
                            self.alert(
                                now,
                                to.as_ref(),
                                "dns.set-full",
                                "low",
                                &format!(
                                    "The name {name} already has {per_name} live addresses; more are \
                                     not learned (dns.addresses-per-name)."
                                ),
                                json!({"name": name, "addresses": per_name}),
                            );
                        }
                        continue;
                    }
                    m.insert(ip, exp);
                    if let Some((s4, s6)) = self.name_sets.get(&name) {
                        els.push((if ip.is_ipv4() { s4.clone() } else { s6.clone() }, ip, ttl));
                    }
                }
                if let Err(e) = self.enforcer.fill(&els) {
                    log!("{e}");
                }
            }
            Event::Mdns { mac, names } => {
                // Only devices the gateway knows: mDNS makes none.
                if let Some(d) = self.devices.get_mut(&mac) {
                    for n in names {
                        if d.mdns_names.len() < crate::watch::MDNS_NAMES_PER_DEVICE {
                            d.mdns_names.insert(n);
                        }
                    }
                }
            }
            Event::Detection(det) => self.on_detection(det, now),
            Event::Forged {
                sender,
                kind,
                claimed,
                what,
            } => self.on_forged(sender, kind, claimed, &what, now),
            Event::TlsHello {
                mac,
                device,
                device_port,
                remote,
                protocol,
                port,
                hello,
                ts_ns,
            } => self.on_tls_hello(
                mac,
                device,
                device_port,
                remote,
                protocol,
                port,
                &hello,
                ts_ns,
                now,
            ),
            Event::Flow {
                mac,
                device,
                device_port,
                remote,
                protocol,
                port,
                outbound,
                midstream,
                packets,
                bytes,
                first_ns,
                last_ns,
            } => {
                let names = self.names_bound_to(remote);
                let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let attempt = warden_detect::Attempt {
                    protocol,
                    device_ip: device,
                    device_port,
                    remote_ip: remote,
                    remote_port: port,
                    remote_mac: None,
                    names: &name_refs,
                    opened_by_device: outbound,
                    midstream,
                    first_ns,
                    packets,
                    bytes,
                };
                let (verdict, why) = match self.mud_policy(&mac) {
                    None => ("unjudged", None),
                    Some(p) => match warden_detect::judge(p, &attempt) {
                        Verdict::Allowed => ("allowed", None),
                        Verdict::Exempt => ("exempt", None),
                        Verdict::Violation(v) => ("violation", Some(v.explanation)),
                    },
                };
                let dropped = match self.applied_kinds.get(&mac).copied() {
                    Some("mud") => verdict == "violation",
                    Some("quarantine") => matches!(
                        warden_detect::judge(&self.own.quarantine, &attempt),
                        Verdict::Violation(_)
                    ),
                    Some("block") => !matches!(
                        warden_detect::judge(&self.own.blocked, &attempt),
                        Verdict::Exempt
                    ),
                    Some("default") => self.own.default_policy.as_ref().is_some_and(|p| {
                        matches!(warden_detect::judge(p, &attempt), Verdict::Violation(_))
                    }),
                    Some("support-end") => self.support_applied.get(&mac).is_some_and(|p| {
                        matches!(warden_detect::judge(p, &attempt), Verdict::Violation(_))
                    }),
                    _ => false,
                };
                let remote_name = names.first().cloned().unwrap_or_else(|| remote.to_string());
                let proto = match protocol {
                    6 => "tcp".to_string(),
                    17 => "udp".into(),
                    1 | 58 => "icmp".into(),
                    p => p.to_string(),
                };
                if let Some(why) = &why {
                    let service = if outbound { port } else { device_port };
                    self.violation(
                        &mac,
                        &remote_name,
                        &proto,
                        service,
                        outbound,
                        dropped,
                        why,
                        now,
                    );
                }
                // The privacy level: a personal device's (or, with
                // aggregates, every device's) destination is not recorded;
                // its counts and times are.
                let hide = match self.cfg.privacy {
                    Privacy::Full => false,
                    Privacy::Aggregates => true,
                    Privacy::HidePersonal => self
                        .devices
                        .get(&mac)
                        .is_none_or(|d| self.category(d).personal()),
                };
                let _ = self.store.add_flow(&FlowSummary {
                    mac: mac_s(&mac),
                    remote: if hide {
                        NOT_RECORDED.to_string()
                    } else {
                        remote_name
                    },
                    protocol: proto,
                    // The service's port: the remote's when the device
                    // opened it, the device's own otherwise.
                    port: if outbound { port } else { device_port },
                    direction: if outbound { "out" } else { "in" }.into(),
                    flows: 1,
                    packets,
                    bytes,
                    first_seen: first_ns / 1_000_000_000,
                    last_seen: last_ns / 1_000_000_000,
                    verdict: verdict.into(),
                    dropped,
                    why,
                });
            }
        }
        actions
    }

    fn apply_cached(&mut self, mac: &MacAddr, url: &str, at: std::time::Instant, now: i64) -> bool {
        let Some((mud, until)) = last_good(&self.store, url).filter(|(_, u)| *u > now) else {
            return false;
        };
        let Some(d) = self.devices.get_mut(mac) else {
            return false;
        };
        d.mud = Some(mud);
        d.mud_valid_until = until;
        let Ok(s) = d.state.after(&Transition::MudApplied, true) else {
            return false;
        };
        d.state = s;
        self.latency_marks.push((*mac, at));
        self.identified(mac, now);
        let ok = self.reapply(now, "cached MUD file").is_ok();
        self.save(mac);
        self.event(
            now,
            Some(mac),
            "mud-applied",
            json!({"mud_url": url, "from": "cache"}),
        );
        ok
    }

    /// A device's MUD file resolved in the deployment context (cached
    /// until the next apply). None without a MUD file.
    fn mud_policy(&mut self, mac: &MacAddr) -> Option<&Policy> {
        let d = self.devices.get(mac)?;
        let mud = d.mud.as_ref()?;
        if !self.resolved.contains_key(mac) {
            if self.resolved.len() >= 4096 {
                self.resolved.clear();
            }
            self.resolved.insert(*mac, resolve(mud, &self.cfg.context));
        }
        self.resolved.get(mac)
    }

    /// A flow its MUD file does not allow: one alert per (device, remote,
    /// protocol, port) an hour, in a sentence a person can act on.
    #[allow(clippy::too_many_arguments)]
    fn violation(
        &mut self,
        mac: &MacAddr,
        remote: &str,
        proto: &str,
        port: u16,
        outbound: bool,
        dropped: bool,
        why: &str,
        now: i64,
    ) {
        let key = (*mac, remote.to_string(), proto.to_string(), port, outbound);
        if self
            .violations_alerted
            .get(&key)
            .is_some_and(|t| now - t < VIOLATION_REALERT_S)
        {
            return;
        }
        if self.violations_alerted.len() >= 16_384 {
            self.violations_alerted
                .retain(|_, t| now - *t < VIOLATION_REALERT_S);
        }
        self.violations_alerted.insert(key, now);
        let who = self
            .devices
            .get(mac)
            .and_then(|d| d.name.clone().or_else(|| d.hostname.clone()))
            .unwrap_or_else(|| mac.to_string());
        let outcome = if dropped {
            "the gateway dropped it"
        } else {
            "the gateway let it through, because it does not enforce this device's MUD file now"
        };
        self.alert(
            now,
            Some(mac),
            "mud.violation",
            "medium",
            &if outbound {
                format!(
                    "{who} talked to {remote} ({} port {port}), which its MUD file does not name; {outcome}.",
                    proto.to_uppercase()
                )
            } else {
                format!(
                    "{remote} reached {who} on {} port {port}, which its MUD file does not open to it; {outcome}.",
                    proto.to_uppercase()
                )
            },
            json!({"remote": remote, "protocol": proto, "port": port, "direction": if outbound { "out" } else { "in" }, "dropped": dropped, "why": why}),
        );
    }

    fn alert(
        &mut self,
        now: i64,
        mac: Option<&MacAddr>,
        kind: &str,
        severity: &str,
        explanation: &str,
        evidence: serde_json::Value,
    ) {
        let row = AlertRow {
            id: 0,
            ts: now,
            mac: mac.map(mac_s),
            kind: kind.into(),
            severity: severity.into(),
            explanation: explanation.into(),
            evidence,
            acknowledged_by: None,
            acknowledged_at: None,
        };
        self.metrics.alert(kind, severity);
        if let Err(e) = self.store.record_alert(&row) {
            log!("store: {e}");
        }
        let _ = self
            .live
            .send(json!({"kind": "alert", "alert": kind, "mac": row.mac}).to_string());
        log!(
            "alert {kind} ({severity}){}: {explanation}",
            mac.map(|m| format!(" {m}")).unwrap_or_default()
        );
    }

    /// Whether a new DNS name may enter the table: a name a policy uses
    /// always does; others while their device holds less than its share
    /// and the table has room. A device reaching its share is alerted once.
    fn admit_name(&mut self, name: &str, to: Option<MacAddr>, needed: bool, now: i64) -> bool {
        let full = self.dns.len() >= DNS_NAMES;
        let Some(mac) = to else {
            return needed || !full;
        };
        let held = self.dns_per_device.get(&mac).copied().unwrap_or(0);
        if !needed && (full || held >= DNS_NAMES_PER_DEVICE) {
            self.dns_dropped += 1;
            if held >= DNS_NAMES_PER_DEVICE && self.dns_share_alerted.insert(mac) {
                self.alert(
                    now,
                    Some(&mac),
                    "dns.table-share",
                    "low",
                    &format!(
                        "Answers to this device named {DNS_NAMES_PER_DEVICE} different names still alive: \
                         more names from it are not learned, so the other devices' names keep their room. \
                         A device that asks for this many names may be doing DNS water torture."
                    ),
                    json!({"names": held}),
                );
            }
            return false;
        }
        *self.dns_per_device.entry(mac).or_default() += 1;
        self.dns_owner.insert(name.to_string(), mac);
        true
    }

    /// Drops expired addresses and names with none left, giving each
    /// device its share back. Called every 30 s.
    pub fn prune_dns(&mut self, now: i64) {
        self.dns.retain(|name, addrs| {
            addrs.retain(|_, exp| *exp > now);
            if addrs.is_empty() {
                if let Some(mac) = self.dns_owner.remove(name) {
                    if let Some(n) = self.dns_per_device.get_mut(&mac) {
                        *n = n.saturating_sub(1);
                    }
                }
                false
            } else {
                true
            }
        });
        self.dns_per_device.retain(|_, n| *n > 0);
    }

    /// A device that is not quarantined but announces itself exactly as a
    /// quarantined one did (the same MUD URL, DHCP host name and vendor
    /// class; at least a MUD URL or a host name) is that device back with a
    /// new MAC address: alerted, naming both, and quarantined again when
    /// `quarantine.follow-new-mac` says so.
    fn check_returned(&mut self, mac: &MacAddr, now: i64) {
        let Some(d) = self.devices.get(mac) else {
            return;
        };
        if matches!(d.state, State::Quarantined { .. })
            || (d.mud_url.is_none() && d.hostname.is_none())
        {
            return;
        }
        let print = (&d.mud_url, &d.hostname, &d.vendor_class);
        let Some((old, reason)) = self.devices.values().find_map(|q| match &q.state {
            State::Quarantined { reason, .. }
                if q.mac != *mac && (&q.mud_url, &q.hostname, &q.vendor_class) == print =>
            {
                Some((q.mac, reason.clone()))
            }
            _ => None,
        }) else {
            return;
        };
        if !self.returned.insert((old, *mac)) {
            return;
        }
        let follow = self.cfg.quarantine.follow_new_mac;
        let text = format!(
            "The device {mac} announces itself exactly as the quarantined device {old} did \
             (MUD URL, host name, vendor class): it is probably the same device back with a new MAC \
             address{}.",
            if follow {
                ", so it is quarantined again"
            } else {
                ""
            }
        );
        self.alert(
            now,
            Some(mac),
            "evasion.new-mac",
            "high",
            &text,
            json!({"previous_mac": mac_s(&old), "mac": mac_s(mac), "previous_reason": reason}),
        );
        if follow {
            let why = format!("returned with a new MAC address (was {old}: {reason})");
            if let Err(e) = self.quarantine(mac, &why, "warden", now) {
                log!("{e}");
            }
        }
    }

    /// The DNS names the gateway's trusted resolution binds to `remote`
    /// now (at most 8), for verdicts and their sentences.
    fn names_bound_to(&self, remote: IpAddr) -> Vec<String> {
        self.dns
            .iter()
            .filter(|(_, a)| a.contains_key(&remote))
            .map(|(n, _)| n.clone())
            .take(8)
            .collect()
    }

    /// RFC 9761: a ClientHello the device sent, judged against the TLS
    /// profiles of the rule of its MUD policy that lets the connection
    /// through; outside them it is a `mud.tls-profile` detection (and the
    /// quarantine settings decide what follows).
    #[allow(clippy::too_many_arguments)]
    fn on_tls_hello(
        &mut self,
        mac: MacAddr,
        device: IpAddr,
        device_port: u16,
        remote: IpAddr,
        protocol: u8,
        port: u16,
        hello: &warden_wire::tls::ClientHello,
        ts_ns: i64,
        now: i64,
    ) {
        let names = self.names_bound_to(remote);
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let attempt = warden_detect::Attempt {
            protocol,
            device_ip: device,
            device_port,
            remote_ip: remote,
            remote_port: port,
            remote_mac: None,
            names: &name_refs,
            opened_by_device: true,
            midstream: false,
            first_ns: ts_ns,
            packets: 1,
            bytes: 0,
        };
        let Some(policy) = self.mud_policy(&mac) else {
            return;
        };
        let Some(t) = warden_detect::tlsprofile::judge(policy, &attempt, hello) else {
            return;
        };
        self.on_detection(
            warden_detect::Detection {
                kind: warden_detect::Kind::MudTlsProfile,
                device: mac.to_string(),
                role: warden_detect::Role::Source,
                first_ns: ts_ns,
                last_ns: ts_ns,
                explanation: t.explanation,
                counts: BTreeMap::new(),
                evidence: vec![],
            },
            now,
        );
    }

    fn on_detection(&mut self, det: warden_detect::Detection, now: i64) {
        let sev = warden_detect::alert::severity(det.kind, det.role, self.cfg.deployment);
        let kind = det.kind.name().to_string();
        let mac = MacAddr::parse(&det.device);
        // Repeated evidence of the same device, kind and role within 10
        // minutes folds into the alert already raised; the quarantine
        // decision below is made every time all the same.
        let key = (det.device.clone(), kind.clone(), det.role);
        let repeated = self.last_alert.get(&key).is_some_and(|t| now - *t < 600);
        if !repeated {
            if self.last_alert.len() > 65_536 {
                self.last_alert.clear();
            }
            self.last_alert.insert(key, now);
            self.raise_detection(&det, &kind, sev, mac.as_ref(), now);
        }
        let q = &self.cfg.quarantine;
        if det.role == warden_detect::Role::Source && q.quarantines(det.kind, sev) {
            if let Some(mac) = mac {
                let quarantined = self
                    .devices
                    .get(&mac)
                    .map(|d| matches!(d.state, State::Quarantined { .. }));
                if quarantined == Some(false) {
                    let reason = format!("{kind}: {}", det.explanation);
                    let _ = self.quarantine(&mac, &reason, "detector", now);
                }
            }
        }
    }

    fn raise_detection(
        &mut self,
        det: &warden_detect::Detection,
        kind: &str,
        sev: warden_detect::Severity,
        mac: Option<&MacAddr>,
        now: i64,
    ) {
        // The bridge port the device lives on: with ports pinned, frames
        // under its MAC came from there and nowhere else.
        let port = mac.and_then(|m| self.homes.get(m).cloned());
        let evidence = json!({
            "role": format!("{:?}", det.role).to_ascii_lowercase(),
            "counts": det.counts,
            "flows": det.evidence.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>(),
            "port": port,
        });
        self.alert(now, mac, kind, sev.as_str(), &det.explanation, evidence);
    }

    /// A frame that claimed what its sender cannot be (see
    /// [`Event::Forged`]): alerted against the sender and the bridge port it
    /// lives on, never against the device it spoke for; once per sender and
    /// kind every 10 minutes.
    fn on_forged(
        &mut self,
        sender: MacAddr,
        kind: &str,
        claimed: Option<MacAddr>,
        what: &str,
        now: i64,
    ) {
        let key = (kind.to_string(), sender);
        if self
            .forged_alerted
            .get(&key)
            .is_some_and(|t| now - *t < 600)
        {
            return;
        }
        if self.forged_alerted.len() > 65_536 {
            self.forged_alerted.clear();
        }
        self.forged_alerted.insert(key, now);
        let port = self.homes.get(&sender).cloned();
        let text = format!(
            "{sender}{} sent {what}{}. The gateway did not believe it.",
            port.as_deref()
                .map(|p| format!(" (on bridge port {p})"))
                .unwrap_or_default(),
            claimed
                .filter(|c| *c != sender)
                .map(|c| format!(", speaking for {c}"))
                .unwrap_or_default(),
        );
        self.alert(
            now,
            Some(&sender),
            kind,
            "high",
            &text,
            json!({"sender": mac_s(&sender), "port": port, "claimed": claimed.as_ref().map(mac_s), "what": what}),
        );
    }

    /// Forgets devices never confirmed: no address, no MUD URL, no lease, not
    /// quarantined, not pinned, silent for [`UNCONFIRMED_TTL_S`] (frames from
    /// made-up MACs must not fill the table for ever).
    pub fn forget_unconfirmed(&mut self, now: i64) {
        let gone: Vec<MacAddr> = self
            .devices
            .values()
            .filter(|d| {
                d.addresses.is_empty()
                    && d.name.is_none()
                    && d.mud_url.is_none()
                    && d.mud.is_none()
                    && d.state == State::Observed
                    && !self.pins.contains_key(&d.mac)
                    && now - d.last_seen >= UNCONFIRMED_TTL_S
            })
            .map(|d| d.mac)
            .collect();
        for mac in gone {
            self.devices.remove(&mac);
            if let Err(e) = self.store.forget_device(&mac_s(&mac)) {
                log!("store: {e}");
            }
        }
    }

    /// Writes every pin into the bridge table again, and pins the gateway's
    /// own MACs to no port at all: a frame that comes in on a LAN port under
    /// the gateway's address is forged (it would pass for the resolver's or
    /// the DHCP server's answer), and is dropped before anything sees it.
    pub fn repin(&mut self) {
        let pins: Vec<(MacAddr, String)> = self.pins.iter().map(|(m, p)| (*m, p.clone())).collect();
        if let Err(e) = self.enforcer.pin(&pins) {
            log!("{e}");
        }
        let own: Vec<MacAddr> = self.own_macs.iter().copied().collect();
        if let Err(e) = self.enforcer.pin_nowhere(&own) {
            log!("{e}");
        }
    }

    /// Pins every known device to the bridge port it lives on, lifts pins of
    /// devices gone from their port for [`PIN_IDLE_S`], and alerts frames the
    /// bridge dropped for carrying a pinned MAC on another port. Called
    /// every 2 s.
    pub fn police_ports(&mut self, now: i64) {
        if let Some(plan) = self.ports_plan() {
            let seen = plan.look(&self.enforcer);
            self.ports_seen(seen, now);
        }
    }

    /// What [`Core::police_ports`] needs from the core, copied under its lock:
    /// None when no LAN interface is a bridge.
    pub fn ports_plan(&self) -> Option<PortsPlan> {
        let bridges: Vec<String> = self
            .cfg
            .lan_interfaces
            .iter()
            .filter(|i| self.sysfs.is_bridge(i))
            .cloned()
            .collect();
        if bridges.is_empty() {
            return None;
        }
        Some(PortsPlan {
            sysfs: self.sysfs.clone(),
            bridges,
            unpinned: self
                .devices
                .keys()
                .filter(|m| !self.pins.contains_key(m) && !self.own_macs.contains(m))
                .copied()
                .collect(),
        })
    }

    /// Records what [`PortsPlan::look`] found: new pins, pins to lift (the
    /// device gone from its port for [`PIN_IDLE_S`]), frames from the wrong
    /// port to alert.
    pub fn ports_seen(&mut self, seen: PortsSeen, now: i64) {
        let PortsSeen {
            homes,
            pinned,
            moved,
        } = seen;
        for (mac, port) in pinned {
            self.event(now, Some(&mac), "port-pinned", json!({"port": port}));
            self.pins.insert(mac, port);
        }
        // Pins whose device is no longer in the forwarding database.
        let mut lift = Vec::new();
        for (mac, port) in &self.pins {
            if homes.get(mac) == Some(port) {
                self.pin_missing_since.remove(mac);
            } else {
                let since = *self.pin_missing_since.entry(*mac).or_insert(now);
                if now - since >= PIN_IDLE_S {
                    lift.push((*mac, port.clone()));
                }
            }
        }
        for (mac, port) in lift {
            if self.enforcer.unpin(&mac, &port).is_ok() {
                self.pins.remove(&mac);
                self.pin_missing_since.remove(&mac);
                self.event(
                    now,
                    Some(&mac),
                    "port-unpinned",
                    json!({"port": port, "idle_s": PIN_IDLE_S}),
                );
            }
        }
        self.moved_alerted.retain(|_, t| now - *t < 600);
        for (port, mac) in moved {
            let key = (port.clone(), mac);
            if self.moved_alerted.contains_key(&key) {
                continue;
            }
            self.moved_alerted.insert(key, now);
            // Who else lives on that port: the likely sender.
            let there: Vec<MacAddr> = homes
                .iter()
                .filter(|(m, p)| **p == port && **m != mac)
                .map(|(m, _)| *m)
                .collect();
            let sender = match there.as_slice() {
                [one] if self.devices.contains_key(one) => Some(*one),
                _ => None,
            };
            let home = self.pins.get(&mac).cloned();
            let whose = if self.own_macs.contains(&mac) {
                "the gateway's own MAC address".to_string()
            } else {
                format!(
                    "the MAC address {mac}, which lives on bridge port {}",
                    home.as_deref().unwrap_or("?")
                )
            };
            let text = format!(
                "Frames with {whose}, came in on port {port} \
                 and were dropped. Something on port {port}{} is using another device's address; \
                 {mac} is not blamed for them.",
                if there.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        there.iter().map(mac_s).collect::<Vec<_>>().join(", ")
                    )
                },
            );
            self.alert(
                now,
                sender.as_ref(),
                "spoof.mac",
                "high",
                &text,
                json!({"port": port, "claimed": mac_s(&mac), "home": home,
                       "macs_on_port": there.iter().map(mac_s).collect::<Vec<_>>()}),
            );
        }
        self.homes = homes;
    }

    pub fn quarantine(
        &mut self,
        mac: &MacAddr,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        let t = Transition::Quarantine {
            reason: reason.into(),
            at: now,
        };
        self.cut_off(mac, &t, "quarantined", reason, by, now)
    }

    /// A person cuts a device off: nothing but DHCP, ARP and neighbour
    /// discovery passes, not even DNS (release undoes it).
    pub fn block(
        &mut self,
        mac: &MacAddr,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        let t = Transition::Block {
            reason: reason.into(),
            at: now,
        };
        self.cut_off(mac, &t, "blocked", reason, by, now)
    }

    /// A quarantine or a block: the state, its event, and the apply.
    fn cut_off(
        &mut self,
        mac: &MacAddr,
        t: &Transition,
        what: &str,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        if self.cfg.infrastructure.contains(mac) {
            // It would say "quarantined" while the kernel lets it through.
            return Err(CoreError::Refused(format!(
                "{mac} is listed as infrastructure in the configuration: warden does not police it"
            )));
        }
        let d = self.devices.get_mut(mac).ok_or(CoreError::NoSuchDevice)?;
        let has = d.mud.is_some();
        d.state = d.state.after(t, has)?;
        self.save(mac);
        self.event(now, Some(mac), what, json!({"by": by, "reason": reason}));
        log!("{what} {mac}: {reason}");
        // The state is recorded whatever the kernel says; a failed apply is
        // retried and alerted, and the API shows the kernel's side.
        let _ = self.reapply(now, what);
        Ok(())
    }

    /// Names a device (None or blank: the name is removed): 1 to 64
    /// characters, no control characters.
    pub fn rename(
        &mut self,
        mac: &MacAddr,
        name: Option<&str>,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = name {
            if n.chars().count() > 64 || n.chars().any(char::is_control) {
                return Err(CoreError::Refused(
                    "a name is 1 to 64 characters, without control characters".into(),
                ));
            }
        }
        let d = self.devices.get_mut(mac).ok_or(CoreError::NoSuchDevice)?;
        d.name = name.map(str::to_string);
        self.save(mac);
        self.event(now, Some(mac), "renamed", json!({"name": name, "by": by}));
        Ok(())
    }

    /// What kind of device it is: a person's choice, else warden's guess.
    pub fn category(&self, d: &Dev) -> Category {
        d.category.unwrap_or_else(|| {
            crate::identity::guess(
                d.mud.is_some() || d.mud_url.is_some(),
                d.hostname.as_deref(),
                d.vendor_class.as_deref(),
                &d.mdns_names,
            )
        })
    }

    /// A person places the device (None: back to warden's guess).
    pub fn set_category(
        &mut self,
        mac: &MacAddr,
        category: Option<Category>,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        let d = self.devices.get_mut(mac).ok_or(CoreError::NoSuchDevice)?;
        d.category = category;
        self.save(mac);
        self.event(
            now,
            Some(mac),
            "categorised",
            json!({"category": category.map(Category::name), "by": by}),
        );
        Ok(())
    }

    /// Someone has seen to an alert; false when there is no such alert
    /// or it was already acknowledged.
    pub fn acknowledge(&mut self, id: i64, by: &str, now: i64) -> Result<bool, CoreError> {
        let done = self.store.acknowledge_alert(id, by, now)?;
        if done {
            let mac = self.store.alert(id).ok().flatten().and_then(|a| a.mac);
            let mac = mac.as_deref().and_then(MacAddr::parse);
            self.event(
                now,
                mac.as_ref(),
                "alert-acknowledged",
                json!({"alert": id, "by": by}),
            );
        }
        Ok(done)
    }

    /// A person gives a device its MUD file: uploaded, generated from its
    /// traffic, or fetched from a URL they typed (`url`; the file's own
    /// mud-url does not count). It is kept like a fetched file (the store's
    /// last good file for `url`), applied at once (a quarantine stays), and
    /// the device's announcements no longer replace it.
    #[allow(clippy::too_many_arguments)]
    pub fn give_mud(
        &mut self,
        mac: &MacAddr,
        url: &str,
        body: &[u8],
        mud: ValidatedMud,
        signature: &str,
        signer: Option<String>,
        valid_until: i64,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        if !self.devices.contains_key(mac) {
            return Err(CoreError::NoSuchDevice);
        }
        let sha = crate::fetch::sha256_hex(body);
        self.store.record_fetch(&FetchRow {
            id: 0,
            url: url.into(),
            ts: now,
            outcome: "ok".into(),
            error: None,
            http_status: None,
            sha256: Some(sha.clone()),
            signature: signature.into(),
            signer,
            body: Some(body.to_vec()),
            valid_until: Some(valid_until),
        })?;
        self.metrics.fetch("ok");
        let d = self.devices.get_mut(mac).ok_or(CoreError::NoSuchDevice)?;
        d.mud_url = Some(url.into());
        d.pending_url = None;
        d.mud = Some(mud);
        d.mud_valid_until = valid_until;
        d.mud_given_by = Some(by.into());
        if let Ok(s) = d.state.after(&Transition::MudApplied, true) {
            d.state = s;
        }
        self.identified(mac, now);
        self.save(mac);
        self.event(
            now,
            Some(mac),
            "mud-given",
            json!({"mud_url": url, "sha256": sha, "signature": signature, "by": by}),
        );
        let _ = self.reapply(now, "a MUD file given on the dashboard");
        Ok(())
    }

    /// A discovered device with a MUD file applied is identified (the
    /// gateway's own transition).
    fn identified(&mut self, mac: &MacAddr, now: i64) {
        let Some(d) = self.devices.get_mut(mac) else {
            return;
        };
        if d.mud.is_some() && d.lifecycle == Lifecycle::Discovered {
            d.lifecycle = Lifecycle::Identified;
            self.event(
                now,
                Some(mac),
                "lifecycle",
                json!({"from": "discovered", "to": "identified", "by": "gateway", "reason": "its MUD file was applied"}),
            );
        }
    }

    /// A person moves a device along its life ([`Lifecycle::allows`]);
    /// disposal erases it and counts it, anonymously.
    pub fn set_lifecycle(
        &mut self,
        mac: &MacAddr,
        to: Lifecycle,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
            return Err(CoreError::Refused(
                "reason: at most 500 characters, no control characters".into(),
            ));
        }
        let d = self.devices.get(mac).ok_or(CoreError::NoSuchDevice)?;
        let from = d.lifecycle;
        if !from.allows(to) {
            return Err(CoreError::Refused(format!(
                "a device {} cannot become {} (from {} it may become: {})",
                from.words(),
                to.name(),
                from.name(),
                from.next()
                    .iter()
                    .map(|l| l.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if to == Lifecycle::Disposed {
            self.erase(mac, by, now)?;
            let n = self
                .store
                .setting("disposed-count")
                .ok()
                .flatten()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            self.store
                .set_setting("disposed-count", &(n + 1).to_string())?;
            self.event(
                now,
                None,
                "lifecycle",
                json!({"to": "disposed", "by": by, "disposed": n + 1}),
            );
            return Ok(());
        }
        if let Some(d) = self.devices.get_mut(mac) {
            d.lifecycle = to;
        }
        self.save(mac);
        self.event(
            now,
            Some(mac),
            "lifecycle",
            json!({"from": from.name(), "to": to.name(), "reason": reason, "by": by}),
        );
        Ok(())
    }

    /// Erases a device: out of the ruleset at once, then every row the
    /// store holds about it deleted and its mentions in others' rows
    /// replaced ([`warden_store::erase`]); the audit event does not name
    /// it. If it comes back, it is a new device.
    /// Erases the household's records (every device, what each did, the
    /// alerts and events); accounts and settings stay. The devices leave
    /// the kernel first; one audit event, written after the erase, says who
    /// and when.
    pub fn erase_household(
        &mut self,
        by: &str,
        reason: &str,
        now: i64,
    ) -> Result<std::collections::BTreeMap<String, usize>, CoreError> {
        let reason = checked_reason(reason, true)?;
        let macs: Vec<MacAddr> = self.devices.keys().copied().collect();
        for mac in &macs {
            self.devices.remove(mac);
            self.applied_kinds.remove(mac);
        }
        self.pins.clear();
        self.pin_missing_since.clear();
        self.homes.clear();
        self.resolved.clear();
        self.fetched_for.clear();
        self.dns_per_device.clear();
        self.dns_share_alerted.clear();
        self.dns_owner.clear();
        self.returned.clear();
        self.violations_alerted.clear();
        self.forged_alerted.clear();
        self.moved_alerted.clear();
        self.support_ended.clear();
        self.support_alerted.clear();
        self.vulns_alerted.clear();
        let _ = self.reapply(now, "the household erased");
        let done = self.store.erase_household()?;
        self.event(
            now,
            None,
            "household-erased",
            json!({"by": by, "reason": reason, "devices": macs.len(), "rows": done}),
        );
        Ok(done)
    }

    /// Retention per data class ([`crate::config::Config::retention`]): a
    /// device not seen for the identity period is erased like a person
    /// erasing it (out of the kernel, every record), then the store prunes
    /// the other classes.
    pub fn prune_data(
        &mut self,
        now: i64,
    ) -> Result<warden_store::lifecycle::PrunedClasses, CoreError> {
        let r = self.cfg.retention;
        let gone: Vec<MacAddr> = self
            .devices
            .values()
            .filter(|d| d.last_seen < now - r.identity && !self.cfg.infrastructure.contains(&d.mac))
            .map(|d| d.mac)
            .collect();
        for mac in &gone {
            let _ = self.erase(mac, "warden (retention: identity)", now);
        }
        let mut p = self.store.prune_classes(now, &r)?;
        p.devices_forgotten += gone.len();
        Ok(p)
    }

    pub fn erase(
        &mut self,
        mac: &MacAddr,
        by: &str,
        now: i64,
    ) -> Result<std::collections::BTreeMap<String, usize>, CoreError> {
        if self.devices.remove(mac).is_none() {
            return Err(CoreError::NoSuchDevice);
        }
        self.pins.remove(mac);
        self.pin_missing_since.remove(mac);
        self.homes.remove(mac);
        self.resolved.remove(mac);
        self.fetched_for.remove(mac);
        self.dns_per_device.remove(mac);
        self.dns_share_alerted.remove(mac);
        self.dns_owner.retain(|_, m| m != mac);
        self.returned.retain(|(a, b)| a != mac && b != mac);
        self.violations_alerted.retain(|k, _| k.0 != *mac);
        self.forged_alerted.retain(|k, _| k.1 != *mac);
        self.moved_alerted.retain(|k, _| k.1 != *mac);
        // Out of the kernel first (its sessions cut), so that what this
        // records about it is erased below too.
        let _ = self.reapply(now, "a device erased");
        self.applied_kinds.remove(mac);
        let done = self.store.erase_device(&mac_s(mac))?;
        self.event(
            now,
            None,
            "device-erased",
            json!({"by": by, "rows": done.values().sum::<usize>()}),
        );
        Ok(done)
    }

    /// Keeps an assessment report of a device, with its label level.
    pub fn keep_assessment(
        &mut self,
        mac: &MacAddr,
        a: &warden_assess::verdict::Assessment,
        by: &str,
        now: i64,
    ) -> Result<i64, CoreError> {
        let report = serde_json::to_value(a).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let id = self.store.record_assessment(&warden_store::AssessmentRow {
            id: 0,
            mac: mac_s(mac),
            ts: now,
            label: Some(format!("{} ({})", a.label.level, a.label.name)),
            report,
            by: by.into(),
        })?;
        self.event(
            now,
            Some(mac),
            "assessed",
            json!({"assessment": id, "label": a.label.level, "by": by}),
        );
        Ok(id)
    }

    /// A person lifts a quarantine or block: the override is logged with
    /// who, why, and what it overrode (the quarantine's own reason).
    pub fn release(
        &mut self,
        mac: &MacAddr,
        by: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        let reason = checked_reason(reason, false)?;
        let d = self.devices.get_mut(mac).ok_or(CoreError::NoSuchDevice)?;
        let has = d.mud.is_some();
        let overrode = match &d.state {
            State::Quarantined { reason, .. } | State::Blocked { reason, .. } => {
                Some(reason.clone())
            }
            _ => None,
        };
        d.state = d.state.after(&Transition::Release, has)?;
        let st = d.state.name();
        self.save(mac);
        self.event(
            now,
            Some(mac),
            "released",
            json!({"by": by, "state": st, "reason": reason, "overrode": overrode}),
        );
        let _ = self.reapply(now, "release");
        Ok(())
    }

    /// A fetch's outcome, in the store and the figures.
    fn record_fetch(&mut self, row: &FetchRow) {
        self.metrics.fetch(&row.outcome);
        if let Err(e) = self.store.record_fetch(row) {
            log!("store: {e}");
        }
    }

    /// A fetch ended: record it; apply the file when it is good enough.
    pub fn on_fetched(&mut self, url: &str, r: Result<Fetched, FetchError>, now: i64) {
        self.fetching.remove(url);
        self.failed_at.insert(url.to_string(), now);
        let macs: Vec<MacAddr> = self
            .devices
            .values()
            .filter(|d| d.mud_url.as_deref() == Some(url) || d.pending_url.as_deref() == Some(url))
            .map(|d| d.mac)
            .collect();
        let mut row = FetchRow {
            id: 0,
            url: url.into(),
            ts: now,
            outcome: String::new(),
            error: None,
            http_status: None,
            sha256: None,
            signature: "not-checked".into(),
            signer: None,
            body: None,
            valid_until: None,
        };
        let f = match r {
            Err(e) => {
                row.outcome = match &e {
                    FetchError::Invalid(..) => "invalid",
                    FetchError::NotHttps(_)
                    | FetchError::PrivateAddress(..)
                    | FetchError::ContentType(..)
                    | FetchError::TooLarge(..)
                    | FetchError::Redirect(..) => "refused",
                    _ => "failed",
                }
                .into();
                row.error = Some(e.to_string());
                self.record_fetch(&row);
                // One alert per URL and failure streak (at most one per
                // 10 minutes): many devices announcing one URL, made-up
                // ones included, do not flood the alert list.
                if self
                    .fetch_alerted
                    .get(url)
                    .is_some_and(|t| now - t < FETCH_REALERT_S)
                {
                    return;
                }
                if self.fetch_alerted.len() >= 4096 {
                    self.fetch_alerted.retain(|_, t| now - *t < FETCH_REALERT_S);
                }
                self.fetch_alerted.insert(url.to_string(), now);
                let text = format!(
                    "The MUD file was not applied: {e}. The last good file, if any, stays in force."
                );
                match macs.as_slice() {
                    [one] => self.alert(now, Some(one), "mud.fetch", "medium", &text, json!({"url": url})),
                    many => self.alert(
                        now,
                        None,
                        "mud.fetch",
                        "medium",
                        &format!("{} devices announce {url}. {text}", many.len()),
                        json!({"url": url, "devices": many.len(), "first": many.iter().take(8).map(mac_s).collect::<Vec<_>>()}),
                    ),
                }
                return;
            }
            Ok(f) => f,
        };
        self.fetch_alerted.remove(url);
        row.http_status = Some(f.http_status);
        row.sha256 = Some(f.sha256.clone());
        row.signature = f.signature.name().into();
        if let SignatureStatus::Verified { signer } = &f.signature {
            row.signer = Some(signer.clone());
        }
        let sig_ok = matches!(f.signature, SignatureStatus::Verified { .. });
        let policy = self.cfg.mud.signature;
        if !sig_ok && policy == SignaturePolicy::Require {
            row.outcome = "signature-failed".into();
            row.error = Some(match &f.signature {
                SignatureStatus::Failed { reason } => {
                    format!("signature does not verify: {reason}")
                }
                SignatureStatus::Missing => {
                    "the file names no mud-signature, and signatures are required".into()
                }
                _ => "signature not checked".into(),
            });
            let why = row.error.clone().unwrap_or_default();
            self.record_fetch(&row);
            for m in &macs {
                self.alert(now, Some(m), "mud.signature", "high", &format!("The MUD file from {url} was not applied: {why}. The last good file, if any, stays in force."), json!({"url": url, "sha256": f.sha256}));
            }
            return;
        }
        if !sig_ok && policy == SignaturePolicy::Warn {
            for m in &macs {
                self.alert(
                    now,
                    Some(m),
                    "mud.signature",
                    "medium",
                    &format!(
                        "The MUD file from {url} is applied without a valid signature ({}).",
                        f.signature.name()
                    ),
                    json!({"url": url}),
                );
            }
        }
        self.failed_at.remove(url);
        row.outcome = "ok".into();
        row.body = Some(f.body.clone());
        row.valid_until = Some(now + f.cache_seconds);
        self.record_fetch(&row);
        for m in &macs {
            if let Some(d) = self.devices.get_mut(m) {
                if d.pending_url.as_deref() == Some(url) {
                    d.mud_url = d.pending_url.take();
                }
                d.mud = Some(f.validated.mud.clone());
                d.mud_valid_until = now + f.cache_seconds;
                if let Ok(s) = d.state.after(&Transition::MudApplied, true) {
                    d.state = s;
                }
            }
            self.identified(m, now);
            self.save(m);
            self.event(
                now,
                Some(m),
                "mud-applied",
                json!({"mud_url": url, "signature": f.signature, "sha256": f.sha256}),
            );
        }
        if !macs.is_empty() {
            let _ = self.reapply(now, "MUD file fetched");
        }
    }

    /// URLs whose cache validity has run out.
    pub fn due_refreshes(&mut self, now: i64) -> Vec<String> {
        let mut v = BTreeSet::new();
        for d in self.devices.values() {
            if let Some(u) = d.mud_url.as_ref().filter(|u| u.starts_with("https://")) {
                if d.mud_valid_until <= now && !self.fetching.contains(u) {
                    v.insert(u.clone());
                }
            }
        }
        for u in &v {
            self.fetching.insert(u.clone());
        }
        v.into_iter().collect()
    }

    /// The DNS names the ruleset's sets stand for.
    pub fn set_names(&self) -> Vec<String> {
        self.name_sets.keys().cloned().collect()
    }

    pub fn device_by_ip(&self, ip: IpAddr) -> Option<&Dev> {
        self.devices.values().find(|d| d.addresses.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Core {
        test_core("")
    }

    fn answers(to: u8, names: std::ops::Range<u32>) -> Event {
        Event::Dns {
            to: Some(MacAddr([2, 0, 0, 0, 0, to])),
            bindings: names
                .map(|i| {
                    (
                        format!("x{i}.torture.example"),
                        "192.0.2.1".parse().unwrap(),
                        60,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn dns_water_torture_fills_only_its_own_share_and_expires() {
        let mut c = core();
        let now = 1_000_000;
        c.on_event(answers(1, 0..DNS_NAMES_PER_DEVICE + 100), now);
        assert_eq!(c.dns.len(), DNS_NAMES_PER_DEVICE as usize);
        assert_eq!(c.dns_dropped, 100);
        let alerts = c.store.alerts(Some("02:00:00:00:00:01"), 10).unwrap();
        assert_eq!(
            alerts
                .iter()
                .filter(|a| a.kind == "dns.table-share")
                .count(),
            1,
            "alerted once"
        );
        // Another device's names are still learned.
        c.on_event(answers(2, 1_000_000..1_000_010), now);
        assert!(c.dns.contains_key("x1000000.torture.example"));
        // Expired (TTL clamped to 300 s): the table empties, the share comes back.
        c.prune_dns(now + 301);
        assert!(c.dns.is_empty());
        c.on_event(answers(1, 5_000..5_010), now + 302);
        assert_eq!(c.dns.len(), 10);
    }

    fn detection(mac: MacAddr, role: warden_detect::Role) -> warden_detect::Detection {
        warden_detect::Detection {
            kind: warden_detect::Kind::ScanHorizontal,
            device: match role {
                warden_detect::Role::Source => mac.to_string(),
                _ => "198.51.100.7".into(),
            },
            role,
            first_ns: 0,
            last_ns: 0,
            explanation: "probed TCP port 23 on 32 hosts".into(),
            counts: BTreeMap::new(),
            evidence: vec![],
        }
    }

    #[test]
    fn an_erased_device_leaves_no_row_that_names_it_and_comes_back_new() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 7]);
        c.on_event(
            Event::Dhcp {
                mac,
                mud_url: None,
                hostname: Some("kitchen-plug".into()),
                vendor_class: None,
                at: std::time::Instant::now(),
                via: "dhcp",
            },
            100,
        );
        c.rename(&mac, Some("Kitchen plug"), "ann (owner)", 101)
            .unwrap();
        c.alert(
            102,
            Some(&mac),
            "scan.horizontal",
            "high",
            "it scanned",
            json!({}),
        );
        assert!(c.store.export_device(&mac.to_string()).unwrap()["events"]
            .as_array()
            .is_some_and(|e| !e.is_empty()));
        let done = c.erase(&mac, "ann (owner)", 103).unwrap();
        assert!(done["devices"] == 1 && done["alerts"] == 1, "{done:?}");
        assert!(!c.devices.contains_key(&mac));
        let left = c.store.export_device(&mac.to_string()).unwrap();
        for (table, rows) in left.as_object().unwrap() {
            assert!(rows.as_array().unwrap().is_empty(), "{table}: {rows}");
        }
        let audit = c.store.events(None, 1).unwrap().remove(0);
        assert_eq!(
            (audit.kind.as_str(), audit.mac.as_deref()),
            ("device-erased", None)
        );
        assert!(c.erase(&mac, "ann (owner)", 104).is_err());
        // It comes back: a new device, named by no one.
        c.on_event(
            Event::Dhcp {
                mac,
                mud_url: None,
                hostname: None,
                vendor_class: None,
                at: std::time::Instant::now(),
                via: "dhcp",
            },
            200,
        );
        let d = &c.devices[&mac];
        assert_eq!((d.name.as_deref(), d.first_seen), (None, 200));
    }

    #[test]
    fn a_device_moves_along_its_life_with_events_and_disposal_erases_it() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 8]);
        c.on_event(
            Event::Dhcp {
                mac,
                mud_url: None,
                hostname: Some("washer".into()),
                vendor_class: None,
                at: std::time::Instant::now(),
                via: "dhcp",
            },
            100,
        );
        assert_eq!(c.devices[&mac].lifecycle, Lifecycle::Discovered);
        c.set_lifecycle(&mac, Lifecycle::InUse, "installed", "ann (owner)", 101)
            .unwrap();
        let e = c.store.events(Some(&mac.to_string()), 1).unwrap().remove(0);
        assert_eq!(e.kind, "lifecycle");
        assert_eq!(
            (
                e.detail["from"].as_str(),
                e.detail["to"].as_str(),
                e.detail["by"].as_str()
            ),
            (Some("discovered"), Some("in-use"), Some("ann (owner)"))
        );
        // Illegal: back to identified; the state stays.
        let err = c
            .set_lifecycle(&mac, Lifecycle::Identified, "", "ann (owner)", 102)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("end-of-support, transferred, disposed"),
            "{err}"
        );
        assert_eq!(c.devices[&mac].lifecycle, Lifecycle::InUse);
        assert_eq!(
            c.store.device(&mac.to_string()).unwrap().unwrap().lifecycle,
            "in-use"
        );
        c.set_lifecycle(&mac, Lifecycle::Transferred, "sold", "ann (owner)", 103)
            .unwrap();
        c.set_lifecycle(&mac, Lifecycle::Disposed, "recycled", "ann (owner)", 104)
            .unwrap();
        assert!(!c.devices.contains_key(&mac));
        assert!(c.store.device(&mac.to_string()).unwrap().is_none());
        assert_eq!(
            c.store.setting("disposed-count").unwrap().as_deref(),
            Some("1")
        );
    }

    fn alerts_of(c: &Core, kind: &str) -> usize {
        c.store
            .alerts(None, 1000)
            .unwrap()
            .iter()
            .filter(|a| a.kind == kind)
            .count()
    }

    #[test]
    fn every_detection_decides_quarantine_and_release_gives_no_immunity() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 7]);
        c.dev(mac, 1_000);
        // Scanned first (a target alert of the same kind): no quarantine.
        c.on_event(
            Event::Detection(detection(mac, warden_detect::Role::Target)),
            1_000,
        );
        assert_eq!(c.devices[&mac].state, State::Observed);
        // Then it scans: quarantined, although an alert of its kind is recent.
        c.on_event(
            Event::Detection(detection(mac, warden_detect::Role::Source)),
            1_001,
        );
        assert!(matches!(c.devices[&mac].state, State::Quarantined { .. }));
        c.release(&mac, "operator", "checked: a false alarm", 1_002)
            .unwrap();
        let e = c.store.events(Some(&mac.to_string()), 1).unwrap().remove(0);
        assert_eq!(e.detail["reason"], "checked: a false alarm");
        assert!(
            e.detail["overrode"].is_string(),
            "what was overridden: {}",
            e.detail
        );
        assert_eq!(c.devices[&mac].state, State::Observed);
        // Right after the release, the same behaviour: quarantined again,
        // the repeated evidence folded into the alert already raised.
        c.on_event(
            Event::Detection(detection(mac, warden_detect::Role::Source)),
            1_003,
        );
        assert!(matches!(c.devices[&mac].state, State::Quarantined { .. }));
        assert_eq!(alerts_of(&c, "scan.horizontal"), 2, "one per role");
    }

    #[test]
    fn a_handshake_outside_the_declared_tls_profile_is_a_detection() {
        let mut c = test_core("[quarantine]\nautomatic = true\nmin-severity = \"medium\"\nkinds = [\"mud.tls-profile\"]\n");
        let mac = MacAddr([2, 0, 0, 0, 0, 9]);
        let doc = br#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://maker.example/cam.json",
          "last-update": "2025-01-01T00:00:00Z", "is-supported": true, "extensions": ["ietf-mud-tls"],
          "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}},
         "ietf-access-control-list:acls": {"acl": [{"name": "out", "type": "ipv4-acl-type",
          "aces": {"ace": [{"name": "cloud", "matches": {"ipv4": {"protocol": 6,
            "destination-ipv4-network": "198.51.100.10/32"},
            "tcp": {"destination-port": {"operator": "eq", "port": 443}},
            "ietf-acl-tls:client-profiles": {"tls-dtls-profile": [{"name": "shipped",
              "supported-tls-version": ["tls13"], "cipher-suite": [4865]}]}},
           "actions": {"forwarding": "accept"}}]}}]}}"#;
        let v = load(doc, &ValidateOptions::default()).unwrap();
        let d = c.dev(mac, 1_000);
        d.mud = Some(v.mud);
        d.state = State::Enforced;
        let hello = |suites: Vec<u16>| warden_wire::tls::ClientHello {
            legacy_version: 0x0303,
            cipher_suites: suites,
            extensions: vec![43],
            versions: vec![0x0304],
            ..Default::default()
        };
        let event = |h: warden_wire::tls::ClientHello, port: u16| Event::TlsHello {
            mac,
            device: "10.0.0.9".parse().unwrap(),
            device_port: 40_000,
            remote: "198.51.100.10".parse().unwrap(),
            protocol: 6,
            port,
            hello: Box::new(h),
            ts_ns: 0,
        };
        // The shipped client: nothing.
        c.on_event(event(hello(vec![0x1301, 0x2a2a]), 443), 1_001);
        assert_eq!(alerts_of(&c, "mud.tls-profile"), 0);
        assert_eq!(c.devices[&mac].state, State::Enforced);
        // A flow no rule allows is the firewall's business, not this check's.
        c.on_event(event(hello(vec![0xc02f]), 8443), 1_002);
        assert_eq!(alerts_of(&c, "mud.tls-profile"), 0);
        // Another TLS stack on the allowed connection: reported, and here
        // the quarantine settings take it.
        c.on_event(event(hello(vec![0x1301, 0xc02f]), 443), 1_003);
        assert_eq!(alerts_of(&c, "mud.tls-profile"), 1);
        assert!(matches!(c.devices[&mac].state, State::Quarantined { .. }));
        let a = c.store.alerts(Some(&mac.to_string()), 10).unwrap();
        let a = a.iter().find(|a| a.kind == "mud.tls-profile").unwrap();
        assert!(
            a.explanation.contains("offers cipher suites 0xc02f"),
            "{}",
            a.explanation
        );
        assert!(
            a.explanation.contains("profile `shipped`"),
            "{}",
            a.explanation
        );
    }

    #[test]
    fn a_new_mud_url_waits_for_its_file_while_the_verified_policy_stays() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 8]);
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let v = load(&enforce::internet_only_doc(gw), &ValidateOptions::default()).unwrap();
        let d = c.dev(mac, 1_000);
        d.mud_url = Some("https://maker.example/cam.json".into());
        d.mud = Some(v.mud);
        d.mud_valid_until = 1_000_000;
        d.state = State::Enforced;
        let announce = |url: &str| Event::Dhcp {
            mac,
            mud_url: Some(url.into()),
            hostname: None,
            vendor_class: None,
            at: std::time::Instant::now(),
            via: "dhcp option 161",
        };
        let actions = c.on_event(announce("https://other.example/open.json"), 1_001);
        assert_eq!(
            actions,
            vec![Action::Fetch("https://other.example/open.json".into())]
        );
        let d = &c.devices[&mac];
        assert_eq!(d.state, State::Enforced);
        assert!(d.mud.is_some(), "the verified file stays in force");
        assert_eq!(d.mud_url.as_deref(), Some("https://maker.example/cam.json"));
        assert_eq!(alerts_of(&c, "mud.url-changed"), 1);
        // Announced again while it is fetched: no second fetch or alert.
        assert!(c
            .on_event(announce("https://other.example/open.json"), 1_002)
            .is_empty());
        assert_eq!(alerts_of(&c, "mud.url-changed"), 1);
        // The new file fails: nothing changes.
        c.on_fetched(
            "https://other.example/open.json",
            Err(FetchError::Status(
                "https://other.example/open.json".into(),
                404,
            )),
            1_003,
        );
        let d = &c.devices[&mac];
        assert_eq!(d.state, State::Enforced);
        assert!(d.mud.is_some());
        assert_eq!(d.mud_url.as_deref(), Some("https://maker.example/cam.json"));
        assert_eq!(c.intended_kind(d), Some("mud"));
    }

    /// SIGHUP's reload: what unknown devices may do changes at once (the
    /// observed device gets the block policy), and a bad file changes nothing.
    #[test]
    fn a_reloaded_configuration_takes_effect_and_a_bad_one_changes_nothing() {
        let mut c = test_core("");
        let dev = MacAddr([2, 0, 0, 0, 0, 9]);
        c.on_event(
            Event::Lease {
                mac: dev,
                ip: "10.0.0.9".parse().unwrap(),
            },
            1_000,
        );
        assert!(
            c.entries().iter().all(|(e, _, _)| e.mac != dev),
            "observed: no policy"
        );
        let text = |extra: &str| {
            format!(
                "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.0.0.1\"\nstate-dir = \"/nonexistent\"\n\
                 api-listen = \"10.0.0.1:8443\"\nremediation-listen = \"10.0.0.1:8080\"\n{extra}"
            )
        };
        let new = Config::parse(&text("unknown-devices = \"block\"\nretention-days = 9")).unwrap();
        let r = c.cfg.reload(new);
        assert_eq!(r.now, ["unknown-devices", "retention", "retention-days"]);
        c.reconfigure(r, 1_001).unwrap();
        assert_eq!(c.cfg.retention_days, 9);
        let kinds: Vec<_> = c
            .entries()
            .into_iter()
            .filter(|(e, _, _)| e.mac == dev)
            .collect();
        assert_eq!(
            kinds.len(),
            1,
            "the observed device now has the default policy"
        );
        assert_eq!(kinds[0].1, "default");
        assert!(Config::parse(&text("unknown-devices = \"sometimes\"")).is_err());
        assert_eq!(c.cfg.unknown_devices, UnknownDevices::Block);
    }

    #[test]
    fn traffic_cannot_take_a_neighbours_address_but_the_trusted_lease_can() {
        let mut c = core();
        let (cam, other) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        let ip: IpAddr = "10.0.0.50".parse().unwrap();
        c.on_event(Event::Lease { mac: cam, ip }, 1_000);
        c.on_event(Event::Seen { mac: other, ip }, 1_001);
        assert!(c.devices[&cam].addresses.contains(&ip));
        assert!(!c
            .devices
            .get(&other)
            .is_some_and(|d| d.addresses.contains(&ip)));
        c.on_event(Event::Lease { mac: other, ip }, 1_002);
        assert!(!c.devices[&cam].addresses.contains(&ip));
        assert!(c.devices[&other].addresses.contains(&ip));
    }

    #[test]
    fn a_device_keeps_the_name_a_person_gives_it() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 9]);
        c.dev(mac, 1_000);
        c.rename(&mac, Some("  Front door camera "), "owner (owner)", 1_001)
            .unwrap();
        assert_eq!(c.devices[&mac].name.as_deref(), Some("Front door camera"));
        assert_eq!(
            c.store
                .device(&mac.to_string())
                .unwrap()
                .unwrap()
                .name
                .as_deref(),
            Some("Front door camera")
        );
        assert!(c.rename(&mac, Some("a\nb"), "x", 1_002).is_err());
        assert!(c.rename(&mac, Some(&"x".repeat(65)), "x", 1_002).is_err());
        c.rename(&mac, Some("  "), "x", 1_003).unwrap();
        assert_eq!(c.devices[&mac].name, None);
    }

    #[test]
    fn devices_never_confirmed_are_forgotten() {
        let mut c = core();
        let ghost = MacAddr([2, 0x88, 0, 0, 0, 1]);
        let real = MacAddr([2, 0, 0, 0, 0, 1]);
        c.dev(ghost, 1_000);
        c.on_event(
            Event::Lease {
                mac: real,
                ip: "10.0.0.9".parse().unwrap(),
            },
            1_000,
        );
        c.forget_unconfirmed(1_000 + UNCONFIRMED_TTL_S - 1);
        assert!(c.devices.contains_key(&ghost));
        c.forget_unconfirmed(1_000 + UNCONFIRMED_TTL_S);
        assert!(!c.devices.contains_key(&ghost));
        assert!(c.devices.contains_key(&real));
    }

    #[test]
    fn a_failed_apply_is_alerted_once_and_retried_with_back_off() {
        let mut c = core(); // its nft does not exist: every apply fails
        assert!(c.reapply(1_000, "test").is_err());
        let (attempts, next, _) = c.apply_failing.unwrap();
        assert_eq!((attempts, next), (1, 1_002));
        c.retry_apply(1_001); // too early
        assert_eq!(c.apply_failing.unwrap().0, 1);
        c.retry_apply(1_002);
        assert_eq!(c.apply_failing.unwrap().0, 2);
        assert_eq!(c.apply_failing.unwrap().1, 1_006);
        assert_eq!(alerts_of(&c, "enforcement.failed"), 1);
    }

    #[test]
    fn infrastructure_is_never_given_a_policy_even_under_block() {
        let cfg = Config::parse(
            "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.0.0.1\"\nstate-dir = \"/nonexistent\"\n\
             api-listen = \"10.0.0.1:8443\"\nremediation-listen = \"10.0.0.1:8080\"\n\
             unknown-devices = \"block\"\ninfrastructure = [\"02:00:00:00:00:fe\"]\n",
        )
        .unwrap();
        let mut c = Core::load(
            cfg,
            SqliteStore::open_in_memory().unwrap(),
            Enforcer {
                nft: "/nonexistent/nft".into(),
                state_dir: "/nonexistent/state".into(),
                last: None,
                egress: None,
            },
        )
        .unwrap();
        let now = 1_000;
        c.dev(MacAddr([2, 0, 0, 0, 0, 0xfe]), now);
        c.dev(MacAddr([2, 0, 0, 0, 0, 0x01]), now);
        let macs: Vec<MacAddr> = c.entries().iter().map(|(e, _, _)| e.mac).collect();
        assert_eq!(
            macs,
            vec![MacAddr([2, 0, 0, 0, 0, 0x01])],
            "the router is not policed, the camera is"
        );
        assert!(Config::parse(
            "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.0.0.1\"\nstate-dir = \"/x\"\n\
             api-listen = \"10.0.0.1:8443\"\nremediation-listen = \"10.0.0.1:8080\"\ninfrastructure = [\"router\"]\n"
        )
        .unwrap_err()
        .to_string()
        .contains("infrastructure"));
    }

    #[test]
    fn access_is_kept_only_when_every_old_rule_stays() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let ctx = warden_mud::Context::default();
        let q =
            crate::enforce::own_policy(&crate::enforce::quarantine_doc(gw, 8080), &ctx).unwrap();
        let i = crate::enforce::own_policy(&crate::enforce::internet_only_doc(gw), &ctx).unwrap();
        assert!(
            !keeps_access(None, q.rules()),
            "joining the ruleset takes access away"
        );
        assert!(keeps_access(Some(&q.rules().to_vec()), q.rules()));
        // The same rules under other names keep access.
        let mut renamed = q.rules().to_vec();
        renamed
            .iter_mut()
            .for_each(|r| r.origin.ace = format!("x-{}", r.origin.ace));
        assert!(keeps_access(Some(&q.rules().to_vec()), &renamed));
        // Internet-only to quarantine loses the internet; quarantine to
        // internet-only loses the remediation page.
        assert!(!keeps_access(Some(&i.rules().to_vec()), q.rules()));
        assert!(!keeps_access(Some(&q.rules().to_vec()), i.rules()));
    }

    #[test]
    fn transitions_are_explicit() {
        let every = [
            State::Observed,
            State::Enforced,
            State::Quarantined {
                reason: String::new(),
                since: 0,
            },
            State::Blocked {
                reason: String::new(),
                since: 0,
            },
        ];
        assert_eq!(every.map(|s| s.name()), State::NAMES);
        let q = Transition::Quarantine {
            reason: "scan".into(),
            at: 5,
        };
        assert_eq!(
            State::Observed
                .after(&Transition::MudApplied, true)
                .unwrap(),
            State::Enforced
        );
        let s = State::Enforced.after(&q, true).unwrap();
        assert!(matches!(s, State::Quarantined { .. }));
        assert!(s.after(&q, true).is_err(), "twice");
        assert_eq!(
            s.after(&Transition::MudApplied, true).unwrap(),
            s,
            "a refresh waits for release"
        );
        assert_eq!(
            s.after(&Transition::Release, true).unwrap(),
            State::Enforced
        );
        assert_eq!(
            s.after(&Transition::Release, false).unwrap(),
            State::Observed
        );
        assert!(State::Enforced.after(&Transition::Release, true).is_err());
    }
}
