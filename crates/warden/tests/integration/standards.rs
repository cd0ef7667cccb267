//! `warden standards`: the catalog and crosswalks from the command line;
//! the OSCAL output the binary prints validates against NIST's schema.

use crate::common;

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

#[test]
fn assess_a_declaration_with_traffic_evidence() {
    let repo = common::repo();
    let decl = repo.join("samples/declarations/weak-camera.toml");
    // On its own claims the weak camera passes what it claims...
    let (code, out, err) = warden(&["assess", "--declaration", decl.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    let verdict = |a: &serde_json::Value, id: &str| {
        a["provisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict(&a, "5.5-1"), "PASS");
    // ...until its traffic shows a Telnet login in cleartext on an undeclared port.
    let dir = std::env::temp_dir().join(format!("warden-assess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let (_, r, _) = warden(&[
        "analyze",
        repo.join("samples/pcap/telnet-login.pcap")
            .to_str()
            .unwrap(),
        "--json",
    ]);
    std::fs::write(&report, r).unwrap();
    let (code, out, err) = warden(&[
        "assess",
        "--declaration",
        decl.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--device",
        "00:00:c0:9f:a0:97",
        "--json",
    ]);
    assert_eq!(code, 1, "{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict(&a, "5.5-1"), "FAIL");
    assert_eq!(verdict(&a, "5.6-1"), "FAIL");
    let cls = a["regimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["regime"] == "sg-cls")
        .unwrap();
    assert_eq!(cls["level"], "L1");
    // A declaration with an unknown key is refused, naming it.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[product]\nmanufacturer = \"A\"\nmodel = \"B\"\nwarranty = 2\n",
    )
    .unwrap();
    let (code, _, err) = warden(&["assess", "--declaration", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("warranty"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
