//! The MUD manager's fetcher: HTTPS only, through rustls (system roots plus
//! configured ones), with the RFC 8520 request headers, a size cap,
//! connect and total timeouts, at most three redirects that must all stay
//! HTTPS, and a refusal to reach any special-purpose address of IANA's
//! registries (private, loopback, link-local, CGNAT, documentation,
//! benchmarking, translation, multicast, ...: [`SPECIAL_PURPOSE`]; literal,
//! redirected to, or resolved from a name) unless the configuration allows
//! it. The file is validated (strict, its
//! `mud-url` equal to the URL fetched) and its `mud-signature` fetched and
//! verified (RFC 8520 §13) against the configured signers.

use crate::config::MudConfig;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use warden_mud::signature::{verify, TrustStore};
use warden_mud::{load, Dialect, IpPrefix, ValidateOptions, Validated};

/// What refused a fetch, in words a person can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum FetchError {
    #[error("{0}: only https URLs are fetched")]
    NotHttps(String),
    #[error(
        "{0}: refused, {1} is a private or special-purpose address (mud.allow-private is off)"
    )]
    PrivateAddress(String, String),
    #[error("{0}: not a URL ({1})")]
    BadUrl(String, String),
    #[error("{0}: {1}")]
    Redirect(String, String),
    #[error("{0}: the server answered HTTP {1}")]
    Status(String, u16),
    #[error("{0}: content type {1:?} is not application/mud+json")]
    ContentType(String, String),
    #[error("{0}: larger than {1} bytes: refused")]
    TooLarge(String, usize),
    #[error("{0}: timed out ({1})")]
    Timeout(String, String),
    #[error("{0}: {1}")]
    Transport(String, String),
    #[error("{0}: not a valid MUD file: {1}")]
    Invalid(String, String),
}

/// The signature's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SignatureStatus {
    Verified {
        signer: String,
    },
    Failed {
        reason: String,
    },
    /// The file names no `mud-signature`.
    Missing,
    NotChecked,
}

impl SignatureStatus {
    pub fn name(&self) -> &'static str {
        match self {
            SignatureStatus::Verified { .. } => "verified",
            SignatureStatus::Failed { .. } => "failed",
            SignatureStatus::Missing => "missing",
            SignatureStatus::NotChecked => "not-checked",
        }
    }
}

/// A file's SHA-256, in lower-case hex.
pub fn sha256_hex(body: &[u8]) -> String {
    openssl::sha::sha256(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct Fetched {
    pub url: String,
    pub http_status: u16,
    pub body: Vec<u8>,
    pub sha256: String,
    pub validated: Validated,
    pub signature: SignatureStatus,
    /// Seconds the file may be used before a refresh (cache-validity).
    pub cache_seconds: i64,
}

/// Ranges no MUD file is fetched from unless configured: every entry of
/// IANA's IPv4 and IPv6 Special-Purpose Address Registries that is not
/// globally reachable (or whose reachability depends on what it embeds),
/// plus multicast, broadcast and the reserved 240.0.0.0/4. IPv4-mapped
/// IPv6 addresses are judged by the IPv4 address they carry.
pub const SPECIAL_PURPOSE: &[&str] = &[
    // IPv4 (RFC 6890 and its updates)
    "0.0.0.0/8",       // this network
    "10.0.0.0/8",      // private
    "100.64.0.0/10",   // shared address space (CGNAT)
    "127.0.0.0/8",     // loopback
    "169.254.0.0/16",  // link local
    "172.16.0.0/12",   // private
    "192.0.0.0/24",    // IETF protocol assignments
    "192.0.2.0/24",    // documentation (TEST-NET-1)
    "192.88.99.0/24",  // 6to4 relay anycast (deprecated)
    "192.168.0.0/16",  // private
    "198.18.0.0/15",   // benchmarking
    "198.51.100.0/24", // documentation (TEST-NET-2)
    "203.0.113.0/24",  // documentation (TEST-NET-3)
    "224.0.0.0/4",     // multicast
    "240.0.0.0/4",     // reserved, and the limited broadcast address
    // IPv6
    "::/128",         // unspecified
    "::1/128",        // loopback
    "::/96",          // IPv4-compatible (deprecated): ::a.b.c.d
    "64:ff9b::/96",   // IPv4/IPv6 translation: reaches whatever IPv4 it embeds
    "64:ff9b:1::/48", // local-use IPv4/IPv6 translation
    "100::/64",       // discard-only
    "100:0:0:1::/64", // dummy prefix
    "2001::/23",      // IETF protocol assignments (Teredo, benchmarking, ORCHID, ...)
    "2001:db8::/32",  // documentation
    "2002::/16",      // 6to4: reaches whatever IPv4 it embeds
    "3fff::/20",      // documentation
    "5f00::/16",      // segment routing (SRv6) SIDs
    "fc00::/7",       // unique local
    "fe80::/10",      // link-local unicast
    "fec0::/10",      // site-local (deprecated)
    "ff00::/8",       // multicast
];

fn special_purpose() -> &'static [IpPrefix] {
    static LIST: std::sync::OnceLock<Vec<IpPrefix>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        SPECIAL_PURPOSE
            .iter()
            .filter_map(|s| IpPrefix::parse(s).ok())
            .collect()
    })
}

