//! RFC 9761: each (D)TLS ClientHello a device sends, judged against the
//! client profiles of the MUD rule that lets its flow through.
//!
//! nftables cannot look into a handshake, so the firewall enforces the
//! rule's addresses and ports and the traffic engine reads the hello. A
//! hello complies when one of the rule's profiles lists every parameter it
//! offers (versions, cipher suites, extensions, groups, signature
//! algorithms, PSK modes, ALPN protocols, certificate compression, as
//! [`ClientHello::offered`] reads them: GREASE and the signalling suites
//! left out); a list the profile leaves empty constrains nothing. A device whose
//! handshake leaves its declared profile runs other TLS code than its maker
//! declared: an unannounced update, or someone else's software.
//!
//! Not judged: what no ClientHello shows (trust anchors, SPKI pins,
//! certificate authorities), hellos the device receives (the profile
//! describes its client), and QUIC.

use crate::compliance::{first_accept, Attempt};
use serde::Serialize;
use std::net::IpAddr;
use warden_mud::{Policy, TlsProfile};
use warden_wire::tls::ClientHello;

/// A handshake outside every profile of its rule.
#[derive(Debug, Clone, Serialize)]
pub struct TlsDeviation {
    pub protocol: &'static str,
    pub device_address: IpAddr,
    pub device_port: u16,
    pub remote: IpAddr,
    pub remote_port: u16,
    pub remote_names: Vec<String>,
    pub server_name: Option<String>,
    pub ja4: String,
    pub first_ns: i64,
    /// The rule (ACL/ACE) whose profiles the hello was judged against.
    pub rule: String,
    /// The profile the hello came closest to.
    pub profile: String,
    /// What the hello offers that the profile does not list.
    pub differences: Vec<String>,
    pub explanation: String,
}

fn hexes<T: std::fmt::LowerHex>(v: &[T], width: usize) -> String {
    let mut s: Vec<String> = v
        .iter()
        .take(8)
        .map(|x| format!("{x:#0width$x}", width = width + 2))
        .collect();
    if v.len() > 8 {
        s.push(format!("and {} more", v.len() - 8));
    }
    s.join(", ")
}

fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0xfeff => "DTLS 1.0".into(),
        0xfefd => "DTLS 1.2".into(),
        0xfefc => "DTLS 1.3".into(),
        v => format!("version {v:#06x}"),
    }
}

/// What `hello` offers that `profile` does not list, in plain words.
pub fn differences(profile: &TlsProfile, hello: &ClientHello) -> Vec<String> {
    let o = hello.offered();
    let mut out = Vec::new();
    if !profile.versions.is_empty() {
        let listed: Vec<u16> = profile
            .versions
            .iter()
            .filter(|v| v.is_dtls() == hello.dtls)
            .map(|v| v.code())
            .collect();
        let off: Vec<String> = o
            .versions
            .iter()
            .filter(|v| !listed.contains(v))
            .map(|v| version_name(*v))
            .collect();
        if !off.is_empty() {
            out.push(format!("offers {}", off.join(", ")));
        }
    }
    for (what, offered, listed) in [
        ("cipher suites", &o.cipher_suites, &profile.cipher_suites),
        ("extensions", &o.extensions, &profile.extension_types),
        ("named groups", &o.groups, &profile.supported_groups),
        (
            "signature algorithms",
            &o.signature_algorithms,
            &profile.signature_algorithms,
        ),
        (
            "certificate signature algorithms",
            &o.signature_algorithms_cert,
            &profile.signature_algorithms_cert,
        ),
        (
            "certificate compression algorithms",
            &o.cert_compression,
            &profile.cert_compression_algorithms,
        ),
    ] {
        let off: Vec<u16> = offered
            .iter()
            .copied()
            .filter(|v| !listed.contains(v))
            .collect();
        if !listed.is_empty() && !off.is_empty() {
            out.push(format!("offers {what} {}", hexes(&off, 4)));
        }
    }
    let off: Vec<u8> = o
        .psk_modes
        .iter()
        .copied()
        .filter(|m| !profile.psk_key_exchange_modes.contains(m))
        .collect();
    if !profile.psk_key_exchange_modes.is_empty() && !off.is_empty() {
        out.push(format!("offers PSK modes {}", hexes(&off, 2)));
    }
    let off: Vec<String> = o
        .alpn
        .into_iter()
        .filter(|a| !profile.application_protocols.contains(a))
        .collect();
    if !profile.application_protocols.is_empty() && !off.is_empty() {
        out.push(format!("offers application protocols {}", off.join(", ")));
    }
    out
}

