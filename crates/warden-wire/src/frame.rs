//! From a captured frame to addresses, protocol and ports.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The link-layer header type a frame starts with, by its LINKTYPE_* number
/// as pcap and pcapng files and libpcap carry it: the one model the capture
/// readers, the writer and the decoder share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    Ethernet,
    /// BSD loopback (LINKTYPE_NULL 0, LINKTYPE_LOOP 108): a 4-byte address
    /// family in the capturing host's order.
    Null,
    /// Raw IP, version from the first nibble (LINKTYPE_RAW 101, and DLT_RAW
    /// 12/14 as some files write it).
    Raw,
    Ipv4,
    Ipv6,
    LinuxSll,
    LinuxSll2,
    Ieee80211,
    Ieee80211Radiotap,
    /// A link type warden does not decode (kept, so that a writer can say
    /// it again).
    Other(u32),
}

impl Link {
    /// From a LINKTYPE_* number.
    pub fn from_u32(v: u32) -> Link {
        match v {
            0 | 108 => Link::Null,
            1 => Link::Ethernet,
            12 | 14 | 101 => Link::Raw,
            228 => Link::Ipv4,
            229 => Link::Ipv6,
            113 => Link::LinuxSll,
            276 => Link::LinuxSll2,
            105 => Link::Ieee80211,
            127 => Link::Ieee80211Radiotap,
            other => Link::Other(other),
        }
    }
    /// The LINKTYPE_* number a file is written with.
    pub fn to_u32(self) -> u32 {
        match self {
            Link::Null => 0,
            Link::Ethernet => 1,
            Link::Raw => 101,
            Link::Ipv4 => 228,
            Link::Ipv6 => 229,
            Link::LinuxSll => 113,
            Link::LinuxSll2 => 276,
            Link::Ieee80211 => 105,
            Link::Ieee80211Radiotap => 127,
            Link::Other(v) => v,
        }
    }
}

