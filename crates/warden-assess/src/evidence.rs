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
