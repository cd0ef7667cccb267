//! Per-abstraction resolution on the nist-mud and mud-visualizer test files:
//! each abstraction binds to what the deployment context says, and to
//! nothing when the context is silent.

use crate::common;

use warden_mud::{Context, Direction, IpPrefix, Policy, Remote, ValidateOptions};

fn policy(rel: &str, ctx: &str) -> Policy {
    let bytes = std::fs::read(common::corpus().join("mud").join(rel)).unwrap();
    let v = warden_mud::load(&bytes, &ValidateOptions::legacy()).unwrap();
    warden_mud::resolve(&v.mud, &Context::from_toml(ctx).unwrap())
}

fn nets(p: &Policy, dir: Direction) -> Vec<String> {
    let mut out: Vec<String> = p
        .rules()
        .iter()
        .filter(|r| r.direction == dir)
        .flat_map(|r| match &r.remote {
            Remote::Endpoints { nets, .. } => {
                nets.iter().map(IpPrefix::to_string).collect::<Vec<_>>()
            }
            Remote::Any => vec!["any".into()],
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

const PEERS: &str = r#"
[[devices]]
mud-url = "https://hairbrush.nist.local/super1"
addresses = ["10.0.0.21"]
[[devices]]
mud-url = "https://toothbrush.nist.local/super1"
addresses = ["10.0.0.22"]
[[devices]]
mud-url = "https://toothbrush.nist.local/other-model"
addresses = ["10.0.0.23"]
[[devices]]
mud-url = "https://same-manufacturer-test.nist.local/another"
addresses = ["10.0.0.24"]
[[devices]]
mud-url = "https://samplemotion.com/motion"
addresses = ["10.0.0.25"]
"#;

#[test]
fn manufacturer_binds_every_device_of_that_authority() {
    let p = policy(
        "nist-mud/test/unittest/mud-mfg-test/mudfile-mfg-test.json",
        PEERS,
    );
    assert_eq!(
        nets(&p, Direction::FromDevice),
        ["10.0.0.21", "10.0.0.22", "10.0.0.23"]
    );
    let p = policy(
        "mud-visualizer/sample_mud_files/tester_manufacturer.json",
        PEERS,
    );
    assert_eq!(nets(&p, Direction::FromDevice), ["10.0.0.25"]);
}

#[test]
fn model_binds_only_devices_with_that_exact_mud_url() {
    let p = policy(
        "nist-mud/test/unittest/mud-model-test/mudfile-model-test.json",
        PEERS,
    );
    assert_eq!(
        nets(&p, Direction::FromDevice),
        ["10.0.0.21", "10.0.0.22"],
        "the other toothbrush model must not bind"
    );
}

#[test]
fn same_manufacturer_binds_the_authority_of_the_devices_own_url() {
    let p = policy(
        "nist-mud/test/unittest/mud-same-manufacturer-test/mudfile-same-manufacturer-test.json",
        PEERS,
    );
    assert_eq!(nets(&p, Direction::FromDevice), ["10.0.0.24"]);
    assert_eq!(nets(&p, Direction::ToDevice), ["10.0.0.24"]);
}

#[test]
fn local_networks_binds_the_context_networks() {
    let p = policy(
        "nist-mud/test/unittest/mud-tcp-direction-test/mudfile-tcp-direction-test.json",
        r#"local-networks = ["10.0.0.0/24"]"#,
    );
    assert_eq!(nets(&p, Direction::FromDevice), ["10.0.0.0/24"]);
    let p = policy(
        "mud-visualizer/sample_mud_files/tester_local_network.json",
        r#"local-networks = ["10.0.0.0/24"]"#,
    );
    assert!(!p.rules().is_empty());
}

#[test]
fn controller_binds_by_class_uri() {
    let ctx = r#"[controllers]
"https://controller.nist.local" = ["10.0.0.5"]"#;
    let p = policy(
        "nist-mud/test/unittest/mud-controllerclass-test/mudfile-controllerclass-test.json",
        ctx,
    );
    assert_eq!(nets(&p, Direction::FromDevice), ["10.0.0.5"]);
    let p = policy(
        "mud-visualizer/sample_mud_files/tester_controller.json",
        r#"[controllers]
"http://amazon.com/dashserver" = ["dash.example.net"]"#,
    );
    assert!(p.dns_names().contains("dash.example.net"));
}

#[test]
fn my_controller_binds_by_the_full_mud_url() {
    let right = r#"[my-controllers]
"https://wemo.com/crockpot" = ["10.0.0.7"]"#;
    let p = policy(
        "mud-visualizer/sample_mud_files/tester_mycontroller.json",
        right,
    );
    assert_eq!(nets(&p, Direction::FromDevice), ["10.0.0.7"]);
    // Same authority, other path: the lesson of Cisco MUD-Manager's tracker.
    let wrong = r#"[my-controllers]
"https://wemo.com/kettle" = ["10.0.0.8"]"#;
    let p = policy(
        "mud-visualizer/sample_mud_files/tester_mycontroller.json",
        wrong,
    );
    assert!(p.rules().is_empty());
    assert!(p
        .notes()
        .iter()
        .all(|n| n.dropped && n.reason.contains("my-controller")));
}

#[test]
fn dns_names_stay_symbolic() {
    let p = policy("mud-visualizer/sample_mud_files/tester_domain2.json", "");
    let names: Vec<&str> = p.dns_names().into_iter().collect();
    assert_eq!(
        names,
        [
            "www.vase-db.com",
            "www.vase-fileserver.com",
            "www.vase-updater.com"
        ]
    );
}

#[test]
fn nothing_binds_in_an_empty_context_and_every_dropped_rule_is_reported() {
    for rel in [
        "nist-mud/test/unittest/mud-mfg-test/mudfile-mfg-test.json",
        "nist-mud/test/unittest/mud-model-test/mudfile-model-test.json",
        "nist-mud/test/unittest/mud-same-manufacturer-test/mudfile-same-manufacturer-test.json",
        "nist-mud/test/unittest/mud-controllerclass-test/mudfile-controllerclass-test.json",
        "mud-visualizer/sample_mud_files/tester_mycontroller.json",
        "mud-visualizer/sample_mud_files/tester_local_network.json",
    ] {
        let p = policy(rel, "");
        assert!(p.rules().is_empty(), "{rel}: {:?}", p.rules());
        assert!(
            !p.notes().is_empty() && p.notes().iter().all(|n| n.dropped),
            "{rel}"
        );
    }
}

#[test]
fn direction_initiated_is_kept_for_the_enforcer() {
    let p = policy(
        "nist-mud/test/unittest/mud-tcp-direction-test/mudfile-tcp-direction-test.json",
        r#"local-networks = ["10.0.0.0/24"]"#,
    );
    assert!(p.rules().iter().any(|r| r.initiated_by.is_some()));
}
