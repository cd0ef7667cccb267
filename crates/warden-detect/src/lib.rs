//! # warden-detect: traffic → judgements
//!
//! The traffic engine (`warden-analyze`) hands every packet and every ended
//! flow to an [`Engine`] (it is an analyzer [`Sink`]). The engine
//!
//! - runs the **detectors** ([`detectors`]): scans, brute force, floods and
//!   reflection, DNS water torture and tunnels, other resolvers, beaconing,
//!   blocklisted endpoints, cleartext credentials; each with documented
//!   [`Thresholds`], each detection deduplicated into an [`Alert`] per
//!   device, kind and time window, with evidence, an explanation and advice,
//!   its severity scaled by the deployment context;
//! - keeps, per device, the names its own DNS traffic bound to addresses
//!   ([`bindings`]) and, when asked, the device's flows, so that it can
//! - check flows against a device's MUD policy ([`compliance`]): violations
//!   become `mud.violation` alerts; and
//! - write a MUD profile from what a device did ([`profile`]).
//!
//! Metadata only: payloads are looked at in passing (a DNS name, a login
//! prompt) and never stored; credentials are reported as a fact, never as
//! text.

pub mod alert;
pub mod bindings;
pub mod common;
pub mod compliance;
pub mod detectors;
pub mod profile;
pub mod report;
pub mod thresholds;
pub mod tlsprofile;

pub use alert::{Alert, Detection, Kind, Role, Severity};
pub use common::DevKey;
pub use compliance::{judge, Attempt, Verdict, Violation};
pub use detectors::blocklist::{Blocklist, BlocklistError};
pub use profile::{DeviceFlow, Profile, ProfileOptions};
pub use thresholds::Thresholds;
pub use tlsprofile::TlsDeviation;

use bindings::Bindings;
use common::NS;
use detectors::Pkt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use warden_analyze::{PacketEvent, Sink};
use warden_flow::Flow;
use warden_mud::{Context, Deployment, Endpoint, IpPrefix, Policy};
use warden_wire::app::App;
use warden_wire::{Net, Transport};

/// Which devices' flows to keep for compliance and profiles.
#[derive(Debug, Clone, Default)]
pub enum Record {
    #[default]
    Nothing,
    All,
    Only(Vec<DevKey>),
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub thresholds: Thresholds,
    pub deployment: Deployment,
    pub blocklist: Option<Blocklist>,
    /// The network's DNS resolvers (the context's DNS controllers).
    pub resolvers: Vec<IpAddr>,
    pub record: Record,
    /// The most flows kept for compliance and profiles (beyond: counted).
    pub max_recorded_flows: usize,
}

/// What the network's DHCP server announced, and what devices used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Learned {
    pub dhcp_dns_servers: BTreeSet<IpAddr>,
    pub dhcp_ntp_servers: BTreeSet<IpAddr>,
    pub dhcp_routers: BTreeSet<IpAddr>,
    /// Servers local devices sent DNS (port 53) and NTP (port 123) to.
    pub used_dns_servers: BTreeSet<IpAddr>,
    pub used_ntp_servers: BTreeSet<IpAddr>,
}

/// The compliance of one device with its MUD policy.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceCompliance {
    pub device: String,
    pub mud_url: String,
    /// Where the MUD file came from (a path, or "announced" + path).
    pub source: String,
    pub flows_checked: u64,
    pub flows_allowed: u64,
    pub flows_exempt: u64,
    pub violations: Vec<Violation>,
    /// Violations beyond the ones listed.
    pub violations_not_listed: u64,
    /// Rules of the profile that could not be resolved in this context.
    pub unresolved: Vec<String>,
    /// Distinct TLS/DTLS ClientHellos the device sent (by remote, port and
    /// parameters) and those outside their rule's RFC 9761 profiles.
    pub handshakes_checked: u64,
    pub tls_deviations: Vec<TlsDeviation>,
}

/// A ClientHello a recorded device sent, kept for the RFC 9761 check.
#[derive(Debug, Clone)]
pub struct SentHello {
    pub first_ns: i64,
    pub protocol: u8,
    pub device_ip: IpAddr,
    pub device_port: u16,
    pub remote_ip: IpAddr,
    pub remote_port: u16,
    pub remote_mac: Option<[u8; 6]>,
    pub hello: warden_wire::tls::ClientHello,
}

