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
//! [`emit`] goes the other way: small owned `Repr` values (Ethernet,
//! IPv4, IPv6, TCP, UDP, ICMP, ARP) with `parse` from what the decoder read
//! and `emit` with lengths and checksums computed. Tests, benchmarks and the
//! traffic generator write their frames with it.
//!
//! ```
//! use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
//! use warden_wire::{decode, Link, Net, Transport};
//! let f = EthernetRepr::new([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ip(
//!     &IpRepr::v4([10, 0, 0, 1], [10, 0, 0, 2]),
//!     &TransportRepr::udp(5353, 53),
//!     &[],
//! );
//! let d = decode(Link::Ethernet, &f);
//! let Net::Ip(ip) = d.net else { panic!() };
//! assert!(matches!(ip.transport, Transport::Udp(u) if u.dst_port == 53));
//! ```
//!
//! Not handled yet: HTTP heads and TLS hellos split over segments (a cut
//! hello is marked truncated), QUIC's hello, VXLAN and other UDP tunnels,
//! IP reassembly. The link to transport decoder is one function over
//! bounds-checked reads (`frame.rs`), not yet a checked view per header as
//! smoltcp has.
#![forbid(unsafe_code)]

pub mod app;
pub mod dhcp;
pub mod dns;
pub mod emit;
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
