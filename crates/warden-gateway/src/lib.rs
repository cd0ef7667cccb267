//! # warden-gateway: the router that protects what is behind it
//!
//! `warden gateway --config FILE` is a daemon beside any DHCP server
//! (it snoops; no patched dnsmasq needed):
//!
//! 1. **Learns devices** from the LAN interfaces with the traffic engine
//!    ([`watch`]): MUD URLs from DHCP (option 161), DHCPv6 (option 112) and
//!    LLDP, leases, addresses in use, DNS answers, flows, and every
//!    detector's findings; believing only what it can attribute ([`trust`]):
//!    DNS answers to questions devices really asked a trusted resolver,
//!    leases from the trusted DHCP server, client messages from the MAC they
//!    name.
//! 2. **Fetches and verifies MUD files** ([`fetch`]): HTTPS only (rustls),
//!    size, time and redirect limits, an SSRF guard, the `mud-signature`
//!    checked per policy (require | warn | off), cached for its
//!    cache-validity, the last good file kept when a fetch fails, every
//!    attempt recorded.
//! 3. **Enforces** ([`enforce`]): one nftables ruleset for all devices,
//!    applied atomically; DNS-name sets filled from the answers seen;
//!    devices without MUD get the deployment's default policy.
//! 4. **Quarantines** a device a detector catches (or an operator names):
//!    only DNS and a remediation page that says what happened and what to
//!    do ([`api`]); release restores its policy.
//! 5. **Remembers** everything in the store (`warden-store`, SQLite) and
//!    **reconciles** on start: when the kernel's table does not carry the
//!    hash of the ruleset the store intends, it is replaced.
//!
//! While warden is down the kernel keeps the last ruleset: a quarantined
//! device stays quarantined, every other device keeps its policy; DNS-name
//! sets are no longer refilled, so addresses learned before expire with
//! their TTL (at least 5 minutes) and new connections to named services
//! then fail until warden is back; a device that joins meanwhile is not in
//! the ruleset (treated as under *observe*).
//!
//! Not handled yet: DHCPv6 option 112 inside relayed messages, IPv6
//! addresses for the gateway's own policies, TLS on the API.

#![forbid(unsafe_code)]

/// One line on standard error: plain text prefixed "warden gateway: " (for
/// the journal, the default) or a JSON object ([`LogFormat::Json`]). In
/// text, every control character is escaped; in JSON, the message is a JSON
/// string: text from devices and API callers (a MUD URL, a host name, a
/// reason) cannot start a forged log line either way.
macro_rules! log {
    ($($t:tt)*) => {
        eprintln!("{}", $crate::log_line(&format!($($t)*)))
    };
}

/// How the gateway writes its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `warden gateway: message`, as journald shows it.
    #[default]
    Text,
    /// `{"ts":"2026-12-04T05:00:00Z","level":"info","component":"gateway","msg":"..."}`.
    Json,
}

