//! Frames written, the other way from [`decode`](crate::decode): small
//! owned `Repr` values, each with `parse` (from what the decoder read) and
//! `emit` (header bytes, lengths and checksums computed), in the manner of
//! smoltcp's `wire` representations.
//!
//! Tests, benchmarks and the traffic generator build their frames here, so
//! that the bytes they feed the decoder are written by code that is itself
//! checked against the decoder (the round-trip tests below and the
//! `wire_frame` fuzz target: decode → parse → emit → decode gives the same
//! values).
//!
//! ```
//! use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
//! use warden_wire::{decode, Link, Net, Transport};
//! let frame = EthernetRepr::new([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ip(
//!     &IpRepr::v4([10, 0, 0, 1], [10, 0, 0, 2]),
//!     &TransportRepr::udp(5353, 53),
//!     b"payload",
//! );
//! let d = decode(Link::Ethernet, &frame);
//! let Net::Ip(ip) = d.net else { panic!() };
//! assert!(matches!(ip.transport, Transport::Udp(u) if u.dst_port == 53 && u.payload == b"payload"));
//! ```
//!
//! What it does not write: IPv6 extension headers, IPv4 options, TCP
//! options, tunnels; a length that does not fit its field is cut to the
//! field's maximum (these builders serve tests and generators, which keep
//! frames small).

use crate::frame::{Arp, Fragment, IpPacket, Transport};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_LLDP: u16 = 0x88cc;

/// An Ethernet II header, with at most one 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetRepr {
    pub src: [u8; 6],
    pub dst: [u8; 6],
    pub vlan: Option<u16>,
}

impl EthernetRepr {
    pub fn new(src: [u8; 6], dst: [u8; 6]) -> EthernetRepr {
        EthernetRepr {
            src,
            dst,
            vlan: None,
        }
    }

    /// What the decoder read of a frame's link layer (None without MACs).
    pub fn parse(d: &crate::Decoded<'_>) -> Option<EthernetRepr> {
        Some(EthernetRepr {
            src: d.src_mac?,
            dst: d.dst_mac?,
            vlan: d.vlan,
        })
    }

    pub fn header_len(&self) -> usize {
        if self.vlan.is_some() {
            18
        } else {
            14
        }
    }

    /// Writes the header for a payload of `ethertype`.
    pub fn emit(&self, ethertype: u16, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dst);
        out.extend_from_slice(&self.src);
        if let Some(id) = self.vlan {
            out.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
            out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
        }
        out.extend_from_slice(&ethertype.to_be_bytes());
    }

    /// A whole frame: this header, then `payload` of `ethertype`.
    pub fn frame(&self, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header_len() + payload.len());
        self.emit(ethertype, &mut out);
        out.extend_from_slice(payload);
        out
    }

    /// A whole frame carrying an IP packet.
    pub fn ip(&self, ip: &IpRepr, transport: &TransportRepr, payload: &[u8]) -> Vec<u8> {
        let ethertype = match ip {
            IpRepr::V4 { .. } => ETHERTYPE_IPV4,
            IpRepr::V6 { .. } => ETHERTYPE_IPV6,
        };
        let mut out = Vec::with_capacity(self.header_len() + 60 + payload.len());
        self.emit(ethertype, &mut out);
        ip.emit(transport, payload, &mut out);
        out
    }

    /// A whole frame carrying an ARP message.
    pub fn arp(&self, arp: &Arp) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header_len() + 28);
        self.emit(ETHERTYPE_ARP, &mut out);
        emit_arp(arp, &mut out);
        out
    }
}

/// Writes an Ethernet/IPv4 ARP message.
pub fn emit_arp(a: &Arp, out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
    out.extend_from_slice(&a.op.to_be_bytes());
    out.extend_from_slice(&a.sender_mac);
    out.extend_from_slice(&a.sender_ip.octets());
    out.extend_from_slice(&a.target_mac);
    out.extend_from_slice(&a.target_ip.octets());
}

/// An IPv4 or IPv6 header (no options, no extension headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRepr {
    V4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        ttl: u8,
        ident: u16,
        /// Fragment offset in 8-byte units, and the more-fragments flag.
        fragment_offset: u16,
        more_fragments: bool,
    },
    V6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: u8,
    },
}

impl IpRepr {
    /// IPv4, TTL 64, not fragmented.
    pub fn v4(src: impl Into<Ipv4Addr>, dst: impl Into<Ipv4Addr>) -> IpRepr {
        IpRepr::V4 {
            src: src.into(),
            dst: dst.into(),
            ttl: 64,
            ident: 0,
            fragment_offset: 0,
            more_fragments: false,
        }
    }