/// Distinct hellos kept per device.
const MAX_HELLOS: usize = 4096;

/// The most violations listed per device.
pub const MAX_VIOLATIONS: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    pub alerts: Vec<Alert>,
    /// What caps turned away, by table.
    pub dropped: BTreeMap<String, u64>,
}

pub struct Engine {
    opts: Options,
    alerts: alert::Alerts,
    pub bindings: Bindings,
    scan: detectors::scan::Scan,
    brute: detectors::brute::Brute,
    flood: detectors::flood::Flood,
    spoof: detectors::spoof::Spoof,
    dns: detectors::dnsabuse::DnsAbuse,
    beacon: detectors::beacon::Beacon,
    creds: detectors::creds::Creds,
    block: Option<detectors::blocklist::BlocklistDetector>,
    pending: Vec<Detection>,
    flows: HashMap<DevKey, Vec<DeviceFlow>>,
    hellos: HashMap<DevKey, Vec<SentHello>>,
    recorded: usize,
    learned: Learned,
    dropped: BTreeMap<String, u64>,
}

impl Engine {
    pub fn new(mut opts: Options) -> Engine {
        let t = opts.thresholds.clone();
        if opts.max_recorded_flows == 0 {
            opts.max_recorded_flows = 1 << 21;
        }
        let mut dns = detectors::dnsabuse::DnsAbuse::new(&t);
        dns.resolvers.extend(opts.resolvers.iter().copied());
        Engine {
            alerts: alert::Alerts::new(t.dedup_window_s as i64 * NS, opts.deployment, 100_000),
            bindings: Bindings::new(t.dns_min_ttl_s, 1 << 20),
            scan: detectors::scan::Scan::new(&t),
            brute: detectors::brute::Brute::new(&t),
            flood: detectors::flood::Flood::new(&t),
            spoof: detectors::spoof::Spoof::default(),
            dns,
            beacon: detectors::beacon::Beacon::new(&t),
            creds: detectors::creds::Creds::default(),
            block: opts
                .blocklist
                .take()
                .filter(|b| !b.is_empty())
                .map(detectors::blocklist::BlocklistDetector::new),
            pending: Vec::new(),
            flows: HashMap::new(),
            hellos: HashMap::new(),
            recorded: 0,
            learned: Learned::default(),
            dropped: BTreeMap::new(),
            opts,
        }
    }

    fn records(&self, d: DevKey) -> bool {
        match &self.opts.record {
            Record::Nothing => false,
            Record::All => true,
            Record::Only(v) => v.contains(&d),
        }
    }

    pub fn learned(&self) -> &Learned {
        &self.learned
    }

    /// Devices whose flows were recorded.
    pub fn recorded_devices(&self) -> Vec<DevKey> {
        let mut v: Vec<DevKey> = self.flows.keys().copied().collect();
        v.sort();
        v
    }

    pub fn device_flows(&self, d: DevKey) -> &[DeviceFlow] {
        self.flows.get(&d).map(Vec::as_slice).unwrap_or_default()
    }