/// What could not be decoded, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anomaly {
    /// The frame ends inside this header.
    Truncated(&'static str),
    /// This header contradicts itself (a length shorter than its minimum, a
    /// wrong version).
    Malformed(&'static str),
    /// The frame's link type is not one warden decodes.
    UnsupportedLink,
    /// Encrypted 802.11 payload.
    Encrypted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    /// Not a fragment.
    Whole,
    /// The first fragment: carries the transport header.
    First,
    /// A later fragment: no transport header.
    Later,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
    pub flags: u8,
    pub window: u16,
    pub payload: &'a [u8],
}

impl TcpSegment<'_> {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
    Icmp {
        v6: bool,
        icmp_type: u8,
        code: u8,
        body: &'a [u8],
    },
    /// Another protocol, or a later fragment: the payload as it is.
    Other(&'a [u8]),
    /// The transport header is missing or broken (see the anomaly).
    None,
}

impl Transport<'_> {
    /// The target address of an ICMPv6 neighbour solicitation (135) or
    /// advertisement (136), RFC 4861 4.3/4.4: after type, code and checksum
    /// come 4 bytes of flags or reserved, then the address.
    pub fn nd_target(&self) -> Option<(u8, std::net::Ipv6Addr)> {
        match self {
            Transport::Icmp {
                v6: true,
                icmp_type: t @ (135 | 136),
                body,
                ..
            } => {
                let a: [u8; 16] = body.get(4..20)?.try_into().ok()?;
                Some((*t, std::net::Ipv6Addr::from(a)))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The transport protocol (after IPv6 extension headers).
    pub protocol: u8,
    pub ttl: u8,
    pub fragment: Fragment,
    pub transport: Transport<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: Ipv4Addr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net<'a> {
    Ip(IpPacket<'a>),
    Arp(Arp),
    /// LLDP data units (ethertype 0x88cc), for `crate::lldp`.
    Lldp(&'a [u8]),
    /// Another ethertype, with its payload.
    Other(u16, &'a [u8]),
    /// Nothing decodable (see the anomaly).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Outermost 802.1Q VLAN id.
    pub vlan: Option<u16>,
    pub net: Net<'a>,
    pub anomaly: Option<Anomaly>,
    /// How many tunnels (GRE, IP-in-IP, IPv6-in-IPv4) were opened to reach
    /// `net`; the outer headers are not kept.
    pub tunnels: u8,
}

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_IPV6: u16 = 0x86dd;
const ETH_LLDP: u16 = 0x88cc;
const MAX_VLAN_TAGS: usize = 4;
const MAX_IPV6_EXT: usize = 8;

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn be32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
        *b.get(i + 2)?,
        *b.get(i + 3)?,
    ]))
}

fn mac(b: &[u8], i: usize) -> Option<[u8; 6]> {
    b.get(i..i + 6)?.try_into().ok()
}

/// Decodes one frame. Never panics; whatever is missing is an anomaly.
pub fn decode(link: Link, data: &[u8]) -> Decoded<'_> {
    let mut d = Decoded {
        src_mac: None,
        dst_mac: None,
        vlan: None,
        net: Net::None,
        anomaly: None,
        tunnels: 0,
    };
    let (ethertype, payload) = match link {
        Link::Ethernet => match ethernet(data, &mut d) {
            Some(x) => x,
            None => return d,
        },
        Link::LinuxSll => {
            let (Some(halen), Some(proto)) = (be16(data, 4), be16(data, 14)) else {
                d.anomaly = Some(Anomaly::Truncated("linux-sll"));
                return d;
            };
            if halen == 6 {
                d.src_mac = mac(data, 6);
            }
            (proto, data.get(16..).unwrap_or_default())
        }
        Link::LinuxSll2 => {
            let (Some(proto), Some(&halen)) = (be16(data, 0), data.get(11)) else {
                d.anomaly = Some(Anomaly::Truncated("linux-sll2"));
                return d;
            };
            if data.len() < 20 {
                d.anomaly = Some(Anomaly::Truncated("linux-sll2"));
                return d;
            }
            if halen == 6 {
                d.src_mac = mac(data, 12);
            }
            (proto, data.get(20..).unwrap_or_default())
        }
        Link::Null => {
            let Some(fam) = data.get(0..4) else {
                d.anomaly = Some(Anomaly::Truncated("loopback"));
                return d;
            };
            let le = u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let be = u32::from_be_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let t = match (le, be) {
                (2, _) | (_, 2) => ETH_IPV4,
                (24 | 28 | 30, _) | (_, 24 | 28 | 30) => ETH_IPV6,
                _ => 0,
            };
            (t, data.get(4..).unwrap_or_default())
        }
        Link::Raw => match data.first().map(|b| b >> 4) {
            Some(4) => (ETH_IPV4, data),
            Some(6) => (ETH_IPV6, data),
            _ => {
                d.anomaly = Some(Anomaly::Malformed("raw-ip"));
                return d;
            }
        },
        Link::Ipv4 => (ETH_IPV4, data),
        Link::Ipv6 => (ETH_IPV6, data),
        Link::Ieee80211Radiotap => {
            let Some(len) = data
                .get(2..4)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            else {
                d.anomaly = Some(Anomaly::Truncated("radiotap"));
                return d;
            };
            let fcs = radiotap_has_fcs(data);
            let Some(mut inner) = data.get(len..) else {
                d.anomaly = Some(Anomaly::Truncated("radiotap"));
                return d;
            };
            if fcs {
                inner = inner
                    .get(..inner.len().saturating_sub(4))
                    .unwrap_or_default();
            }
            match ieee80211(inner, &mut d) {
                Some(x) => x,
                None => return d,
            }
        }
        Link::Ieee80211 => match ieee80211(data, &mut d) {
            Some(x) => x,
            None => return d,
        },
        Link::Other(_) => {
            d.anomaly = Some(Anomaly::UnsupportedLink);
            return d;
        }
    };
    let (ethertype, payload) = carrier(ethertype, payload);
    d.net = match ethertype {
        ETH_IPV4 | ETH_IPV6 => ip_layer(ethertype, payload, &mut d, 0),
        ETH_ARP => arp(payload, &mut d.anomaly),
        ETH_LLDP => Net::Lldp(payload),
        t => Net::Other(t, payload),
    };
    d
}

/// MPLS label stacks and PPPoE sessions carry IP on some access links:
/// unwrap them to the IP version inside.
fn carrier(ethertype: u16, payload: &[u8]) -> (u16, &[u8]) {
    match ethertype {
        0x8847 | 0x8848 => {
            let mut off = 0;
            for _ in 0..8 {
                let Some(&s) = payload.get(off + 2) else {
                    return (ethertype, payload);
                };
                off += 4;
                if s & 1 == 1 {
                    return match payload.get(off).map(|b| b >> 4) {
                        Some(4) => (ETH_IPV4, payload.get(off..).unwrap_or_default()),
                        Some(6) => (ETH_IPV6, payload.get(off..).unwrap_or_default()),
                        _ => (ethertype, payload),
                    };
                }
            }
            (ethertype, payload)
        }
        // PPPoE session: 6-byte header, then the PPP protocol.
        0x8864 => match be16(payload, 6) {
            Some(0x0021) => (ETH_IPV4, payload.get(8..).unwrap_or_default()),
            Some(0x0057) => (ETH_IPV6, payload.get(8..).unwrap_or_default()),
            _ => (ethertype, payload),
        },
        _ => (ethertype, payload),
    }
}

/// Tunnels opened at most (a GRE inside a GRE inside ...).
const MAX_TUNNELS: u8 = 4;

/// IPv4 or IPv6, then into GRE, IP-in-IP and IPv6-in-IP tunnels: the
/// conversations that matter are the inner ones (tshark counts them too).
fn ip_layer<'a>(ethertype: u16, b: &'a [u8], d: &mut Decoded<'a>, depth: u8) -> Net<'a> {
    let outer = if ethertype == ETH_IPV4 {
        ipv4(b, &mut d.anomaly)
    } else {
        ipv6(b, &mut d.anomaly)
    };
    let Net::Ip(ip) = outer else { return outer };
    let Transport::Other(payload) = ip.transport else {
        return outer;
    };
    if ip.fragment != Fragment::Whole || depth >= MAX_TUNNELS {
        return outer;
    }
    let inner = match ip.protocol {
        4 => Some((ETH_IPV4, payload)),
        41 => Some((ETH_IPV6, payload)),
        47 => gre(payload, d),
        _ => None,
    };
    match inner {
        Some((t @ (ETH_IPV4 | ETH_IPV6), inner)) => {
            let mut probe = None;
            let n = if t == ETH_IPV4 {
                ipv4(inner, &mut probe)
            } else {
                ipv6(inner, &mut probe)
            };
            if matches!(n, Net::Ip(_)) {
                d.tunnels += 1;
                ip_layer(t, inner, d, depth + 1)
            } else {
                outer
            }
        }
        _ => outer,
    }
}

/// GRE (RFC 2784/2890): the inner ethertype and payload; transparent
/// Ethernet bridging (0x6558) is unwrapped to its ethertype.
fn gre<'a>(b: &'a [u8], d: &mut Decoded<'a>) -> Option<(u16, &'a [u8])> {
    let flags = be16(b, 0)?;
    let proto = be16(b, 2)?;
    if flags & 0x7 != 0 || flags & 0x4000 != 0 {
        // Version 1 (PPTP) and source routing are not unwrapped.
        return None;
    }
    let mut off = 4;
    for bit in [0x8000u16, 0x2000, 0x1000] {
        if flags & bit != 0 {
            off += 4;
        }
    }
    let inner = b.get(off..)?;
    if proto == 0x6558 {
        let mut eth = Decoded {
            src_mac: None,
            dst_mac: None,
            vlan: None,
            net: Net::None,
            anomaly: None,
            tunnels: 0,
        };
        let (t, p) = ethernet(inner, &mut eth)?;
        d.src_mac = eth.src_mac.or(d.src_mac);
        return Some((t, p));
    }
    Some((proto, inner))
}

