//! A blocklist of bad endpoints in a common plain format, and the detector
//! that flags traffic to them.
//!
//! One entry per line: an IPv4/IPv6 address, a CIDR prefix, or a domain
//! (which also lists its subdomains); hosts-file lines (`0.0.0.0 bad.example`)
//! are read as their domain; `#` starts a comment. This covers the Spamhaus
//! DROP, Feodo Tracker, abuse.ch and hosts-style lists.

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::DevKey;
use std::collections::HashSet;
use std::net::IpAddr;
use warden_mud::IpPrefix;
use warden_wire::{Net, Transport};

#[derive(Debug, Default, Clone)]
pub struct Blocklist {
    hosts: HashSet<IpAddr>,
    nets: Vec<IpPrefix>,
    domains: HashSet<String>,
}

/// The most entries a list may hold.
pub const MAX_ENTRIES: usize = 2_000_000;

#[derive(Debug, thiserror::Error)]
#[error("blocklist line {line}: {message}")]
pub struct BlocklistError {
    pub line: usize,
    pub message: String,
}

impl Blocklist {
    pub fn parse(text: &str) -> Result<Blocklist, BlocklistError> {
        let mut b = Blocklist::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |m: String| BlocklistError {
                line: i + 1,
                message: m,
            };
            if b.len() >= MAX_ENTRIES {
                return Err(err(format!("more than {MAX_ENTRIES} entries")));
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let entry = match fields.as_slice() {
                [one] => *one,
                [sink, name] if matches!(*sink, "0.0.0.0" | "127.0.0.1" | "::" | "::1") => *name,
                // Spamhaus DROP: "1.2.3.0/24 ; SBL123"
                [net, ";", ..] => *net,
                _ => {
                    return Err(err(format!(
                        "expected an address, prefix or domain, found {line:?}"
                    )))
                }
            };
            if let Ok(ip) = entry.parse::<IpAddr>() {
                b.hosts.insert(ip);
            } else if entry.contains('/') {
                let p = IpPrefix::parse(entry).map_err(|e| err(format!("{entry}: {e}")))?;
                b.nets.push(p);
            } else {
                let d = entry.trim_end_matches('.').to_ascii_lowercase();
                warden_mud::validate::check_dns_name(&d)
                    .map_err(|e| err(format!("{entry}: {e}")))?;
                b.domains.insert(d);
            }
        }
        Ok(b)
    }

    pub fn len(&self) -> usize {
        self.hosts.len() + self.nets.len() + self.domains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn has_ip(&self, ip: IpAddr) -> bool {
        self.hosts.contains(&ip) || self.nets.iter().any(|n| n.contains(ip))
    }

    /// The listed domain that `name` is or lies under.
    pub fn domain_of<'a>(&self, name: &'a str) -> Option<&'a str> {
        let mut n = name.trim_end_matches('.');
        loop {
            if self.domains.contains(n) {
                return Some(n);
            }
            n = n.split_once('.')?.1;
        }
    }
}

pub struct BlocklistDetector {
    pub list: Blocklist,
    seen: HashSet<(DevKey, IpAddr)>,
}

impl BlocklistDetector {
    pub fn new(list: Blocklist) -> BlocklistDetector {
        BlocklistDetector {
            list,
            seen: HashSet::new(),
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let (sp, dp) = match ip.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            Transport::Udp(u) => (u.src_port, u.dst_port),
            _ => (0, 0),
        };
        // A listed remote talking with a local device, either way.
        let (dev, remote, role) = if p.ev.src_local && self.list.has_ip(ip.dst) {
            (DevKey::src(d, ip.src), ip.dst, Role::Source)
        } else if p.ev.dst_local && self.list.has_ip(ip.src) {
            (DevKey::dst(d, ip.dst), ip.src, Role::Target)
        } else {
            (DevKey::src(d, ip.src), ip.dst, Role::Source)
        };
        if self.list.has_ip(remote) && self.seen.len() < 1 << 14 && self.seen.insert((dev, remote))
        {
            out.push(detection(
                Kind::Blocklisted,
                dev,
                role,
                p.ts,
                p.ts,
                format!("Traffic between the device and {remote}, which is on the blocklist."),
                &[],
                vec![sample(ip.protocol, ip.src, sp, ip.dst, dp, p.ts)],
            ));
        }
        if let Some(m) = p.ev.dns().filter(|m| !m.response && p.ev.src_local) {
            for (q, _) in &m.questions {
                let q = q.to_ascii_lowercase();
                if let Some(listed) = self.list.domain_of(&q) {
                    out.push(detection(
                        Kind::Blocklisted,
                        DevKey::src(d, ip.src),
                        Role::Source,
                        p.ts,
                        p.ts,
                        format!("The device looked up {q}, under the blocklisted domain {listed}."),
                        &[],
                        vec![sample(ip.protocol, ip.src, sp, ip.dst, dp, p.ts)],
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_errors() {
        let b = Blocklist::parse(
            "# comment\n198.51.100.7\n203.0.113.0/24 ; SBL1\n0.0.0.0 bad.example\nevil.example.net # c2\n2001:db8::/32\n",
        )
        .unwrap();
        assert_eq!(b.len(), 5);
        assert!(b.has_ip("198.51.100.7".parse().unwrap()));
        assert!(b.has_ip("203.0.113.99".parse().unwrap()));
        assert!(b.has_ip("2001:db8::1".parse().unwrap()));
        assert!(!b.has_ip("192.0.2.1".parse().unwrap()));
        assert_eq!(b.domain_of("x.y.bad.example"), Some("bad.example"));
        assert_eq!(b.domain_of("notbad.example"), None);
        let e = Blocklist::parse("ok.example\nnot a valid line here\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Blocklist::parse("300.1.1.1/8").is_err());
    }
}
