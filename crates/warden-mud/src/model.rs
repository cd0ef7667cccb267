//! The validated MUD model. Nothing outside [`crate::validate`] can build a
//! [`ValidatedMud`], and nothing can change one: its fields are read through
//! accessors, so what the compiler and the gateway see is what was checked.

use serde::Serialize;
pub use warden_addr::{IpPrefix, IpVersion, MacAddr, PrefixError};

/// A MUD file that passed validation in one dialect.
#[derive(Debug, Clone, Serialize)]
pub struct ValidatedMud {
    pub(crate) meta: MudMeta,
    pub(crate) from_device: Vec<String>,
    pub(crate) to_device: Vec<String>,
    pub(crate) acls: Vec<Acl>,
    #[serde(skip)]
    pub(crate) _sealed: Sealed,
}

impl ValidatedMud {
    /// The `ietf-mud:mud` container, less the policies.
    pub fn meta(&self) -> &MudMeta {
        &self.meta
    }
    /// ACL names referenced by `from-device-policy`, in file order.
    pub fn from_device(&self) -> &[String] {
        &self.from_device
    }
    /// ACL names referenced by `to-device-policy`, in file order.
    pub fn to_device(&self) -> &[String] {
        &self.to_device
    }
    /// Every ACL in the file, referenced or not, in file order.
    pub fn acls(&self) -> &[Acl] {
        &self.acls
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Sealed;

/// The `ietf-mud:mud` container, less the policies.
#[derive(Debug, Clone, Serialize)]
pub struct MudMeta {
    pub mud_version: u8,
    pub mud_url: String,
    /// RFC 3339 text as written in the file (already checked to parse).
    pub last_update: String,
    pub mud_signature: Option<String>,
    /// Hours, 1..=168; 48 when the file omits it (RFC 8520 default).
    pub cache_validity: u8,
    pub is_supported: bool,
    pub systeminfo: Option<String>,
    pub mfg_name: Option<String>,
    pub model_name: Option<String>,
    pub firmware_rev: Option<String>,
    pub software_rev: Option<String>,
    pub documentation: Option<String>,
    pub extensions: Vec<String>,
    /// RFC 9472 transparency locations, when present.
    pub transparency: Option<Transparency>,
    /// RFC 9761 `ietf-mud-tls:is-tls-dtls-profile-supported`: the maker
    /// says its ACEs carry the (D)TLS profiles of the device's clients.
    pub tls_profile_supported: bool,
    /// Module-qualified members of the mud container that warden does not
    /// understand (for example `nist-mud:quarantined-device-policy`). They are
    /// reported, never enforced.
    pub unknown_extensions: Vec<String>,
}

/// RFC 9472 (`ietf-mud-transparency`): where to find the SBOM and
/// vulnerability information for the device.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Transparency {
    /// `sbom-url` (cloud retrieval).
    pub sbom_url: Option<String>,
    /// `contact-info` (a URI to ask for the SBOM).
    pub sbom_contact: Option<String>,
    /// `sbom-local-well-known`: `http` or `coap`, served by the device itself.
    pub sbom_local_well_known: Option<String>,
    /// `vuln-url` entries.
    pub vuln_urls: Vec<String>,
    /// `vuln-local-well-known`.
    pub vuln_local_well_known: Option<String>,
}

/// The YANG identity that types an ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AclType {
    Ipv4,
    Ipv6,
    Eth,
    MixedEthIpv4,
    MixedEthIpv6,
    MixedEthIpv4Ipv6,
}

