//! `RawMud` → `ValidatedMud`. The only place a `ValidatedMud` is built.
//!
//! One walk over the JSON tree checks every constraint of RFC 8520, the parts
//! of RFC 8519 that MUD uses, `ietf-acldns` and RFC 9472, and collects every
//! problem with its JSON pointer instead of stopping at the first.
//!
//! Two dialects: [`Dialect::Strict`] is the RFC; [`Dialect::Legacy`] accepts
//! what real pre-RFC files contain (root `access-lists`, osMUD draft leaf
//! names, `eth` matches inside IPv4 ACLs, hex-string ethertypes, the
//! unregistered `urn:ietf:params:mud:gateway` controller, `[]` for empty
//! leaves) and turns each such leniency into a warning naming its place.
//! Neither dialect ignores an unknown leaf inside an ACE: a match condition
//! that is silently dropped widens access.

use crate::error::{Check, Diagnostic, MudError};
use crate::model::*;
use crate::raw::RawMud;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Which MUD dialect to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// RFC 8520 / RFC 8519 only. The gateway's default.
    #[default]
    Strict,
    /// Also the pre-RFC constructs found in published files, each reported
    /// as a warning.
    Legacy,
}

/// What validation checks against, besides the document itself.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    pub dialect: Dialect,
    /// The URL the file was fetched from; when set, `mud-url` must equal it.
    pub source_url: Option<String>,
    /// Cap on ACLs in one file.
    pub max_acls: usize,
    /// Cap on ACEs summed over all ACLs.
    pub max_aces: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            dialect: Dialect::Strict,
            source_url: None,
            max_acls: 256,
            max_aces: 8192,
        }
    }
}

impl ValidateOptions {
    pub fn legacy() -> Self {
        ValidateOptions {
            dialect: Dialect::Legacy,
            ..Default::default()
        }
    }
}

/// A validated MUD file and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Validated {
    pub mud: ValidatedMud,
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates in one call.
pub fn load(bytes: &[u8], opts: &ValidateOptions) -> Result<Validated, MudError> {
    let raw = RawMud::parse(bytes, crate::raw::DEFAULT_MAX_BYTES)?;
    validate(&raw, opts)
}

