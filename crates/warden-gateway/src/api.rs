//! The REST API (LAN side) and the remediation page.
//!
//! Every `/api/v1` route but the OpenAPI document, setup and login needs a
//! principal ([`crate::auth`]): `Authorization: Bearer TOKEN` (the owner's
//! token is made at first start in STATE-DIR/api-token, mode 0600; others
//! carry the role they were made with) or the session cookie of a login,
//! whose state-changing requests must also carry `X-CSRF-Token`. Each route
//! needs a permission of the caller's role: 401 without a principal, 403
//! without the permission. The API is plain HTTP on the address it is given
//! (keep it on the LAN side); `openapi.json` documents every route and answer.

use crate::auth::{AuthError, Permission, Principal, Role};
use crate::core::{Core, CoreError, State};
use axum::extract::{ConnectInfo, Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use warden_mud::MacAddr;
use warden_store::Store;

pub const OPENAPI: &str = include_str!("../openapi.json");

/// Reads never hold the core's lock while SQLite or `nft` runs: the core is
/// locked only to copy what a request shows of its devices, the store is
/// read through a connection of the API's own (WAL lets readers run beside
/// the writer), and the kernel's counters are read with nothing held. So
/// the gateway goes on taking LAN events while the API is busy. Quarantine
/// and release go through the core, as any change does.
#[derive(Clone)]
pub struct Api {
    pub core: Arc<Mutex<Core>>,
    /// A second connection to the store, for reads.
    pub reader: Arc<Mutex<warden_store::SqliteStore>>,
    /// The `nft` binary, for the kernel's counters.
    pub nft: std::path::PathBuf,
    pub auth: Arc<crate::auth::Auth>,
    pub now: fn() -> i64,
    /// The gateway's hardened MUD fetcher, for files a person points at
    /// on the dashboard (None: such URLs are refused).
    pub fetcher: Option<Arc<crate::fetch::Fetcher>>,
}

/// Reads the token, or makes one (mode 0600) at first start.
pub fn token(dir: &std::path::Path) -> Result<String, crate::GatewayError> {
    read_or_make_token(dir).map_err(crate::GatewayError::Token)
}

fn read_or_make_token(dir: &std::path::Path) -> Result<String, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let p = dir.join("api-token");
    if let Ok(t) = std::fs::read_to_string(&p) {
        let t = t.trim().to_string();
        if t.len() >= 32 {
            return Ok(t);
        }
    }
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| format!("random token: {e}"))?;
    let t: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let _ = std::fs::remove_file(&p);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&p)
        .map_err(|e| format!("{}: {e}", p.display()))?;
    f.write_all(t.as_bytes()).map_err(|e| e.to_string())?;
    f.sync_all().map_err(|e| e.to_string())?;
    Ok(t)
}

fn err(code: StatusCode, msg: &str) -> Response {
    (code, Json(json!({"error": msg}))).into_response()
}