impl AclType {
    pub fn from_identity(s: &str) -> Option<AclType> {
        let s = s.strip_prefix("ietf-access-control-list:").unwrap_or(s);
        Some(match s {
            "ipv4-acl-type" => AclType::Ipv4,
            "ipv6-acl-type" => AclType::Ipv6,
            "eth-acl-type" => AclType::Eth,
            "mixed-eth-ipv4-acl-type" => AclType::MixedEthIpv4,
            "mixed-eth-ipv6-acl-type" => AclType::MixedEthIpv6,
            "mixed-eth-ipv4-ipv6-acl-type" => AclType::MixedEthIpv4Ipv6,
            _ => return None,
        })
    }
    pub fn allows_ipv4(self) -> bool {
        matches!(
            self,
            AclType::Ipv4 | AclType::MixedEthIpv4 | AclType::MixedEthIpv4Ipv6
        )
    }
    pub fn allows_ipv6(self) -> bool {
        matches!(
            self,
            AclType::Ipv6 | AclType::MixedEthIpv6 | AclType::MixedEthIpv4Ipv6
        )
    }
    pub fn allows_eth(self) -> bool {
        !matches!(self, AclType::Ipv4 | AclType::Ipv6)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Acl {
    pub name: String,
    pub acl_type: AclType,
    pub aces: Vec<Ace>,
    /// JSON pointer of this ACL in the source document.
    pub pointer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ace {
    pub name: String,
    pub matches: Matches,
    pub action: Forwarding,
    /// JSON pointer of this ACE in the source document.
    pub pointer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Forwarding {
    Accept,
    Drop,
    Reject,
}

/// All match conditions of one ACE. Every condition present must hold.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Matches {
    pub eth: Option<EthMatch>,
    pub ip: Option<IpMatch>,
    pub l4: Option<L4Match>,
    pub mud: MudMatch,
    /// RFC 9761 `ietf-acl-tls:client-profiles`: the (D)TLS profiles the
    /// device's client uses on this flow. Not enforceable by nftables:
    /// the traffic engine judges each ClientHello against them.
    pub tls_profiles: Vec<TlsProfile>,
    /// RFC 8519 leaves that warden parses but cannot enforce (ttl, dscp,
    /// length, flags, ...), with their JSON pointers. An accept rule carrying
    /// one of them is dropped at resolution rather than widened.
    pub unenforced: Vec<String>,
}

/// A (D)TLS version as RFC 9761's `iana-tls-profile` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsVersion {
    Tls12,
    Tls13,
    Dtls12,
    Dtls13,
}

impl TlsVersion {
    pub fn from_name(s: &str) -> Option<TlsVersion> {
        let s = s.strip_prefix("iana-tls-profile:").unwrap_or(s);
        Some(match s {
            "tls12" => TlsVersion::Tls12,
            "tls13" => TlsVersion::Tls13,
            "dtls12" => TlsVersion::Dtls12,
            "dtls13" => TlsVersion::Dtls13,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "tls12",
            TlsVersion::Tls13 => "tls13",
            TlsVersion::Dtls12 => "dtls12",
            TlsVersion::Dtls13 => "dtls13",
        }
    }
    /// The version a (D)TLS hello's code point names, if RFC 9761 can name it.
    pub fn from_code(code: u16, dtls: bool) -> Option<TlsVersion> {
        [
            TlsVersion::Tls12,
            TlsVersion::Tls13,
            TlsVersion::Dtls12,
            TlsVersion::Dtls13,
        ]
        .into_iter()
        .find(|v| v.is_dtls() == dtls && v.code() == code)
    }
    /// The code point a ClientHello offers for this version.
    pub fn code(self) -> u16 {
        match self {
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
            TlsVersion::Dtls12 => 0xfefd,
            TlsVersion::Dtls13 => 0xfefc,
        }
    }
    pub fn is_dtls(self) -> bool {
        matches!(self, TlsVersion::Dtls12 | TlsVersion::Dtls13)
    }
}

/// One RFC 9761 `tls-dtls-profile`: what the device's (D)TLS client
/// offers. An empty list leaves that parameter unconstrained. GREASE values
/// are refused at validation (the RFC forbids them in a profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsProfile {
    pub name: String,
    pub versions: Vec<TlsVersion>,
    pub cipher_suites: Vec<u16>,
    pub extension_types: Vec<u16>,
    pub supported_groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub signature_algorithms_cert: Vec<u16>,
    pub psk_key_exchange_modes: Vec<u8>,
    pub application_protocols: Vec<String>,
    pub cert_compression_algorithms: Vec<u16>,
    /// Members the profile sets that no ClientHello shows (trust anchors,
    /// certificate authorities): kept as the file says, never judged.
    pub not_observable: Vec<String>,
    /// JSON pointer of this profile in the source document.
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpMatch {
    pub version: IpVersion,
    pub protocol: Option<u8>,
    pub src_network: Option<IpPrefix>,
    pub dst_network: Option<IpPrefix>,
    pub src_dnsname: Option<String>,
    pub dst_dnsname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EthMatch {
    pub src_mac: Option<MacAddr>,
    pub src_mac_mask: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    pub dst_mac_mask: Option<MacAddr>,
    pub ethertype: Option<u16>,
}

/// RFC 8519 `port-range-or-operator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum PortMatch {
    Eq { port: u16 },
    Neq { port: u16 },
    Lte { port: u16 },
    Gte { port: u16 },
    Range { lower: u16, upper: u16 },
}

impl PortMatch {
    pub fn matches(&self, p: u16) -> bool {
        match *self {
            PortMatch::Eq { port } => p == port,
            PortMatch::Neq { port } => p != port,
            PortMatch::Lte { port } => p <= port,
            PortMatch::Gte { port } => p >= port,
            PortMatch::Range { lower, upper } => (lower..=upper).contains(&p),
        }
    }
}

impl std::fmt::Display for PortMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PortMatch::Eq { port } => write!(f, "{port}"),
            PortMatch::Neq { port } => write!(f, "any port except {port}"),
            PortMatch::Lte { port } => write!(f, "ports up to {port}"),
            PortMatch::Gte { port } => write!(f, "ports {port} and above"),
            PortMatch::Range { lower, upper } => write!(f, "ports {lower}-{upper}"),
        }
    }
}

