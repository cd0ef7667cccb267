//! Watching the LAN: libpcap on each LAN interface feeds the traffic
//! engine (the same `warden-analyze` and `warden-detect` code that reads
//! captures), and a sink turns what matters to the gateway into [`Event`]s:
//! DHCP requests with their MUD URL (option 161), leases, addresses a
//! device uses, DNS answers (for the name sets), detections, ended flows.

use crate::trust::{Datagram, DnsGuard, Refused, Trust};
use std::collections::HashMap;

/// (MAC, address) pairs the watcher remembers having reported.
pub const SEEN_PAIRS: usize = 65_536;
/// A pair quiet this long may be forgotten when the table is full (and is
/// reported again when it comes back).
pub const SEEN_QUIET_S: i64 = 300;
use std::net::IpAddr;
use tokio::sync::mpsc::Sender;
use warden_analyze::{Analyzer, PacketEvent, Sink};
use warden_detect::{Detection, Engine};
use warden_flow::Flow;
use warden_mud::MacAddr;
use warden_wire::app::{App, DnsService};
use warden_wire::{dhcp, Net, Transport};

#[derive(Debug, Clone)]
pub enum Event {
    /// Host names a device announced over mDNS (its own answers, from its
    /// own MAC): shown on the pages, never used for enforcement.
    Mdns {
        mac: MacAddr,
        names: Vec<String>,
    },
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
    /// A DNS answer the gateway can tie to a question (see
    /// [`crate::trust`]): (name, address, ttl), with the device that asked
    /// (None: the gateway's own lookups).
    Dns {
        to: Option<MacAddr>,
        bindings: Vec<(String, IpAddr, u32)>,
    },
    /// A frame that claims what its sender cannot be: a DHCP message for
    /// another MAC, a DHCP ACK or DNS answer from a LAN device, a MUD URL
    /// with control characters. Never believed; `sender` is the frame's MAC.
    Forged {
        sender: MacAddr,
        /// "spoof.dhcp", "spoof.dhcp-server" or "spoof.dns".
        kind: &'static str,
        /// The device the frame spoke for, when it named one.
        claimed: Option<MacAddr>,
        what: String,
    },
    Detection(Detection),
    /// A TLS or DTLS ClientHello a local device sent, once per device,
    /// remote, port and parameters (for the RFC 9761 check).
    TlsHello {
        mac: MacAddr,
        device: IpAddr,
        device_port: u16,
        remote: IpAddr,
        protocol: u8,
        port: u16,
        hello: Box<warden_wire::tls::ClientHello>,
        ts_ns: i64,
    },
    /// A flow that ended, from a local device's side.
    Flow {
        mac: MacAddr,
        /// The device's address and port in the flow.
        device: IpAddr,
        device_port: u16,
        remote: IpAddr,
        protocol: u8,
        /// The remote's port.
        port: u16,
        /// The device opened it.
        outbound: bool,
        /// The capture missed its opening.
        midstream: bool,
        packets: u64,
        bytes: u64,
        first_ns: i64,
        last_ns: i64,
    },
}

pub struct GatewaySink {
    pub engine: Engine,
    pub events: Vec<Event>,
    /// (MAC, address) pairs already reported, with when they were last
    /// seen: at most [`SEEN_PAIRS`]; when full, pairs quiet for
    /// [`SEEN_QUIET_S`] make room, so made-up MACs cannot stop the
    /// addresses of real devices being learned.
    seen: HashMap<([u8; 6], IpAddr), i64>,
    /// The clock in seconds, as [`GatewaySink::tick`] last set it (no clock
    /// read per packet).
    clock_s: i64,
    lan: Vec<warden_mud::IpPrefix>,
    trust: Trust,
    dns_guard: DnsGuard,
    /// The mDNS host names already reported per MAC.
    mdns_seen: HashMap<[u8; 6], std::collections::BTreeSet<String>>,
    /// ClientHellos already reported: (MAC, remote, port, the hello's
    /// hash), at most
    /// [`HELLOS_SEEN`] (then forgotten all at once, and reported again).
    hellos_seen: std::collections::HashSet<([u8; 6], IpAddr, u16, u64)>,
}

