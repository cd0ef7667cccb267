//! The maker's side of MUD: a strict MUD file from a traffic profile
//! (`warden profile`) and what only the maker knows (name, model,
//! documentation, support status, where its SBOM and vulnerability reports
//! are, RFC 9472), ready to sign ([`crate::signature::sign`]) and publish.
//!
//! The profile's access lists are kept as they are; the file is validated
//! in the strict dialect before it is returned, so a maker cannot publish
//! what gateways would refuse.

use crate::error::MudError;
use crate::validate::{load, Dialect, ValidateOptions};
use serde_json::{json, Map, Value};

/// What the maker says about the device.
#[derive(Debug, Clone, Default)]
pub struct MakerDetails {
    /// Where the file will be published (HTTPS): its `mud-url`.
    pub mud_url: String,
    /// Where its signature will be published (`mud-signature`); None: the
    /// file's URL with `.p7s` for its last extension.
    pub signature_url: Option<String>,
    pub mfg_name: String,
    pub model_name: String,
    pub systeminfo: Option<String>,
    pub documentation: Option<String>,
    pub firmware_rev: Option<String>,
    pub software_rev: Option<String>,
    /// Whether the maker still supports the device (`is-supported`).
    pub supported: bool,
    /// `last-update`, RFC 3339 (passed in: the caller owns the clock).
    pub last_update: String,
    /// Hours a gateway may cache the file (1-168; None: the RFC's 48).
    pub cache_validity: Option<u8>,
    /// RFC 9472: where the SBOM is, and where vulnerability reports are.
    pub sbom_url: Option<String>,
    pub vuln_urls: Vec<String>,
}

/// Why a MUD file could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MakerError {
    /// The profile is not a MUD file's JSON (it has no `ietf-mud:mud`).
    #[error("the profile has no `ietf-mud:mud` container: not a `warden profile` output")]
    NotAProfile,
    /// The file made does not validate (a detail the maker gave is wrong).
    #[error("the MUD file made does not validate: {0}")]
    Invalid(#[from] MudError),
}

