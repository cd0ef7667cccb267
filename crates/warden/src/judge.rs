//! Wiring for `warden analyze` with detection and MUD compliance, and for
//! `warden profile`: loads MUD files, contexts, blocklists and thresholds,
//! binds devices to MUD files, and renders the findings. The judgements
//! themselves live in `warden-detect`.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use warden_analyze::Report;
use warden_detect::{DevKey, DeviceCompliance, Engine};
use warden_mud::{Context, IpPrefix, MacAddr, ValidatedMud};

pub fn read_text(p: &Path) -> Result<String> {
    let b = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
    String::from_utf8(b).with_context(|| format!("{} is not UTF-8", p.display()))
}

pub fn load_context(p: Option<&Path>) -> Result<Context> {
    match p {
        Some(p) => Context::from_toml(&read_text(p)?)
            .with_context(|| format!("context file {}", p.display())),
        None => Ok(Context::default()),
    }
}

/// A loaded MUD file.
pub struct Mud {
    pub path: PathBuf,
    pub mud: ValidatedMud,
}

fn load_file(p: &Path, legacy: bool) -> Result<Mud> {
    let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
    let v = warden_mud::load(&bytes, &crate::flags::validate_options(legacy))
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    Ok(Mud {
        path: p.to_path_buf(),
        mud: v.mud,
    })
}

/// Loads `--mud` paths: a file must be valid; in a directory, every
/// `*.json` / `*.mud` file that validates is taken and the others are named
/// on stderr.
pub fn load_muds(paths: &[PathBuf], legacy: bool) -> Result<Vec<Mud>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json" || x == "mud"))
                .collect();
            files.sort();
            for f in files {
                match load_file(&f, legacy) {
                    Ok(m) => out.push(m),
                    Err(e) => eprintln!("warden: skipped {e:#}"),
                }
            }
        } else {
            out.push(load_file(p, legacy)?);
        }
    }
    Ok(out)
}

pub fn parse_mac(s: &str, what: &str) -> Result<[u8; 6]> {
    Ok(MacAddr::parse(s)
        .with_context(|| format!("{what} `{s}` is not a MAC address"))?
        .0)
}

/// Device → MUD file: `--bind MAC=FILE` first, then devices that announced
/// a MUD URL (DHCP, DHCPv6, LLDP) matched to the loaded file with that URL.
pub fn bind<'m>(
    report: &Report,
    muds: &'m [Mud],
    explicit: &'m [(DevKey, Mud)],
) -> (Vec<(DevKey, &'m Mud, String)>, Vec<String>) {
    let mut out: Vec<(DevKey, &Mud, String)> = explicit
        .iter()
        .map(|(d, m)| (*d, m, format!("--bind {}", m.path.display())))
        .collect();
    let mut notes = Vec::new();
    for d in &report.devices {
        let Some(mac) = d.mac.as_deref().and_then(MacAddr::parse) else {
            continue;
        };
        let key = DevKey::Mac(mac.0);
        if out.iter().any(|(k, _, _)| *k == key) {
            continue;
        }
        for url in &d.identity.mud_urls {
            match muds.iter().find(|m| m.mud.meta().mud_url == *url) {
                Some(m) => {
                    out.push((key, m, format!("announced {url}: {}", m.path.display())));
                    break;
                }
                None => notes.push(format!(
                    "{key} announced MUD URL {url}; no loaded MUD file has that mud-url"
                )),
            }
        }
    }
    (out, notes)
}

/// Checks every bound device; returns the compliance list and notes.
pub fn check_all(
    engine: &mut Engine,
    report: &Report,
    muds: &[Mud],
    explicit: &[(DevKey, Mud)],
    base: &Context,
    lan: &[IpPrefix],
) -> (Vec<DeviceCompliance>, Vec<String>) {
    let (ctx, mut notes) = engine.effective_context(base, lan);
    let (bound, more) = bind(report, muds, explicit);
    notes.extend(more);
    let mut list = Vec::new();
    for (dev, m, source) in bound {
        let policy = warden_mud::resolve(&m.mud, &ctx);
        list.push(engine.check(dev, &policy, &source));
    }
    (list, notes)
}

/// Checks a generated profile the way any MUD file is checked.
pub fn validate_generated(doc: &serde_json::Value) -> Result<()> {
    let bytes = serde_json::to_vec(doc)?;
    if let Err(e) = warden_mud::load(&bytes, &crate::flags::validate_options(false)) {
        bail!("internal error: the generated profile does not validate: {e}");
    }
    Ok(())
}
