//! Watching the LAN: libpcap on each LAN interface feeds the traffic
//! engine (the same `warden-analyze` and `warden-detect` code that reads
//! captures), and a sink turns what matters to the gateway into [`Event`]s:
//! DHCP requests with their MUD URL (option 161), leases, addresses a
//! device uses, DNS answers (for the name sets), detections, ended flows.

use std::collections::HashSet;
use std::net::IpAddr;
use tokio::sync::mpsc::Sender;
use warden_analyze::{Analyzer, PacketEvent, Sink};
use warden_detect::{Detection, Engine};
use warden_flow::Flow;
use warden_mud::MacAddr;
use warden_wire::{dhcp, Net, Transport};

#[derive(Debug, Clone)]
pub enum Event {
    /// A device announced itself: a DHCP request (DISCOVER, REQUEST,
    /// INFORM; option 161), a DHCPv6 client message (option 112) or an
    /// LLDP frame (the MUD URL TLV).
    Dhcp {
        mac: MacAddr,
        mud_url: Option<String>,
        hostname: Option<String>,
        vendor_class: Option<String>,
        /// When the event was seen (monotonic, for the apply latency).
        at: std::time::Instant,
        /// "dhcp option 161", "dhcpv6 option 112" or "lldp".
        via: &'static str,
    },
    /// A DHCP ACK from the server: the device's address.
    Lease {
        mac: MacAddr,
        ip: IpAddr,
    },
    /// A local device sent from this address.
    Seen {
        mac: MacAddr,
        ip: IpAddr,
    },
    /// A DNS answer: (name, address, ttl) for every name in the chain, with
    /// the device it went to (None: the gateway's own resolver).
    Dns {
        to: Option<MacAddr>,
        bindings: Vec<(String, IpAddr, u32)>,
    },
    Detection(Detection),
    /// A flow that ended, from a local device's side.
    Flow {
        mac: MacAddr,
        remote: IpAddr,
        protocol: u8,
        port: u16,
        packets: u64,
        bytes: u64,
        first_ns: i64,
        last_ns: i64,
    },
}

pub struct GatewaySink {
    pub engine: Engine,
    pub events: Vec<Event>,
    seen: HashSet<([u8; 6], IpAddr)>,
    lan: Vec<warden_mud::IpPrefix>,
}

impl GatewaySink {
    /// A LAN device uses (or announces) `ip`: one `Seen` event per pair,
    /// for addresses inside the LAN only, at most 65,536 pairs.
    fn seen_at(&mut self, mac: [u8; 6], ip: IpAddr) {
        let in_lan = self.lan.is_empty() || self.lan.iter().any(|l| l.contains(ip));
        if in_lan
            && !ip.is_unspecified()
            && !ip.is_multicast()
            && self.seen.len() < 65_536
            && self.seen.insert((mac, ip))
        {
            self.events.push(Event::Seen {
                mac: MacAddr(mac),
                ip,
            });
        }
    }

    pub fn new(engine: Engine, lan: Vec<warden_mud::IpPrefix>) -> GatewaySink {
        GatewaySink {
            engine,
            events: vec![],
            seen: HashSet::new(),
            lan,
        }
    }
}

