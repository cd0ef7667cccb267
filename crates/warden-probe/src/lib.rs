//! # warden-probe: active tests of one device, inside a fence
//!
//! Everything here sends packets, so everything starts at [`Scope`]: the
//! address ranges the operator explicitly allowed (`--allow CIDR`). Every
//! connection goes through [`Scope::connect`], which refuses an address
//! outside them before a socket exists, and refuses multicast, broadcast
//! and unspecified addresses even when a range would include them. Targets
//! are addresses, never names: resolving a name would already send a query
//! somewhere.
//!
//! Built so far: a TCP connect scan of the ports IoT devices expose (or a
//! given list) with a bounded number of connections in flight, a rate
//! limit and timeouts, and banner grabbing (what a service says first, or
//! its answer to an HTTP `HEAD`). Not built yet (issue 6): default
//! credential checks, TLS checks, UPnP/SSDP, open resolver, brute-force
//! protection.

use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warden_mud::IpPrefix;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error("{0} is outside every --allow range ({1}): refused, nothing was sent")]
    OutOfScope(IpAddr, String),
    #[error("{0} is a multicast, broadcast or unspecified address: refused, nothing was sent")]
    NotAHost(IpAddr),
    #[error("no --allow range given: the probe touches nothing it was not allowed to")]
    NoScope,
    #[error("--allow `{0}`: {1}")]
    BadRange(String, String),
}

/// The address ranges the probe may touch.
#[derive(Debug, Clone)]
pub struct Scope {
    allow: Vec<IpPrefix>,
}

impl Scope {
    pub fn new(allow: &[String]) -> Result<Scope, ProbeError> {
        if allow.is_empty() {
            return Err(ProbeError::NoScope);
        }
        let allow = allow
            .iter()
            .map(|a| IpPrefix::parse(a).map_err(|e| ProbeError::BadRange(a.clone(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scope { allow })
    }

    /// Whether the probe may send to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), ProbeError> {
        let not_a_host = match ip {
            IpAddr::V4(a) => a.is_multicast() || a.is_broadcast() || a.is_unspecified(),
            IpAddr::V6(a) => a.is_multicast() || a.is_unspecified(),
        };
        if not_a_host {
            return Err(ProbeError::NotAHost(ip));
        }
        if self.allow.iter().any(|p| p.contains(ip)) {
            Ok(())
        } else {
            Err(ProbeError::OutOfScope(
                ip,
                self.allow
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ))
        }
    }

    /// The only way this crate opens a connection.
    pub fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<std::io::Result<TcpStream>, ProbeError> {
        self.check(addr.ip())?;
        Ok(TcpStream::connect_timeout(&addr, timeout))
    }
}

/// TCP ports IoT devices are known to expose: remote administration,
/// Telnet (Mirai), web interfaces, RTSP cameras, MQTT, UPnP, TR-069, ADB.
pub const IOT_PORTS: [u16; 30] = [
    21, 22, 23, 25, 53, 80, 81, 443, 554, 1883, 2323, 5000, 5555, 6668, 7547, 8000, 8008, 8080,
    8081, 8443, 8554, 8883, 8888, 9000, 9100, 9999, 10001, 37777, 49152, 49153,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    Open,
    Closed,
    /// No answer within the timeout.
    Filtered,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortResult {
    pub port: u16,
    pub state: PortState,
    /// What the service said first (or to an HTTP HEAD), printable, at most 200 characters.
    pub banner: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub connect_timeout: Duration,
    pub banner_timeout: Duration,
    /// Connections in flight at once.
    pub parallel: usize,
    /// New connections per second, at most.
    pub rate: u32,
    pub banners: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            connect_timeout: Duration::from_millis(800),
            banner_timeout: Duration::from_millis(800),
            parallel: 64,
            rate: 500,
            banners: true,
        }
    }
}

fn printable(b: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(b)
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

fn grab(mut s: TcpStream, port: u16, timeout: Duration) -> Option<String> {
    let _ = s.set_read_timeout(Some(timeout));
    let mut buf = [0u8; 512];
    let n = match s.read(&mut buf) {
        Ok(n) if n > 0 => n,
        _ => {
            // Silent: ask as a web client would.
            if !matches!(
                port,
                80 | 81 | 8000 | 8008 | 8080 | 8081 | 8888 | 5000 | 9000 | 49152 | 49153
            ) {
                return None;
            }
            s.write_all(b"HEAD / HTTP/1.0\r\n\r\n").ok()?;
            match s.read(&mut buf) {
                Ok(n) if n > 0 => n,
                _ => return None,
            }
        }
    };
    Some(printable(&buf[..n])).filter(|b| !b.is_empty())
}

/// A TCP connect scan of `ports` on `ip`. Refuses (and sends nothing) when
/// `ip` is out of scope.
pub fn scan_tcp(
    scope: &Scope,
    ip: IpAddr,
    ports: &[u16],
    o: &ScanOptions,
) -> Result<Vec<PortResult>, ProbeError> {
    scope.check(ip)?;
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(Vec::with_capacity(ports.len())));
    let start = Instant::now();
    let ports: Arc<Vec<u16>> = Arc::new(ports.to_vec());
    let workers = o.parallel.clamp(1, 256).min(ports.len().max(1));
    let rate = o.rate.max(1) as f64;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (next, results, ports, scope) =
                (next.clone(), results.clone(), ports.clone(), scope.clone());
            let o = o.clone();
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&port) = ports.get(i) else { break };
                // Rate limit: connection i starts no earlier than i / rate s.
                let due = Duration::from_secs_f64(i as f64 / rate);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                let r = match scope.connect(SocketAddr::new(ip, port), o.connect_timeout) {
                    Err(_) => continue, // cannot happen: checked above
                    Ok(Ok(stream)) => PortResult {
                        port,
                        state: PortState::Open,
                        banner: if o.banners {
                            grab(stream, port, o.banner_timeout)
                        } else {
                            None
                        },
                    },
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => PortResult {
                        port,
                        state: PortState::Closed,
                        banner: None,
                    },
                    Ok(Err(_)) => PortResult {
                        port,
                        state: PortState::Filtered,
                        banner: None,
                    },
                };
                if let Ok(mut v) = results.lock() {
                    v.push(r);
                }
            });
        }
    });
    let mut v = Arc::try_unwrap(results)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default();
    v.sort_by_key(|r| r.port);
    Ok(v)
}

