//! The consumer label: one level a person can compare between boxes in a
//! shop, the date security updates end, and a QR code that leads to the
//! full report.
//!
//! Levels are cumulative, each needing the one below:
//! - **0, below the baseline**: one of the three provisions every
//!   regime starts from (no universal default passwords 5.1-1, a way to
//!   report vulnerabilities 5.2-1, a published support period 5.3-13) is
//!   not shown to pass;
//! - **1, baseline**: those three pass (what UK PSTI requires by law);
//! - **2, mandatory**: every mandatory provision passes or does not apply;
//! - **3, complete**: every provision, recommendations too.
//!
//! A label made without any evidence from the device itself (no probe, no
//! traffic) says "declared, not tested" on its face.

use crate::verdict::{ProvisionResult, Verdict};
use crate::Status;
use serde::{Deserialize, Serialize};

pub const BASELINE: [&str; 3] = ["5.1-1", "5.2-1", "5.3-13"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub level: u8,
    pub name: String,
    /// Whether the device itself was tested (probe or traffic evidence).
    pub tested: bool,
    /// The provisions that keep the next level away.
    pub blocking: Vec<String>,
}

const NAMES: [&str; 4] = ["below the baseline", "baseline", "mandatory", "complete"];

fn ok(v: Verdict) -> bool {
    matches!(v, Verdict::Pass | Verdict::NotApplicable)
}

