//! The detectors' findings as a report: JSON beside the analyzer's, and
//! text for people.

use crate::{Alert, DeviceCompliance};
use serde::Serialize;
use warden_analyze::Report;

#[derive(Serialize)]
/// What `warden analyze` reports with the detectors on: the analyzer's
/// report with the alerts and each bound device's MUD compliance.
pub struct Judged<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    pub alerts: &'a [Alert],
    pub compliance: &'a [DeviceCompliance],
    /// How the context was completed, and binding problems.
    pub context_notes: &'a [String],
    /// What the detectors' caps turned away.
    pub detection_dropped: &'a std::collections::BTreeMap<String, u64>,
}

fn time(ns: i64) -> String {
    crate::common::rfc3339(ns).unwrap_or_else(|| ns.to_string())
}

impl Judged<'_> {
    /// The detections and the compliance in plain text, after the
    /// analyzer's own report ([`Report::text`]).
    pub fn text(&self) -> String {
        let j = self;
        let mut t = String::new();
        if !j.alerts.is_empty() {
            t += &format!("\nalerts ({}):\n", j.alerts.len());
            for a in j.alerts {
                t += &format!(
                    "  [{}] {} {} ({}) {}..{}  x{}\n    {}\n",
                    a.severity.as_str(),
                    a.kind.name(),
                    a.device,
                    a.role.as_str(),
                    time(a.first_ns),
                    time(a.last_ns),
                    a.detections,
                    a.explanation,
                );
                for o in &a.other_explanations {
                    t += &format!("    also: {o}\n");
                }
                t += &format!("    what to do: {}\n", a.advice);
            }
        }
        for c in j.compliance {
            t += &format!(
            "\nMUD compliance of {} ({}, {}): {} flows checked, {} allowed, {} exempt, {} violations\n",
            c.device,
            c.mud_url,
            c.source,
            c.flows_checked,
            c.flows_allowed,
            c.flows_exempt,
            c.violations.len() as u64 + c.violations_not_listed
        );
            for u in &c.unresolved {
                t += &format!("  not enforceable here: {u}\n");
            }
            for v in c.violations.iter().take(50) {
                t += &format!("  {} {}\n", time(v.first_ns), v.explanation);
            }
            if c.violations.len() > 50 {
                t += &format!("  ... {} more (see --json)\n", c.violations.len() - 50);
            }
            if c.handshakes_checked > 0 {
                t += &format!(
                "  TLS profiles (RFC 9761): {} distinct handshakes checked, {} outside the declared profile\n",
                c.handshakes_checked,
                c.tls_deviations.len()
            );
            }
            for d in c.tls_deviations.iter().take(50) {
                t += &format!("  {} {}\n", time(d.first_ns), d.explanation);
            }
        }
        for n in j.context_notes {
            t += &format!("note: {n}\n");
        }
        t
    }
}