    /// The context the MUD abstractions are resolved in: `base`, with what
    /// it leaves open filled from the network: local networks from `lan`
    /// (else the private ranges), DNS and NTP controllers from DHCP
    /// (options 6, 3 and 42), else from the servers devices used. Each
    /// filled item is listed in the notes.
    pub fn effective_context(&self, base: &Context, lan: &[IpPrefix]) -> (Context, Vec<String>) {
        let mut ctx = base.clone();
        let mut notes = Vec::new();
        if ctx.local_networks.is_empty() {
            ctx.local_networks = if lan.is_empty() {
                [
                    "10.0.0.0/8",
                    "172.16.0.0/12",
                    "192.168.0.0/16",
                    "100.64.0.0/10",
                    "169.254.0.0/16",
                    "fc00::/7",
                    "fe80::/10",
                ]
                .iter()
                .filter_map(|s| IpPrefix::parse(s).ok())
                .collect()
            } else {
                lan.to_vec()
            };
            notes.push(format!(
                "local-networks not configured: using {}",
                ctx.local_networks
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let l = &self.learned;
        let mut fill = |urn: &str, dhcp: BTreeSet<IpAddr>, used: &BTreeSet<IpAddr>, what: &str| {
            if ctx.controllers.contains_key(urn) {
                return;
            }
            let (set, from) = if !dhcp.is_empty() {
                (dhcp, "announced by DHCP")
            } else {
                (used.clone(), "used by the devices (no DHCP answer seen; configure it in the context to judge it)")
            };
            if set.is_empty() {
                return;
            }
            notes.push(format!(
                "{urn} ({what}) not configured: {} {from}",
                set.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            ctx.controllers.insert(
                urn.to_string(),
                set.into_iter()
                    .map(|i| Endpoint::Net(IpPrefix::host(i)))
                    .collect(),
            );
        };
        let dns: BTreeSet<IpAddr> = l.dhcp_dns_servers.union(&l.dhcp_routers).copied().collect();
        fill(profile::DNS_URN, dns, &l.used_dns_servers, "DNS servers");
        fill(
            profile::NTP_URN,
            l.dhcp_ntp_servers.clone(),
            &l.used_ntp_servers,
            "NTP servers",
        );
        (ctx, notes)
    }

    /// Checks the recorded flows of `device` against `policy`; violations
    /// also become `mud.violation` alerts.
    pub fn check(&mut self, device: DevKey, policy: &Policy, source: &str) -> DeviceCompliance {
        let mut c = DeviceCompliance {
            device: device.to_string(),
            mud_url: policy.mud_url().to_string(),
            source: source.to_string(),
            flows_checked: 0,
            flows_allowed: 0,
            flows_exempt: 0,
            violations: Vec::new(),
            violations_not_listed: 0,
            handshakes_checked: 0,
            tls_deviations: Vec::new(),
            unresolved: policy
                .notes()
                .iter()
                .map(|n| format!("{}/{}: {}", n.origin.acl, n.origin.ace, n.reason))
                .collect(),
        };
        let flows = self
            .flows
            .get(&device)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut dets = Vec::new();
        for df in flows {
            c.flows_checked += 1;
            match compliance::check(policy, &df.flow, df.side as usize, device, &self.bindings) {
                Verdict::Allowed => c.flows_allowed += 1,
                Verdict::Exempt => c.flows_exempt += 1,
                Verdict::Violation(v) => {
                    let ev = alert::EvidenceFlow {
                        protocol: v.protocol,
                        src: format!("{}:{}", v.device_address, v.device_port),
                        dst: format!("{}:{}", v.remote, v.remote_port),
                        first_ns: v.first_ns,
                        packets: v.packets,
                        bytes: v.bytes,
                    };
                    dets.push(Detection {
                        kind: Kind::MudViolation,
                        device: device.to_string(),
                        role: Role::Source,
                        first_ns: v.first_ns,
                        last_ns: df.flow.last_ns,
                        explanation: v.explanation.clone(),
                        counts: BTreeMap::new(),
                        evidence: vec![ev],
                    });
                    if c.violations.len() < MAX_VIOLATIONS {
                        c.violations.push(*v);
                    } else {
                        c.violations_not_listed += 1;
                    }
                }
            }
        }
        c.violations.sort_by(|a, b| {
            (a.first_ns, a.remote, a.remote_port).cmp(&(b.first_ns, b.remote, b.remote_port))
        });
        for h in self
            .hellos
            .get(&device)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            c.handshakes_checked += 1;
            let names = self.bindings.names_at(device, h.remote_ip, h.first_ns);
            let a = Attempt {
                protocol: h.protocol,
                device_ip: h.device_ip,
                device_port: h.device_port,
                remote_ip: h.remote_ip,
                remote_port: h.remote_port,
                remote_mac: h.remote_mac,
                names: &names,
                opened_by_device: true,
                midstream: false,
                first_ns: h.first_ns,
                packets: 1,
                bytes: 0,
            };
            if let Some(t) = tlsprofile::judge(policy, &a, &h.hello) {
                dets.push(Detection {
                    kind: Kind::MudTlsProfile,
                    device: device.to_string(),
                    role: Role::Source,
                    first_ns: t.first_ns,
                    last_ns: t.first_ns,
                    explanation: t.explanation.clone(),
                    counts: BTreeMap::new(),
                    evidence: vec![alert::EvidenceFlow {
                        protocol: t.protocol,
                        src: format!("{}:{}", t.device_address, t.device_port),
                        dst: format!("{}:{}", t.remote, t.remote_port),
                        first_ns: t.first_ns,
                        packets: 1,
                        bytes: 0,
                    }],
                });
                if c.tls_deviations.len() < MAX_VIOLATIONS {
                    c.tls_deviations.push(t);
                }
            }
        }
        dets.sort_by_key(|d| d.first_ns);
        for d in dets {
            self.alerts.raise(d);
        }
        c
    }

    /// A MUD profile of `device` from its recorded flows.
    pub fn profile(&self, device: DevKey, ctx: &Context, opts: &ProfileOptions) -> Profile {
        let hellos = self
            .hellos
            .get(&device)
            .map(Vec::as_slice)
            .unwrap_or_default();
        profile::generate(
            device,
            self.device_flows(device),
            hellos,
            &self.bindings,
            ctx,
            opts,
        )
    }

    /// The detections made so far and not yet taken, as they come (a
    /// daemon's view; `finish` deduplicates what is left into alerts).
    pub fn take_detections(&mut self) -> Vec<Detection> {
        std::mem::take(&mut self.pending)
    }

    pub fn finish(mut self) -> Findings {
        let bindings = &self.bindings;
        let mut out = Vec::new();
        self.beacon.finish(
            |d, ip, at| bindings.best_name(d, ip, at).into_iter().collect(),
            &mut out,
        );
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend(out);
        // A total order, so that deduplication never depends on hash order.
        pending.sort_by(|a, b| {
            (a.first_ns, &a.device, a.kind, a.role, &a.explanation).cmp(&(
                b.first_ns,
                &b.device,
                b.kind,
                b.role,
                &b.explanation,
            ))
        });
        for d in pending {
            self.alerts.raise(d);
        }
        let mut dropped = self.dropped;
        for (k, v) in [
            ("alerts", self.alerts.dropped),
            ("dns bindings", self.bindings.dropped),
            ("brute-force keys", self.brute.dropped),
            ("flood keys", self.flood.dropped),
            ("spoof keys", self.spoof.dropped),
            ("beacon keys", self.beacon.dropped),
        ] {
            if v > 0 {
                dropped.insert(k.into(), v);
            }
        }
        Findings {
            alerts: self.alerts.into_sorted(),
            dropped,
        }
    }

    /// Keeps a hello a recorded local device sent (once per remote, port
    /// and parameters) for the RFC 9761 check.
    fn record_hello(&mut self, p: &PacketEvent<'_>, h: &warden_wire::tls::ClientHello) {
        if matches!(self.opts.record, Record::Nothing) || !p.src_local {
            return;
        }
        let d = p.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let (protocol, sport, dport) = match ip.transport {
            Transport::Tcp(t) => (6, t.src_port, t.dst_port),
            Transport::Udp(u) => (17, u.src_port, u.dst_port),
            _ => return,
        };
        let dev = DevKey::src(d, ip.src);
        if !self.records(dev) {
            return;
        }
        let list = self.hellos.entry(dev).or_default();
        if list.iter().any(|x| {
            x.remote_ip == ip.dst
                && x.remote_port == dport
                && x.protocol == protocol
                && x.hello == *h
        }) {
            return;
        }
        if list.len() >= MAX_HELLOS {
            *self.dropped.entry("recorded hellos".into()).or_default() += 1;
            return;
        }
        list.push(SentHello {
            first_ns: p.ts_ns,
            protocol,
            device_ip: ip.src,
            device_port: sport,
            remote_ip: ip.dst,
            remote_port: dport,
            remote_mac: d.dst_mac,
            hello: h.clone(),
        });
    }

    fn learn(&mut self, p: &PacketEvent<'_>) {
        let d = p.decoded;
        let Net::Ip(ip) = &d.net else { return };
        if let Some(m) = p.dns() {
            if m.response && d.tunnels == 0 {
                if let Transport::Udp(u) = ip.transport {
                    if u.src_port != 53 {
                        return self.learn_tail(p);
                    }
                }
                self.bindings.learn(DevKey::dst(d, ip.dst), m, p.ts_ns);
            }
        }
        self.learn_tail(p);
    }

    fn learn_tail(&mut self, p: &PacketEvent<'_>) {
        let d = p.decoded;
        let Net::Ip(ip) = &d.net else { return };
        if let Some(name) = p.sni {
            self.bindings.bind(
                DevKey::src(d, ip.src),
                ip.dst,
                &name.to_ascii_lowercase(),
                p.ts_ns,
                3600,
            );
        }
        match ip.transport {
            Transport::Udp(u) if u.src_port == 67 && u.dst_port == 68 => {
                if let App::Dhcp4(x) = &p.app.app {
                    if x.op == 2 {
                        let l = &mut self.learned;
                        for (set, v) in [
                            (&mut l.dhcp_dns_servers, &x.dns_servers),
                            (&mut l.dhcp_ntp_servers, &x.ntp_servers),
                            (&mut l.dhcp_routers, &x.routers),
                        ] {
                            for a in v {
                                if set.len() < 16 {
                                    set.insert(IpAddr::from(*a));
                                }
                            }
                        }
                        if self.opts.resolvers.is_empty() {
                            self.dns.resolvers.extend(
                                x.dns_servers
                                    .iter()
                                    .chain(&x.routers)
                                    .map(|a| IpAddr::from(*a)),
                            );
                        }
                    }
                }
            }
            Transport::Udp(u)
                if p.src_local && u.dst_port == 123 && self.learned.used_ntp_servers.len() < 64 =>
            {
                self.learned.used_ntp_servers.insert(ip.dst);
            }
            Transport::Udp(u)
                if p.src_local
                    && u.dst_port == 53
                    && p.dns().is_some()
                    && self.learned.used_dns_servers.len() < 64 =>
            {
                self.learned.used_dns_servers.insert(ip.dst);
            }
            _ => {}
        }
    }
}

impl Sink for Engine {
    fn packet(&mut self, p: &PacketEvent<'_>) {
        self.learn(p);
        if let Some(h) = p.hello() {
            self.record_hello(p, h);
        }
        let pk = Pkt { ev: p, ts: p.ts_ns };
        let mut out = std::mem::take(&mut self.pending);
        self.scan.packet(&pk, &mut out);
        self.brute.packet(&pk, &mut out);
        self.flood.packet(&pk, &mut out);
        self.spoof.packet(&pk, &mut out);
        self.dns.packet(&pk, &mut out);
        self.creds.packet(&pk, &mut out);
        if let Some(b) = &mut self.block {
            b.packet(&pk, &mut out);
        }
        if out.len() > 256 {
            out.sort_by(|a, b| {
                (a.first_ns, &a.device, a.kind, a.role, &a.explanation).cmp(&(
                    b.first_ns,
                    &b.device,
                    b.kind,
                    b.role,
                    &b.explanation,
                ))
            });
            for d in out.drain(..) {
                self.alerts.raise(d);
            }
        }
        self.pending = out;
    }

    fn flow(&mut self, f: &Flow, local: [bool; 2]) {
        self.beacon.flow(f, local);
        if matches!(self.opts.record, Record::Nothing) {
            return;
        }
        for side in 0..2usize {
            if !local[side] {
                continue;
            }
            let ip = if side == 0 {
                f.initiator.ip
            } else {
                f.responder.ip
            };
            let dev = DevKey::of(f.macs[side], ip);
            if !self.records(dev) {
                continue;
            }
            if self.recorded >= self.opts.max_recorded_flows {
                *self.dropped.entry("recorded flows".into()).or_default() += 1;
                continue;
            }
            self.recorded += 1;
            self.flows.entry(dev).or_default().push(DeviceFlow {
                flow: f.clone(),
                side: side as u8,
                peer_local: local[1 - side],
            });
        }
    }
}