/// The answer to a request the core refused or failed: 404 for an unknown
/// device, `refused` for a request against the core's rules, 400 for input
/// that does not read, 500 for the kernel or the store.
fn core_err(refused: StatusCode, e: &CoreError) -> Response {
    let code = match e {
        CoreError::NoSuchDevice => StatusCode::NOT_FOUND,
        CoreError::Refused(_) => refused,
        CoreError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    err(code, &e.to_string())
}

/// The caller, when it may do `perm`; otherwise the 401 or 403 answer.
/// A request made with the session cookie that changes something must
/// carry the session's CSRF token in `X-CSRF-Token`.
fn allow(
    api: &Api,
    h: &HeaderMap,
    perm: Permission,
    changes: bool,
) -> Result<Principal, (StatusCode, String)> {
    let Some(p) = api.auth.principal(h, (api.now)()) else {
        return Err((
            StatusCode::UNAUTHORIZED,
            "log in, or send `Authorization: Bearer TOKEN` (the owner's token is in the state directory's api-token file)".into(),
        ));
    };
    if !p.may(perm) {
        return Err((
            StatusCode::FORBIDDEN,
            format!("the {} role may not do this", p.role.name()),
        ));
    }
    if changes {
        if let Some(want) = &p.csrf {
            let got = h
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !crate::auth::same_secret(got, want) {
                return Err((
                    StatusCode::FORBIDDEN,
                    "a request made with the session cookie needs its X-CSRF-Token".into(),
                ));
            }
        }
    }
    Ok(p)
}

macro_rules! allow {
    ($api:expr, $h:expr, $perm:expr) => {
        match allow(&$api, &$h, $perm, false) {
            Ok(p) => p,
            Err((code, msg)) => return err(code, &msg),
        }
    };
    ($api:expr, $h:expr, $perm:expr, changes) => {
        match allow(&$api, &$h, $perm, true) {
            Ok(p) => p,
            Err((code, msg)) => return err(code, &msg),
        }
    };
}

/// What each device's answer needs from the kernel and the store, read
/// once per request however many devices it lists.
struct Shared {
    /// Chain name -> (packets, bytes) dropped (the kernel's counters).
    drops: std::collections::BTreeMap<String, (u64, u64)>,
    /// The ruleset hash the kernel's warden table carries (None: no table).
    kernel_marker: Option<String>,
}

impl Shared {
    /// A device's drop counters, (packets, bytes), from the device and to
    /// it: the counters of its two chains (None: no such chain in the
    /// kernel).
    fn drops_of(&self, mac: &MacAddr) -> [(&'static str, Option<(u64, u64)>); 2] {
        let (from, to) = warden_nft::device_chains(mac);
        let get = |chain: String| self.drops.get(&chain).copied();
        [("from_device", get(from)), ("to_device", get(to))]
    }
}

/// Reads the kernel's counters and the ruleset hash it holds, with no lock
/// of the core held (a blocking task: `nft` and SQLite both block).
async fn shared(api: &Api) -> Shared {
    let nft = api.nft.clone();
    tokio::task::spawn_blocking(move || {
        let e = crate::enforce::Enforcer {
            nft,
            state_dir: std::path::PathBuf::new(),
            last: None,
            egress: None,
        };
        Shared {
            drops: e.drop_counters(),
            kernel_marker: e.kernel_marker(),
        }
    })
    .await
    .unwrap_or_else(|_| Shared {
        drops: Default::default(),
        kernel_marker: None,
    })
}

/// What a request shows of a device, copied out under the core's lock.
pub struct DevView {
    pub mac: MacAddr,
    pub addresses: Vec<String>,
    pub mud_url: Option<String>,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    pub name: Option<String>,
    pub state: &'static str,
    pub reason: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The policy kind the kernel was last given, and the hash of that ruleset.
    pub applied: Option<&'static str>,
    pub applied_sha: Option<String>,
    pub intended: Option<&'static str>,
    pub category: crate::identity::Category,
    /// Whether a person chose the category (false: warden's guess).
    pub category_chosen: bool,
    /// Maker and model, each with its source.
    pub maker: Vec<String>,
    /// A MUD file is held (verified, or given by a person).
    pub has_mud: bool,
    pub lifecycle: crate::lifecycle::Lifecycle,
    pub support: Option<crate::core::support::SupportView>,
}

impl DevView {
    /// Whether `p` may see where this device talks to.
    pub fn traffic_visible_to(&self, p: &Principal) -> bool {
        !self.category.personal() || p.may(Permission::SeePersonalTraffic)
    }
}

/// What `p` may read of an alert: about a personal device, the sentence
/// and evidence (which name its remotes) only for roles that see personal
/// traffic.
pub fn alert_for(
    p: &Principal,
    mut a: warden_store::AlertRow,
    personal: &dyn Fn(&str) -> bool,
) -> warden_store::AlertRow {
    if !p.may(Permission::SeePersonalTraffic) && a.mac.as_deref().is_some_and(personal) {
        a.explanation = format!(
            "A {} alert about a personal device; its details are for the owner.",
            a.kind
        );
        a.evidence = Value::Null;
    }
    a
}

impl DevView {
    pub fn of(c: &crate::core::Core, d: &crate::core::Dev) -> DevView {
        DevView {
            applied: c.applied_kinds.get(&d.mac).copied(),
            applied_sha: c.applied_sha.clone(),
            intended: c.intended_kind(d),
            mac: d.mac,
            addresses: d.addresses.iter().map(|a| a.to_string()).collect(),
            mud_url: d.mud_url.clone(),
            hostname: d.hostname.clone(),
            vendor_class: d.vendor_class.clone(),
            name: d.name.clone(),
            state: d.state.name(),
            reason: match &d.state {
                State::Quarantined { reason, .. } | State::Blocked { reason, .. } => {
                    Some(reason.clone())
                }
                _ => None,
            },
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            category: c.category(d),
            category_chosen: d.category.is_some(),
            maker: crate::identity::maker_and_model(
                &d.mac,
                d.mud.as_ref(),
                d.vendor_class.as_deref(),
                &d.mdns_names,
            ),
            has_mud: d.mud.is_some(),
            lifecycle: d.lifecycle,
            support: c.support_view(d),
        }
    }
}

/// The MACs of the personal devices, for [`alert_for`].
fn personal_macs(api: &Api) -> std::collections::HashSet<String> {
    let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    c.devices
        .values()
        .filter(|d| c.category(d).personal())
        .map(|d| d.mac.to_string())
        .collect()
}

fn device_json(d: &DevView, s: &Shared) -> Value {
    let [(_, from), (_, to)] = s.drops_of(&d.mac);
    let packets = |c: Option<(u64, u64)>| c.map_or(0, |x| x.0);
    // What the kernel holds: the last applied policy, if the kernel's
    // table still carries the ruleset warden applied.
    let kernel_ok = match (&s.kernel_marker, &d.applied_sha) {
        (Some(k), Some(a)) => a.starts_with(k.as_str()),
        _ => false,
    };
    let policy = if kernel_ok { d.applied } else { None };
    json!({
        "mac": d.mac.to_string(),
        "addresses": d.addresses,
        "mud_url": d.mud_url,
        "hostname": d.hostname,
        "vendor_class": d.vendor_class,
        "name": d.name,
        "state": d.state,
        "quarantine_reason": d.reason,
        "policy": policy,
        "intended_policy": d.intended,
        "in_kernel": kernel_ok && policy == d.intended,
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
        "category": d.category.name(),
        "lifecycle": d.lifecycle.name(),
        "support": d.support,
        "category_chosen": d.category_chosen,
        "maker": d.maker,
        "drops": {"from_device": packets(from), "to_device": packets(to)},
    })
}

/// Records an event on the API's own connection (accounts, logins).
pub fn record(api: &Api, now: i64, kind: &str, detail: Value) {
    let _ = api
        .reader
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record_event(now, None, kind, &detail);
}

/// Runs a read of the store on the API's own connection, off the runtime.
pub async fn read<T: Send + 'static>(
    api: &Api,
    f: impl FnOnce(&warden_store::SqliteStore) -> T + Send + 'static,
) -> Option<T> {
    let reader = api.reader.clone();
    tokio::task::spawn_blocking(move || f(&reader.lock().unwrap_or_else(|e| e.into_inner())))
        .await
        .ok()
}

async fn devices(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let _who = allow!(api, h, Permission::SeeDevices);
    let views: Vec<DevView> = {
        let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        c.devices.values().map(|d| DevView::of(&c, d)).collect()
    };
    let sh = shared(&api).await;
    Json(Value::Array(
        views.iter().map(|d| device_json(d, &sh)).collect(),
    ))
    .into_response()
}

fn bad_mac(s: &str) -> Response {
    err(
        StatusCode::BAD_REQUEST,
        &format!("`{s}` is not a MAC address"),
    )
}

async fn device(AxState(api): AxState<Api>, h: HeaderMap, Path(mac): Path<String>) -> Response {
    let who = allow!(api, h, Permission::SeeDevices);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let view = {
        let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        c.devices.get(&mac).map(|d| DevView::of(&c, d))
    };
    let Some(view) = view else {
        return err(StatusCode::NOT_FOUND, "no such device");
    };
    let mut v = device_json(&view, &shared(&api).await);
    let m = mac.to_string();
    let (events, flows) = read(&api, move |s| {
        (
            s.events(Some(&m), 50).unwrap_or_default(),
            s.flow_summaries(&m).unwrap_or_default(),
        )
    })
    .await
    .unwrap_or_default();
    v["events"] = json!(events);
    if view.traffic_visible_to(&who) {
        v["flows"] = json!(flows);
    } else {
        v["flows"] = Value::Null;
        v["flows_hidden"] = json!("a personal device: where it talks to is for the owner");
    }
    Json(v).into_response()
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<usize>,
}

async fn mud_files(AxState(api): AxState<Api>, h: HeaderMap, Query(q): Query<Limit>) -> Response {
    let _who = allow!(api, h, Permission::SeeDevices);
    let limit = q.limit.unwrap_or(100).min(1000);
    let rows = read(&api, move |s| s.fetches(None, limit).unwrap_or_default())
        .await
        .unwrap_or_default();
    Json(Value::Array(
        rows.into_iter()
            .map(|f| {
                json!({
                    "url": f.url, "ts": f.ts, "outcome": f.outcome, "error": f.error,
                    "http_status": f.http_status, "sha256": f.sha256, "signature": f.signature,
                    "signer": f.signer, "valid_until": f.valid_until
                })
            })
            .collect(),
    ))
    .into_response()
}

async fn policies(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let _who = allow!(api, h, Permission::SeeDevices);
    let sha = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .applied_sha
        .clone();
    let policies = read(&api, |s| s.policies().unwrap_or_default())
        .await
        .unwrap_or_default();
    Json(json!({
        "ruleset_sha256": sha,
        "policies": policies,
    }))
    .into_response()
}

async fn alerts(AxState(api): AxState<Api>, h: HeaderMap, Query(q): Query<Limit>) -> Response {
    let who = allow!(api, h, Permission::SeeAlerts);
    let limit = q.limit.unwrap_or(100).min(1000);
    let personal = personal_macs(&api);
    let rows = read(&api, move |s| s.alerts(None, limit).unwrap_or_default())
        .await
        .unwrap_or_default();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|a| alert_for(&who, a, &|m| personal.contains(m)))
        .collect();
    Json(json!(rows)).into_response()
}