/// Distinct ClientHellos remembered before the set starts afresh.
pub const HELLOS_SEEN: usize = 16_384;

/// The most mDNS host names kept per device.
pub const MDNS_NAMES_PER_DEVICE: usize = 4;

impl GatewaySink {
    /// A LAN device uses (or announces) `ip`: one `Seen` event per pair,
    /// for addresses inside the LAN only, at most 65,536 pairs.
    fn seen_at(&mut self, mac: [u8; 6], ip: IpAddr) {
        let in_lan = self.lan.is_empty() || self.lan.iter().any(|l| l.contains(ip));
        if !in_lan || ip.is_unspecified() || ip.is_multicast() {
            return;
        }
        let now = self.clock_s;
        if let Some(t) = self.seen.get_mut(&(mac, ip)) {
            *t = now;
            return;
        }
        if self.seen.len() >= SEEN_PAIRS {
            self.seen.retain(|_, t| now - *t < SEEN_QUIET_S);
            if self.seen.len() >= SEEN_PAIRS {
                return;
            }
        }
        self.seen.insert((mac, ip), now);
        self.events.push(Event::Seen {
            mac: MacAddr(mac),
            ip,
        });
    }

    pub fn new(engine: Engine, lan: Vec<warden_mud::IpPrefix>, trust: Trust) -> GatewaySink {
        GatewaySink {
            engine,
            events: vec![],
            seen: HashMap::new(),
            clock_s: 0,
            lan,
            trust,
            dns_guard: DnsGuard::default(),
            mdns_seen: HashMap::new(),
            hellos_seen: Default::default(),
        }
    }

    /// Forgets DNS questions that waited too long (called by the clock).
    pub fn tick(&mut self, now_ns: i64) {
        self.clock_s = now_ns / 1_000_000_000;
        self.dns_guard.expire(now_ns);
    }
}

impl GatewaySink {
    /// A device's mDNS host names, each reported once (bounded: at most
    /// [`MDNS_NAMES_PER_DEVICE`] per MAC, [`SEEN_PAIRS`] MACs).
    fn mdns(&mut self, mac: [u8; 6], m: &warden_wire::dns::Message) {
        let names = warden_analyze::mdns_host_names(m);
        if names.is_empty() {
            return;
        }
        if self.mdns_seen.len() >= SEEN_PAIRS && !self.mdns_seen.contains_key(&mac) {
            return;
        }
        let seen = self.mdns_seen.entry(mac).or_default();
        let fresh: Vec<String> = names
            .into_iter()
            .filter(|n| n.len() <= 255 && !n.chars().any(char::is_control))
            .filter(|n| seen.len() < MDNS_NAMES_PER_DEVICE && seen.insert(n.to_string()))
            .map(str::to_string)
            .collect();
        if !fresh.is_empty() {
            self.events.push(Event::Mdns {
                mac: MacAddr(mac),
                names: fresh,
            });
        }
    }