/// Validates a parsed document. All errors are reported together.
pub fn validate(raw: &RawMud, opts: &ValidateOptions) -> Result<Validated, MudError> {
    let mut w = Walker {
        opts,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mud = w.document(&raw.json);
    match mud {
        Some(mud) if w.errors.is_empty() => Ok(Validated {
            mud,
            warnings: w.warnings,
        }),
        _ => {
            if w.errors.is_empty() {
                // Defensive: a None without an error would be a walker bug.
                w.error("", Check::NotMud, "the document could not be read as MUD");
            }
            Err(MudError::Invalid {
                errors: w.errors,
                warnings: w.warnings,
            })
        }
    }
}

/// Appends a member name to a JSON pointer (RFC 6901 escaping).
pub fn ptr(base: &str, key: &str) -> String {
    let mut s = String::with_capacity(base.len() + key.len() + 1);
    s.push_str(base);
    s.push('/');
    if !key.bytes().any(|b| b == b'~' || b == b'/') {
        s.push_str(key);
        return s;
    }
    for c in key.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

fn idx(base: &str, i: usize) -> String {
    format!("{base}/{i}")
}

const MUD: &str = "ietf-mud:mud";
const ACLS: &str = "ietf-access-control-list:acls";
const ACLS_LEGACY: &str = "ietf-access-control-list:access-lists";
/// Controller classes registered by RFC 8520 §16.
const REGISTERED_URNS: &[&str] = &["urn:ietf:params:mud:dns", "urn:ietf:params:mud:ntp"];
/// Modules whose members we understand; anything else qualified is an extension.
const KNOWN_MODULES: &[&str] = &[
    "ietf-mud",
    "ietf-access-control-list",
    "ietf-acldns",
    "ietf-mud-transparency",
    "ietf-mud-tls",
    "ietf-acl-tls",
];

struct Walker<'o> {
    opts: &'o ValidateOptions,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// An object being read: remembers which members were consumed so that the
/// rest can be reported.
struct Obj<'v> {
    map: &'v Map<String, Value>,
    ptr: String,
    used: Vec<&'v str>,
}

impl<'v> Obj<'v> {
    fn take(&mut self, key: &str) -> Option<(&'v Value, String)> {
        // Every member consumed: the many optional and legacy names that
        // are asked for next cannot be there.
        if self.used.len() == self.map.len() {
            return None;
        }
        let (k, v) = self.map.get_key_value(key)?;
        self.used.push(k.as_str());
        Some((v, ptr(&self.ptr, key)))
    }
}

/// What to do with members nobody consumed.
#[derive(Clone, Copy)]
enum Rest {
    /// Error in both dialects (inside ACEs: ignoring would widen access).
    Fatal,
    /// Error in strict, warning in legacy.
    Lenient,
    /// Module-qualified foreign members are extensions (warned, recorded);
    /// others as `Lenient`.
    MudContainer,
}

impl<'o> Walker<'o> {
    fn error(&mut self, p: &str, check: Check, m: impl Into<String>) {
        self.errors.push(Diagnostic {
            pointer: p.to_string(),
            check,
            message: m.into(),
        });
    }
    fn warn(&mut self, p: &str, check: Check, m: impl Into<String>) {
        self.warnings.push(Diagnostic {
            pointer: p.to_string(),
            check,
            message: m.into(),
        });
    }
    fn legacy(&self) -> bool {
        self.opts.dialect == Dialect::Legacy
    }
    /// A pre-RFC construct: a warning in legacy mode, an error in strict.
    /// Returns whether to go on using the construct.
    fn lenient(&mut self, p: &str, check: Check, m: impl Into<String>) -> bool {
        let m = m.into();
        if self.legacy() {
            self.warn(p, check, m);
            true
        } else {
            self.error(
                p,
                check,
                format!("{m} (accepted only with the legacy dialect, --legacy)"),
            );
            false
        }
    }

    fn obj<'v>(&mut self, v: &'v Value, p: &str, what: &str) -> Option<Obj<'v>> {
        match v {
            Value::Object(map) => Some(Obj {
                map,
                ptr: p.to_string(),
                used: Vec::new(),
            }),
            _ => {
                self.error(
                    p,
                    Check::WrongType,
                    format!("{what} must be a JSON object, found {}", kind(v)),
                );
                None
            }
        }
    }

    /// Takes `key`, or one of its pre-RFC spellings (with a legacy warning).
    fn take_alias<'v>(
        &mut self,
        o: &mut Obj<'v>,
        key: &str,
        aliases: &[&str],
    ) -> Option<(&'v Value, String)> {
        if let Some(x) = o.take(key) {
            return Some(x);
        }
        for a in aliases {
            if let Some((v, p)) = o.take(a) {
                // In strict mode this is an error, but the walk goes on
                // below it so that every problem is reported at once.
                self.lenient(
                    &p,
                    Check::LegacyDialect,
                    format!("`{a}` is a pre-RFC name for `{key}`"),
                );
                return Some((v, p));
            }
        }
        None
    }

    fn finish(&mut self, o: Obj<'_>, rest: Rest, ext: &mut Vec<String>) {
        for k in o.map.keys() {
            if o.used.contains(&k.as_str()) {
                continue;
            }
            let p = ptr(&o.ptr, k);
            let module = k.split_once(':').map(|(m, _)| m);
            match (rest, module) {
                (Rest::MudContainer, Some(m)) if !KNOWN_MODULES.contains(&m) => {
                    self.warn(
                        &p,
                        Check::UnknownExtension,
                        format!("`{k}` belongs to module `{m}`, which warden does not implement; it is ignored"),
                    );
                    ext.push(k.clone());
                }
                (Rest::Fatal, _) => self.error(
                    &p,
                    Check::UnknownLeaf,
                    format!("`{k}` is not a leaf of this container; warden will not guess what it restricts"),
                ),
                _ => {
                    self.lenient(&p, Check::UnknownLeaf, format!("`{k}` is not a leaf of this container"));
                }
            }
        }
    }

    fn string<'v>(&mut self, v: &'v Value, p: &str) -> Option<&'v str> {
        match v {
            Value::String(s) => Some(s),
            _ => {
                self.error(
                    p,
                    Check::WrongType,
                    format!("expected a string, found {}", kind(v)),
                );
                None
            }
        }
    }

    /// An unsigned integer leaf with its YANG range. JSON numbers only; a
    /// quoted number is a legacy leniency.
    fn uint(&mut self, v: &Value, p: &str, max: u64, what: &str) -> Option<u64> {
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
                if !self.lenient(
                    p,
                    Check::WrongType,
                    format!("{what} is written as the string \"{s}\" instead of a number"),
                ) {
                    return None;
                }
                s.parse().ok()
            }
            _ => {
                self.error(
                    p,
                    Check::WrongType,
                    format!("{what} must be a number, found {}", kind(v)),
                );
                return None;
            }
        };
        match n {
            Some(n) if n <= max => Some(n),
            _ => {
                self.error(
                    p,
                    Check::Range,
                    format!("{what} must be between 0 and {max}, found {v}"),
                );
                None
            }
        }
    }

    fn uri(&mut self, v: &Value, p: &str) -> Option<String> {
        let s = self.string(v, p)?;
        match url::Url::parse(s) {
            Ok(_) => Some(s.to_string()),
            Err(e) => {
                self.error(p, Check::Uri, format!("`{s}` is not a URI ({e})"));
                None
            }
        }
    }

    /// A YANG `empty` leaf: JSON `[null]`. Legacy files also write `[]`,
    /// `null`, `true` or `{}`.
    fn empty_leaf(&mut self, v: &Value, p: &str, name: &str) -> bool {
        match v {
            Value::Array(a) if a.len() == 1 && a.first() == Some(&Value::Null) => true,
            Value::Array(a) if a.is_empty() => self.lenient(
                p,
                Check::WrongType,
                format!("the empty leaf `{name}` is written as [] instead of [null]"),
            ),
            Value::Null | Value::Bool(true) => self.lenient(
                p,
                Check::WrongType,
                format!("the empty leaf `{name}` is written as {v} instead of [null]"),
            ),
            Value::Object(o) if o.is_empty() => self.lenient(
                p,
                Check::WrongType,
                format!("the empty leaf `{name}` is written as {{}} instead of [null]"),
            ),
            _ => {
                self.error(
                    p,
                    Check::WrongType,
                    format!("`{name}` is an empty leaf and must be written [null], found {v}"),
                );
                false
            }
        }
    }

    fn document(&mut self, root: &Value) -> Option<ValidatedMud> {
        let mut none = Vec::new();
        let Value::Object(map) = root else {
            self.error(
                "",
                Check::NotMud,
                format!("a MUD file is a JSON object, found {}", kind(root)),
            );
            return None;
        };
        let mut o = Obj {
            map,
            ptr: String::new(),
            used: Vec::new(),
        };
        let Some((mud_v, mud_p)) = o.take(MUD) else {
            self.error(
                "",
                Check::NotMud,
                "there is no `ietf-mud:mud` container: this is not a MUD file",
            );
            return None;
        };
        let mut acls_v = self.take_alias(&mut o, ACLS, &[ACLS_LEGACY]);
        self.finish(o, Rest::MudContainer, &mut none);

        let (meta, from_device, to_device, nested) = self.mud_container(mud_v, &mud_p)?;
        if let Some((v, p)) = nested {
            // RFC 9761's own example nests the ACLs in the mud container
            // (an erratum: RFC 8520 makes them a second root object).
            let ok = self.lenient(
                &p,
                Check::LegacyDialect,
                "the ACLs are nested in `ietf-mud:mud`; RFC 8520 makes `ietf-access-control-list:acls` a root object beside it (as printed in RFC 9761's example, an erratum)",
            );
            // Walked in both dialects, so that every problem is reported
            // at once; strict has already failed the file.
            let _ = ok;
            if acls_v.is_none() {
                acls_v = Some((v, p));
            }
        }
        let acls = match acls_v {
            Some((v, p)) => self.acls(v, &p),
            None => Vec::new(),
        };

        // Policies must reference existing ACLs.
        let names: HashSet<&str> = acls.iter().map(|a| a.name.as_str()).collect();
        for (pol, list) in [
            ("from-device-policy", &from_device),
            ("to-device-policy", &to_device),
        ] {
            for (i, (name, p)) in list.iter().enumerate() {
                let _ = i;
                if !names.contains(name.as_str()) {
                    self.error(
                        p,
                        Check::DanglingAcl,
                        format!(
                            "{pol} references the ACL `{name}`, which the file does not define"
                        ),
                    );
                }
            }
        }
        Some(ValidatedMud {
            meta,
            from_device: from_device.into_iter().map(|(n, _)| n).collect(),
            to_device: to_device.into_iter().map(|(n, _)| n).collect(),
            acls,
            _sealed: Sealed,
        })
    }

    #[allow(clippy::type_complexity)]
    fn mud_container<'v>(
        &mut self,
        v: &'v Value,
        p: &str,
    ) -> Option<(
        MudMeta,
        Vec<(String, String)>,
        Vec<(String, String)>,
        Option<(&'v Value, String)>,
    )> {
        let mut o = self.obj(v, p, "`ietf-mud:mud`")?;
        let nested_acls = o.take(ACLS);

        let mud_version = match o.take("mud-version") {
            Some((v, p)) => match self.uint(v, &p, 255, "mud-version") {
                Some(1) => 1,
                Some(n) => {
                    self.error(
                        &p,
                        Check::MudVersion,
                        format!("mud-version must be 1, found {n}"),
                    );
                    n as u8
                }
                None => 0,
            },
            None => {
                self.error(&o.ptr, Check::Missing, "`mud-version` is mandatory");
                0
            }
        };

        let mud_url = match o.take("mud-url") {
            Some((v, p)) => self.mud_url(v, &p).unwrap_or_default(),
            None => {
                self.error(&o.ptr, Check::Missing, "`mud-url` is mandatory");
                String::new()
            }
        };

        let last_update = match o.take("last-update") {
            Some((v, p)) => match self.string(v, &p) {
                Some(s) => {
                    if time::OffsetDateTime::parse(
                        s,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .is_err()
                    {
                        self.error(
                            &p,
                            Check::LastUpdate,
                            format!("`{s}` is not a date-and-time (RFC 3339, e.g. 2024-01-31T12:00:00Z)"),
                        );
                    }
                    s.to_string()
                }
                None => String::new(),
            },
            None => {
                self.error(&o.ptr, Check::Missing, "`last-update` is mandatory");
                String::new()
            }
        };

        let mud_signature = o.take("mud-signature").and_then(|(v, p)| {
            let s = self.uri(v, &p)?;
            if !s.starts_with("https://") {
                self.error(
                    &p,
                    Check::Uri,
                    format!("mud-signature must be an https URL, found `{s}`"),
                );
            }
            Some(s)
        });

        let cache_validity = match o.take("cache-validity") {
            Some((v, p)) => match self.uint(v, &p, u64::MAX, "cache-validity") {
                Some(n @ 1..=168) => n as u8,
                Some(n) => {
                    self.error(
                        &p,
                        Check::CacheValidity,
                        format!("cache-validity is in hours and must be 1..168, found {n}"),
                    );
                    48
                }
                None => 48,
            },
            None => 48,
        };

        let is_supported = match o.take("is-supported") {
            Some((Value::Bool(b), _)) => *b,
            Some((v, p)) => {
                self.error(
                    &p,
                    Check::WrongType,
                    format!("is-supported must be true or false, found {v}"),
                );
                false
            }
            None => {
                self.error(&o.ptr, Check::Missing, "`is-supported` is mandatory");
                false
            }
        };

        let text = |w: &mut Self,
                    o: &mut Obj<'_>,
                    key: &str,
                    max: Option<usize>|
         -> Option<String> {
            let (v, p) = o.take(key)?;
            let s = w.string(v, &p)?;
            if let Some(max) = max {
                let n = s.chars().count();
                if n == 0 || n > max {
                    // RFC 8520 bounds the text shown to users; a longer
                    // one changes nothing that is enforced, and the RFC
                    // author's own MUD maker writes them: a warning in
                    // both dialects.
                    w.warn(
                            &p,
                            Check::Length,
                            format!("{key} should be 1..{max} characters (RFC 8520), found {n}; displays may cut it"),
                        );
                }
            }
            Some(s.to_string())
        };
        let systeminfo = text(self, &mut o, "systeminfo", Some(60));
        let mfg_name = text(self, &mut o, "mfg-name", None);
        let model_name = text(self, &mut o, "model-name", None);
        let firmware_rev = text(self, &mut o, "firmware-rev", None);
        let software_rev = text(self, &mut o, "software-rev", None);
        let documentation = o.take("documentation").and_then(|(v, p)| self.uri(v, &p));

        let mut extensions = Vec::new();
        if let Some((v, p)) = o.take("extensions") {
            match v {
                Value::Array(a) => {
                    for (i, e) in a.iter().enumerate() {
                        let ep = idx(&p, i);
                        if let Some(s) = self.string(e, &ep) {
                            if s.is_empty() || s.chars().count() > 40 {
                                self.error(
                                    &ep,
                                    Check::Length,
                                    "an extension name must be 1..40 characters",
                                );
                            } else if !KNOWN_EXTENSIONS.contains(&s) {
                                self.warn(
                                    &ep,
                                    Check::UnknownExtension,
                                    format!("the extension `{s}` is not implemented by warden; whatever it adds is not enforced"),
                                );
                            }
                            extensions.push(s.to_string());
                        }
                    }
                }
                _ => self.error(&p, Check::WrongType, "extensions must be a list of strings"),
            }
        }

        let transparency = o
            .take("ietf-mud-transparency:transparency")
            .and_then(|(v, p)| self.transparency(v, &p));
        let tls_profile_supported = match o.take("ietf-mud-tls:is-tls-dtls-profile-supported") {
            None => false,
            Some((Value::Bool(b), _)) => *b,
            Some((Value::String(s), p)) if s == "true" || s == "false" => {
                // As RFC 9761's example writes it (an erratum: a YANG
                // boolean is a JSON true or false).
                self.lenient(
                    &p,
                    Check::WrongType,
                    format!("is-tls-dtls-profile-supported is the string \"{s}\"; a YANG boolean is written {s} without quotes (as printed in RFC 9761's example, an erratum)"),
                ) && s == "true"
            }
            Some((v, p)) => {
                self.error(
                    &p,
                    Check::WrongType,
                    format!("is-tls-dtls-profile-supported must be true or false, found {v}"),
                );
                false
            }
        };

        let from = self.policy(&mut o, "from-device-policy");
        let to = self.policy(&mut o, "to-device-policy");

        // Pre-RFC drafts carried these in the container; they change nothing
        // that warden enforces.
        for legacy in ["ietf-mud:support-information"] {
            if let Some((_, p)) = o.take(legacy) {
                self.lenient(
                    &p,
                    Check::LegacyDialect,
                    format!("`{legacy}` is from a pre-RFC draft; ignored"),
                );
            }
        }

        let mut unknown_extensions = Vec::new();
        self.finish(o, Rest::MudContainer, &mut unknown_extensions);

        Some((
            MudMeta {
                mud_version,
                mud_url,
                last_update,
                mud_signature,
                cache_validity,
                is_supported,
                systeminfo,
                mfg_name,
                model_name,
                firmware_rev,
                software_rev,
                documentation,
                extensions,
                transparency,
                tls_profile_supported,
                unknown_extensions,
            },
            from,
            to,
            nested_acls,
        ))
    }

    fn mud_url(&mut self, v: &Value, p: &str) -> Option<String> {
        let s = self.string(v, p)?;
        let url = match url::Url::parse(s) {
            Ok(u) => u,
            Err(e) => {
                self.error(p, Check::MudUrl, format!("`{s}` is not a URL ({e})"));
                return None;
            }
        };
        if url.scheme() != "https" {
            self.error(
                p,
                Check::MudUrl,
                format!(
                    "mud-url must use https (RFC 8520 §3.3), found `{}`",
                    url.scheme()
                ),
            );
        }
        if url.host_str().is_none_or(|h| h.is_empty()) {
            self.error(p, Check::MudUrl, "mud-url has no host");
        }
        if let Some(src) = &self.opts.source_url {
            // Compare as URLs: the scheme and host are case-insensitive.
            let same = match url::Url::parse(src) {
                Ok(u) => u == url,
                Err(_) => src == s,
            };
            if !same {
                self.error(
                    p,
                    Check::MudUrl,
                    format!(
                        "mud-url `{s}` differs from the URL the file was fetched from, `{src}`"
                    ),
                );
            }
        }
        Some(s.to_string())
    }

    fn transparency(&mut self, v: &Value, p: &str) -> Option<Transparency> {
        let mut o = self.obj(v, p, "transparency")?;
        let mut t = Transparency::default();
        if let Some((v, p)) = o.take("sbom-url") {
            t.sbom_url = self.uri(v, &p);
        }
        if let Some((v, p)) = o.take("contact-uri") {
            t.sbom_contact = self.uri(v, &p);
        }
        if let Some((v, p)) = o.take("sbom-archive-list") {
            // An archive of SBOMs is another place to find one.
            if t.sbom_url.is_none() {
                t.sbom_url = self.uri(v, &p);
            }
        }
        for (key, slot) in [
            ("sbom-local-well-known", &mut t.sbom_local_well_known),
            ("vuln-local-well-known", &mut t.vuln_local_well_known),
        ] {
            if let Some((v, p)) = o.take(key) {
                match v.as_str() {
                    Some(s @ ("http" | "https" | "coap" | "coaps")) => *slot = Some(s.to_string()),
                    _ => self.error(
                        &p,
                        Check::Range,
                        format!("{key} must be http, https, coap or coaps, found {v}"),
                    ),
                }
            }
        }
        if let Some((v, p)) = o.take("vuln-url") {
            match v {
                Value::Array(a) => {
                    for (i, u) in a.iter().enumerate() {
                        if let Some(u) = self.uri(u, &idx(&p, i)) {
                            t.vuln_urls.push(u);
                        }
                    }
                }
                other => {
                    if let Some(u) = self.uri(other, &p) {
                        t.vuln_urls.push(u);
                    }
                }
            }
        }
        let mut ext = Vec::new();
        self.finish(o, Rest::Lenient, &mut ext);
        Some(t)
    }

    /// `from-device-policy` / `to-device-policy` → list of (ACL name, pointer).
    fn policy(&mut self, o: &mut Obj<'_>, key: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Some((v, p)) = o.take(key) else {
            return out;
        };
        let Some(mut po) = self.obj(v, &p, key) else {
            return out;
        };
        let mut none = Vec::new();
        if let Some((v, p)) = po.take("access-lists") {
            if let Some(mut al) = self.obj(v, &p, "access-lists") {
                if let Some((v, p)) = al.take("access-list") {
                    match v {
                        Value::Array(list) => {
                            for (i, e) in list.iter().enumerate() {
                                let ep = idx(&p, i);
                                let Some(mut eo) = self.obj(e, &ep, "an access-list entry") else {
                                    continue;
                                };
                                match eo.take("name") {
                                    Some((v, np)) => {
                                        if let Some(s) = self.string(v, &np) {
                                            if out.iter().any(|(n, _): &(String, String)| n == s) {
                                                self.error(
                                                    &np,
                                                    Check::DuplicateAcl,
                                                    format!(
                                                        "the ACL `{s}` is listed twice in {key}"
                                                    ),
                                                );
                                            }
                                            out.push((s.to_string(), np));
                                        }
                                    }
                                    None => self.error(
                                        &ep,
                                        Check::Missing,
                                        "an access-list entry needs a `name`",
                                    ),
                                }
                                self.finish(eo, Rest::Fatal, &mut none);
                            }
                        }
                        _ => self.error(&p, Check::WrongType, "access-list must be a JSON list"),
                    }
                }
                self.finish(al, Rest::Fatal, &mut none);
            }
        }
        self.finish(po, Rest::Fatal, &mut none);
        out
    }

    fn acls(&mut self, v: &Value, p: &str) -> Vec<Acl> {
        let mut out = Vec::new();
        let mut none = Vec::new();
        let Some(mut o) = self.obj(v, p, "the ACL container") else {
            return out;
        };
        let Some((list_v, list_p)) = o.take("acl") else {
            self.finish(o, Rest::Fatal, &mut none);
            return out;
        };
        self.finish(o, Rest::Fatal, &mut none);
        let Value::Array(list) = list_v else {
            self.error(&list_p, Check::WrongType, "`acl` must be a JSON list");
            return out;
        };
        if list.len() > self.opts.max_acls {
            self.error(
                &list_p,
                Check::Limit,
                format!(
                    "{} ACLs exceed warden's cap of {}",
                    list.len(),
                    self.opts.max_acls
                ),
            );
            return out;
        }
        let mut total_aces = 0usize;
        let mut names = HashSet::new();
        for (i, a) in list.iter().enumerate() {
            let ap = idx(&list_p, i);
            if let Some(acl) = self.acl(a, &ap, &mut total_aces) {
                if !names.insert(acl.name.clone()) {
                    self.error(
                        &ap,
                        Check::DuplicateAcl,
                        format!("two ACLs are named `{}`", acl.name),
                    );
                }
                out.push(acl);
            }
            if total_aces > self.opts.max_aces {
                self.error(
                    &ap,
                    Check::Limit,
                    format!(
                        "more than {} ACEs in one file; warden stops reading here",
                        self.opts.max_aces
                    ),
                );
                break;
            }
        }
        out
    }

    fn acl(&mut self, v: &Value, p: &str, total: &mut usize) -> Option<Acl> {
        let mut o = self.obj(v, p, "an ACL")?;
        let mut none = Vec::new();
        let name = match self.take_alias(&mut o, "name", &["acl-name"]) {
            Some((v, p)) => self.string(v, &p).map(str::to_string),
            None => {
                self.error(p, Check::Missing, "an ACL needs a `name`");
                None
            }
        };
        let acl_type = match self.take_alias(&mut o, "type", &["acl-type"]) {
            Some((v, tp)) => match self.string(v, &tp) {
                Some(s) => match AclType::from_identity(s) {
                    Some(t) => Some(t),
                    None if s == "ethernet-acl-type" => self
                        .lenient(
                            &tp,
                            Check::AclType,
                            "`ethernet-acl-type` is a pre-RFC name for `eth-acl-type`",
                        )
                        .then_some(AclType::Eth),
                    None => {
                        self.error(&tp, Check::AclType, format!("`{s}` is not an ACL type (ipv4-acl-type, ipv6-acl-type, eth-acl-type, mixed-...)"));
                        None
                    }
                },
                None => None,
            },
            None => {
                // RFC 8519 makes `type` optional, but then nothing says what
                // the ACEs may match; MUD requires it in practice.
                self.error(p, Check::Missing, "an ACL needs a `type`");
                None
            }
        };
        if let Some((_, dp)) = o.take("ietf-mud:direction") {
            self.lenient(&dp, Check::LegacyDialect, "`ietf-mud:direction` on an ACL is from a pre-RFC draft; the policies decide the direction");
        }
        let mut aces = Vec::new();
        if let Some((v, ap)) = self.take_alias(&mut o, "aces", &["access-list-entries"]) {
            if let Some(mut ao) = self.obj(v, &ap, "aces") {
                if let Some((lv, lp)) = ao.take("ace") {
                    match lv {
                        Value::Array(list) => {
                            *total += list.len();
                            if *total <= self.opts.max_aces {
                                let mut names = HashSet::new();
                                for (i, e) in list.iter().enumerate() {
                                    let ep = idx(&lp, i);
                                    if let Some(ace) = self.ace(e, &ep, acl_type) {
                                        if !names.insert(ace.name.clone()) {
                                            self.error(
                                                &ep,
                                                Check::DuplicateAce,
                                                format!(
                                                    "two ACEs in this ACL are named `{}`",
                                                    ace.name
                                                ),
                                            );
                                        }
                                        aces.push(ace);
                                    }
                                }
                            }
                        }
                        _ => self.error(&lp, Check::WrongType, "`ace` must be a JSON list"),
                    }
                }
                self.finish(ao, Rest::Fatal, &mut none);
            }
        }
        self.finish(o, Rest::Fatal, &mut none);
        Some(Acl {
            name: name?,
            acl_type: acl_type?,
            aces,
            pointer: p.to_string(),
        })
    }

    fn ace(&mut self, v: &Value, p: &str, acl_type: Option<AclType>) -> Option<Ace> {
        let mut o = self.obj(v, p, "an ACE")?;
        let mut none = Vec::new();
        let name = match self.take_alias(&mut o, "name", &["rule-name"]) {
            Some((v, np)) => self.string(v, &np).map(str::to_string),
            None => {
                self.error(p, Check::Missing, "an ACE needs a `name`");
                None
            }
        };
        let actions = o.take("actions");
        let mut inner_actions = None;
        let matches = match o.take("matches") {
            Some((v, mp)) => {
                // RFC 9761's example puts `actions` inside `matches` (an
                // erratum): read it there only in the legacy dialect.
                if actions.is_none() {
                    if let Some(a) = v.get("actions") {
                        let ap = ptr(&mp, "actions");
                        // Read in both dialects so that the walk goes on;
                        // strict fails the file here.
                        self.lenient(&ap, Check::LegacyDialect, "`actions` is inside `matches`; RFC 8519 makes it a sibling of `matches` (as printed in RFC 9761's example, an erratum)");
                        inner_actions = Some((a, ap));
                    }
                }
                self.matches(v, &mp, acl_type, inner_actions.is_some())
            }
            // RFC 8519: an ACE without matches matches every packet.
            None => Some(Matches::default()),
        };
        let action = match actions.or(inner_actions) {
            Some((v, ap)) => self.actions(v, &ap),
            None => {
                self.error(p, Check::Missing, "an ACE needs `actions`");
                None
            }
        };
        // Operational state that a file may carry; it restricts nothing.
        let _ = o.take("statistics");
        self.finish(o, Rest::Fatal, &mut none);
        Some(Ace {
            name: name?,
            matches: matches?,
            action: action?,
            pointer: p.to_string(),
        })
    }

    fn actions(&mut self, v: &Value, p: &str) -> Option<Forwarding> {
        let mut o = self.obj(v, p, "actions")?;
        let mut none = Vec::new();
        let mut out = None;
        if let Some((v, fp)) = o.take("forwarding") {
            let s = self.string(v, &fp)?;
            let s2 = s.strip_prefix("ietf-access-control-list:").unwrap_or(s);
            out = match s2 {
                "accept" => Some(Forwarding::Accept),
                "drop" => Some(Forwarding::Drop),
                "reject" => Some(Forwarding::Reject),
                _ => {
                    self.error(
                        &fp,
                        Check::Action,
                        format!("forwarding must be accept, drop or reject, found `{s}`"),
                    );
                    None
                }
            };
        } else if let Some((v, pp)) = o.take("permit") {
            if self.empty_leaf(v, &pp, "permit")
                && self.lenient(
                    &pp,
                    Check::LegacyDialect,
                    "`permit` is a pre-RFC action; read as forwarding accept",
                )
            {
                out = Some(Forwarding::Accept);
            }
        } else {
            self.error(
                p,
                Check::Missing,
                "actions need `forwarding` (accept, drop or reject)",
            );
        }
        // Logging requests change nothing about what passes.
        let _ = o.take("logging");
        self.finish(o, Rest::Fatal, &mut none);
        out
    }

    fn matches(
        &mut self,
        v: &Value,
        p: &str,
        acl_type: Option<AclType>,
        actions_inside: bool,
    ) -> Option<Matches> {
        let mut o = self.obj(v, p, "matches")?;
        let mut none = Vec::new();
        let mut m = Matches::default();
        let err_before = self.errors.len();

        // L3 and legacy port leaves that old drafts put inside it.
        let v4 = self.take_alias(&mut o, "ipv4", &["ipv4-acl"]);
        let v6 = self.take_alias(&mut o, "ipv6", &["ipv6-acl"]);
        let mut stray_ports: Vec<(&str, &Value, String)> = Vec::new();
        match (v4, v6) {
            (Some(_), Some((_, p6))) => {
                self.error(
                    &p6,
                    Check::AclTypeMismatch,
                    "an ACE matches either ipv4 or ipv6, not both",
                );
            }
            (Some((v, lp)), None) => {
                if let Some(t) = acl_type {
                    if !t.allows_ipv4() {
                        self.error(
                            &lp,
                            Check::AclTypeMismatch,
                            format!("an ipv4 match in an ACL of type {t:?}"),
                        );
                    }
                }
                m.ip = self.l3(v, &lp, IpVersion::V4, &mut m.unenforced, &mut stray_ports);
            }
            (None, Some((v, lp))) => {
                if let Some(t) = acl_type {
                    if !t.allows_ipv6() {
                        self.error(
                            &lp,
                            Check::AclTypeMismatch,
                            format!("an ipv6 match in an ACL of type {t:?}"),
                        );
                    }
                }
                m.ip = self.l3(v, &lp, IpVersion::V6, &mut m.unenforced, &mut stray_ports);
            }
            (None, None) => {}
        }

        if let Some((v, ep)) = o.take("eth") {
            let ok = match acl_type {
                Some(t) if !t.allows_eth() => self.lenient(
                    &ep,
                    Check::AclTypeMismatch,
                    format!("an eth match inside an ACL of type {t:?} (RFC 8519 needs eth-acl-type or a mixed type)"),
                ),
                _ => true,
            };
            if ok {
                m.eth = self.eth(v, &ep);
            }
        }

        // Ports that very old drafts put directly in matches.
        for key in [
            "source-port-range",
            "destination-port-range",
            "source-port-range-or-operator",
            "destination-port-range-or-operator",
        ] {
            if let Some((v, kp)) = o.take(key) {
                stray_ports.push((key, v, kp));
            }
        }

        let protocol = m.ip.as_ref().and_then(|ip| ip.protocol);
        let mut l4s = Vec::new();
        for key in ["tcp", "udp", "icmp"] {
            if let Some((v, lp)) = o.take(key) {
                l4s.push((key, v, lp));
            }
        }
        if l4s.len() > 1 {
            if let Some((_, _, lp)) = l4s.get(1) {
                self.error(
                    lp,
                    Check::Protocol,
                    "an ACE matches at most one of tcp, udp and icmp",
                );
            }
        }
        if let Some((key, v, lp)) = l4s.into_iter().next() {
            m.l4 = self.l4(
                key,
                v,
                &lp,
                protocol,
                m.ip.as_ref().map(|i| i.version),
                &mut m.unenforced,
            );
        }
        if !stray_ports.is_empty() {
            self.stray_ports(&mut m, stray_ports, protocol);
        }

        // The MUD abstractions, and the spellings of earlier drafts.
        if let Some((v, mp)) = self.take_alias(&mut o, "ietf-mud:mud", &["ietf-mud:mud-acl"]) {
            m.mud = self.mud_match(v, &mp);
        }
        for leaf in [
            "same-manufacturer",
            "my-controller",
            "local-networks",
            "manufacturer",
            "model",
            "controller",
        ] {
            let key = format!("ietf-mud:{leaf}");
            if let Some((v, lp)) = o.take(&key) {
                if self.lenient(&lp, Check::LegacyDialect, format!("`{key}` directly under matches is from a pre-RFC draft; RFC 8520 puts it in `ietf-mud:mud`")) {
                    let mut map = Map::new();
                    map.insert(leaf.to_string(), v.clone());
                    let extra = self.mud_match(&Value::Object(map), &lp);
                    merge_mud(&mut m.mud, extra);
                }
            }
        }
        for key in ["egress-interface", "ingress-interface"] {
            if let Some((_, ip)) = o.take(key) {
                m.unenforced.push(ip);
            }
        }
        if actions_inside {
            // Read by `ace` (the RFC 9761 example's placement).
            let _ = o.take("actions");
        }
        if let Some((v, tp)) = self.take_alias(
            &mut o,
            "ietf-acl-tls:client-profiles",
            &["ietf-acl-tls:client-profile"],
        ) {
            m.tls_profiles = self.client_profiles(v, &tp);
            for t in &m.tls_profiles {
                let over = match &m.l4 {
                    Some(L4Match::Tcp { .. }) => t.versions.iter().find(|v| v.is_dtls()),
                    Some(L4Match::Udp { .. }) => t.versions.iter().find(|v| !v.is_dtls()),
                    _ => None,
                };
                if let Some(v) = over {
                    let carrier = if v.is_dtls() { "UDP" } else { "TCP" };
                    self.error(
                        &t.pointer,
                        Check::TlsProfile,
                        format!("the profile `{}` names {}, which runs over {carrier}, on an ACE that matches the other transport", t.name, v.name()),
                    );
                }
            }
        }
        // Old drafts spelled the DNS names like this, straight under matches.
        for (key, dst) in [
            ("ietf-acl-dnsname:destination-hostname", true),
            ("ietf-acl-dnsname:source-hostname", false),
        ] {
            if let Some((v, kp)) = o.take(key) {
                if self.lenient(
                    &kp,
                    Check::LegacyDialect,
                    format!("`{key}` is a pre-RFC spelling of ietf-acldns"),
                ) {
                    if let Some(name) = self.dns_name(v, &kp) {
                        let ip = m.ip.get_or_insert(IpMatch {
                            version: IpVersion::V4,
                            protocol: None,
                            src_network: None,
                            dst_network: None,
                            src_dnsname: None,
                            dst_dnsname: None,
                        });
                        if dst {
                            ip.dst_dnsname = Some(name);
                        } else {
                            ip.src_dnsname = Some(name);
                        }
                    }
                }
            }
        }
        self.finish(o, Rest::Fatal, &mut none);
        if self.errors.len() > err_before {
            return None;
        }
        Some(m)
    }

    /// RFC 9761 `client-profiles` (strict names; the plural spellings of
    /// the RFC's own example and of earlier drafts in the legacy dialect).
    fn client_profiles(&mut self, v: &Value, p: &str) -> Vec<TlsProfile> {
        let mut out = Vec::new();
        let Some(mut o) = self.obj(v, p, "client-profiles") else {
            return out;
        };
        let mut none = Vec::new();
        if let Some((v, lp)) = self.take_alias(&mut o, "tls-dtls-profile", &["tls-dtls-profiles"]) {
            match v {
                Value::Array(a) => {
                    let mut names = HashSet::new();
                    for (i, x) in a.iter().enumerate() {
                        if let Some(t) = self.tls_profile(x, &idx(&lp, i)) {
                            if !names.insert(t.name.clone()) {
                                self.error(
                                    &t.pointer,
                                    Check::TlsProfile,
                                    format!("two profiles are named `{}`", t.name),
                                );
                            }
                            out.push(t);
                        }
                    }
                }
                _ => self.error(&lp, Check::WrongType, "tls-dtls-profile must be a list"),
            }
        }
        self.finish(o, Rest::Lenient, &mut none);
        out
    }

    fn tls_profile(&mut self, v: &Value, p: &str) -> Option<TlsProfile> {
        let mut o = self.obj(v, p, "a tls-dtls-profile")?;
        let mut none = Vec::new();
        let mut t = TlsProfile {
            pointer: p.to_string(),
            ..Default::default()
        };
        match self.take_alias(&mut o, "name", &["profile-name"]) {
            Some((v, np)) => {
                if let Some(s) = self.string(v, &np) {
                    let n = s.chars().count();
                    if n == 0 || n > 64 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        self.error(
                            &np,
                            Check::Length,
                            format!(
                                "a profile name is 1..64 characters without spaces, found `{s}`"
                            ),
                        );
                    }
                    t.name = s.to_string();
                }
            }
            None => self.error(p, Check::Missing, "a tls-dtls-profile needs a `name`"),
        }
        let list =
            |w: &mut Self, o: &mut Obj<'_>, key: &str, alias: &str| -> Vec<(Value, String)> {
                let Some((v, lp)) = w.take_alias(o, key, &[alias]) else {
                    return Vec::new();
                };
                match v {
                    Value::Array(a) => {
                        if a.len() > 512 {
                            w.error(
                                &lp,
                                Check::Limit,
                                format!("{key} lists {} values; warden reads at most 512", a.len()),
                            );
                            return Vec::new();
                        }
                        a.iter()
                            .enumerate()
                            .map(|(i, x)| (x.clone(), idx(&lp, i)))
                            .collect()
                    }
                    _ => {
                        w.error(
                            &lp,
                            Check::WrongType,
                            format!("{key} is a leaf-list: a JSON array"),
                        );
                        Vec::new()
                    }
                }
            };
        for version_key in [
            ("supported-tls-version", "supported-tls-versions", false),
            ("supported-dtls-version", "supported-dtls-versions", true),
        ] {
            for (x, xp) in list(self, &mut o, version_key.0, version_key.1) {
                let Some(s) = self.string(&x, &xp) else {
                    continue;
                };
                match TlsVersion::from_name(s) {
                    Some(v) if v.is_dtls() == version_key.2 => t.versions.push(v),
                    _ => self.error(
                        &xp,
                        Check::Range,
                        format!(
                            "`{s}` is not a {} version of iana-tls-profile ({})",
                            if version_key.2 { "DTLS" } else { "TLS" },
                            if version_key.2 {
                                "dtls12, dtls13"
                            } else {
                                "tls12, tls13"
                            }
                        ),
                    ),
                }
            }
        }
        let u16s = |w: &mut Self, o: &mut Obj<'_>, key: &str, alias: &str, into: &mut Vec<u16>| {
            for (x, xp) in list(w, o, key, alias) {
                if let Some(n) = w.uint(&x, &xp, u16::MAX as u64, key) {
                    let n = n as u16;
                    if n & 0x0f0f == 0x0a0a && n >> 8 == n & 0xff {
                        w.error(&xp, Check::TlsProfile, format!("{n:#06x} is a GREASE value; RFC 9761 forbids GREASE in a profile (clients send it to be ignored)"));
                    } else {
                        into.push(n);
                    }
                }
            }
        };
        u16s(
            self,
            &mut o,
            "cipher-suite",
            "cipher-suites",
            &mut t.cipher_suites,
        );
        u16s(
            self,
            &mut o,
            "extension-type",
            "extension-types",
            &mut t.extension_types,
        );
        u16s(
            self,
            &mut o,
            "supported-group",
            "supported-groups",
            &mut t.supported_groups,
        );
        u16s(
            self,
            &mut o,
            "signature-algorithm-cert",
            "signature-algorithms-cert",
            &mut t.signature_algorithms_cert,
        );
        u16s(
            self,
            &mut o,
            "signature-algorithm",
            "signature-algorithms",
            &mut t.signature_algorithms,
        );
        u16s(
            self,
            &mut o,
            "cert-compression-algorithm",
            "cert-compression-algorithms",
            &mut t.cert_compression_algorithms,
        );
        for (x, xp) in list(
            self,
            &mut o,
            "psk-key-exchange-mode",
            "psk-key-exchange-modes",
        ) {
            if let Some(n) = self.uint(&x, &xp, u8::MAX as u64, "psk-key-exchange-mode") {
                let n = n as u8;
                if n >= 0x0b && (n - 0x0b) % 0x1f == 0 {
                    self.error(
                        &xp,
                        Check::TlsProfile,
                        format!("{n:#04x} is a GREASE value; RFC 9761 forbids GREASE in a profile"),
                    );
                } else {
                    t.psk_key_exchange_modes.push(n);
                }
            }
        }
        for (x, xp) in list(
            self,
            &mut o,
            "application-protocol",
            "application-protocols",
        ) {
            if let Some(s) = self.string(&x, &xp) {
                if s.is_empty() || s.len() > 255 {
                    self.error(&xp, Check::Length, "an ALPN protocol name is 1..255 bytes");
                } else {
                    t.application_protocols.push(s.to_string());
                }
            }
        }
        for (key, alias) in [
            ("accept-list-ta-cert", "acceptlist-ta-certs"),
            ("certificate-authorities", "certificate_authorities"),
        ] {
            if !list(self, &mut o, key, alias).is_empty() {
                t.not_observable.push(key.to_string());
            }
        }
        self.finish(o, Rest::Lenient, &mut none);
        Some(t)
    }

    fn stray_ports(
        &mut self,
        m: &mut Matches,
        ports: Vec<(&str, &Value, String)>,
        protocol: Option<u8>,
    ) {
        for (key, v, kp) in ports {
            if !self.lenient(
                &kp,
                Check::LegacyDialect,
                format!("`{key}` outside the tcp/udp container is from a pre-RFC draft"),
            ) {
                continue;
            }
            let Some(pm) = self.port_match(v, &kp) else {
                continue;
            };
            let src = key.starts_with("source");
            let l4 = match (&mut m.l4, protocol) {
                (Some(l4), _) => l4,
                (None, Some(6)) => m.l4.insert(L4Match::Tcp {
                    src_port: None,
                    dst_port: None,
                    direction_initiated: None,
                }),
                (None, Some(17)) => m.l4.insert(L4Match::Udp {
                    src_port: None,
                    dst_port: None,
                }),
                _ => {
                    self.error(
                        &kp,
                        Check::Protocol,
                        "a port match needs protocol 6 (TCP) or 17 (UDP)",
                    );
                    continue;
                }
            };
            match l4 {
                L4Match::Tcp {
                    src_port, dst_port, ..
                }
                | L4Match::Udp { src_port, dst_port } => {
                    let slot = if src { src_port } else { dst_port };
                    if slot.is_some() {
                        self.error(&kp, Check::Port, "this port is given twice");
                    }
                    *slot = Some(pm);
                }
                L4Match::Icmp { .. } => self.error(&kp, Check::Protocol, "ICMP has no ports"),
            }
        }
    }

    fn l3<'v>(
        &mut self,
        v: &'v Value,
        p: &str,
        version: IpVersion,
        unenforced: &mut Vec<String>,
        stray: &mut Vec<(&'static str, &'v Value, String)>,
    ) -> Option<IpMatch> {
        let mut o = self.obj(v, p, "an IP match")?;
        let mut none = Vec::new();
        let mut m = IpMatch {
            version,
            protocol: None,
            src_network: None,
            dst_network: None,
            src_dnsname: None,
            dst_dnsname: None,
        };
        if let Some((v, pp)) = o.take("protocol") {
            m.protocol = self.uint(v, &pp, 255, "protocol").map(|n| n as u8);
        }
        let (src_key, dst_key) = match version {
            IpVersion::V4 => ("source-ipv4-network", "destination-ipv4-network"),
            IpVersion::V6 => ("source-ipv6-network", "destination-ipv6-network"),
        };
        for (key, is_src) in [(src_key, true), (dst_key, false)] {
            if let Some((v, np)) = o.take(key) {
                if let Some(s) = self.string(v, &np) {
                    match IpPrefix::parse(s) {
                        Ok(pfx) if pfx.version() == version => {
                            if is_src {
                                m.src_network = Some(pfx);
                            } else {
                                m.dst_network = Some(pfx);
                            }
                        }
                        Ok(_) => {
                            // Published UNSW files put the gateway's IPv4
                            // address in IPv6 ACLs. Such an ACE can never
                            // match; legacy mode keeps the file and marks
                            // the ACE unenforceable, which never widens access.
                            let m = format!(
                                "`{s}` is not an IP{} prefix, so this ACE can never match",
                                if version == IpVersion::V4 { "v4" } else { "v6" }
                            );
                            if self.lenient(&np, Check::IpPrefix, m) {
                                unenforced.push(np.clone());
                            }
                        }
                        Err(e) => self.error(&np, Check::IpPrefix, e.to_string()),
                    }
                }
            }
        }
        for (key, is_src) in [
            ("ietf-acldns:src-dnsname", true),
            ("ietf-acldns:dst-dnsname", false),
        ] {
            if let Some((v, np)) = o.take(key) {
                if let Some(name) = self.dns_name(v, &np) {
                    if is_src {
                        m.src_dnsname = Some(name);
                    } else {
                        m.dst_dnsname = Some(name);
                    }
                }
            }
        }
        if m.src_network.is_some() && m.src_dnsname.is_some() {
            self.error(
                p,
                Check::ExclusiveChoice,
                "a source network and a source DNS name cannot both be given",
            );
        }
        if m.dst_network.is_some() && m.dst_dnsname.is_some() {
            self.error(
                p,
                Check::ExclusiveChoice,
                "a destination network and a destination DNS name cannot both be given",
            );
        }
        let leaves: &[&str] = match version {
            IpVersion::V4 => &[
                "dscp",
                "ecn",
                "length",
                "ttl",
                "ihl",
                "flags",
                "offset",
                "identification",
            ],
            IpVersion::V6 => &["dscp", "ecn", "length", "ttl", "flow-label"],
        };
        for key in leaves {
            if let Some((_, lp)) = o.take(key) {
                unenforced.push(lp);
            }
        }
        for key in [
            "source-port-range-or-operator",
            "destination-port-range-or-operator",
            "source-port-range",
            "destination-port-range",
        ] {
            if let Some((v, kp)) = o.take(key) {
                stray.push((key, v, kp));
            }
        }
        self.finish(o, Rest::Fatal, &mut none);
        Some(m)
    }

    fn dns_name(&mut self, v: &Value, p: &str) -> Option<String> {
        let s = self.string(v, p)?;
        match check_dns_name(s) {
            Ok(()) => Some(s.trim_end_matches('.').to_ascii_lowercase()),
            Err(e) => {
                self.error(
                    p,
                    Check::DnsName,
                    format!("`{s}` is not a DNS host name: {e}"),
                );
                None
            }
        }
    }

    fn eth(&mut self, v: &Value, p: &str) -> Option<EthMatch> {
        let mut o = self.obj(v, p, "an eth match")?;
        let mut none = Vec::new();
        let mut m = EthMatch {
            src_mac: None,
            src_mac_mask: None,
            dst_mac: None,
            dst_mac_mask: None,
            ethertype: None,
        };
        for (key, slot) in [
            ("source-mac-address", &mut m.src_mac),
            ("source-mac-address-mask", &mut m.src_mac_mask),
            ("destination-mac-address", &mut m.dst_mac),
            ("destination-mac-address-mask", &mut m.dst_mac_mask),
        ] {
            if let Some((v, mp)) = o.take(key) {
                if let Some(s) = self.string(v, &mp) {
                    match MacAddr::parse(s) {
                        Some(mac) => *slot = Some(mac),
                        None => self.error(
                            &mp,
                            Check::MacAddress,
                            format!("`{s}` is not a MAC address (six hex octets)"),
                        ),
                    }
                }
            }
        }
        if let Some((v, tp)) = o.take("ethertype") {
            m.ethertype = self.ethertype(v, &tp);
        }
        self.finish(o, Rest::Fatal, &mut none);
        Some(m)
    }

    fn ethertype(&mut self, v: &Value, p: &str) -> Option<u16> {
        let n = match v {
            Value::Number(_) => self.uint(v, p, 0xffff, "ethertype")? as u16,
            Value::String(s) => {
                if let Some(n) = ethertype_name(s) {
                    n
                } else if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    let Ok(n) = u16::from_str_radix(hex, 16) else {
                        self.error(
                            p,
                            Check::Ethertype,
                            format!("`{s}` is not a 16-bit ethertype"),
                        );
                        return None;
                    };
                    if !self.lenient(p, Check::Ethertype, format!("the ethertype is the hex string \"{s}\"; RFC 8519 wants the number {n} or a registered name")) {
                        return None;
                    }
                    n
                } else {
                    self.error(
                        p,
                        Check::Ethertype,
                        format!("`{s}` is neither an ethertype number nor a registered name"),
                    );
                    return None;
                }
            }
            _ => {
                self.error(
                    p,
                    Check::Ethertype,
                    format!("an ethertype is a number or a name, found {}", kind(v)),
                );
                return None;
            }
        };
        if n < 0x0600 {
            self.warn(p, Check::Ethertype, format!("ethertype {n:#06x} is below 0x0600, where the field is an 802.3 length; this match can never be true"));
        }
        Some(n)
    }

    fn port_match(&mut self, v: &Value, p: &str) -> Option<PortMatch> {
        let mut o = self.obj(v, p, "a port match")?;
        let mut none = Vec::new();
        let lower = o.take("lower-port");
        let upper = o.take("upper-port");
        let op = o.take("operator");
        let port = o.take("port");
        let out = if lower.is_some() || upper.is_some() {
            let stray_eq = port.is_none()
                && matches!(op, Some((Value::String(o), _)) if o == "eq" || o == "range")
                && self.lenient(p, Check::Port, "a port range also carries an `operator`; RFC 8519 has none for ranges, and the range is used");
            if (op.is_some() && !stray_eq) || port.is_some() {
                self.error(p, Check::Port, "a port match is either a range (lower-port/upper-port) or an operator with a port, not both");
                None
            } else {
                match (lower, upper) {
                    (Some((lv, lp)), Some((uv, up))) => {
                        let l = self.uint(lv, &lp, 65535, "lower-port");
                        let u = self.uint(uv, &up, 65535, "upper-port");
                        match (l, u) {
                            (Some(l), Some(u)) if l <= u => Some(PortMatch::Range {
                                lower: l as u16,
                                upper: u as u16,
                            }),
                            (Some(l), Some(u)) => {
                                self.error(p, Check::Port, format!("the port range {l}-{u} is empty: lower-port must not exceed upper-port"));
                                None
                            }
                            _ => None,
                        }
                    }
                    _ => {
                        self.error(
                            p,
                            Check::Port,
                            "a port range needs both lower-port and upper-port",
                        );
                        None
                    }
                }
            }
        } else {
            let opname = match op {
                Some((v, op_p)) => match v.as_str() {
                    Some(s @ ("eq" | "neq" | "lte" | "gte")) => Some(s),
                    _ => {
                        self.error(
                            &op_p,
                            Check::Port,
                            format!("the port operator must be eq, neq, lte or gte, found {v}"),
                        );
                        None
                    }
                },
                None => Some("eq"),
            };
            match port {
                Some((v, pp)) => {
                    let n = self.uint(v, &pp, 65535, "port").map(|n| n as u16);
                    match (opname, n) {
                        (Some("eq"), Some(port)) => Some(PortMatch::Eq { port }),
                        (Some("neq"), Some(port)) => Some(PortMatch::Neq { port }),
                        (Some("lte"), Some(port)) => Some(PortMatch::Lte { port }),
                        (Some("gte"), Some(port)) => Some(PortMatch::Gte { port }),
                        _ => None,
                    }
                }
                None => {
                    self.error(p, Check::Port, "a port operator needs a `port`");
                    None
                }
            }
        };
        self.finish(o, Rest::Fatal, &mut none);
        out
    }

    fn l4(
        &mut self,
        key: &str,
        v: &Value,
        p: &str,
        protocol: Option<u8>,
        version: Option<IpVersion>,
        unenforced: &mut Vec<String>,
    ) -> Option<L4Match> {
        let expected: &[u8] = match (key, version) {
            ("tcp", _) => &[6],
            ("udp", _) => &[17],
            ("icmp", Some(IpVersion::V4)) => &[1],
            ("icmp", Some(IpVersion::V6)) => &[58],
            _ => &[1, 58],
        };
        if let Some(proto) = protocol {
            if !expected.contains(&proto) {
                self.error(
                    p,
                    Check::Protocol,
                    format!(
                        "a {key} match with protocol {proto}: {key} is protocol {}",
                        expected.first().copied().unwrap_or(0)
                    ),
                );
            }
        }
        let mut o = self.obj(v, p, key)?;
        let mut none = Vec::new();
        let out = match key {
            "tcp" | "udp" => {
                let src_port = self
                    .take_alias(
                        &mut o,
                        "source-port",
                        &["source-port-range-or-operator", "source-port-range"],
                    )
                    .and_then(|(v, pp)| self.port_match(v, &pp));
                let dst_port = self
                    .take_alias(
                        &mut o,
                        "destination-port",
                        &[
                            "destination-port-range-or-operator",
                            "destination-port-range",
                        ],
                    )
                    .and_then(|(v, pp)| self.port_match(v, &pp));
                let mut direction_initiated = None;
                if let Some((v, dp)) = o.take("ietf-mud:direction-initiated") {
                    if key != "tcp" {
                        self.error(
                            &dp,
                            Check::DirectionInitiated,
                            "direction-initiated applies only to TCP",
                        );
                    }
                    direction_initiated = match v.as_str() {
                        Some("from-device") => Some(DirectionInitiated::FromDevice),
                        Some("to-device") => Some(DirectionInitiated::ToDevice),
                        _ => {
                            self.error(&dp, Check::DirectionInitiated, format!("direction-initiated must be from-device or to-device, found {v}"));
                            None
                        }
                    };
                }
                let leaves: &[&str] = if key == "tcp" {
                    &[
                        "sequence-number",
                        "acknowledgement-number",
                        "data-offset",
                        "reserved",
                        "flags",
                        "window-size",
                        "urgent-pointer",
                        "options",
                    ]
                } else {
                    &["length"]
                };
                for l in leaves {
                    if let Some((_, lp)) = o.take(l) {
                        unenforced.push(lp);
                    }
                }
                if key == "tcp" {
                    Some(L4Match::Tcp {
                        src_port,
                        dst_port,
                        direction_initiated,
                    })
                } else {
                    Some(L4Match::Udp { src_port, dst_port })
                }
            }
            _ => {
                let icmp_type = o
                    .take("type")
                    .and_then(|(v, tp)| self.uint(v, &tp, 255, "icmp type"))
                    .map(|n| n as u8);
                let code = o
                    .take("code")
                    .and_then(|(v, cp)| self.uint(v, &cp, 255, "icmp code"))
                    .map(|n| n as u8);
                if let Some((_, rp)) = o.take("rest-of-header") {
                    unenforced.push(rp);
                }
                Some(L4Match::Icmp { icmp_type, code })
            }
        };
        self.finish(o, Rest::Fatal, &mut none);
        out
    }

    fn mud_match(&mut self, v: &Value, p: &str) -> MudMatch {
        let mut m = MudMatch::default();
        let mut none = Vec::new();
        let Some(mut o) = self.obj(v, p, "ietf-mud:mud") else {
            return m;
        };
        if let Some((v, mp)) = o.take("manufacturer") {
            m.manufacturer = self.dns_name(v, &mp);
        }
        if let Some((v, mp)) = o.take("model") {
            m.model = self.uri(v, &mp);
        }
        if let Some((v, cp)) = o.take("controller") {
            let u = match self.string(v, &cp) {
                Some(s) if url::Url::parse(s).is_ok() => Some(s.to_string()),
                Some(s)
                    if !s.is_empty()
                        && s.len() <= 255
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
                {
                    self.lenient(
                        &cp,
                        Check::Controller,
                        format!("the controller class `{s}` is a bare name, not a URI (RFC 8520 wants a URI)"),
                    )
                    .then(|| s.to_string())
                }
                Some(s) => {
                    self.error(&cp, Check::Uri, format!("the controller `{s}` is not a URI"));
                    None
                }
                None => None,
            };
            if let Some(u) = u {
                if let Some(rest) = u.strip_prefix("urn:ietf:params:mud:") {
                    if !REGISTERED_URNS.contains(&u.as_str())
                        && !self.lenient(
                            &cp,
                            Check::Controller,
                            format!("`{u}` is not a registered MUD controller class (only urn:ietf:params:mud:dns and :ntp are); `{rest}` needs a binding in the deployment context"),
                        )
                    {
                        // strict: error recorded
                    }
                }
                m.controller = Some(u);
            }
        }
        for (key, slot) in [
            ("same-manufacturer", &mut m.same_manufacturer),
            ("local-networks", &mut m.local_networks),
            ("my-controller", &mut m.my_controller),
        ] {
            if let Some((v, lp)) = o.take(key) {
                *slot = self.empty_leaf(v, &lp, key);
            }
        }
        self.finish(o, Rest::Fatal, &mut none);
        m
    }
}