/// Whether `ip` is a globally reachable unicast address (not in
/// [`SPECIAL_PURPOSE`]).
pub fn is_public(ip: IpAddr) -> bool {
    if let IpAddr::V6(a) = ip {
        if let Some(v4) = a.to_ipv4_mapped() {
            return is_public(IpAddr::V4(v4));
        }
    }
    !special_purpose().iter().any(|p| p.contains(ip))
}

/// Which addresses the fetcher may connect to: public ones, the prefixes
/// the operator named (`mud.allow-prefixes`: a maker's or the company's own
/// MUD server), or anything with `mud.allow-private`.
#[derive(Debug, Clone)]
pub struct AddressGuard {
    pub allow_private: bool,
    pub allow: Vec<IpPrefix>,
}

impl AddressGuard {
    pub fn from_config(cfg: &MudConfig) -> Result<AddressGuard, crate::config::ConfigError> {
        let allow = cfg
            .allow_prefixes
            .iter()
            .map(|s| {
                IpPrefix::parse(s).map_err(|e| {
                    crate::config::ConfigError(format!("mud.allow-prefixes {s:?}: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AddressGuard {
            allow_private: cfg.allow_private,
            allow,
        })
    }
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip) || self.allow.iter().any(|p| p.contains(ip))
    }
}

struct GuardedResolver {
    guard: AddressGuard,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            // Every address must be allowed: one private answer among
            // public ones is how DNS rebinding reaches inside.
            if let Some(bad) = addrs.iter().find(|a| !guard.permits(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, a private or special-purpose address (mud.allow-private is off)",
                    bad.ip()
                )
                .into());
            }
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    cfg: MudConfig,
    trust: Option<TrustStore>,
    guard: AddressGuard,
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s += &format!(": {m}");
        }
        cur = c.source();
    }
    s
}

impl Fetcher {
    pub fn new(cfg: &MudConfig) -> Result<Fetcher, crate::GatewayError> {
        Fetcher::build(cfg).map_err(crate::GatewayError::Fetcher)
    }

