//! DNS abuse, from the queries devices send (UDP/TCP port 53; mDNS and
//! LLMNR are not DNS to a resolver and are left out):
//!
//! - **Water torture**: many distinct random subdomains of one domain
//!   (Mirai's "dns" attack makes the victim's authoritative servers answer
//!   for names that do not exist).
//! - **Tunnel**: queries whose names carry data: a label at least
//!   `dns_tunnel_label` long in a name at least `dns_tunnel_name` long,
//!   repeated `dns_tunnel_queries` times in the window.
//! - **Other resolver**: DNS sent to a server that is neither a configured
//!   DNS controller nor one the DHCP server announced (option 6), nor the
//!   router it announced (option 3). Judged only once resolvers are known.

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{DevKey, WindowSets, NS};
use crate::Thresholds;
use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;
use warden_wire::{Net, Transport};

pub struct DnsAbuse {
    subdomains: WindowSets<(DevKey, String), String>,
    tunnel: WindowSets<DevKey, String>,
    label: usize,
    name: usize,
    /// Resolvers the network configured (context, DHCP options 3 and 6).
    pub resolvers: BTreeSet<IpAddr>,
    other_seen: HashSet<(DevKey, IpAddr)>,
}

/// The registrable-looking domain: the last two labels, or three when the
/// second-to-last is a short public suffix part (co.uk, com.au).
pub fn base_domain(name: &str) -> &str {
    let name = name.trim_end_matches('.');
    let dots: Vec<usize> = name.match_indices('.').map(|(i, _)| i).collect();
    let n = dots.len();
    if n < 1 {
        return name;
    }
    let two = if n >= 2 { dots[n - 2] + 1 } else { 0 };
    let sld = &name[two..dots[n - 1]];
    let tld_len = name.len() - dots[n - 1] - 1;
    if n >= 2
        && tld_len == 2
        && sld.len() <= 3
        && matches!(
            sld,
            "co" | "com" | "net" | "org" | "ac" | "gov" | "edu" | "ne" | "or"
        )
    {
        let three = if n >= 3 { dots[n - 3] + 1 } else { 0 };
        return &name[three..];
    }
    &name[two..]
}

impl DnsAbuse {
    pub fn new(t: &Thresholds) -> DnsAbuse {
        let w = t.window_s as i64 * NS;
        DnsAbuse {
            subdomains: WindowSets::new(w, t.dns_subdomains as usize, 1 << 14),
            tunnel: WindowSets::new(w, t.dns_tunnel_queries as usize, 1 << 14),
            label: t.dns_tunnel_label as usize,
            name: t.dns_tunnel_name as usize,
            resolvers: BTreeSet::new(),
            other_seen: HashSet::new(),
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let (sport, dport) = match ip.transport {
            Transport::Udp(u) => (u.src_port, u.dst_port),
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            _ => return,
        };
        if dport != 53 {
            return;
        }
        let Some(m) = p.ev.dns() else { return };
        if m.response {
            return;
        }
        let dev = DevKey::src(d, ip.src);
        let ts = p.ts;
        if p.ev.src_local
            && !self.resolvers.is_empty()
            && !self.resolvers.contains(&ip.dst)
            && self.other_seen.len() < 4096
            && self.other_seen.insert((dev, ip.dst))
        {
            out.push(detection(
                Kind::DnsOtherResolver,
                dev,
                Role::Source,
                ts,
                ts,
                format!(
                    "The device sent DNS to {} instead of the network's resolvers ({}).",
                    ip.dst,
                    self.resolvers
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &[],
                vec![sample(ip.protocol, ip.src, sport, ip.dst, dport, ts)],
            ));
        }
        for (q, qtype) in &m.questions {
            let q = q.trim_end_matches('.').to_ascii_lowercase();
            if q.ends_with(".arpa") || q.ends_with(".local") {
                continue;
            }
            let longest = q.split('.').map(str::len).max().unwrap_or(0);
            if longest >= self.label && q.len() >= self.name {
                let n = self.tunnel.threshold as u64;
                if let Some(w) = self.tunnel.add(dev, q.clone(), ts) {
                    out.push(detection(
                        Kind::DnsTunnel,
                        dev,
                        Role::Source,
                        w.start,
                        w.last,
                        format!(
                            "The device sent {n} DNS queries with long encoded names within {} s \
                             (e.g. {}…, type {qtype}): data hidden in DNS.",
                            self.tunnel.window_ns / NS,
                            &q[..q.len().min(60)]
                        ),
                        &[("queries", w.events)],
                        vec![sample(ip.protocol, ip.src, sport, ip.dst, dport, ts)],
                    ));
                }
                continue;
            }
            let base = base_domain(&q);
            if base.len() >= q.len() {
                continue;
            }
            let sub = q[..q.len() - base.len()].trim_end_matches('.').to_string();
            let n = self.subdomains.threshold as u64;
            if let Some(w) = self.subdomains.add((dev, base.to_string()), sub, ts) {
                out.push(detection(
                    Kind::DnsWaterTorture,
                    dev,
                    Role::Source,
                    w.start,
                    w.last,
                    format!(
                        "The device asked for {n} or more different names under {base} within {} s: \
                         random-subdomain (water torture) attack on that domain's servers.",
                        self.subdomains.window_ns / NS
                    ),
                    &[("subdomains", n), ("queries", w.events)],
                    vec![sample(ip.protocol, ip.src, sport, ip.dst, dport, ts)],
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::base_domain;

    #[test]
    fn base_domains() {
        assert_eq!(base_domain("a.b.example.com"), "example.com");
        assert_eq!(base_domain("x.bbc.co.uk."), "bbc.co.uk");
        assert_eq!(base_domain("example.com"), "example.com");
        assert_eq!(base_domain("localhost"), "localhost");
    }
}
