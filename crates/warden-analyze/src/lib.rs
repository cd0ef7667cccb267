//! # warden-analyze: captures → per-device reports
//!
//! Feeds packets through the traffic engine (decode → flows) and keeps what
//! a report needs: devices keyed by MAC on the local side with the identity
//! they reveal (DHCP hostname, vendor class, parameter-request list, MUD
//! URLs from DHCPv4/DHCPv6/LLDP, LLDP system name, IP addresses from ARP and
//! DHCP), a DNS map (address → names from DNS answers, with TTL) and TLS
//! server names, so that each remote is shown by name where one is known.
//!
//! Which side is local: the `lan` prefixes when given; otherwise private
//! (RFC 1918, 100.64/10 CGNAT), link-local, loopback and unique-local (fc00::/7)
//! addresses, and any address whose frames do not come through the inferred
//! gateway MAC (the one carrying the most distinct public sources).
//!
//! Every table is capped ([`Caps`]); what a cap turns away is counted in the
//! report, never silently lost.

pub mod oui;
pub mod shard;
mod text;

use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use warden_addr::is_local_by_default;
use warden_addr::{IpPrefix, MacAddr};
use warden_capture::Packet;
use warden_flow::{Flow, FlowKey, FlowTable, Limits};
use warden_wire::app::{self, App, Application, DnsService};
use warden_wire::{decode, dhcp, dns, tls, Net, Transport};

/// Caps on every table an attacker's traffic can grow.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub devices: usize,
    /// Distinct (remote, protocol, port, direction) rows per device.
    pub remotes_per_device: usize,
    pub names_per_address: usize,
    pub dns_addresses: usize,
    pub flows: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            devices: 4096,
            remotes_per_device: 1024,
            names_per_address: 16,
            dns_addresses: 1 << 18,
            flows: 1 << 20,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lan: Vec<IpPrefix>,
    /// Only report this device.
    pub device: Option<[u8; 6]>,
    pub caps: Caps,
    /// Seconds after which a flow nobody answered ends (None: the idle
    /// timeout, 300 s): the live gateway reports dropped attempts soon.
    pub unanswered_idle_s: Option<u32>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Identity {
    /// The IEEE OUI registrant of the MAC address.
    pub vendor: Option<&'static str>,
    pub addresses: BTreeSet<IpAddr>,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    pub dhcp_parameter_list: Vec<u8>,
    pub mud_urls: BTreeSet<String>,
    pub lldp_system_name: Option<String>,
    /// SSDP/UPnP SERVER strings the device announced.
    pub ssdp_servers: BTreeSet<String>,
    /// HTTP User-Agent strings the device sent.
    pub http_user_agents: BTreeSet<String>,
    /// Host names the device announced over mDNS (A/AAAA owners in .local).
    pub mdns_names: BTreeSet<String>,
    /// JA4 fingerprints of the TLS and DTLS clients the device ran, with
    /// the number of ClientHellos each sent (at most 16 fingerprints).
    pub tls_clients: BTreeMap<String, u64>,
}

/// TLS client fingerprints kept per device.
const MAX_TLS_CLIENTS: usize = 16;

/// Identity strings kept per device and kind.
const MAX_IDENTITY_STRINGS: usize = 8;

/// The host names an mDNS answer announces (owners of A and AAAA records
/// in `.local`), for the analyzer's identities and the gateway's pages.
pub fn mdns_host_names(m: &dns::Message) -> Vec<&str> {
    m.answers
        .iter()
        .chain(&m.extra)
        .filter(|r| {
            matches!(r.data, dns::RData::A(_) | dns::RData::Aaaa(_)) && r.name.ends_with(".local")
        })
        .map(|r| r.name.as_str())
        .collect()
}

