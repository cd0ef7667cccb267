//! Beaconing: a device opening connections to one remote service at a
//! regular interval (C2 check-ins). Judged per (device, remote address,
//! protocol, port) on the start times of the flows the device opened: at
//! least `beacon_connections` of them, a median interval of at least
//! `beacon_min_interval_s`, and a median absolute deviation of the
//! intervals at most `beacon_jitter_percent` of the median.
//!
//! Many devices check in with their cloud this way, so a beacon alone is
//! low severity; DNS, NTP, DHCP, mDNS and SSDP are not judged.

use super::detection;
use crate::alert::{Detection, EvidenceFlow, Kind, Role};
use crate::common::{DevKey, NS};
use crate::Thresholds;
use std::collections::HashMap;
use std::net::IpAddr;
use warden_flow::Flow;

type Key = (DevKey, IpAddr, u8, u16);

pub struct Beacon {
    starts: HashMap<Key, Vec<i64>, ahash::RandomState>,
    min: usize,
    jitter_pct: i64,
    min_interval_ns: i64,
    pub dropped: u64,
}

/// Keys and start times per key: at most 32 Ki x 64 x 8 B = 16 MiB.
const MAX_KEYS: usize = 1 << 15;
const MAX_STARTS: usize = 64;

impl Beacon {
    pub fn new(t: &Thresholds) -> Beacon {
        Beacon {
            starts: HashMap::default(),
            min: t.beacon_connections.max(3) as usize,
            jitter_pct: t.beacon_jitter_percent as i64,
            min_interval_ns: t.beacon_min_interval_s as i64 * NS,
            dropped: 0,
        }
    }

    /// Every flow counts, whichever side is local: a host on a public
    /// address (no `--lan`) beacons all the same.
    pub fn flow(&mut self, f: &Flow, _local: [bool; 2]) {
        if matches!(
            f.responder.port,
            53 | 123 | 67 | 68 | 5353 | 5355 | 1900 | 137 | 138
        ) {
            return;
        }
        if warden_addr::is_group(f.responder.ip) {
            return;
        }
        let key = (
            DevKey::of(f.macs[0], f.initiator.ip),
            f.responder.ip,
            f.key.protocol,
            f.responder.port,
        );
        if self.starts.len() >= MAX_KEYS && !self.starts.contains_key(&key) {
            self.dropped += 1;
            return;
        }
        let v = self.starts.entry(key).or_default();
        if v.len() < MAX_STARTS {
            v.push(f.first_ns);
        }
    }

    pub fn finish(
        &mut self,
        names: impl Fn(DevKey, IpAddr, i64) -> Vec<String>,
        out: &mut Vec<Detection>,
    ) {
        // The engine orders all detections before raising them, so the
        // table's own order does not matter here.
        let min = self.min;
        for (key, mut t) in self.starts.drain().filter(|(_, t)| t.len() >= min) {
            t.sort_unstable();
            let mut gaps: Vec<i64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            gaps.sort_unstable();
            let median = gaps[gaps.len() / 2];
            if median < self.min_interval_ns.max(1) {
                continue;
            }
            let mut dev: Vec<i64> = gaps.iter().map(|g| (g - median).abs()).collect();
            dev.sort_unstable();
            let mad = dev[dev.len() / 2];
            if mad * 100 > median * self.jitter_pct {
                continue;
            }
            let (device, ip, proto, port) = key;
            let name = names(device, ip, t[0]);
            let remote = if name.is_empty() {
                ip.to_string()
            } else {
                format!("{ip} ({})", name.join(", "))
            };
            let secs = median as f64 / NS as f64;
            out.push(detection(
                Kind::Beacon,
                device,
                Role::Source,
                t[0],
                *t.last().unwrap_or(&t[0]),
                format!(
                    "The device connected to {remote} {} port {port} {} times, every {secs:.1} s \
                     (jitter {:.0} ms): a regular check-in, as C2 beacons and keep-alives do.",
                    if proto == 6 { "TCP" } else { "UDP" },
                    t.len(),
                    mad as f64 / 1e6
                ),
                &[
                    ("connections", t.len() as u64),
                    ("median interval ms", (median / 1_000_000) as u64),
                    ("jitter ms", (mad / 1_000_000) as u64),
                ],
                vec![EvidenceFlow {
                    protocol: if proto == 6 { "tcp" } else { "udp" },
                    src: device.to_string(),
                    dst: format!("{ip}:{port}"),
                    first_ns: t[0],
                    packets: t.len() as u64,
                    bytes: 0,
                }],
            ));
        }
    }
}
