//! Which names each device's own DNS traffic bound to which addresses, and
//! when: the evidence that lets a flow to an address count as a flow to a
//! name (`ietf-acldns:dst-dnsname`).
//!
//! A binding comes from a DNS answer addressed to the device (A/AAAA, and
//! every name of the CNAME chain that led there) or from the server name in
//! a TLS ClientHello the device sent. It is valid from the answer until its
//! TTL runs out — at least [`Bindings::min_ttl_ns`], the time the gateway
//! keeps a set element — and from [`SLACK_NS`] before the answer, for
//! captures whose packets arrive out of order.

use crate::common::DevKey;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use warden_wire::dns;

/// Tolerance before an answer: a flow may appear up to this much earlier.
pub const SLACK_NS: i64 = 60 * 1_000_000_000;

const NS: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy)]
struct Span {
    from: i64,
    until: i64,
}

/// One device's bindings: address → name → validity spans.
type ByAddress = HashMap<IpAddr, BTreeMap<String, Vec<Span>>, ahash::RandomState>;

/// Per-device bindings, capped.
pub struct Bindings {
    min_ttl_ns: i64,
    map: HashMap<DevKey, ByAddress, ahash::RandomState>,
    /// Names each device asked for (the head of a CNAME chain).
    asked: HashSet<(DevKey, String), ahash::RandomState>,
    max_addresses: usize,
    addresses: usize,
    pub dropped: u64,
}

/// Spans kept per (device, address, name); older ones are merged.
const MAX_SPANS: usize = 64;

impl Bindings {
    pub fn new(min_ttl_s: u32, max_addresses: usize) -> Bindings {
        Bindings {
            min_ttl_ns: min_ttl_s as i64 * NS,
            map: HashMap::default(),
            asked: HashSet::default(),
            max_addresses,
            addresses: 0,
            dropped: 0,
        }
    }

    pub fn min_ttl_ns(&self) -> i64 {
        self.min_ttl_ns
    }

    pub fn bind(&mut self, device: DevKey, ip: IpAddr, name: &str, at_ns: i64, ttl_s: u32) {
        let until = at_ns.saturating_add((ttl_s as i64 * NS).max(self.min_ttl_ns));
        let dev = self.map.entry(device).or_default();
        let names = match dev.entry(ip) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                if self.addresses >= self.max_addresses {
                    self.dropped += 1;
                    return;
                }
                self.addresses += 1;
                e.insert(BTreeMap::new())
            }
        };
        // Look up before allocating: most answers repeat a known name.
        let spans = match names.get_mut(name) {
            Some(s) => s,
            None => names.entry(name.to_string()).or_default(),
        };
        if let Some(last) = spans.last_mut() {
            if at_ns <= last.until && at_ns >= last.from {
                last.until = last.until.max(until);
                return;
            }
        }
        if spans.len() >= MAX_SPANS {
            // Merge the two oldest: wider, never narrower.
            let b = spans.remove(1);
            spans[0].until = spans[0].until.max(b.until);
        }
        spans.push(Span { from: at_ns, until });
    }

    /// Binds every address of a DNS answer to its owner and to the names of
    /// the CNAME chain that led to it.
    pub fn learn(&mut self, device: DevKey, m: &dns::Message, at_ns: i64) {
        if !m.response {
            return;
        }
        for r in m.resolutions() {
            for name in &r.names {
                self.bind(device, r.address, name, at_ns, r.ttl);
            }
            let head = (device, r.head().to_string());
            if self.asked.len() < self.max_addresses && !self.asked.contains(&head) {
                self.asked.insert(head);
            }
        }
    }

    /// Names bound to `ip` for `device` at `at_ns`.
    pub fn names_at(&self, device: DevKey, ip: IpAddr, at_ns: i64) -> Vec<&str> {
        let Some(names) = self.map.get(&device).and_then(|d| d.get(&ip)) else {
            return Vec::new();
        };
        names
            .iter()
            .filter(|(_, spans)| {
                spans
                    .iter()
                    .any(|s| s.from - SLACK_NS <= at_ns && at_ns <= s.until)
            })
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The name to show for `ip`: among those bound at `at_ns`, one the
    /// device asked for (not a CNAME target), else the first in order.
    pub fn best_name(&self, device: DevKey, ip: IpAddr, at_ns: i64) -> Option<String> {
        let names = self.names_at(device, ip, at_ns);
        names
            .iter()
            .find(|n| self.asked.contains(&(device, n.to_string())))
            .or(names.first())
            .map(|n| n.to_string())
    }

    /// Whether `name` is bound to `ip` for `device` at `at_ns`.
    pub fn is_bound(&self, device: DevKey, ip: IpAddr, name: &str, at_ns: i64) -> bool {
        self.map
            .get(&device)
            .and_then(|d| d.get(&ip))
            .and_then(|n| n.get(name))
            .is_some_and(|spans| {
                spans
                    .iter()
                    .any(|s| s.from - SLACK_NS <= at_ns && at_ns <= s.until)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const D: DevKey = DevKey::Mac([2, 0, 0, 0, 0, 1]);

    #[test]
    fn binding_covers_ttl_floor_and_slack() {
        let mut b = Bindings::new(300, 100);
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        b.bind(D, ip, "api.example.com", 1000 * NS, 30);
        assert!(b.is_bound(D, ip, "api.example.com", 1000 * NS));
        assert!(b.is_bound(D, ip, "api.example.com", 1290 * NS)); // floor 300 s
        assert!(!b.is_bound(D, ip, "api.example.com", 1301 * NS));
        assert!(b.is_bound(D, ip, "api.example.com", 950 * NS)); // slack
        assert!(!b.is_bound(D, ip, "api.example.com", 900 * NS));
        assert!(!b.is_bound(DevKey::Network, ip, "api.example.com", 1000 * NS));
        assert_eq!(b.names_at(D, ip, 1000 * NS), vec!["api.example.com"]);
    }

    #[test]
    fn caps_hold() {
        let mut b = Bindings::new(0, 2);
        for i in 0..5u8 {
            b.bind(D, IpAddr::from([10, 0, 0, i]), "x.example", 0, 10);
        }
        assert_eq!(b.dropped, 3);
        for i in 0..200 {
            b.bind(
                D,
                IpAddr::from([10, 0, 0, 0]),
                "x.example",
                i * 100 * NS,
                10,
            );
        }
        assert!(b.is_bound(D, IpAddr::from([10, 0, 0, 0]), "x.example", 19_900 * NS));
    }
}