    /// IPv6, hop limit 64.
    pub fn v6(src: impl Into<Ipv6Addr>, dst: impl Into<Ipv6Addr>) -> IpRepr {
        IpRepr::V6 {
            src: src.into(),
            dst: dst.into(),
            hop_limit: 64,
        }
    }

    /// What the decoder kept of an IP header. A fragment is given the
    /// offset 0 (first) or 1 (later): the decoder keeps no offset.
    pub fn parse(ip: &IpPacket<'_>) -> Option<IpRepr> {
        match (ip.src, ip.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Some(IpRepr::V4 {
                src,
                dst,
                ttl: ip.ttl,
                ident: 0,
                fragment_offset: u16::from(ip.fragment == Fragment::Later),
                more_fragments: ip.fragment == Fragment::First,
            }),
            (IpAddr::V6(src), IpAddr::V6(dst)) => Some(IpRepr::V6 {
                src,
                dst,
                hop_limit: ip.ttl,
            }),
            _ => None,
        }
    }

    pub fn src(&self) -> IpAddr {
        match self {
            IpRepr::V4 { src, .. } => IpAddr::V4(*src),
            IpRepr::V6 { src, .. } => IpAddr::V6(*src),
        }
    }

    pub fn dst(&self) -> IpAddr {
        match self {
            IpRepr::V4 { dst, .. } => IpAddr::V4(*dst),
            IpRepr::V6 { dst, .. } => IpAddr::V6(*dst),
        }
    }

    /// Writes the IP header, the transport header and the payload, with
    /// every length and checksum computed. A later IPv4 fragment carries
    /// `payload` alone (no transport header).
    pub fn emit(&self, transport: &TransportRepr, payload: &[u8], out: &mut Vec<u8>) {
        let later = matches!(self, IpRepr::V4 { fragment_offset, .. } if *fragment_offset > 0);
        let l4_len = if later {
            payload.len()
        } else {
            transport.header_len() + payload.len()
        };
        match *self {
            IpRepr::V4 {
                src,
                dst,
                ttl,
                ident,
                fragment_offset,
                more_fragments,
            } => {
                let start = out.len();
                let total = clamp16(20 + l4_len);
                let frag = (fragment_offset & 0x1fff) | if more_fragments { 0x2000 } else { 0 };
                out.extend_from_slice(&[0x45, 0]);
                out.extend_from_slice(&total.to_be_bytes());
                out.extend_from_slice(&ident.to_be_bytes());
                out.extend_from_slice(&frag.to_be_bytes());
                out.extend_from_slice(&[ttl, transport.protocol(), 0, 0]);
                out.extend_from_slice(&src.octets());
                out.extend_from_slice(&dst.octets());
                let sum = checksum(out.get(start..).unwrap_or_default(), 0);
                if let Some(c) = out.get_mut(start + 10..start + 12) {
                    c.copy_from_slice(&sum.to_be_bytes());
                }
            }
            IpRepr::V6 {
                src,
                dst,
                hop_limit,
            } => {
                out.extend_from_slice(&[0x60, 0, 0, 0]);
                out.extend_from_slice(&clamp16(l4_len).to_be_bytes());
                out.extend_from_slice(&[transport.protocol(), hop_limit]);
                out.extend_from_slice(&src.octets());
                out.extend_from_slice(&dst.octets());
            }
        }
        if later {
            out.extend_from_slice(payload);
        } else {
            transport.emit(self.src(), self.dst(), payload, out);
        }
    }

    /// A whole IP packet (for raw-IP captures).
    pub fn packet(&self, transport: &TransportRepr, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(60 + payload.len());
        self.emit(transport, payload, &mut out);
        out
    }
}

/// A transport header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportRepr {
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        /// FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 (as
        /// [`TcpSegment`](crate::TcpSegment) names them).
        flags: u8,
        window: u16,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    /// ICMP (protocol 1) or ICMPv6 (58): type, code, then the payload as
    /// the message body.
    Icmp {
        v6: bool,
        icmp_type: u8,
        code: u8,
    },
    /// Another protocol: the payload as it is.
    Other(u8),
}

impl TransportRepr {
    pub fn udp(src_port: u16, dst_port: u16) -> TransportRepr {
        TransportRepr::Udp { src_port, dst_port }
    }

    /// A TCP header with a window of 65,535.
    pub fn tcp(src_port: u16, dst_port: u16, seq: u32, ack: u32, flags: u8) -> TransportRepr {
        TransportRepr::Tcp {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window: 0xffff,
        }
    }

