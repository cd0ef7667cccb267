//! # warden-wire: packets → meaning, without panics
//!
//! [`decode`] walks a captured frame from its link layer down to the
//! transport layer, reading every header through bounds-checked accessors.
//! Application decoders (DNS, DHCPv4, DHCPv6, LLDP, the TLS and DTLS
//! ClientHello with its JA4 fingerprint, HTTP/SSDP heads, NTP) parse from a
//! bounded [`Reader`] or a checked slice, and [`app::decode`] chooses among
//! them once per packet by one set of port rules, so that every consumer
//! reads the same typed value. DNS answers become name bindings, along CNAME
//! chains, in one place: [`dns::Message::resolutions`].
//!
//! Malformed input is data: [`decode`] returns what it could read and an
//! [`Anomaly`] for the rest; nothing here panics or allocates without a cap.
//!
//! ```
//! use warden_wire::{decode, Link, Net, Transport};
//! // A minimal Ethernet + IPv4 + UDP frame.
//! let mut f = vec![0u8; 14 + 20 + 8];
//! f[12..14].copy_from_slice(&[0x08, 0x00]);
//! f[14] = 0x45; f[16..18].copy_from_slice(&28u16.to_be_bytes()); f[23] = 17;
//! f[34..36].copy_from_slice(&5353u16.to_be_bytes()); f[36..38].copy_from_slice(&53u16.to_be_bytes());
//! f[38..40].copy_from_slice(&8u16.to_be_bytes());
//! let d = decode(Link::Ethernet, &f);
//! let Net::Ip(ip) = d.net else { panic!() };
//! assert!(matches!(ip.transport, Transport::Udp(u) if u.dst_port == 53));
//! ```
//!
//! Not handled yet: HTTP heads and TLS hellos split over segments (a cut
//! hello is marked truncated), QUIC's hello,
//! VXLAN and other UDP tunnels, IP reassembly.
#![forbid(unsafe_code)]

pub mod app;
pub mod dhcp;
pub mod dns;
pub mod frame;
pub mod http;
pub mod lldp;
pub mod ntp;
pub mod reader;
pub mod tls;

pub use frame::{
    decode, Anomaly, Decoded, Fragment, IpPacket, Link, Net, TcpSegment, Transport, UdpDatagram,
};
pub use reader::Reader;
