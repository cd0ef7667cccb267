//! Evidence from a `warden analyze` report (its JSON): what the device was
//! seen doing on the network, as findings about provisions.
//!
//! - A `cleartext-credentials` alert where the device is the target (it
//!   accepted a login in cleartext) or the source (it sent one): 5.5-1 not
//!   met (best-practice cryptography for communications).
//! - Inbound connections the device answered on a TCP/UDP port that no
//!   declared interface lists: 5.6-1 not met (unused interfaces disabled).
//!   Ports the declaration lists, when seen answered, support it.
//!
//! Only the device named is judged; everything else in the report is left.
//!
//! And from a vulnerability report (the gateway's
//! `/api/v1/devices/{mac}/vulnerabilities`, or `warden vuln check --json`):
//! a vulnerability known to affect the device with a fix it does not run
//! means 5.3-8 (security updates are timely) is not met.

use crate::declaration::Declaration;
use crate::verdict::Finding;
use serde_json::Value;
use std::collections::BTreeSet;

pub fn from_report(report: &Value, device: &str, d: &Declaration) -> Result<Vec<Finding>, String> {
    let devices = report["devices"]
        .as_array()
        .ok_or("the report has no `devices` array (is it `warden analyze --json` output?)")?;
    let dev = devices
        .iter()
        .find(|x| {
            x["mac"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case(device))
                || x["address"].as_str() == Some(device)
        })
        .ok_or_else(|| format!("no device {device} in the report"))?;
    let mut out = Vec::new();
    for a in report["alerts"].as_array().into_iter().flatten() {
        if a["kind"] == "cleartext-credentials"
            && a["device"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case(device))
        {
            out.push(Finding {
                provision: "5.5-1".into(),
                met: false,
                source: "traffic".into(),
                detail: a["explanation"]
                    .as_str()
                    .unwrap_or("cleartext credentials")
                    .to_string(),
            });
        }
    }
    let declared: BTreeSet<u16> = d.interfaces.iter().filter_map(|i| i.port).collect();
    let mut seen = BTreeSet::new();
    for r in dev["remotes"].as_array().into_iter().flatten() {
        if r["direction"] != "inbound" || r["packets_out"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        let Some(port) = r["port"].as_u64().map(|p| p as u16) else {
            continue;
        };
        let proto = r["protocol"].as_str().unwrap_or("?");
        if !seen.insert((proto.to_string(), port)) {
            continue;
        }
        // Link-local discovery answers (mDNS, SSDP, DHCP) are not services.
        if matches!(port, 5353 | 1900 | 67 | 68 | 546 | 547) {
            continue;
        }
        out.push(Finding {
            provision: "5.6-1".into(),
            met: declared.contains(&port),
            source: "traffic".into(),
            detail: if declared.contains(&port) {
                format!("{proto}/{port} answered, and the declaration lists it")
            } else {
                format!(
                    "{proto}/{port} answered connections from {}, but no declared interface uses it",
                    r["remote"].as_str().unwrap_or("a remote")
                )
            },
        });
    }
    Ok(out)
}

/// Evidence from a `warden probe --json` report, as findings:
///
/// - a default credential accepted on any service: 5.1-1 not met; services
///   that refused every pair they answered: 5.1-1 met;
/// - a login dialogue over Telnet, FTP or plain HTTP, TLS older than 1.2, or
///   a weak certificate (short key, SHA-1/MD5, expired): 5.5-1 not met; TLS
///   1.2+ only with a sound certificate: 5.5-1 met;
/// - a login service that answered wrong passwords at an even pace without
///   locking out (or took a wrong one): 5.1-5 not met; lockout or growing
///   delay: 5.1-5 met;
/// - an administration page served without login: 5.5-4 not met, and 5.5-5
///   too when it holds a form that changes settings;
/// - an open TCP port, an SSDP answer (udp/1900) or a DNS answer (udp/53)
///   that no declared interface lists: 5.6-1 not met; one it lists: met.
pub fn from_probe(probe: &Value, d: &Declaration) -> Result<Vec<Finding>, String> {
    let open = probe["open"]
        .as_array()
        .ok_or("the probe report has no `open` array (is it `warden probe --json` output?)")?;
    let mut out = Vec::new();
    let mut push = |provision: &str, met: bool, detail: String| {
        out.push(Finding {
            provision: provision.into(),
            met,
            source: "probe".into(),
            detail,
        })
    };
    for c in probe["credentials"].as_array().into_iter().flatten() {
        let service = c["service"].as_str().unwrap_or("?");
        let port = c["port"].as_u64().unwrap_or(0);
        let tried = c["tried"].as_u64().unwrap_or(0);
        if tried == 0 {
            continue;
        }
        match c["accepted"].as_object() {
            Some(a) => push(
                "5.1-1",
                false,
                format!(
                    "{service}/{port} accepted the default credential {} / {} (from the {} list)",
                    a["user"].as_str().unwrap_or("?"),
                    a["password"].as_str().unwrap_or("?"),
                    a["list"].as_str().unwrap_or("?")
                ),
            ),
            None => push(
                "5.1-1",
                true,
                format!("{service}/{port} refused all {tried} default credentials tried"),
            ),
        }
        if matches!(service, "telnet" | "ftp" | "http-basic" | "http-form") {
            push(
                "5.5-1",
                false,
                format!("{service}/{port} takes a username and password in cleartext"),
            );
        }
    }
    for t in probe["tls"].as_array().into_iter().flatten() {
        let port = t["port"].as_u64().unwrap_or(0);
        let legacy: Vec<&str> = t["legacy_versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let weak: Vec<&str> = t["certificate"]["weaknesses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let accepted = t["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["accepted"] == true);
        if !legacy.is_empty() {
            push(
                "5.5-1",
                false,
                format!(
                    "tls/{port} accepts {}, which are deprecated (RFC 8996)",
                    legacy.join(" and ")
                ),
            );
        }
        if !weak.is_empty() {
            push(
                "5.5-1",
                false,
                format!("tls/{port} certificate: {}", weak.join(", ")),
            );
        }
        if accepted && legacy.is_empty() && weak.is_empty() {
            push(
                "5.5-1",
                true,
                format!("tls/{port} accepts only TLS 1.2 or newer, with a sound certificate"),
            );
        }
    }
    let b = &probe["brute_force"];
    if b.is_object() {
        let svc = format!(
            "{}/{}",
            b["service"].as_str().unwrap_or("?"),
            b["port"].as_u64().unwrap_or(0)
        );
        let n = b["attempts"].as_array().map(Vec::len).unwrap_or(0);
        if b["accepted_wrong_password"] == true {
            push("5.1-5", false, format!("{svc} accepted a wrong password"));
        } else {
            match b["protection"]["kind"].as_str() {
                Some("none") => push(
                    "5.1-5",
                    false,
                    format!(
                        "{svc} answered {n} wrong passwords in a row at {:.2} s each, without lockout or growing delay",
                        b["protection"]["per_attempt_s"].as_f64().unwrap_or(0.0)
                    ),
                ),
                Some("lockout") => push(
                    "5.1-5",
                    true,
                    format!(
                        "{svc} stopped answering after {} wrong passwords",
                        b["protection"]["after"].as_u64().unwrap_or(0)
                    ),
                ),
                Some("growing-delay") => push(
                    "5.1-5",
                    true,
                    format!(
                        "{svc} slowed from {:.2} s to {:.2} s per wrong password",
                        b["protection"]["first_s"].as_f64().unwrap_or(0.0),
                        b["protection"]["last_s"].as_f64().unwrap_or(0.0)
                    ),
                ),
                _ => {}
            }
        }
    }
    for a in probe["open_admin_pages"].as_array().into_iter().flatten() {
        let at = format!(
            "http/{}{}",
            a["port"].as_u64().unwrap_or(0),
            a["path"].as_str().unwrap_or("/")
        );
        push(
            "5.5-4",
            false,
            format!("{at} shows an administration page without any login"),
        );
        if a["changes_settings"] == true {
            push(
                "5.5-5",
                false,
                format!("{at} offers a form that changes settings without any login"),
            );
        }
    }
    let declared = |proto: &str, port: u16| {
        d.interfaces.iter().any(|i| {
            i.port == Some(port)
                && i.protocol
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(proto))
        })
    };
    let mut exposed: Vec<(String, u16, String)> = open
        .iter()
        .filter_map(|p| {
            let port = p["port"].as_u64()? as u16;
            let what = p["service"]
                .as_str()
                .unwrap_or("unknown service")
                .to_string();
            Some(("tcp".to_string(), port, what))
        })
        .collect();
    if probe["ssdp"].is_object() {
        exposed.push(("udp".into(), 1900, "SSDP (UPnP discovery)".into()));
    }
    if probe["dns_resolver"].is_object() {
        let open = probe["dns_resolver"]["open"] == true;
        exposed.push((
            "udp".into(),
            53,
            if open {
                "DNS, resolving for anyone (an open resolver)".into()
            } else {
                "DNS".into()
            },
        ));
    }
    for (proto, port, what) in exposed {
        if declared(&proto, port) {
            push(
                "5.6-1",
                true,
                format!("{proto}/{port} ({what}) is open, and the declaration lists it"),
            );
        } else {
            push(
                "5.6-1",
                false,
                format!("{proto}/{port} ({what}) is open, but no declared interface uses it"),
            );
        }
    }
    Ok(out)
}

/// Findings from a vulnerability report (see the module).
pub fn from_vulns(report: &Value) -> Result<Vec<Finding>, String> {
    let list = report["findings"].as_array().ok_or(
        "the report has no `findings` array (is it a device's vulnerability report or `warden vuln check --json`?)",
    )?;
    let mut out = Vec::new();
    for f in list {
        if f["status"] != "known affected" {
            continue;
        }
        let fixed = f["fixed"].as_str().map(|x| format!("version {x} fixes it"));
        let fix = fixed.or_else(|| f["fix"].as_str().map(str::to_string));
        let Some(fix) = fix else { continue };
        let id = f["id"].as_str().unwrap_or("a vulnerability");
        let what = match (f["component"].as_str(), f["version"].as_str()) {
            (Some(c), Some(v)) => format!("{c} (version {v})"),
            (None, Some(v)) => format!("its software version {v}"),
            _ => "its software".to_string(),
        };
        out.push(Finding {
            provision: "5.3-8".into(),
            met: false,
            source: "vulnerabilities".into(),
            detail: format!(
                "{what} has the known weakness {id}, and {fix}: the update was not applied"
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod vuln_tests {
    use super::*;

    #[test]
    fn a_known_affected_weakness_with_a_fix_fails_5_3_8_and_others_say_nothing() {
        let r = serde_json::json!({"findings": [
            {"id": "RUSTSEC-2023-0001", "status": "known affected", "component": "pkg:cargo/tokio@1.19.2", "version": "1.19.2", "fixed": "1.20.3"},
            {"id": "CVE-2023-1", "status": "known not affected", "fixed": "2.0"},
            {"id": "CVE-2023-2", "status": "known affected"},
            {"id": "CVE-2023-3", "status": "known affected", "version": "MX-V4.1.4.11", "fix": "Update to MX-V4.7.2.18"}
        ]});
        let f = from_vulns(&r).unwrap();
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.provision == "5.3-8" && !f.met));
        assert!(
            f[0].detail.contains("version 1.20.3 fixes it"),
            "{}",
            f[0].detail
        );
        assert!(f[1].detail.contains("MX-V4.7.2.18"));
        assert!(from_vulns(&serde_json::json!({})).is_err());
    }
}
