//! Declarations and verdicts: the sample declarations parse and match the
//! published JSON Schema; bad ones are refused with the field named; a weak
//! device whose evidence contradicts its declaration fails 5.1-1, 5.5-1 and
//! 5.6-1, UK PSTI and every CLS level; a hardened, honest one passes them.
//!
//! The findings here are written by the test, so that the verdict rules are
//! checked on their own; `crates/warden/tests/assurance_lab.rs` runs the
//! same judgement on a real probe of real servers.

use std::path::PathBuf;
use warden_assess::declaration::Declaration;
use warden_assess::verdict::{assess, Finding, RegimeOutcome, Verdict};
use warden_assess::{crosswalks, Catalog};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(repo().join("samples/declarations").join(name)).unwrap()
}

fn schema() -> jsonschema::Validator {
    let s: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("schemas/declaration.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft7::new(&s).unwrap()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(v).unwrap()
}

#[test]
fn samples_parse_and_match_the_schema() {
    let c = Catalog::v2_1_1().unwrap();
    let v = schema();
    for name in ["hardened-plug.toml", "weak-camera.toml"] {
        let text = sample(name);
        Declaration::parse(&text, &c).unwrap_or_else(|e| panic!("{name}: {e}"));
        let j = as_json(&text);
        assert!(
            v.is_valid(&j),
            "{name}: {:?}",
            v.iter_errors(&j).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn bad_declarations_are_refused_with_the_field_named() {
    let c = Catalog::v2_1_1().unwrap();
    let base = "[product]\nmanufacturer = \"A\"\nmodel = \"B\"\n";
    let cases = [
        (format!("{base}colour = \"red\"\n"), "colour"),
        (
            format!("{base}[provision.\"5.1-3\"]\nsupport = \"n/a\"\n"),
            "provision.\"5.1-3\".support",
        ),
        (
            format!("{base}[provision.\"5.9-1\"]\nsupport = \"no\"\n"),
            "provision.\"5.9-1\".justification",
        ),
        (
            format!("{base}[provision.\"5.99-1\"]\nsupport = \"yes\"\n"),
            "provision.\"5.99-1\"",
        ),
        (
            format!("{base}[provision.\"5.1-1\"]\nsupport = \"maybe\"\n"),
            "maybe",
        ),
        (
            base.replace(
                "model = \"B\"\n",
                "model = \"B\"\nsupport-period-end = \"soon\"\n",
            ),
            "product.support-period-end",
        ),
        (
            base.replace(
                "model = \"B\"\n",
                "model = \"B\"\nvulnerability-disclosure-url = \"http://x\"\n",
            ),
            "vulnerability-disclosure-url",
        ),
        ("[product]\nmanufacturer = \"A\"\n".to_string(), "model"),
    ];
    let v = schema();
    for (text, field) in cases {
        let e = Declaration::parse(&text, &c).unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
        // The schema refuses what it can express, too.
        if let Ok(v2) = toml::from_str::<toml::Value>(&text) {
            let j = serde_json::to_value(v2).unwrap();
            // Rules the schema cannot express: n/a only when conditional,
            // justifications for recommendations, ids that exist.
            if !field.contains("justification")
                && !field.contains("5.1-3")
                && !field.contains("5.99")
            {
                assert!(!v.is_valid(&j), "schema accepts {text}");
            }
        }
    }
}

fn probe_findings() -> Vec<Finding> {
    let f = |p: &str, d: &str| Finding {
        provision: p.into(),
        met: false,
        source: "probe".into(),
        detail: d.into(),
    };
    vec![
        f(
            "5.1-1",
            "telnet 10.0.0.2:23 accepted root/xc3511 from the Mirai list",
        ),
        f("5.5-1", "TLS on 10.0.0.2:443 offers TLS 1.0 and 1.1"),
        f(
            "5.6-1",
            "telnet on 10.0.0.2:23 answers but the declaration lists no such interface",
        ),
    ]
}

#[test]
fn a_weak_device_fails_and_a_hardened_one_passes() {
    let c = Catalog::v2_1_1().unwrap();
    let x = crosswalks(&c).unwrap();
    let weak = Declaration::parse(&sample("weak-camera.toml"), &c).unwrap();
    let a = assess(&c, &x, &weak, &probe_findings());
    let v = |a: &warden_assess::verdict::Assessment, id: &str| {
        a.provisions.iter().find(|p| p.id == id).unwrap().clone()
    };
    for id in ["5.1-1", "5.5-1", "5.6-1"] {
        let p = v(&a, id);
        assert_eq!(p.verdict, Verdict::Fail, "{id}: {p:?}");
        assert!(
            p.reasons
                .iter()
                .any(|r| r.contains("overrides the declaration")),
            "{id}: {p:?}"
        );
        assert!(
            p.evidence.iter().any(|e| e.starts_with("probe:")),
            "{id}: {p:?}"
        );
    }
    let regime = |a: &warden_assess::verdict::Assessment, r: &str| {
        a.regimes.iter().find(|x| x.regime == r).unwrap().clone()
    };
    assert_eq!(regime(&a, "uk-psti").outcome, RegimeOutcome::NotSatisfied);
    let cls = regime(&a, "sg-cls");
    assert_eq!(cls.level, None);
    assert_eq!(cls.rows[0].outcome, RegimeOutcome::NotSatisfied);
    assert!(cls.rows[0].deciding.contains(&"5.1-1".to_string()));
    assert_eq!(
        regime(&a, "nl-roadmap").outcome,
        RegimeOutcome::PolicyAlignment
    );

    let good = Declaration::parse(&sample("hardened-plug.toml"), &c).unwrap();
    let a = assess(&c, &x, &good, &[]);
    for id in ["5.1-1", "5.5-1", "5.6-1", "5.2-1", "5.3-13"] {
        assert_eq!(v(&a, id).verdict, Verdict::Pass, "{id}: {:?}", v(&a, id));
    }
    // Conditional provisions whose condition is false are not applicable, and say why.
    let p = v(&a, "5.1-2");
    assert_eq!(p.verdict, Verdict::NotApplicable);
    assert!(p.reasons[0].contains("condition (2)"), "{p:?}");
    // A justified recommendation not implemented is a FAIL of that provision, not of 4-1.
    assert_eq!(v(&a, "5.7-1").verdict, Verdict::Fail);
    assert_eq!(v(&a, "4-1").verdict, Verdict::Pass);
    assert_eq!(regime(&a, "uk-psti").outcome, RegimeOutcome::Satisfied);
    let cls = regime(&a, "sg-cls");
    // Levels 3 and 4 need lab evidence warden cannot give.
    assert_eq!(cls.level.as_deref(), Some("L2"));
    assert_eq!(cls.outcome, RegimeOutcome::Undetermined);
}

#[test]
fn a_claim_without_its_facts_is_inconclusive() {
    let c = Catalog::v2_1_1().unwrap();
    let d = Declaration::parse(
        "[product]\nmanufacturer = \"A\"\nmodel = \"B\"\n[provision.\"5.2-1\"]\nsupport = \"yes\"\n",
        &c,
    )
    .unwrap();
    let a = assess(&c, &[], &d, &[]);
    let p = a.provisions.iter().find(|p| p.id == "5.2-1").unwrap();
    assert_eq!(p.verdict, Verdict::Inconclusive);
    assert!(p.reasons[0].contains("vulnerability-disclosure-url"));
    let q = a.provisions.iter().find(|p| p.id == "5.5-5").unwrap();
    assert_eq!(q.verdict, Verdict::Inconclusive);
}
