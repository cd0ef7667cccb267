//! Walks every MUD document of ../shared/corpus/mud/ and checks the verdict
//! kept in corpus_verdicts.toml, in both dialects; then compiles every file
//! that validates and has the real `nft -c` check both output forms.

use crate::common;

use serde::Deserialize;
use std::collections::BTreeSet;
use warden_mud::{Context, Dialect, MudError, ValidateOptions};

#[derive(Deserialize)]
struct Table {
    file: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    path: String,
    strict: String,
    legacy: String,
    strict_reason: Option<Reason>,
    legacy_reason: Option<Reason>,
    #[serde(default)]
    warnings: bool,
}

#[derive(Deserialize)]
struct Reason {
    check: String,
    pointer: String,
    contains: Option<String>,
}

fn table() -> Table {
    let s =
        std::fs::read_to_string(common::repo().join("crates/warden/tests/corpus_verdicts.toml"))
            .unwrap();
    toml::from_str(&s).unwrap()
}

fn mud_files() -> BTreeSet<String> {
    let base = common::corpus().join("mud");
    let mut out = BTreeSet::new();
    let mut stack = vec![base.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if !(rel == "SOURCES.md" || rel.ends_with(".p7s") || rel.ends_with(".pem")) {
                    out.insert(rel);
                }
            }
        }
    }
    out
}

#[test]
fn verdict_table_covers_every_corpus_mud_document() {
    let listed: BTreeSet<String> = table().file.into_iter().map(|e| e.path).collect();
    let present = mud_files();
    assert_eq!(
        listed, present,
        "corpus_verdicts.toml and the corpus disagree"
    );
    assert_eq!(
        present.len(),
        102,
        "the corpus has 102 MUD documents beside the signature and its CA"
    );
}

