//! The household's window: server-rendered pages (askama templates, checked
//! at compile time, HTML-escaped), served beside the API on the same
//! listeners and behind the same authorisation layer ([`crate::auth`]).
//! Every action is a plain form (no JavaScript needed) carrying the
//! session's CSRF token; the CSS and the one script (live updates) are
//! embedded in the binary; charts and graphs are SVG drawn here; nothing is
//! fetched from elsewhere.
//!
//! Pages: first-start setup, login and logout; home (devices by state,
//! alerts needing attention, what changed since the last visit); the device
//! list (name, category, maker, MUD status, state, label, last seen, a
//! 24-hour sparkline; search and filters); a device page (what its maker
//! says it does beside what it did, remotes grouped by registrable domain
//! with the MUD verdict of each and violations marked, hourly and daily
//! charts, a graph of its remotes, its alerts, rename, category,
//! quarantine and release, its assessment); the network picture; alerts
//! (acknowledge, history); reports (assessments and labels); settings
//! (deployment, retention, users and roles). A personal device's
//! destinations are shown only to roles that see personal traffic.

use crate::api::{Api, DevView};
use crate::auth::{Permission, Principal, Role};
use crate::identity::Category;
use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use warden_mud::MacAddr;
use warden_store::{AlertRow, AssessmentRow, FlowSummary, Store, TrafficHour};

const CSS: &str = include_str!("../static/warden.css");
const LIVE_JS: &str = include_str!("../static/live.js");

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

fn forbidden(what: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(format!(
            "<!doctype html><html lang=\"en\"><title>Not allowed</title><p>{}</p></html>",
            crate::api::esc(what)
        )),
    )
        .into_response()
}

fn expired() -> Response {
    forbidden("This form has expired; reload the page and try again.")
}

/// The logged-in person (session cookie or token).
fn who(api: &Api, h: &HeaderMap) -> Option<Principal> {
    api.auth.principal(h, (api.now)())
}

/// The person, when they may do `perm`; otherwise the login redirect or
/// the 403 page.
fn require(api: &Api, h: &HeaderMap, perm: Permission) -> Result<Principal, Box<Response>> {
    let Some(p) = who(api, h) else {
        return Err(Box::new(Redirect::to("/login").into_response()));
    };
    if !p.may(perm) {
        return Err(Box::new(forbidden(&match perm {
            Permission::SeeDevices | Permission::SeeAlerts => {
                "Your role sees assessment reports only.".to_string()
            }
            Permission::Enforce => {
                format!("The {} role may not change enforcement.", p.role.name())
            }
            _ => format!("The {} role may not do this.", p.role.name()),
        })));
    }
    Ok(p)
}

/// A form about one device: the person may do `perm`, the form carries
/// the session's CSRF token, and `mac` is a MAC address.
fn device_form(
    api: &Api,
    h: &HeaderMap,
    perm: Permission,
    csrf: &str,
    mac: &str,
) -> Result<(Principal, MacAddr), Box<Response>> {
    let p = require(api, h, perm)?;
    if !csrf_ok(&p, csrf) {
        return Err(Box::new(expired()));
    }
    let Some(mac) = MacAddr::parse(mac) else {
        return Err(Box::new(
            (StatusCode::BAD_REQUEST, "not a MAC address").into_response(),
        ));
    };
    Ok((p, mac))
}

/// A form's CSRF field must be the session's token (forms need a session).
fn csrf_ok(p: &Principal, field: &str) -> bool {
    p.csrf
        .as_deref()
        .is_some_and(|want| crate::auth::same_secret(field, want))
}

fn ago(now: i64, t: i64) -> String {
    let s = (now - t).max(0);
    match s {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// 1234567 -> "1.2 MB".
fn bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < U.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// What the header shows: who is logged in and the pages their role opens.
pub struct Chrome {
    pub user: Option<String>,
    pub role: &'static str,
    pub csrf: String,
    pub see_devices: bool,
    pub see_alerts: bool,
    pub see_reports: bool,
    pub administer: bool,
}

impl Chrome {
    fn of(p: &Principal) -> Chrome {
        Chrome {
            user: Some(p.user.clone()),
            role: p.role.name(),
            csrf: p.csrf.clone().unwrap_or_default(),
            see_devices: p.may(Permission::SeeDevices),
            see_alerts: p.may(Permission::SeeAlerts),
            see_reports: p.may(Permission::SeeReports),
            administer: p.may(Permission::Administer),
        }
    }

    fn anonymous() -> Chrome {
        Chrome {
            user: None,
            role: "",
            csrf: String::new(),
            see_devices: false,
            see_alerts: false,
            see_reports: false,
            administer: false,
        }
    }
}

/// The registrable domain of a remote's name (the Public Suffix List's
/// "example.co.uk" of "cdn3.eu.example.co.uk"); an address stays itself.
pub fn registrable(remote: &str) -> String {
    if remote.parse::<IpAddr>().is_ok() {
        return remote.to_string();
    }
    psl::domain_str(remote).unwrap_or(remote).to_string()
}

/// The MUD status in the words of the pages.
fn mud_status(d: &DevView, signature: Option<&str>) -> &'static str {
    match (&d.mud_url, d.has_mud) {
        (None, _) => "none",
        (Some(u), true) if u.starts_with(crate::core::GENERATED_MUD_SCHEME) => {
            "generated by warden"
        }
        (Some(u), true) if u.starts_with(crate::core::GIVEN_MUD_SCHEME) => "given by a person",
        (Some(_), true) if signature == Some("verified") => "signed and verified",
        (Some(_), true) => "unsigned",
        (Some(_), false) => "announced, not verified",
    }
}

/// A device as the pages show it.
pub struct Row {
    pub mac: String,
    pub name: String,
    pub state: &'static str,
    pub category: &'static str,
    pub personal: bool,
    pub maker: String,
    pub mud_status: &'static str,
    pub mud_url: String,
    pub kernel: &'static str,
    pub label: Option<String>,
    pub last_seen: String,
    /// The last 24 hours' bytes as SVG polyline points ("" without traffic).
    pub spark: String,
}

fn row(d: &DevView, now: i64, signature: Option<&str>, label: Option<String>) -> Row {
    Row {
        mac: d.mac.to_string(),
        name: d
            .name
            .clone()
            .or_else(|| d.hostname.clone().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| d.mac.to_string()),
        state: d.state,
        category: d.category.words(),
        personal: d.category.personal(),
        maker: d.maker.first().cloned().unwrap_or_default(),
        mud_status: mud_status(d, signature),
        mud_url: d.mud_url.clone().unwrap_or_default(),
        kernel: if d.applied == d.intended {
            "as intended"
        } else {
            "not yet (see alerts)"
        },
        label,
        last_seen: ago(now, d.last_seen),
        spark: String::new(),
    }
}

/// SVG polyline points for `values` in a 96 x 24 box.
fn spark(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return String::new();
    }
    let n = values.len().max(2) - 1;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * 96.0 / n as f64,
                23.0 - (*v as f64 / max as f64) * 22.0
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `hours` (oldest first) as `n` buckets of `width` seconds ending at `end`.
fn buckets(hours: &[TrafficHour], end: i64, width: i64, n: usize) -> Vec<(i64, u64)> {
    let start = end - width * n as i64;
    let mut out: Vec<(i64, u64)> = (0..n).map(|i| (start + width * i as i64, 0)).collect();
    for h in hours {
        if h.hour >= start && h.hour < end {
            let i = ((h.hour - start) / width) as usize;
            if let Some(b) = out.get_mut(i) {
                b.1 += h.bytes;
            }
        }
    }
    out
}

/// One bar of a chart (SVG units; a 480 x 120 box).
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
}

pub struct Chart {
    pub caption: String,
    pub bars: Vec<Bar>,
    pub max: String,
}

fn chart(caption: &str, b: &[(i64, u64)], label: &dyn Fn(i64) -> String) -> Chart {
    let max = b.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    let w = 480.0 / b.len().max(1) as f64;
    Chart {
        caption: caption.into(),
        max: bytes(max),
        bars: b
            .iter()
            .enumerate()
            .map(|(i, (t, v))| {
                let h = (*v as f64 / max as f64) * 110.0;
                Bar {
                    x: format!("{:.1}", i as f64 * w),
                    y: format!("{:.1}", 118.0 - h),
                    w: format!("{:.1}", (w - 1.0).max(1.0)),
                    h: format!("{:.1}", h.max(if *v > 0 { 1.0 } else { 0.0 })),
                    title: format!("{}: {}", label(*t), bytes(*v)),
                }
            })
            .collect(),
    }
}

