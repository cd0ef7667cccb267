//! Small pieces the detectors share: compact device keys and capped,
//! windowed counters.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use warden_wire::Decoded;

/// A device as the hot path keys it: its MAC, or its address when frames
/// carry none (raw IP captures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DevKey {
    Mac([u8; 6]),
    Ip(IpAddr),
    /// The local network as a whole (an inbound sweep of many devices).
    Network,
}

impl DevKey {
    pub fn of(mac: Option<[u8; 6]>, ip: IpAddr) -> DevKey {
        match mac {
            Some(m) if m[0] & 1 == 0 && m != [0; 6] => DevKey::Mac(m),
            _ => DevKey::Ip(ip),
        }
    }
    pub fn src(d: &Decoded<'_>, ip: IpAddr) -> DevKey {
        DevKey::of(d.src_mac, ip)
    }
    pub fn dst(d: &Decoded<'_>, ip: IpAddr) -> DevKey {
        DevKey::of(d.dst_mac, ip)
    }
}

impl std::fmt::Display for DevKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DevKey::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            DevKey::Ip(ip) => write!(f, "{ip}"),
            DevKey::Network => f.write_str("network"),
        }
    }
}

pub const NS: i64 = 1_000_000_000;

/// One window of distinct items for one key. The first item is kept
/// inline, so that the many keys that never see a second item (a scanner's
/// one probe per host) cost no allocation.
pub struct Window<V> {
    pub start: i64,
    pub last: i64,
    first: Option<V>,
    rest: Vec<V>,
    /// Events in the window (not only distinct ones).
    pub events: u64,
    pub fired: bool,
    /// `events` when the window last fired.
    fired_events: u64,
}

impl<V: PartialEq> Window<V> {
    pub fn distinct(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
    fn insert(&mut self, v: V) {
        if self.first.as_ref() == Some(&v) || self.rest.contains(&v) {
            return;
        }
        if self.first.is_none() {
            self.first = Some(v);
        } else {
            self.rest.push(v);
        }
    }
    fn clear(&mut self) {
        self.first = None;
        self.rest.clear();
    }
}

/// A window that crossed its threshold.
#[derive(Debug, Clone, Copy)]
pub struct Fired {
    pub start: i64,
    pub last: i64,
    pub events: u64,
}

/// Distinct items per key in tumbling windows. A key's set never holds
/// more than `threshold` items (enough to decide; thresholds are small, so
/// a linear search beats hashing), and the table never more
/// than `max_keys` keys: when full, windows that ended are swept, and if
/// none did the new key is counted as dropped.
pub struct WindowSets<K, V> {
    pub window_ns: i64,
    pub threshold: usize,
    max_keys: usize,
    map: HashMap<K, Window<V>, ahash::RandomState>,
    /// When the table was last swept: a full table is swept at most once
    /// per eighth of a window, so a flood of new keys costs O(1) each.
    swept: i64,
    pub dropped: u64,
}

impl<K: Hash + Eq + Clone, V: PartialEq> WindowSets<K, V> {
    pub fn new(window_ns: i64, threshold: usize, max_keys: usize) -> Self {
        WindowSets {
            window_ns,
            threshold: threshold.max(1),
            max_keys,
            map: HashMap::default(),
            swept: i64::MIN,
            dropped: 0,
        }
    }

    /// Adds `item` under `key` at `ts`; returns the window when this item
    /// made it cross the threshold, and again after each further
    /// `threshold` events in the same window.
    pub fn add(&mut self, key: K, item: V, ts: i64) -> Option<Fired> {
        if self.map.len() >= self.max_keys && !self.map.contains_key(&key) {
            let w = self.window_ns;
            if ts.saturating_sub(self.swept) > w / 8 {
                self.swept = ts;
                self.map.retain(|_, v| ts - v.start <= w);
            }
            if self.map.len() >= self.max_keys {
                self.dropped += 1;
                return None;
            }
        }
        let w = self.map.entry(key.clone()).or_insert_with(|| Window {
            start: ts,
            last: ts,
            first: None,
            rest: Vec::new(),
            events: 0,
            fired: false,
            fired_events: 0,
        });
        if ts - w.start > self.window_ns || ts < w.start - self.window_ns {
            w.start = ts;
            w.clear();
            w.events = 0;
            w.fired = false;
        }
        w.last = w.last.max(ts);
        w.events += 1;
        if w.distinct() < self.threshold {
            w.insert(item);
        }
        // Fired once per window; fired again while the same behaviour goes
        // on (another `threshold` events), so that a consumer that acts on
        // each firing (the gateway's quarantine) is never left without one
        // after it released the device. Alerts fold repeats into one.
        let again = w.fired && w.events - w.fired_events >= self.threshold as u64;
        if (!w.fired || again) && w.distinct() >= self.threshold {
            w.fired = true;
            w.fired_events = w.events;
            return Some(Fired {
                start: w.start,
                last: w.last,
                events: w.events,
            });
        }
        None
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut Window<V>> {
        self.map.get_mut(key)
    }
}

pub fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "tcp",
        17 => "udp",
        1 | 58 => "icmp",
        47 => "gre",
        _ => "ip",
    }
}

/// Case-insensitive search for an ASCII needle.
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A time in nanoseconds since the epoch as RFC 3339 text (UTC); None past
/// what the calendar holds.
pub(crate) fn rfc3339(ns: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(ns.div_euclid(1_000_000_000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_per_window_and_resets() {
        let mut w: WindowSets<u8, u32> = WindowSets::new(60 * NS, 3, 10);
        assert!(w.add(1, 1, 0).is_none());
        assert!(w.add(1, 1, NS).is_none());
        assert!(w.add(1, 2, NS).is_none());
        assert!(w.add(1, 3, 2 * NS).is_some());
        assert!(w.add(1, 4, 3 * NS).is_none());
        // A new window starts after 60 s.
        assert!(w.add(1, 1, 100 * NS).is_none());
        assert!(w.add(1, 2, 100 * NS).is_none());
        assert!(w.add(1, 3, 100 * NS).is_some());
    }

    #[test]
    fn key_cap_sweeps_then_drops() {
        let mut w: WindowSets<u32, u32> = WindowSets::new(10 * NS, 2, 4);
        for k in 0..4 {
            w.add(k, 0, 0);
        }
        w.add(9, 0, 1);
        assert_eq!(w.dropped, 1);
        w.add(10, 0, 100 * NS); // old windows swept
        assert_eq!(w.dropped, 1);
    }
}
