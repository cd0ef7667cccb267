//! Floods and DDoS participation, counted per flood window:
//!
//! - **Outbound** (the device attacks; keyed by its MAC, because Mirai
//!   spoofs source addresses): SYN (any rate this high is an attack), ACK
//!   and UDP (only while the target answers less than
//!   `flood_reply_percent` of it, RSTs not counted as answers; UDP also
//!   needs many destination ports unless the rate is five times higher),
//!   ICMP echo, HTTP requests, and GRE/IP-in-IP packets (Mirai's greip and
//!   greeth; a home device has no tunnels).
//! - **Inbound** (the device is the victim, sources outside): SYN, UDP,
//!   ICMP floods; SYN-ACKs and amplifier answers (DNS, NTP, SNMP, SSDP,
//!   memcached, ...) it never asked for are a reflection attack on it.
//! - **Reflector**: the device sends answers from an amplifier port to the
//!   internet: spoofed requests are using it against someone else.

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{DevKey, NS};
use crate::Thresholds;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use warden_wire::{Net, TcpSegment, Transport};

/// UDP source ports of services used for reflection and amplification.
pub const AMPLIFIER_PORTS: [u16; 14] = [
    17, 19, 53, 123, 161, 389, 1434, 1900, 3283, 3702, 5683, 10001, 11211, 37810,
];

const SYN: usize = 0;
const ACK: usize = 1;
const UDP: usize = 2;
const ICMP: usize = 3;
const HTTP: usize = 4;

#[derive(Default)]
struct Out {
    start: i64,
    counts: [u32; 5],
    /// Packets sent when the pair became hot (answers are counted from then).
    sent_at_hot: Option<u32>,
    ports: HashSet<u16>,
    /// Source ports (a flood tool takes a new one per packet; a stream
    /// keeps one).
    sports: HashSet<u16>,
    fired: u8,
    sample: Option<(u8, IpAddr, u16, IpAddr, u16)>,
}

#[derive(Default)]
struct Victim {
    start: i64,
    counts: [u32; 4],
    synacks_in: u32,
    syns_out: u32,
    amp_in: u32,
    amp_requests_out: u32,
    sources: HashSet<IpAddr>,
    fired: u8,
}

#[derive(Default)]
struct Reflect {
    start: i64,
    answers: u32,
    bytes_out: u64,
    requests: u32,
    bytes_in: u64,
    targets: HashSet<IpAddr>,
    fired: bool,
    port: u16,
}

/// A device's sending, per kind, in the window.
#[derive(Default)]
struct Sender {
    start: i64,
    counts: [u32; 5],
}

#[derive(Default)]
struct Tunnel {
    start: i64,
    count: u32,
    fired: bool,
}

const MAX_KEYS: usize = 1 << 16;
const MAX_SET: usize = 64;
const MAX_HOT: usize = 4096;

pub struct Flood {
    window_ns: i64,
    packets: u32,
    reply_pct: u32,
    udp_ports: usize,
    tunnel_packets: u32,
    http_requests: u32,
    reflection: u32,
    reflector: u32,
    out: HashMap<(DevKey, IpAddr), Out, ahash::RandomState>,
    victims: HashMap<DevKey, Victim, ahash::RandomState>,
    reflect: HashMap<DevKey, Reflect, ahash::RandomState>,
    tunnels: HashMap<DevKey, Tunnel, ahash::RandomState>,
    senders: HashMap<DevKey, Sender, ahash::RandomState>,
    /// Pairs sending at an eighth of the flood rate or more: only their
    /// answers are counted, so that ordinary packets cost no extra lookup.
    /// (answers, since)
    hot_out: HashMap<(DevKey, IpAddr), (u32, i64), ahash::RandomState>,
    /// Devices whose victim window is busy: only their own SYNs and
    /// requests are counted.
    hot_victims: HashMap<DevKey, i64, ahash::RandomState>,
    /// Last sweep of each table: out, victims, reflect, tunnels and senders.
    swept: [i64; 5],
    pub dropped: u64,
}