    /// What the decoder read of a transport header, with its payload
    /// (None when the header was missing or broken).
    pub fn parse<'a>(t: &Transport<'a>, protocol: u8) -> Option<(TransportRepr, &'a [u8])> {
        Some(match *t {
            Transport::Tcp(s) => (
                TransportRepr::Tcp {
                    src_port: s.src_port,
                    dst_port: s.dst_port,
                    seq: s.seq,
                    ack: s.ack,
                    flags: s.flags,
                    window: s.window,
                },
                s.payload,
            ),
            Transport::Udp(u) => (TransportRepr::udp(u.src_port, u.dst_port), u.payload),
            // The IP header's protocol says which ICMP it is: the decoder
            // marks any ICMP inside IPv6 as v6.
            Transport::Icmp {
                icmp_type,
                code,
                body,
                ..
            } => (
                TransportRepr::Icmp {
                    v6: protocol == 58,
                    icmp_type,
                    code,
                },
                body,
            ),
            Transport::Other(p) => (TransportRepr::Other(protocol), p),
            Transport::None => return None,
        })
    }

    pub fn protocol(&self) -> u8 {
        match self {
            TransportRepr::Tcp { .. } => 6,
            TransportRepr::Udp { .. } => 17,
            TransportRepr::Icmp { v6: false, .. } => 1,
            TransportRepr::Icmp { v6: true, .. } => 58,
            TransportRepr::Other(p) => *p,
        }
    }

    pub fn header_len(&self) -> usize {
        match self {
            TransportRepr::Tcp { .. } => 20,
            TransportRepr::Udp { .. } => 8,
            TransportRepr::Icmp { .. } => 4,
            TransportRepr::Other(_) => 0,
        }
    }

    /// Writes the header and the payload, the checksum over the pseudo
    /// header of `src` and `dst`.
    pub fn emit(&self, src: IpAddr, dst: IpAddr, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let len = self.header_len() + payload.len();
        let at = match *self {
            TransportRepr::Tcp {
                src_port,
                dst_port,
                seq,
                ack,
                flags,
                window,
            } => {
                out.extend_from_slice(&src_port.to_be_bytes());
                out.extend_from_slice(&dst_port.to_be_bytes());
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&ack.to_be_bytes());
                out.extend_from_slice(&[0x50, flags]);
                out.extend_from_slice(&window.to_be_bytes());
                out.extend_from_slice(&[0, 0, 0, 0]);
                Some(16)
            }
            TransportRepr::Udp { src_port, dst_port } => {
                out.extend_from_slice(&src_port.to_be_bytes());
                out.extend_from_slice(&dst_port.to_be_bytes());
                out.extend_from_slice(&clamp16(len).to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                Some(6)
            }
            TransportRepr::Icmp {
                icmp_type, code, ..
            } => {
                out.extend_from_slice(&[icmp_type, code, 0, 0]);
                Some(2)
            }
            TransportRepr::Other(_) => None,
        };
        out.extend_from_slice(payload);
        let Some(at) = at else { return };
        // ICMPv4 has no pseudo header; the others do.
        let pseudo = match self {
            TransportRepr::Icmp { v6: false, .. } => 0,
            _ => pseudo_sum(src, dst, self.protocol(), len),
        };
        let mut sum = checksum(out.get(start..).unwrap_or_default(), pseudo);
        if sum == 0 && matches!(self, TransportRepr::Udp { .. }) {
            // In UDP, zero means "no checksum"; a computed zero is sent as ones.
            sum = 0xffff;
        }
        if let Some(c) = out.get_mut(start + at..start + at + 2) {
            c.copy_from_slice(&sum.to_be_bytes());
        }
    }
}

fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The one's-complement sum of the pseudo header (RFC 768, RFC 8200 §8.1).
fn pseudo_sum(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> u32 {
    let mut sum = 0u32;
    let mut add = |b: &[u8]| {
        for pair in b.chunks(2) {
            let hi = u32::from(pair.first().copied().unwrap_or(0));
            let lo = u32::from(pair.get(1).copied().unwrap_or(0));
            sum = sum.wrapping_add(hi << 8 | lo);
        }
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
                IpAddr::V6(a) => a.octets(),
            };
            add(&v6(s));
            add(&v6(d));
        }
    }
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    sum.wrapping_add(u32::from(protocol))
        .wrapping_add(len >> 16)
        .wrapping_add(len & 0xffff)
}

