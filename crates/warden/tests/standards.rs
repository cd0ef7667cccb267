//! `warden standards`: the catalog and crosswalks from the command line;
//! the OSCAL output the binary prints validates against NIST's schema.

mod common;

use std::process::Command;

fn warden(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn catalog_crosswalk_and_oscal_from_the_binary() {
    let (code, text, _) = warden(&["standards", "catalog"]);
    assert_eq!(code, 0);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("5.") || l.starts_with("6-"))
            .count(),
        67
    );
    let (code, out, err) = warden(&["standards", "catalog", "--version", "v3.1.3", "--oscal"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::corpus().join("standards/oscal/oscal_catalog_schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::draft7::new(&schema).unwrap();
    assert!(
        v.is_valid(&doc),
        "{:?}",
        v.iter_errors(&doc)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let (code, out, _) = warden(&["standards", "crosswalk", "sg-cls", "--json"]);
    assert_eq!(code, 0);
    let x: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(x[0]["row"].as_array().unwrap().len(), 4);
    let (code, _, err) = warden(&["standards", "crosswalk", "no-such-regime"]);
    assert_eq!(code, 2);
    assert!(err.contains("known: uk-cop"), "{err}");
    let (code, _, _) = warden(&["standards", "catalog", "--version", "v9"]);
    assert_eq!(code, 2);
}