/// Parses "22,80,8000-8010" (at most 65536 ports).
pub fn parse_ports(s: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: u16 = a
            .trim()
            .parse()
            .map_err(|_| format!("`{part}` is not a port or range"))?;
        let b: u16 = b
            .trim()
            .parse()
            .map_err(|_| format!("`{part}` is not a port or range"))?;
        if a > b || a == 0 {
            return Err(format!("`{part}` is not a port range"));
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_refuses_before_any_socket() {
        let s = Scope::new(&["10.99.0.0/24".into()]).unwrap();
        assert!(s.check("10.99.0.7".parse().unwrap()).is_ok());
        for bad in ["10.99.1.7", "192.168.1.1", "8.8.8.8", "127.0.0.1", "::1"] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(
                matches!(s.check(ip), Err(ProbeError::OutOfScope(..))),
                "{bad}"
            );
            // connect() refuses too: no socket is made for an out-of-scope address.
            let r = s.connect(SocketAddr::new(ip, 23), Duration::from_millis(1));
            assert!(matches!(r, Err(ProbeError::OutOfScope(..))), "{bad}");
            assert!(scan_tcp(&s, ip, &[23], &ScanOptions::default()).is_err());
        }
        // Never groups, even inside an allowed range.
        let wide = Scope::new(&["0.0.0.0/0".into(), "::/0".into()]).unwrap();
        for bad in ["255.255.255.255", "224.0.0.1", "0.0.0.0", "ff02::1", "::"] {
            assert!(
                matches!(
                    wide.check(bad.parse().unwrap()),
                    Err(ProbeError::NotAHost(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(Scope::new(&[]).unwrap_err(), ProbeError::NoScope);
        assert!(matches!(
            Scope::new(&["10.0.0.0/33".into()]),
            Err(ProbeError::BadRange(..))
        ));
    }

    #[test]
    fn port_lists() {
        assert_eq!(
            parse_ports("22, 80,8000-8002").unwrap(),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65535);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("90-80").is_err());
        assert!(parse_ports("http").is_err());
    }
}
