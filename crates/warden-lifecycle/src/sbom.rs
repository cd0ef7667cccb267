//! Software bills of materials: what a device's software is made of.
//!
//! CycloneDX JSON 1.3 to 1.5 is read with `cyclonedx-bom`, and XML 1.3 to
//! 1.5 too; CycloneDX JSON 1.6 and later, which that crate does not read
//! yet, through a narrow view of the fields warden uses (name, version,
//! purl, nested components), and the result says so. SPDX 2.2/2.3 JSON is
//! read with `spdx-rs` (packages, their versions and their `purl` external
//! references). Everything becomes the same [`Component`] list.

use serde::Deserialize;

/// The largest SBOM warden reads (bytes).
pub const MAX_SBOM_BYTES: usize = 16 << 20;
/// The most components one SBOM may list.
pub const MAX_COMPONENTS: usize = 100_000;

/// One piece of a device's software.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Component {
    pub name: String,
    pub version: Option<String>,
    /// Package URL, when the SBOM gives one (matching needs it).
    pub purl: Option<String>,
}

/// A read SBOM.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sbom {
    /// "CycloneDX 1.4", "SPDX-2.3", ...
    pub format: String,
    /// How it was read: the crate's name, or warden's narrow view.
    pub reader: &'static str,
    /// What the SBOM describes (its metadata component or document name).
    pub subject: Option<String>,
    pub components: Vec<Component>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SbomError {
    #[error("the SBOM is {0} bytes; warden reads at most {MAX_SBOM_BYTES}")]
    TooLarge(usize),
    #[error("not an SBOM warden reads: {0}")]
    Unknown(String),
    #[error("{format}: {why}")]
    Invalid { format: String, why: String },
    #[error("more than {MAX_COMPONENTS} components")]
    TooManyComponents,
}

/// Reads a CycloneDX (JSON or XML) or SPDX (JSON) document.
pub fn read(bytes: &[u8]) -> Result<Sbom, SbomError> {
    if bytes.len() > MAX_SBOM_BYTES {
        return Err(SbomError::TooLarge(bytes.len()));
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_some_and(|i| bytes[i] == b'<') {
        return read_cyclonedx_xml(bytes);
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| SbomError::Invalid {
        format: "JSON".into(),
        why: e.to_string(),
    })?;
    if v.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
        read_cyclonedx_json(v)
    } else if let Some(ver) = v.get("spdxVersion").and_then(|f| f.as_str()) {
        let format = ver.to_string();
        let doc: spdx_rs::models::SPDX =
            serde_json::from_value(v).map_err(|e| SbomError::Invalid {
                format: format.clone(),
                why: e.to_string(),
            })?;
        let mut components = Vec::new();
        for p in &doc.package_information {
            let purl = p
                .external_reference
                .iter()
                .find(|r| r.reference_type == "purl")
                .map(|r| r.reference_locator.clone());
            components.push(Component {
                name: p.package_name.clone(),
                version: p.package_version.clone(),
                purl,
            });
        }
        finish(Sbom {
            format,
            reader: "spdx-rs",
            subject: Some(doc.document_creation_information.document_name.clone()),
            components,
        })
    } else {
        Err(SbomError::Unknown(
            "neither bomFormat \"CycloneDX\" nor spdxVersion".into(),
        ))
    }
}

fn finish(mut s: Sbom) -> Result<Sbom, SbomError> {
    if s.components.len() > MAX_COMPONENTS {
        return Err(SbomError::TooManyComponents);
    }
    s.components.sort();
    s.components.dedup();
    Ok(s)
}

fn from_cyclonedx(bom: cyclonedx_bom::models::bom::Bom, format: String) -> Result<Sbom, SbomError> {
    fn walk(cs: &[cyclonedx_bom::models::component::Component], out: &mut Vec<Component>) -> bool {
        for c in cs {
            if out.len() > MAX_COMPONENTS {
                return false;
            }
            out.push(Component {
                name: match &c.group {
                    Some(g) if !g.to_string().is_empty() => format!("{g}/{}", c.name),
                    _ => c.name.to_string(),
                },
                version: c.version.as_ref().map(|v| v.to_string()),
                purl: c.purl.as_ref().map(|p| p.to_string()),
            });
            if let Some(sub) = &c.components {
                if !walk(&sub.0, out) {
                    return false;
                }
            }
        }
        true
    }
    let mut components = Vec::new();
    if let Some(cs) = &bom.components {
        if !walk(&cs.0, &mut components) {
            return Err(SbomError::TooManyComponents);
        }
    }
    let subject = bom
        .metadata
        .as_ref()
        .and_then(|m| m.component.as_ref())
        .map(|c| match &c.version {
            Some(v) => format!("{} {v}", c.name),
            None => c.name.to_string(),
        });
    finish(Sbom {
        format,
        reader: "cyclonedx-bom",
        subject,
        components,
    })
}

fn read_cyclonedx_json(v: serde_json::Value) -> Result<Sbom, SbomError> {
    let spec = v
        .get("specVersion")
        .and_then(|s| s.as_str())
        .unwrap_or("?")
        .to_string();
    let format = format!("CycloneDX {spec}");
    match spec.as_str() {
        "1.3" | "1.4" | "1.5" => {
            let bom = cyclonedx_bom::models::bom::Bom::parse_json_value(v).map_err(|e| {
                SbomError::Invalid {
                    format: format.clone(),
                    why: e.to_string(),
                }
            })?;
            from_cyclonedx(bom, format)
        }
        s if s.starts_with("1.") && s[2..].parse::<u32>().is_ok_and(|m| m >= 6) => {
            read_narrow(v, format)
        }
        _ => Err(SbomError::Invalid {
            format,
            why: "warden reads CycloneDX 1.3 and later".into(),
        }),
    }
}