/// Marks an alert as seen to (any role that sees alerts).
async fn acknowledge(AxState(api): AxState<Api>, h: HeaderMap, Path(id): Path<i64>) -> Response {
    let who = allow!(api, h, Permission::SeeAlerts, changes);
    let by = who.by();
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .acknowledge(id, &by, (api.now)());
    match r {
        Ok(true) => Json(json!({"acknowledged": id, "by": by})).into_response(),
        Ok(false) => err(
            StatusCode::NOT_FOUND,
            "no such alert, or it was acknowledged already",
        ),
        Err(e) => core_err(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// One change to a known device, made under the core's lock and answered
/// with the device as it is afterwards (a disposed device, gone, as
/// `{mac, lifecycle: "disposed", erased: true}`); `refused` is the status
/// when the core refuses the change.
async fn change_device(
    api: &Api,
    mac: MacAddr,
    refused: StatusCode,
    f: impl FnOnce(&mut crate::core::Core, i64) -> Result<(), CoreError>,
) -> Response {
    let done = {
        let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        if !c.devices.contains_key(&mac) {
            return err(StatusCode::NOT_FOUND, "no such device");
        }
        f(&mut c, (api.now)()).map(|()| c.devices.get(&mac).map(|d| DevView::of(&c, d)))
    };
    match done {
        Ok(Some(view)) => Json(device_json(&view, &shared(api).await)).into_response(),
        Ok(None) => Json(json!({"mac": mac.to_string(), "lifecycle": "disposed", "erased": true}))
            .into_response(),
        Err(e) => core_err(refused, &e),
    }
}

#[derive(Deserialize)]
struct CategoryBody {
    /// A category name; null: back to warden's guess.
    category: Option<String>,
}

/// Places a device in a category. Owner only: the category decides who
/// sees a device's destinations.
async fn categorise(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<CategoryBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let Some(Json(b)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body is {\"category\": NAME or null}",
        );
    };
    let category = match b.category.as_deref() {
        None => None,
        Some(n) => match crate::identity::Category::parse(n) {
            Some(c) => Some(c),
            None => {
                return err(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "category: `{}` is not one of warden's categories",
                        n.escape_debug()
                    ),
                )
            }
        },
    };
    let by = who.by();
    change_device(&api, mac, StatusCode::NOT_FOUND, |c, now| {
        c.set_category(&mac, category, &by, now)
    })
    .await
}

#[derive(Deserialize)]
struct LifecycleBody {
    to: String,
    #[serde(default)]
    reason: String,
}

/// Moves a device along its life (owner): an event with who, when, why;
/// a transition its state does not allow is refused (409) with the ones it does.
async fn lifecycle(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<LifecycleBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let Some(Json(b)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body is {\"to\": STATE, \"reason\": TEXT}",
        );
    };
    let Some(to) = crate::lifecycle::Lifecycle::parse(&b.to) else {
        return err(
            StatusCode::BAD_REQUEST,
            &format!("to: `{}` is not a life-cycle state", b.to.escape_debug()),
        );
    };
    let by = who.by();
    change_device(&api, mac, StatusCode::CONFLICT, |c, now| {
        c.set_lifecycle(&mac, to, &b.reason, &by, now)
    })
    .await
}

#[derive(Deserialize)]
struct ExportQuery {
    /// json (default) or csv (a zip of one CSV file per table).
    #[serde(default)]
    format: Option<String>,
}

/// An export document as the format asked for (see [`crate::export`]).
fn export_answer(doc: Value, format: Option<&str>, name: &str) -> Response {
    match format.unwrap_or("json") {
        "json" => Json(doc).into_response(),
        "csv" => match crate::export::csv_zip(&doc) {
            Ok(z) => (
                [
                    ("content-type", "application/zip".to_string()),
                    (
                        "content-disposition",
                        format!("attachment; filename=\"{name}.zip\""),
                    ),
                ],
                z,
            )
                .into_response(),
            Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, &e),
        },
        other => err(
            StatusCode::BAD_REQUEST,
            &format!("format: `{}` is not json or csv", other.escape_debug()),
        ),
    }
}

/// Everything the gateway holds on the whole household, table by table,
/// without the accounts' secrets (owner). JSON or CSV.
async fn export_household(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Response {
    let who = allow!(api, h, Permission::Administer);
    let now = (api.now)();
    record(&api, now, "household-exported", json!({"by": who.by()}));
    match read(&api, move |s| s.export_household()).await {
        Some(Ok(v)) => export_answer(
            crate::export::document("household", v, now),
            q.format.as_deref(),
            "warden-household",
        ),
        _ => err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the store could not be read",
        ),
    }
}

#[derive(Deserialize)]
struct EraseHouseholdBody {
    /// Must be "erase everything".
    confirm: String,
    reason: String,
}

/// Erases the household's records (owner): every device and what it did;
/// accounts and settings stay; an audit event remains.
async fn erase_household(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    body: Option<Json<EraseHouseholdBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(Json(b)) = body.filter(|Json(b)| b.confirm == "erase everything") else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body is {\"confirm\": \"erase everything\", \"reason\": TEXT}",
        );
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .erase_household(&who.by(), &b.reason, (api.now)());
    match r {
        Ok(done) => Json(json!({"erased": "household", "rows": done})).into_response(),
        Err(e) => core_err(StatusCode::BAD_REQUEST, &e),
    }
}

#[derive(Deserialize)]
struct TransferBody {
    /// sold, given-away or rented-out.
    how: String,
}

/// Starts handing a device on (owner): its history and the checklist
/// come back; warden erases the history once it sees the device reset.
async fn transfer(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<TransferBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let Some(Json(b)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body is {\"how\": \"sold\" | \"given-away\" | \"rented-out\"}",
        );
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .start_transfer(&mac, &b.how, &who.by(), (api.now)());
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => core_err(StatusCode::CONFLICT, &e),
    }
}

/// Everything the gateway holds about one device, table by table (owner).
/// JSON (default) or CSV (`?format=csv`).
async fn export(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let _who = allow!(api, h, Permission::Administer);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let m = mac.to_string();
    let now = (api.now)();
    match read(&api, move |s| s.export_device(&m)).await {
        Some(Ok(v)) if q.format.as_deref().is_some_and(|f| f != "json") => export_answer(
            crate::export::document(&mac.to_string(), v, now),
            q.format.as_deref(),
            &format!("warden-{}", mac.to_string().replace(':', "")),
        ),
        Some(Ok(v)) => Json(json!({"mac": mac.to_string(), "schema": crate::export::SCHEMA, "exported_at": now, "scope": mac.to_string(), "tables": v})).into_response(),
        _ => err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the store could not be read",
        ),
    }
}

