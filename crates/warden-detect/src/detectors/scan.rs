//! Scans: horizontal (one source, one TCP port, many hosts: Mirai probes
//! 23 and 2323), vertical (one source, one host, many ports), ARP sweeps
//! and ICMP echo sweeps. Counted from TCP SYNs without ACK (stateless
//! scanners never complete a handshake; the SYN-ACKs that come back are
//! counted as evidence), ARP requests and echo requests.
//!
//! A scan from a local device makes the device the source (high severity:
//! it behaves like a bot). A scan from outside of a local device makes it
//! the target (low: the internet scans everyone).

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{DevKey, WindowSets, NS};
use crate::Thresholds;
use std::net::IpAddr;
use warden_wire::{Net, TcpSegment, Transport};

pub struct Scan {
    horizontal: WindowSets<(IpAddr, u16), IpAddr>,
    vertical: WindowSets<(IpAddr, IpAddr), u16>,
    arp: WindowSets<[u8; 6], std::net::Ipv4Addr>,
    icmp: WindowSets<IpAddr, IpAddr>,
}

const MAX_KEYS: usize = 1 << 16;

impl Scan {
    pub fn new(t: &Thresholds) -> Scan {
        let w = t.window_s as i64 * NS;
        Scan {
            horizontal: WindowSets::new(w, t.scan_hosts as usize, MAX_KEYS),
            vertical: WindowSets::new(w, t.scan_ports as usize, MAX_KEYS),
            arp: WindowSets::new(w, t.arp_sweep_hosts as usize, MAX_KEYS),
            icmp: WindowSets::new(w, t.icmp_sweep_hosts as usize, MAX_KEYS),
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        match &d.net {
            Net::Arp(a) if a.op == 1 && a.sender_ip != a.target_ip => {
                let n = self.arp.threshold as u64;
                if let Some(w) = self.arp.add(a.sender_mac, a.target_ip, p.ts) {
                    out.push(detection(
                        Kind::ScanArp,
                        DevKey::Mac(a.sender_mac),
                        Role::Source,
                        w.start,
                        w.last,
                        format!(
                            "The device asked (ARP) for {n} or more different addresses within {} s, \
                             which is how a scanner maps a network.",
                            self.arp.window_ns / NS
                        ),
                        &[("addresses", n), ("requests", w.events)],
                        vec![],
                    ));
                }
            }
            Net::Ip(ip) if d.tunnels == 0 => match ip.transport {
                Transport::Tcp(t)
                    if t.flags & (TcpSegment::SYN | TcpSegment::ACK) == TcpSegment::SYN =>
                {
                    let (role, dev) = role(p, ip.src, ip.dst);
                    let n = self.horizontal.threshold as u64;
                    if let Some(w) = self.horizontal.add((ip.src, t.dst_port), ip.dst, p.ts) {
                        let dev = if role == Role::Target {
                            DevKey::Network
                        } else {
                            dev
                        };
                        out.push(detection(
                            Kind::ScanHorizontal,
                            dev,
                            role,
                            w.start,
                            w.last,
                            format!(
                                "{} probed TCP port {} on {n} or more different hosts within {} s{}.",
                                ip.src,
                                t.dst_port,
                                self.horizontal.window_ns / NS,
                                if matches!(t.dst_port, 23 | 2323) {
                                    " (Telnet: what Mirai-style bots scan for)"
                                } else {
                                    ""
                                }
                            ),
                            &[("hosts", n), ("probes", w.events)],
                            vec![sample(6, ip.src, t.src_port, ip.dst, t.dst_port, p.ts)],
                        ));
                    }
                    let n = self.vertical.threshold as u64;
                    if let Some(w) = self.vertical.add((ip.src, ip.dst), t.dst_port, p.ts) {
                        let dev = if role == Role::Target {
                            DevKey::dst(d, ip.dst)
                        } else {
                            dev
                        };
                        out.push(detection(
                            Kind::ScanVertical,
                            dev,
                            role,
                            w.start,
                            w.last,
                            format!(
                                "{} probed {n} or more different TCP ports of {} within {} s.",
                                ip.src,
                                ip.dst,
                                self.vertical.window_ns / NS
                            ),
                            &[("ports", n), ("probes", w.events)],
                            vec![sample(6, ip.src, t.src_port, ip.dst, t.dst_port, p.ts)],
                        ));
                    }
                }
                Transport::Icmp { icmp_type, v6, .. }
                    if (!v6 && icmp_type == 8) || (v6 && icmp_type == 128) =>
                {
                    if is_group(ip.dst) {
                        return;
                    }
                    let (role, dev) = role(p, ip.src, ip.dst);
                    let n = self.icmp.threshold as u64;
                    if let Some(w) = self.icmp.add(ip.src, ip.dst, p.ts) {
                        let dev = if role == Role::Target {
                            DevKey::Network
                        } else {
                            dev
                        };
                        out.push(detection(
                            Kind::ScanIcmp,
                            dev,
                            role,
                            w.start,
                            w.last,
                            format!(
                                "{} pinged {n} or more different hosts within {} s (a ping sweep).",
                                ip.src,
                                self.icmp.window_ns / NS
                            ),
                            &[("hosts", n), ("requests", w.events)],
                            vec![sample(ip.protocol, ip.src, 0, ip.dst, 0, p.ts)],
                        ));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

use warden_addr::is_group;

/// The local device's part: the source when the source is local (or
/// neither side is), the target when only the destination is.
fn role(p: &Pkt<'_>, src: IpAddr, _dst: IpAddr) -> (Role, DevKey) {
    if p.ev.dst_local && !p.ev.src_local {
        (Role::Target, DevKey::Ip(src))
    } else {
        (Role::Source, DevKey::src(p.ev.decoded, src))
    }
}