/// Ethernet II, 802.1Q/802.1ad tags, and 802.3 + LLC/SNAP.
fn ethernet<'a>(data: &'a [u8], d: &mut Decoded<'a>) -> Option<(u16, &'a [u8])> {
    let (Some(dst), Some(src), Some(mut t)) = (mac(data, 0), mac(data, 6), be16(data, 12)) else {
        d.anomaly = Some(Anomaly::Truncated("ethernet"));
        return None;
    };
    d.dst_mac = Some(dst);
    d.src_mac = Some(src);
    let mut off = 14;
    let mut tags = 0;
    while matches!(t, 0x8100 | 0x88a8 | 0x9100) {
        let (Some(tci), Some(next)) = (be16(data, off), be16(data, off + 2)) else {
            d.anomaly = Some(Anomaly::Truncated("vlan"));
            return None;
        };
        if d.vlan.is_none() {
            d.vlan = Some(tci & 0x0fff);
        }
        t = next;
        off += 4;
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            d.anomaly = Some(Anomaly::Malformed("vlan"));
            return None;
        }
    }
    let payload = data.get(off..).unwrap_or_default();
    if t < 0x0600 {
        // 802.3 length field; only LLC/SNAP carries an ethertype.
        return Some(match payload {
            [0xaa, 0xaa, 0x03, _, _, _, a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            _ => (0, payload),
        });
    }
    Some((t, payload))
}