/// Judges the hello the device sent on attempt `a`; None when it complies
/// or when its rule declares no profile.
pub fn judge(policy: &Policy, a: &Attempt<'_>, hello: &ClientHello) -> Option<TlsDeviation> {
    if !a.opened_by_device {
        return None;
    }
    let rule = first_accept(policy, a)?;
    if rule.tls_profiles.is_empty() {
        return None;
    }
    let mut best: Option<(&TlsProfile, Vec<String>)> = None;
    for p in &rule.tls_profiles {
        let d = differences(p, hello);
        if d.is_empty() {
            return None;
        }
        if best.as_ref().is_none_or(|(_, b)| d.len() < b.len()) {
            best = Some((p, d));
        }
    }
    let (profile, differences) = best?;
    let ja4 = hello.ja4();
    let remote = if a.names.is_empty() {
        a.remote_ip.to_string()
    } else {
        format!("{} ({})", a.remote_ip, a.names.join(", "))
    };
    let cut = if hello.truncated {
        " (the hello was cut short; what followed the cut was not seen)"
    } else {
        ""
    };
    let explanation = format!(
        "The device's {} handshake with {remote} port {} {}; its MUD file declares the profile `{}` for this connection (ACE {}/{}). A device whose TLS client changes runs other software than its maker declared: an unannounced update, or a compromise. Fingerprint {ja4}{cut}.",
        if hello.dtls { "DTLS" } else { "TLS" },
        a.remote_port,
        differences.join("; "),
        profile.name,
        rule.origin.acl,
        rule.origin.ace,
    );
    Some(TlsDeviation {
        protocol: if a.protocol == 17 { "udp" } else { "tcp" },
        device_address: a.device_ip,
        device_port: a.device_port,
        remote: a.remote_ip,
        remote_port: a.remote_port,
        remote_names: a.names.iter().map(|s| s.to_string()).collect(),
        server_name: hello.server_name.clone(),
        ja4,
        first_ns: a.first_ns,
        rule: format!("{}/{}", rule.origin.acl, rule.origin.ace),
        profile: profile.name.clone(),
        differences,
        explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_mud::TlsVersion;
    use warden_wire::tls::{ext, version};

    fn profile() -> TlsProfile {
        TlsProfile {
            name: "p".into(),
            versions: vec![TlsVersion::Tls13],
            cipher_suites: vec![0x1301, 0x1302],
            extension_types: vec![10, 13, 43, 51],
            supported_groups: vec![29],
            ..Default::default()
        }
    }

    fn hello() -> ClientHello {
        ClientHello {
            legacy_version: version::TLS12,
            cipher_suites: vec![0x2a2a, 0x1301, 0x00ff],
            extensions: vec![0x3a3a, ext::SUPPORTED_GROUPS, ext::SUPPORTED_VERSIONS, 51],
            versions: vec![0x4a4a, version::TLS13],
            groups: vec![0x5a5a, 29],
            ..Default::default()
        }
    }

    #[test]
    fn a_hello_inside_the_profile_has_no_difference_grease_and_scsv_ignored() {
        assert!(differences(&profile(), &hello()).is_empty());
    }

    #[test]
    fn every_parameter_outside_the_profile_is_named() {
        let mut h = hello();
        h.versions.push(version::TLS12);
        h.cipher_suites.push(0xc02f);
        h.extensions.push(ext::SERVER_NAME);
        h.groups.push(23);
        let d = differences(&profile(), &h);
        assert_eq!(
            d,
            [
                "offers TLS 1.2",
                "offers cipher suites 0xc02f",
                "offers extensions 0x0000",
                "offers named groups 0x0017"
            ]
        );
        // Without supported_versions, the legacy version is what is offered.
        let mut old = hello();
        old.extensions.retain(|e| *e != ext::SUPPORTED_VERSIONS);
        old.versions.clear();
        assert_eq!(differences(&profile(), &old), ["offers TLS 1.2"]);
        // An empty list constrains nothing.
        let open = TlsProfile {
            name: "open".into(),
            ..Default::default()
        };
        assert!(differences(&open, &h).is_empty());
    }
}
