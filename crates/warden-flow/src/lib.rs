//! # warden-flow: packets → conversations
//!
//! A bounded table of bidirectional transport flows keyed by the 5-tuple.
//! Each flow keeps its initiator (the source of its first packet), packets
//! and bytes in each direction (bytes are frame lengths on the wire, as
//! tshark counts them), first and last seen, and a small TCP state.
//!
//! A TCP SYN (without ACK) whose sequence number differs from the one that
//! opened the flow in that direction starts a new flow on the same 5-tuple
//! (port reuse), which is also how Wireshark splits TCP streams. Flows end
//! by idle or active timeout ([`FlowTable::expire`]) or by eviction when the
//! table is full; both are counted.
//!
//! ```
//! use warden_flow::{FlowTable, Limits};
//! use warden_wire::{decode, Link};
//! let mut t = FlowTable::new(Limits::default());
//! use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
//! let f = EthernetRepr::new([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ip(
//!     &IpRepr::v4([10, 0, 0, 1], [10, 0, 0, 2]),
//!     &TransportRepr::udp(5353, 53),
//!     &[],
//! );
//! t.observe(0, &decode(Link::Ethernet, &f), f.len() as u32);
//! assert_eq!(t.active().count(), 1);
//! ```
//!
//! Not handled yet: devices, DNS names per flow, ICMP and other protocols
//! as flows.
#![forbid(unsafe_code)]

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;
use warden_wire::{Decoded, Fragment, Net, TcpSegment, Transport};

/// One side of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.ip, self.port)
    }
}

/// The 5-tuple, with the endpoints in a canonical order (lower first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub protocol: u8,
    pub lo: Endpoint,
    pub hi: Endpoint,
}

impl FlowKey {
    /// The flow a decoded frame belongs to: TCP and UDP over IP, first
    /// fragments included; None for everything else (ARP, ICMP, later
    /// fragments, what did not decode).
    pub fn of(d: &Decoded<'_>) -> Option<FlowKey> {
        FlowKey::with_source(d).map(|(k, ..)| k)
    }

    /// The key, the frame's source endpoint, and its TCP segment.
    fn with_source<'a>(d: &Decoded<'a>) -> Option<(FlowKey, Endpoint, Option<TcpSegment<'a>>)> {
        let Net::Ip(ip) = d.net else { return None };
        if ip.fragment == Fragment::Later {
            return None;
        }
        let (sport, dport, tcp) = match ip.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, Some(t)),
            Transport::Udp(u) => (u.src_port, u.dst_port, None),
            _ => return None,
        };
        let src = Endpoint {
            ip: ip.src,
            port: sport,
        };
        let dst = Endpoint {
            ip: ip.dst,
            port: dport,
        };
        let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
        Some((
            FlowKey {
                protocol: ip.protocol,
                lo,
                hi,
            },
            src,
            tcp,
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// Not TCP.
    None,
    /// First packet was not a SYN: the capture began mid-connection.
    Midstream,
    SynSent,
    Established,
    Closing,
    Closed,
    Reset,
}

/// A bidirectional flow as reported. Direction 0 is initiator → responder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub key: FlowKey,
    pub initiator: Endpoint,
    pub responder: Endpoint,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub first_ns: i64,
    pub last_ns: i64,
    pub tcp: TcpState,
    /// The source MAC of the first frame in each direction (the last hop).
    pub macs: [Option<[u8; 6]>; 2],
    /// TCP: the capture joined the connection after its SYN, so the
    /// initiator is only the sender of the first packet seen.
    pub midstream: bool,
}

/// What the table holds per flow, beside its key: kept small because a
/// gateway may hold a million of them (see [`FlowTable::entry_bytes`]).
#[derive(Debug, Clone)]
struct State {
    packets: [u32; 2],
    bytes: [u64; 2],
    first_ns: i64,
    last_ns: i64,
    /// The sequence number of the first packet in each direction (TCP).
    base_seq: [u32; 2],
    macs: [[u8; 6]; 2],
    tcp: TcpState,
    /// Bits: 0 initiator is `key.lo`; 1/2 base_seq set per direction;
    /// 3/4 FIN seen per direction; 5/6 MAC set per direction; 7 began
    /// midstream.
    bits: u8,
}

