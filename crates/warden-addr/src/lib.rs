//! # warden-addr: the addresses warden reasons about
//!
//! One model, shared by every stage: [`IpPrefix`] (a CIDR prefix in
//! canonical form, as YANG's `inet:ip-prefix` and the command line give it),
//! [`MacAddr`] (written with colons, parsed with colons or dashes),
//! [`IpVersion`], and [`AddressClass`]: whether an address is on the local
//! network by default (private, CGNAT's shared space, link-local, loopback,
//! unique-local), a group address (multicast, broadcast), or public. MUD
//! files, the analyzer, the detectors, the prober's fence and the gateway
//! all read addresses through these types.

use serde::Serialize;
use std::net::IpAddr;

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    pub fn of(ip: IpAddr) -> IpVersion {
        if ip.is_ipv4() {
            IpVersion::V4
        } else {
            IpVersion::V6
        }
    }
}

/// Why a prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error("`{0}` is not an IP address")]
    NotAnAddress(String),
    #[error("`{0}` is not a prefix length")]
    NotALength(String),
    #[error("prefix length {len} is longer than {max}")]
    TooLong { len: u16, max: u8 },
    #[error("`{given}` has bits set after the first {len}; did you mean {network}/{len}?")]
    HostBits {
        given: String,
        len: u8,
        network: IpAddr,
    },
}

/// An IP prefix in canonical form (host bits are checked to be zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpPrefix {
    pub fn host(addr: IpAddr) -> IpPrefix {
        let len = if addr.is_ipv4() { 32 } else { 128 };
        IpPrefix { addr, len }
    }
    pub fn is_host(&self) -> bool {
        self.len == if self.addr.is_ipv4() { 32 } else { 128 }
    }
    pub fn version(&self) -> IpVersion {
        IpVersion::of(self.addr)
    }
    /// Parses `a.b.c.d/n` or `x::y/n` (a bare address is a host prefix).
    /// Rejects host bits set past the prefix length, as YANG's
    /// `ipv4-prefix`/`ipv6-prefix` canonical form requires.
    pub fn parse(s: &str) -> Result<IpPrefix, PrefixError> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| PrefixError::NotAnAddress(a.to_string()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            None => max,
            Some(l) => {
                if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PrefixError::NotALength(l.to_string()));
                }
                let n: u16 = l
                    .parse()
                    .map_err(|_| PrefixError::NotALength(l.to_string()))?;
                if n > max as u16 {
                    return Err(PrefixError::TooLong { len: n, max });
                }
                n as u8
            }
        };
        let p = IpPrefix { addr, len };
        if p.masked() != addr {
            return Err(PrefixError::HostBits {
                given: s.to_string(),
                len,
                network: p.masked(),
            });
        }
        Ok(p)
    }
    fn masked(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => {
                let m = if self.len == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.len as u32)
                };
                IpAddr::V4((u32::from(a) & m).into())
            }
            IpAddr::V6(a) => {
                let m = if self.len == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.len as u32)
                };
                IpAddr::V6((u128::from(a) & m).into())
            }
        }
    }
    pub fn contains(&self, ip: IpAddr) -> bool {
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        IpPrefix {
            addr: ip,
            len: self.len,
        }
        .masked()
            == self.addr
    }
}

impl std::fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

/// A 48-bit MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// A group (multicast or broadcast) address: the I/G bit is set.
    pub fn is_group(&self) -> bool {
        self.0[0] & 1 != 0
    }
    /// One device's address: not a group address and not all zeros.
    pub fn is_unicast(&self) -> bool {
        !self.is_group() && self.0 != [0; 6]
    }
    pub fn parse(s: &str) -> Option<MacAddr> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for b in out.iter_mut() {
            let p = parts.next()?;
            if p.len() != 2 {
                return None;
            }
            *b = u8::from_str_radix(p, 16).ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(MacAddr(out))
    }
}

impl std::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What kind of address an IP address is, by the IANA special-purpose
/// registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressClass {
    /// 0.0.0.0 and ::.
    Unspecified,
    /// 127/8 and ::1.
    Loopback,
    /// 224/4 and ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 169.254/16 and fe80::/10.
    LinkLocal,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// RFC 6598's shared address space, 100.64/10 (carrier-grade NAT).
    Shared,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// Anything else.
    Public,
}

