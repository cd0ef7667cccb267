//! The detection evaluation: every detector over labelled captures (the
//! corpus's attack and benign captures, and the synthetic ones of
//! [`crate::attacks`]), and a table of expected against found.
//!
//! Labels live in `bench/detect/labels.toml`:
//!
//! ```toml
//! [[capture]]
//! file = "pcap/ndpi/synscan.pcap"     # under the corpus root, or
//!                                     # "warden:bench/detect/pcap/x.pcap" in the repository
//! class = "attack"                    # attack | benign | not-covered
//! expect = ["scan.vertical"]          # kinds that must be found
//! role = "source"                     # optional: the device's part in them
//! note = "nmap SYN scan of scanme.nmap.org"
//!
//! [[capture]]
//! synthetic = "mirai-telnet-scan"     # a scenario of warden_bench::attacks
//! class = "attack"
//! expect = ["scan.horizontal"]
//! ```
//!
//! Goals: an attack passes when every expected kind is found; a benign
//! capture passes when no alert of medium or higher severity is raised.
//! `not-covered` rows are attacks no detector is meant to catch; they are
//! shown, never counted as passes.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use warden_detect::{Alert, Engine, Severity};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub file: Option<String>,
    pub synthetic: Option<String>,
    pub class: String,
    #[serde(default)]
    pub expect: Vec<String>,
    #[serde(default)]
    pub lan: Vec<String>,
    /// The local device's part the expected kinds must have: source | target.
    pub role: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    capture: Vec<Label>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub label: Label,
    /// (kind, severity, device, role)
    pub found: Vec<(String, Severity, String, String)>,
    pub packets: u64,
    pub pass: Option<bool>,
    pub why: String,
}

pub fn load_labels(path: &Path) -> Result<Vec<Label>, String> {
    let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let l: Labels = toml::from_str(&s).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(l.capture)
}

/// Runs the traffic engine with every detector over one capture.
pub fn detect(path: &Path, lan: &[String]) -> Result<(u64, Vec<Alert>), String> {
    let mut opts = warden_analyze::Options::default();
    for l in lan {
        opts.lan
            .push(warden_addr::IpPrefix::parse(l).map_err(|e| format!("--lan {l}: {e}"))?);
    }
    let mut a =
        warden_analyze::Analyzer::with_sink(opts, Engine::new(warden_detect::Options::default()));
    let mut src =
        warden_capture::open_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    loop {
        match src.next_packet() {
            Ok(Some(p)) => a.observe(&p),
            Ok(None) => break,
            Err(e) => {
                a.capture_error(&path.display().to_string(), &e);
                break;
            }
        }
    }
    let (r, engine) = a.finish_with_sink();
    Ok((r.packets, engine.finish().alerts))
}