/// Erases a device (owner): out of the ruleset, every row about it gone.
async fn erase(AxState(api): AxState<Api>, h: HeaderMap, Path(mac): Path<String>) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let by = who.by();
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .erase(&mac, &by, (api.now)());
    match r {
        Ok(done) => Json(json!({"erased": mac.to_string(), "rows": done})).into_response(),
        Err(e) => core_err(StatusCode::BAD_REQUEST, &e),
    }
}

/// The assessment reports (`warden assess --json`) kept by the gateway.
async fn assessments(AxState(api): AxState<Api>, h: HeaderMap, Query(q): Query<Limit>) -> Response {
    let _who = allow!(api, h, Permission::SeeReports);
    let limit = q.limit.unwrap_or(100).min(1000);
    Json(json!(read(&api, move |s| s
        .assessments(None, limit)
        .unwrap_or_default())
    .await
    .unwrap_or_default()))
    .into_response()
}

/// Keeps a device's assessment report (owner and operator).
async fn add_assessment(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let who = allow!(api, h, Permission::Enforce, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let by = who.by();
    match keep_assessment(&api, &mac, &body, &by) {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id}))).into_response(),
        Err((code, e)) => err(code, &e),
    }
}

/// The one way a report enters the store (API and page): checked to be a
/// `warden assess --json` report of at most 4 MiB, for a known device.
pub fn keep_assessment(
    api: &Api,
    mac: &MacAddr,
    body: &[u8],
    by: &str,
) -> Result<i64, (StatusCode, String)> {
    if body.len() > 4 << 20 {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "a report is at most 4 MiB".into(),
        ));
    }
    let a: warden_assess::verdict::Assessment = serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!(
                "not a `warden assess --json` report: line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let now = (api.now)();
    let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    if !c.devices.contains_key(mac) {
        return Err((StatusCode::NOT_FOUND, "no such device".into()));
    }
    c.keep_assessment(mac, &a, by, now)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

#[derive(Deserialize, Default)]
struct Reason {
    reason: Option<String>,
}

async fn quarantine(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<Reason>>,
) -> Response {
    cut_off(api, h, mac, body, false).await
}

/// Blocks a device: nothing passes, not even DNS (release undoes it).
async fn block(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<Reason>>,
) -> Response {
    cut_off(api, h, mac, body, true).await
}

async fn cut_off(
    api: Api,
    h: HeaderMap,
    mac: String,
    body: Option<Json<Reason>>,
    block: bool,
) -> Response {
    let who = allow!(api, h, Permission::Restrict, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let reason = body.and_then(|Json(b)| b.reason).unwrap_or_else(|| {
        if block {
            "blocked by the operator"
        } else {
            "quarantined by the operator"
        }
        .into()
    });
    let by = who.by();
    change_device(&api, mac, StatusCode::CONFLICT, |c, now| {
        if block {
            c.block(&mac, &reason, &by, now)
        } else {
            c.quarantine(&mac, &reason, &by, now)
        }
    })
    .await
}

/// Lifts a quarantine or block (owner, operator): the override is logged
/// with who, the optional `{"reason": TEXT}`, and the quarantine's reason.
async fn release(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<Reason>>,
) -> Response {
    let who = allow!(api, h, Permission::Enforce, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let by = who.by();
    let reason = body.and_then(|Json(b)| b.reason).unwrap_or_default();
    change_device(&api, mac, StatusCode::CONFLICT, |c, now| {
        c.release(&mac, &by, &reason, now)
    })
    .await
}

#[derive(Deserialize)]
struct NameBody {
    name: Option<String>,
}

/// Names a device (null or blank: no name). Any role that sees devices.
async fn rename(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<NameBody>>,
) -> Response {
    let who = allow!(api, h, Permission::SeeDevices, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let name = body.and_then(|Json(b)| b.name);
    let by = who.by();
    change_device(&api, mac, StatusCode::BAD_REQUEST, |c, now| {
        c.rename(&mac, name.as_deref(), &by, now)
    })
    .await
}

#[derive(Deserialize)]
struct SupportBody {
    end: String,
    #[serde(default)]
    reason: String,
}

/// Enters the end of a device's support period (YYYY-MM-DD) with the
/// reason (owner, operator); it outranks every other source.
async fn set_support(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    body: Option<Json<SupportBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Enforce, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let Some(Json(b)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body is {\"end\": \"YYYY-MM-DD\", \"reason\": TEXT}",
        );
    };
    let by = who.by();
    change_device(&api, mac, StatusCode::BAD_REQUEST, |c, now| {
        c.set_support_end(&mac, &b.end, &b.reason, &by, now)
    })
    .await
}

#[derive(Deserialize)]
struct DocumentQuery {
    /// Where the document came from (a file name or URL), for the record.
    #[serde(default)]
    source: Option<String>,
}

/// The largest SBOM or advisory accepted through the API.
const DOCUMENT_LIMIT: usize = 16 << 20;

fn document_source(q: &DocumentQuery) -> Result<String, Box<Response>> {
    let s = q.source.clone().unwrap_or_else(|| "upload".into());
    if s.is_empty() || s.len() > 300 || s.chars().any(char::is_control) {
        return Err(Box::new(err(
            StatusCode::BAD_REQUEST,
            "source: a file name or URL of at most 300 characters",
        )));
    }
    Ok(s)
}

/// Keeps a device's SBOM (CycloneDX or SPDX; the body is the document).
async fn put_sbom(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DocumentQuery>,
    body: axum::body::Bytes,
) -> Response {
    put_document(api, h, mac, q, body, true).await
}

/// Keeps one of a device's CSAF 2.0 advisories (the body is the document).
async fn put_advisory(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DocumentQuery>,
    body: axum::body::Bytes,
) -> Response {
    put_document(api, h, mac, q, body, false).await
}

/// Reads and keeps an SBOM (`sbom`) or an advisory; answers what was kept
/// and the device's vulnerability report.
async fn put_document(
    api: Api,
    h: HeaderMap,
    mac: String,
    q: DocumentQuery,
    body: axum::body::Bytes,
    sbom: bool,
) -> Response {
    let who = allow!(api, h, Permission::Enforce, changes);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let source = match document_source(&q) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let r = {
        let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        if !c.devices.contains_key(&mac) {
            return err(StatusCode::NOT_FOUND, "no such device");
        }
        let now = (api.now)();
        let kept = if sbom {
            c.put_sbom(&mac, &body, &source, &who.by(), now)
        } else {
            c.put_advisory(&mac, &body, &source, &who.by(), now)
        };
        kept.map(|what| (what, c.vulnerabilities(&mac)))
    };
    let what = if sbom { "the SBOM" } else { "the advisory" };
    match r {
        Ok((kept, report)) => {
            Json(json!({"kept": kept, "vulnerabilities": report})).into_response()
        }
        Err(e) => err(StatusCode::BAD_REQUEST, &format!("{what}: {e}")),
    }
}

/// A device's software and known vulnerabilities (roles that see devices).
async fn vulnerabilities(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
) -> Response {
    let _who = allow!(api, h, Permission::SeeDevices);
    let Some(mac) = MacAddr::parse(&mac) else {
        return bad_mac(&mac);
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .vulnerabilities(&mac);
    match r {
        Some(r) => Json(r).into_response(),
        None => err(StatusCode::NOT_FOUND, "no such device"),
    }
}

/// Loads the OSV records `warden vuln import` put in the store, and checks
/// every device against them (owner, operator).
async fn reload_vulns(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let _who = allow!(api, h, Permission::Enforce, changes);
    let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    match c.reload_vulns() {
        Ok(n) => {
            let now = (api.now)();
            c.check_all_vulns(now);
            Json(json!({"records": n})).into_response()
        }
        Err(e) => core_err(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// The operator's figures in the Prometheus text format (owner, operator;
/// with the API's token, as Prometheus's `authorization` sends it).
async fn metrics(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let _who = allow!(api, h, Permission::SeeMetrics);
    let s = shared(&api).await;
    let (m, devices, ids, db) = {
        let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        let mut devices = std::collections::BTreeMap::new();
        let mut ids = Vec::with_capacity(c.devices.len());
        for d in c.devices.values() {
            *devices.entry(d.state.name()).or_insert(0i64) += 1;
            ids.push(d.mac);
        }
        (
            c.metrics.clone(),
            devices,
            ids,
            c.cfg.state_dir.join("warden.db"),
        )
    };
    let mut snapshot = crate::metrics::Snapshot {
        devices,
        store_bytes: store_bytes(&db),
        ..Default::default()
    };
    for mac in ids {
        for (direction, counts) in s.drops_of(&mac) {
            if let Some(counts) = counts {
                snapshot.drops.insert((mac.to_string(), direction), counts);
            }
        }
    }
    let accept = h
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (kind, text) = m.render(&snapshot, accept);
    ([("content-type", kind)], text).into_response()
}

/// The database and its write-ahead log, in bytes.
fn store_bytes(db: &std::path::Path) -> i64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db.to_path_buf(), wal.into()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as i64)
        .sum()
}

async fn openapi() -> Response {
    ([("content-type", "application/json")], OPENAPI).into_response()
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/:mac", get(device).delete(erase))
        .route("/api/v1/devices/:mac/export", get(export))
        .route("/api/v1/export", get(export_household))
        .route("/api/v1/devices/:mac/transfer", post(transfer))
        .route("/api/v1/household", axum::routing::delete(erase_household))
        .route("/api/v1/devices/:mac/lifecycle", post(lifecycle))
        .route("/api/v1/devices/:mac/support", post(set_support))
        .route(
            "/api/v1/devices/:mac/sbom",
            post(put_sbom).layer(axum::extract::DefaultBodyLimit::max(DOCUMENT_LIMIT)),
        )
        .route(
            "/api/v1/devices/:mac/advisories",
            post(put_advisory).layer(axum::extract::DefaultBodyLimit::max(DOCUMENT_LIMIT)),
        )
        .route("/api/v1/devices/:mac/vulnerabilities", get(vulnerabilities))
        .route("/api/v1/vulnerabilities/reload", post(reload_vulns))
        .route("/api/v1/devices/:mac/quarantine", post(quarantine))
        .route("/api/v1/devices/:mac/block", post(block))
        .route("/api/v1/devices/:mac/release", post(release))
        .route("/api/v1/devices/:mac/name", post(rename))
        .route("/api/v1/mud-files", get(mud_files))
        .route("/api/v1/policies", get(policies))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alerts/:id/acknowledge", post(acknowledge))
        .route("/api/v1/devices/:mac/category", post(categorise))
        .route("/api/v1/devices/:mac/assessments", post(add_assessment))
        .route("/api/v1/assessments", get(assessments))
        .route("/api/v1/setup", post(setup))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/whoami", get(whoami))
        .route("/api/v1/users", post(create_user))
        .route("/api/v1/tokens", post(create_token))
        .with_state(api.clone())
        .merge(crate::web::router(api))
}

fn auth_err(e: AuthError) -> Response {
    let code = match e {
        AuthError::Wrong => StatusCode::UNAUTHORIZED,
        AuthError::Locked(_) => StatusCode::FORBIDDEN,
        AuthError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        AuthError::BadSetupCode => StatusCode::FORBIDDEN,
        AuthError::OwnerExists => StatusCode::CONFLICT,
        AuthError::Invalid(_) => StatusCode::BAD_REQUEST,
        AuthError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    err(code, &e.to_string())
}

/// Runs password hashing (argon2id: tens of milliseconds) off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// Logs `name` in (argon2id off the runtime) and records the attempt, for
/// the API and the pages alike: (session secret, CSRF token).
pub async fn log_in(
    api: &Api,
    name: String,
    password: String,
    client: std::net::IpAddr,
    via: &str,
) -> Result<(String, String), AuthError> {
    let (auth, now) = (api.auth.clone(), (api.now)());
    let who = name.clone();
    let r = blocking(move || auth.login(&name, &password, client, now))
        .await
        .unwrap_or(Err(AuthError::Store("login".into())));
    let outcome = match &r {
        Ok(_) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    record(
        api,
        now,
        "login",
        json!({"user": crate::log_safe(&who), "client": client, "outcome": outcome, "via": via}),
    );
    r
}

/// Makes the owner with the setup code (argon2id off the runtime) and
/// records it, for the API and the pages alike.
pub async fn make_owner(
    api: &Api,
    code: String,
    name: String,
    password: String,
    via: &str,
) -> Result<Value, AuthError> {
    let (auth, now) = (api.auth.clone(), (api.now)());
    let who = name.clone();
    blocking(move || auth.create_owner(&code, &name, &password, now))
        .await
        .unwrap_or(Err(AuthError::Store("setup".into())))?;
    let detail = json!({"user": who, "role": "owner", "via": via});
    record(api, now, "account-created", detail.clone());
    Ok(detail)
}

#[derive(Deserialize)]
struct SetupBody {
    code: String,
    name: String,
    password: String,
}

/// First start: the setup code from the log creates the owner.
async fn setup(AxState(api): AxState<Api>, body: Option<Json<SetupBody>>) -> Response {
    let Some(Json(b)) = body else {
        return err(StatusCode::BAD_REQUEST, "a JSON body: code, name, password");
    };
    match make_owner(&api, b.code, b.name, b.password, "api").await {
        Ok(detail) => (StatusCode::CREATED, Json(detail)).into_response(),
        Err(e) => auth_err(e),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    name: String,
    password: String,
}

/// A session: an HttpOnly, SameSite=Strict cookie, and its CSRF token in
/// the answer (for `X-CSRF-Token` and the dashboard's forms).
async fn login(
    AxState(api): AxState<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    tls: Option<axum::Extension<crate::serve::Tls>>,
    body: Option<Json<LoginBody>>,
) -> Response {
    let secure = tls.is_some_and(|axum::Extension(t)| t.0);
    let Some(Json(b)) = body else {
        return err(StatusCode::BAD_REQUEST, "a JSON body: name, password");
    };
    let name = b.name.clone();
    match log_in(&api, b.name, b.password, peer.ip(), "api").await {
        Ok((secret, csrf)) => (
            StatusCode::OK,
            [(
                axum::http::header::SET_COOKIE,
                crate::auth::session_cookie(&secret, secure),
            )],
            Json(json!({"user": name, "csrf": csrf})),
        )
            .into_response(),
        Err(e) => auth_err(e),
    }
}

async fn logout(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    if let Some(secret) = crate::auth::cookie(&h, crate::auth::COOKIE) {
        api.auth.logout(&secret);
    }
    (
        StatusCode::NO_CONTENT,
        [(
            axum::http::header::SET_COOKIE,
            crate::auth::cleared_cookie(),
        )],
    )
        .into_response()
}

async fn whoami(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let Some(p) = api.auth.principal(&h, (api.now)()) else {
        return err(StatusCode::UNAUTHORIZED, "nobody");
    };
    let may: Vec<&str> = [
        (Permission::SeeDevices, "see-devices"),
        (Permission::SeeAlerts, "see-alerts"),
        (Permission::Enforce, "enforce"),
        (Permission::Restrict, "restrict"),
        (Permission::SeeReports, "see-reports"),
        (Permission::Administer, "administer"),
        (Permission::SeePersonalTraffic, "see-personal-traffic"),
    ]
    .into_iter()
    .filter(|(x, _)| p.may(*x))
    .map(|(_, n)| n)
    .collect();
    Json(json!({"user": p.user, "role": p.role.name(), "may": may})).into_response()
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    role: String,
    password: String,
    /// A tenant's last day (YYYY-MM-DD); only tenants have one.
    #[serde(default)]
    until: Option<String>,
}

async fn create_user(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    body: Option<Json<UserBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(Json(b)) = body else {
        return err(StatusCode::BAD_REQUEST, "a JSON body: name, role, password");
    };
    let Some(role) = Role::parse(&b.role) else {
        return err(
            StatusCode::BAD_REQUEST,
            "role: owner, member, operator, auditor or tenant",
        );
    };
    let (auth, now) = (api.auth.clone(), (api.now)());
    let (name, by) = (b.name.clone(), who.user.clone());
    let until = match b.until.as_deref().map(crate::auth::Auth::tenancy_end) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return auth_err(e),
    };
    match blocking(move || auth.create_user(&who, &b.name, role, &b.password, until, now)).await {
        Some(Ok(())) => {
            let detail = json!({"user": name, "role": role.name(), "by": by, "until": until});
            record(&api, now, "account-created", detail.clone());
            (StatusCode::CREATED, Json(detail)).into_response()
        }
        Some(Err(e)) => auth_err(e),
        None => err(StatusCode::INTERNAL_SERVER_ERROR, "failed"),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    role: String,
    label: Option<String>,
}

async fn create_token(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    body: Option<Json<TokenBody>>,
) -> Response {
    let who = allow!(api, h, Permission::Administer, changes);
    let Some(Json(b)) = body else {
        return err(StatusCode::BAD_REQUEST, "a JSON body: role, label");
    };
    let Some(role) = Role::parse(&b.role) else {
        return err(
            StatusCode::BAD_REQUEST,
            "role: owner, member, operator or auditor",
        );
    };
    let now = (api.now)();
    let label = b.label.unwrap_or_default();
    match api.auth.create_token(&who, role, &label, now) {
        Ok(t) => {
            record(
                &api,
                now,
                "token-created",
                json!({"role": role.name(), "by": who.user, "label": crate::log_safe(&label)}),
            );
            (
                StatusCode::CREATED,
                Json(json!({"token": t, "role": role.name()})),
            )
                .into_response()
        }
        Err(e) => auth_err(e),
    }
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page a quarantined device's owner sees (any path on the
/// remediation port): what happened, in plain words, and what to do.
async fn remediation(
    AxState(api): AxState<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Html<String> {
    let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    let d = c.device_by_ip(peer.ip());
    let (title, body) = match d.map(|d| (&d.state, d)) {
        Some((State::Quarantined { reason, .. }, d)) => (
            "This device has been isolated to protect your network".to_string(),
            format!(
                "<p>warden stopped <strong>{}</strong> ({}) from using the network, because it behaved like a device that has been taken over by an attacker:</p>\
                 <blockquote>{}</blockquote>\
                 <p>It can still reach this page and look up names, nothing else.</p>\
                 <h2>What to do</h2><ol>\
                 <li>Unplug the device, then reset it to its factory settings (see its manual).</li>\
                 <li>Install the newest firmware from the maker before you connect it to anything else.</li>\
                 <li>Give it a new, long password of your own; never keep the one it came with.</li>\
                 <li>If the maker offers no update, or it happens again, contact the maker or return the device.</li>\
                 <li>Then ask whoever runs this network to release it (warden's API: <code>POST /api/v1/devices/{}/release</code>).</li></ol>",
                esc(d.hostname.as_deref().unwrap_or("this device")),
                esc(&d.mac.to_string()),
                esc(reason),
                esc(&d.mac.to_string())
            ),
        ),
        Some((_, d)) => (
            "This device is not isolated".to_string(),
            format!("<p>{} ({}) may use the network as its policy allows.</p>", esc(d.hostname.as_deref().unwrap_or("This device")), esc(&d.mac.to_string())),
        ),
        None => ("warden".to_string(), "<p>warden does not know this device.</p>".to_string()),
    };
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;line-height:1.5}}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = esc(&title)
    ))
}

pub fn remediation_router(api: Api) -> Router {
    Router::new().fallback(remediation).with_state(api)
}