static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Chooses the log format, once, before the gateway starts (later calls
/// keep the first choice).
pub fn set_log_format(f: LogFormat) {
    let _ = LOG_FORMAT.set(f);
}

/// The line the gateway logs for `msg` in the chosen format.
pub fn log_line(msg: &str) -> String {
    match LOG_FORMAT.get().copied().unwrap_or_default() {
        LogFormat::Text => format!("warden gateway: {}", log_safe(msg)),
        LogFormat::Json => json_log_line(msg, time::OffsetDateTime::now_utc()),
    }
}

/// One JSON log line for `msg` at `at` (seconds precision, UTC).
pub fn json_log_line(msg: &str, at: time::OffsetDateTime) -> String {
    let ts = at
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({"ts": ts, "level": "info", "component": "gateway", "msg": msg}).to_string()
}

/// `s` with control characters escaped (`\n`, `\u{1b}`, ...).
pub fn log_safe(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A flow nobody answered ends after this many quiet seconds in the
/// gateway (TCP retries its opening after 1, 3, 7 and 15 s).
pub const UNANSWERED_IDLE_S: u32 = 10;

#[cfg(test)]
mod log_tests {
    use super::*;

    #[test]
    fn json_log_lines_are_one_object_whatever_the_message_holds() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap();
        let forged = "device said \"x\"\n{\"level\":\"alert\"}";
        let line = json_log_line(forged, at);
        assert!(!line.contains('\n'), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], forged);
        assert_eq!(v["level"], "info");
        assert_eq!(v["ts"], "2026-11-30T00:53:20Z");
    }

    #[test]
    fn text_log_lines_escape_control_characters() {
        assert_eq!(log_safe("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    }
}

pub mod api;
pub mod auth;
pub mod client;
pub mod config;
pub mod conntrack;
pub mod core;
pub mod enforce;
pub mod export;
pub mod fetch;
pub mod identity;
pub mod lifecycle;
pub mod metrics;
pub mod ports;
pub mod serve;
pub mod tls;
pub mod trust;
pub mod uci;
pub mod watch;
pub mod web;

use crate::core::{Action, Core};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use warden_store::{SqliteStore, Store};

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Resolves the ruleset's DNS names through the gateway's own resolver and
/// feeds the answers in as if seen on the LAN (5 minutes each): a device
/// that cached an answer before warden started still finds its set filled.
/// Addresses are only ever added, and expire on their own.
fn spawn_resolve(names: Vec<String>, tx: &mpsc::Sender<watch::Event>) {
    let tx = tx.clone();
    tokio::spawn(async move {
        let mut out = Vec::new();
        for n in names.into_iter().take(4096) {
            let lookup = tokio::time::timeout(
                Duration::from_secs(3),
                tokio::net::lookup_host((n.as_str(), 0)),
            )
            .await;
            if let Ok(Ok(addrs)) = lookup {
                for a in addrs.take(16) {
                    out.push((n.clone(), a.ip(), 300));
                }
            }
        }
        if !out.is_empty() {
            let _ = tx
                .send(watch::Event::Dns {
                    to: None,
                    bindings: out,
                })
                .await;
        }
    });
}

/// MUD fetches running at once, and waiting for a turn: a LAN that
/// announces a thousand URLs on a slow server can neither exhaust the
/// gateway's file descriptors nor make a real device wait behind them all.
pub const FETCHES_AT_ONCE: usize = 8;
pub const FETCHES_WAITING: usize = 64;

#[derive(Clone)]
struct FetchSlots {
    running: Arc<tokio::sync::Semaphore>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
}

/// Starts a fetch, or returns false when too many wait already.
fn spawn_fetch(
    fetcher: &Arc<fetch::Fetcher>,
    slots: &FetchSlots,
    url: String,
    done: &mpsc::Sender<(String, Result<fetch::Fetched, fetch::FetchError>)>,
) -> bool {
    use std::sync::atomic::Ordering;
    if slots.queued.fetch_add(1, Ordering::SeqCst) >= FETCHES_AT_ONCE + FETCHES_WAITING {
        slots.queued.fetch_sub(1, Ordering::SeqCst);
        return false;
    }
    let (f, done, slots) = (fetcher.clone(), done.clone(), slots.clone());
    tokio::spawn(async move {
        let r = match slots.running.acquire().await {
            Ok(_permit) => f.fetch(&url, now()).await,
            Err(_) => return,
        };
        slots.queued.fetch_sub(1, Ordering::SeqCst);
        let _ = done.send((url, r)).await;
    });
    true
}

/// Why the gateway did not start (or a one-off fetch could not be set up).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The state directory, or a file in it, is unsafe or unusable; the
    /// words name the path.
    #[error("{0}")]
    StateDir(String),
    /// The API token could not be read or made.
    #[error("API token: {0}")]
    Token(String),
    /// The MUD fetcher's settings (allowed prefixes, TLS client).
    #[error("{0}")]
    Fetcher(String),
    /// warden's own certificate for the dashboard.
    #[error("web certificate: {0}")]
    Certificate(String),
    /// An address in the configuration to listen on.
    #[error("{what} {addr}: {source}")]
    Listen {
        what: &'static str,
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Threads, signals or the async runtime.
    #[error("{0}")]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Core(#[from] core::CoreError),
    #[error("store: {0}")]
    Store(#[from] warden_store::StoreError),
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
}

/// Makes the state directory private before anything is written to it:
/// created 0700; refused when others may write to it (someone could have
/// planted a database or a token) or when the API token is readable by
/// others (it may have leaked: delete it and a new one is made); otherwise
/// the directory is set to 0700 and every file in it to 0600. Each refusal
/// names the path.
pub fn secure_state_dir(dir: &std::path::Path) -> Result<(), GatewayError> {
    check_state_dir(dir).map_err(GatewayError::StateDir)
}

fn check_state_dir(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("state-dir {}: {e}", dir.display()))?;
    let meta = std::fs::metadata(dir).map_err(|e| format!("state-dir {}: {e}", dir.display()))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "state-dir {}: mode {mode:04o} lets other users write to it; refusing to start \
             (make it owned by warden's user with mode 0700)",
            dir.display()
        ));
    }
    let token = dir.join("api-token");
    if let Ok(m) = std::fs::symlink_metadata(&token) {
        let tm = m.permissions().mode() & 0o7777;
        if !m.file_type().is_file() || tm & 0o077 != 0 {
            return Err(format!(
                "{}: mode {tm:04o} lets other users read the API token (or it is not a plain file); \
                 refusing to start: it may have leaked. Delete it and warden makes a new one.",
                token.display()
            ));
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("state-dir {}: {e}", dir.display()))?;
    for e in std::fs::read_dir(dir).map_err(|e| format!("state-dir {}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("state-dir {}: {e}", dir.display()))?;
        let ft = e.file_type().map_err(|e| e.to_string())?;
        if ft.is_file() {
            let m = e.metadata().map_err(|e| e.to_string())?;
            if m.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o600))
                    .map_err(|err| format!("{}: {err}", e.path().display()))?;
            }
        }
    }
    Ok(())
}