fn utc(t: i64, fmt: &str) -> String {
    let Ok(d) = time::OffsetDateTime::from_unix_timestamp(t) else {
        return t.to_string();
    };
    match fmt {
        "hour" => format!("{:02}:00", d.hour()),
        "day" => format!("{} {}", d.day(), d.month()),
        _ => format!(
            "{}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute()
        ),
    }
}

/// Remotes of one registrable domain.
pub struct Group {
    pub domain: String,
    /// violation | allowed | exempt | unjudged: the worst of its rows.
    pub verdict: &'static str,
    pub bytes: String,
    pub rows: Vec<Seen>,
}

pub struct Seen {
    pub remote: String,
    pub proto_port: String,
    pub packets: u64,
    pub bytes: String,
    pub verdict: &'static str,
    pub dropped: bool,
    pub why: String,
}

fn verdict_rank(v: &str) -> (u8, &'static str) {
    match v {
        "violation" => (3, "violation"),
        "allowed" => (2, "allowed"),
        "exempt" => (1, "exempt"),
        _ => (0, "unjudged"),
    }
}

/// A device's flow summaries grouped by registrable domain, the biggest first.
fn groups(flows: Vec<FlowSummary>) -> Vec<Group> {
    let mut by: BTreeMap<String, (u8, u64, Vec<Seen>)> = BTreeMap::new();
    for f in flows {
        let (rank, v) = verdict_rank(&f.verdict);
        let g = by.entry(registrable(&f.remote)).or_default();
        g.0 = g.0.max(rank);
        g.1 += f.bytes;
        g.2.push(Seen {
            remote: f.remote,
            proto_port: if f.direction == "in" {
                format!("{}/{}, opened by the remote", f.protocol, f.port)
            } else {
                format!("{}/{}", f.protocol, f.port)
            },
            packets: f.packets,
            bytes: bytes(f.bytes),
            verdict: v,
            dropped: f.dropped,
            why: f.why.unwrap_or_default(),
        });
    }
    let mut out: Vec<(u64, Group)> = by
        .into_iter()
        .map(|(domain, (rank, b, rows))| {
            (
                b,
                Group {
                    domain,
                    verdict: ["unjudged", "exempt", "allowed", "violation"][rank as usize],
                    bytes: bytes(b),
                    rows,
                },
            )
        })
        .collect();
    // Violations first, then by volume.
    out.sort_by(|a, b| {
        (b.1.verdict == "violation")
            .cmp(&(a.1.verdict == "violation"))
            .then(b.0.cmp(&a.0))
    });
    out.into_iter().map(|(_, g)| g).collect()
}

/// A node and its edge in a star or bipartite SVG graph.
pub struct Node {
    pub x: String,
    pub y: String,
    pub label: String,
    pub class: &'static str,
    pub href: String,
}

pub struct Edge {
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
    pub class: &'static str,
}

/// The device in the middle, its domains around it (at most 24).
fn star(groups: &[Group]) -> (Vec<Node>, Vec<Edge>) {
    let shown = &groups[..groups.len().min(24)];
    let (cx, cy, r) = (240.0f64, 150.0f64, 115.0f64);
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (i, g) in shown.iter().enumerate() {
        let a = std::f64::consts::TAU * i as f64 / shown.len() as f64 - std::f64::consts::FRAC_PI_2;
        let (x, y) = (cx + r * a.cos(), cy + r * a.sin());
        let class = if g.verdict == "violation" {
            "violation"
        } else {
            "ok"
        };
        edges.push(Edge {
            x1: format!("{cx:.1}"),
            y1: format!("{cy:.1}"),
            x2: format!("{x:.1}"),
            y2: format!("{y:.1}"),
            class,
        });
        nodes.push(Node {
            x: format!("{x:.1}"),
            y: format!("{y:.1}"),
            label: g.domain.clone(),
            class,
            href: String::new(),
        });
    }
    (nodes, edges)
}

/// What to do about an alert, by its kind.
fn advice(kind: &str) -> &'static str {
    let family = kind.split('.').next().unwrap_or("");
    match family {
        "mud" => "If you did not expect this, quarantine the device and look for a firmware update; if its maker forgot a server, ask them to correct the MUD file.",
        "scan" | "bruteforce" | "flood" | "beacon" | "c2" => "The device behaves like a hacked one: keep it quarantined, reset it to factory settings, update its firmware and change its password before releasing it.",
        "spoof" | "evasion" => "A device on your network claims to be something it is not: find it by its MAC address (the evidence names it) and take it off the network.",
        "enforcement" => "warden could not install its rules in the kernel and keeps trying; the gateway's log says why.",
        "dns" => "Usually harmless; if it repeats, look at the device's traffic and quarantine it if you did not expect it.",
        _ => "Read the evidence; quarantine the device if you did not expect this.",
    }
}

/// An alert as the pages show it.
pub struct AlertView {
    pub id: i64,
    pub when: String,
    pub mac: Option<String>,
    pub kind: String,
    pub severity: String,
    pub sentence: String,
    pub evidence: String,
    pub advice: &'static str,
    pub acknowledged: Option<String>,
    /// Open alerts of the same kind about the same device (home page).
    pub more: usize,
    /// The device's name, when the page knows it.
    pub who: Option<String>,
}