/// A per-key window that knows when it started.
trait Windowed: Default {
    fn start(&mut self) -> &mut i64;
}
impl Windowed for Out {
    fn start(&mut self) -> &mut i64 {
        &mut self.start
    }
}
impl Windowed for Victim {
    fn start(&mut self) -> &mut i64 {
        &mut self.start
    }
}
impl Windowed for Reflect {
    fn start(&mut self) -> &mut i64 {
        &mut self.start
    }
}
impl Windowed for Sender {
    fn start(&mut self) -> &mut i64 {
        &mut self.start
    }
}
impl Windowed for Tunnel {
    fn start(&mut self) -> &mut i64 {
        &mut self.start
    }
}

/// Gets or makes the window of `key`, a fresh one when it ran out; None
/// when the table is full of live windows (counted).
fn slot<'m, K: std::hash::Hash + Eq + Copy, V: Windowed>(
    map: &'m mut HashMap<K, V, ahash::RandomState>,
    key: K,
    ts: i64,
    w: i64,
    dropped: &mut u64,
    swept: &mut i64,
) -> Option<&'m mut V> {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        // At most one sweep per eighth of a window: O(1) per new key.
        if ts.saturating_sub(*swept) > w / 8 {
            *swept = ts;
            map.retain(|_, v| ts - *v.start() <= w);
        }
        if map.len() >= MAX_KEYS {
            *dropped += 1;
            return None;
        }
    }
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => {
            let v = e.into_mut();
            if ts - *v.start() > w {
                *v = V::default();
                *v.start() = ts;
            }
            Some(v)
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            let v = e.insert(V::default());
            *v.start() = ts;
            Some(v)
        }
    }
}