/// Which side opens a TCP connection (`ietf-mud:direction-initiated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectionInitiated {
    FromDevice,
    ToDevice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "protocol", rename_all = "kebab-case")]
pub enum L4Match {
    Tcp {
        src_port: Option<PortMatch>,
        dst_port: Option<PortMatch>,
        direction_initiated: Option<DirectionInitiated>,
    },
    Udp {
        src_port: Option<PortMatch>,
        dst_port: Option<PortMatch>,
    },
    Icmp {
        icmp_type: Option<u8>,
        code: Option<u8>,
    },
}

/// The `ietf-mud:mud` match augmentation: the abstractions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MudMatch {
    /// An authority (host name) of a manufacturer.
    pub manufacturer: Option<String>,
    pub same_manufacturer: bool,
    /// A MUD URL naming a model.
    pub model: Option<String>,
    pub local_networks: bool,
    /// A controller class URI.
    pub controller: Option<String>,
    pub my_controller: bool,
}

impl MudMatch {
    pub fn is_empty(&self) -> bool {
        *self == MudMatch::default()
    }
}

impl ValidatedMud {
    pub fn acl(&self, name: &str) -> Option<&Acl> {
        self.acls.iter().find(|a| a.name == name)
    }
    /// Total number of ACEs in the ACLs that the policies reference.
    pub fn ace_count(&self) -> usize {
        self.acls.iter().map(|a| a.aces.len()).sum()
    }
    /// The authority (host) of the MUD URL, used for `same-manufacturer`.
    pub fn authority(&self) -> Option<String> {
        url::Url::parse(&self.meta.mud_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_rejects_host_bits_and_long_lengths() {
        assert!(IpPrefix::parse("10.0.0.0/8").is_ok());
        assert!(IpPrefix::parse("10.0.0.1/8")
            .unwrap_err()
            .to_string()
            .contains("10.0.0.0/8"));
        assert!(IpPrefix::parse("10.0.0.0/33").is_err());
        assert!(IpPrefix::parse("10.0.0.0/").is_err());
        assert!(IpPrefix::parse("10.0.0.0/+8").is_err());
        assert!(IpPrefix::parse("fe80::/10").is_ok());
        assert_eq!(IpPrefix::parse("::/0").unwrap().len, 0);
        assert!(IpPrefix::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(!IpPrefix::parse("10.0.0.0/8")
            .unwrap()
            .contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn mac_parses_colons_and_dashes_only_six_octets() {
        assert_eq!(
            MacAddr::parse("00-11-22-aa-BB-cc").unwrap().to_string(),
            "00:11:22:aa:bb:cc"
        );
        assert!(MacAddr::parse("00:11:22:aa:bb").is_none());
        assert!(MacAddr::parse("00:11:22:aa:bb:cc:dd").is_none());
        assert!(MacAddr::parse("0:11:22:aa:bb:cc").is_none());
    }

    #[test]
    fn port_operators_match_as_rfc8519_says() {
        assert!(PortMatch::Lte { port: 10 }.matches(10));
        assert!(!PortMatch::Gte { port: 10 }.matches(9));
        assert!(!PortMatch::Neq { port: 10 }.matches(10));
        assert!(PortMatch::Range { lower: 1, upper: 3 }.matches(3));
    }
}