#[test]
fn every_corpus_file_gets_its_expected_verdict_and_reason() {
    let base = common::corpus().join("mud");
    let mut failures = Vec::new();
    for e in table().file {
        let bytes = std::fs::read(base.join(&e.path)).unwrap();
        for (dialect, want, reason) in [
            (Dialect::Strict, &e.strict, &e.strict_reason),
            (Dialect::Legacy, &e.legacy, &e.legacy_reason),
        ] {
            let opts = ValidateOptions {
                dialect,
                ..Default::default()
            };
            match (warden_mud::load(&bytes, &opts), want.as_str()) {
                (Ok(v), "valid") => {
                    if dialect == Dialect::Legacy && e.warnings && v.warnings.is_empty() {
                        failures.push(format!(
                            "{} ({dialect:?}): expected warnings, got none",
                            e.path
                        ));
                    }
                    if dialect == Dialect::Strict
                        && v.warnings
                            .iter()
                            .any(|w| w.check == warden_mud::Check::LegacyDialect)
                    {
                        failures.push(format!(
                            "{}: strict mode produced a legacy-dialect warning",
                            e.path
                        ));
                    }
                }
                (Err(MudError::Invalid { errors, .. }), "invalid") => {
                    let r = reason.as_ref().expect("invalid entries name a reason");
                    let hit = errors.iter().any(|d| {
                        d.check.to_string() == r.check
                            && d.pointer == r.pointer
                            && r.contains
                                .as_ref()
                                .is_none_or(|c| d.message.contains(c.as_str()))
                    });
                    if !hit {
                        failures.push(format!(
                            "{} ({dialect:?}): expected [{}] at {}, got {:?}",
                            e.path, r.check, r.pointer, errors
                        ));
                    }
                    for d in &errors {
                        assert!(!d.message.is_empty(), "every error has a sentence");
                    }
                }
                (Ok(_), w) => {
                    failures.push(format!("{} ({dialect:?}): valid, expected {w}", e.path))
                }
                (Err(err), w) => {
                    failures.push(format!("{} ({dialect:?}): {err}, expected {w}", e.path))
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn strict_valid_implies_legacy_valid_with_the_same_policy() {
    let base = common::corpus().join("mud");
    for e in table().file.iter().filter(|e| e.strict == "valid") {
        let bytes = std::fs::read(base.join(&e.path)).unwrap();
        let s = warden_mud::load(&bytes, &ValidateOptions::default()).unwrap();
        let l = warden_mud::load(&bytes, &ValidateOptions::legacy()).unwrap();
        let ctx = Context::default();
        let (ps, pl) = (
            warden_mud::resolve(&s.mud, &ctx),
            warden_mud::resolve(&l.mud, &ctx),
        );
        assert_eq!(ps.rules(), pl.rules(), "{}", e.path);
    }
}

#[test]
fn every_valid_corpus_file_compiles_to_a_ruleset_nft_accepts() {
    let ctx_s = std::fs::read_to_string(common::repo().join("samples/context.toml")).unwrap();
    let ctx = Context::from_toml(&ctx_s).unwrap();
    let base = common::corpus().join("mud");
    let ns = common::Netns::new("corpus");
    let dir = std::env::temp_dir().join(format!("warden-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let device = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10,fd00:1::10").unwrap();
    let mut checked = 0;
    let mut all = Vec::new();
    let mut policies = Vec::new();
    for e in table().file.iter().filter(|e| e.legacy == "valid") {
        let bytes = std::fs::read(base.join(&e.path)).unwrap();
        let v = warden_mud::load(&bytes, &ValidateOptions::legacy()).unwrap();
        policies.push((e.path.clone(), warden_mud::resolve(&v.mud, &ctx)));
    }
    for (path, policy) in &policies {
        let rs = warden_nft::compile(
            &[warden_nft::DevicePolicy {
                device: device.clone(),
                policy,
            }],
            &warden_nft::Options::default(),
        )
        .unwrap();
        let jf = dir.join("r.json");
        let tf = dir.join("r.nft");
        std::fs::write(&jf, &rs.json).unwrap();
        std::fs::write(&tf, rs.text()).unwrap();
        if let Err(e) = ns.nft_check(&jf, true) {
            panic!("nft -c -j rejected the ruleset of {path}: {e}");
        }
        if let Err(e) = ns.nft_check(&tf, false) {
            panic!(
                "nft -c rejected the text ruleset of {path}: {e}\n{}",
                rs.text()
            );
        }
        checked += 1;
        all.push(policy);
    }
    assert_eq!(
        checked,
        policies.len(),
        "every legacy-valid file is checked"
    );
    assert!(
        checked >= 88,
        "88 corpus files validate in legacy mode, {checked} were compiled"
    );
    // All of them at once, one device each: the gateway's real shape.
    let devs: Vec<_> = all
        .iter()
        .enumerate()
        .map(|(i, p)| warden_nft::DevicePolicy {
            device: warden_nft::Device::parse(&format!("02:00:00:00:01:{i:02x},10.9.0.{}", i + 1))
                .unwrap(),
            policy: p,
        })
        .collect();
    let rs = warden_nft::compile(&devs, &warden_nft::Options::default()).unwrap();
    let jf = dir.join("all.json");
    std::fs::write(&jf, &rs.json).unwrap();
    ns.nft_check(&jf, true).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Truncated and bit-flipped versions of every corpus file go through the
/// whole pipeline without a panic (the fuzzers explore further).
#[test]
fn mangled_corpus_files_never_panic() {
    let base = common::corpus().join("mud");
    let ctx = Context::from_toml(
        &std::fs::read_to_string(common::repo().join("samples/context.toml")).unwrap(),
    )
    .unwrap();
    let dev = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10").unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for e in table().file {
        let bytes = std::fs::read(base.join(&e.path)).unwrap();
        let mut variants = Vec::new();
        for k in 1..8 {
            variants.push(bytes[..bytes.len() * k / 8].to_vec());
        }
        for _ in 0..16 {
            let mut b = bytes.clone();
            let i = (next() as usize) % b.len();
            b[i] ^= 1 << (next() % 8);
            variants.push(b);
        }
        for v in variants {
            for opts in [ValidateOptions::default(), ValidateOptions::legacy()] {
                if let Ok(ok) = warden_mud::load(&v, &opts) {
                    let _ = warden_mud::explain(&ok.mud);
                    let p = warden_mud::resolve(&ok.mud, &ctx);
                    let rs = warden_nft::compile(
                        &[warden_nft::DevicePolicy {
                            device: dev.clone(),
                            policy: &p,
                        }],
                        &Default::default(),
                    )
                    .unwrap();
                    serde_json::from_str::<serde_json::Value>(&rs.json).unwrap();
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 4000, "{runs}");
}