/// Whether the radiotap header says the 802.11 frame ends with an FCS.
fn radiotap_has_fcs(data: &[u8]) -> bool {
    let Some(present) = be32(data, 4).map(u32::swap_bytes) else {
        return false;
    };
    // Skip extended presence bitmaps.
    let mut off = 8;
    let mut p = present;
    while p & 0x8000_0000 != 0 {
        let Some(next) = be32(data, off).map(u32::swap_bytes) else {
            return false;
        };
        p = next;
        off += 4;
    }
    if present & 0b10 == 0 {
        return false;
    }
    if present & 0b1 != 0 {
        // TSFT: 8 bytes, aligned to 8.
        off = off.div_ceil(8) * 8 + 8;
    }
    data.get(off).is_some_and(|f| f & 0x10 != 0)
}

/// 802.11 data frames with LLC/SNAP.
fn ieee80211<'a>(data: &'a [u8], d: &mut Decoded<'a>) -> Option<(u16, &'a [u8])> {
    let (Some(&fc0), Some(&fc1)) = (data.first(), data.get(1)) else {
        d.anomaly = Some(Anomaly::Truncated("802.11"));
        return None;
    };
    let kind = (fc0 >> 2) & 0x3;
    let subtype = (fc0 >> 4) & 0xf;
    if kind != 2 {
        // Management and control frames carry no IP.
        return Some((0, &[]));
    }
    if subtype & 0x4 != 0 {
        // Null data: no payload.
        return Some((0, &[]));
    }
    let to_ds = fc1 & 0x1 != 0;
    let from_ds = fc1 & 0x2 != 0;
    let (Some(a1), Some(a2), Some(a3)) = (mac(data, 4), mac(data, 10), mac(data, 16)) else {
        d.anomaly = Some(Anomaly::Truncated("802.11"));
        return None;
    };
    let mut off = 24;
    let a4 = if to_ds && from_ds {
        off += 6;
        mac(data, 24)
    } else {
        None
    };
    let (da, sa) = match (to_ds, from_ds) {
        (false, false) => (Some(a1), Some(a2)),
        (true, false) => (Some(a3), Some(a2)),
        (false, true) => (Some(a1), Some(a3)),
        (true, true) => (Some(a3), a4),
    };
    d.dst_mac = da;
    d.src_mac = sa;
    if subtype & 0x8 != 0 {
        off += 2; // QoS control
        if fc1 & 0x80 != 0 {
            off += 4; // HT control
        }
    }
    if fc1 & 0x40 != 0 {
        d.anomaly = Some(Anomaly::Encrypted);
        return None;
    }
    match data.get(off..) {
        Some([0xaa, 0xaa, 0x03, _, _, _, a, b, rest @ ..]) => {
            Some((u16::from_be_bytes([*a, *b]), rest))
        }
        Some(_) => Some((0, &[])),
        None => {
            d.anomaly = Some(Anomaly::Truncated("802.11"));
            None
        }
    }
}

fn arp<'a>(b: &'a [u8], anomaly: &mut Option<Anomaly>) -> Net<'a> {
    // Ethernet/IPv4 ARP only: hardware type 1, protocol 0x0800, sizes 6 and 4.
    match (be16(b, 0), be16(b, 2), b.get(4), b.get(5), be16(b, 6)) {
        (Some(1), Some(0x0800), Some(6), Some(4), Some(op)) => {
            let ip = |i: usize| {
                b.get(i..i + 4)
                    .map(|x| Ipv4Addr::new(x[0], x[1], x[2], x[3]))
            };
            match (mac(b, 8), ip(14), mac(b, 18), ip(24)) {
                (Some(sender_mac), Some(sender_ip), Some(target_mac), Some(target_ip)) => {
                    Net::Arp(Arp {
                        op,
                        sender_mac,
                        sender_ip,
                        target_mac,
                        target_ip,
                    })
                }
                _ => {
                    *anomaly = Some(Anomaly::Truncated("arp"));
                    Net::None
                }
            }
        }
        (Some(_), Some(_), Some(_), Some(_), Some(_)) => Net::Other(ETH_ARP, b),
        _ => {
            *anomaly = Some(Anomaly::Truncated("arp"));
            Net::None
        }
    }
}

