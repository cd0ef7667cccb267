//! HTTP checks on plain-HTTP ports: default credentials behind Basic
//! authentication (RFC 7617) and behind a login form, and administration
//! pages served without any login.
//!
//! Requests are HTTP/1.0 with `Connection: close` (no chunked bodies to
//! undo); answers are read up to 256 KiB. Nothing is followed off the
//! target: a redirect is used only for its path.
//!
//! Login forms are judged by calibration: a pair that cannot be right (a
//! random password) is submitted first, and a default pair counts as
//! accepted only when its answer differs from that refusal in the ways a
//! login does (a redirect away from the form, a page without a password
//! field, no failure words). When even the random pair looks accepted, the
//! check says it cannot tell.

use crate::creds::{Attempt, Credential};
use crate::io::{plain, read_until};
use crate::scope::Scope;
use base64::Engine;
use serde::Serialize;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const MAX_BODY: usize = 256 << 10;

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn cookies(&self) -> String {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Parses a whole HTTP/1.x answer.
pub fn parse_response(b: &[u8]) -> Option<Response> {
    let end = b.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(b.get(..end)?).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .take(100)
        .collect();
    let body = String::from_utf8_lossy(b.get(end + 4..).unwrap_or_default()).into_owned();
    Some(Response {
        status,
        headers,
        body,
    })
}

#[derive(Clone, Copy)]
pub struct Client<'a> {
    pub scope: &'a Scope,
    pub addr: SocketAddr,
    pub timeout: Duration,
}

