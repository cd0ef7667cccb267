//! Lies about addresses on the LAN:
//!
//! - **`spoof.arp`**: an ARP packet (or an IPv6 neighbour advertisement)
//!   from one MAC claims an address that another MAC claimed within the
//!   hold time: the classic man-in-the-middle, or an attempt to frame a
//!   neighbour. Both MACs are named.
//! - **`spoof.source`**: a device (its MAC) sends packets to the outside
//!   with many source addresses that are not local: a spoofed flood (Mirai
//!   randomises sources), which BCP 38 egress filtering drops and which
//!   must be pinned on the MAC that sent it.
//!
//! Not handled: a spoofer that changes its MAC with every frame (each MAC
//! claims once and is caught only when it claims a known address).

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{DevKey, NS};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use warden_wire::Net;

/// How long an address stays bound to the MAC that last claimed it.
const HOLD_S: i64 = 300;
/// Distinct non-local source addresses from one MAC in the window.
const SPOOFED_SOURCES: usize = 16;
const WINDOW_S: i64 = 10;
const MAX_BINDINGS: usize = 4096;
const MAX_SPOOFERS: usize = 1024;

#[derive(Default)]
struct Spoofer {
    start: i64,
    sources: HashSet<IpAddr>,
    fired: bool,
}

#[derive(Default)]
pub struct Spoof {
    /// address -> (MAC, last claimed)
    bindings: HashMap<IpAddr, ([u8; 6], i64)>,
    /// (address, old MAC, new MAC) already alerted, so one takeover is one alert.
    alerted: HashSet<(IpAddr, [u8; 6], [u8; 6])>,
    spoofers: HashMap<[u8; 6], Spoofer>,
    pub dropped: u64,
}

fn mac_s(m: &[u8; 6]) -> String {
    DevKey::Mac(*m).to_string()
}

impl Spoof {
    fn claim(&mut self, ip: IpAddr, mac: [u8; 6], ts: i64, out: &mut Vec<Detection>) {
        if ip.is_unspecified() || mac == [0; 6] || mac[0] & 1 == 1 {
            return; // probes (0.0.0.0, ::) and broadcast senders claim nothing
        }
        let held = self.bindings.get(&ip).copied();
        match held {
            Some((old, since)) if old != mac && ts.saturating_sub(since) <= HOLD_S * NS => {
                if self.alerted.len() < MAX_BINDINGS && self.alerted.insert((ip, old, mac)) {
                    out.push(detection(
                        Kind::SpoofArp,
                        DevKey::Mac(mac),
                        Role::Source,
                        since,
                        ts,
                        format!(
                            "The device {} claimed the address {ip}, which {} held {} s before: \
                             one of them lies about its address to intercept or frame the other.",
                            mac_s(&mac),
                            mac_s(&old),
                            ts.saturating_sub(since) / NS
                        ),
                        &[],
                        vec![sample(0, ip, 0, ip, 0, ts)],
                    ));
                }
                // The first claimant keeps the address: a spoofer does not
                // get to rewrite history by repeating itself.
            }
            _ => {
                if self.bindings.len() >= MAX_BINDINGS && held.is_none() {
                    self.bindings
                        .retain(|_, (_, t)| ts.saturating_sub(*t) <= HOLD_S * NS);
                    if self.bindings.len() >= MAX_BINDINGS {
                        self.dropped += 1;
                        return;
                    }
                }
                self.bindings.insert(ip, (mac, ts));
            }
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let ts = p.ts;
        match &d.net {
            Net::Arp(a) if a.op == 1 || a.op == 2 => {
                // The sender's own binding, in requests and replies alike,
                // pinned on the frame's source MAC when the ARP body names
                // another.
                let mac = d.src_mac.unwrap_or(a.sender_mac);
                self.claim(IpAddr::V4(a.sender_ip), mac, ts, out);
            }
            Net::Ip(ip) => {
                if let (Some((136, target)), Some(src)) = (ip.transport.nd_target(), d.src_mac) {
                    self.claim(IpAddr::V6(target), src, ts, out);
                }
                // Spoofed sources: outbound, neither end local.
                let Some(mac) = d.src_mac else { return };
                if p.ev.src_local || p.ev.dst_local || ip.src.is_unspecified() {
                    return;
                }
                if self.spoofers.len() >= MAX_SPOOFERS && !self.spoofers.contains_key(&mac) {
                    self.spoofers
                        .retain(|_, s| ts.saturating_sub(s.start) <= WINDOW_S * NS);
                    if self.spoofers.len() >= MAX_SPOOFERS {
                        self.dropped += 1;
                        return;
                    }
                }
                let s = self.spoofers.entry(mac).or_default();
                if ts.saturating_sub(s.start) > WINDOW_S * NS {
                    *s = Spoofer {
                        start: ts,
                        ..Default::default()
                    };
                }
                if s.sources.len() < 64 {
                    s.sources.insert(ip.src);
                }
                if !s.fired && s.sources.len() >= SPOOFED_SOURCES {
                    s.fired = true;
                    out.push(detection(
                        Kind::SpoofSource,
                        DevKey::Mac(mac),
                        Role::Source,
                        s.start,
                        ts,
                        format!(
                            "The device sent packets to the internet from {} different addresses that are not \
                             its own within {WINDOW_S} s: it forges its source address, as flooding bots do. \
                             The gateway drops such packets.",
                            s.sources.len()
                        ),
                        &[("sources", s.sources.len() as u64)],
                        vec![sample(ip.protocol, ip.src, 0, ip.dst, 0, ts)],
                    ));
                }
            }
            _ => {}
        }
    }
}
