//! Plain-text renderings of the catalogues, crosswalks, assessments and
//! policy checks, as `warden standards`, `warden assess` and
//! `warden policy check` print them.

use crate::policy::PolicyResult;
use crate::verdict::{Assessment, RegimeOutcome, Verdict};
use crate::{Catalog, Crosswalk, Status};

impl Catalog {
    /// One line per provision: id, M/R and its conditions, title.
    pub fn text(&self) -> String {
        let mut t = format!("{} {} ({})\n", self.standard, self.version, self.date);
        for p in &self.provisions {
            let cond = if p.conditions.is_empty() {
                String::new()
            } else {
                format!(
                    " C({})",
                    p.conditions
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            let st = if p.status == Status::M { "M" } else { "R" };
            t += &format!(
                "{:<9} {st}{cond:<9} {}{}\n",
                p.id,
                p.title,
                if p.unverified { "  [unverified]" } else { "" }
            );
        }
        t
    }
}

impl Crosswalk {
    /// The regime's rows, each with its fit and the EN 303 645 provisions.
    pub fn text(&self) -> String {
        let mut t = format!(
            "{} ({}, {}){}\n  source: {}\n",
            self.name,
            self.regime,
            self.kind,
            if self.unverified {
                " [warden's own mapping, unverified]"
            } else {
                ""
            },
            self.source
        );
        for r in &self.rows {
            t += &format!(
                "  {:<28} {:<8} {}\n      {}\n",
                r.id,
                format!("{:?}", r.fit).to_lowercase(),
                r.title,
                if r.provisions.is_empty() {
                    "(no EN 303 645 provision)".to_string()
                } else {
                    r.provisions.join(" ")
                }
            );
        }
        t + "\n"
    }
}

impl Assessment {
    /// The summary in words, the regimes, the label, the failed provisions.
    pub fn text(&self) -> String {
        let count = |v: Verdict| self.provisions.iter().filter(|p| p.verdict == v).count();
        let mut t = format!(
            "{} {} against {}\n\nIn short: {} provisions pass, {} fail, {} do not apply, {} could not be judged.\n",
            self.manufacturer,
            self.model,
            self.catalog,
            count(Verdict::Pass),
            count(Verdict::Fail),
            count(Verdict::NotApplicable),
            count(Verdict::Inconclusive)
        );
        if let Some(s) = &self.support_period_end {
            t += &format!("Security updates promised until {s}.\n");
        }
        t += "\nRegimes:\n";
        for r in &self.regimes {
            let o = match r.outcome {
                RegimeOutcome::Satisfied => "satisfied".to_string(),
                RegimeOutcome::NotSatisfied => format!(
                    "NOT satisfied ({})",
                    r.rows
                        .iter()
                        .filter(|x| x.outcome == RegimeOutcome::NotSatisfied)
                        .map(|x| format!("{}: {}", x.id, x.deciding.join(" ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                RegimeOutcome::Undetermined => "undetermined".to_string(),
                RegimeOutcome::PolicyAlignment => "policy alignment only".to_string(),
            };
            let lvl = r
                .level
                .as_ref()
                .map(|l| format!(", level {l}"))
                .unwrap_or_default();
            t += &format!("  {:<48} {o}{lvl}\n", r.name);
        }
        t += &format!(
            "\nLabel: level {} of 3 ({}){}\n",
            self.label.level,
            self.label.name,
            if self.label.tested {
                ""
            } else {
                ", declared only: the device was not tested"
            }
        );
        t += "\nFailed provisions:\n";
        for p in self
            .provisions
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
        {
            t += &format!("  {} {}\n    {}\n", p.id, p.title, p.reasons.join("; "));
        }
        t
    }

    /// The lines the label shows for the regimes a buyer looks for (UK
    /// PSTI, Singapore CLS, EU CRA, US NIST IR 8425): a level where the
    /// regime has levels, else the outcome.
    pub fn label_regimes(&self) -> Vec<String> {
        self.regimes
            .iter()
            .filter(|r| {
                matches!(
                    r.regime.as_str(),
                    "uk-psti" | "sg-cls" | "eu-cra" | "us-nist-ir-8425"
                )
            })
            .map(|r| {
                let o = match r.outcome {
                    RegimeOutcome::Satisfied => "satisfied",
                    RegimeOutcome::NotSatisfied => "not satisfied",
                    RegimeOutcome::Undetermined => "undetermined",
                    RegimeOutcome::PolicyAlignment => "alignment",
                };
                match &r.level {
                    Some(l) => format!("{}: level {l}", r.name),
                    None if r.regime == "sg-cls" => format!("{}: no level", r.name),
                    None => format!("{}: {o}", r.name),
                }
            })
            .collect()
    }
}

impl PolicyResult {
    /// Whether `a` meets the policy, then each rule with its detail.
    pub fn text(&self, a: &Assessment) -> String {
        let mut t = format!(
            "{} {} {} policy {:?}\n",
            a.manufacturer,
            a.model,
            if self.met { "meets" } else { "does NOT meet" },
            self.policy
        );
        for x in &self.rules {
            t += &format!(
                "  [{}] {}: {}\n",
                if x.met { "ok" } else { "NO" },
                x.rule,
                x.detail
            );
        }
        t
    }
}
