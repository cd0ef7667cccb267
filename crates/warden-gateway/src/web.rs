//! The household's window: server-rendered pages (askama templates, checked
//! at compile time, HTML-escaped), served beside the API on the same
//! listeners and behind the same authorisation layer ([`crate::auth`]).
//! Every action is a plain form (no JavaScript needed) carrying the
//! session's CSRF token; the CSS is embedded in the binary; nothing is
//! fetched from elsewhere.
//!
//! Pages so far: first-start setup, login and logout, home (devices by
//! state, alerts needing attention), the device list with search, a device
//! page (what its maker says it does beside what it did; quarantine and
//! release for roles that may enforce), alerts.

use crate::api::{Api, DevView};
use crate::auth::{Permission, Principal};
use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::net::SocketAddr;
use warden_mud::MacAddr;
use warden_store::{AlertRow, Store};

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
            "<!doctype html><title>Not allowed</title><p>{what}</p>"
        )),
    )
        .into_response()
}

/// The logged-in person (session cookie or token).
fn who(api: &Api, h: &HeaderMap) -> Option<Principal> {
    api.auth.principal(h, (api.now)())
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

/// A device as the pages show it.
pub struct Row {
    pub mac: String,
    pub name: String,
    pub state: &'static str,
    pub mud_status: String,
    pub kernel: &'static str,
    pub last_seen: String,
}

fn row(d: &DevView, now: i64) -> Row {
    Row {
        mac: d.mac.to_string(),
        name: d
            .name
            .clone()
            .or_else(|| d.hostname.clone().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| d.mac.to_string()),
        state: d.state,
        mud_status: match (&d.mud_url, d.state) {
            (None, _) => "none".into(),
            (Some(u), "enforced") | (Some(u), "quarantined") if d.intended.is_some() => {
                format!("verified ({u})")
            }
            (Some(u), _) => format!("announced, not applied ({u})"),
        },
        kernel: if d.applied == d.intended {
            "as intended"
        } else {
            "not yet (see alerts)"
        },
        last_seen: ago(now, d.last_seen),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<String>,
    csrf: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    user: Option<String>,
    csrf: String,
    code: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    user: Option<String>,
    csrf: String,
    /// (all, enforced, observed, quarantined)
    counts: (usize, usize, usize, usize),
    alerts: Vec<AlertRow>,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    user: Option<String>,
    csrf: String,
    q: String,
    devices: Vec<Row>,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    user: Option<String>,
    csrf: String,
    d: Row,
    reason: Option<String>,
    addresses: String,
    can_enforce: bool,
    declared: Vec<String>,
    /// (remote, "tcp/8001", packets, bytes)
    observed: Vec<(String, String, u64, u64)>,
    alerts: Vec<AlertRow>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    user: Option<String>,
    csrf: String,
    alerts: Vec<AlertRow>,
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
        .route("/devices/:mac/name", post(rename))
        .route("/alerts", get(alerts))
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
        user: None,
        csrf: String::new(),
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
                user: None,
                csrf: String::new(),
                error: Some(e.to_string()),
            });
            *r.status_mut() = code;
            r
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(AxState(api): AxState<Api>, h: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !csrf_ok(&p, &f.csrf) {
        return forbidden("This form has expired; reload the page and try again.");
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
        user: None,
        csrf: String::new(),
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
                user: None,
                csrf: String::new(),
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

async fn home(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::SeeDevices) {
        return forbidden("Your role sees assessment reports only.");
    }
    let v = views(&api);
    let count = |s: &str| v.iter().filter(|d| d.state == s).count();
    let counts = (
        v.len(),
        count("enforced"),
        count("observed"),
        count("quarantined"),
    );
    let alerts = crate::api::read(&api, |s| s.alerts(None, 200).unwrap_or_default())
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| matches!(a.severity.as_str(), "medium" | "high" | "critical"))
        .take(10)
        .collect();
    render(HomePage {
        user: Some(p.user.clone()),
        csrf: p.csrf.clone().unwrap_or_default(),
        counts,
        alerts,
    })
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
}

async fn devices(AxState(api): AxState<Api>, h: HeaderMap, Query(s): Query<Search>) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::SeeDevices) {
        return forbidden("Your role sees assessment reports only.");
    }
    let now = (api.now)();
    let q = s.q.unwrap_or_default();
    let needle = q.to_lowercase();
    let rows: Vec<Row> = views(&api)
        .iter()
        .map(|d| row(d, now))
        .filter(|r| {
            needle.is_empty()
                || r.name.to_lowercase().contains(&needle)
                || r.mac.contains(&needle)
                || r.mud_status.to_lowercase().contains(&needle)
        })
        .collect();
    render(DevicesPage {
        user: Some(p.user.clone()),
        csrf: p.csrf.clone().unwrap_or_default(),
        q,
        devices: rows,
    })
}