    /// A DHCPv4 message. Client messages (DISCOVER, REQUEST, INFORM) name
    /// the device only when the frame comes from the client hardware address
    /// itself or through a relay agent that is the gateway or
    /// infrastructure; a lease (ACK) counts only from a trusted server in a
    /// frame the gateway or infrastructure sent.
    fn dhcp4(&mut self, dg: &Datagram, x: &dhcp::Dhcp4) {
        if !matches!((dg.src_port, dg.dst_port), (68, 67) | (67, 68) | (67, 67)) {
            return;
        }
        let client = MacAddr(x.client_mac);
        let sender = dg.src_mac.map(MacAddr);
        if x.op == 1 {
            let relayed = dg.src_port == 67 && self.trust.is_gateway(dg.src_mac);
            if dg.src_mac != Some(x.client_mac) && !relayed {
                self.forged(
                    sender,
                    "spoof.dhcp",
                    Some(client),
                    "a DHCP client message for another MAC address".into(),
                );
                return;
            }
            let mud_url = match x.mud_url.clone() {
                Some(u) if !plain_url(&u) => {
                    self.forged(
                        sender,
                        "spoof.dhcp",
                        Some(client),
                        "a MUD URL with control characters or spaces".into(),
                    );
                    return;
                }
                u => u,
            };
            self.events.push(Event::Dhcp {
                mac: client,
                mud_url,
                hostname: x.hostname.clone(),
                vendor_class: x.vendor_class.clone(),
                at: std::time::Instant::now(),
                via: "dhcp option 161",
            });
        } else if x.op == 2 && x.message_type == Some(5) && x.your_ip != [0; 4] {
            if !self.trust.dhcp_servers.contains(&dg.src) || !self.trust.is_gateway(dg.src_mac) {
                self.forged(
                    sender,
                    "spoof.dhcp-server",
                    Some(client),
                    format!("a DHCP ACK from {} that is not the DHCP server", dg.src),
                );
                return;
            }
            self.events.push(Event::Lease {
                mac: client,
                ip: IpAddr::from(x.your_ip),
            });
        }
    }

    /// DHCPv6 from the client itself (a relayed message's frame comes from
    /// the relay, whose MAC is not the device's); and the addresses a Reply
    /// from the gateway (or infrastructure) assigns to the client it is sent to.
    fn dhcp6(&mut self, dg: &Datagram, dst_mac: Option<[u8; 6]>, x: &dhcp::Dhcp6) {
        if dg.src_port == 547 && dg.dst_port == 546 {
            let addrs = &x.reply_addresses;
            if addrs.is_empty() {
                return;
            }
            if !self.trust.is_gateway(dg.src_mac) {
                self.forged(
                    dg.src_mac.map(MacAddr),
                    "spoof.dhcp-server",
                    dst_mac.map(MacAddr),
                    "a DHCPv6 Reply from a device that is not the DHCP server".into(),
                );
                return;
            }
            if let Some(mac) = dst_mac.filter(|m| m[0] & 1 == 0) {
                for a in addrs {
                    self.events.push(Event::Lease {
                        mac: MacAddr(mac),
                        ip: IpAddr::V6(*a),
                    });
                }
            }
            return;
        }
        if dg.src_port != 546 || dg.dst_port != 547 || x.relayed() {
            return;
        }
        let (Some(mac), Some(url)) = (dg.src_mac, x.mud_urls.first().cloned()) else {
            return;
        };
        if !plain_url(&url) {
            self.forged(
                Some(MacAddr(mac)),
                "spoof.dhcp",
                None,
                "a MUD URL with control characters or spaces".into(),
            );
            return;
        }
        self.events.push(Event::Dhcp {
            mac: MacAddr(mac),
            mud_url: Some(url),
            hostname: None,
            vendor_class: None,
            at: std::time::Instant::now(),
            via: "dhcpv6 option 112",
        });
    }