/// Evaluates every label; synthetic captures are written into `synth_dir`.
pub fn evaluate(labels: &[Label], corpus: &Path, synth_dir: &Path) -> Result<Vec<Row>, String> {
    std::fs::create_dir_all(synth_dir).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for l in labels {
        let (name, path): (String, PathBuf) = match (&l.file, &l.synthetic) {
            // `warden:PATH` is a capture recorded for this project and kept
            // in the repository (bench/detect/pcap/, with its provenance).
            (Some(f), None) => match f.strip_prefix("warden:") {
                Some(rel) => (
                    f.clone(),
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../..")
                        .join(rel),
                ),
                None => (f.clone(), corpus.join(f)),
            },
            (None, Some(s)) => {
                let p = synth_dir.join(format!("{s}.pcap"));
                let f = std::fs::File::create(&p).map_err(|e| e.to_string())?;
                crate::attacks::write(s, std::io::BufWriter::new(f), 0x5eed)
                    .ok_or(format!("no synthetic scenario {s}"))?
                    .map_err(|e| e.to_string())?;
                (format!("synthetic: {s}"), p)
            }
            _ => {
                return Err(format!(
                    "label needs exactly one of file / synthetic: {l:?}"
                ))
            }
        };
        let (packets, alerts) = detect(&path, &l.lan)?;
        let found: Vec<(String, Severity, String, String)> = alerts
            .iter()
            .map(|a| {
                (
                    a.kind.name().to_string(),
                    a.severity,
                    a.device.clone(),
                    a.role.as_str().to_string(),
                )
            })
            .collect();
        let (pass, why) = match l.class.as_str() {
            "attack" => {
                let missing: Vec<&String> = l
                    .expect
                    .iter()
                    .filter(|k| {
                        !found
                            .iter()
                            .any(|f| &f.0 == *k && l.role.as_ref().is_none_or(|r| *r == f.3))
                    })
                    .collect();
                if missing.is_empty() {
                    (Some(true), "every expected kind found".to_string())
                } else {
                    (Some(false), format!("missing {missing:?}"))
                }
            }
            "benign" => {
                let loud: Vec<String> = found
                    .iter()
                    .filter(|f| f.1 >= Severity::Medium)
                    .map(|f| format!("{} ({})", f.0, f.1.as_str()))
                    .collect();
                if loud.is_empty() {
                    (Some(true), "no alert of medium or higher".to_string())
                } else {
                    (Some(false), format!("false alarms: {}", loud.join(", ")))
                }
            }
            _ => (
                None,
                "not covered by a detector (shown, not scored)".to_string(),
            ),
        };
        rows.push(Row {
            name,
            label: l.clone(),
            found,
            packets,
            pass,
            why,
        });
    }
    Ok(rows)
}

/// The table: per capture, expected against found; then per detector.
pub fn table(rows: &[Row]) -> String {
    let mut t = format!(
        "{:<62} {:<8} {:<28} {:<48} {}\n",
        "capture", "class", "expected", "found (severity)", "result"
    );
    for r in rows {
        let mut found: Vec<String> = r
            .found
            .iter()
            .map(|f| format!("{}({})", f.0, &f.1.as_str()[..1]))
            .collect();
        found.sort();
        found.dedup();
        let res = match r.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "-",
        };
        t += &format!(
            "{:<62} {:<8} {:<28} {:<48} {res}\n",
            trunc(&r.name, 62),
            r.label.class,
            if r.label.expect.is_empty() {
                "-".to_string()
            } else {
                r.label.expect.join(",")
            },
            if found.is_empty() {
                "-".to_string()
            } else {
                found.join(",")
            },
        );
    }
    t += "\nper detector: attacks expected / found; alerts of medium+ on benign captures\n";
    let mut kinds: Vec<&str> = warden_detect::Kind::ALL.iter().map(|k| k.name()).collect();
    kinds.sort();
    for k in kinds {
        let expected = rows
            .iter()
            .filter(|r| r.label.class == "attack" && r.label.expect.iter().any(|e| e == k))
            .count();
        let found = rows
            .iter()
            .filter(|r| {
                r.label.class == "attack"
                    && r.label.expect.iter().any(|e| e == k)
                    && r.found.iter().any(|f| f.0 == k)
            })
            .count();
        let false_alarms = rows
            .iter()
            .filter(|r| {
                r.label.class == "benign"
                    && r.found.iter().any(|f| f.0 == k && f.1 >= Severity::Medium)
            })
            .count();
        let low_on_benign = rows
            .iter()
            .filter(|r| {
                r.label.class == "benign"
                    && r.found.iter().any(|f| f.0 == k && f.1 < Severity::Medium)
            })
            .count();
        t += &format!(
            "  {k:<24} {found:>2} / {expected:<2} found   {false_alarms} false alarms   {low_on_benign} low-severity notes on benign\n"
        );
    }
    let scored: Vec<&Row> = rows.iter().filter(|r| r.pass.is_some()).collect();
    let passed = scored.iter().filter(|r| r.pass == Some(true)).count();
    t += &format!("\n{passed} of {} scored captures pass\n", scored.len());
    t
}

fn trunc(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        format!("…{}", &s[s.len() - (n - 1)..])
    }
}
