//! Golden files (insta) for what people and the kernel read: the compiled
//! ruleset in both forms, explanations, and the diagnostics of a broken file.
//! A change to any of them shows up as a reviewed diff in tests/integration/snapshots/.

use crate::common;

use warden_mud::{Context, MudError, ValidateOptions};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(common::repo().join("samples/mud").join(name)).unwrap()
}

fn context() -> Context {
    Context::from_toml(
        &std::fs::read_to_string(common::repo().join("samples/context.toml")).unwrap(),
    )
    .unwrap()
}

fn compiled(name: &str, legacy: bool) -> warden_nft::Ruleset {
    let opts = if legacy {
        ValidateOptions::legacy()
    } else {
        ValidateOptions::default()
    };
    let v = warden_mud::load(&sample(name), &opts).unwrap();
    let p = warden_mud::resolve(&v.mud, &context());
    let d = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10,fd00:1::10").unwrap();
    warden_nft::compile(
        &[warden_nft::DevicePolicy {
            device: d,
            policy: &p,
        }],
        &Default::default(),
    )
    .unwrap()
}

#[test]
fn smart_plug_ruleset_text() {
    insta::assert_snapshot!(compiled("smart-plug-transparency.json", false).text());
}

#[test]
fn smart_plug_ruleset_json() {
    let v: serde_json::Value =
        serde_json::from_str(&compiled("smart-plug-transparency.json", false).json).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn lightbulb2000_legacy_ruleset_text() {
    insta::assert_snapshot!(compiled("lightbulb2000.json", true).text());
}

#[test]
fn explanations() {
    let mut out = String::new();
    for (name, legacy) in [
        ("smart-plug-transparency.json", false),
        ("Luminaire_150.json", false),
        ("same-manufacturer.json", false),
        ("mudfile-tcp-direction-test.json", false),
        ("amazonEchoMud.json", true),
    ] {
        let opts = if legacy {
            ValidateOptions::legacy()
        } else {
            ValidateOptions::default()
        };
        let v = warden_mud::load(&sample(name), &opts).unwrap();
        out += &format!("# {name}\n");
        for s in warden_mud::explain(&v.mud) {
            out += &format!("- {s}\n");
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn diagnostics_of_the_cira_toaster() {
    let p = common::corpus().join("mud/ciralabs-shg-mud-controller/toaster_mud.json");
    let Err(MudError::Invalid { errors, warnings }) =
        warden_mud::load(&std::fs::read(p).unwrap(), &ValidateOptions::legacy())
    else {
        panic!("the toaster file is invalid")
    };
    let text: Vec<String> = errors
        .iter()
        .chain(&warnings)
        .map(|d| d.to_string())
        .collect();
    insta::assert_snapshot!(text.join("\n"));
}