/// DNS answers as (name, address, ttl): each address under its own owner
/// name, under every CNAME that led to it, and under the question.
pub fn dns_bindings(m: &warden_wire::dns::Message) -> Vec<(String, IpAddr, u32)> {
    use warden_wire::dns::RData;
    let mut out = Vec::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    for r in &m.answers {
        if let RData::Cname(t) = &r.data {
            aliases.push((r.name.to_ascii_lowercase(), t.to_ascii_lowercase()));
        }
    }
    for r in &m.answers {
        let ip: IpAddr = match r.data {
            RData::A(a) => a.into(),
            RData::Aaaa(a) => a.into(),
            _ => continue,
        };
        // The owner and everything that aliases to it (bounded walk).
        let mut names = vec![r.name.to_ascii_lowercase()];
        for _ in 0..8 {
            let more: Vec<String> = aliases
                .iter()
                .filter(|(from, to)| names.contains(to) && !names.contains(from))
                .map(|(from, _)| from.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            names.extend(more);
        }
        for n in names {
            if out.len() < 256 {
                out.push((n.trim_end_matches('.').to_string(), ip, r.ttl));
            }
        }
    }
    out
}

impl Sink for GatewaySink {
    fn packet(&mut self, p: &PacketEvent<'_>) {
        let d = p.decoded;
        if let Net::Ip(ip) = &d.net {
            if let Transport::Udp(u) = ip.transport {
                // Client to server, server to client, and through a relay agent
                // (67 to 67: chaddr still names the device).
                if matches!((u.src_port, u.dst_port), (68, 67) | (67, 68) | (67, 67)) {
                    if let Some(x) = dhcp::parse_v4(u.payload) {
                        let mac = MacAddr(x.client_mac);
                        if x.op == 1 {
                            self.events.push(Event::Dhcp {
                                mac,
                                mud_url: x.mud_url.clone(),
                                hostname: x.hostname.clone(),
                                vendor_class: x.vendor_class.clone(),
                                at: std::time::Instant::now(),
                                via: "dhcp option 161",
                            });
                        } else if x.op == 2 && x.message_type == Some(5) && x.your_ip != [0; 4] {
                            self.events.push(Event::Lease {
                                mac,
                                ip: IpAddr::from(x.your_ip),
                            });
                        }
                    }
                }
            }
            // DHCPv6 from the client itself (a relayed message's frame comes
            // from the relay, whose MAC is not the device's).
            if let Transport::Udp(u) = ip.transport {
                if u.src_port == 546
                    && u.dst_port == 547
                    && !matches!(u.payload.first(), Some(12 | 13))
                {
                    if let (Some(mac), Some(url)) =
                        (d.src_mac, dhcp::v6_mud_urls(u.payload).into_iter().next())
                    {
                        self.events.push(Event::Dhcp {
                            mac: MacAddr(mac),
                            mud_url: Some(url),
                            hostname: None,
                            vendor_class: None,
                            at: std::time::Instant::now(),
                            via: "dhcpv6 option 112",
                        });
                    }
                }
            }
            if let Some(m) = p.dns {
                if m.response {
                    let b = dns_bindings(m);
                    if !b.is_empty() {
                        self.events.push(Event::Dns {
                            to: d.dst_mac.map(MacAddr),
                            bindings: b,
                        });
                    }
                }
            }
            // IPv6 addresses a device announces before it uses them: the
            // target of its neighbour advertisement (its own address) and of
            // its duplicate-address-detection solicitation (source ::).
            if let (Some((icmp_type, target)), Some(mac)) = (ip.transport.nd_target(), d.src_mac) {
                if icmp_type == 136 || ip.src.is_unspecified() {
                    self.seen_at(mac, IpAddr::V6(target));
                }
            }
            if p.src_local {
                if let Some(mac) = d.src_mac {
                    self.seen_at(mac, ip.src);
                }
            }
        }
        if let (Net::Lldp(b), Some(mac)) = (&d.net, d.src_mac) {
            let l = warden_wire::lldp::parse(b);
            if l.mud_url.is_some() {
                self.events.push(Event::Dhcp {
                    mac: MacAddr(mac),
                    mud_url: l.mud_url,
                    hostname: l.system_name,
                    vendor_class: None,
                    at: std::time::Instant::now(),
                    via: "lldp",
                });
            }
        }
        self.engine.packet(p);
        for det in self.engine.take_detections() {
            self.events.push(Event::Detection(det));
        }
    }

    fn flow(&mut self, f: &Flow, local: [bool; 2]) {
        self.engine.flow(f, local);
        for side in 0..2 {
            if !local[side] || local[1 - side] {
                continue;
            }
            let Some(mac) = f.macs[side] else { continue };
            let them = if side == 0 {
                &f.responder
            } else {
                &f.initiator
            };
            self.events.push(Event::Flow {
                mac: MacAddr(mac),
                remote: them.ip,
                protocol: f.key.protocol,
                port: if side == 0 {
                    f.responder.port
                } else {
                    f.initiator.port
                },
                packets: f.packets[0] + f.packets[1],
                bytes: f.bytes[0] + f.bytes[1],
                first_ns: f.first_ns,
                last_ns: f.last_ns,
            });
        }
    }
}

/// Reads `interface` until the channel closes; runs on its own thread.
pub fn watch(
    interface: &str,
    opts: warden_analyze::Options,
    engine: Engine,
    lan: Vec<warden_mud::IpPrefix>,
    tx: Sender<Event>,
) -> Result<(), String> {
    let mut src =
        warden_capture::LiveSource::open(interface, None, None).map_err(|e| e.to_string())?;
    let mut a = Analyzer::with_sink(opts, GatewaySink::new(engine, lan));
    // Flows end by the clock too: once a second, even on a quiet LAN, so
    // an ended flow reaches the store, beacon and compliance checks within
    // seconds.
    let mut last_tick = std::time::Instant::now();
    loop {
        match src.poll() {
            Ok(warden_capture::Poll::Packet(p)) => a.observe(&p),
            Ok(warden_capture::Poll::Idle) => {}
            Ok(warden_capture::Poll::End) => return Ok(()),
            Err(e) => return Err(format!("{interface}: {e}")),
        }
        if last_tick.elapsed() >= std::time::Duration::from_secs(1) {
            last_tick = std::time::Instant::now();
            let now_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64);
            a.tick(now_ns);
        }
        for ev in a.sink_mut().events.drain(..) {
            if tx.blocking_send(ev).is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(path: &str) -> Vec<Event> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        let mut src = warden_capture::open_path(&p).unwrap();
        let engine = Engine::new(warden_detect::Options::default());
        let mut a = Analyzer::with_sink(
            warden_analyze::Options::default(),
            GatewaySink::new(engine, vec![]),
        );
        let mut out = Vec::new();
        while let Some(pk) = src.next_packet().unwrap() {
            a.observe(&pk);
            out.append(&mut a.sink_mut().events);
        }
        out
    }

    fn announced(ev: &[Event]) -> Vec<(String, String, &'static str)> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Dhcp {
                    mac,
                    mud_url: Some(u),
                    via,
                    ..
                } => Some((mac.to_string(), u.clone(), *via)),
                _ => None,
            })
            .collect()
    }

    /// A pcap with one Ethernet frame.
    fn pcap_of(frame: &[u8]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend([0u8; 8]);
        v.extend(65535u32.to_le_bytes());
        v.extend(1u32.to_le_bytes());
        v.extend(1_700_000_000u32.to_le_bytes());
        v.extend(0u32.to_le_bytes());
        v.extend((frame.len() as u32).to_le_bytes());
        v.extend((frame.len() as u32).to_le_bytes());
        v.extend(frame);
        v
    }

    #[test]
    fn ipv6_addresses_are_learned_from_neighbour_discovery() {
        let mac = [2, 0, 0, 0, 0, 5];
        let target: std::net::Ipv6Addr = "fd77::5".parse().unwrap();
        let mut f = vec![0x33, 0x33, 0, 0, 0, 1];
        f.extend(mac);
        f.extend([0x86, 0xdd]);
        // IPv6: from the unspecified address (duplicate-address detection).
        f.extend([0x60, 0, 0, 0, 0, 24, 58, 255]);
        f.extend([0u8; 16]);
        f.extend(
            "ff02::1:ff00:5"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        // ICMPv6 neighbour solicitation: type, code, checksum, reserved, target.
        f.extend([135, 0, 0, 0, 0, 0, 0, 0]);
        f.extend(target.octets());
        let mut src = warden_capture::open_reader(std::io::Cursor::new(pcap_of(&f))).unwrap();
        let mut a = Analyzer::with_sink(
            warden_analyze::Options::default(),
            GatewaySink::new(
                Engine::new(warden_detect::Options::default()),
                vec![warden_mud::IpPrefix::parse("fd77::/64").unwrap()],
            ),
        );
        while let Some(pk) = src.next_packet().unwrap() {
            a.observe(&pk);
        }
        let seen: Vec<_> = a
            .sink_mut()
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Seen { mac, ip } => Some((*mac, *ip)),
                _ => None,
            })
            .collect();
        assert_eq!(seen, vec![(MacAddr(mac), IpAddr::V6(target))]);
    }

    #[test]
    fn mud_urls_from_real_dhcp_and_lldp_captures() {
        let dhcp = announced(&events_of("samples/pcap/dhcp-mud.pcap"));
        assert!(!dhcp.is_empty());
        assert!(
            dhcp.iter()
                .all(|(_, u, via)| u.starts_with("https://") && *via == "dhcp option 161"),
            "{dhcp:?}"
        );
        let lldp = announced(&events_of("samples/pcap/lldp_mudurl.pcap"));
        assert!(!lldp.is_empty());
        assert!(
            lldp.iter()
                .all(|(_, u, via)| u.starts_with("https://") && *via == "lldp"),
            "{lldp:?}"
        );
        // The ACK in dhcp-mud.pcap gives the lease.
        assert!(events_of("samples/pcap/dhcp-mud.pcap")
            .iter()
            .any(|e| matches!(e, Event::Lease { .. })));
    }

    #[test]
    fn dhcpv6_option_112_from_the_client_but_not_through_a_relay() {
        // A SOLICIT (type 1) with option 112 ("https://a.example/m").
        let url = b"https://a.example/m";
        let mut dhcp6 = vec![1, 0x12, 0x34, 0x56, 0, 112, 0, url.len() as u8];
        dhcp6.extend_from_slice(url);
        let frame = |payload: &[u8]| {
            let mut udp = vec![0x02, 0x22, 0x02, 0x23];
            udp.extend(((8 + payload.len()) as u16).to_be_bytes());
            udp.extend([0, 0]);
            udp.extend_from_slice(payload);
            let mut ip6 = vec![0x60, 0, 0, 0];
            ip6.extend((udp.len() as u16).to_be_bytes());
            ip6.extend([17, 1]);
            ip6.extend([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
            ip6.extend([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
            ip6.extend(udp);
            let mut f = vec![0x33, 0x33, 0, 1, 0, 2, 0x02, 0, 0, 0, 0, 0x66, 0x86, 0xdd];
            f.extend(ip6);
            f
        };
        let run = |f: Vec<u8>| {
            let engine = Engine::new(warden_detect::Options::default());
            let mut a = Analyzer::with_sink(
                warden_analyze::Options::default(),
                GatewaySink::new(engine, vec![]),
            );
            let pk = warden_capture::Packet {
                ts_nanos: 0,
                orig_len: f.len() as u32,
                data: &f,
                link: warden_capture::LinkType::Ethernet,
                interface: 0,
            };
            a.observe(&pk);
            announced(&a.sink_mut().events)
        };
        let got = run(frame(&dhcp6));
        assert_eq!(
            got,
            vec![(
                "02:00:00:00:00:66".to_string(),
                "https://a.example/m".to_string(),
                "dhcpv6 option 112"
            )]
        );
        let mut relayed = vec![12u8; 34];
        relayed.extend([0, 9, 0, dhcp6.len() as u8]);
        relayed.extend(&dhcp6);
        assert!(run(frame(&relayed)).is_empty());
    }
}