fn ipv4<'a>(b: &'a [u8], anomaly: &mut Option<Anomaly>) -> Net<'a> {
    let Some(&vihl) = b.first() else {
        *anomaly = Some(Anomaly::Truncated("ipv4"));
        return Net::None;
    };
    if vihl >> 4 != 4 {
        *anomaly = Some(Anomaly::Malformed("ipv4"));
        return Net::None;
    }
    let ihl = (vihl & 0xf) as usize * 4;
    let (Some(total), Some(frag), Some(&ttl), Some(&proto)) =
        (be16(b, 2), be16(b, 6), b.get(8), b.get(9))
    else {
        *anomaly = Some(Anomaly::Truncated("ipv4"));
        return Net::None;
    };
    let (Some(s), Some(dst)) = (b.get(12..16), b.get(16..20)) else {
        *anomaly = Some(Anomaly::Truncated("ipv4"));
        return Net::None;
    };
    let src = IpAddr::V4(Ipv4Addr::new(s[0], s[1], s[2], s[3]));
    let dst = IpAddr::V4(Ipv4Addr::new(dst[0], dst[1], dst[2], dst[3]));
    if ihl < 20 || (total as usize) < ihl {
        *anomaly = Some(Anomaly::Malformed("ipv4"));
        return Net::Ip(IpPacket {
            src,
            dst,
            protocol: proto,
            ttl,
            fragment: Fragment::Whole,
            transport: Transport::None,
        });
    }
    // The payload ends at the total length (Ethernet padding is not data),
    // or earlier when the capture was cut.
    let end = (total as usize).min(b.len());
    let payload = b.get(ihl..end).unwrap_or_default();
    if b.len() < ihl {
        *anomaly = Some(Anomaly::Truncated("ipv4"));
    }
    let more = frag & 0x2000 != 0;
    let offset = frag & 0x1fff;
    let fragment = match (offset, more) {
        (0, false) => Fragment::Whole,
        (0, true) => Fragment::First,
        _ => Fragment::Later,
    };
    let transport = if fragment == Fragment::Later {
        Transport::Other(payload)
    } else {
        transport(proto, payload, false, anomaly)
    };
    Net::Ip(IpPacket {
        src,
        dst,
        protocol: proto,
        ttl,
        fragment,
        transport,
    })
}

fn ipv6<'a>(b: &'a [u8], anomaly: &mut Option<Anomaly>) -> Net<'a> {
    let (Some(&v), Some(plen), Some(&next), Some(&hop)) =
        (b.first(), be16(b, 4), b.get(6), b.get(7))
    else {
        *anomaly = Some(Anomaly::Truncated("ipv6"));
        return Net::None;
    };
    if v >> 4 != 6 {
        *anomaly = Some(Anomaly::Malformed("ipv6"));
        return Net::None;
    }
    let (Some(s), Some(t)) = (b.get(8..24), b.get(24..40)) else {
        *anomaly = Some(Anomaly::Truncated("ipv6"));
        return Net::None;
    };
    let to16 = |x: &[u8]| -> [u8; 16] { x.try_into().unwrap_or([0; 16]) };
    let src = IpAddr::V6(Ipv6Addr::from(to16(s)));
    let dst = IpAddr::V6(Ipv6Addr::from(to16(t)));
    let end = (40 + plen as usize).min(b.len());
    let mut payload = b.get(40..end).unwrap_or_default();
    let mut proto = next;
    let mut fragment = Fragment::Whole;
    for _ in 0..MAX_IPV6_EXT {
        let len = match proto {
            0 | 43 | 60 => payload.get(1).map(|l| (*l as usize + 1) * 8),
            51 => payload.get(1).map(|l| (*l as usize + 2) * 4),
            44 => {
                if let Some(fo) = be16(payload, 2) {
                    let offset = fo >> 3;
                    let more = fo & 1 != 0;
                    fragment = match (offset, more) {
                        (0, false) => Fragment::Whole,
                        (0, true) => Fragment::First,
                        _ => Fragment::Later,
                    };
                }
                Some(8)
            }
            _ => break,
        };
        let (Some(len), Some(&nh)) = (len, payload.first()) else {
            *anomaly = Some(Anomaly::Truncated("ipv6 extension header"));
            return Net::Ip(IpPacket {
                src,
                dst,
                protocol: proto,
                ttl: hop,
                fragment,
                transport: Transport::None,
            });
        };
        let Some(rest) = payload.get(len..) else {
            *anomaly = Some(Anomaly::Truncated("ipv6 extension header"));
            return Net::Ip(IpPacket {
                src,
                dst,
                protocol: proto,
                ttl: hop,
                fragment,
                transport: Transport::None,
            });
        };
        proto = nh;
        payload = rest;
        if fragment == Fragment::Later {
            break;
        }
    }
    let transport = if fragment == Fragment::Later {
        Transport::Other(payload)
    } else {
        transport(proto, payload, true, anomaly)
    };
    Net::Ip(IpPacket {
        src,
        dst,
        protocol: proto,
        ttl: hop,
        fragment,
        transport,
    })
}

