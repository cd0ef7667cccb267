//! The credential lists, and the driver that tries them on one service.
//!
//! A service is tried with one connection per attempt, a few connections at
//! a time, and the driver stops at the first pair the service accepts. A
//! service that gives no login prompt three times in a row is left with a
//! note, not hammered.

use crate::scope::ProbeError;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One username/password pair and the list it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credential {
    pub user: String,
    pub password: String,
    pub list: String,
}

/// At most this many pairs from any list.
pub const MAX_CREDENTIALS: usize = 10_000;

/// Parses `username,password` lines (a `username,password` header is
/// skipped; an empty password is an empty password). Errors name the line.
pub fn parse_csv(text: &str, list: &str) -> Result<Vec<Credential>, ProbeError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') || (n == 0 && line == "username,password") {
            continue;
        }
        let Some((user, password)) = line.split_once(',') else {
            return Err(ProbeError::BadList(format!(
                "{list} line {}: expected `username,password`",
                n + 1
            )));
        };
        if out.len() == MAX_CREDENTIALS {
            return Err(ProbeError::BadList(format!(
                "{list}: more than {MAX_CREDENTIALS} pairs"
            )));
        }
        out.push(Credential {
            user: user.to_string(),
            password: password.to_string(),
            list: list.to_string(),
        });
    }
    Ok(out)
}

/// Mirai's telnet list (61 pairs), in the bot's order.
pub fn mirai() -> Vec<Credential> {
    parse_csv(include_str!("../data/mirai.csv"), "mirai").unwrap_or_default()
}

/// Common factory defaults (data/PROVENANCE.md).
pub fn vendor_defaults() -> Vec<Credential> {
    parse_csv(
        include_str!("../data/vendor-defaults.csv"),
        "vendor-default",
    )
    .unwrap_or_default()
}

/// Mirai's list, then the vendor defaults it lacks.
pub fn default_list() -> Vec<Credential> {
    let mut v = mirai();
    for c in vendor_defaults() {
        if !v
            .iter()
            .any(|x| x.user == c.user && x.password == c.password)
        {
            v.push(c);
        }
    }
    v
}

/// What one login attempt showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    Rejected,
    /// No login dialogue (closed, refused, timed out, not this protocol).
    Error(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub user: String,
    pub password: String,
    pub list: String,
}

/// The default-credential check of one service.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialCheck {
    pub service: String,
    pub port: u16,
    /// Pairs the service answered (accepted or rejected).
    pub tried: usize,
    pub errors: usize,
    pub accepted: Option<Accepted>,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Tries `creds` with `attempt`, `parallel` at a time, until one is accepted.
pub fn check_service(
    service: &str,
    port: u16,
    creds: &[Credential],
    parallel: usize,
    attempt: &(dyn Fn(&Credential) -> Attempt + Sync),
) -> CredentialCheck {
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let tried = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let consecutive_errors = AtomicUsize::new(0);
    let found: Mutex<Option<(usize, Accepted)>> = Mutex::new(None);
    let note: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..parallel.clamp(1, 16).min(creds.len().max(1)) {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(c) = creds.get(i) else { break };
                    match attempt(c) {
                        Attempt::Accepted => {
                            tried.fetch_add(1, Ordering::Relaxed);
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = found.lock() {
                                // Keep the earliest pair in list order.
                                if f.as_ref().is_none_or(|(j, _)| i < *j) {
                                    *f = Some((
                                        i,
                                        Accepted {
                                            user: c.user.clone(),
                                            password: c.password.clone(),
                                            list: c.list.clone(),
                                        },
                                    ));
                                }
                            }
                        }
                        Attempt::Rejected => {
                            tried.fetch_add(1, Ordering::Relaxed);
                            consecutive_errors.store(0, Ordering::Relaxed);
                        }
                        Attempt::Error(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            let n = consecutive_errors.fetch_add(1, Ordering::Relaxed) + 1;
                            if n >= 3 + 2 * parallel {
                                stop.store(true, Ordering::Relaxed);
                                if let Ok(mut m) = note.lock() {
                                    m.get_or_insert_with(|| {
                                        format!("stopped after {n} attempts in a row without a login dialogue: {e}")
                                    });
                                }
                            }
                        }
                    }
                }
            });
        }
    });
    CredentialCheck {
        service: service.to_string(),
        port,
        tried: tried.into_inner(),
        errors: errors.into_inner(),
        accepted: found.into_inner().ok().flatten().map(|(_, a)| a),
        seconds: t0.elapsed().as_secs_f64(),
        note: note.into_inner().ok().flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_with_empty_passwords_and_no_duplicates() {
        let m = mirai();
        assert_eq!(m.len(), 61);
        assert_eq!(
            (m[0].user.as_str(), m[0].password.as_str()),
            ("root", "xc3511")
        );
        assert!(m.iter().any(|c| c.user == "root" && c.password.is_empty()));
        let all = default_list();
        assert!(all.len() > m.len());
        for (i, a) in all.iter().enumerate() {
            assert!(
                !all[..i]
                    .iter()
                    .any(|b| b.user == a.user && b.password == a.password),
                "{a:?} twice"
            );
        }
        assert!(parse_csv("a,b\nnocomma\n", "x")
            .unwrap_err()
            .to_string()
            .contains("x line 2"));
    }

    #[test]
    fn driver_stops_at_first_accepted_and_gives_up_on_silence() {
        let creds = default_list();
        let r = check_service("t", 1, &creds, 4, &|c| {
            if c.user == "guest" && c.password == "12345" {
                Attempt::Accepted
            } else {
                Attempt::Rejected
            }
        });
        let a = r.accepted.unwrap();
        assert_eq!((a.user.as_str(), a.password.as_str()), ("guest", "12345"));
        assert!(r.tried < creds.len());
        let r = check_service("t", 1, &creds, 2, &|_| Attempt::Error("closed".into()));
        assert!(r.accepted.is_none());
        assert!(r.errors <= 10, "{}", r.errors);
        assert!(r.note.unwrap().contains("closed"));
        let r = check_service("t", 1, &creds, 3, &|_| Attempt::Rejected);
        assert_eq!(r.tried, creds.len());
    }
}