/// Runs the daemon until SIGINT or SIGTERM.
/// Runs the gateway with `cfg`, read from `source` (re-read on SIGHUP).
pub async fn run(
    cfg: config::Config,
    source: Option<config::ConfigSource>,
) -> Result<(), GatewayError> {
    secure_state_dir(&cfg.state_dir)?;
    let store = SqliteStore::open(&cfg.state_dir.join("warden.db"))?;
    let token = api::token(&cfg.state_dir)?;
    // The database and its journal were made with the process umask.
    secure_state_dir(&cfg.state_dir)?;
    let fetcher = Arc::new(fetch::Fetcher::new(&cfg.mud)?);
    let enforcer = enforce::Enforcer {
        nft: "nft".into(),
        state_dir: cfg.state_dir.clone(),
        last: None,
        egress: Some(warden_nft::Egress {
            interfaces: cfg.lan_interfaces.clone(),
            local_networks: cfg.local_networks.clone(),
        }),
    };
    let mut core = Core::load(cfg.clone(), store, enforcer)?;
    for ifc in &cfg.lan_interfaces {
        if let Ok(s) = std::fs::read_to_string(format!("/sys/class/net/{ifc}/address")) {
            if let Some(m) = warden_mud::MacAddr::parse(s.trim()) {
                core.own_macs.insert(m);
            }
        }
    }
    let trust = trust::Trust {
        gateway_macs: core
            .own_macs
            .iter()
            .chain(&cfg.infrastructure)
            .map(|m| m.0)
            .collect(),
        // The gateway's resolver answers on its LAN IPv6 addresses too.
        resolvers: {
            let mut r = cfg.resolvers();
            let text = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
            r.extend(trust::interface_ipv6(&text, &cfg.lan_interfaces));
            r
        },
        dhcp_servers: cfg.dhcp_servers(),
    };
    let outcome = core.reconcile(now())?;
    log!("reconcile: {outcome}");
    core.repin();
    let metrics = core.metrics.clone();
    let core = Arc::new(Mutex::new(core));

    let (tx, mut rx) = mpsc::channel(4096);
    for ifc in &cfg.lan_interfaces {
        let opts = warden_analyze::Options {
            lan: cfg.local_networks.clone(),
            // A dropped attempt (no answer) reaches the store and the
            // pages within seconds, not at the 300 s idle timeout.
            unanswered_idle_s: Some(UNANSWERED_IDLE_S),
            ..Default::default()
        };
        let engine = warden_detect::Engine::new(warden_detect::Options {
            deployment: cfg.deployment,
            resolvers: vec![cfg.gateway_address],
            ..Default::default()
        });
        let (ifc, tx, lan, trust, traffic) = (
            ifc.clone(),
            tx.clone(),
            cfg.local_networks.clone(),
            trust.clone(),
            metrics.traffic(ifc),
        );
        std::thread::Builder::new()
            .name(format!("watch-{ifc}"))
            .spawn(move || {
                if let Err(e) = watch::watch(&ifc, opts, engine, lan, trust, tx, traffic) {
                    log!("watching {ifc}: {e}");
                }
            })?;
    }
    let resolve_tx = tx.clone();
    drop(tx);

    let reader = SqliteStore::open(&cfg.state_dir.join("warden.db"))?;
    let accounts = SqliteStore::open(&cfg.state_dir.join("warden.db"))?;
    let auth = Arc::new(auth::Auth::new(accounts, &token));
    if let Some((code, until)) = auth.setup_code(now())? {
        log!(
            "no owner account yet. Create it before {until} (Unix time; a new code at each start): \
             curl -X POST http://{}/api/v1/setup -H 'content-type: application/json' \
             -d '{{\"code\": \"{code}\", \"name\": \"NAME\", \"password\": \"PASSWORD\"}}'",
            cfg.api_listen
        );
    }
    let a = api::Api {
        core: core.clone(),
        reader: Arc::new(std::sync::Mutex::new(reader)),
        nft: "nft".into(),
        auth,
        now,
        fetcher: Some(fetcher.clone()),
    };
    let l = tokio::net::TcpListener::bind(cfg.api_listen)
        .await
        .map_err(|source| GatewayError::Listen {
            what: "api-listen",
            addr: cfg.api_listen,
            source,
        })?;
    let app = api::router(a.clone());
    tokio::spawn(serve::serve(l, app, serve::Limits::default()));
    let l = tokio::net::TcpListener::bind(cfg.remediation_listen)
        .await
        .map_err(|source| GatewayError::Listen {
            what: "remediation-listen",
            addr: cfg.remediation_listen,
            source,
        })?;
    // The same API (and the dashboard to come) over HTTPS, with the
    // certificate warden made at first start; plain HTTP only when
    // `web-plain-http` says so.
    if let Some(addr) = cfg.web_listen {
        let tls = if cfg.web_plain_http {
            None
        } else {
            let (acceptor, fp) = tls::acceptor(&cfg.state_dir, cfg.gateway_address)
                .map_err(GatewayError::Certificate)?;
            log!("HTTPS on {addr}, certificate SHA-256 fingerprint {fp}");
            Some(acceptor)
        };
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| GatewayError::Listen {
                what: "web-listen",
                addr,
                source,
            })?;
        tokio::spawn(serve::serve_with(
            l,
            api::router(a.clone()),
            serve::Limits::default(),
            tls,
        ));
    }
    tokio::spawn(serve::serve(
        l,
        api::remediation_router(a.clone()),
        serve::Limits::default(),
    ));

    let (done_tx, mut done_rx) = mpsc::channel(FETCHES_AT_ONCE + FETCHES_WAITING);
    // Documents MUD files point at (RFC 9472): at most a few per check.
    let (doc_tx, mut doc_rx) =
        mpsc::channel::<(warden_mud::MacAddr, String, bool, Result<Vec<u8>, String>)>(
            core::vulns::DOCUMENTS_PER_CHECK * 2,
        );
    let slots = FetchSlots {
        running: Arc::new(tokio::sync::Semaphore::new(FETCHES_AT_ONCE)),
        queued: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let policing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // An enforcer for the kernel reads and pins made outside the core's lock.
    let nft_only = Arc::new(enforce::Enforcer {
        nft: "nft".into(),
        state_dir: cfg.state_dir.clone(),
        last: None,
        egress: None,
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // SIGHUP: the configuration file is read again (`systemctl reload warden`).
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut last_prune = 0i64;
    println!(
        "{}",
        log_line(&format!(
            "ready (watching {}, API on {}, remediation page on {})",
            cfg.lan_interfaces.join(", "),
            cfg.api_listen,
            cfg.remediation_listen
        ))
    );
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                // A burst of events (500 frames from made-up MACs) costs one
                // apply at its end, not one per event.
                let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
                c.begin_batch();
                let t = now();
                let mut actions = c.on_event(ev, t);
                for _ in 0..1024 {
                    match rx.try_recv() {
                        Ok(ev) => actions.extend(c.on_event(ev, t)),
                        Err(_) => break,
                    }
                }
                c.end_batch(now());
                drop(c);
                for Action::Fetch(url) in actions {
                    if !spawn_fetch(&fetcher, &slots, url.clone(), &done_tx) {
                        core.lock().unwrap_or_else(|e| e.into_inner()).fetch_deferred(&url, now());
                    }
                }
            }
            Some((mac, url, sbom, r)) = doc_rx.recv() => {
                core.lock().unwrap_or_else(|e| e.into_inner()).on_document(&mac, &url, sbom, r, now());
            }
            Some((url, r)) = done_rx.recv() => {
                core.lock().unwrap_or_else(|e| e.into_inner()).on_fetched(&url, r, now());
            }
            _ = tick.tick() => {
                let t = now();
                let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
                spawn_resolve(c.set_names(), &resolve_tx);
                c.prune_dns(t);
                c.forget_unconfirmed(t);
                c.check_support(t);
                for (mac, url, sbom) in c.documents_due(t) {
                    let (f, tx) = (fetcher.clone(), doc_tx.clone());
                    tokio::spawn(async move {
                        let accept = if sbom {
                            "application/vnd.cyclonedx+json, application/spdx+json, application/json"
                        } else {
                            "application/csaf+json, application/json"
                        };
                        let r = f
                            .fetch_document(&url, accept, warden_lifecycle::sbom::MAX_SBOM_BYTES)
                            .await
                            .map_err(|e| e.to_string());
                        let _ = tx.send((mac, url, sbom, r)).await;
                    });
                }
                drop(c);
                // Tenancies that ended: the account goes, and its name
                // leaves the records.
                let ended = a.auth.end_tenancies(t);
                let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
                for name in ended {
                    let _ = c.store.record_event(t, None, "tenancy-ended", &serde_json::json!({"tenant": "a former tenant", "accounts": 1}));
                    log!("a tenancy ended: the account {} is gone", log_safe(&name));
                }
                for url in c.due_refreshes(t) {
                    if !spawn_fetch(&fetcher, &slots, url.clone(), &done_tx) {
                        c.fetch_deferred(&url, t);
                    }
                }
                if t - last_prune > 3600 {
                    last_prune = t;
                    if let Ok(p) = c.prune_data(t) {
                        let _ = c.store.record_event(t, None, "pruned", &serde_json::to_value(&p).unwrap_or_default());
                    }
                }
            }
            _ = second.tick() => {
                let t = now();
                let plan = {
                    let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
                    c.retry_apply(t);
                    if t % 2 == 0 { c.ports_plan() } else { None }
                };
                // sysfs and nft run with the core unlocked: LAN events and
                // applies go on meanwhile.
                if let Some(plan) = plan {
                    if !policing.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        let (core, policing, light) = (core.clone(), policing.clone(), nft_only.clone());
                        tokio::task::spawn_blocking(move || {
                            let seen = plan.look(&light);
                            core.lock().unwrap_or_else(|e| e.into_inner()).ports_seen(seen, now());
                            policing.store(false, std::sync::atomic::Ordering::SeqCst);
                        });
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = hup.recv() => reload(&core, source.as_ref()),
        }
    }
    log!("stopping; the kernel keeps the ruleset");
    Ok(())
}

/// SIGHUP: reads the configuration file again and checks it; a file that
/// does not read, or whose policies cannot be made, leaves the running
/// configuration and the log says why. Settings only a restart changes
/// keep their running values, and the log names them.
fn reload(core: &Arc<Mutex<Core>>, source: Option<&config::ConfigSource>) {
    let Some(source) = source else {
        log!("SIGHUP: the gateway was not started from a file; nothing to re-read");
        return;
    };
    let path = &source.path;
    let new = match source.read() {
        Ok(c) => c,
        Err(e) => {
            log!("SIGHUP: {e}; keeping the running configuration");
            return;
        }
    };
    let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
    let r = c.cfg.reload(new);
    let (taken, waiting) = (r.now.join(", "), r.at_restart.join(", "));
    match c.reconfigure(r, now()) {
        Ok(()) => log!(
            "SIGHUP: {} re-read: {}{}",
            path.display(),
            if taken.is_empty() {
                "nothing that applies now changed".to_string()
            } else {
                format!("now applied: {taken}")
            },
            if waiting.is_empty() {
                String::new()
            } else {
                format!("; changed but taking effect at the next restart: {waiting}")
            }
        ),
        Err(e) => log!(
            "SIGHUP: {}: {e}; keeping the running configuration",
            path.display()
        ),
    }
}

/// [`run`] on a runtime of its own (the binary is not async).
pub fn run_blocking(
    cfg: config::Config,
    source: Option<config::ConfigSource>,
) -> Result<(), GatewayError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(cfg, source))
}