fn transport<'a>(proto: u8, b: &'a [u8], v6: bool, anomaly: &mut Option<Anomaly>) -> Transport<'a> {
    match proto {
        6 => {
            let (Some(sp), Some(dp), Some(seq), Some(ack), Some(&off), Some(&flags), Some(window)) = (
                be16(b, 0),
                be16(b, 2),
                be32(b, 4),
                be32(b, 8),
                b.get(12),
                b.get(13),
                be16(b, 14),
            ) else {
                *anomaly = Some(Anomaly::Truncated("tcp"));
                return Transport::None;
            };
            let hlen = (off >> 4) as usize * 4;
            if hlen < 20 {
                *anomaly = Some(Anomaly::Malformed("tcp"));
                return Transport::None;
            }
            let payload = match b.get(hlen..) {
                Some(p) => p,
                None => {
                    *anomaly = Some(Anomaly::Truncated("tcp"));
                    &[]
                }
            };
            Transport::Tcp(TcpSegment {
                src_port: sp,
                dst_port: dp,
                seq,
                ack,
                flags,
                window,
                payload,
            })
        }
        17 => {
            let (Some(sp), Some(dp), Some(len)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
                *anomaly = Some(Anomaly::Truncated("udp"));
                return Transport::None;
            };
            if b.len() < 8 {
                *anomaly = Some(Anomaly::Truncated("udp"));
                return Transport::None;
            }
            let end = if (len as usize) >= 8 {
                (len as usize).min(b.len())
            } else {
                b.len()
            };
            Transport::Udp(UdpDatagram {
                src_port: sp,
                dst_port: dp,
                payload: b.get(8..end).unwrap_or_default(),
            })
        }
        1 | 58 => match (b.first(), b.get(1)) {
            (Some(&t), Some(&c)) => Transport::Icmp {
                v6: proto == 58 || v6,
                icmp_type: t,
                code: c,
                body: b.get(4..).unwrap_or_default(),
            },
            _ => {
                *anomaly = Some(Anomaly::Truncated("icmp"));
                Transport::None
            }
        },
        _ => Transport::Other(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(t: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend([2, 0, 0, 0, 0, 1]);
        f.extend(t.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn ipv4_udp(frag: u16, sport: u16, dport: u16, body: &[u8]) -> Vec<u8> {
        let total = 20 + 8 + body.len();
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[6..8].copy_from_slice(&frag.to_be_bytes());
        p.extend(sport.to_be_bytes());
        p.extend(dport.to_be_bytes());
        p.extend(((8 + body.len()) as u16).to_be_bytes());
        p.extend([0, 0]);
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn decodes_vlan_tagged_udp_and_ignores_ethernet_padding() {
        let mut inner = 0x0800u16.to_be_bytes().to_vec();
        inner.splice(0..0, [0x00, 0x2a]);
        let mut f = eth(0x8100, &inner);
        f.extend(ipv4_udp(0, 1000, 53, b"q"));
        f.extend([0u8; 10]); // padding
        let d = decode(Link::Ethernet, &f);
        assert_eq!(d.vlan, Some(42));
        let Net::Ip(ip) = d.net else { panic!("{d:?}") };
        let Transport::Udp(u) = ip.transport else {
            panic!()
        };
        assert_eq!((u.src_port, u.dst_port, u.payload), (1000, 53, &b"q"[..]));
        assert!(d.anomaly.is_none());
    }

    #[test]
    fn later_fragments_have_no_ports() {
        let f = eth(0x0800, &ipv4_udp(0x0010, 1, 2, b"zz"));
        let Net::Ip(ip) = decode(Link::Ethernet, &f).net else {
            panic!()
        };
        assert_eq!(ip.fragment, Fragment::Later);
        assert!(matches!(ip.transport, Transport::Other(_)));
        let f = eth(0x0800, &ipv4_udp(0x2000, 1, 2, b"zz"));
        let Net::Ip(ip) = decode(Link::Ethernet, &f).net else {
            panic!()
        };
        assert_eq!(ip.fragment, Fragment::First);
        assert!(matches!(ip.transport, Transport::Udp(_)));
    }

    #[test]
    fn every_truncation_is_an_anomaly_never_a_panic() {
        let mut full = eth(0x0800, &ipv4_udp(0, 1, 2, b"payload"));
        full.extend([0u8; 3]);
        for link in [
            Link::Ethernet,
            Link::LinuxSll,
            Link::LinuxSll2,
            Link::Null,
            Link::Raw,
            Link::Ieee80211,
            Link::Ieee80211Radiotap,
        ] {
            for n in 0..full.len() {
                let _ = decode(link, &full[..n]);
            }
        }
        let d = decode(Link::Ethernet, &full[..20]);
        assert_eq!(d.anomaly, Some(Anomaly::Truncated("ipv4")));
    }

    #[test]
    fn mpls_and_pppoe_carry_ip() {
        let inner = ipv4_udp(0, 1, 2, b"m");
        // Two MPLS labels, the second with bottom-of-stack.
        let mut mpls = vec![0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64];
        mpls.extend(&inner);
        let f = eth(0x8847, &mpls);
        let Net::Ip(ip) = decode(Link::Ethernet, &f).net else {
            panic!()
        };
        assert!(matches!(ip.transport, Transport::Udp(u) if u.payload == b"m"));
        let mut pppoe = vec![0x11, 0, 0, 1, 0, (inner.len() + 2) as u8, 0x00, 0x21];
        pppoe.extend(&inner);
        let f = eth(0x8864, &pppoe);
        let Net::Ip(ip) = decode(Link::Ethernet, &f).net else {
            panic!()
        };
        assert_eq!(ip.dst.to_string(), "10.0.0.2");
        for n in 0..pppoe.len() {
            let _ = decode(Link::Ethernet, &eth(0x8864, &pppoe[..n]));
            let _ = decode(Link::Ethernet, &eth(0x8847, &mpls[..n.min(mpls.len())]));
        }
    }

    #[test]
    fn gre_and_ip_in_ip_are_unwrapped() {
        let inner = ipv4_udp(0, 520, 520, b"rip");
        // GRE with a key, carrying IPv4.
        let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 1];
        gre.extend(&inner);
        let mut outer = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        outer[2..4].copy_from_slice(&((20 + gre.len()) as u16).to_be_bytes());
        outer.extend(&gre);
        let d = decode(Link::Raw, &outer);
        assert_eq!(d.tunnels, 1);
        let Net::Ip(ip) = d.net else { panic!() };
        assert_eq!(ip.src.to_string(), "10.0.0.1");
        assert!(matches!(ip.transport, Transport::Udp(u) if u.dst_port == 520));
        // IP-in-IP, twice.
        let mut two = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 4, 0, 0, 3, 3, 3, 3, 4, 4, 4, 4,
        ];
        two[2..4].copy_from_slice(&((20 + outer.len()) as u16).to_be_bytes());
        two.extend(&outer);
        let d = decode(Link::Raw, &two);
        assert_eq!(d.tunnels, 2);
    }

    #[test]
    fn ipv6_extension_headers_are_walked() {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        p.extend([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
        // Hop-by-hop (8 bytes) -> ICMPv6 type 143.
        let ext = [58u8, 0, 5, 2, 0, 0, 1, 0];
        let icmp = [143u8, 0, 0, 0, 0, 0, 0, 0];
        let plen = (ext.len() + icmp.len()) as u16;
        p[4..6].copy_from_slice(&plen.to_be_bytes());
        p.extend(ext);
        p.extend(icmp);
        let Net::Ip(ip) = decode(Link::Raw, &p).net else {
            panic!()
        };
        assert_eq!(ip.protocol, 58);
        assert!(matches!(
            ip.transport,
            Transport::Icmp {
                v6: true,
                icmp_type: 143,
                ..
            }
        ));
    }
}