fn add_capped(set: &mut BTreeSet<String>, v: String) {
    if set.len() < MAX_IDENTITY_STRINGS {
        set.insert(v);
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Remote {
    /// The remote's DNS or TLS name, or its address when none is known.
    pub remote: String,
    /// How the name was learned: "dns" (an answer whose TTL covers the
    /// flow's start), "dns-expired", "tls-sni", or "address".
    pub named_by: &'static str,
    pub addresses: BTreeSet<IpAddr>,
    pub protocol: &'static str,
    /// The service port: the remote's for outbound flows, the device's own for inbound.
    pub port: u16,
    /// "outbound" (the device opened it) or "inbound".
    pub direction: &'static str,
    pub flows: u64,
    pub packets_out: u64,
    pub packets_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// The device's MAC address; null when the capture has no link-layer
    /// addresses (raw IP), and then `address` names the device.
    pub mac: Option<String>,
    pub address: Option<IpAddr>,
    pub identity: Identity,
    pub remotes: Vec<Remote>,
    /// Decoding anomalies of the frames this device sent, by kind.
    pub anomalies: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub packets: u64,
    pub flows: u64,
    pub devices: Vec<DeviceReport>,
    /// Decoding anomalies by kind ("truncated tcp", "malformed ipv4", ...).
    pub anomalies: BTreeMap<String, u64>,
    /// What the caps turned away.
    pub dropped: BTreeMap<String, u64>,
    /// Capture files that ended in an error, with the error.
    pub capture_errors: Vec<String>,
}

/// What the traffic engine hands to a consumer beside the report (the
/// detectors, the MUD compliance check): every packet with the DNS message
/// and TLS server name the analyzer parsed from it, and every flow when it
/// ends, with which of its sides are on the local network.
pub trait Sink {
    fn packet(&mut self, _p: &PacketEvent<'_>) {}
    fn flow(&mut self, _f: &Flow, _local: [bool; 2]) {}
}

/// Where packets go: one [`Analyzer`], or one whose flow stage is shared
/// out over threads ([`shard::Sharded`]).
pub trait Observe {
    fn observe(&mut self, p: &Packet<'_>);
    /// A capture file that ended in an error, for the report.
    fn capture_error(&mut self, file: &str, e: &warden_capture::CaptureError);
}

impl<S: Sink> Observe for Analyzer<S> {
    fn observe(&mut self, p: &Packet<'_>) {
        Analyzer::observe(self, p);
    }
    fn capture_error(&mut self, file: &str, e: &warden_capture::CaptureError) {
        Analyzer::capture_error(self, file, e);
    }
}

impl<S: Sink + Send + 'static> Observe for shard::Sharded<S> {
    fn observe(&mut self, p: &Packet<'_>) {
        shard::Sharded::observe(self, p);
    }
    fn capture_error(&mut self, file: &str, e: &warden_capture::CaptureError) {
        shard::Sharded::capture_error(self, file, e);
    }
}

/// The sink that takes nothing: plain `analyze`.
#[derive(Debug, Default)]
pub struct NoSink;
impl Sink for NoSink {}

/// One packet as the analyzer saw it.
pub struct PacketEvent<'a> {
    pub ts_ns: i64,
    pub wire_len: u32,
    pub decoded: &'a warden_wire::Decoded<'a>,
    /// The application layer, decoded once for every reader.
    pub app: &'a Application,
    /// The server name of a TLS (not DTLS) ClientHello in this packet.
    pub sni: Option<&'a str>,
    /// Whether the IP source / destination is on the local network.
    pub src_local: bool,
    pub dst_local: bool,
}

impl PacketEvent<'_> {
    /// The DNS message (UDP/TCP port 53, mDNS, LLMNR) when it parsed.
    pub fn dns(&self) -> Option<&dns::Message> {
        self.app.dns()
    }
    /// The TLS or DTLS ClientHello this packet starts with.
    pub fn hello(&self) -> Option<&tls::ClientHello> {
        self.app.hello()
    }
}

pub struct Analyzer<S: Sink = NoSink> {
    sink: S,
    opts: Options,
    flows: FlowTable,
    devices: HashMap<[u8; 6], Identity, ahash::RandomState>,
    /// Address → name → (first seen, valid until), in nanoseconds.
    names: HashMap<IpAddr, BTreeMap<Arc<str>, (i64, i64)>, ahash::RandomState>,
    /// Decoding anomalies of frames each device sent.
    device_anomalies: HashMap<[u8; 6], BTreeMap<String, u64>, ahash::RandomState>,
    sni: HashMap<FlowKey, Arc<str>, ahash::RandomState>,
    by_device: HashMap<DeviceKey, RemoteTable, ahash::RandomState>,
    /// Distinct non-private source addresses seen behind each MAC (capped),
    /// for inferring the gateway.
    sources_per_mac: HashMap<[u8; 6], BTreeSet<IpAddr>, ahash::RandomState>,
    anomalies: BTreeMap<String, u64>,
    dropped: BTreeMap<String, u64>,
    capture_errors: Vec<String>,
    /// Packets observed.
    packets: u64,
    /// Flows a shard worker ended, waiting for the next aggregation.
    ended: Vec<Flow>,
}

impl Analyzer<NoSink> {
    pub fn new(opts: Options) -> Analyzer<NoSink> {
        Analyzer::with_sink(opts, NoSink)
    }
}

impl<S: Sink> Analyzer<S> {
    /// An analyzer that also hands packets and ended flows to `sink`.
    pub fn with_sink(opts: Options, sink: S) -> Analyzer<S> {
        let d = Limits::default();
        let flows = FlowTable::new(Limits {
            max_flows: opts.caps.flows,
            unanswered_idle_ns: opts
                .unanswered_idle_s
                .map_or(d.unanswered_idle_ns, |s| i64::from(s) * 1_000_000_000),
            ..d
        });
        Analyzer {
            sink,
            opts,
            flows,
            devices: HashMap::default(),
            names: HashMap::default(),
            sni: HashMap::default(),
            by_device: HashMap::default(),
            device_anomalies: HashMap::default(),
            sources_per_mac: HashMap::default(),
            anomalies: BTreeMap::new(),
            dropped: BTreeMap::new(),
            capture_errors: Vec::new(),
            packets: 0,
            ended: Vec::new(),
        }
    }

    fn is_local(&self, ip: IpAddr) -> bool {
        if self.opts.lan.is_empty() {
            is_local_by_default(ip)
        } else {
            self.opts.lan.iter().any(|p| p.contains(ip))
        }
    }

    /// The gateway's MAC, inferred: the unicast MAC that carries frames from
    /// the most distinct source addresses outside the private ranges (at
    /// least 8, and twice the runner-up). None when nothing stands out.
    fn gateway_mac(&self) -> Option<[u8; 6]> {
        let mut counts: Vec<(usize, [u8; 6])> = self
            .sources_per_mac
            .iter()
            .map(|(m, s)| (s.len(), *m))
            .collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        match counts.as_slice() {
            [(n, m), rest @ ..] if *n >= 8 && rest.first().is_none_or(|(r, _)| *n >= 2 * r) => {
                Some(*m)
            }
            _ => None,
        }
    }

    fn device(&mut self, mac: [u8; 6]) -> Option<&mut Identity> {
        // Group and broadcast addresses are not devices.
        if mac[0] & 1 != 0 || mac == [0; 6] {
            return None;
        }
        if !self.devices.contains_key(&mac) && self.devices.len() >= self.opts.caps.devices {
            *self.dropped.entry("devices".into()).or_default() += 1;
            return None;
        }
        Some(self.devices.entry(mac).or_insert_with(|| Identity {
            vendor: oui::vendor(mac),
            ..Identity::default()
        }))
    }

    /// Binds `name` to `ip` from `now_ns` for `ttl_s` seconds.
    fn bind(&mut self, ip: IpAddr, name: &str, now_ns: i64, ttl_s: u32) {
        if !self.names.contains_key(&ip) && self.names.len() >= self.opts.caps.dns_addresses {
            *self.dropped.entry("dns addresses".into()).or_default() += 1;
            return;
        }
        let until = now_ns.saturating_add(ttl_s as i64 * 1_000_000_000);
        let cap = self.opts.caps.names_per_address;
        let map = self.names.entry(ip).or_default();
        let full = map.len() >= cap;
        match map.get_mut(name) {
            Some((first, last)) => {
                *first = (*first).min(now_ns);
                *last = (*last).max(until);
            }
            None if !full => {
                map.insert(Arc::from(name), (now_ns, until));
            }
            None => *self.dropped.entry("dns names".into()).or_default() += 1,
        }
    }

    /// The name of `ip` for a flow that started at `at_ns`: one whose DNS
    /// binding covers that moment (a minute of slack before the answer, for
    /// captures that reorder), else one whose TTL had run out.
    fn name_at(&self, ip: IpAddr, at_ns: i64) -> Option<(Arc<str>, &'static str)> {
        const SLACK: i64 = 60 * 1_000_000_000;
        let map = self.names.get(&ip)?;
        if let Some((n, _)) = map
            .iter()
            .find(|(_, (first, until))| *first - SLACK <= at_ns && at_ns <= *until)
        {
            return Some((n.clone(), "dns"));
        }
        map.keys().next().map(|n| (n.clone(), "dns-expired"))
    }

    pub fn capture_error(&mut self, file: &str, e: &warden_capture::CaptureError) {
        self.capture_errors.push(format!("{file}: {e}"));
    }

    /// Whether `ip` is on the local network (`--lan`, else the private ranges).
    pub fn local(&self, ip: IpAddr) -> bool {
        self.is_local(ip)
    }

    pub fn observe(&mut self, p: &Packet<'_>) {
        let d = decode(p.link, p.data);
        let application = app::decode(&d);
        self.learn(p, &d, &application);
        self.flows.observe(p.ts_nanos, &d, p.orig_len);
        self.count_packet();
    }

    /// One packet whose application layer and flow accounting a shard
    /// worker did ([`shard`]): `ended` are the flows that packet ended.
    fn observe_sharded(
        &mut self,
        p: &Packet<'_>,
        d: &warden_wire::Decoded<'_>,
        application: &Application,
        ended: Vec<Flow>,
    ) {
        self.learn(p, d, application);
        if !ended.is_empty() {
            self.ended.extend(ended);
        }
        self.count_packet();
    }

    /// Every 65,536th packet, the flows ended so far go into the report.
    fn count_packet(&mut self) {
        self.packets += 1;
        if self.packets % 65_536 == 0 {
            let mut done = std::mem::take(&mut self.ended);
            done.extend(self.flows.drain_finished());
            self.aggregate(done);
        }
    }

    /// What one packet tells about devices, names and anomalies, and the
    /// packet handed to the sink.
    fn learn(&mut self, p: &Packet<'_>, d: &warden_wire::Decoded<'_>, application: &Application) {
        let mut sni: Option<&str> = None;
        let (src_local, dst_local) = match &d.net {
            Net::Ip(ip) => (self.is_local(ip.src), self.is_local(ip.dst)),
            _ => (false, false),
        };
        for a in [d.anomaly, application.anomaly].into_iter().flatten() {
            let k = match a {
                warden_wire::Anomaly::Truncated(l) => format!("truncated {l}"),
                warden_wire::Anomaly::Malformed(l) => format!("malformed {l}"),
                warden_wire::Anomaly::UnsupportedLink => "unsupported link type".into(),
                warden_wire::Anomaly::Encrypted => "encrypted 802.11".into(),
            };
            match d.src_mac.filter(|m| m[0] & 1 == 0) {
                Some(mac) => self.device_anomaly(mac, &k),
                None => *self.anomalies.entry(k).or_default() += 1,
            }
        }
        match d.net {
            Net::Arp(a) => {
                let ip = IpAddr::V4(a.sender_ip);
                if !a.sender_ip.is_unspecified() && self.is_local(ip) {
                    if let Some(dev) = self.device(a.sender_mac) {
                        dev.addresses.insert(ip);
                    }
                }
            }
            Net::Lldp(_) => {
                if let (App::Lldp(l), Some(mac)) = (&application.app, d.src_mac) {
                    if let Some(dev) = self.device(mac) {
                        dev.mud_urls.extend(l.mud_url.clone());
                        if l.system_name.is_some() {
                            dev.lldp_system_name.clone_from(&l.system_name);
                        }
                    }
                }
            }
            Net::Ip(ip) => {
                match &application.app {
                    App::Ssdp(h) if d.tunnels == 0 => {
                        if let (Some(s), Some(mac)) = (&h.server, d.src_mac) {
                            if let Some(dev) = self.device(mac) {
                                add_capped(&mut dev.ssdp_servers, s.clone());
                            }
                        }
                    }
                    App::Dns { service, message } => {
                        // One DNS parse serves the name map and, for mDNS
                        // answers a device sends, its announced host names.
                        if *service == DnsService::Multicast
                            && matches!(ip.transport, Transport::Udp(u) if u.src_port == 5353)
                            && d.tunnels == 0
                            && message.response
                        {
                            if let Some(mac) = d.src_mac {
                                self.learn_mdns_names(mac, message);
                            }
                        }
                        self.learn_dns(message, p.ts_nanos);
                    }
                    App::Dhcp4(x) => self.learn_dhcp(x),
                    App::Dhcp6(x) => {
                        if let (Some(mac), false) = (d.src_mac, x.mud_urls.is_empty()) {
                            if let Some(dev) = self.device(mac) {
                                dev.mud_urls.extend(x.mud_urls.iter().cloned());
                            }
                        }
                    }
                    App::Http(h) => {
                        // An HTTP request from a local device: its User-Agent.
                        if let (Some(ua), Some(mac), true) =
                            (&h.user_agent, d.src_mac, h.method.is_some())
                        {
                            if src_local {
                                if let Some(dev) = self.device(mac) {
                                    add_capped(&mut dev.http_user_agents, ua.clone());
                                }
                            }
                        }
                    }
                    App::TlsHello(h) => {
                        if let (Transport::Tcp(t), Some(name)) = (ip.transport, &h.server_name) {
                            let src = warden_flow::Endpoint {
                                ip: ip.src,
                                port: t.src_port,
                            };
                            let dst = warden_flow::Endpoint {
                                ip: ip.dst,
                                port: t.dst_port,
                            };
                            let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
                            if self.sni.len() < self.opts.caps.flows {
                                self.sni.insert(
                                    FlowKey {
                                        protocol: 6,
                                        lo,
                                        hi,
                                    },
                                    Arc::from(name.as_str()),
                                );
                            }
                            // A name from SNI has no TTL; an hour of validity.
                            self.bind(ip.dst, &dns::normal(name), p.ts_nanos, 3600);
                            sni = Some(name);
                        }
                    }
                    _ => {}
                }
                if let Transport::Icmp {
                    v6: true,
                    icmp_type: 136,
                    ..
                } = ip.transport
                {
                    // Neighbour advertisement: the sender holds the target address.
                    if let (Some((_, target)), Some(mac)) = (ip.transport.nd_target(), d.src_mac) {
                        let ip = IpAddr::V6(target);
                        if self.is_local(ip) && !ip.is_unspecified() {
                            if let Some(dev) = self.device(mac) {
                                if dev.addresses.len() < 64 {
                                    dev.addresses.insert(ip);
                                }
                            }
                        }
                    }
                }
                // The client's fingerprint, and a hello cut short as an
                // anomaly of the device that sent it.
                if let (Some(h), Some(mac)) = (application.hello(), d.src_mac) {
                    if src_local && mac[0] & 1 == 0 {
                        if h.truncated {
                            self.device_anomaly(mac, "truncated tls clienthello");
                        }
                        let ja4 = h.ja4();
                        if let Some(dev) = self.device(mac) {
                            if let Some(n) = dev.tls_clients.get_mut(&ja4) {
                                *n += 1;
                            } else if dev.tls_clients.len() < MAX_TLS_CLIENTS {
                                dev.tls_clients.insert(ja4, 1);
                            }
                        }
                    }
                }
                // Count the public sources behind each MAC (gateway inference).
                if let (Some(mac), true) = (d.src_mac, self.opts.lan.is_empty()) {
                    if mac[0] & 1 == 0 && !is_local_by_default(ip.src) {
                        if let Some(set) = self.sources_per_mac.get_mut(&mac) {
                            if set.len() < 64 {
                                set.insert(ip.src);
                            }
                        } else if self.sources_per_mac.len() < self.opts.caps.devices {
                            self.sources_per_mac.insert(mac, BTreeSet::from([ip.src]));
                        }
                    }
                }
                // A local source with a MAC is a device with that address.
                if let (Some(mac), true) = (d.src_mac, src_local && d.tunnels == 0) {
                    let known = self
                        .devices
                        .get(&mac)
                        .is_some_and(|dev| dev.addresses.contains(&ip.src));
                    if !known && !ip.src.is_unspecified() {
                        if let Some(dev) = self.device(mac) {
                            if dev.addresses.len() < 64 {
                                dev.addresses.insert(ip.src);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        self.sink.packet(&PacketEvent {
            ts_ns: p.ts_nanos,
            wire_len: p.orig_len,
            decoded: d,
            app: application,
            sni,
            src_local,
            dst_local,
        });
    }

    /// Keeps time on a quiet network: flows idle or active past their
    /// timeouts at `now_ns` end, and every ended flow is handed to the
    /// report and the sink now rather than at the next 65,536th packet.
    /// A live capture calls this about once a second.
    pub fn tick(&mut self, now_ns: i64) {
        self.flows.expire(now_ns);
        let mut done = std::mem::take(&mut self.ended);
        done.extend(self.flows.drain_finished());
        if !done.is_empty() {
            self.aggregate(done);
        }
    }

    /// Counts an anomaly of a frame `mac` sent, for the device and in all.
    fn device_anomaly(&mut self, mac: [u8; 6], kind: &str) {
        if self.device_anomalies.contains_key(&mac)
            || self.device_anomalies.len() < self.opts.caps.devices
        {
            *self
                .device_anomalies
                .entry(mac)
                .or_default()
                .entry(kind.to_string())
                .or_default() += 1;
        }
        *self.anomalies.entry(kind.to_string()).or_default() += 1;
    }

    fn learn_dns(&mut self, m: &dns::Message, now_ns: i64) {
        if !m.response {
            return;
        }
        // Each address is named by its owner and by every name of the CNAME
        // chain that led to it (the name the device asked for).
        for r in m.resolutions() {
            for name in &r.names {
                self.bind(r.address, name, now_ns, r.ttl);
            }
        }
    }

    /// Host names (A/AAAA owners in .local) a device announces over mDNS.
    fn learn_mdns_names(&mut self, mac: [u8; 6], m: &dns::Message) {
        let names = mdns_host_names(m);
        if names.is_empty() {
            return;
        }
        if let Some(dev) = self.device(mac) {
            for n in names {
                add_capped(&mut dev.mdns_names, n.to_string());
            }
        }
    }

    fn learn_dhcp(&mut self, x: &dhcp::Dhcp4) {
        // Only client messages (BOOTREQUEST) describe the client.
        let mac = x.client_mac;
        let your_ip = IpAddr::from(x.your_ip);
        let Some(dev) = self.device(mac) else { return };
        if x.op == 1 {
            if x.hostname.is_some() {
                dev.hostname.clone_from(&x.hostname);
            }
            if x.vendor_class.is_some() {
                dev.vendor_class.clone_from(&x.vendor_class);
            }
            if !x.parameter_list.is_empty() {
                dev.dhcp_parameter_list.clone_from(&x.parameter_list);
            }
            if let Some(u) = &x.mud_url {
                dev.mud_urls.insert(u.clone());
            }
        } else if x.message_type == Some(5) && !your_ip.is_unspecified() {
            // DHCPACK: the address the server gave this client.
            dev.addresses.insert(your_ip);
        }
    }

    /// Folds ended flows into the per-device remote tables and forgets
    /// them, so memory follows the number of remotes, not of flows.
    fn aggregate(&mut self, flows: Vec<Flow>) {
        let gateway = if self.opts.lan.is_empty() {
            self.gateway_mac()
        } else {
            None
        };
        for f in &flows {
            let sni_name = self.sni.remove(&f.key);
            let mut local = [false; 2];
            for side in [0usize, 1] {
                let (me, peer) = if side == 0 {
                    (f.initiator, f.responder)
                } else {
                    (f.responder, f.initiator)
                };
                // Local: inside --lan; without it, a private-range address,
                // or any address whose frames do not come through the
                // gateway's MAC (a LAN on public addresses).
                let behind_gateway = match (gateway, f.macs[side]) {
                    (Some(gw), Some(m)) => m != gw,
                    _ => false,
                };
                if !(self.is_local(me.ip) || behind_gateway) {
                    continue;
                }
                local[side] = true;
                if behind_gateway && !me.ip.is_unspecified() {
                    if let Some(m) = f.macs[side] {
                        if let Some(dev) = self.device(m) {
                            if dev.addresses.len() < 64 {
                                dev.addresses.insert(me.ip);
                            }
                        }
                    }
                }
                // Without link-layer addresses (raw IP captures) a device is its address.
                // An endpoint that never sent a frame (a scanned address)
                // is not a device we saw.
                let key = match (f.macs[side], f.macs[1 - side]) {
                    (Some(mac), _) if self.devices.contains_key(&mac) => DeviceKey::Mac(mac),
                    (None, None) if f.packets[side] > 0 => DeviceKey::Ip(me.ip),
                    _ => continue,
                };
                if self.opts.device.is_some_and(|d| key != DeviceKey::Mac(d)) {
                    continue;
                }
                if !self.by_device.contains_key(&key)
                    && self.by_device.len() >= self.opts.caps.devices
                {
                    *self.dropped.entry("devices".into()).or_default() += 1;
                    continue;
                }
                let (name, named_by) = match &sni_name {
                    Some(n) => (RemoteName::Name(n.clone()), "tls-sni"),
                    None => match self.name_at(peer.ip, f.first_ns) {
                        Some((n, by)) => (RemoteName::Name(n), by),
                        None => (RemoteName::Address(peer.ip), "address"),
                    },
                };
                let outbound = side == 0;
                let protocol = if f.key.protocol == 6 { "tcp" } else { "udp" };
                let port = if outbound { peer.port } else { me.port };
                let direction = if outbound { "outbound" } else { "inbound" };
                let table = self.by_device.entry(key).or_default();
                let k = (name, protocol, port, direction);
                let full = table.len() >= self.opts.caps.remotes_per_device;
                let r = match table.entry(k) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(_) if full => {
                        *self.dropped.entry("remotes".into()).or_default() += 1;
                        continue;
                    }
                    Entry::Vacant(e) => e.insert(Remote {
                        // Written out when the report is made.
                        remote: String::new(),
                        named_by,
                        addresses: BTreeSet::new(),
                        protocol,
                        port,
                        direction,
                        flows: 0,
                        packets_out: 0,
                        packets_in: 0,
                        bytes_out: 0,
                        bytes_in: 0,
                        first_seen_ns: f.first_ns,
                        last_seen_ns: f.last_ns,
                    }),
                };
                let (o, i) = (side, 1 - side);
                if r.addresses.len() < 64 {
                    r.addresses.insert(peer.ip);
                }
                r.flows += 1;
                r.packets_out += f.packets[o];
                r.packets_in += f.packets[i];
                r.bytes_out += f.bytes[o];
                r.bytes_in += f.bytes[i];
                r.first_seen_ns = r.first_seen_ns.min(f.first_ns);
                r.last_seen_ns = r.last_seen_ns.max(f.last_ns);
            }
            self.sink.flow(f, local);
        }
    }

    pub fn finish(self) -> Report {
        self.finish_with_sink().0
    }

    /// The report, and the sink with everything it was handed.
    /// The sink, while packets are still coming (a daemon drains it).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    pub fn finish_with_sink(mut self) -> (Report, S) {
        let table = std::mem::replace(&mut self.flows, FlowTable::new(Limits::default()));
        self.finish_with_tables(vec![table])
    }

    /// The report over the flow tables of every shard: the flows still
    /// held, with those ended and not yet reported, in the order they
    /// started (a stable sort, as one table orders them).
    fn finish_with_tables(mut self, tables: Vec<FlowTable>) -> (Report, S) {
        let mut flows = std::mem::take(&mut self.ended);
        let mut counters = warden_flow::Counters::default();
        for t in tables {
            counters.flows_started += t.counters.flows_started;
            counters.evicted += t.counters.evicted;
            flows.extend(t.into_flows());
        }
        flows.sort_by_key(|f| (f.first_ns, f.key));
        self.aggregate(flows);
        let mut anomalies = std::mem::take(&mut self.anomalies);
        let mut dropped = std::mem::take(&mut self.dropped);
        if counters.evicted > 0 {
            dropped.insert("flows evicted".into(), counters.evicted);
        }
        let packets = self.packets;
        let mut by_device = std::mem::take(&mut self.by_device);
        let mut device_anomalies = std::mem::take(&mut self.device_anomalies);
        let only = self.opts.device;
        let mut idents: BTreeMap<DeviceKey, Identity> = self
            .devices
            .into_iter()
            .filter(|(mac, id)| {
                only.is_none_or(|d| d == *mac)
                    && (by_device.contains_key(&DeviceKey::Mac(*mac))
                        || !id.addresses.is_empty()
                        || !id.mud_urls.is_empty()
                        || id.hostname.is_some()
                        || id.lldp_system_name.is_some()
                        || !id.ssdp_servers.is_empty()
                        || !id.mdns_names.is_empty())
            })
            .map(|(mac, id)| (DeviceKey::Mac(mac), id))
            .collect();
        for k in by_device.keys() {
            if let DeviceKey::Ip(ip) = k {
                idents.entry(*k).or_default().addresses.insert(*ip);
            }
        }
        let devices = idents
            .into_iter()
            .map(|(key, identity)| {
                let mut remotes: Vec<Remote> = by_device
                    .remove(&key)
                    .map(|m| {
                        m.into_iter()
                            .map(|((name, ..), mut r)| {
                                r.remote = name.to_string();
                                r
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                remotes.sort_by(|a, b| {
                    (b.bytes_out + b.bytes_in)
                        .cmp(&(a.bytes_out + a.bytes_in))
                        .then(a.remote.cmp(&b.remote))
                        .then(a.protocol.cmp(b.protocol))
                        .then(a.port.cmp(&b.port))
                        .then(a.direction.cmp(b.direction))
                });
                let (mac, address, anomalies) = match key {
                    DeviceKey::Mac(m) => (
                        Some(MacAddr(m).to_string()),
                        None,
                        device_anomalies.remove(&m).unwrap_or_default(),
                    ),
                    DeviceKey::Ip(ip) => (None, Some(ip), BTreeMap::new()),
                };
                DeviceReport {
                    mac,
                    address,
                    identity,
                    remotes,
                    anomalies,
                }
            })
            .collect();
        anomalies.retain(|_, v| *v > 0);
        (
            Report {
                packets,
                flows: counters.flows_started,
                devices,
                anomalies,
                dropped,
                capture_errors: self.capture_errors,
            },
            self.sink,
        )
    }
}

/// Remotes of one device by (name, protocol, port, direction).
type RemoteTable =
    HashMap<(RemoteName, &'static str, u16, &'static str), Remote, ahash::RandomState>;

/// What a remote is called in the report: a name the analyzer learned
/// (shared, not copied per flow), or its address, written out only when
/// the report is made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RemoteName {
    Name(Arc<str>),
    Address(IpAddr),
}

impl std::fmt::Display for RemoteName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteName::Name(n) => f.write_str(n),
            RemoteName::Address(a) => a.fmt(f),
        }
    }
}

/// A device: by MAC on Ethernet-like links, by address on raw IP captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum DeviceKey {
    Mac([u8; 6]),
    Ip(IpAddr),
}