/// The signature's URL beside the file's: `.../device.json` → `.../device.p7s`.
pub fn signature_url_for(mud_url: &str) -> String {
    let (base, query) = mud_url.split_once('?').unwrap_or((mud_url, ""));
    let cut = base.rfind('/').map_or(0, |i| i + 1);
    let stem = match base[cut..].rfind('.') {
        Some(dot) => &base[..cut + dot],
        None => base,
    };
    let mut out = format!("{stem}.p7s");
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The profile with the maker's details, validated (strict). The result is
/// the JSON to publish.
pub fn new_mud_file(profile: &Value, d: &MakerDetails) -> Result<Value, MakerError> {
    let mut doc = profile.clone();
    let mud = doc
        .get_mut("ietf-mud:mud")
        .and_then(Value::as_object_mut)
        .ok_or(MakerError::NotAProfile)?;
    let mut meta = Map::new();
    meta.insert("mud-version".into(), json!(1));
    meta.insert("mud-url".into(), json!(d.mud_url));
    meta.insert(
        "mud-signature".into(),
        json!(d
            .signature_url
            .clone()
            .unwrap_or_else(|| signature_url_for(&d.mud_url))),
    );
    meta.insert("last-update".into(), json!(d.last_update));
    meta.insert(
        "cache-validity".into(),
        json!(d.cache_validity.unwrap_or(48)),
    );
    meta.insert("is-supported".into(), json!(d.supported));
    let systeminfo = d
        .systeminfo
        .clone()
        .unwrap_or_else(|| format!("{} {}", d.mfg_name, d.model_name));
    meta.insert("systeminfo".into(), json!(systeminfo));
    meta.insert("mfg-name".into(), json!(d.mfg_name));
    meta.insert("model-name".into(), json!(d.model_name));
    for (key, v) in [
        ("documentation", &d.documentation),
        ("firmware-rev", &d.firmware_rev),
        ("software-rev", &d.software_rev),
    ] {
        if let Some(v) = v {
            meta.insert(key.into(), json!(v));
        }
    }
    if d.sbom_url.is_some() || !d.vuln_urls.is_empty() {
        let mut t = Map::new();
        if let Some(u) = &d.sbom_url {
            t.insert("sbom-url".into(), json!(u));
        }
        if !d.vuln_urls.is_empty() {
            t.insert("vuln-url".into(), json!(d.vuln_urls));
        }
        meta.insert("extensions".into(), json!(["transparency"]));
        meta.insert(
            "ietf-mud-transparency:transparency".into(),
            Value::Object(t),
        );
    }
    // The maker's details first, then the profile's policies, each once.
    for (k, v) in std::mem::take(mud) {
        if !meta.contains_key(&k) && !is_maker_key(&k) {
            meta.insert(k, v);
        }
    }
    *mud = meta;
    let bytes = serde_json::to_vec(&doc).map_err(|_| MakerError::NotAProfile)?;
    load(
        &bytes,
        &ValidateOptions {
            dialect: Dialect::Strict,
            ..Default::default()
        },
    )?;
    Ok(doc)
}

/// Keys of the profile that the maker's details replace.
fn is_maker_key(k: &str) -> bool {
    matches!(
        k,
        "mud-version"
            | "mud-url"
            | "mud-signature"
            | "last-update"
            | "cache-validity"
            | "is-supported"
            | "systeminfo"
            | "mfg-name"
            | "model-name"
            | "documentation"
            | "firmware-rev"
            | "software-rev"
            | "extensions"
            | "ietf-mud-transparency:transparency"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> MakerDetails {
        MakerDetails {
            mud_url: "https://mud.example.com/bulb/v1.json".into(),
            mfg_name: "Example Lighting".into(),
            model_name: "Bulb 2".into(),
            documentation: Some("https://example.com/bulb".into()),
            supported: true,
            last_update: "2026-12-04T00:00:00Z".into(),
            sbom_url: Some("https://example.com/bulb/sbom.json".into()),
            vuln_urls: vec!["https://example.com/bulb/csaf.json".into()],
            ..Default::default()
        }
    }

    #[test]
    fn the_signature_lives_beside_the_file() {
        assert_eq!(
            signature_url_for("https://m.example/a/device.json"),
            "https://m.example/a/device.p7s"
        );
        assert_eq!(
            signature_url_for("https://m.example/a.b/device"),
            "https://m.example/a.b/device.p7s"
        );
        assert_eq!(
            signature_url_for("https://m.example/d.json?v=2"),
            "https://m.example/d.p7s?v=2"
        );
    }

    #[test]
    fn a_profile_becomes_a_strict_file_with_the_makers_details() {
        let profile = json!({"ietf-mud:mud": {
            "mud-version": 1, "mud-url": "https://example.invalid/warden-generated/x",
            "last-update": "2026-01-01T00:00:00Z", "is-supported": true,
            "systeminfo": "observed traffic", "from-device-policy": {"access-lists": {"access-list": []}},
            "to-device-policy": {"access-lists": {"access-list": []}}},
            "ietf-access-control-list:acls": {"acl": []}});
        let doc = new_mud_file(&profile, &details()).unwrap();
        let m = &doc["ietf-mud:mud"];
        assert_eq!(m["mud-url"], "https://mud.example.com/bulb/v1.json");
        assert_eq!(m["mud-signature"], "https://mud.example.com/bulb/v1.p7s");
        assert_eq!(m["mfg-name"], "Example Lighting");
        assert_eq!(m["extensions"], json!(["transparency"]));
        assert_eq!(
            m["ietf-mud-transparency:transparency"]["sbom-url"],
            "https://example.com/bulb/sbom.json"
        );
        let v = load(
            &serde_json::to_vec(&doc).unwrap(),
            &ValidateOptions::default(),
        )
        .unwrap();
        assert_eq!(v.mud.meta().mfg_name.as_deref(), Some("Example Lighting"));
    }

    #[test]
    fn a_wrong_detail_is_refused_with_its_place() {
        let profile =
            json!({"ietf-mud:mud": {"from-device-policy": {"access-lists": {"access-list": []}}}});
        let mut d = details();
        d.mud_url = "http://plain.example/x.json".into();
        let e = new_mud_file(&profile, &d).unwrap_err().to_string();
        assert!(e.contains("mud-url"), "{e}");
        assert!(matches!(
            new_mud_file(&json!({"x": 1}), &details()),
            Err(MakerError::NotAProfile)
        ));
    }
}
