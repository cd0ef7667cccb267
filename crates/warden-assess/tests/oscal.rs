//! The provision catalogs as OSCAL catalogs, validated against NIST's OSCAL
//! 1.0.6 catalog schema (../shared/corpus/standards/oscal/).

use std::path::PathBuf;
use warden_assess::{oscal, Catalog};

fn schema() -> jsonschema::Validator {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/standards/oscal/oscal_catalog_schema.json");
    let s: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap();
    jsonschema::draft7::new(&s).expect("the OSCAL schema compiles")
}

#[test]
fn catalogs_validate_against_the_oscal_schema() {
    let v = schema();
    for c in [Catalog::v2_1_1().unwrap(), Catalog::v3_1_3().unwrap()] {
        let doc = oscal::catalog(&c, "2026-01-01T00:00:00Z");
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", c.version);
        let controls: usize = doc["catalog"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["controls"].as_array().unwrap().len())
            .sum();
        assert_eq!(controls, c.provisions.len());
        // Same input, same bytes (name-based UUIDs).
        assert_eq!(doc, oscal::catalog(&c, "2026-01-01T00:00:00Z"));
    }
    // The validator is not a rubber stamp: a control without an id fails.
    let mut bad = oscal::catalog(&Catalog::v2_1_1().unwrap(), "2026-01-01T00:00:00Z");
    bad["catalog"]["groups"][0]["controls"][0]
        .as_object_mut()
        .unwrap()
        .remove("id");
    assert!(!v.is_valid(&bad));
}