fn merge_mud(into: &mut MudMatch, from: MudMatch) {
    into.manufacturer = into.manufacturer.take().or(from.manufacturer);
    into.model = into.model.take().or(from.model);
    into.controller = into.controller.take().or(from.controller);
    into.same_manufacturer |= from.same_manufacturer;
    into.local_networks |= from.local_networks;
    into.my_controller |= from.my_controller;
}

/// Extensions warden implements (RFC 9472 names its extension "transparency").
const KNOWN_EXTENSIONS: &[&str] = &["transparency", "ietf-mud-tls"];

/// RFC 1123 host name as YANG `inet:domain-name` restricts it: labels of
/// 1..63 letters, digits, hyphens (and underscores, which the pattern
/// allows), not starting or ending with a hyphen; at most 253 characters.
pub fn check_dns_name(s: &str) -> Result<(), String> {
    let t = s.strip_suffix('.').unwrap_or(s);
    if t.is_empty() {
        return Err("it is empty".into());
    }
    if t.len() > 253 {
        return Err(format!(
            "it is {} characters long; the limit is 253",
            t.len()
        ));
    }
    for label in t.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".into());
        }
        if label.len() > 63 {
            return Err(format!("the label `{label}` is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!("the character `{c}` is not allowed in a host name"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("the label `{label}` starts or ends with a hyphen"));
        }
    }
    if t.parse::<std::net::IpAddr>().is_ok() {
        return Err("it is an IP address; use a network match for addresses".into());
    }
    Ok(())
}

