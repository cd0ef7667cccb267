//! # warden-probe: active tests of one device, inside a fence
//!
//! Everything here sends packets, so everything starts at [`Scope`]: the
//! address ranges the operator explicitly allowed (`--allow CIDR`). Every
//! TCP connection goes through [`Scope::connect`] and every UDP socket
//! through [`Scope::udp`], which refuse an address outside them before a
//! socket exists, and refuse multicast, broadcast and unspecified
//! addresses even when a range would include them. Targets are addresses,
//! never names: resolving a name would already send a query somewhere.
//!
//! What [`probe`] does to one device, in order:
//! - a TCP connect scan of the ports IoT devices expose (or a given list),
//!   rate-limited, with banners and a service guess ([`scan`]);
//! - default credentials (Mirai's list and common vendor defaults, or a
//!   given list) on Telnet, SSH, FTP, HTTP Basic and HTTP login forms
//!   ([`creds`], [`telnet`], [`ssh`], [`ftp`], [`http`]);
//! - administration pages served without a login ([`http`]);
//! - TLS versions accepted and the certificate ([`tls`]);
//! - SSDP answers to unicast discovery and an open DNS resolver ([`udp`]);
//! - whether a login service slows down or locks out after wrong
//!   passwords ([`bruteforce`]).
//!
//! ```no_run
//! use warden_probe::{probe, ProbeOptions, Scope, IOT_PORTS};
//! let scope = Scope::new(&["192.0.2.0/28".into()]).unwrap();
//! let o = ProbeOptions::new(IOT_PORTS.to_vec(), 1_800_000_000, 7);
//! let report = probe(&scope, "192.0.2.5".parse().unwrap(), &o).unwrap();
//! println!("{} open ports", report.open.len());
//! ```
//!
//! Not handled: UDP port scans, STARTTLS, HTTPS login pages (HTTP checks
//! run on plain-HTTP ports), SSH keyboard-interactive logins, IPv6 scope
//! discovery (give the address).

#![forbid(unsafe_code)]

pub mod bruteforce;
pub mod creds;
pub mod ftp;
pub mod http;
mod io;
pub mod report;
pub mod scan;
pub mod scope;
pub mod ssh;
pub mod telnet;
mod text;
pub mod tls;
pub mod udp;

pub use report::{probe, ProbeOptions, ProbeReport};
pub use scan::{parse_ports, scan_tcp, PortResult, PortState, ScanOptions, IOT_PORTS};
pub use scope::{ProbeError, Scope};