    /// A DNS message over UDP: questions to trusted resolvers are noted;
    /// answers fill the name sets only when tied to one (see [`crate::trust`]).
    fn dns(&mut self, dg: &Datagram, m: &warden_wire::dns::Message, ts_ns: i64) {
        if !m.response {
            self.dns_guard.query(&self.trust, dg, m, ts_ns);
            return;
        }
        match self.dns_guard.answer(&self.trust, dg, m, ts_ns) {
            Ok((mac, bindings)) => {
                if !bindings.is_empty() {
                    self.events.push(Event::Dns {
                        to: Some(MacAddr(mac)),
                        bindings,
                    });
                }
            }
            Err(Refused::ForgedByDevice) => self.forged(
                dg.src_mac.map(MacAddr),
                "spoof.dns",
                None,
                format!("a DNS answer in the name of the resolver {}", dg.src),
            ),
            // A LAN device answering from port 53 without being a resolver
            // the gateway trusts (mDNS and LLMNR use other ports).
            Err(Refused::NotAResolver)
                if dg.src_port == 53
                    && !self.trust.is_gateway(dg.src_mac)
                    && !dg.dst.is_multicast() =>
            {
                self.forged(
                    dg.src_mac.map(MacAddr),
                    "spoof.dns",
                    None,
                    format!(
                        "a DNS answer from {}, which is no resolver the gateway trusts",
                        dg.src
                    ),
                )
            }
            Err(_) => {}
        }
    }

    fn forged(
        &mut self,
        sender: Option<MacAddr>,
        kind: &'static str,
        claimed: Option<MacAddr>,
        what: String,
    ) {
        if let Some(sender) = sender {
            self.events.push(Event::Forged {
                sender,
                kind,
                claimed,
                what,
            });
        }
    }
}

/// A URL as RFC 3986 writes it: printable ASCII without spaces, at most
/// 2,048 bytes. Anything else is refused before it reaches a log, the store
/// or the fetcher.
pub fn plain_url(u: &str) -> bool {
    !u.is_empty() && u.len() <= 2048 && u.bytes().all(|b| b.is_ascii_graphic())
}