fn ethertype_name(s: &str) -> Option<u16> {
    // The common names of the IANA registry as ietf-ethertypes spells them.
    Some(match s.strip_prefix("ietf-ethertypes:").unwrap_or(s) {
        "ipv4" => 0x0800,
        "arp" => 0x0806,
        "wlan" => 0x0842,
        "rarp" => 0x8035,
        "vlan" => 0x8100,
        "ipv6" => 0x86dd,
        "mpls-unicast" => 0x8847,
        "mpls-multicast" => 0x8848,
        "pppoe-discovery" => 0x8863,
        "pppoe-session" => 0x8864,
        "eap" => 0x888e,
        "provider-bridging" => 0x88a8,
        "lldp" => 0x88cc,
        "macsec" => 0x88e5,
        "fcoe" => 0x8906,
        _ => return None,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(acl_body: &str) -> String {
        format!(
            r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://example.com/d",
              "last-update": "2024-01-01T00:00:00Z", "is-supported": true,
              "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
              "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type",
              "aces": {{"ace": [{acl_body}]}}}}]}}}}"#
        )
    }

    fn errors(s: &str, opts: &ValidateOptions) -> Vec<Diagnostic> {
        match load(s.as_bytes(), opts) {
            Ok(v) => panic!("expected errors, got {:?}", v.warnings),
            Err(MudError::Invalid { errors, .. }) => errors,
        }
    }

    #[test]
    fn accepts_a_minimal_rfc_file() {
        let s = doc(
            r#"{"name": "x", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "api.example.com"},
            "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
            "actions": {"forwarding": "accept"}}"#,
        );
        let v = load(s.as_bytes(), &ValidateOptions::default()).unwrap();
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
        assert_eq!(v.mud.acls[0].aces.len(), 1);
    }

    #[test]
    fn reports_every_error_with_its_pointer() {
        let s = doc(
            r#"{"name": "x", "matches": {"ipv4": {"protocol": 300, "ietf-acldns:dst-dnsname": "bad..name"},
            "udp": {"destination-port": {"lower-port": 10, "upper-port": 5}}},
            "actions": {"forwarding": "allow"}}"#,
        );
        let e = errors(&s, &ValidateOptions::default());
        let find = |c: Check| {
            e.iter()
                .find(|d| d.check == c)
                .unwrap_or_else(|| panic!("{c:?} missing in {e:?}"))
        };
        assert_eq!(
            find(Check::Range).pointer,
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv4/protocol"
        );
        assert_eq!(
            find(Check::DnsName).pointer,
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv4/ietf-acldns:dst-dnsname"
        );
        assert_eq!(
            find(Check::Port).pointer,
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/udp/destination-port"
        );
        assert_eq!(
            find(Check::Action).pointer,
            "/ietf-access-control-list:acls/acl/0/aces/ace/0/actions/forwarding"
        );
    }

    #[test]
    fn rejects_direction_initiated_outside_tcp() {
        let s = doc(r#"{"name": "x", "matches": {"ipv4": {"protocol": 17},
            "udp": {"ietf-mud:direction-initiated": "from-device"}}, "actions": {"forwarding": "accept"}}"#);
        let e = errors(&s, &ValidateOptions::default());
        assert!(
            e.iter().any(|d| d.check == Check::DirectionInitiated),
            "{e:?}"
        );
    }

    #[test]
    fn rejects_protocol_that_contradicts_l4_match() {
        let s = doc(
            r#"{"name": "x", "matches": {"ipv4": {"protocol": 17}, "tcp": {}}, "actions": {"forwarding": "accept"}}"#,
        );
        assert!(errors(&s, &ValidateOptions::default())
            .iter()
            .any(|d| d.check == Check::Protocol));
    }

    #[test]
    fn rejects_unknown_leaf_inside_matches_in_both_dialects() {
        let s = doc(
            r#"{"name": "x", "matches": {"ipv4": {"protocol": 6, "extraneous": 1}}, "actions": {"forwarding": "accept"}}"#,
        );
        for o in [ValidateOptions::default(), ValidateOptions::legacy()] {
            let e = errors(&s, &o);
            assert_eq!(e[0].check, Check::UnknownLeaf);
            assert!(e[0].pointer.ends_with("/matches/ipv4/extraneous"));
        }
    }

    #[test]
    fn rejects_network_and_dnsname_for_the_same_side() {
        let s = doc(
            r#"{"name": "x", "matches": {"ipv4": {"destination-ipv4-network": "10.0.0.0/8", "ietf-acldns:dst-dnsname": "a.example"}}, "actions": {"forwarding": "accept"}}"#,
        );
        assert!(errors(&s, &ValidateOptions::default())
            .iter()
            .any(|d| d.check == Check::ExclusiveChoice));
    }

    #[test]
    fn unregistered_controller_urn_is_strict_error_and_legacy_warning() {
        let s = doc(
            r#"{"name": "x", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:gateway"}}, "actions": {"forwarding": "accept"}}"#,
        );
        assert!(errors(&s, &ValidateOptions::default())
            .iter()
            .any(|d| d.check == Check::Controller));
        let v = load(s.as_bytes(), &ValidateOptions::legacy()).unwrap();
        assert!(v.warnings.iter().any(|d| d.check == Check::Controller));
    }

    #[test]
    fn mud_url_must_match_source() {
        let s = doc(r#"{"name": "x", "actions": {"forwarding": "drop"}}"#);
        let o = ValidateOptions {
            source_url: Some("https://other.example/d".into()),
            ..Default::default()
        };
        assert!(errors(&s, &o)
            .iter()
            .any(|d| d.check == Check::MudUrl && d.message.contains("fetched")));
        let same = ValidateOptions {
            source_url: Some("HTTPS://EXAMPLE.com/d".into()),
            ..Default::default()
        };
        assert!(
            load(s.as_bytes(), &same).is_ok(),
            "scheme and host compare without case"
        );
        let other_path = ValidateOptions {
            source_url: Some("https://example.com/D".into()),
            ..Default::default()
        };
        assert!(
            load(s.as_bytes(), &other_path).is_err(),
            "the path is case-sensitive"
        );
    }

    #[test]
    fn rejects_http_mud_url_and_bad_cache_validity() {
        let s = r#"{"ietf-mud:mud": {"mud-version": 2, "mud-url": "http://x.example/a", "last-update": "yesterday",
            "cache-validity": 169, "is-supported": true}}"#;
        let e = errors(s, &ValidateOptions::default());
        for c in [
            Check::MudVersion,
            Check::MudUrl,
            Check::LastUpdate,
            Check::CacheValidity,
        ] {
            assert!(e.iter().any(|d| d.check == c), "{c:?} in {e:?}");
        }
    }

    #[test]
    fn dns_names_are_checked() {
        assert!(check_dns_name("www.example.com.").is_ok());
        assert!(check_dns_name("_ntp._udp.example").is_ok());
        assert!(check_dns_name("http://x").is_err());
        assert!(check_dns_name("-a.example").is_err());
        assert!(check_dns_name(&"a".repeat(64)).is_err());
        assert!(check_dns_name("10.0.0.1").is_err());
        assert!(check_dns_name("*.example.com").is_err());
    }

    #[test]
    fn ace_cap_is_reported() {
        let aces = (0..20)
            .map(|i| format!(r#"{{"name": "a{i}", "actions": {{"forwarding": "drop"}}}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let s = doc(&aces);
        let o = ValidateOptions {
            max_aces: 10,
            ..Default::default()
        };
        assert!(errors(&s, &o).iter().any(|d| d.check == Check::Limit));
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    fn mud_with(extra: &str) -> String {
        format!(
            r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://example.com/d",
              "last-update": "2024-01-01T00:00:00.5+02:00", "is-supported": false {extra}}}}}"#
        )
    }

    #[test]
    fn parses_rfc9472_transparency() {
        let s = mud_with(
            r#", "extensions": ["transparency"], "ietf-mud-transparency:transparency": {
                "contact-uri": "mailto:psirt@example.com", "vuln-url": ["https://example.com/csaf.json", "https://example.com/vex.json"],
                "sbom-local-well-known": "https"}"#,
        );
        let v = load(s.as_bytes(), &ValidateOptions::default()).unwrap();
        let t = v.mud.meta.transparency.unwrap();
        assert_eq!(t.sbom_contact.as_deref(), Some("mailto:psirt@example.com"));
        assert_eq!(t.vuln_urls.len(), 2);
        assert_eq!(t.sbom_local_well_known.as_deref(), Some("https"));
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
        assert!(!v.mud.meta.is_supported);
    }

    #[test]
    fn unknown_extension_names_and_members_are_warnings_not_errors() {
        let s = mud_with(r#", "extensions": ["frobnicate"], "acme-mud:frob": {"x": 1}"#);
        let v = load(s.as_bytes(), &ValidateOptions::default()).unwrap();
        assert_eq!(v.warnings.len(), 2);
        assert!(v
            .warnings
            .iter()
            .all(|w| w.check == Check::UnknownExtension));
        assert_eq!(v.mud.meta.unknown_extensions, ["acme-mud:frob"]);
    }

    #[test]
    fn unknown_plain_leaf_in_mud_container_is_strict_error_legacy_warning() {
        let s = mud_with(r#", "colour": "blue""#);
        assert!(load(s.as_bytes(), &ValidateOptions::default()).is_err());
        let v = load(s.as_bytes(), &ValidateOptions::legacy()).unwrap();
        assert_eq!(v.warnings[0].pointer, "/ietf-mud:mud/colour");
    }

    #[test]
    fn legacy_names_warn_with_their_pointer() {
        let s = r#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://example.com/d", "last-update": "2024-01-01T00:00:00Z",
            "is-supported": true, "from-device-policy": {"access-lists": {"access-list": [{"name": "a"}]}}},
          "ietf-access-control-list:access-lists": {"acl": [{"acl-name": "a", "acl-type": "ipv4-acl-type",
            "access-list-entries": {"ace": [{"rule-name": "r", "matches": {"ipv4-acl": {"protocol": 17,
              "destination-port-range-or-operator": {"operator": "eq", "port": 53}},
              "eth": {"ethertype": "0x0800"}},
              "actions": {"forwarding": "accept"}}]}}]}}"#;
        let e = match load(s.as_bytes(), &ValidateOptions::default()) {
            Err(MudError::Invalid { errors, .. }) => errors,
            Ok(_) => panic!("strict must refuse pre-RFC names"),
        };
        assert!(e.iter().all(|d| d.message.contains("--legacy")), "{e:?}");
        let v = load(s.as_bytes(), &ValidateOptions::legacy()).unwrap();
        let ptrs: Vec<&str> = v.warnings.iter().map(|w| w.pointer.as_str()).collect();
        for p in [
            "/ietf-access-control-list:access-lists",
            "/ietf-access-control-list:access-lists/acl/0/acl-name",
            "/ietf-access-control-list:access-lists/acl/0/access-list-entries/ace/0/rule-name",
            "/ietf-access-control-list:access-lists/acl/0/access-list-entries/ace/0/matches/ipv4-acl/destination-port-range-or-operator",
            "/ietf-access-control-list:access-lists/acl/0/access-list-entries/ace/0/matches/eth/ethertype",
        ] {
            assert!(ptrs.contains(&p), "{p} missing in {ptrs:?}");
        }
        let ace = &v.mud.acls[0].aces[0];
        assert_eq!(
            ace.matches.l4,
            Some(L4Match::Udp {
                src_port: None,
                dst_port: Some(PortMatch::Eq { port: 53 })
            })
        );
        assert_eq!(ace.matches.eth.as_ref().unwrap().ethertype, Some(0x0800));
    }

    #[test]
    fn mac_prefix_and_ethertype_names() {
        let s = r#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://example.com/d", "last-update": "2024-01-01T00:00:00Z",
            "is-supported": true, "from-device-policy": {"access-lists": {"access-list": [{"name": "a"}]}}},
          "ietf-access-control-list:acls": {"acl": [{"name": "a", "type": "eth-acl-type",
            "aces": {"ace": [{"name": "r", "matches": {"eth": {"ethertype": "arp", "destination-mac-address": "zz:00:00:00:00:00"}},
              "actions": {"forwarding": "accept"}}]}}]}}"#;
        let e = match load(s.as_bytes(), &ValidateOptions::default()) {
            Err(MudError::Invalid { errors, .. }) => errors,
            Ok(_) => panic!(),
        };
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].check, Check::MacAddress);
    }
}