impl Client<'_> {
    pub fn request(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Response, String> {
        let mut s = self.scope.open(self.addr, self.timeout)?;
        let _ = s.set_write_timeout(Some(self.timeout));
        let mut req = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nUser-Agent: warden-probe/{}\r\nAccept: */*\r\nConnection: close\r\n",
            self.addr,
            env!("CARGO_PKG_VERSION")
        );
        for (k, v) in extra {
            req += &format!("{k}: {v}\r\n");
        }
        if let Some(b) = body {
            req += &format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            );
        } else {
            req += "\r\n";
        }
        s.write_all(req.as_bytes())
            .map_err(|e| format!("send: {e}"))?;
        let mut buf = Vec::new();
        let deadline = Instant::now() + self.timeout * 3;
        read_until(&mut s, &mut buf, deadline, MAX_BODY, &mut plain, &|_| false);
        parse_response(&buf).ok_or_else(|| "no HTTP answer".to_string())
    }

    pub fn get(&self, path: &str, extra: &[(&str, String)]) -> Result<Response, String> {
        self.request("GET", path, extra, None)
    }
}

/// Whether `/` asks for Basic credentials.
pub fn wants_basic(r: &Response) -> bool {
    r.status == 401
        && r.header("www-authenticate")
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("basic"))
}

pub fn basic_attempt(client: &Client, path: &str, c: &Credential) -> Attempt {
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.user, c.password));
    match client.get(path, &[("Authorization", format!("Basic {token}"))]) {
        Ok(r) if (200..400).contains(&r.status) => Attempt::Accepted,
        Ok(r) if r.status == 401 || r.status == 403 => Attempt::Rejected,
        Ok(r) => Attempt::Error(format!("status {}", r.status)),
        Err(e) => Attempt::Error(e),
    }
}

// ---- login forms ----

/// A login form found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginForm {
    pub action: String,
    pub post: bool,
    pub user_field: Option<String>,
    pub password_field: String,
    /// Hidden fields, sent back as they came.
    pub hidden: Vec<(String, String)>,
}

/// The attributes of one tag's inside (`input type="password" name=pw`).
fn attrs(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() && out.len() < 64 {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let name = tag.get(start..i).unwrap_or("").to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                i += 1;
                let vs = i;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = tag.get(vs..i).unwrap_or("").to_string();
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = tag.get(vs..i).unwrap_or("").to_string();
            }
        }
        if name.is_empty() {
            i += 1;
        } else {
            out.push((name, value));
        }
    }
    out
}

fn attr<'a>(a: &'a [(String, String)], name: &str) -> Option<&'a str> {
    a.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Tags named `name` in `html` (lowercase match), as their attribute lists,
/// with the byte offset where each starts.
fn tags(html: &str, name: &str) -> Vec<(usize, Vec<(String, String)>)> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = lower.get(from..).and_then(|s| s.find(&open)) {
        let start = from + p + open.len();
        let Some(end) = lower.get(start..).and_then(|s| s.find('>')) else {
            break;
        };
        let inside = html.get(start..start + end).unwrap_or("");
        if inside.starts_with(|c: char| c.is_ascii_whitespace()) || inside.is_empty() {
            out.push((from + p, attrs(inside)));
        }
        from = start + end;
        if out.len() >= 256 {
            break;
        }
    }
    out
}

/// Whether a page holds a password field.
pub fn has_password_field(html: &str) -> bool {
    tags(html, "input")
        .iter()
        .any(|(_, a)| attr(a, "type").is_some_and(|t| t.eq_ignore_ascii_case("password")))
}

/// The first form with a password field.
pub fn find_login_form(html: &str) -> Option<LoginForm> {
    let forms = tags(html, "form");
    let inputs = tags(html, "input");
    for (i, (at, fa)) in forms.iter().enumerate() {
        let until = forms.get(i + 1).map(|(p, _)| *p).unwrap_or(usize::MAX);
        let mine: Vec<&Vec<(String, String)>> = inputs
            .iter()
            .filter(|(p, _)| p > at && *p < until)
            .map(|(_, a)| a)
            .collect();
        let ty = |a: &[(String, String)]| attr(a, "type").unwrap_or("text").to_ascii_lowercase();
        let Some(pw) = mine
            .iter()
            .find(|a| ty(a) == "password")
            .and_then(|a| attr(a, "name"))
        else {
            continue;
        };
        let user = mine
            .iter()
            .find(|a| {
                matches!(ty(a).as_str(), "text" | "email" | "tel") && attr(a, "name").is_some()
            })
            .and_then(|a| attr(a, "name"))
            .map(str::to_string);
        let hidden = mine
            .iter()
            .filter(|a| ty(a) == "hidden")
            .filter_map(|a| {
                Some((
                    attr(a, "name")?.to_string(),
                    attr(a, "value").unwrap_or("").to_string(),
                ))
            })
            .collect();
        return Some(LoginForm {
            action: attr(fa, "action").unwrap_or("").to_string(),
            post: attr(fa, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")),
            user_field: user,
            password_field: pw.to_string(),
            hidden,
        });
    }
    None
}

fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => o += &format!("%{b:02X}"),
        }
    }
    o
}

/// The path a form posts to, resolved against the page's path; `None` when
/// it points at another host.
pub fn resolve_action(page: &str, action: &str, target: &SocketAddr) -> Option<String> {
    let action = action.split('#').next().unwrap_or("");
    if action.is_empty() {
        return Some(page.to_string());
    }
    if let Some(rest) = action
        .strip_prefix("http://")
        .or_else(|| action.strip_prefix("https://"))
    {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let ip = target.ip().to_string();
        let host_ip = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        let host_ip = host_ip.trim_start_matches('[').trim_end_matches(']');
        return (host_ip == ip).then(|| format!("/{path}"));
    }
    if action.starts_with('/') {
        return Some(action.to_string());
    }
    let dir = page.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    Some(format!("{dir}/{action}"))
}

const FAILURE_WORDS: [&str; 6] = ["invalid", "incorrect", "failed", "wrong", "denied", "error"];

/// How a submitted form was answered, reduced to what tells a login.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FormAnswer {
    redirect_away: bool,
    still_form: bool,
    failure_words: bool,
    status: u16,
}

fn judge(r: &Response) -> FormAnswer {
    let loc = r.header("location").unwrap_or("").to_ascii_lowercase();
    FormAnswer {
        redirect_away: (300..400).contains(&r.status)
            && !loc.is_empty()
            && !["login", "error", "fail", "denied", "signin"]
                .iter()
                .any(|w| loc.contains(w)),
        still_form: has_password_field(&r.body),
        failure_words: {
            let b = r.body.to_ascii_lowercase();
            FAILURE_WORDS.iter().any(|w| b.contains(w))
        },
        status: r.status,
    }
}

fn looks_logged_in(a: &FormAnswer) -> bool {
    a.redirect_away || ((200..300).contains(&a.status) && !a.still_form && !a.failure_words)
}

/// A form login on its own fetch of the page (fresh cookies and hidden
/// fields each time).
pub fn form_attempt(client: &Client, page: &str, c: &Credential) -> Result<bool, String> {
    let p = client.get(page, &[])?;
    let form = find_login_form(&p.body).ok_or("the login form is gone")?;
    let action = resolve_action(page, &form.action, &client.addr)
        .ok_or("the form posts to another host: not followed")?;
    let mut fields: Vec<(String, String)> = form.hidden.clone();
    if let Some(u) = &form.user_field {
        fields.push((u.clone(), c.user.clone()));
    }
    fields.push((form.password_field.clone(), c.password.clone()));
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let cookie = p.cookies();
    let mut extra = Vec::new();
    if !cookie.is_empty() {
        extra.push(("Cookie", cookie));
    }
    let r = if form.post {
        client.request("POST", &action, &extra, Some(&body))?
    } else {
        let sep = if action.contains('?') { '&' } else { '?' };
        client.get(&format!("{action}{sep}{body}"), &extra)?
    };
    Ok(looks_logged_in(&judge(&r)))
}

/// Calibrates on a pair that cannot be right. `Ok(true)`: the form tells
/// refusals apart; `Ok(false)`: it cannot be judged.
pub fn form_calibrate(client: &Client, page: &str, nonce: u64) -> Result<bool, String> {
    let wrong = Credential {
        user: format!("warden-{nonce:x}"),
        password: format!("not-a-password-{nonce:x}"),
        list: "calibration".into(),
    };
    form_attempt(client, page, &wrong).map(|ok| !ok)
}

// ---- administration pages without a login ----

pub const ADMIN_PATHS: [&str; 10] = [
    "/",
    "/admin",
    "/admin/",
    "/setup",
    "/settings",
    "/config",
    "/system",
    "/status",
    "/cgi-bin/",
    "/index.cgi",
];

const ADMIN_WORDS: [&str; 14] = [
    "password",
    "wifi",
    "wi-fi",
    "wlan",
    "ssid",
    "firmware",
    "reboot",
    "factory",
    "upgrade",
    "administration",
    "settings",
    "configuration",
    "dhcp",
    "port forwarding",
];

#[derive(Debug, Clone, Serialize)]
pub struct OpenAdminPage {
    pub port: u16,
    pub path: String,
    /// Administration words on the page (at least two).
    pub words: Vec<String>,
    /// The page holds a form, so it can change settings.
    pub changes_settings: bool,
}

/// Judges one answer to an unauthenticated GET.
pub fn open_admin_page(port: u16, path: &str, r: &Response) -> Option<OpenAdminPage> {
    if r.status != 200 || has_password_field(&r.body) {
        return None;
    }
    let b = r.body.to_ascii_lowercase();
    let words: Vec<String> = ADMIN_WORDS
        .iter()
        .filter(|w| b.contains(*w))
        .map(|w| w.to_string())
        .collect();
    (words.len() >= 2).then(|| OpenAdminPage {
        port,
        path: path.to_string(),
        words,
        changes_settings: !tags(&r.body, "form").is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_and_basic_is_recognised() {
        let r = parse_response(
            b"HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\nno",
        )
        .unwrap();
        assert!(wants_basic(&r));
        assert_eq!(r.body, "no");
        assert!(parse_response(b"SSH-2.0-x\r\n\r\n").is_none());
        assert!(parse_response(b"HTTP/1.0 200").is_none());
    }

    #[test]
    fn login_forms_are_found_with_their_fields() {
        let html = r#"<html><form id=search action="/s"><input name=q></form>
            <FORM method="POST" action='login.cgi'>
            <input type="hidden" name="csrf" value="abc">
            <input name="username" type="text"><input type=password name=pw>
            <input type=submit value="Log in"></FORM>"#;
        let f = find_login_form(html).unwrap();
        assert_eq!(f.action, "login.cgi");
        assert!(f.post);
        assert_eq!(f.user_field.as_deref(), Some("username"));
        assert_eq!(f.password_field, "pw");
        assert_eq!(f.hidden, vec![("csrf".into(), "abc".into())]);
        assert!(find_login_form("<form><input name=q></form>").is_none());
        assert!(find_login_form("<input type=password").is_none());
    }

    #[test]
    fn form_actions_never_leave_the_target() {
        let t: SocketAddr = "10.0.0.5:80".parse().unwrap();
        assert_eq!(
            resolve_action("/cgi/index", "login", &t).unwrap(),
            "/cgi/login"
        );
        assert_eq!(resolve_action("/", "", &t).unwrap(), "/");
        assert_eq!(resolve_action("/", "/do", &t).unwrap(), "/do");
        assert_eq!(
            resolve_action("/", "http://10.0.0.5:80/x", &t).unwrap(),
            "/x"
        );
        assert!(resolve_action("/", "http://evil.example/x", &t).is_none());
    }

    #[test]
    fn open_admin_pages_need_words_and_no_login() {
        let ok = |body: &str| Response {
            status: 200,
            headers: vec![],
            body: body.into(),
        };
        let p = open_admin_page(
            80,
            "/",
            &ok("<h1>WiFi settings</h1><form><input name=ssid></form>"),
        )
        .unwrap();
        assert!(p.changes_settings);
        assert!(open_admin_page(80, "/", &ok("<h1>Welcome</h1>")).is_none());
        assert!(
            open_admin_page(80, "/", &ok("settings wifi <input type=password name=p>")).is_none()
        );
    }
}
