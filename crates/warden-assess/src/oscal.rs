//! The EN 303 645 catalog as an OSCAL 1.0.6 catalog: one group per section,
//! one control per provision with its status and conditions as properties,
//! and the conditions as parameters' documentation in back matter-free form.
//! UUIDs are name-based (v5) so that the same catalog always gives the same
//! document. Our own titles only; the standard's text is not reproduced.

use crate::{order, Catalog, Status};
use serde_json::{json, Value};

/// The namespace for warden's name-based UUIDs.
const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6b1e_4c1d_9a2f_4e8a_b7c3_5d6e_7f80_9a1b);

fn id_uuid(s: &str) -> String {
    uuid::Uuid::new_v5(&NS, s.as_bytes()).to_string()
}

/// An OSCAL control id from a provision id: "5.3-10" → "en303645-5.3-10".
pub fn control_id(provision: &str) -> String {
    format!("en303645-{}", provision.to_ascii_lowercase())
}

/// `last_modified` is RFC 3339 (OSCAL requires it); pass a fixed one for
/// reproducible output.
pub fn catalog(c: &Catalog, last_modified: &str) -> Value {
    let mut sections = c.sections.clone();
    sections.sort_by_key(|s| order(&format!("{}-0", s.id)));
    let groups: Vec<Value> = sections
        .iter()
        .filter_map(|s| {
            let controls: Vec<Value> = c
                .provisions
                .iter()
                .filter(|p| p.section() == s.id)
                .map(|p| {
                    let mut props = vec![
                        json!({"name": "label", "value": p.id}),
                        json!({"name": "status", "ns": "https://warden.example/ns/en303645", "value": match p.status { Status::M => "M", Status::R => "R" }}),
                    ];
                    for cnd in &p.conditions {
                        props.push(json!({"name": "condition", "ns": "https://warden.example/ns/en303645", "value": cnd.to_string()}));
                    }
                    for f in &p.features {
                        props.push(json!({"name": "feature", "ns": "https://warden.example/ns/en303645", "value": f}));
                    }
                    if p.unverified {
                        props.push(json!({"name": "verification", "ns": "https://warden.example/ns/en303645", "value": "unverified"}));
                    }
                    let cond_text: Vec<String> = p
                        .conditions
                        .iter()
                        .filter_map(|n| c.conditions.iter().find(|x| x.id == *n))
                        .map(|x| format!("({}) {}", x.id, x.text))
                        .collect();
                    let mut prose = format!(
                        "{} ({}).",
                        p.title,
                        if p.status == Status::M { "mandatory" } else { "recommended" }
                    );
                    if !cond_text.is_empty() {
                        prose += &format!(" Applies when: {}.", cond_text.join("; "));
                    }
                    json!({
                        "id": control_id(&p.id),
                        "class": "provision",
                        "title": p.title,
                        "props": props,
                        "parts": [{
                            "id": format!("{}_smt", control_id(&p.id)),
                            "name": "statement",
                            "prose": prose
                        }]
                    })
                })
                .collect();
            (!controls.is_empty()).then(|| {
                json!({
                    "id": format!("en303645-s{}", s.id.replace('.', "-")),
                    "class": "section",
                    "title": s.title,
                    "props": [{"name": "label", "value": s.id}],
                    "controls": controls
                })
            })
        })
        .collect();
    json!({
        "catalog": {
            "uuid": id_uuid(&format!("catalog {} {}", c.standard, c.version)),
            "metadata": {
                "title": format!("{} {} provisions (warden's titles)", c.standard, c.version),
                "last-modified": last_modified,
                "version": c.version,
                "oscal-version": "1.0.6",
                "remarks": "Provision ids, statuses (M/R) and conditions of the standard, with short titles written for warden; the standard's own text is not reproduced. Items marked unverified were not checked against the ETSI publication."
            },
            "groups": groups
        }
    })
}

