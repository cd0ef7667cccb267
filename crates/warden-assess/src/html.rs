//! The HTML report: plain language first (the level, what was found, what
//! to do), then the label, the regimes, and every provision with its
//! reasons and evidence below. One self-contained file: inline CSS, no
//! scripts, nothing fetched.

use crate::verdict::{Assessment, RegimeOutcome, Verdict};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a household can do about a failed provision, by section.
fn advice(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "5.1" => "Change every password on the device to a long one of your own, now; if a service cannot be given a new password, ask the maker for an update or return the device.",
        "5.2" => "Ask the maker how to report a security problem; without an answer, prefer another product.",
        "5.3" => "Install every update; if the maker promises none, plan to replace the device.",
        "5.4" => "Ask the maker how keys and passwords are protected inside the device.",
        "5.5" => "Use the device only on your own network, never expose it to the internet, and ask the maker for an update that encrypts its connections.",
        "5.6" => "Turn off services you do not use (in the device's settings); keep the device behind your router, with warden's MUD policy if it has one.",
        "5.7" | "5.13" => "Ask the maker for an update.",
        "5.8" | "6" | "5.11" => "Check what personal data the device collects and who gets it; delete it before you sell or dispose of the device.",
        _ => "Ask the maker about it.",
    }
}

pub fn report(a: &Assessment, label_svg: Option<&str>) -> String {
    let count = |v: Verdict| a.provisions.iter().filter(|p| p.verdict == v).count();
    let failed: Vec<_> = a
        .provisions
        .iter()
        .filter(|p| p.verdict == Verdict::Fail)
        .collect();
    let headline = match (a.label.level, failed.is_empty()) {
        (0, _) => "This device falls below the baseline that the law in several countries already requires.",
        (1, _) => "This device meets the legal baseline, but not every mandatory provision.",
        (2, _) => "This device meets every mandatory provision.",
        _ => "This device meets every provision of the standard.",
    };
    let mut h = String::new();
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
    h += &format!(
        "<title>Security report: {} {}</title>\n",
        esc(&a.manufacturer),
        esc(&a.model)
    );
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>\nbody{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1a1a1a}\n.lead{font-size:1.25rem}.fail{color:#b3261e;font-weight:bold}.pass{color:#2e7d32}\ntable{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}\n.label{float:right;margin:0 0 1rem 1rem;width:240px}.label svg{width:240px;height:auto}\ndetails{margin:1rem 0}\n</style></head><body>\n";
    h += &format!(
        "<h1>Security report: {} {}</h1>\n",
        esc(&a.manufacturer),
        esc(&a.model)
    );
    if let Some(svg) = label_svg {
        let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
        h += &format!("<div class=\"label\">{body}</div>\n");
    }
    h += &format!(
        "<p class=\"lead\" id=\"summary\"><strong>Level {} of 3 ({})</strong>. {}</p>\n",
        a.label.level,
        esc(&a.label.name),
        headline
    );
    h += &format!(
        "<p>{} provisions pass, <span class=\"{}\">{} fail</span>, {} do not apply and {} could not be judged from the evidence. {}</p>\n",
        count(Verdict::Pass),
        if failed.is_empty() { "pass" } else { "fail" },
        count(Verdict::Fail),
        count(Verdict::NotApplicable),
        count(Verdict::Inconclusive),
        if a.label.tested {
            "warden tested the device itself, and what it saw overrides what the maker declared."
        } else {
            "This is the maker's declaration only: warden did not test the device."
        }
    );
    h += &match &a.support_period_end {
        Some(d) => format!("<p>The maker promises security updates until <strong>{}</strong>.</p>\n", esc(d)),
        None => "<p>The maker publishes <strong>no support period</strong>: you cannot know how long the device will get security updates.</p>\n".into(),
    };
    if !failed.is_empty() {
        h += "<h2 id=\"found\">What we found</h2>\n<ul>\n";
        for p in &failed {
            let why = p
                .reasons
                .iter()
                .find(|r| !r.starts_with("this overrides"))
                .cloned()
                .unwrap_or_default();
            h += &format!(
                "<li><strong>{}</strong> ({}): {}</li>\n",
                esc(&p.title),
                esc(&p.id),
                esc(&why)
            );
        }
        h += "</ul>\n<h2 id=\"todo\">What you can do</h2>\n<ul>\n";
        let mut seen = Vec::new();
        for p in &failed {
            let a = advice(&p.id);
            if !seen.contains(&a) {
                seen.push(a);
                h += &format!("<li>{}</li>\n", esc(a));
            }
        }
        h += "<li>If the maker cannot fix what is listed here, you may return the device; a device that was taken over can be reset to its factory settings, updated and given a new password before it goes back on the network.</li>\n</ul>\n";
    }
    h += "<h2 id=\"regimes\">What this means in each country's rules</h2>\n<table><tr><th>Regime</th><th>Result</th><th>Decided by</th></tr>\n";
    for r in &a.regimes {
        let outcome = match r.outcome {
            RegimeOutcome::Satisfied => "satisfied".to_string(),
            RegimeOutcome::NotSatisfied => "<span class=\"fail\">not satisfied</span>".to_string(),
            RegimeOutcome::Undetermined => {
                "undetermined (evidence missing or lab work needed)".to_string()
            }
            RegimeOutcome::PolicyAlignment => "policy alignment only".to_string(),
        };
        let lvl = r
            .level
            .as_ref()
            .map(|l| format!(", level {}", esc(l)))
            .unwrap_or_default();
        let deciding: Vec<String> = r
            .rows
            .iter()
            .filter(|x| x.outcome == r.outcome || r.outcome == RegimeOutcome::Satisfied)
            .flat_map(|x| x.deciding.iter().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        h += &format!(
            "<tr><td>{}</td><td>{outcome}{lvl}</td><td>{}</td></tr>\n",
            esc(&r.name),
            esc(&deciding.join(", "))
        );
    }
    h += "</table>\n<details id=\"provisions\"><summary>Every provision, with its reasons and evidence</summary>\n<table><tr><th>Provision</th><th>Status</th><th>Verdict</th><th>Reasons</th><th>Evidence</th></tr>\n";
    for p in &a.provisions {
        let v = match p.verdict {
            Verdict::Pass => "<span class=\"pass\">PASS</span>",
            Verdict::Fail => "<span class=\"fail\">FAIL</span>",
            Verdict::NotApplicable => "NOT APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
        };
        h +=
            &format!(
            "<tr id=\"p-{}\"><td>{} {}</td><td>{:?}</td><td>{v}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&p.id),
            esc(&p.id),
            esc(&p.title),
            p.status,
            p.reasons.iter().map(|r| esc(r)).collect::<Vec<_>>().join("<br>"),
            p.evidence.iter().map(|r| esc(r)).collect::<Vec<_>>().join("<br>")
        );
    }
    h += &format!(
        "</table></details>\n<p><small>{}{}. Provision titles are warden's own short wording, not the standard's text. Made by warden.</small></p>\n</body></html>\n",
        esc(&a.catalog),
        a.assessed_at
            .as_deref()
            .map(|t| format!(", assessed {}", esc(t)))
            .unwrap_or_default()
    );
    h
}