impl AddressClass {
    pub fn of(ip: IpAddr) -> AddressClass {
        match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                if a.is_unspecified() {
                    AddressClass::Unspecified
                } else if a.is_loopback() {
                    AddressClass::Loopback
                } else if a.is_multicast() {
                    AddressClass::Multicast
                } else if a.is_broadcast() {
                    AddressClass::Broadcast
                } else if a.is_link_local() {
                    AddressClass::LinkLocal
                } else if a.is_private() {
                    AddressClass::Private
                } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                    AddressClass::Shared
                } else {
                    AddressClass::Public
                }
            }
            IpAddr::V6(a) => {
                let s = a.segments()[0];
                if a.is_unspecified() {
                    AddressClass::Unspecified
                } else if a.is_loopback() {
                    AddressClass::Loopback
                } else if a.is_multicast() {
                    AddressClass::Multicast
                } else if (s & 0xffc0) == 0xfe80 {
                    AddressClass::LinkLocal
                } else if (s & 0xfe00) == 0xfc00 {
                    AddressClass::UniqueLocal
                } else {
                    AddressClass::Public
                }
            }
        }
    }

    /// On the local network when nobody said which networks are local:
    /// private, shared, link-local, loopback and unique-local addresses.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            AddressClass::Loopback
                | AddressClass::LinkLocal
                | AddressClass::Private
                | AddressClass::Shared
                | AddressClass::UniqueLocal
        )
    }

    /// Multicast or broadcast: many receivers, never one device.
    pub fn is_group(self) -> bool {
        matches!(self, AddressClass::Multicast | AddressClass::Broadcast)
    }
}

/// See [`AddressClass::is_local`].
pub fn is_local_by_default(ip: IpAddr) -> bool {
    AddressClass::of(ip).is_local()
}

/// See [`AddressClass::is_group`].
pub fn is_group(ip: IpAddr) -> bool {
    AddressClass::of(ip).is_group()
}

/// A group address, or an IPv4 address ending in .255: the directed
/// broadcast of a /24, the commonest home network. A guess that errs towards
/// "not one remote host", for reports that should not list a broadcast as a
/// destination.
pub fn is_link_scope(ip: IpAddr) -> bool {
    is_group(ip) || matches!(ip, IpAddr::V4(a) if a.octets()[3] == 255)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        AddressClass::of(s.parse().unwrap())
    }

    #[test]
    fn classes_follow_the_special_purpose_registries() {
        use AddressClass::*;
        for (a, c) in [
            ("0.0.0.0", Unspecified),
            ("127.0.0.1", Loopback),
            ("224.0.0.251", Multicast),
            ("255.255.255.255", Broadcast),
            ("169.254.1.1", LinkLocal),
            ("10.1.2.3", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.0.1", Private),
            ("100.64.0.1", Shared),
            ("100.127.255.255", Shared),
            ("100.128.0.1", Public),
            ("8.8.8.8", Public),
            ("::", Unspecified),
            ("::1", Loopback),
            ("ff02::fb", Multicast),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Public),
            ("fd00::1", UniqueLocal),
            ("fc00::1", UniqueLocal),
            ("2001:db8::1", Public),
        ] {
            assert_eq!(class(a), c, "{a}");
        }
        assert!(is_local_by_default("100.64.0.1".parse().unwrap()));
        assert!(!is_local_by_default("224.0.0.251".parse().unwrap()));
        assert!(is_link_scope("192.168.1.255".parse().unwrap()));
        assert!(!is_link_scope("192.168.1.254".parse().unwrap()));
    }

    #[test]
    fn prefixes_are_canonical_and_errors_say_what_is_wrong() {
        assert!(IpPrefix::parse("10.0.0.0/8")
            .unwrap()
            .contains("10.9.9.9".parse().unwrap()));
        assert!(!IpPrefix::parse("10.0.0.0/8")
            .unwrap()
            .contains("::a00:1".parse().unwrap()));
        assert_eq!(
            IpPrefix::parse("10.0.0.1/8").unwrap_err().to_string(),
            "`10.0.0.1/8` has bits set after the first 8; did you mean 10.0.0.0/8?"
        );
        assert_eq!(
            IpPrefix::parse("10.0.0.0/33"),
            Err(PrefixError::TooLong { len: 33, max: 32 })
        );
        assert!(matches!(
            IpPrefix::parse("x/8"),
            Err(PrefixError::NotAnAddress(_))
        ));
        assert!(matches!(
            IpPrefix::parse("10.0.0.0/+8"),
            Err(PrefixError::NotALength(_))
        ));
        assert_eq!(IpPrefix::parse("::/0").unwrap().to_string(), "::/0");
        assert_eq!(IpPrefix::parse("fd00::1").unwrap().to_string(), "fd00::1");
    }

    #[test]
    fn macs_parse_in_either_notation() {
        let m = MacAddr::parse("02-00-5E-10-00-01").unwrap();
        assert_eq!(m.to_string(), "02:00:5e:10:00:01");
        assert!(m.is_unicast());
        assert!(MacAddr([0xff; 6]).is_group());
        assert!(!MacAddr([0; 6]).is_unicast());
        for bad in [
            "02:00:5e:10:00",
            "02:00:5e:10:00:01:02",
            "0:00:5e:10:00:01",
            "zz:00:5e:10:00:01",
        ] {
            assert_eq!(MacAddr::parse(bad), None, "{bad}");
        }
    }
}
