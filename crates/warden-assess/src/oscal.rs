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