    fn build(cfg: &MudConfig) -> Result<Fetcher, String> {
        let guard = AddressGuard::from_config(cfg).map_err(|e| e.0)?;
        let redirect_guard = guard.clone();
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .user_agent(concat!(
                "warden/",
                env!("CARGO_PKG_VERSION"),
                " (RFC 8520 MUD manager)"
            ))
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.total_timeout_ms))
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |a| {
                if a.previous().len() > 3 {
                    return a.error("more than 3 redirects (a redirect loop?)");
                }
                if a.url().scheme() != "https" {
                    let u = a.url().to_string();
                    return a.error(format!("redirected to {u}, which is not HTTPS"));
                }
                let literal = match a.url().host() {
                    Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                    Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                    _ => None,
                };
                if let Some(ip) = literal.filter(|ip| !redirect_guard.permits(*ip)) {
                    return a.error(format!(
                        "redirected to {ip}, a private or special-purpose address"
                    ));
                }
                a.follow()
            }));
        for p in &cfg.https_roots {
            let pem =
                std::fs::read(p).map_err(|e| format!("mud.https-roots {}: {e}", p.display()))?;
            for c in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("mud.https-roots {}: {e}", p.display()))?
            {
                b = b.add_root_certificate(c);
            }
        }
        let mut pem = Vec::new();
        for p in &cfg.trust {
            pem.extend(std::fs::read(p).map_err(|e| format!("mud.trust {}: {e}", p.display()))?);
            pem.push(b'\n');
        }
        let trust = if pem.is_empty() {
            None
        } else {
            Some(TrustStore::from_pem(&pem).map_err(|e| format!("mud.trust: {e}"))?)
        };
        Ok(Fetcher {
            client: b.build().map_err(|e| e.to_string())?,
            cfg: cfg.clone(),
            trust,
            guard,
        })
    }

    fn precheck(&self, url: &str) -> Result<(), FetchError> {
        let u = url::Url::parse(url).map_err(|e| FetchError::BadUrl(url.into(), e.to_string()))?;
        if u.scheme() != "https" {
            return Err(FetchError::NotHttps(url.into()));
        }
        let literal = match u.host() {
            Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
            _ => None,
        };
        if let Some(ip) = literal {
            if !self.guard.permits(ip) {
                return Err(FetchError::PrivateAddress(url.into(), ip.to_string()));
            }
        }
        Ok(())
    }

    /// GETs `url` with the MUD headers, at most `max` bytes.
    async fn get(
        &self,
        url: &str,
        accept: &str,
        max: usize,
        want_mud: bool,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        self.precheck(url)?;
        let map = |e: reqwest::Error| {
            let msg = chain(&e);
            if e.is_timeout() {
                FetchError::Timeout(url.into(), msg)
            } else if e.is_redirect() {
                FetchError::Redirect(url.into(), msg)
            } else {
                FetchError::Transport(url.into(), msg)
            }
        };
        let mut r = self
            .client
            .get(url)
            .header("Accept", accept)
            .header("Accept-Language", "en")
            .send()
            .await
            .map_err(map)?;
        let status = r.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status(url.into(), status));
        }
        if want_mud {
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let base = ct.split(';').next().unwrap_or("").trim().to_string();
            // RFC 8520 §17.4 registers application/mud+json; plain JSON is
            // what many servers send for a .json file.
            if base != "application/mud+json" && base != "application/json" {
                return Err(FetchError::ContentType(url.into(), ct));
            }
        }
        if r.content_length().is_some_and(|n| n as usize > max) {
            return Err(FetchError::TooLarge(url.into(), max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(map)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(url.into(), max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }

    /// Fetches a document a MUD file points at (RFC 9472: an SBOM, a
    /// vulnerability advisory) with the same guards (HTTPS only, no private
    /// or special-purpose address, bounded size and time), at most `max`
    /// bytes. What it is, is checked by whoever reads it.
    pub async fn fetch_document(
        &self,
        url: &str,
        accept: &str,
        max: usize,
    ) -> Result<Vec<u8>, FetchError> {
        self.get(url, accept, max, false).await.map(|(_, b)| b)
    }

    /// Fetches, validates and (per policy) verifies the MUD file at `url`.
    /// `now` (Unix seconds) judges the signer's certificates.
    pub async fn fetch(&self, url: &str, now: i64) -> Result<Fetched, FetchError> {
        let (status, body) = self
            .get(url, "application/mud+json", self.cfg.max_bytes, true)
            .await?;
        let opts = ValidateOptions {
            dialect: Dialect::Strict,
            source_url: Some(url.to_string()),
            ..Default::default()
        };
        let validated =
            load(&body, &opts).map_err(|e| FetchError::Invalid(url.into(), e.to_string()))?;
        let signature = if self.cfg.signature == crate::config::SignaturePolicy::Off {
            SignatureStatus::NotChecked
        } else {
            match &validated.mud.meta().mud_signature {
                None => SignatureStatus::Missing,
                Some(sig_url) => match self
                    .get(sig_url, "application/pkcs7-signature", 256 << 10, false)
                    .await
                {
                    Err(e) => SignatureStatus::Failed {
                        reason: format!("the signature could not be fetched: {e}"),
                    },
                    Ok((_, sig)) => match &self.trust {
                        None => SignatureStatus::Failed {
                            reason: "no signer roots configured (mud.trust)".into(),
                        },
                        Some(t) => match verify(&body, &sig, t, now) {
                            Ok(s) => SignatureStatus::Verified {
                                signer: s.subject.clone(),
                            },
                            Err(e) => SignatureStatus::Failed {
                                reason: e.to_string(),
                            },
                        },
                    },
                },
            }
        };
        let sha256 = sha256_hex(&body);
        Ok(Fetched {
            url: url.to_string(),
            http_status: status,
            cache_seconds: i64::from(validated.mud.meta().cache_validity.max(1)) * 3600,
            body,
            sha256,
            validated,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "224.0.0.1",
            "0.1.2.3",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:192.168.1.1",
            "255.255.255.255",
            // Issue 11's list, and the rest of IANA's registries.
            "::10.0.0.1",
            "::8.8.8.8",
            "64:ff9b::a00:1",
            "64:ff9b::808:808",
            "fec0::1",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.2.1",
            "198.51.100.10",
            "203.0.113.9",
            "2001:db8::1",
            "2002:a00:1::1",
            "2001::1",
            "3fff::1",
            "100::1",
            "ff02::1",
            "240.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "100.128.0.1",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "192.0.1.1",
            "198.20.0.1",
        ] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
        let g = AddressGuard::from_config(&MudConfig {
            allow_prefixes: vec!["198.51.100.0/24".into()],
            ..Default::default()
        })
        .unwrap();
        assert!(g.permits("198.51.100.10".parse().unwrap()));
        assert!(!g.permits("10.77.0.9".parse().unwrap()));
        assert!(AddressGuard::from_config(&MudConfig {
            allow_prefixes: vec!["nonsense".into()],
            ..Default::default()
        })
        .unwrap_err()
        .0
        .contains("mud.allow-prefixes"));
    }

    #[tokio::test]
    async fn literal_private_and_plain_http_urls_are_refused_before_any_packet() {
        let f = Fetcher::new(&MudConfig::default()).unwrap();
        assert!(matches!(
            f.fetch("http://198.51.100.1/x.json", 0).await,
            Err(FetchError::NotHttps(_))
        ));
        assert!(matches!(
            f.fetch("https://127.0.0.1/x.json", 0).await,
            Err(FetchError::PrivateAddress(..))
        ));
        assert!(matches!(
            f.fetch("https://[fd00::1]/x.json", 0).await,
            Err(FetchError::PrivateAddress(..))
        ));
        assert!(matches!(
            f.fetch("not a url", 0).await,
            Err(FetchError::BadUrl(..))
        ));
    }
}