async fn device(AxState(api): AxState<Api>, h: HeaderMap, Path(mac): Path<String>) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::SeeDevices) {
        return forbidden("Your role sees assessment reports only.");
    }
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
            )
        })
    };
    let Some((view, declared, addresses)) = found else {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    };
    let m = mac.to_string();
    let (flows, alerts) = crate::api::read(&api, move |s| {
        (
            s.flow_summaries(&m).unwrap_or_default(),
            s.alerts(Some(&m), 50).unwrap_or_default(),
        )
    })
    .await
    .unwrap_or_default();
    let observed = flows
        .into_iter()
        .map(|f| {
            (
                f.remote,
                format!("{}/{}", f.protocol, f.port),
                f.packets,
                f.bytes,
            )
        })
        .collect();
    let now = (api.now)();
    render(DevicePage {
        user: Some(p.user.clone()),
        csrf: p.csrf.clone().unwrap_or_default(),
        reason: view.reason.clone(),
        d: row(&view, now),
        addresses,
        can_enforce: p.may(Permission::Enforce),
        declared,
        observed,
        alerts,
    })
}

async fn act(api: Api, h: HeaderMap, mac: String, csrf: String, quarantine: bool) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::Enforce) {
        return forbidden(&format!(
            "The {} role may not change enforcement.",
            p.role.name()
        ));
    }
    if !csrf_ok(&p, &csrf) {
        return forbidden("This form has expired; reload the page and try again.");
    }
    let Some(mac) = MacAddr::parse(&mac) else {
        return (StatusCode::BAD_REQUEST, "not a MAC address").into_response();
    };
    let by = format!("{} ({})", p.user, p.role.name());
    let now = (api.now)();
    let r = {
        let mut c = api.core.lock().unwrap_or_else(|e| e.into_inner());
        if !c.devices.contains_key(&mac) {
            return (StatusCode::NOT_FOUND, "no such device").into_response();
        }
        if quarantine {
            c.quarantine(&mac, "quarantined from the dashboard", &by, now)
        } else {
            c.release(&mac, &by, now)
        }
    };
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::CONFLICT, e).into_response(),
    }
}

async fn quarantine(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(api, h, mac, f.csrf, true).await
}

async fn release(
    AxState(api): AxState<Api>,
    h: HeaderMap,
    Path(mac): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(api, h, mac, f.csrf, false).await
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
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::SeeDevices) {
        return forbidden("Your role sees assessment reports only.");
    }
    if !csrf_ok(&p, &f.csrf) {
        return forbidden("This form has expired; reload the page and try again.");
    }
    let Some(mac) = MacAddr::parse(&mac) else {
        return (StatusCode::BAD_REQUEST, "not a MAC address").into_response();
    };
    let by = format!("{} ({})", p.user, p.role.name());
    let r = api.core.lock().unwrap_or_else(|e| e.into_inner()).rename(
        &mac,
        Some(&f.name),
        &by,
        (api.now)(),
    );
    match r {
        Ok(()) => Redirect::to(&format!("/devices/{mac}")).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

async fn alerts(AxState(api): AxState<Api>, h: HeaderMap) -> Response {
    let Some(p) = who(&api, &h) else {
        return Redirect::to("/login").into_response();
    };
    if !p.may(Permission::SeeAlerts) {
        return forbidden("Your role sees assessment reports only.");
    }
    let alerts = crate::api::read(&api, |s| s.alerts(None, 200).unwrap_or_default())
        .await
        .unwrap_or_default();
    render(AlertsPage {
        user: Some(p.user.clone()),
        csrf: p.csrf.clone().unwrap_or_default(),
        alerts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_devices_say() {
        let html = DevicesPage {
            user: Some("owner".into()),
            csrf: "c".into(),
            q: "<script>".into(),
            devices: vec![Row {
                mac: "02:00:00:00:00:01".into(),
                name: "<img src=x onerror=alert(1)>".into(),
                state: "enforced",
                mud_status: "none".into(),
                kernel: "as intended",
                last_seen: "just now".into(),
            }],
        }
        .render()
        .unwrap();
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(
            html.contains("&#60;img src=x") || html.contains("&lt;img src=x"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        // No inline script or style anywhere (the CSP forbids them): the one
        // script is a file of the gateway's own.
        assert!(!html.contains("style="));
        for tag in html.split("<script").skip(1) {
            assert!(
                tag.starts_with(" src=\"/static/") && tag.contains("></script>"),
                "{tag}"
            );
        }
    }

    #[test]
    fn the_quarantine_button_is_there_only_for_roles_that_may_enforce() {
        let page = |can_enforce| {
            DevicePage {
                user: Some("x".into()),
                csrf: "tok".into(),
                d: Row {
                    mac: "02:00:00:00:00:01".into(),
                    name: "camera".into(),
                    state: "enforced",
                    mud_status: "verified".into(),
                    kernel: "as intended",
                    last_seen: "just now".into(),
                },
                reason: None,
                addresses: "10.0.0.2".into(),
                can_enforce,
                declared: vec!["It may talk to api.cloud.example on TCP port 8001.".into()],
                observed: vec![("api.cloud.example".into(), "tcp/8001".into(), 10, 900)],
                alerts: vec![],
            }
            .render()
            .unwrap()
        };
        let yes = page(true);
        assert!(yes.contains("/quarantine") && yes.contains("name=\"csrf\" value=\"tok\""));
        assert!(!page(false).contains("/quarantine"));
    }
}