pub fn level(p: &[ProvisionResult], evidence_sources: &[String]) -> Level {
    let verdict = |id: &str| p.iter().find(|r| r.id == id).map(|r| r.verdict);
    let not_ok = |f: &dyn Fn(&ProvisionResult) -> bool| -> Vec<String> {
        p.iter()
            .filter(|r| f(r) && !ok(r.verdict))
            .map(|r| r.id.clone())
            .collect()
    };
    let base: Vec<String> = BASELINE
        .iter()
        .filter(|id| !verdict(id).is_some_and(ok))
        .map(|s| s.to_string())
        .collect();
    let mandatory = not_ok(&|r| r.status == Status::M);
    let all = not_ok(&|_| true);
    let (level, blocking) = if !base.is_empty() {
        (0, base)
    } else if !mandatory.is_empty() {
        (1, mandatory)
    } else if !all.is_empty() {
        (2, all)
    } else {
        (3, vec![])
    };
    Level {
        level,
        name: NAMES[level as usize].to_string(),
        tested: !evidence_sources.is_empty(),
        blocking,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the label needs from an assessment.
pub struct LabelInput<'a> {
    pub manufacturer: &'a str,
    pub model: &'a str,
    pub level: &'a Level,
    pub support_period_end: Option<&'a str>,
    pub assessed_at: Option<&'a str>,
    pub catalog: &'a str,
    /// Regime name and its result in a few words ("UK PSTI: not satisfied").
    pub regimes: Vec<String>,
    /// Where the QR code leads: the full report.
    pub report_url: &'a str,
}

const COLOURS: [&str; 4] = ["#b3261e", "#c77700", "#2e7d32", "#1b5e20"];

/// The report URL does not fit in a QR code.
#[derive(Debug, thiserror::Error)]
#[error("QR code for {url:?}: {reason}")]
pub struct LabelError {
    pub url: String,
    pub reason: String,
}

/// The label as a standalone SVG document (no scripts, no external
/// references), 360 x 520 user units.
pub fn svg(l: &LabelInput) -> Result<String, LabelError> {
    let qr =
        qrcode::QrCode::with_error_correction_level(l.report_url.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| LabelError {
                url: l.report_url.to_string(),
                reason: e.to_string(),
            })?;
    let n = qr.width();
    let colours = qr.to_colors();
    let size = 150.0;
    let cell = size / (n as f64 + 8.0);
    let (qx, qy) = (105.0, 338.0);
    let mut modules = String::new();
    for (i, c) in colours.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % n, i / n);
            modules += &format!(
                "M{:.2} {:.2}h{:.2}v{:.2}h-{:.2}z",
                qx + (x as f64 + 4.0) * cell,
                qy + (y as f64 + 4.0) * cell,
                cell,
                cell,
                cell
            );
        }
    }
    let lv = l.level.level.min(3) as usize;
    let colour = COLOURS[lv];
    let mut bars = String::new();
    for i in 0..3 {
        let fill = if i < lv { colour } else { "#e0e0e0" };
        bars += &format!(
            r#"<rect x="{}" y="170" width="90" height="22" rx="4" fill="{fill}"/>"#,
            40 + i * 96
        );
    }
    let tested = if l.level.tested {
        "tested by warden on the device"
    } else {
        "declared by the maker, not tested"
    };
    let support = l
        .support_period_end
        .map(|d| format!("Security updates until {}", esc(d)))
        .unwrap_or_else(|| "No support period published".into());
    let mut regimes = String::new();
    for (i, r) in l.regimes.iter().take(4).enumerate() {
        regimes += &format!(
            r#"<text x="180" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
            276 + i * 15,
            esc(r)
        );
    }
    Ok(format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="360" height="520" viewBox="0 0 360 520" font-family="DejaVu Sans, Arial, sans-serif" role="img" aria-label="Security label: level {lv} of 3, {name}">
<rect width="360" height="520" rx="14" fill="#ffffff" stroke="#202020" stroke-width="3"/>
<rect x="0" y="0" width="360" height="56" rx="14" fill="{colour}"/>
<rect x="0" y="40" width="360" height="16" fill="{colour}"/>
<text x="180" y="36" font-size="20" font-weight="bold" fill="#ffffff" text-anchor="middle">Security label</text>
<text x="180" y="84" font-size="15" text-anchor="middle">{maker}</text>
<text x="180" y="104" font-size="17" font-weight="bold" text-anchor="middle">{model}</text>
<text x="180" y="138" font-size="26" font-weight="bold" fill="{colour}" text-anchor="middle">Level {lv} of 3</text>
<text x="180" y="160" font-size="15" fill="{colour}" text-anchor="middle">{name}</text>
{bars}
<text x="180" y="216" font-size="15" font-weight="bold" text-anchor="middle">{support}</text>
<text x="180" y="236" font-size="12" text-anchor="middle">{tested}</text>
<text x="180" y="254" font-size="11" fill="#555555" text-anchor="middle">{catalog}{at}</text>
{regimes}
<rect x="{qx}" y="{qy}" width="{size}" height="{size}" fill="#ffffff"/>
<path fill="#000000" d="{modules}"/>
<text x="180" y="506" font-size="12" text-anchor="middle">Scan for the full report</text>
</svg>
"##,
        name = esc(&l.level.name),
        maker = esc(l.manufacturer),
        model = esc(l.model),
        catalog = esc(l.catalog),
        at = l
            .assessed_at
            .map(|a| format!(", assessed {}", esc(a.get(..10).unwrap_or(a))))
            .unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, status: Status, verdict: Verdict) -> ProvisionResult {
        ProvisionResult {
            id: id.into(),
            status,
            title: String::new(),
            verdict,
            reasons: vec![],
            evidence: vec![],
        }
    }

    #[test]
    fn levels_are_cumulative() {
        use Verdict::*;
        let mut p = vec![
            r("5.1-1", Status::M, Pass),
            r("5.2-1", Status::M, Pass),
            r("5.3-13", Status::M, Pass),
            r("5.5-1", Status::M, Pass),
            r("5.3-2", Status::R, NotApplicable),
            r("5.6-3", Status::R, Pass),
        ];
        assert_eq!(level(&p, &[]).level, 3);
        assert!(!level(&p, &[]).tested);
        p[5].verdict = Inconclusive;
        assert_eq!(level(&p, &["probe".into()]).level, 2);
        p[3].verdict = Fail;
        let l = level(&p, &[]);
        assert_eq!(
            (l.level, l.blocking.clone()),
            (1, vec!["5.5-1".to_string()])
        );
        p[0].verdict = Fail;
        assert_eq!(level(&p, &[]).level, 0);
        // A baseline provision missing altogether is not a pass.
        assert_eq!(level(&p[1..], &[]).level, 0);
    }

    #[test]
    fn svg_escapes_text_and_carries_a_qr_code() {
        let l = Level {
            level: 1,
            name: "baseline".into(),
            tested: true,
            blocking: vec![],
        };
        let s = svg(&LabelInput {
            manufacturer: "A & B <Cams>",
            model: "X\"1",
            level: &l,
            support_period_end: Some("2030-01-01"),
            assessed_at: Some("2026-12-01T10:00:00Z"),
            catalog: "EN 303 645 V2.1.1",
            regimes: vec!["UK PSTI: satisfied".into()],
            report_url: "https://example.org/r/1",
        })
        .unwrap();
        assert!(s.contains("A &amp; B &lt;Cams&gt;"));
        assert!(s.contains("X&quot;1"));
        assert!(s.contains("Security updates until 2030-01-01"));
        assert!(s.contains("assessed 2026-12-01"));
        assert!(s.matches('z').count() > 100, "QR modules drawn");
        assert!(!s.contains("<script"));
    }
}
