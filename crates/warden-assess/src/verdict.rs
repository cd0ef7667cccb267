//! Verdicts per provision and results per regime.
//!
//! In the spirit of TS 103 701: a *conceptual* test case judges what the
//! declaration says (the ICS row and the facts assessors need); a
//! *functional* one judges evidence from the device itself ([`Finding`]s
//! from `warden probe` or a `warden analyze` report). A functional failure
//! overrides a declaration that claims otherwise, and says so.
//!
//! - **NOT APPLICABLE**: a conditional provision whose condition the
//!   declaration's facts make false (the condition is named).
//! - **INCONCLUSIVE**: no declaration for it, or a claim without the facts
//!   that would let an assessor check it.
//! - **FAIL**: declared not implemented, declared "n/a" while its condition
//!   holds, or contradicted by evidence.
//! - **PASS**: declared implemented with the facts it needs, and no evidence
//!   against it.
//!
//! A regime's requirement is satisfied when all its provisions pass or do
//! not apply, not satisfied when one fails, undetermined otherwise.

use crate::declaration::{Declaration, Support};
use crate::{Catalog, Crosswalk, Status};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Pass,
    Fail,
    NotApplicable,
    Inconclusive,
}

/// Evidence about one provision from the device itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub provision: String,
    /// Whether the evidence shows the provision met (true) or broken (false).
    pub met: bool,
    /// "probe", "traffic", ...
    pub source: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisionResult {
    pub id: String,
    pub status: Status,
    pub title: String,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// The evidence used: "declaration: ...", "probe: ...".
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegimeOutcome {
    Satisfied,
    NotSatisfied,
    Undetermined,
    /// A policy regime: alignment only, no verdict.
    PolicyAlignment,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowResult {
    pub id: String,
    pub title: String,
    pub outcome: RegimeOutcome,
    /// The provisions that decide it (the failing or undetermined ones, or all).
    pub deciding: Vec<String>,
    /// Evidence warden cannot give (lab work).
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegimeResult {
    pub regime: String,
    pub name: String,
    pub outcome: RegimeOutcome,
    pub rows: Vec<RowResult>,
    /// For levelled schemes (CLS): the highest level met on warden's
    /// evidence alone, if any.
    pub level: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assessment {
    pub manufacturer: String,
    pub model: String,
    #[serde(default)]
    pub firmware: Option<String>,
    pub catalog: String,
    /// When the assessment was made (RFC 3339); set by the caller, who owns the clock.
    #[serde(default)]
    pub assessed_at: Option<String>,
    pub support_period_end: Option<String>,
    #[serde(default)]
    pub mud_url: Option<String>,
    #[serde(default)]
    pub mud_signed: Option<bool>,
    /// Where the functional evidence came from ("probe", "traffic").
    #[serde(default)]
    pub evidence_sources: Vec<String>,
    pub label: crate::label::Level,
    pub provisions: Vec<ProvisionResult>,
    pub regimes: Vec<RegimeResult>,
}

/// Facts a claim needs before an assessor can accept it.
fn missing_facts(id: &str, d: &Declaration) -> Option<&'static str> {
    match id {
        "5.2-1" if d.product.vulnerability_disclosure_url.is_none() => {
            Some("product.vulnerability-disclosure-url")
        }
        "5.3-13" if d.product.support_period_end.is_none() => Some("product.support-period-end"),
        "5.1-1" | "5.1-5" if d.authentication.is_empty() => Some("[[authentication]] entries"),
        "5.1-5"
            if d.authentication
                .iter()
                .any(|a| a.brute_force_protection.is_none()) =>
        {
            Some("authentication.brute-force-protection")
        }
        "5.6-1" | "5.6-2" | "5.5-1" if d.interfaces.is_empty() => Some("[[interfaces]] entries"),
        "5.3-2" | "5.3-7" if d.update_mechanism.is_none() => Some("update-mechanism"),
        "6-1" if d.personal_data.is_empty() => Some("[[personal-data]] entries"),
        "6-5" if d.telemetry.is_empty() => Some("[[telemetry]] entries"),
        _ => None,
    }
}

pub fn assess(
    catalog: &Catalog,
    crosswalks: &[Crosswalk],
    d: &Declaration,
    findings: &[Finding],
) -> Assessment {
    let mut provisions = Vec::new();
    for p in &catalog.provisions {
        let mut reasons = Vec::new();
        let mut evidence = Vec::new();
        let claim = d.provision.get(&p.id);
        if let Some(c) = claim {
            evidence.push(format!(
                "declaration: support {}{}",
                match c.support {
                    Support::Yes => "yes",
                    Support::No => "no",
                    Support::NotApplicable => "n/a",
                },
                c.justification
                    .as_deref()
                    .map(|j| format!(" ({j})"))
                    .unwrap_or_default()
            ));
        }
        let against: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.provision == p.id && !f.met)
            .collect();
        let for_: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.provision == p.id && f.met)
            .collect();
        for f in findings.iter().filter(|f| f.provision == p.id) {
            evidence.push(format!("{}: {}", f.source, f.detail));
        }
        // Conditions: all must hold for the provision to apply.
        let cond: Vec<(u8, Option<bool>)> =
            p.conditions.iter().map(|&n| (n, d.condition(n))).collect();
        let false_cond = cond
            .iter()
            .find(|(_, v)| *v == Some(false))
            .map(|(n, _)| *n);
        let cond_text = |n: u8| {
            catalog
                .conditions
                .iter()
                .find(|c| c.id == n)
                .map(|c| c.text.clone())
                .unwrap_or_default()
        };
        let verdict = if !against.is_empty() {
            for f in &against {
                reasons.push(format!("{} evidence: {}", f.source, f.detail));
            }
            if claim.is_some_and(|c| c.support == Support::Yes) {
                reasons.push(
                    "this overrides the declaration, which claims the provision is met".into(),
                );
            }
            Verdict::Fail
        } else if let Some(n) = false_cond {
            reasons.push(format!(
                "condition ({n}) does not hold: not the case that {}",
                cond_text(n)
            ));
            Verdict::NotApplicable
        } else {
            match claim.map(|c| c.support) {
                None if p.id == "4-1" || p.id == "5.0-1" => {
                    // Parsing already refused unjustified "no" for recommendations.
                    reasons.push(
                        "every recommendation declared not implemented carries a justification"
                            .into(),
                    );
                    Verdict::Pass
                }
                None => {
                    reasons.push("the declaration says nothing about it".into());
                    Verdict::Inconclusive
                }
                Some(Support::No) => {
                    reasons.push("declared not implemented".into());
                    Verdict::Fail
                }
                Some(Support::NotApplicable) => {
                    if let Some((n, _)) = cond.iter().find(|(_, v)| *v == Some(true)) {
                        reasons.push(format!(
                            "declared not applicable, but condition ({n}) holds: {}",
                            cond_text(*n)
                        ));
                        Verdict::Fail
                    } else {
                        reasons.push(
                            "declared not applicable (its condition is not stated in the facts)"
                                .into(),
                        );
                        Verdict::NotApplicable
                    }
                }
                Some(Support::Yes) => match missing_facts(&p.id, d) {
                    Some(f) => {
                        reasons.push(format!(
                            "declared implemented, but the declaration lacks {f}, which an assessor needs to check it"
                        ));
                        Verdict::Inconclusive
                    }
                    None => {
                        reasons.push(if for_.is_empty() {
                            "declared implemented (conceptual: judged on the declaration)"
                                .to_string()
                        } else {
                            "declared implemented and confirmed by evidence from the device"
                                .to_string()
                        });
                        Verdict::Pass
                    }
                },
            }
        };
        provisions.push(ProvisionResult {
            id: p.id.clone(),
            status: p.status,
            title: p.title.clone(),
            verdict,
            reasons,
            evidence,
        });
    }
    let verdict_of = |id: &str| {
        provisions
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.verdict)
            .unwrap_or(Verdict::Inconclusive)
    };
    let mut regimes = Vec::new();
    for x in crosswalks {
        let mut rows = Vec::new();
        for r in &x.rows {
            let (outcome, deciding) = if x.kind == "policy" {
                (RegimeOutcome::PolicyAlignment, r.aligned_with.clone())
            } else {
                let failing: Vec<String> = r
                    .provisions
                    .iter()
                    .filter(|p| verdict_of(p) == Verdict::Fail)
                    .cloned()
                    .collect();
                let open: Vec<String> = r
                    .provisions
                    .iter()
                    .filter(|p| verdict_of(p) == Verdict::Inconclusive)
                    .cloned()
                    .collect();
                if !failing.is_empty() {
                    (RegimeOutcome::NotSatisfied, failing)
                } else if !open.is_empty()
                    || r.provisions.is_empty() && r.needs.is_empty() && r.includes.is_empty()
                {
                    (RegimeOutcome::Undetermined, open)
                } else {
                    (RegimeOutcome::Satisfied, r.provisions.clone())
                }
            };
            rows.push(RowResult {
                id: r.id.clone(),
                title: r.title.clone(),
                outcome,
                deciding,
                needs: r.needs.clone(),
            });
        }
        let outcome = if x.kind == "policy" {
            RegimeOutcome::PolicyAlignment
        } else if rows
            .iter()
            .any(|r| r.outcome == RegimeOutcome::NotSatisfied)
        {
            RegimeOutcome::NotSatisfied
        } else if rows
            .iter()
            .any(|r| r.outcome == RegimeOutcome::Undetermined)
            || rows.iter().any(|r| !r.needs.is_empty())
        {
            RegimeOutcome::Undetermined
        } else {
            RegimeOutcome::Satisfied
        };
        // Levels: cumulative, each needing every lower one; a level that
        // needs lab evidence is never claimed on warden's evidence alone.
        let level = x.levels.then(|| {
            let mut best = None;
            for r in &rows {
                if r.outcome == RegimeOutcome::Satisfied && r.needs.is_empty() {
                    best = Some(r.id.clone());
                } else {
                    break;
                }
            }
            best
        });
        regimes.push(RegimeResult {
            regime: x.regime.clone(),
            name: x.name.clone(),
            outcome,
            rows,
            level: level.flatten(),
        });
    }
    let mut evidence_sources: Vec<String> = findings.iter().map(|f| f.source.clone()).collect();
    evidence_sources.sort();
    evidence_sources.dedup();
    Assessment {
        manufacturer: d.product.manufacturer.clone(),
        model: d.product.model.clone(),
        firmware: d.product.firmware.clone(),
        catalog: format!("{} {}", catalog.standard, catalog.version),
        assessed_at: None,
        support_period_end: d.product.support_period_end.clone(),
        mud_url: d.product.mud_url.clone(),
        mud_signed: d.product.mud_signed,
        label: crate::label::level(&provisions, &evidence_sources),
        evidence_sources,
        provisions,
        regimes,
    }
}