impl Sink for GatewaySink {
    fn packet(&mut self, p: &PacketEvent<'_>) {
        let d = p.decoded;
        if let Net::Ip(ip) = &d.net {
            if let Transport::Udp(u) = ip.transport {
                let dg = Datagram {
                    src_mac: d.src_mac,
                    src: ip.src,
                    src_port: u.src_port,
                    dst: ip.dst,
                    dst_port: u.dst_port,
                };
                match &p.app.app {
                    App::Dns { service, message } => {
                        if *service == DnsService::Multicast && u.src_port == 5353 {
                            if let (true, Some(mac)) = (message.response, d.src_mac) {
                                self.mdns(mac, message);
                            }
                        }
                        self.dns(&dg, message, p.ts_ns);
                    }
                    App::Dhcp4(x) => self.dhcp4(&dg, x),
                    App::Dhcp6(x) => self.dhcp6(&dg, d.dst_mac, x),
                    _ => {}
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
        if let (Some(h), Some(mac), true, Net::Ip(ip)) = (p.hello(), d.src_mac, p.src_local, &d.net)
        {
            let (protocol, sport, dport) = match ip.transport {
                Transport::Tcp(t) => (6, t.src_port, t.dst_port),
                Transport::Udp(u) => (17, u.src_port, u.dst_port),
                _ => (0, 0, 0),
            };
            let key = (mac, ip.dst, dport, {
                use std::hash::{Hash, Hasher};
                let mut x = std::collections::hash_map::DefaultHasher::new();
                h.hash(&mut x);
                x.finish()
            });
            if protocol != 0 && !self.hellos_seen.contains(&key) {
                if self.hellos_seen.len() >= HELLOS_SEEN {
                    self.hellos_seen.clear();
                }
                self.hellos_seen.insert(key);
                self.events.push(Event::TlsHello {
                    mac: MacAddr(mac),
                    device: ip.src,
                    device_port: sport,
                    remote: ip.dst,
                    protocol,
                    port: dport,
                    hello: Box::new(h.clone()),
                    ts_ns: p.ts_ns,
                });
            }
        }
        if let (App::Lldp(l), Some(mac)) = (&p.app.app, d.src_mac) {
            match l.mud_url.clone() {
                Some(u) if !plain_url(&u) => self.forged(
                    Some(MacAddr(mac)),
                    "spoof.dhcp",
                    None,
                    "an LLDP MUD URL with control characters or spaces".into(),
                ),
                Some(u) => self.events.push(Event::Dhcp {
                    mac: MacAddr(mac),
                    mud_url: Some(u),
                    hostname: l.system_name.clone(),
                    vendor_class: None,
                    at: std::time::Instant::now(),
                    via: "lldp",
                }),
                None => {}
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
            let (me, them) = if side == 0 {
                (&f.initiator, &f.responder)
            } else {
                (&f.responder, &f.initiator)
            };
            self.events.push(Event::Flow {
                mac: MacAddr(mac),
                device: me.ip,
                device_port: me.port,
                remote: them.ip,
                protocol: f.key.protocol,
                port: them.port,
                outbound: side == 0,
                midstream: f.midstream,
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
    trust: Trust,
    tx: Sender<Event>,
    traffic: crate::metrics::Traffic,
) -> Result<(), String> {
    let mut src =
        warden_capture::LiveSource::open(interface, None, None).map_err(|e| e.to_string())?;
    let mut a = Analyzer::with_sink(opts, GatewaySink::new(engine, lan, trust));
    // Flows end by the clock too: once a second, even on a quiet LAN, so
    // an ended flow reaches the store, beacon and compliance checks within
    // seconds.
    let mut last_tick = std::time::Instant::now();
    // Packets and bytes since the last tick: the shared counters are
    // added to once a second, not once a packet.
    let (mut packets, mut bytes) = (0u64, 0u64);
    loop {
        match src.poll() {
            Ok(warden_capture::Poll::Packet(p)) => {
                packets += 1;
                bytes += u64::from(p.orig_len);
                a.observe(&p)
            }
            Ok(warden_capture::Poll::Idle) => {}
            Ok(warden_capture::Poll::End) => {
                traffic.packets.inc_by(packets);
                traffic.bytes.inc_by(bytes);
                return Ok(());
            }
            Err(e) => return Err(format!("{interface}: {e}")),
        }
        if last_tick.elapsed() >= std::time::Duration::from_secs(1) {
            last_tick = std::time::Instant::now();
            traffic.packets.inc_by(std::mem::take(&mut packets));
            traffic.bytes.inc_by(std::mem::take(&mut bytes));
            let now_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64);
            a.tick(now_ns);
            a.sink_mut().tick(now_ns);
        }
        for ev in a.sink_mut().events.drain(..) {
            if matches!(ev, Event::Flow { .. }) {
                traffic.flows.inc();
            }
            if tx.blocking_send(ev).is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relay agent and the DHCP server of samples/pcap/dhcp-mud.pcap.
    fn capture_trust() -> Trust {
        Trust {
            gateway_macs: [
                [0x00, 0x23, 0xeb, 0x10, 0x2c, 0x29],
                [0x00, 0x23, 0x54, 0xc2, 0x57, 0x02],
            ]
            .into_iter()
            .collect(),
            resolvers: vec![],
            dhcp_servers: vec!["62.12.173.114".parse().unwrap()],
        }
    }

    fn events_of(path: &str) -> Vec<Event> {
        events_with(path, capture_trust())
    }

    fn events_with(path: &str, trust: Trust) -> Vec<Event> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        let mut src = warden_capture::open_path(&p).unwrap();
        let engine = Engine::new(warden_detect::Options::default());
        let mut a = Analyzer::with_sink(
            warden_analyze::Options::default(),
            GatewaySink::new(engine, vec![], trust),
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
                Trust::default(),
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
    fn a_real_bridge_announces_its_host_name_over_mdns_once() {
        // IoT Sentinel's Philips Hue bridge setup (the corpus, SOURCES.md).
        let ev = events_of("../shared/corpus/pcap/iot-sentinel/HueBridge/Setup-A-1-STA.pcap");
        let names: Vec<&String> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Mdns { names, .. } => Some(names),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(names, vec!["philips-hue.local"], "each name once");
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
    fn a_relay_and_a_server_the_gateway_does_not_trust_are_not_believed() {
        let ev = events_with("samples/pcap/dhcp-mud.pcap", Trust::default());
        assert!(announced(&ev).is_empty(), "{ev:?}");
        assert!(!ev.iter().any(|e| matches!(e, Event::Lease { .. })));
        let forged: Vec<(String, &str)> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Forged { sender, kind, .. } => Some((sender.to_string(), *kind)),
                _ => None,
            })
            .collect();
        assert_eq!(
            forged,
            vec![
                ("00:23:eb:10:2c:29".to_string(), "spoof.dhcp"),
                ("00:23:54:c2:57:02".to_string(), "spoof.dhcp-server")
            ]
        );
    }

    #[test]
    fn urls_that_could_forge_log_lines_are_refused() {
        assert!(plain_url("https://mud.example/device.json"));
        for bad in [
            "https://mud.example/a\nwarden gateway: released",
            "https://mud.example/a b",
            "",
            "https://mud.example/\u{7f}",
            "https://mud.example/\u{e9}",
        ] {
            assert!(!plain_url(bad), "{bad:?}");
        }
        assert!(!plain_url(&"a".repeat(2049)));
    }

    #[test]
    fn dhcpv6_reply_addresses_count_only_from_the_gateway() {
        let gw = [2, 0, 0, 0, 0, 1];
        let client = [2, 0, 0, 0, 0, 0x42];
        let addr: std::net::Ipv6Addr = "fd77::42".parse().unwrap();
        let mut iaaddr = vec![0, 5, 0, 24];
        iaaddr.extend(addr.octets());
        iaaddr.extend([0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20]);
        let mut reply = vec![7, 1, 2, 3, 0, 3];
        reply.extend(((12 + iaaddr.len()) as u16).to_be_bytes());
        reply.extend([0u8; 12]);
        reply.extend(&iaaddr);
        let frame = |src: [u8; 6]| {
            let mut udp = vec![0x02, 0x23, 0x02, 0x22];
            udp.extend(((8 + reply.len()) as u16).to_be_bytes());
            udp.extend([0, 0]);
            udp.extend(&reply);
            let mut f = client.to_vec();
            f.extend(src);
            f.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
            f.extend((udp.len() as u16).to_be_bytes());
            f.extend([17, 255]);
            f.extend("fe80::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
            f.extend("fe80::42".parse::<std::net::Ipv6Addr>().unwrap().octets());
            f.extend(udp);
            f
        };
        let run = |f: Vec<u8>| {
            let trust = Trust {
                gateway_macs: [gw].into_iter().collect(),
                ..Default::default()
            };
            let mut a = Analyzer::with_sink(
                warden_analyze::Options::default(),
                GatewaySink::new(
                    Engine::new(warden_detect::Options::default()),
                    vec![],
                    trust,
                ),
            );
            a.observe(&warden_capture::Packet {
                ts_nanos: 0,
                orig_len: f.len() as u32,
                data: &f,
                link: warden_capture::Link::Ethernet,
                interface: 0,
            });
            std::mem::take(&mut a.sink_mut().events)
        };
        let ev = run(frame(gw));
        assert!(
            ev.iter().any(|e| matches!(e, Event::Lease { mac, ip } if mac.0 == client && *ip == IpAddr::V6(addr))),
            "{ev:?}"
        );
        let ev = run(frame([2, 0, 0, 0, 0, 0x66]));
        assert!(
            !ev.iter().any(|e| matches!(e, Event::Lease { .. })),
            "{ev:?}"
        );
        assert!(ev.iter().any(|e| matches!(
            e,
            Event::Forged {
                kind: "spoof.dhcp-server",
                ..
            }
        )));
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
                GatewaySink::new(engine, vec![], Trust::default()),
            );
            let pk = warden_capture::Packet {
                ts_nanos: 0,
                orig_len: f.len() as u32,
                data: &f,
                link: warden_capture::Link::Ethernet,
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