/// One fetch as the gateway would make it (for `warden mud fetch`).
pub fn fetch_blocking(
    cfg: &config::MudConfig,
    url: &str,
    now: i64,
) -> Result<Result<fetch::Fetched, fetch::FetchError>, GatewayError> {
    let f = fetch::Fetcher::new(cfg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f.fetch(url, now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn log_lines_cannot_be_forged() {
        assert_eq!(
            log_safe("https://a.example/x\nwarden gateway: released 02:00:00:00:00:01"),
            "https://a.example/x\\nwarden gateway: released 02:00:00:00:00:01"
        );
        assert_eq!(log_safe("\u{1b}[2Jplain"), "\\u{1b}[2Jplain");
        assert_eq!(log_safe("h\u{e9}llo"), "h\u{e9}llo");
    }

    #[test]
    fn the_state_directory_is_made_private_or_refused() {
        let root = std::env::temp_dir().join(format!("warden-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("state");
        secure_state_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // Readable files and directory are fixed.
        std::fs::write(dir.join("warden.db"), b"x").unwrap();
        std::fs::set_permissions(
            dir.join("warden.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        secure_state_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("warden.db")), 0o600);
        // Writable by others: refused, naming the path.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = secure_state_dir(&dir).unwrap_err().to_string();
        assert!(
            e.contains(dir.to_str().unwrap()) && e.contains("0777"),
            "{e}"
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(secure_state_dir(&dir).is_err());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        // A token others can read: refused, naming it.
        let token = dir.join("api-token");
        std::fs::write(&token, "a".repeat(64)).unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = secure_state_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("api-token") && e.contains("0644"), "{e}");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        secure_state_dir(&dir).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
    }
}