/// The Internet checksum (RFC 1071) of `data`, starting from `initial`.
pub fn checksum(data: &[u8], initial: u32) -> u16 {
    let mut sum = u64::from(initial);
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, Link, Net};

    const A: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const B: [u8; 6] = [2, 0, 0, 0, 0, 2];

    fn round_trip(eth: EthernetRepr, ip: IpRepr, t: TransportRepr, payload: &[u8]) {
        let frame = eth.ip(&ip, &t, payload);
        let d = decode(Link::Ethernet, &frame);
        assert_eq!(d.anomaly, None, "{frame:02x?}");
        assert_eq!(EthernetRepr::parse(&d), Some(eth));
        let Net::Ip(got) = d.net else {
            panic!("not IP: {:?}", d.net)
        };
        assert_eq!(
            IpRepr::parse(&got).map(|r| (r.src(), r.dst())),
            Some((ip.src(), ip.dst()))
        );
        let (t2, p2) = TransportRepr::parse(&got.transport, got.protocol).unwrap();
        assert_eq!(t2, t);
        assert_eq!(p2, payload);
        // The same frame again from what was parsed.
        assert_eq!(eth.ip(&IpRepr::parse(&got).unwrap(), &t2, p2), frame);
    }

    #[test]
    fn emitted_frames_decode_to_what_was_written() {
        let v4 = IpRepr::v4([192, 168, 1, 2], [93, 184, 216, 34]);
        let v6 = IpRepr::v6(
            "fe80::1".parse::<Ipv6Addr>().unwrap(),
            "2001:db8::2".parse::<Ipv6Addr>().unwrap(),
        );
        let mut tagged = EthernetRepr::new(A, B);
        tagged.vlan = Some(42);
        for eth in [EthernetRepr::new(A, B), tagged] {
            for ip in [v4, v6] {
                round_trip(eth, ip, TransportRepr::udp(5353, 53), b"question");
                round_trip(
                    eth,
                    ip,
                    TransportRepr::tcp(40000, 443, 7, 9, 0x18),
                    b"hello",
                );
                round_trip(eth, ip, TransportRepr::tcp(1, 2, 0, 0, 0x02), b"");
            }
        }
        round_trip(
            EthernetRepr::new(A, B),
            v4,
            TransportRepr::Icmp {
                v6: false,
                icmp_type: 8,
                code: 0,
            },
            b"ping",
        );
    }

    #[test]
    fn checksums_verify_to_zero() {
        // A receiver sums the header with its checksum and gets zero.
        let ip = IpRepr::v4([10, 0, 0, 1], [10, 0, 0, 2]);
        let pkt = ip.packet(&TransportRepr::udp(1000, 53), b"abc");
        assert_eq!(checksum(&pkt[..20], 0), 0, "IPv4 header");
        let udp = &pkt[20..];
        let pseudo = pseudo_sum(ip.src(), ip.dst(), 17, udp.len());
        assert_eq!(checksum(udp, pseudo), 0, "UDP over the pseudo header");
        let v6 = IpRepr::v6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST);
        let pkt = v6.packet(&TransportRepr::tcp(1, 2, 3, 4, 0x02), b"x");
        let tcp = &pkt[40..];
        let pseudo = pseudo_sum(v6.src(), v6.dst(), 6, tcp.len());
        assert_eq!(checksum(tcp, pseudo), 0, "TCP over the IPv6 pseudo header");
    }

    #[test]
    fn fragments_and_arp_decode_as_written() {
        let first = IpRepr::V4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            ttl: 64,
            ident: 7,
            fragment_offset: 0,
            more_fragments: true,
        };
        let later = IpRepr::V4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            ttl: 64,
            ident: 7,
            fragment_offset: 185,
            more_fragments: false,
        };
        let t = TransportRepr::udp(1, 2);
        for (ip, want) in [(first, Fragment::First), (later, Fragment::Later)] {
            let frame = EthernetRepr::new(A, B).ip(&ip, &t, b"data");
            let d = decode(Link::Ethernet, &frame);
            let Net::Ip(got) = d.net else { panic!() };
            assert_eq!(got.fragment, want);
        }
        let arp = Arp {
            op: 2,
            sender_mac: A,
            sender_ip: Ipv4Addr::new(10, 0, 0, 1),
            target_mac: B,
            target_ip: Ipv4Addr::new(10, 0, 0, 2),
        };
        let frame = EthernetRepr::new(A, B).arp(&arp);
        let d = decode(Link::Ethernet, &frame);
        assert_eq!(d.net, Net::Arp(arp));
    }

    #[test]
    fn raw_ip_packets_decode_without_a_link_layer() {
        let ip = IpRepr::v4([10, 0, 0, 1], [10, 0, 0, 2]);
        let packet = ip.packet(&TransportRepr::udp(123, 123), &[0x1b; 48]);
        let d = decode(Link::Raw, &packet);
        let Net::Ip(got) = d.net else { panic!() };
        assert!(matches!(got.transport, Transport::Udp(u) if u.src_port == 123));
    }
}
