//! TLS on a port: which protocol versions the service accepts, and its
//! certificate (validity at a given time, key type and size, signature
//! algorithm, self-signed or not).
//!
//! Handshakes use OpenSSL, one per version, each pinned to that version
//! and with security level 0 so that the old versions and weak parameters
//! a device may still accept can be seen at all. rustls is not used here:
//! it cannot speak TLS 1.0 or 1.1 by design, and finding a device that
//! still accepts them is the point of the check. Nothing is verified
//! (the probe reports; it does not trust).

use crate::scope::Scope;
use openssl::asn1::Asn1Time;
use openssl::pkey::Id;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct VersionResult {
    pub version: &'static str,
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Why the version could not be tried from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_testable: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    pub self_signed: bool,
    pub not_before: String,
    pub not_after: String,
    pub expired: bool,
    pub not_yet_valid: bool,
    /// "RSA", "EC", "Ed25519", ...
    pub key_type: String,
    pub key_bits: u32,
    pub signature_algorithm: String,
    /// Problems a person should know about (short key, SHA-1, expired).
    pub weaknesses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsResult {
    pub port: u16,
    pub versions: Vec<VersionResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Versions older than TLS 1.2 that the service accepts.
    pub legacy_versions: Vec<&'static str>,
}

impl TlsResult {
    pub fn speaks_tls(&self) -> bool {
        self.versions.iter().any(|v| v.accepted)
    }
}

const VERSIONS: [(SslVersion, &str); 4] = [
    (SslVersion::TLS1, "TLSv1.0"),
    (SslVersion::TLS1_1, "TLSv1.1"),
    (SslVersion::TLS1_2, "TLSv1.2"),
    (SslVersion::TLS1_3, "TLSv1.3"),
];

fn x509_name(n: &openssl::x509::X509NameRef) -> String {
    n.entries()
        .map(|e| {
            format!(
                "{}={}",
                e.object().nid().short_name().unwrap_or("?"),
                e.data().to_string().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Unix time as an ASN.1 time, made from its calendar form: not from a
/// time_t, which is 32 bits on 32-bit ARM and MIPS routers and ends in
/// January 2038. None outside the years 0000 to 9999.
fn asn1_time(unix: i64) -> Option<Asn1Time> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Asn1Time::from_str(&text).ok()
}

fn describe(cert: &openssl::x509::X509Ref, now_unix: i64) -> Certificate {
    let now = asn1_time(now_unix);
    let expired = now.as_ref().is_some_and(|n| cert.not_after() < n.as_ref());
    let not_yet_valid = now.as_ref().is_some_and(|n| cert.not_before() > n.as_ref());
    let (key_type, key_bits) = match cert.public_key() {
        Ok(k) => (
            match k.id() {
                Id::RSA => "RSA".to_string(),
                Id::EC => "EC".to_string(),
                Id::ED25519 => "Ed25519".to_string(),
                Id::ED448 => "Ed448".to_string(),
                Id::DSA => "DSA".to_string(),
                other => format!("{other:?}"),
            },
            k.bits(),
        ),
        Err(_) => ("unknown".into(), 0),
    };
    let sig = cert
        .signature_algorithm()
        .object()
        .nid()
        .long_name()
        .unwrap_or("?")
        .to_string();
    let mut weaknesses = Vec::new();
    if (key_type == "RSA" || key_type == "DSA") && key_bits < 2048 {
        weaknesses.push(format!("{key_type} key of {key_bits} bits (2048 at least)"));
    }
    if key_type == "EC" && key_bits < 256 {
        weaknesses.push(format!("EC key of {key_bits} bits (256 at least)"));
    }
    let s = sig.to_ascii_lowercase();
    if s.contains("sha1") || s.contains("md5") {
        weaknesses.push(format!("signed with {sig}"));
    }
    if expired {
        weaknesses.push("expired".into());
    }
    if not_yet_valid {
        weaknesses.push("not valid yet".into());
    }
    let subject = x509_name(cert.subject_name());
    let issuer = x509_name(cert.issuer_name());
    Certificate {
        self_signed: subject == issuer,
        subject,
        issuer,
        not_before: cert.not_before().to_string(),
        not_after: cert.not_after().to_string(),
        expired,
        not_yet_valid,
        key_type,
        key_bits,
        signature_algorithm: sig,
        weaknesses,
    }
}

/// Tries each version on its own connection. `now_unix` judges the
/// certificate's validity (time is passed in).
pub fn check(scope: &Scope, addr: SocketAddr, timeout: Duration, now_unix: i64) -> TlsResult {
    let mut versions = Vec::new();
    let mut certificate = None;
    for (v, name) in VERSIONS {
        let mut r = VersionResult {
            version: name,
            accepted: false,
            cipher: None,
            not_testable: None,
        };
        let connector = (|| {
            let mut b = SslConnector::builder(SslMethod::tls_client())?;
            b.set_verify(SslVerifyMode::NONE);
            b.set_security_level(0);
            b.set_cipher_list("ALL:@SECLEVEL=0")?;
            b.set_min_proto_version(Some(v))?;
            b.set_max_proto_version(Some(v))?;
            Ok::<_, openssl::error::ErrorStack>(b.build())
        })();
        let connector = match connector {
            Ok(c) => c,
            Err(e) => {
                r.not_testable = Some(format!("this OpenSSL cannot offer {name}: {e}"));
                versions.push(r);
                continue;
            }
        };
        let tcp = match scope.connect(addr, timeout) {
            Ok(Ok(s)) => s,
            _ => {
                r.not_testable = Some("no TCP connection".into());
                versions.push(r);
                continue;
            }
        };
        let _ = tcp.set_read_timeout(Some(timeout * 3));
        let _ = tcp.set_write_timeout(Some(timeout * 3));
        let cfg = connector
            .configure()
            .map(|c| c.use_server_name_indication(false).verify_hostname(false));
        if let Ok(cfg) = cfg {
            if let Ok(mut s) = cfg.connect("", tcp) {
                r.accepted = true;
                r.cipher = s.ssl().current_cipher().map(|c| c.name().to_string());
                if let Some(c) = s.ssl().peer_certificate() {
                    // The newest version's certificate wins (later in the loop).
                    certificate = Some(describe(&c, now_unix));
                }
                let _ = s.shutdown();
            }
        }
        versions.push(r);
    }
    let legacy_versions = versions
        .iter()
        .filter(|v| v.accepted && (v.version == "TLSv1.0" || v.version == "TLSv1.1"))
        .map(|v| v.version)
        .collect();
    TlsResult {
        port: addr.port(),
        versions,
        certificate,
        legacy_versions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn asn1_times_are_right_past_2038_on_every_cpu() {
        let at = |text: &str| Asn1Time::from_str(text).unwrap();
        for (unix, text) in [
            (0, "19700101000000Z"),
            (2_147_483_647, "20380119031407Z"),
            (2_147_483_648, "20380119031408Z"),
            (4_102_444_800, "21000101000000Z"),
            (-86_400, "19691231000000Z"),
        ] {
            let t = asn1_time(unix).unwrap();
            assert_eq!(t.compare(&at(text)).unwrap(), Ordering::Equal, "{unix}");
        }
        let before = asn1_time(2_147_483_000).unwrap();
        let after = asn1_time(2_147_484_000).unwrap();
        assert_eq!(before.compare(&after).unwrap(), Ordering::Less);
        assert!(asn1_time(i64::MAX).is_none());
    }
}