/// An assessment as an OSCAL 1.0.6 assessment-results document.
///
/// One result; one finding per provision, targeting the control of
/// warden's OSCAL catalog (`objective-id` = the control id). OSCAL knows
/// only `satisfied` and `not-satisfied`, so: PASS is satisfied (reason
/// `pass`); FAIL is not-satisfied (`fail`); NOT APPLICABLE is satisfied
/// (`other`) and INCONCLUSIVE not-satisfied (`other`), each with warden's
/// own verdict as a property and in the remarks, so nothing is lost. Every
/// piece of evidence is an observation (EXAMINE for the declaration, TEST
/// for the probe and traffic), linked from the findings it supports.
/// `at` is RFC 3339 (the assessment's time when it has one).
pub fn assessment_results(a: &crate::verdict::Assessment, at: &str) -> Value {
    use crate::verdict::Verdict;
    const NS_W: &str = "https://warden.example/ns/en303645";
    let key = format!("{} {} {} {at}", a.manufacturer, a.model, a.catalog);
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for p in &a.provisions {
        let mut related = Vec::new();
        for (i, e) in p.evidence.iter().enumerate() {
            let (source, text) = e.split_once(": ").unwrap_or(("evidence", e));
            let uuid = id_uuid(&format!("{key} obs {} {i}", p.id));
            observations.push(json!({
                "uuid": uuid,
                "title": format!("{} evidence for {}", source, p.id),
                "description": text,
                "methods": [if source == "declaration" { "EXAMINE" } else { "TEST" }],
                "props": [{"name": "source", "ns": NS_W, "value": source}],
                "collected": at
            }));
            related.push(json!({"observation-uuid": uuid}));
        }
        let (state, reason) = match p.verdict {
            Verdict::Pass => ("satisfied", "pass"),
            Verdict::Fail => ("not-satisfied", "fail"),
            Verdict::NotApplicable => ("satisfied", "other"),
            Verdict::Inconclusive => ("not-satisfied", "other"),
        };
        let verdict = match p.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "NOT_APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
        };
        let mut f = json!({
            "uuid": id_uuid(&format!("{key} finding {}", p.id)),
            "title": format!("{} {}", p.id, p.title),
            "description": if p.reasons.is_empty() { verdict.to_string() } else { p.reasons.join(" ") },
            "props": [{"name": "verdict", "ns": NS_W, "value": verdict}],
            "target": {
                "type": "objective-id",
                "target-id": control_id(&p.id),
                "status": {"state": state, "reason": reason},
                "remarks": format!("warden verdict: {verdict}")
            }
        });
        if !related.is_empty() {
            f["related-observations"] = Value::Array(related);
        }
        findings.push(f);
    }
    let mut result = json!({
        "uuid": id_uuid(&format!("{key} result")),
        "title": format!("{} {} against {}", a.manufacturer, a.model, a.catalog),
        "description": format!(
            "Conceptual checks of the manufacturer's declaration and functional checks of evidence from the device ({}). Label level {} of 3 ({}).",
            if a.evidence_sources.is_empty() { "none".to_string() } else { a.evidence_sources.join(", ") },
            a.label.level,
            a.label.name
        ),
        "start": at,
        "props": [
            {"name": "label-level", "ns": NS_W, "value": a.label.level.to_string()}
        ],
        "reviewed-controls": {
            "control-selections": [{
                "include-controls": a.provisions.iter().map(|p| json!({"control-id": control_id(&p.id)})).collect::<Vec<_>>()
            }]
        },
        "findings": findings
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if let Some(s) = &a.support_period_end {
        if let Some(props) = result["props"].as_array_mut() {
            props.push(json!({"name": "support-period-end", "ns": NS_W, "value": s}));
        }
    }
    json!({
        "assessment-results": {
            "uuid": id_uuid(&format!("{key} assessment-results")),
            "metadata": {
                "title": format!("Security assessment: {} {}", a.manufacturer, a.model),
                "last-modified": at,
                "version": "1",
                "oscal-version": "1.0.6"
            },
            "import-ap": {
                "href": "warden-en303645-method",
                "remarks": "warden's fixed method: the declaration examined, the device probed and its traffic analysed; the controls are those of the catalog from `warden standards catalog --oscal`."
            },
            "results": [result]
        }
    })
}