fn read_cyclonedx_xml(bytes: &[u8]) -> Result<Sbom, SbomError> {
    use cyclonedx_bom::models::bom::{Bom, SpecVersion};
    let text = std::str::from_utf8(bytes).map_err(|e| SbomError::Invalid {
        format: "XML".into(),
        why: e.to_string(),
    })?;
    let (spec, version) = if text.contains("http://cyclonedx.org/schema/bom/1.5") {
        ("1.5", SpecVersion::V1_5)
    } else if text.contains("http://cyclonedx.org/schema/bom/1.4") {
        ("1.4", SpecVersion::V1_4)
    } else if text.contains("http://cyclonedx.org/schema/bom/1.3") {
        ("1.3", SpecVersion::V1_3)
    } else {
        return Err(SbomError::Unknown(
            "XML, but not CycloneDX 1.3, 1.4 or 1.5".into(),
        ));
    };
    let format = format!("CycloneDX {spec} (XML)");
    let bom = Bom::parse_from_xml_with_version(bytes, version).map_err(|e| SbomError::Invalid {
        format: format.clone(),
        why: e.to_string(),
    })?;
    from_cyclonedx(bom, format)
}

/// CycloneDX 1.6+: only the fields matching uses.
fn read_narrow(v: serde_json::Value, format: String) -> Result<Sbom, SbomError> {
    #[derive(Deserialize)]
    struct C {
        name: String,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        purl: Option<String>,
        #[serde(default)]
        components: Vec<C>,
    }
    #[derive(Deserialize)]
    struct Meta {
        #[serde(default)]
        component: Option<C>,
    }
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        metadata: Option<Meta>,
        #[serde(default)]
        components: Vec<C>,
    }
    let doc: Doc = serde_json::from_value(v).map_err(|e| SbomError::Invalid {
        format: format.clone(),
        why: e.to_string(),
    })?;
    fn walk(cs: Vec<C>, out: &mut Vec<Component>, depth: usize) -> bool {
        for c in cs {
            if out.len() > MAX_COMPONENTS || depth > 64 {
                return false;
            }
            out.push(Component {
                name: match c.group.filter(|g| !g.is_empty()) {
                    Some(g) => format!("{g}/{}", c.name),
                    None => c.name,
                },
                version: c.version,
                purl: c.purl,
            });
            if !walk(c.components, out, depth + 1) {
                return false;
            }
        }
        true
    }
    let mut components = Vec::new();
    if !walk(doc.components, &mut components, 0) {
        return Err(SbomError::TooManyComponents);
    }
    let subject = doc
        .metadata
        .and_then(|m| m.component)
        .map(|c| match c.version {
            Some(v) => format!("{} {v}", c.name),
            None => c.name,
        });
    finish(Sbom {
        format,
        reader: "warden (CycloneDX 1.6+ narrow view)",
        subject,
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/data/sbom/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_real_cyclonedx_example_reads_with_its_purls() {
        let s = read(&data("laravel-7.12.0.cdx-1.4.json")).unwrap();
        assert_eq!(s.format, "CycloneDX 1.4");
        assert_eq!(s.reader, "cyclonedx-bom");
        assert!(s.components.len() > 50, "{}", s.components.len());
        assert!(s.components.iter().all(|c| c.purl.is_some()));
        assert!(s.components.iter().any(|c| c
            .purl
            .as_deref()
            .is_some_and(|p| p.starts_with("pkg:composer/"))));
    }

    #[test]
    fn the_real_spdx_examples_read_with_their_purls() {
        let s = read(&data("example11-sbom.spdx.json")).unwrap();
        assert_eq!(s.format, "SPDX-2.3");
        let tokio = s
            .components
            .iter()
            .find(|c| c.purl.as_deref() == Some("pkg:cargo/tokio@1.19.2"))
            .unwrap();
        assert_eq!(tokio.version.as_deref(), Some("1.19.2"));
        let acme = read(&data("ACME-v2.3.spdx.json")).unwrap();
        assert!(acme
            .components
            .iter()
            .any(|c| c.purl.as_deref() == Some("pkg:npm/elliptic@6.5.2")));
    }

    #[test]
    fn cyclonedx_1_6_reads_through_the_narrow_view() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"name":"cam","version":"2.1"}},
            "components":[{"name":"busybox","version":"1.36.1","purl":"pkg:generic/busybox@1.36.1",
            "components":[{"name":"inner","version":"1"}]}]}"#;
        let s = read(doc).unwrap();
        assert_eq!(s.subject.as_deref(), Some("cam 2.1"));
        assert_eq!(s.components.len(), 2);
        assert!(s.reader.contains("narrow"));
    }

    #[test]
    fn hostile_sboms_get_errors_not_panics() {
        assert!(matches!(read(b"{}"), Err(SbomError::Unknown(_))));
        assert!(matches!(read(b"\x00\xff"), Err(SbomError::Invalid { .. })));
        assert!(matches!(read(b"<x/>"), Err(SbomError::Unknown(_))));
        assert!(read(br#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":7}"#).is_err());
        assert!(read(br#"{"bomFormat":"CycloneDX","specVersion":"0.9"}"#).is_err());
        assert!(read(br#"{"spdxVersion":"SPDX-2.3"}"#).is_err());
        let deep = format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{}]}}"#,
            "{\"name\":\"a\",\"components\":[".repeat(100) + "]}".repeat(100).as_str()
        );
        assert!(read(deep.as_bytes()).is_err());
    }
}
