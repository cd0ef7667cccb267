//! Procurement and deployment policies: what a buyer or a network requires
//! of a device, checked against an assessment (`warden policy check`).
//!
//! ```toml
//! name = "healthcare"
//! description = "Devices on a hospital network"
//! mandatory-pass = true             # every mandatory provision passes or does not apply
//! pass = ["5.3", "5.5-1"]           # these provisions (or whole sections) pass or do not apply
//! min-support-years = 5             # support period ends at least this long after the assessment
//! signed-mud = true                 # the maker publishes a signed MUD file
//! tested = true                     # evidence from the device itself, not only a declaration
//! min-label-level = 2
//! regimes = ["uk-psti"]             # these regimes are satisfied
//! ```
//!
//! Every rule names what it checked; an assessment meets the policy when
//! every rule holds.

use crate::verdict::{Assessment, RegimeOutcome, Verdict};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub mandatory_pass: bool,
    #[serde(default)]
    pub pass: Vec<String>,
    #[serde(default)]
    pub min_support_years: Option<u32>,
    #[serde(default)]
    pub signed_mud: bool,
    #[serde(default)]
    pub tested: bool,
    #[serde(default)]
    pub min_label_level: Option<u8>,
    #[serde(default)]
    pub regimes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub met: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub policy: String,
    pub met: bool,
    pub rules: Vec<RuleResult>,
}

#[derive(Debug, thiserror::Error)]
#[error("policy: {0}")]
pub struct PolicyError(pub String);

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > 1 << 20 {
            return Err(PolicyError("larger than 1 MiB".into()));
        }
        let p: Policy = toml::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        if p.min_label_level.is_some_and(|l| l > 3) {
            return Err(PolicyError("min-label-level: levels are 0 to 3".into()));
        }
        Ok(p)
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's algorithm: days since 1970-01-01.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn date_days(s: &str) -> Option<i64> {
    let y = s.get(0..4)?.parse().ok()?;
    let m = s.get(5..7)?.parse().ok()?;
    let d = s.get(8..10)?.parse().ok()?;
    Some(days_from_civil(y, m, d))
}

/// Checks `a` against `p`. `today` (YYYY-MM-DD) is used for the support
/// period when the assessment carries no date.
pub fn check(p: &Policy, a: &Assessment, today: &str) -> PolicyResult {
    let mut rules = Vec::new();
    let ok = |v: Verdict| matches!(v, Verdict::Pass | Verdict::NotApplicable);
    if p.mandatory_pass {
        let bad: Vec<String> = a
            .provisions
            .iter()
            .filter(|x| x.status == crate::Status::M && !ok(x.verdict))
            .map(|x| format!("{} ({:?})", x.id, x.verdict))
            .collect();
        rules.push(RuleResult {
            rule: "mandatory-pass".into(),
            met: bad.is_empty(),
            detail: if bad.is_empty() {
                "every mandatory provision passes or does not apply".into()
            } else {
                format!("mandatory provisions not passed: {}", bad.join(", "))
            },
        });
    }
    for want in &p.pass {
        let sel: Vec<_> = a
            .provisions
            .iter()
            .filter(|x| x.id == *want || x.id.split('-').next() == Some(want.as_str()))
            .collect();
        let bad: Vec<String> = sel
            .iter()
            .filter(|x| !ok(x.verdict))
            .map(|x| format!("{} ({:?})", x.id, x.verdict))
            .collect();
        rules.push(RuleResult {
            rule: format!("pass {want}"),
            met: !sel.is_empty() && bad.is_empty(),
            detail: if sel.is_empty() {
                format!("no provision {want} in {}", a.catalog)
            } else if bad.is_empty() && sel.len() == 1 {
                format!("{want} passes or does not apply")
            } else if bad.is_empty() {
                format!(
                    "all {} provisions of {want} pass or do not apply",
                    sel.len()
                )
            } else {
                format!("not passed: {}", bad.join(", "))
            },
        });
    }
    if let Some(years) = p.min_support_years {
        let from = a
            .assessed_at
            .as_deref()
            .and_then(date_days)
            .or_else(|| date_days(today));
        let end = a.support_period_end.as_deref().and_then(date_days);
        let (met, detail) = match (from, end) {
            (Some(f), Some(e)) => {
                let have = (e - f) as f64 / 365.25;
                (
                    have >= years as f64,
                    format!(
                        "support ends {} ({have:.1} years after the assessment; {years} required)",
                        a.support_period_end.as_deref().unwrap_or("")
                    ),
                )
            }
            _ => (false, "no support period end date".to_string()),
        };
        rules.push(RuleResult {
            rule: format!("min-support-years {years}"),
            met,
            detail,
        });
    }
    if p.signed_mud {
        let met = a.mud_url.is_some() && a.mud_signed == Some(true);
        rules.push(RuleResult {
            rule: "signed-mud".into(),
            met,
            detail: match (&a.mud_url, a.mud_signed) {
                (Some(u), Some(true)) => format!("signed MUD file published at {u}"),
                (Some(u), _) => format!("MUD file at {u}, not declared signed"),
                (None, _) => "no MUD file published".into(),
            },
        });
    }
    if p.tested {
        rules.push(RuleResult {
            rule: "tested".into(),
            met: a.label.tested,
            detail: if a.label.tested {
                format!(
                    "evidence from the device: {}",
                    a.evidence_sources.join(", ")
                )
            } else {
                "declaration only: the device itself was not tested".into()
            },
        });
    }
    if let Some(l) = p.min_label_level {
        rules.push(RuleResult {
            rule: format!("min-label-level {l}"),
            met: a.label.level >= l,
            detail: format!("label level {} ({})", a.label.level, a.label.name),
        });
    }
    for r in &p.regimes {
        let found = a.regimes.iter().find(|x| x.regime == *r);
        rules.push(RuleResult {
            rule: format!("regime {r}"),
            met: found.is_some_and(|x| x.outcome == RegimeOutcome::Satisfied),
            detail: match found {
                Some(x) => format!("{}: {:?}", x.name, x.outcome),
                None => format!("no regime {r} in the assessment"),
            },
        });
    }
    PolicyResult {
        policy: p.name.clone(),
        met: rules.iter().all(|r| r.met),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(date_days("2000-03-01"), Some(11_017));
        assert_eq!(date_days("20x0-03-01"), None);
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_refused() {
        assert!(Policy::parse("name = \"x\"\ncolour = 1\n")
            .unwrap_err()
            .to_string()
            .contains("colour"));
        assert!(Policy::parse("name = \"x\"\nmin-label-level = 4\n").is_err());
    }
}