impl Flood {
    pub fn new(t: &Thresholds) -> Flood {
        Flood {
            window_ns: t.flood_window_s.max(1) as i64 * NS,
            packets: t.flood_packets.max(1),
            reply_pct: t.flood_reply_percent,
            udp_ports: t.udp_flood_ports as usize,
            tunnel_packets: t.tunnel_packets.max(1),
            http_requests: t.http_requests.max(1),
            reflection: t.reflection_packets.max(1),
            reflector: t.reflector_packets.max(1),
            out: HashMap::default(),
            victims: HashMap::default(),
            reflect: HashMap::default(),
            tunnels: HashMap::default(),
            senders: HashMap::default(),
            hot_out: HashMap::default(),
            hot_victims: HashMap::default(),
            swept: [i64::MIN; 5],
            dropped: 0,
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let ts = p.ts;
        let w = self.window_ns;
        let secs = w / NS;
        let src_dev = DevKey::src(d, ip.src);
        let dst_dev = DevKey::dst(d, ip.dst);

        // Tunnelled packets from a device.
        if d.tunnels > 0 && (p.ev.src_local || !p.ev.dst_local) {
            if let Some(t) = slot(
                &mut self.tunnels,
                src_dev,
                ts,
                w,
                &mut self.dropped,
                &mut self.swept[4],
            ) {
                t.count += 1;
                if !t.fired && t.count >= self.tunnel_packets {
                    t.fired = true;
                    out.push(detection(
                        Kind::FloodGre,
                        src_dev,
                        Role::Source,
                        t.start,
                        ts,
                        format!(
                            "The device sent {} tunnelled (GRE or IP-in-IP) packets within {secs} s; \
                             Mirai's greip/greeth floods look like this.",
                            t.count
                        ),
                        &[("packets", t.count as u64)],
                        vec![sample(ip.protocol, ip.src, 0, ip.dst, 0, ts)],
                    ));
                }
            }
            return;
        }

        // Classify the packet.
        let (class, sport, dport, rst) = match ip.transport {
            Transport::Tcp(t) => {
                let f = t.flags;
                let c = if f & (TcpSegment::SYN | TcpSegment::ACK) == TcpSegment::SYN {
                    Some(SYN)
                } else if is_http_request(t.payload) {
                    Some(HTTP)
                } else if f & TcpSegment::ACK != 0
                    && f & (TcpSegment::SYN | TcpSegment::FIN | TcpSegment::RST) == 0
                {
                    Some(ACK)
                } else {
                    None
                };
                (c, t.src_port, t.dst_port, f & TcpSegment::RST != 0)
            }
            Transport::Udp(u) => (Some(UDP), u.src_port, u.dst_port, false),
            Transport::Icmp { v6, icmp_type, .. }
                if (!v6 && icmp_type == 8) || (v6 && icmp_type == 128) =>
            {
                (Some(ICMP), 0, 0, false)
            }
            _ => (None, 0, 0, false),
        };
        let synack = matches!(ip.transport, Transport::Tcp(t) if t.flags & (TcpSegment::SYN | TcpSegment::ACK) == (TcpSegment::SYN | TcpSegment::ACK));
        let is_udp = matches!(ip.transport, Transport::Udp(_));
        let group = warden_addr::is_group(ip.dst);

        // Answers to a hot outbound pair (not RSTs: those say "no such connection").
        if !rst && !self.hot_out.is_empty() {
            if let Some(h) = self.hot_out.get_mut(&(dst_dev, ip.src)) {
                if ts - h.1 <= w {
                    h.0 = h.0.saturating_add(1);
                }
            }
        }

        let inbound = p.ev.dst_local && !p.ev.src_local;
        if inbound {
            // The device as a victim.
            if let Some(v) = slot(
                &mut self.victims,
                dst_dev,
                ts,
                w,
                &mut self.dropped,
                &mut self.swept[1],
            ) {
                // Sources are evidence, counted once the window gets busy;
                // from then on the device's own SYNs and requests count too.
                let busy = v
                    .counts
                    .iter()
                    .chain([&v.synacks_in, &v.amp_in])
                    .any(|&c| c >= self.reflection.min(self.packets) / 4);
                if busy {
                    if v.sources.len() < MAX_SET {
                        v.sources.insert(ip.src);
                    }
                    if self.hot_victims.len() >= MAX_HOT {
                        self.hot_victims.retain(|_, since| ts - *since <= w);
                    }
                    if self.hot_victims.len() < MAX_HOT {
                        self.hot_victims.entry(dst_dev).or_insert(v.start);
                    }
                }
                if let Some(c) = class.filter(|&c| c < 4 && c != ACK) {
                    v.counts[c] += 1;
                }
                if synack {
                    v.synacks_in += 1;
                }
                if is_udp && AMPLIFIER_PORTS.contains(&sport) {
                    v.amp_in += 1;
                }
                let mut found: Vec<(Kind, u8, String, u64)> = Vec::new();
                let reflected = (v.synacks_in >= self.reflection && v.syns_out * 10 < v.synacks_in)
                    || (v.amp_in >= self.reflection && v.amp_requests_out * 10 < v.amp_in);
                if reflected && v.fired & 1 == 0 {
                    v.fired |= 1;
                    let what = if v.synacks_in >= self.reflection {
                        format!("{} TCP SYN-ACKs", v.synacks_in)
                    } else {
                        format!("{} UDP answers from amplifier port {sport}", v.amp_in)
                    };
                    found.push((
                        Kind::FloodReflected,
                        1,
                        format!(
                            "The device received {what} within {secs} s from {}{} servers without asking: \
                             a reflection/amplification attack aimed at it.",
                            v.sources.len(),
                            if v.sources.len() >= MAX_SET { "+" } else { "" }
                        ),
                        v.synacks_in.max(v.amp_in) as u64,
                    ));
                }
                for (c, kind, name) in [
                    (SYN, Kind::FloodSyn, "TCP SYN"),
                    (UDP, Kind::FloodUdp, "UDP"),
                    (ICMP, Kind::FloodIcmp, "ICMP echo"),
                ] {
                    let bit = 2u8 << c;
                    if v.counts[c] >= self.packets && v.fired & bit == 0 && !(c == UDP && reflected)
                    {
                        v.fired |= bit;
                        found.push((
                            kind,
                            bit,
                            format!(
                                "The device received {} {name} packets within {secs} s from {}{} sources: a flood aimed at it.",
                                v.counts[c],
                                v.sources.len(),
                                if v.sources.len() >= MAX_SET { "+" } else { "" }
                            ),
                            v.counts[c] as u64,
                        ));
                    }
                }
                let start = v.start;
                for (kind, _, text, n) in found {
                    out.push(detection(
                        kind,
                        dst_dev,
                        Role::Target,
                        start,
                        ts,
                        text,
                        &[("packets", n)],
                        vec![sample(ip.protocol, ip.src, sport, ip.dst, dport, ts)],
                    ));
                }
            }
            // A request to a local amplifier service from outside.
            if is_udp && AMPLIFIER_PORTS.contains(&dport) {
                if let Some(r) = self.reflect.get_mut(&dst_dev) {
                    if ts - r.start <= w {
                        r.requests += 1;
                        r.bytes_in += p.ev.wire_len as u64;
                    }
                }
            }
            return;
        }

        // The sender as a busy victim's own traffic (SYNs and requests it did send).
        let busy = !self.hot_victims.is_empty() && self.hot_victims.contains_key(&src_dev);
        if let Some(v) = busy.then(|| self.victims.get_mut(&src_dev)).flatten() {
            if ts - v.start <= w {
                if class == Some(SYN) {
                    v.syns_out += 1;
                }
                if is_udp && AMPLIFIER_PORTS.contains(&dport) {
                    v.amp_requests_out += 1;
                }
            }
        }

        // A local amplifier answering the internet.
        if is_udp
            && p.ev.src_local
            && !p.ev.dst_local
            && !group
            && AMPLIFIER_PORTS.contains(&sport)
            && dport > 1023
        {
            if let Some(r) = slot(
                &mut self.reflect,
                src_dev,
                ts,
                w,
                &mut self.dropped,
                &mut self.swept[2],
            ) {
                if r.answers == 0 {
                    r.port = sport;
                }
                r.answers += 1;
                r.bytes_out += p.ev.wire_len as u64;
                if r.targets.len() < MAX_SET {
                    r.targets.insert(ip.dst);
                }
                if !r.fired && r.answers >= self.reflector && r.bytes_out >= 2 * r.bytes_in {
                    r.fired = true;
                    out.push(detection(
                        Kind::Reflector,
                        src_dev,
                        Role::Source,
                        r.start,
                        ts,
                        format!(
                            "The device sent {} answers ({} bytes) from UDP port {} to {} internet address(es) \
                             within {secs} s, {} times the bytes of the requests it got: it is being used to \
                             amplify an attack.",
                            r.answers,
                            r.bytes_out,
                            r.port,
                            r.targets.len(),
                            r.bytes_out / r.bytes_in.max(1)
                        ),
                        &[("answers", r.answers as u64), ("requests", r.requests as u64)],
                        vec![sample(17, ip.src, sport, ip.dst, dport, ts)],
                    ));
                }
            }
        }

        // Outbound floods from the device. First per device (a small,
        // cache-friendly table): only a device that sends a quarter of the
        // flood rate of one kind in the window is followed per destination.
        let Some(class) = class else { return };
        if group {
            return;
        }
        let Some(dv) = slot(
            &mut self.senders,
            src_dev,
            ts,
            w,
            &mut self.dropped,
            &mut self.swept[3],
        ) else {
            return;
        };
        dv.counts[class] = dv.counts[class].saturating_add(1);
        if dv.counts[class] < (self.packets.min(self.http_requests) / 4).max(1) {
            return;
        }
        let Some(o) = slot(
            &mut self.out,
            (src_dev, ip.dst),
            ts,
            w,
            &mut self.dropped,
            &mut self.swept[0],
        ) else {
            return;
        };
        o.counts[class] += 1;
        // Destination ports matter only near the threshold: tracked from a
        // quarter of it, so that ordinary pairs never allocate.
        if class == UDP && o.counts[UDP] >= self.packets / 4 {
            if o.ports.len() < MAX_SET {
                o.ports.insert(dport);
            }
            if o.sports.len() < MAX_SET {
                o.sports.insert(sport);
            }
        }
        if o.sample.is_none() {
            o.sample = Some((ip.protocol, ip.src, sport, ip.dst, dport));
        }
        let n = o.counts[class];
        let sent: u32 = o.counts.iter().sum();
        let key = (src_dev, ip.dst);
        if o.sent_at_hot.is_none() && sent >= (self.packets / 8).max(1) {
            if self.hot_out.len() >= MAX_HOT {
                self.hot_out.retain(|_, h| ts - h.1 <= w);
            }
            if self.hot_out.len() < MAX_HOT {
                o.sent_at_hot = Some(sent);
                self.hot_out.insert(key, (0, ts));
            }
        }
        let bit = 1u8 << class;
        if o.fired & bit != 0 || n < self.packets.min(self.http_requests) {
            return;
        }
        let replies = self.hot_out.get(&key).map_or(0, |h| h.0);
        let since_hot = sent - o.sent_at_hot.unwrap_or(0);
        let answered_little = (replies as u64) * 100 <= (since_hot as u64) * self.reply_pct as u64;
        let (kind, fire, name) = match class {
            SYN => (Kind::FloodSyn, n >= self.packets, "TCP SYN"),
            ACK => (
                Kind::FloodAck,
                n >= self.packets && answered_little,
                "TCP ACK",
            ),
            // Unanswered UDP at the flood rate is a flood when it goes to
            // many ports, comes from many source ports (a flood tool's new
            // port per packet), or goes to a service that always answers
            // (DNS, NTP, ...: the "requests" are junk or the target is
            // down); a steady stream from one port to one port (video,
            // RTP) only at five times the rate.
            UDP => (
                Kind::FloodUdp,
                n >= self.packets
                    && answered_little
                    && (o.ports.len() >= self.udp_ports
                        || o.sports.len() >= self.udp_ports
                        || o.sample.is_some_and(|s| AMPLIFIER_PORTS.contains(&s.4))
                        || n >= 5 * self.packets),
                "UDP",
            ),
            ICMP => (Kind::FloodIcmp, n >= self.packets, "ICMP echo"),
            _ => (Kind::FloodHttp, n >= self.http_requests, "HTTP request"),
        };
        if !fire {
            return;
        }
        o.fired |= bit;
        let (pr, s, sp, dd, dp) = o
            .sample
            .unwrap_or((ip.protocol, ip.src, sport, ip.dst, dport));
        out.push(detection(
            kind,
            src_dev,
            Role::Source,
            o.start,
            ts,
            format!(
                "The device sent {n} {name} packets to {} within {secs} s{}: it takes part in a flood.",
                ip.dst,
                if class == SYN || class == ICMP || class == HTTP {
                    String::new()
                } else {
                    format!(" and got {replies} answers back")
                }
            ),
            &[("packets", n as u64), ("answers", replies as u64), ("ports", o.ports.len() as u64)],
            vec![sample(pr, s, sp, dd, dp, o.start)],
        ));
    }
}

fn is_http_request(p: &[u8]) -> bool {
    p.len() > 8 && (p.starts_with(b"GET ") || p.starts_with(b"POST ") || p.starts_with(b"HEAD "))
}