fn alert_view(a: AlertRow, now: i64) -> AlertView {
    AlertView {
        id: a.id,
        when: ago(now, a.ts),
        advice: advice(&a.kind),
        evidence: if a.evidence.is_null() {
            String::new()
        } else {
            serde_json::to_string_pretty(&a.evidence).unwrap_or_default()
        },
        acknowledged: a
            .acknowledged_by
            .map(|b| format!("{b}, {}", ago(now, a.acknowledged_at.unwrap_or(0)))),
        mac: a.mac,
        kind: a.kind,
        severity: a.severity,
        sentence: a.explanation,
        more: 0,
        who: None,
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    c: Chrome,
    code: String,
    error: Option<String>,
}

/// What changed since the person's previous login.
pub struct Changes {
    pub since: Option<String>,
    pub new_devices: Vec<(String, String)>,
    /// (device, its name, domain, verdict)
    pub new_destinations: Vec<(String, String, String, &'static str)>,
    /// (device, its name, reason)
    pub quarantines: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    /// (all, enforced, observed, quarantined, blocked)
    counts: (usize, usize, usize, usize, usize),
    alerts: Vec<AlertView>,
    changes: Changes,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    c: Chrome,
    /// Set when the list takes more than one page.
    paging: Option<Paging>,
    q: String,
    /// (state, selected)
    states: Vec<(&'static str, bool)>,
    /// (name, words, selected)
    categories: Vec<(&'static str, &'static str, bool)>,
    devices: Vec<Row>,
}

/// Where this page of the device list lies in the whole.
struct Paging {
    first: usize,
    last: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    c: Chrome,
    d: Row,
    reason: Option<String>,
    addresses: String,
    makers: Vec<String>,
    first_seen: String,
    category_chosen: bool,
    /// (name, words, the person's choice)
    categories: Vec<(&'static str, &'static str, bool)>,
    can_enforce: bool,
    /// May quarantine or block (a tenant may; releasing is for enforcers).
    can_restrict: bool,
    /// Where it is in its life, in words, and where it may go (name, words).
    lifecycle: &'static str,
    lifecycle_next: Vec<(&'static str, &'static str)>,
    declared: Vec<String>,
    observed: Vec<Group>,
    observed_hidden: bool,
    /// Per hour and per day.
    charts: Vec<Chart>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    alerts: Vec<AlertView>,
    assessment: Option<(i64, String, String)>,
    /// How long it gets security updates, as warden knows it.
    support: Option<crate::core::support::SupportView>,
    /// Its SBOM and known weaknesses, when warden holds an SBOM or advisory.
    vulns: Option<crate::core::vulns::VulnReport>,
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    c: Chrome,
    height: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    hidden: usize,
    /// Devices with no recorded traffic (not drawn).
    quiet: usize,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    c: Chrome,
    open: Vec<AlertView>,
    history: Vec<AlertView>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    /// (id, device, label, when, by)
    reports: Vec<(i64, String, String, String, String)>,
}

/// One provision's verdict in a report.
pub struct ProvisionLine {
    pub id: String,
    pub verdict: String,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    device: String,
    product: String,
    label: String,
    tested: bool,
    blocking: String,
    when: String,
    provisions: Vec<ProvisionLine>,
    /// (regime, verdict text)
    regimes: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    deployment: String,
    retention_days: u32,
    unknown_devices: String,
    /// (name, role, locked)
    users: Vec<(String, String, bool)>,
    roles: Vec<(&'static str, &'static str)>,
    message: Option<String>,
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup))
        .route("/devices", get(devices))
        .route("/devices/:mac", get(device))
        .route("/devices/:mac/quarantine", post(quarantine))
        .route("/devices/:mac/release", post(release))
        .route("/devices/:mac/block", post(block))
        .route("/devices/:mac/name", post(rename))
        .route("/devices/:mac/category", post(categorise))
        .route("/devices/:mac/lifecycle", post(lifecycle))
        .route("/devices/:mac/support", post(support_form))
        .route(
            "/devices/:mac/documents",
            post(documents).layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        .route("/devices/:mac/mud/generate", post(mud_generate))
        .route(
            "/devices/:mac/mud/preview",
            post(mud_preview).layer(axum::extract::DefaultBodyLimit::max(4 << 20)),
        )
        .route(
            "/devices/:mac/mud/apply",
            post(mud_apply).layer(axum::extract::DefaultBodyLimit::max(4 << 20)),
        )
        .route("/network", get(network))
        .route("/alerts", get(alerts))
        .route("/alerts/:id/acknowledge", post(acknowledge))
        .route("/reports", get(reports))
        .route("/reports/:id", get(report))
        .route("/settings", get(settings))
        .route("/settings/users", post(add_user))
        .route("/static/warden.css", get(css))
        .route("/static/live.js", get(live_js))
        .route("/events", get(events))
        .with_state(api)
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn live_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        LIVE_JS,
    )
        .into_response()
}

/// Server-sent events: one `change` event per event or alert the core
/// records, for the pages' live updates (static/live.js refetches the page).
async fn events(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let Some(p) = who(&api, &h) else {
        return (StatusCode::UNAUTHORIZED, "log in").into_response();
    };
    if !p.may(Permission::SeeDevices) && !p.may(Permission::SeeAlerts) {
        return forbidden("Your role sees assessment reports only.");
    }
    let rx = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .live
        .subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    let ev = Event::default().event("change").data(msg);
                    return Some((Ok::<_, std::convert::Infallible>(ev), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn login_page(AxState(api): AxState<Api>) -> Response {
    if !api.auth.has_owner() {
        return Redirect::to("/setup").into_response();
    }
    render(LoginPage {
        c: Chrome::anonymous(),
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login(
    AxState(api): AxState<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    tls: Option<axum::Extension<crate::serve::Tls>>,
    Form(f): Form<LoginForm>,
) -> Response {
    let secure = tls.is_some_and(|axum::Extension(t)| t.0);
    match crate::api::log_in(&api, f.name, f.password, peer.ip(), "page").await {
        Ok((secret, _csrf)) => (
            [(
                header::SET_COOKIE,
                crate::auth::session_cookie(&secret, secure),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Err(e) => {
            let code = match e {
                crate::auth::AuthError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                crate::auth::AuthError::Locked(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut r = render(LoginPage {
                c: Chrome::anonymous(),
                error: Some(e.to_string()),
            });
            *r.status_mut() = code;
            r
        }
    }
}

async fn logout(AxState(api): AxState<Api>, h: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !csrf_ok(&p, &f.csrf) {
        return expired();
    }
    if let Some(secret) = crate::auth::cookie(&h, crate::auth::COOKIE) {
        api.auth.logout(&secret);
    }
    (
        [(header::SET_COOKIE, crate::auth::cleared_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn setup_page(AxState(api): AxState<Api>, Query(q): Query<CodeQuery>) -> Response {
    if api.auth.has_owner() {
        return Redirect::to("/login").into_response();
    }
    render(SetupPage {
        c: Chrome::anonymous(),
        code: q.code.unwrap_or_default(),
        error: None,
    })
}

#[derive(Deserialize)]
struct SetupForm {
    code: String,
    name: String,
    password: String,
}

async fn setup(AxState(api): AxState<Api>, Form(f): Form<SetupForm>) -> Response {
    let code = f.code.clone();
    match crate::api::make_owner(&api, f.code, f.name, f.password, "page").await {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(e) => {
            let mut r = render(SetupPage {
                c: Chrome::anonymous(),
                code,
                error: Some(e.to_string()),
            });
            *r.status_mut() = StatusCode::FORBIDDEN;
            r
        }
    }
}

fn views(api: &Api) -> Vec<DevView> {
    let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    c.devices.values().map(|d| DevView::of(&c, d)).collect()
}

/// The categories for a form: (name, words).
fn category_choices() -> Vec<(&'static str, &'static str)> {
    Category::ALL
        .iter()
        .map(|c| (c.name(), c.words()))
        .collect()
}

/// What the device list needs from the store, read once: each MUD URL's
/// signature, each device's newest label, and its last 24 hours.
struct ListFacts {
    signatures: HashMap<String, String>,
    labels: HashMap<String, String>,
    traffic: HashMap<String, Vec<TrafficHour>>,
}

async fn list_facts(api: &Api, v: &[DevView], since: i64) -> ListFacts {
    let urls: Vec<String> = v.iter().filter_map(|d| d.mud_url.clone()).collect();
    let macs: Vec<String> = v.iter().map(|d| d.mac.to_string()).collect();
    crate::api::read(api, move |s| {
        let mut signatures = HashMap::new();
        for u in urls {
            if let Ok(Some(f)) = s.last_good_fetch(&u) {
                signatures.insert(u, f.signature);
            }
        }
        let mut labels = HashMap::new();
        for a in s.assessments(None, 10_000).unwrap_or_default() {
            if let Some(l) = a.label {
                labels.entry(a.mac).or_insert(l);
            }
        }
        let traffic = macs
            .into_iter()
            .map(|m| {
                let t = s.traffic(&m, since).unwrap_or_default();
                (m, t)
            })
            .collect();
        ListFacts {
            signatures,
            labels,
            traffic,
        }
    })
    .await
    .unwrap_or(ListFacts {
        signatures: HashMap::new(),
        labels: HashMap::new(),
        traffic: HashMap::new(),
    })
}

fn display_name(d: &DevView) -> String {
    d.name
        .clone()
        .or_else(|| d.hostname.clone().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| d.mac.to_string())
}

async fn home(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let p = match require(&api, &h, Permission::SeeDevices) {
        Ok(p) => p,
        Err(r) => {
            // An auditor's home is the reports.
            return match who(&api, &h) {
                Some(p) if p.may(Permission::SeeReports) => {
                    Redirect::to("/reports").into_response()
                }
                _ => *r,
            };
        }
    };
    let v = views(&api);
    let count = |s: &str| v.iter().filter(|d| d.state == s).count();
    let counts = (
        v.len(),
        count("enforced"),
        count("observed"),
        count("quarantined"),
        count("blocked"),
    );
    let user = p.user.clone();
    let (alerts, since, fresh, quarantines) = crate::api::read(&api, move |s| {
        // The previous login of this person (the newest is this one).
        let since = s
            .events_of_kind("login", 0, 200)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.detail["user"] == user.as_str() && e.detail["outcome"] == "ok")
            .nth(1)
            .map(|e| e.ts);
        let t = since.unwrap_or(i64::MAX);
        (
            s.open_alerts(200).unwrap_or_default(),
            since,
            s.flows_since(t, 200).unwrap_or_default(),
            s.events_of_kind("quarantined", t, 50).unwrap_or_default(),
        )
    })
    .await
    .unwrap_or_default();
    let now = (api.now)();
    let personal: std::collections::HashSet<String> = v
        .iter()
        .filter(|d| !d.traffic_visible_to(&p))
        .map(|d| d.mac.to_string())
        .collect();
    let names: HashMap<String, String> = v
        .iter()
        .map(|d| (d.mac.to_string(), display_name(d)))
        .collect();
    let name_of = |m: &str| names.get(m).cloned().unwrap_or_else(|| m.to_string());
    // One line per device and kind of alert, the newest, with how many
    // more like it are open.
    let mut alerts_by: Vec<AlertView> = Vec::new();
    let mut at: HashMap<(Option<String>, String), usize> = HashMap::new();
    for a in alerts
        .into_iter()
        .filter(|a| matches!(a.severity.as_str(), "medium" | "high" | "critical"))
    {
        let key = (a.mac.clone(), a.kind.clone());
        match at.get(&key) {
            Some(i) => alerts_by[*i].more += 1,
            None if alerts_by.len() < 10 => {
                at.insert(key, alerts_by.len());
                alerts_by.push(alert_view(
                    crate::api::alert_for(&p, a, &|m| personal.contains(m)),
                    now,
                ));
            }
            None => {}
        }
    }
    for a in &mut alerts_by {
        a.who = a.mac.as_deref().map(name_of);
    }
    let alerts = alerts_by;
    let mut seen = std::collections::BTreeSet::new();
    let changes = Changes {
        since: since.map(|t| format!("{} ({})", ago(now, t), utc(t, ""))),
        new_devices: since
            .map(|t| {
                v.iter()
                    .filter(|d| d.first_seen >= t)
                    .map(|d| (d.mac.to_string(), display_name(d)))
                    .collect()
            })
            .unwrap_or_default(),
        new_destinations: fresh
            .into_iter()
            .filter(|f| !personal.contains(&f.mac))
            .filter_map(|f| {
                let dom = registrable(&f.remote);
                seen.insert((f.mac.clone(), dom.clone())).then(|| {
                    let n = name_of(&f.mac);
                    (f.mac, n, dom, verdict_rank(&f.verdict).1)
                })
            })
            .take(20)
            .collect(),
        quarantines: quarantines
            .into_iter()
            .filter_map(|e| {
                let m = e.mac?;
                let n = name_of(&m);
                let why = e.detail["reason"].as_str().unwrap_or("").to_string();
                Some((m, n, why))
            })
            .collect(),
    };
    render(HomePage {
        c: Chrome::of(&p),
        counts,
        alerts,
        changes,
    })
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
    state: Option<String>,
    category: Option<String>,
    /// 1-based page of the list.
    page: Option<usize>,
}

/// Rows on one page of the device list: a flood of made-up MACs must not
/// make the household's list unreadable (or its browser slow).
pub const DEVICES_PER_PAGE: usize = 100;

/// The list's order: what needs attention first (quarantined, blocked,
/// enforced, observed); within a state, devices the gateway knows (an
/// address, a MUD file or a name) before announcements nobody confirmed;
/// then the most recently seen.
fn list_order(d: &DevView) -> (u8, bool, std::cmp::Reverse<i64>, MacAddr) {
    let state = match d.state {
        "quarantined" => 0,
        "blocked" => 1,
        "enforced" => 2,
        _ => 3,
    };
    let known = !d.addresses.is_empty() || d.has_mud || d.name.is_some();
    (state, !known, std::cmp::Reverse(d.last_seen), d.mac)
}

async fn devices(AxState(api): AxState<Api>, h: HeaderMap, Query(s): Query<Search>) -> Response {
    let p = match require(&api, &h, Permission::SeeDevices) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let now = (api.now)();
    let q = s.q.unwrap_or_default();
    let state = s.state.unwrap_or_default();
    let category = s.category.unwrap_or_default();
    let needle = q.to_lowercase();
    let mut v: Vec<DevView> = views(&api)
        .into_iter()
        .filter(|d| state.is_empty() || d.state == state)
        .filter(|d| category.is_empty() || d.category.name() == category)
        .collect();
    v.sort_by_key(list_order);
    let hour = now - now.rem_euclid(3600);
    let facts = list_facts(&api, &v, hour - 23 * 3600).await;
    let rows: Vec<Row> = v
        .iter()
        .map(|d| {
            let m = d.mac.to_string();
            let sig = d
                .mud_url
                .as_ref()
                .and_then(|u| facts.signatures.get(u))
                .map(String::as_str);
            let mut r = row(d, now, sig, facts.labels.get(&m).cloned());
            if let Some(t) = facts.traffic.get(&m) {
                let b: Vec<u64> = buckets(t, hour + 3600, 3600, 24)
                    .into_iter()
                    .map(|x| x.1)
                    .collect();
                r.spark = spark(&b);
            }
            r
        })
        .filter(|r| {
            needle.is_empty()
                || r.name.to_lowercase().contains(&needle)
                || r.mac.contains(&needle)
                || r.maker.to_lowercase().contains(&needle)
                || r.mud_status.contains(&needle)
                || r.mud_url.to_lowercase().contains(&needle)
        })
        .collect();
    let total = rows.len();
    let pages = total.div_ceil(DEVICES_PER_PAGE).max(1);
    let page = s.page.unwrap_or(1).clamp(1, pages);
    let link = |n: usize| {
        let mut u = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("q", &q), ("state", &state), ("category", &category)] {
            if !v.is_empty() {
                u.append_pair(k, v);
            }
        }
        u.append_pair("page", &n.to_string());
        format!("/devices?{}", u.finish())
    };
    let paging = (pages > 1).then(|| Paging {
        first: (page - 1) * DEVICES_PER_PAGE + 1,
        last: (page * DEVICES_PER_PAGE).min(total),
        total,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    });
    let rows: Vec<Row> = rows
        .into_iter()
        .skip((page - 1) * DEVICES_PER_PAGE)
        .take(DEVICES_PER_PAGE)
        .collect();
    render(DevicesPage {
        c: Chrome::of(&p),
        paging,
        q,
        states: ["enforced", "observed", "quarantined", "blocked"]
            .into_iter()
            .map(|x| (x, x == state))
            .collect(),
        categories: category_choices()
            .into_iter()
            .map(|(n, w)| (n, w, n == category))
            .collect(),
        devices: rows,
    })
}

async fn device(AxState(api): AxState<Api>, h: HeaderMap, Path(mac): Path<String>) -> Response {
    let p = match require(&api, &h, Permission::SeeDevices) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(mac) = MacAddr::parse(&mac) else {
        return (StatusCode::BAD_REQUEST, "not a MAC address").into_response();
    };
    let found = {
        let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        c.devices.get(&mac).map(|d| {
            (
                DevView::of(&c, d),
                d.mud.as_ref().map(warden_mud::explain).unwrap_or_default(),
                d.addresses
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                c.vulnerabilities(&mac),
            )
        })
    };
    let Some((view, declared, addresses, vulns)) = found else {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    };
    let visible = view.traffic_visible_to(&p);
    let personal = !visible;
    let now = (api.now)();
    let hour = now - now.rem_euclid(3600);
    let m = mac.to_string();
    let url = view.mud_url.clone();
    let (flows, alerts, hours, assessment, signature) = crate::api::read(&api, move |s| {
        (
            if visible {
                s.flow_summaries(&m).unwrap_or_default()
            } else {
                vec![]
            },
            s.alerts(Some(&m), 50).unwrap_or_default(),
            s.traffic(&m, hour - 30 * 86_400).unwrap_or_default(),
            s.assessments(Some(&m), 1).unwrap_or_default().pop(),
            url.and_then(|u| s.last_good_fetch(&u).ok().flatten())
                .map(|f| f.signature),
        )
    })
    .await
    .unwrap_or_default();
    let observed = groups(flows);
    let (nodes, edges) = star(&observed);
    let day = 86_400;
    let today = now - now.rem_euclid(day);
    let hourly = chart(
        "Volume per hour, last 48 hours (UTC)",
        &buckets(&hours, hour + 3600, 3600, 48),
        &|t| utc(t, "hour"),
    );
    let daily = chart(
        "Volume per day, last 30 days",
        &buckets(&hours, today + day, day, 30),
        &|t| utc(t, "day"),
    );
    let alerts = alerts
        .into_iter()
        .map(|a| alert_view(crate::api::alert_for(&p, a, &|_| personal), now))
        .collect();
    let assessment = assessment.map(|a: AssessmentRow| {
        (
            a.id,
            a.label.unwrap_or_else(|| "no label".into()),
            ago(now, a.ts),
        )
    });
    render(DevicePage {
        c: Chrome::of(&p),
        reason: view.reason.clone(),
        d: row(
            &view,
            now,
            signature.as_deref(),
            assessment.as_ref().map(|a| a.1.clone()),
        ),
        addresses,
        makers: view.maker.clone(),
        first_seen: utc(view.first_seen, ""),
        category_chosen: view.category_chosen,
        categories: category_choices()
            .into_iter()
            .map(|(n, w)| (n, w, view.category_chosen && n == view.category.name()))
            .collect(),
        can_enforce: p.may(Permission::Enforce),
        can_restrict: p.may(Permission::Restrict),
        lifecycle: view.lifecycle.words(),
        lifecycle_next: view
            .lifecycle
            .next()
            .into_iter()
            .map(|l| (l.name(), l.words()))
            .collect(),
        // A file made from a personal device's traffic says where it talks.
        declared: if visible { declared } else { vec![] },
        observed,
        observed_hidden: !visible,
        charts: vec![hourly, daily],
        nodes,
        edges,
        alerts,
        assessment,
        support: view.support.clone(),
        vulns: vulns.filter(|v| v.sbom_format.is_some() || !v.advisories.is_empty()),
    })
}

/// What a person asks of a device's enforcement from its page.
#[derive(Clone, Copy)]
enum Act {
    Quarantine,
    Block,
    Release,
}

async fn act(api: Api, h: HeaderMap, mac: String, csrf: String, what: Act) -> Response {
    // Taking access away (quarantine, block) is a tenant's too; giving it
    // back is for those who enforce.
    let perm = match what {
        Act::Release => Permission::Enforce,
        Act::Quarantine | Act::Block => Permission::Restrict,
    };
    let (p, mac) = match device_form(&api, &h, perm, &csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let by = p.by();
    let now = (api.now)();
    let r = {
        let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        if !c.devices.contains_key(&mac) {
            return (StatusCode::NOT_FOUND, "no such device").into_response();
        }
        match what {
            Act::Quarantine => c.quarantine(&mac, "quarantined from the dashboard", &by, now),
            Act::Block => c.block(&mac, "blocked from the dashboard", &by, now),
            Act::Release => c.release(&mac, &by, "released on the device page", now),
        }
    };
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::CONFLICT, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn quarantine(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(api, h, mac, f.csrf, Act::Quarantine).await
}

async fn block(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(api, h, mac, f.csrf, Act::Block).await
}

async fn release(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(api, h, mac, f.csrf, Act::Release).await
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn rename(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<NameForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::SeeDevices, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let r = api.core.lock().unwrap_or_else(|e| e.into_inner()).rename(
        &mac,
        Some(&f.name),
        &p.by(),
        (api.now)(),
    );
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
}

/// Owner only: the category decides who sees a device's destinations.
async fn categorise(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CategoryForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::Administer, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let category = match f.category.as_str() {
        "" | "guess" => None,
        n => match Category::parse(n) {
            Some(c) => Some(c),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    "category: not one of warden's categories",
                )
                    .into_response()
            }
        },
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .set_category(&mac, category, &p.by(), (api.now)());
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct LifecycleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

/// Owner only: a device moves along its life (disposal erases it).
async fn lifecycle(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<LifecycleForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::Administer, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(to) = crate::lifecycle::Lifecycle::parse(&f.to) else {
        return (StatusCode::BAD_REQUEST, "to: not a life-cycle state").into_response();
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .set_lifecycle(&mac, to, &f.reason, &p.by(), (api.now)());
    match r {
        Ok(()) if to == crate::lifecycle::Lifecycle::Disposed => {
            Redirect::to("/devices").into_response()
        }
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::CONFLICT, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct SupportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    reason: String,
}

/// The end of a device's support period, entered on its page (owner,
/// operator).
async fn support_form(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<SupportForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::Enforce, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .set_support_end(&mac, f.end.trim(), &f.reason, &p.by(), (api.now)());
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("form field {e}")).into_response(),
    }
}

/// An SBOM or a CSAF advisory uploaded on the device's page (owner,
/// operator): read before it is kept; a file warden cannot read is refused
/// with why, and nothing is kept.
async fn documents(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let p = match require(&api, &h, Permission::Enforce) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(mac) = MacAddr::parse(&mac) else {
        return (StatusCode::BAD_REQUEST, "not a MAC address").into_response();
    };
    let fields = match form_fields(form).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let text = |k: &str| {
        fields
            .get(k)
            .map(|(_, d)| String::from_utf8_lossy(d).trim().to_string())
            .unwrap_or_default()
    };
    let (csrf, kind) = (text("csrf"), text("kind"));
    let (name, file) = fields
        .get("file")
        .map(|(n, d)| (n.clone(), d.to_vec()))
        .unwrap_or_default();
    if !csrf_ok(&p, &csrf) {
        return expired();
    }
    if file.is_empty() {
        return (StatusCode::BAD_REQUEST, "form field `file`: choose a file").into_response();
    }
    let source = format!("{name} (uploaded)");
    let r = {
        let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        if !c.devices.contains_key(&mac) {
            return (StatusCode::NOT_FOUND, "no such device").into_response();
        }
        let now = (api.now)();
        match kind.as_str() {
            "sbom" => c.put_sbom(&mac, &file, &source, &p.by(), now),
            "advisory" => c.put_advisory(&mac, &file, &source, &p.by(), now),
            _ => Err(crate::core::CoreError::Invalid(
                "form field `kind`: sbom or advisory".into(),
            )),
        }
    };
    match r {
        Ok(_) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("form field `file`: {e}")).into_response(),
    }
}

/// Every device and the domains it talks to, as one SVG graph: devices on
/// the left, domains on the right (at most 60, the busiest), violations in
/// red. Personal devices' edges only for roles that see them.
async fn network(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let p = match require(&api, &h, Permission::SeeDevices) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let v = views(&api);
    let visible: Vec<String> = v
        .iter()
        .filter(|d| d.traffic_visible_to(&p))
        .map(|d| d.mac.to_string())
        .collect();
    let hidden = v.len() - visible.len();
    let flows = crate::api::read(&api, move |s| {
        visible
            .into_iter()
            .map(|m| {
                let f = s.flow_summaries(&m).unwrap_or_default();
                (m, f)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    // domain -> (bytes, violation)
    let mut domains: HashMap<String, (u64, bool)> = HashMap::new();
    let mut links: BTreeMap<(String, String), bool> = BTreeMap::new();
    for (m, fs) in &flows {
        for f in fs {
            let d = registrable(&f.remote);
            let e = domains.entry(d.clone()).or_default();
            e.0 += f.bytes;
            let bad = f.verdict == "violation";
            e.1 |= bad;
            *links.entry((m.clone(), d)).or_default() |= bad;
        }
    }
    let mut top: Vec<(String, (u64, bool))> = domains.into_iter().collect();
    top.sort_by_key(|(_, (b, bad))| std::cmp::Reverse((*bad, *b)));
    top.truncate(60);
    // Devices with traffic to draw; the others are counted.
    let talking: std::collections::HashSet<&str> = links.keys().map(|(m, _)| m.as_str()).collect();
    let shown: Vec<&DevView> = v
        .iter()
        .filter(|d| talking.contains(d.mac.to_string().as_str()))
        .take(200)
        .collect();
    let quiet = v.len().saturating_sub(shown.len() + hidden);
    let rows = shown.len().max(top.len()).max(1);
    let step = 28.0;
    let y = |i: usize| 20.0 + i as f64 * step;
    let mut nodes = Vec::new();
    let mut at: HashMap<String, (f64, f64)> = HashMap::new();
    for (i, d) in shown.iter().enumerate() {
        let (x, yy) = (150.0, y(i));
        at.insert(d.mac.to_string(), (x, yy));
        nodes.push(Node {
            x: format!("{x:.1}"),
            y: format!("{yy:.1}"),
            label: display_name(d),
            class: if d.state == "quarantined" || d.state == "blocked" {
                "quarantined"
            } else {
                "device"
            },
            href: format!("/devices/{}", d.mac),
        });
    }
    for (i, (d, (_, bad))) in top.iter().enumerate() {
        let (x, yy) = (470.0, y(i));
        at.insert(format!("domain:{d}"), (x, yy));
        nodes.push(Node {
            x: format!("{x:.1}"),
            y: format!("{yy:.1}"),
            label: d.clone(),
            class: if *bad { "violation" } else { "ok" },
            href: String::new(),
        });
    }
    let edges = links
        .into_iter()
        .filter_map(|((m, d), bad)| {
            let a = at.get(&m)?;
            let b = at.get(&format!("domain:{d}"))?;
            Some(Edge {
                x1: format!("{:.1}", a.0),
                y1: format!("{:.1}", a.1),
                x2: format!("{:.1}", b.0),
                y2: format!("{:.1}", b.1),
                class: if bad { "violation" } else { "ok" },
            })
        })
        .collect();
    render(NetworkPage {
        c: Chrome::of(&p),
        height: format!("{:.0}", 40.0 + rows as f64 * step),
        nodes,
        edges,
        hidden,
        quiet,
    })
}

async fn alerts(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let p = match require(&api, &h, Permission::SeeAlerts) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    // One look at the devices: their names, and which are personal.
    let v = views(&api);
    let personal: std::collections::HashSet<String> = v
        .iter()
        .filter(|d| d.category.personal())
        .map(|d| d.mac.to_string())
        .collect();
    let names: HashMap<String, String> = v
        .iter()
        .map(|d| (d.mac.to_string(), display_name(d)))
        .collect();
    let (open, recent) = crate::api::read(&api, |s| {
        (
            s.open_alerts(500).unwrap_or_default(),
            s.alerts(None, 300).unwrap_or_default(),
        )
    })
    .await
    .unwrap_or_default();
    let now = (api.now)();
    let view = |a| {
        let mut v = alert_view(crate::api::alert_for(&p, a, &|m| personal.contains(m)), now);
        v.who = v.mac.as_ref().and_then(|m| names.get(m).cloned());
        v
    };
    let open = open.into_iter().map(view).collect();
    let history = recent
        .into_iter()
        .filter(|a| a.acknowledged_at.is_some())
        .map(view)
        .collect();
    render(AlertsPage {
        c: Chrome::of(&p),
        open,
        history,
    })
}

async fn acknowledge(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let p = match require(&api, &h, Permission::SeeAlerts) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if !csrf_ok(&p, &f.csrf) {
        return expired();
    }
    let r = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .acknowledge(id, &p.by(), (api.now)());
    match r {
        Ok(_) => Redirect::to("/alerts").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn reports(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let p = match require(&api, &h, Permission::SeeReports) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let names: HashMap<String, String> = views(&api)
        .iter()
        .map(|d| (d.mac.to_string(), display_name(d)))
        .collect();
    let rows = crate::api::read(&api, |s| s.assessments(None, 500).unwrap_or_default())
        .await
        .unwrap_or_default();
    let now = (api.now)();
    render(ReportsPage {
        c: Chrome::of(&p),
        reports: rows
            .into_iter()
            .map(|a| {
                let product = format!(
                    "{} {}",
                    a.report["manufacturer"].as_str().unwrap_or(""),
                    a.report["model"].as_str().unwrap_or("")
                );
                let dev = names.get(&a.mac).cloned().unwrap_or(a.mac);
                (
                    a.id,
                    format!("{product} ({dev})"),
                    a.label.unwrap_or_default(),
                    ago(now, a.ts),
                    a.by,
                )
            })
            .collect(),
    })
}

async fn report(AxState(api): AxState<Api>, h: HeaderMap, Path(id): Path<i64>) -> Response {
    let p = match require(&api, &h, Permission::SeeReports) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let row = crate::api::read(&api, move |s| {
        s.assessments(None, 10_000)
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.id == id)
    })
    .await
    .flatten();
    let Some(a) = row else {
        return (StatusCode::NOT_FOUND, "no such report").into_response();
    };
    let Ok(r) = serde_json::from_value::<warden_assess::verdict::Assessment>(a.report) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored report does not read",
        )
            .into_response();
    };
    let now = (api.now)();
    render(ReportPage {
        c: Chrome::of(&p),
        device: a.mac,
        product: format!(
            "{} {}{}",
            r.manufacturer,
            r.model,
            r.firmware
                .map(|f| format!(", firmware {f}"))
                .unwrap_or_default()
        ),
        label: format!("{} ({})", r.label.level, r.label.name),
        tested: r.label.tested,
        blocking: r.label.blocking.join(", "),
        when: ago(now, a.ts),
        provisions: r
            .provisions
            .iter()
            .map(|x| ProvisionLine {
                id: x.id.clone(),
                verdict: serde_json::to_value(x.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                reasons: x.reasons.join(" "),
            })
            .collect(),
        regimes: r
            .regimes
            .iter()
            .map(|g| {
                let outcome = serde_json::to_value(g.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let level = g
                    .level
                    .as_ref()
                    .map(|l| format!(", level {l}"))
                    .unwrap_or_default();
                (g.name.clone(), format!("{outcome}{level}"))
            })
            .collect(),
    })
}

async fn settings_page(api: &Api, p: &Principal, message: Option<String>) -> Response {
    let users = {
        let auth = api.auth.clone();
        tokio::task::spawn_blocking(move || auth.users().unwrap_or_default())
            .await
            .unwrap_or_default()
    };
    let now = (api.now)();
    let cfg = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .cfg
        .clone();
    render(SettingsPage {
        c: Chrome::of(p),
        deployment: format!("{:?}", cfg.deployment).to_lowercase(),
        retention_days: cfg.retention_days,
        unknown_devices: match cfg.unknown_devices {
            crate::config::UnknownDevices::Observe => "watched only",
            crate::config::UnknownDevices::InternetOnly => "internet only",
            crate::config::UnknownDevices::Block => "blocked",
        }
        .into(),
        users: users
            .into_iter()
            .map(|(n, r, locked)| (n, r, locked > now))
            .collect(),
        roles: vec![
            ("member", "member: sees IoT devices and alerts, cannot change enforcement, not the destinations of personal devices"),
            ("operator", "operator: enforcement and alerts (ISP or IT support), not the destinations of personal devices"),
            ("auditor", "auditor: assessment reports and labels only"),
            ("tenant", "tenant: lives here for a time; sees the devices and may quarantine or block them, never release, remove or re-own them; the account ends on its last day and its name leaves the records"),
            ("owner", "owner: everything, like you"),
        ],
        message,
    })
}

async fn settings(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let p = match require(&api, &h, Permission::Administer) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    settings_page(&api, &p, None).await
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// A tenant's last day (YYYY-MM-DD).
    #[serde(default)]
    until: String,
}

async fn add_user(AxState(api): AxState<Api>, h: HeaderMap, Form(f): Form<UserForm>) -> Response {
    let p = match require(&api, &h, Permission::Administer) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if !csrf_ok(&p, &f.csrf) {
        return expired();
    }
    let Some(role) = Role::parse(&f.role) else {
        let mut r = settings_page(
            &api,
            &p,
            Some("role: choose owner, member, operator, auditor or tenant".into()),
        )
        .await;
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    let (auth, who, now) = (api.auth.clone(), p.clone(), (api.now)());
    let name = f.name.clone();
    let until = match f.until.trim() {
        "" => Ok(None),
        day => crate::auth::Auth::tenancy_end(day).map(Some),
    };
    let r = match until {
        Err(e) => Err(e),
        Ok(until) => tokio::task::spawn_blocking(move || {
            auth.create_user(&who, &name, role, &f.password, until, now)
        })
        .await
        .unwrap_or_else(|_| Err(crate::auth::AuthError::Store("account".into()))),
    };
    match r {
        Ok(()) => {
            crate::api::record(
                &api,
                now,
                "account-created",
                serde_json::json!({"user": crate::log_safe(&f.name), "role": role.name(), "by": p.user}),
            );
            settings_page(
                &api,
                &p,
                Some(format!("The account {} ({}) is made.", f.name, role.name())),
            )
            .await
        }
        Err(e) => {
            let mut r =
                settings_page(&api, &p, Some(format!("The account was not made: {e}"))).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}

/// What a person is about to give a device as its MUD file.
#[derive(Template)]
#[template(path = "mud_preview.html")]
struct MudPreview {
    c: Chrome,
    mac: String,
    name: String,
    /// Where the file comes from, in words.
    source: String,
    /// file | url | generated
    kind: &'static str,
    error: Option<String>,
    explained: Vec<String>,
    notes: Vec<String>,
    sha256: String,
    body: String,
    url: String,
    can_apply: bool,
}

/// Text as a form sends it back: line breaks as LF (browsers send CRLF).
fn form_text(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Strict validation, as for a fetched file; the error names the place.
fn check_mud(bytes: &[u8]) -> Result<warden_mud::ValidatedMud, String> {
    let opts = warden_mud::ValidateOptions {
        dialect: warden_mud::Dialect::Strict,
        ..Default::default()
    };
    warden_mud::load(bytes, &opts)
        .map(|v| v.mud)
        .map_err(|e| e.to_string())
}

fn preview_of(
    c: Chrome,
    mac: &MacAddr,
    name: String,
    kind: &'static str,
    source: String,
) -> MudPreview {
    MudPreview {
        c,
        mac: mac.to_string(),
        name,
        source,
        kind,
        error: None,
        explained: vec![],
        notes: vec![],
        sha256: String::new(),
        body: String::new(),
        url: String::new(),
        can_apply: false,
    }
}

/// The device's name for the pages, or None when there is no such device.
fn name_of(api: &Api, mac: &MacAddr) -> Option<String> {
    let c = api.core.lock().unwrap_or_else(|e| e.into_inner());
    c.devices
        .get(mac)
        .map(|d| display_name(&DevView::of(&c, d)))
}

/// The fields of a multipart form: name -> (the file's name, stripped of
/// control characters and cut at 200, or "upload"; the bytes). A field that
/// cannot be read answers 400 naming it. The route's body limit bounds it.
async fn form_fields(
    mut form: axum::extract::Multipart,
) -> Result<HashMap<String, (String, axum::body::Bytes)>, Box<Response>> {
    let mut out = HashMap::new();
    loop {
        match form.next_field().await {
            Ok(Some(f)) => {
                let field = f.name().unwrap_or("").to_string();
                let name: String = f
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                let Ok(data) = f.bytes().await else {
                    return Err(Box::new(
                        (
                            StatusCode::BAD_REQUEST,
                            format!("form field `{field}`: could not be read"),
                        )
                            .into_response(),
                    ));
                };
                out.insert(field, (name, data));
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(Box::new(
                    (StatusCode::BAD_REQUEST, format!("the form: {e}")).into_response(),
                ))
            }
        }
    }
}

/// Checks and explains an uploaded file, or one fetched (with the
/// gateway's hardened fetcher and its signature policy) from a URL the
/// person typed. Nothing is applied here.
async fn mud_preview(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let p = match require(&api, &h, Permission::Enforce) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(mac) = MacAddr::parse(&mac) else {
        return (StatusCode::BAD_REQUEST, "not a MAC address").into_response();
    };
    let max = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .cfg
        .mud
        .max_bytes;
    let fields = match form_fields(form).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let text = |k: &str| {
        fields
            .get(k)
            .map(|(_, d)| String::from_utf8_lossy(d).trim().to_string())
            .unwrap_or_default()
    };
    let (csrf, url) = (text("csrf"), text("url"));
    let file = fields
        .get("file")
        .map(|(_, d)| d.to_vec())
        .unwrap_or_default();
    if !csrf_ok(&p, &csrf) {
        return expired();
    }
    let Some(name) = name_of(&api, &mac) else {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    };
    if !file.is_empty() {
        let mut pv = preview_of(
            Chrome::of(&p),
            &mac,
            name,
            "file",
            "the file you uploaded".into(),
        );
        if file.len() > max {
            pv.error = Some(format!(
                "file: {} bytes, more than mud.max-bytes ({max})",
                file.len()
            ));
            return render(pv);
        }
        match (std::str::from_utf8(&file), check_mud(&file)) {
            (Err(e), _) => {
                pv.error = Some(format!("file: not UTF-8 text at byte {}", e.valid_up_to()))
            }
            (_, Err(e)) => pv.error = Some(format!("file: {e}")),
            (Ok(text), Ok(m)) => {
                pv.explained = warden_mud::explain(&m);
                pv.notes.push(
                    "An uploaded file carries no signature warden checks: you vouch for it.".into(),
                );
                // What comes back through the form (browsers send line
                // breaks as CRLF): its SHA-256 is what the apply checks.
                let text = form_text(text);
                pv.sha256 = crate::fetch::sha256_hex(text.as_bytes());
                pv.body = text;
                pv.can_apply = true;
            }
        }
        return render(pv);
    }
    if !url.is_empty() {
        let mut pv = preview_of(Chrome::of(&p), &mac, name, "url", url.clone());
        pv.url = url.clone();
        match fetched(&api, &url).await {
            Err(e) => pv.error = Some(format!("url: {e}")),
            Ok(f) => {
                pv.explained = warden_mud::explain(&f.validated.mud);
                pv.sha256 = f.sha256.clone();
                pv.body = String::from_utf8_lossy(&f.body).into_owned();
                match signature_refusal(&api, &f) {
                    Some(why) => pv.error = Some(why),
                    None => {
                        pv.notes.push(format!("Signature: {}.", f.signature.name()));
                        pv.can_apply = true;
                    }
                }
            }
        }
        return render(pv);
    }
    (StatusCode::BAD_REQUEST, "choose a file or type a URL").into_response()
}

async fn fetched(api: &Api, url: &str) -> Result<crate::fetch::Fetched, String> {
    let Some(f) = api.fetcher.clone() else {
        return Err("this gateway fetches no MUD files".into());
    };
    f.fetch(url, (api.now)()).await.map_err(|e| e.to_string())
}

/// Why the signature policy refuses a fetched file, if it does.
fn signature_refusal(api: &Api, f: &crate::fetch::Fetched) -> Option<String> {
    let policy = api
        .core
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .cfg
        .mud
        .signature;
    let verified = matches!(f.signature, crate::fetch::SignatureStatus::Verified { .. });
    (policy == crate::config::SignaturePolicy::Require && !verified).then(|| {
        format!(
            "url: the file's signature is {} and this gateway requires verified signatures (mud.signature)",
            f.signature.name()
        )
    })
}

#[derive(Deserialize)]
struct GenerateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    days: u32,
}

/// A MUD profile from what the device did in its last `days` days
/// (the gateway's flow summaries), checked and explained; not applied.
async fn mud_generate(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<GenerateForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::Enforce, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if !(1..=90).contains(&f.days) {
        return (StatusCode::BAD_REQUEST, "days: 1 to 90").into_response();
    }
    let Some(name) = name_of(&api, &mac) else {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    };
    let now = (api.now)();
    let since = now - i64::from(f.days) * 86_400;
    let m = mac.to_string();
    let flows = crate::api::read(&api, move |s| s.flow_summaries(&m).unwrap_or_default())
        .await
        .unwrap_or_default();
    let mut notes = Vec::new();
    // What others opened to it may be a scan it never answered (a summary
    // does not say): left out, and said so.
    for x in flows
        .iter()
        .filter(|x| x.last_seen >= since && x.direction == "in")
    {
        notes.push(format!(
            "{} opened {}/{} to it: not included (add it by hand if the device serves it).",
            x.remote, x.protocol, x.port
        ));
    }
    let observed: Vec<warden_detect::profile::Observed> = flows
        .iter()
        .filter(|x| x.last_seen >= since)
        .filter(|x| x.direction != "in")
        .filter_map(|x| {
            if x.verdict == "violation" {
                notes.push(format!(
                    "It includes {} ({}/{}), which its current MUD file does not allow.",
                    x.remote, x.protocol, x.port
                ));
            }
            Some(warden_detect::profile::Observed {
                remote: match x.remote.parse::<IpAddr>() {
                    Ok(ip) => warden_detect::profile::ObservedRemote::Addr(ip),
                    Err(_) => warden_detect::profile::ObservedRemote::Name(x.remote.clone()),
                },
                protocol: match x.protocol.as_str() {
                    "tcp" => 6,
                    "udp" => 17,
                    _ => return None,
                },
                port: x.port,
                device_opens: x.direction != "in",
            })
        })
        .collect();
    let id: String = mac.0.iter().map(|b| format!("{b:02x}")).collect();
    let profile = warden_detect::profile::from_observed(
        &observed,
        &warden_detect::profile::ProfileOptions {
            mud_url: format!("https://warden.invalid/generated/{id}.json"),
            systeminfo: format!("generated by warden from {} days of its traffic", f.days),
        },
        now.saturating_mul(1_000_000_000),
    );
    let mut pv = preview_of(
        Chrome::of(&p),
        &mac,
        name,
        "generated",
        format!(
            "its own traffic of the last {} days ({} services it opened)",
            f.days,
            observed.len()
        ),
    );
    let body = serde_json::to_string_pretty(&profile.mud).unwrap_or_default();
    match check_mud(body.as_bytes()) {
        Err(e) => pv.error = Some(format!("the generated file does not validate: {e}")),
        Ok(m) => {
            pv.explained = warden_mud::explain(&m);
            pv.notes = notes;
            pv.notes.extend(profile.warnings);
            let body = form_text(&body);
            pv.sha256 = crate::fetch::sha256_hex(body.as_bytes());
            pv.body = body;
            pv.can_apply = true;
        }
    }
    render(pv)
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    sha256: String,
}

/// Gives the device the file previewed: the same bytes (by their SHA-256)
/// are checked again and applied.
async fn mud_apply(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<ApplyForm>,
) -> Response {
    let (p, mac) = match device_form(&api, &h, Permission::Enforce, &f.csrf, &mac) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let now = (api.now)();
    let by = p.by();
    let changed = || {
        (
            StatusCode::CONFLICT,
            "the file changed since its preview; check it again",
        )
            .into_response()
    };
    let r = match f.kind.as_str() {
        "file" | "generated" => {
            let body = form_text(&f.body);
            let bytes = body.as_bytes();
            if crate::fetch::sha256_hex(bytes) != f.sha256 {
                return changed();
            }
            let m = match check_mud(bytes) {
                Ok(m) => m,
                Err(e) => return (StatusCode::BAD_REQUEST, format!("body: {e}")).into_response(),
            };
            let scheme = if f.kind == "file" {
                crate::core::GIVEN_MUD_SCHEME
            } else {
                crate::core::GENERATED_MUD_SCHEME
            };
            let url = format!("{scheme}{}", f.sha256);
            api.core.lock().unwrap_or_else(|e| e.into_inner()).give_mud(
                &mac,
                &url,
                bytes,
                m,
                "not-checked",
                None,
                i64::MAX,
                &by,
                now,
            )
        }
        "url" => {
            let x = match fetched(&api, &f.url).await {
                Ok(x) => x,
                Err(e) => return (StatusCode::BAD_GATEWAY, format!("url: {e}")).into_response(),
            };
            if x.sha256 != f.sha256 {
                return changed();
            }
            if let Some(why) = signature_refusal(&api, &x) {
                return (StatusCode::FORBIDDEN, why).into_response();
            }
            let signer = match &x.signature {
                crate::fetch::SignatureStatus::Verified { signer } => Some(signer.clone()),
                _ => None,
            };
            api.core.lock().unwrap_or_else(|e| e.into_inner()).give_mud(
                &mac,
                &f.url,
                &x.body,
                x.validated.mud,
                x.signature.name(),
                signer,
                now + x.cache_seconds,
                &by,
                now,
            )
        }
        _ => return (StatusCode::BAD_REQUEST, "kind: file, url or generated").into_response(),
    };
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome(role: Role) -> Chrome {
        Chrome::of(&Principal {
            user: "x".into(),
            role,
            csrf: Some("tok".into()),
        })
    }

    fn row_of(name: &str) -> Row {
        Row {
            mac: "02:00:00:00:00:01".into(),
            name: name.into(),
            state: "enforced",
            category: "camera",
            personal: false,
            maker: "<b>maker</b>".into(),
            mud_status: "signed and verified",
            mud_url: "https://maker.example/cam.json".into(),
            kernel: "as intended",
            label: None,
            last_seen: "just now".into(),
            spark: spark(&[0, 5, 10]),
        }
    }

    #[test]
    fn pages_escape_what_devices_say() {
        let html = DevicesPage {
            c: chrome(Role::Owner),
            paging: Some(Paging {
                first: 101,
                last: 200,
                total: 1_134,
                prev: Some("/devices?q=%3Cscript%3E&page=1".into()),
                next: Some("/devices?q=%3Cscript%3E&page=3".into()),
            }),
            q: "<script>".into(),
            states: vec![("enforced", true)],
            categories: vec![],
            devices: vec![row_of("<img src=x onerror=alert(1)>")],
        }
        .render()
        .unwrap();
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(
            html.contains("&#60;img src=x") || html.contains("&lt;img src=x"),
            "{html}"
        );
        assert!(!html.contains("<script>") && !html.contains("<b>maker"));
        assert!(html.contains("Devices 101 to 200 of 1134"), "{html}");
        assert!(html.contains("rel=\"next\""), "{html}");
        // No inline script or style anywhere (the CSP forbids them): the one
        // script is a file of the gateway's own.
        assert!(!html.contains("style="));
        for tag in html.split("<script").skip(1) {
            assert!(
                tag.starts_with(" src=\"/static/") && tag.contains("></script>"),
                "{tag}"
            );
        }
        assert!(
            html.contains("<polyline points=\"0.0,23.0 48.0,12.0 96.0,1.0\""),
            "{html}"
        );
    }

    fn device_page(c: Chrome, can_enforce: bool, hidden: bool) -> String {
        let observed = if hidden {
            vec![]
        } else {
            groups(vec![
                FlowSummary {
                    mac: "m".into(),
                    remote: "api.cloud.example".into(),
                    protocol: "tcp".into(),
                    port: 8001,
                    flows: 1,
                    packets: 10,
                    bytes: 900,
                    first_seen: 0,
                    last_seen: 0,
                    verdict: "allowed".into(),
                    dropped: false,
                    why: None,
                    direction: "out".into(),
                },
                FlowSummary {
                    mac: "m".into(),
                    remote: "evil.example.net".into(),
                    protocol: "tcp".into(),
                    port: 443,
                    flows: 1,
                    packets: 3,
                    bytes: 180,
                    first_seen: 0,
                    last_seen: 0,
                    verdict: "violation".into(),
                    dropped: true,
                    why: Some("none of the access lists allows it".into()),
                    direction: "out".into(),
                },
            ])
        };
        let (nodes, edges) = star(&observed);
        DevicePage {
            c,
            d: row_of("camera"),
            reason: None,
            addresses: "10.0.0.2".into(),
            makers: vec![],
            first_seen: "then".into(),
            category_chosen: false,
            categories: vec![],
            can_enforce,
            can_restrict: can_enforce,
            lifecycle: "in use in the household",
            lifecycle_next: vec![("end-of-support", "past the end of its security updates")],
            declared: vec!["It may talk to api.cloud.example on TCP port 8001.".into()],
            observed,
            observed_hidden: hidden,
            charts: vec![chart("per hour", &[(0, 5), (3600, 10)], &|t| t.to_string())],
            nodes,
            edges,
            alerts: vec![],
            assessment: None,
            support: (!hidden).then(|| crate::core::support::SupportView {
                end: Some("2027-03-31".into()),
                words: "This camera gets no more security updates since 31 March 2027.".into(),
                source: "entered by ann (owner)".into(),
                source_kind: "person",
                milestone: Some("ended"),
                at_end: "internet-only",
                restricted: true,
            }),
            vulns: (!hidden).then(|| crate::core::vulns::VulnReport {
                sbom_format: Some("SPDX-2.3".into()),
                sbom_source: Some("sbom.json (uploaded)".into()),
                components: 4,
                database_records: 1206,
                findings: vec![crate::core::vulns::VulnFinding {
                    id: "RUSTSEC-2023-0001".into(),
                    aliases: vec![],
                    status: "known affected",
                    component: Some("pkg:cargo/tokio@1.19.2".into()),
                    version: Some("1.19.2".into()),
                    fixed: Some("1.20.3".into()),
                    score: Some(7.25),
                    summary: Some("<script>alert(1)</script>".into()),
                    source: "OSV".into(),
                    fix: None,
                }],
                ..Default::default()
            }),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_quarantine_button_is_there_only_for_roles_that_may_enforce() {
        let yes = device_page(chrome(Role::Owner), true, false);
        assert!(yes.contains("/quarantine") && yes.contains("name=\"csrf\" value=\"tok\""));
        assert!(!device_page(chrome(Role::Member), false, false).contains("/quarantine"));
        // The kind is the owner's to set: it decides who sees destinations.
        assert!(yes.contains("/category"));
        assert!(!device_page(chrome(Role::Operator), true, false).contains("/category"));
    }

    #[test]
    fn the_violation_is_marked_and_first_and_a_hidden_device_shows_no_remote() {
        let html = device_page(chrome(Role::Owner), true, false);
        let bad = html.find("evil.example.net").unwrap();
        assert!(bad < html.find("api.cloud.example</td>").unwrap());
        assert!(html.contains("<strong class=\"violation\">violation</strong>, dropped"));
        assert!(html.contains("none of the access lists allows it"));
        assert!(html.contains("class=\"edge-violation\""));
        assert!(html.contains("no more security updates since 31 March 2027"));
        assert!(html.contains("keeps it away from the other devices here"));
        assert!(html.contains("<tr class=\"vuln-affected\">"));
        assert!(
            html.contains("CVSS 7.2") || html.contains("CVSS 7.3"),
            "one decimal"
        );
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>alert"), "escaped");
        assert!(
            html.contains("action=\"/devices/02:77:00:00:00:01/support\"")
                || html.contains("/support\"")
        );
        let hidden = device_page(chrome(Role::Member), false, true);
        assert!(hidden.contains("for the owner only"));
        assert!(
            !hidden.contains("/support\"") && !hidden.contains("/documents\""),
            "members enter nothing"
        );
        assert!(!hidden.contains("evil.example") && !hidden.contains("edge-"));
    }

    #[test]
    fn remotes_group_by_registrable_domain() {
        assert_eq!(registrable("cdn3.eu.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("eu-3.api.example.com"), "example.com");
        // The list's private section: each CloudFront customer is its own.
        assert_eq!(registrable("a.b.cloudfront.net"), "b.cloudfront.net");
        assert_eq!(registrable("api.cloud.example"), "cloud.example");
        assert_eq!(registrable("203.0.113.9"), "203.0.113.9");
        assert_eq!(registrable("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn traffic_lands_in_its_hour_and_day() {
        let h = |hour, bytes| TrafficHour {
            hour,
            packets: 1,
            bytes,
        };
        let b = buckets(
            &[h(0, 5), h(3600, 7), h(7200, 1), h(-3600, 100)],
            7200,
            3600,
            2,
        );
        assert_eq!(b, vec![(0, 5), (3600, 7)]);
        let d = buckets(&[h(0, 5), h(3600, 7), h(86_400, 1)], 2 * 86_400, 86_400, 2);
        assert_eq!(d, vec![(0, 12), (86_400, 1)]);
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234_567), "1.2 MB");
    }

    #[test]
    fn a_given_file_is_checked_strictly_and_the_error_names_the_place() {
        let p = warden_detect::profile::from_observed(
            &[],
            &warden_detect::profile::ProfileOptions {
                mud_url: "https://warden.invalid/generated/x.json".into(),
                systeminfo: "test".into(),
            },
            0,
        );
        let mut doc = p.mud;
        assert!(check_mud(doc.to_string().as_bytes()).is_ok());
        doc["ietf-mud:mud"]["cache-validity"] = serde_json::json!(1000);
        let e = check_mud(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.contains("cache-validity"), "{e}");
        let e = check_mud(b"{\"ietf-mud:mud\": [").unwrap_err();
        assert!(e.contains("line 1") || e.contains("column"), "{e}");
    }

    #[test]
    fn a_previewed_file_keeps_its_hash_through_a_browser_form() {
        let sent_back = "{\r\n  \"a\": 1\r\n}";
        assert_eq!(form_text(sent_back), "{\n  \"a\": 1\n}");
        assert_eq!(form_text(&form_text(sent_back)), form_text(sent_back));
    }
}
