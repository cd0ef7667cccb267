//! The probe report as text for people: what `warden probe` prints
//! without `--json`. Weaknesses are written in capitals, so that they stand
//! out in a terminal and in a log.

use crate::bruteforce::Protection;
use crate::report::ProbeReport;

impl ProbeReport {
    /// The report in plain text, one finding a line.
    pub fn text(&self) -> String {
        let r = self;
        let mut t = format!(
            "{}: {} ports scanned in {:.1} s, {} open\n",
            r.target,
            r.ports_scanned,
            r.seconds,
            r.open.len()
        );
        for p in &r.open {
            t += &format!(
                "  tcp/{:<5} {:<7} {}\n",
                p.port,
                p.service.unwrap_or("?"),
                p.banner.as_deref().unwrap_or("")
            );
        }
        for c in &r.credentials {
            t += &match &c.accepted {
                Some(x) => format!(
                    "DEFAULT PASSWORD: {}/{} accepts {:?} / {:?} (from the {} list) after {} tries\n",
                    c.service, c.port, x.user, x.password, x.list, c.tried
                ),
                None => format!(
                    "{}/{}: none of {} default credentials accepted{}\n",
                    c.service,
                    c.port,
                    c.tried,
                    c.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                ),
            };
        }
        for x in &r.tls {
            let offered: Vec<&str> = x
                .versions
                .iter()
                .filter(|v| v.accepted)
                .map(|v| v.version)
                .collect();
            t += &format!(
                "tls/{}: accepts {}",
                x.port,
                if offered.is_empty() {
                    "nothing".to_string()
                } else {
                    offered.join(", ")
                }
            );
            if !x.legacy_versions.is_empty() {
                t += &format!("  (OUTDATED: {})", x.legacy_versions.join(", "));
            }
            if let Some(c) = &x.certificate {
                t += &format!(
                    "; certificate {} {} bits, until {}{}",
                    c.key_type,
                    c.key_bits,
                    c.not_after,
                    if c.weaknesses.is_empty() {
                        String::new()
                    } else {
                        format!(" (WEAK: {})", c.weaknesses.join(", "))
                    }
                );
            }
            t += "\n";
        }
        for p in &r.open_admin_pages {
            t += &format!(
                "ADMIN PAGE WITHOUT LOGIN: http/{}{} ({}){}\n",
                p.port,
                p.path,
                p.words.join(", "),
                if p.changes_settings {
                    ", with a form to change settings"
                } else {
                    ""
                }
            );
        }
        if let Some(s) = &r.ssdp {
            t += &format!(
                "ssdp: answers discovery ({} answers){}\n",
                s.answers,
                s.server
                    .as_deref()
                    .map(|x| format!(", server {x:?}"))
                    .unwrap_or_default()
            );
        }
        if let Some(d) = &r.dns_resolver {
            t += &if d.open {
                format!(
                    "OPEN RESOLVER: resolves {} for anyone (a tool for reflection attacks)\n",
                    d.name
                )
            } else {
                format!(
                    "dns: answers, but does not resolve for the probe (rcode {})\n",
                    d.rcode
                )
            };
        }
        if let Some(b) = &r.brute_force {
            t += &format!("brute force on {}/{}: ", b.service, b.port);
            t += &match &b.protection {
                _ if b.accepted_wrong_password => "ACCEPTS A WRONG PASSWORD\n".to_string(),
                Protection::Lockout { after } => format!("locked out after {after} wrong passwords\n"),
                Protection::GrowingDelay { first_s, last_s } => {
                    format!("delay grows from {first_s:.2} s to {last_s:.2} s\n")
                }
                Protection::None { per_attempt_s } => format!(
                    "NO PROTECTION: {} wrong passwords answered at {per_attempt_s:.2} s each, no lockout\n",
                    b.attempts.len()
                ),
                Protection::Unknown => "could not be judged\n".to_string(),
            };
        }
        for n in &r.notes {
            t += &format!("note: {n}\n");
        }
        t
    }
}
