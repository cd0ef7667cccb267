//! Watching the LAN: libpcap on each LAN interface feeds the traffic
//! engine (the same `warden-analyze` and `warden-detect` code that reads
//! captures), and a sink turns what matters to the gateway into [`Event`]s:
//! DHCP requests with their MUD URL (option 161), leases, addresses a
//! device uses, DNS answers (for the name sets), detections, ended flows.

use std::collections::HashSet;
use std::net::IpAddr;
use tokio::sync::mpsc::Sender;
use warden_analyze::{Analyzer, PacketEvent, Sink};
use warden_capture::PacketSource;
use warden_detect::{Detection, Engine};
use warden_flow::Flow;
use warden_mud::MacAddr;
use warden_wire::{dhcp, Net, Transport};

#[derive(Debug, Clone)]
pub enum Event {
    /// A DHCP request (DISCOVER, REQUEST, INFORM) from a device.
    Dhcp {
        mac: MacAddr,
        mud_url: Option<String>,
        hostname: Option<String>,
        vendor_class: Option<String>,
        /// When the event was seen (monotonic, for the apply latency).
        at: std::time::Instant,
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
    /// A DNS answer: (name, address, ttl) for every name in the chain.
    Dns(Vec<(String, IpAddr, u32)>),
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
                if (u.src_port == 68 && u.dst_port == 67) || (u.src_port == 67 && u.dst_port == 68)
                {
                    if let Some(x) = dhcp::parse_v4(u.payload) {
                        let mac = MacAddr(x.client_mac);
                        if x.op == 1 {
                            self.events.push(Event::Dhcp {
                                mac,
                                mud_url: x.mud_url.clone(),
                                hostname: x.hostname.clone(),
                                vendor_class: x.vendor_class.clone(),
                                at: std::time::Instant::now(),
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
            if let Some(m) = p.dns {
                if m.response {
                    let b = dns_bindings(m);
                    if !b.is_empty() {
                        self.events.push(Event::Dns(b));
                    }
                }
            }
            if p.src_local {
                if let Some(mac) = d.src_mac {
                    let src = ip.src;
                    let in_lan = self.lan.is_empty() || self.lan.iter().any(|l| l.contains(src));
                    if in_lan
                        && !src.is_unspecified()
                        && self.seen.len() < 65_536
                        && self.seen.insert((mac, src))
                    {
                        self.events.push(Event::Seen {
                            mac: MacAddr(mac),
                            ip: src,
                        });
                    }
                }
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
    loop {
        match src.next_packet() {
            Ok(Some(p)) => a.observe(&p),
            Ok(None) => return Ok(()),
            Err(e) => return Err(format!("{interface}: {e}")),
        }
        for ev in a.sink_mut().events.drain(..) {
            if tx.blocking_send(ev).is_err() {
                return Ok(());
            }
        }
    }
}