const INIT_LO: u8 = 1;
/// A TCP flow whose first packet was not a SYN (kept when the state moves on).
const MIDSTREAM: u8 = 128;
const fn seq_bit(dir: usize) -> u8 {
    2 << dir
}
/// How long a closed TCP connection stays in the table when time is kept
/// by the clock ([`FlowTable::expire`]): its last ACK and retransmissions.
const CLOSED_LINGER_NS: i64 = 2_000_000_000;

const fn fin_bit(dir: usize) -> u8 {
    8 << dir
}
const fn mac_bit(dir: usize) -> u8 {
    32 << dir
}

impl State {
    /// How long this flow may stay quiet before it ends.
    fn idle_limit(&self, l: &Limits) -> i64 {
        if self.packets[1] == 0 {
            l.idle_ns.min(l.unanswered_idle_ns)
        } else {
            l.idle_ns
        }
    }

    /// 0 when `src` is the initiator.
    fn dir(&self, key: &FlowKey, src: &Endpoint) -> usize {
        let src_is_lo = *src == key.lo;
        usize::from(src_is_lo != (self.bits & INIT_LO != 0))
    }
    fn report(&self, key: FlowKey) -> Flow {
        let (initiator, responder) = if self.bits & INIT_LO != 0 {
            (key.lo, key.hi)
        } else {
            (key.hi, key.lo)
        };
        let mac = |d: usize| (self.bits & mac_bit(d) != 0).then_some(self.macs[d]);
        Flow {
            key,
            initiator,
            responder,
            packets: [self.packets[0] as u64, self.packets[1] as u64],
            bytes: self.bytes,
            first_ns: self.first_ns,
            last_ns: self.last_ns,
            tcp: self.tcp,
            macs: [mac(0), mac(1)],
            midstream: self.bits & MIDSTREAM != 0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most flows held at once; the least recently seen is evicted beyond it.
    pub max_flows: usize,
    /// A flow idle this long ends.
    pub idle_ns: i64,
    /// A flow active this long ends (and a new one starts).
    pub active_ns: i64,
    /// A flow its responder never answered ends after this much quiet (a
    /// live gateway wants a dropped attempt reported in seconds; captures
    /// keep the idle timeout).
    pub unanswered_idle_ns: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 1 << 20,
            idle_ns: 300 * 1_000_000_000,
            active_ns: 3600 * 1_000_000_000,
            unanswered_idle_ns: 300 * 1_000_000_000,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub packets: u64,
    /// Packets with no flow (ARP, LLDP, ICMP, later fragments, undecodable).
    pub not_flow: u64,
    pub flows_started: u64,
    pub evicted: u64,
    pub expired: u64,
}

/// The flow table. Keys are hashed with a per-process random seed (aHash),
/// so that traffic cannot be crafted to collide in the table.
pub struct FlowTable {
    limits: Limits,
    active: HashMap<FlowKey, State, ahash::RandomState>,
    finished: Vec<Flow>,
    pub counters: Counters,
}

impl FlowTable {
    pub fn new(limits: Limits) -> FlowTable {
        FlowTable {
            limits,
            active: HashMap::default(),
            finished: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// The limits the table was made with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Flows ended so far (by timeout, eviction or port reuse) are handed
    /// over and forgotten, so that a long capture or a gateway does not keep
    /// them all in memory.
    pub fn drain_finished(&mut self) -> Vec<Flow> {
        std::mem::take(&mut self.finished)
    }

    /// Bytes one table entry takes: key and state (the hash map adds about
    /// one control byte per bucket and keeps up to 1/8 of buckets free).
    pub const fn entry_bytes() -> usize {
        std::mem::size_of::<(FlowKey, State)>()
    }

    /// Accounts one decoded frame of `wire_len` bytes seen at `ts_ns`.
    pub fn observe(&mut self, ts_ns: i64, d: &Decoded<'_>, wire_len: u32) {
        self.counters.packets += 1;
        let Some((key, src, tcp)) = FlowKey::with_source(d) else {
            self.counters.not_flow += 1;
            return;
        };
        let limits = self.limits;
        // Only a full table pays for the extra lookup.
        if self.active.len() >= limits.max_flows && !self.active.contains_key(&key) {
            self.evict_oldest();
        }
        let fresh = |counters: &mut Counters| {
            counters.flows_started += 1;
            State {
                packets: [0; 2],
                bytes: [0; 2],
                first_ns: ts_ns,
                last_ns: ts_ns,
                base_seq: [0; 2],
                macs: [[0; 6]; 2],
                tcp: match tcp {
                    None => TcpState::None,
                    Some(t) if is_new_syn(&t) => TcpState::SynSent,
                    Some(_) => TcpState::Midstream,
                },
                bits: (if src == key.lo { INIT_LO } else { 0 })
                    | if tcp.is_some_and(|t| !is_new_syn(&t)) {
                        MIDSTREAM
                    } else {
                        0
                    },
            }
        };
        let f = match self.active.entry(key) {
            Entry::Occupied(o) => {
                let f = o.into_mut();
                // A flow ends when it has been idle or active too long, or
                // when a fresh SYN reuses its ports.
                let dir = f.dir(&key, &src);
                let ends = ts_ns - f.last_ns > f.idle_limit(&limits)
                    || ts_ns - f.first_ns > limits.active_ns
                    || tcp.is_some_and(|t| {
                        is_new_syn(&t) && f.bits & seq_bit(dir) != 0 && f.base_seq[dir] != t.seq
                    });
                if ends {
                    let old = std::mem::replace(f, fresh(&mut self.counters));
                    self.counters.expired += 1;
                    self.finished.push(old.report(key));
                }
                f
            }
            Entry::Vacant(v) => v.insert(fresh(&mut self.counters)),
        };
        let dir = f.dir(&key, &src);
        if f.bits & mac_bit(dir) == 0 {
            if let Some(m) = d.src_mac {
                f.macs[dir] = m;
                f.bits |= mac_bit(dir);
            }
        }
        f.packets[dir] = f.packets[dir].saturating_add(1);
        f.bytes[dir] += wire_len as u64;
        f.last_ns = f.last_ns.max(ts_ns);
        if let Some(t) = tcp {
            if f.bits & seq_bit(dir) == 0 {
                f.base_seq[dir] = t.seq;
                f.bits |= seq_bit(dir);
            }
            if t.flags & TcpSegment::RST != 0 {
                f.tcp = TcpState::Reset;
            } else if t.flags & TcpSegment::FIN != 0 {
                f.bits |= fin_bit(dir);
                f.tcp = if f.bits & fin_bit(0) != 0 && f.bits & fin_bit(1) != 0 {
                    TcpState::Closed
                } else {
                    TcpState::Closing
                };
            } else if f.tcp == TcpState::SynSent
                && dir == 1
                && t.flags & (TcpSegment::SYN | TcpSegment::ACK)
                    == (TcpSegment::SYN | TcpSegment::ACK)
            {
                f.tcp = TcpState::Established;
            }
        }
    }

    /// Makes room when the table is full by ending the least recently seen
    /// eighth of it in one pass. Evicting one flow at a time would cost a
    /// scan of the whole table per new flow: a scan or flood would turn
    /// every packet into a million steps.
    fn evict_oldest(&mut self) {
        let n = self.active.len();
        if n == 0 {
            return;
        }
        let batch = (n / 8).max(1);
        let mut ages: Vec<(i64, FlowKey)> =
            self.active.iter().map(|(k, f)| (f.last_ns, *k)).collect();
        ages.select_nth_unstable_by_key(batch - 1, |(t, _)| *t);
        for (_, k) in ages.get(..batch).unwrap_or_default() {
            if let Some(f) = self.active.remove(k) {
                self.counters.evicted += 1;
                self.finished.push(f.report(*k));
            }
        }
    }

    /// Ends flows idle or active too long at `now_ns`, and closed TCP
    /// connections quiet for two seconds.
    pub fn expire(&mut self, now_ns: i64) {
        let l = self.limits;
        let done: Vec<FlowKey> = self
            .active
            .iter()
            .filter(|(_, f)| {
                let idle = now_ns.saturating_sub(f.last_ns);
                idle > f.idle_limit(&l)
                    || now_ns.saturating_sub(f.first_ns) > l.active_ns
                    // A TCP connection that closed (FIN both ways, or RST)
                    // and stayed quiet: over, without waiting the idle timeout.
                    || (matches!(f.tcp, TcpState::Closed | TcpState::Reset) && idle > CLOSED_LINGER_NS)
            })
            .map(|(k, _)| *k)
            .collect();
        for k in done {
            if let Some(f) = self.active.remove(&k) {
                self.counters.expired += 1;
                self.finished.push(f.report(k));
            }
        }
    }

    /// The flows still in the table.
    pub fn active(&self) -> impl Iterator<Item = Flow> + '_ {
        self.active.iter().map(|(k, f)| f.report(*k))
    }

    /// All flows, ended and active, in the order they started.
    pub fn into_flows(mut self) -> Vec<Flow> {
        self.finished
            .extend(self.active.iter().map(|(k, f)| f.report(*k)));
        self.finished.sort_by_key(|f| (f.first_ns, f.key));
        self.finished
    }
}

fn is_new_syn(t: &TcpSegment<'_>) -> bool {
    t.flags & (TcpSegment::SYN | TcpSegment::ACK) == TcpSegment::SYN
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
    use warden_wire::{decode, Link};

    fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
        EthernetRepr::new([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ip(
            &IpRepr::v4(src, dst),
            &TransportRepr::udp(sport, dport),
            &[],
        )
    }

    /// A query from `src`:`sport` to 10.0.0.1:53.
    fn udp_frame(src: [u8; 4], sport: u16) -> Vec<u8> {
        udp(src, sport, [10, 0, 0, 1], 53)
    }

    /// The answer to [`udp_frame`]: from 10.0.0.1:53 back to `dst`:`dport`.
    fn udp_reply(dst: [u8; 4], dport: u16) -> Vec<u8> {
        udp([10, 0, 0, 1], 53, dst, dport)
    }

    #[test]
    fn a_full_table_evicts_the_oldest_in_batches_and_counts_them() {
        let mut t = FlowTable::new(Limits {
            max_flows: 1000,
            ..Limits::default()
        });
        for i in 0..50_000u32 {
            let f = udp_frame([192, 0, (i >> 8) as u8, i as u8], (i % 60000) as u16 + 1);
            t.observe(i as i64, &decode(Link::Ethernet, &f), f.len() as u32);
        }
        assert!(t.active().count() <= 1000);
        assert!(t.counters.evicted >= 49_000, "{:?}", t.counters);
        // The newest flow survived; the oldest did not.
        let newest = t.active().max_by_key(|f| f.last_ns).unwrap();
        assert_eq!(newest.last_ns, 49_999);
        assert!(t.active().all(|f| f.last_ns > 40_000));
        assert_eq!(
            t.into_flows().len(),
            50_000,
            "evicted flows are still reported"
        );
    }

    #[test]
    fn idle_flows_end_and_a_new_flow_starts() {
        let mut t = FlowTable::new(Limits {
            idle_ns: 10,
            ..Limits::default()
        });
        let f = udp_frame([192, 0, 2, 1], 1000);
        let d = decode(Link::Ethernet, &f);
        t.observe(0, &d, 42);
        t.observe(5, &d, 42);
        t.observe(100, &d, 42);
        let flows = t.into_flows();
        assert_eq!(flows.len(), 2);
        assert_eq!(flows[0].packets, [2, 0]);
        assert_eq!(flows[0].bytes, [84, 0]);
    }

    #[test]
    fn an_unanswered_flow_ends_sooner_when_asked_and_an_answered_one_does_not() {
        let limits = Limits {
            idle_ns: 1000,
            unanswered_idle_ns: 10,
            ..Limits::default()
        };
        let mut t = FlowTable::new(limits);
        let out = udp_frame([192, 0, 2, 1], 1000);
        t.observe(0, &decode(Link::Ethernet, &out), 42);
        t.expire(5);
        assert_eq!(t.drain_finished().len(), 0);
        t.expire(20);
        let ended = t.drain_finished();
        assert_eq!((ended.len(), ended[0].packets), (1, [1, 0]));
        // Answered: only the idle timeout ends it.
        let mut t = FlowTable::new(limits);
        t.observe(0, &decode(Link::Ethernet, &out), 42);
        t.observe(
            1,
            &decode(Link::Ethernet, &udp_reply([192, 0, 2, 1], 1000)),
            42,
        );
        t.expire(500);
        assert_eq!(t.drain_finished().len(), 0);
        t.expire(2000);
        assert_eq!(t.drain_finished().len(), 1);
    }
}
