//! The TCP connect scan: which ports accept a connection, what each
//! service says first (or answers to an HTTP `HEAD`), and what it is.

use crate::scope::{ProbeError, Scope};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// TCP ports IoT devices are known to expose: remote administration,
/// Telnet (Mirai), web interfaces, RTSP cameras, MQTT, UPnP, TR-069, ADB.
pub const IOT_PORTS: [u16; 30] = [
    21, 22, 23, 25, 53, 80, 81, 443, 554, 1883, 2323, 5000, 5555, 6668, 7547, 8000, 8008, 8080,
    8081, 8443, 8554, 8883, 8888, 9000, 9100, 9999, 10001, 37777, 49152, 49153,
];

/// Ports where a silent service is asked as a web client would.
const HTTP_PORTS: [u16; 11] = [
    80, 81, 8000, 8008, 8080, 8081, 8888, 5000, 9000, 49152, 49153,
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
    /// The service, from its banner (or its port when it said nothing telling).
    pub service: Option<&'static str>,
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
    /// Once three ports have answered, wait for a silent port only ten
    /// times the slowest answer seen (at least 200 ms, at most
    /// `connect_timeout`), as nmap adapts its timeouts to the round trip.
    pub adaptive_timeout: bool,
}

/// The floor of the adaptive connect timeout.
pub const MIN_ADAPTIVE_TIMEOUT: Duration = Duration::from_millis(200);

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            connect_timeout: Duration::from_millis(800),
            banner_timeout: Duration::from_millis(800),
            parallel: 64,
            rate: 500,
            banners: true,
            adaptive_timeout: true,
        }
    }
}

fn printable(b: &[u8]) -> String {
    // Telnet negotiation is not text.
    let mut text = Vec::new();
    crate::telnet::Negotiator::default().feed(b, &mut text, &mut Vec::new());
    let s: String = String::from_utf8_lossy(&text)
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

/// What a port's first bytes and number say it is.
pub fn classify(port: u16, first: &[u8], banner: &str) -> Option<&'static str> {
    let b = banner.to_ascii_lowercase();
    if first.first() == Some(&255) || b.contains("login:") && !b.starts_with("http/") {
        return Some("telnet");
    }
    if b.starts_with("ssh-") {
        return Some("ssh");
    }
    if b.starts_with("http/") {
        return Some("http");
    }
    if b.starts_with("220") && (b.contains("ftp") || port == 21) {
        return Some("ftp");
    }
    if b.starts_with("220") && (b.contains("smtp") || b.contains("esmtp") || port == 25) {
        return Some("smtp");
    }
    if b.starts_with("rtsp/") {
        return Some("rtsp");
    }
    if first.is_empty() {
        return match port {
            23 | 2323 => Some("telnet"),
            22 => Some("ssh"),
            21 => Some("ftp"),
            443 | 8443 | 8883 | 4433 | 10443 => Some("tls"),
            p if HTTP_PORTS.contains(&p) => Some("http"),
            1883 => Some("mqtt"),
            554 | 8554 => Some("rtsp"),
            _ => None,
        };
    }
    None
}

fn grab(mut s: TcpStream, port: u16, timeout: Duration) -> (Option<String>, Option<&'static str>) {
    let _ = s.set_read_timeout(Some(timeout));
    let mut buf = [0u8; 512];
    let n = match s.read(&mut buf) {
        Ok(n) if n > 0 => n,
        _ => {
            if !HTTP_PORTS.contains(&port) || s.write_all(b"HEAD / HTTP/1.0\r\n\r\n").is_err() {
                return (None, classify(port, &[], ""));
            }
            match s.read(&mut buf) {
                Ok(n) if n > 0 => n,
                _ => return (None, classify(port, &[], "")),
            }
        }
    };
    let banner = printable(&buf[..n]);
    let service = classify(port, &buf[..n], &banner);
    (Some(banner).filter(|b| !b.is_empty()), service)
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
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(ports.len()));
    let start = Instant::now();
    let workers = o.parallel.clamp(1, 256).min(ports.len().max(1));
    let rate = o.rate.max(1) as f64;
    // Slowest answer (open or refused) so far, in microseconds (u32: about
    // 71 minutes, far beyond any timeout; 32-bit routers without 64-bit
    // atomics can run this), and how many.
    let slowest = std::sync::atomic::AtomicU32::new(0);
    let answers = AtomicUsize::new(0);
    let timeout = || {
        if !o.adaptive_timeout || answers.load(Ordering::Relaxed) < 3 {
            return o.connect_timeout;
        }
        let t = Duration::from_micros(u64::from(slowest.load(Ordering::Relaxed)) * 10);
        t.clamp(
            MIN_ADAPTIVE_TIMEOUT.min(o.connect_timeout),
            o.connect_timeout,
        )
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&port) = ports.get(i) else { break };
                // Rate limit: connection i starts no earlier than i / rate s.
                let due = Duration::from_secs_f64(i as f64 / rate);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                let t0 = Instant::now();
                let answered = |t0: Instant| {
                    let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
                    slowest.fetch_max(us, Ordering::Relaxed);
                    answers.fetch_add(1, Ordering::Relaxed);
                };
                let (state, banner, service) =
                    match scope.connect(SocketAddr::new(ip, port), timeout()) {
                        Err(_) => break, // cannot happen: checked above
                        Ok(Ok(stream)) => {
                            answered(t0);
                            let (b, s) = if o.banners {
                                grab(stream, port, o.banner_timeout)
                            } else {
                                (None, classify(port, &[], ""))
                            };
                            (PortState::Open, b, s)
                        }
                        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                            answered(t0);
                            (PortState::Closed, None, None)
                        }
                        Ok(Err(_)) => (PortState::Filtered, None, None),
                    };
                if let Ok(mut v) = results.lock() {
                    v.push(PortResult {
                        port,
                        state,
                        banner,
                        service,
                    });
                }
            });
        }
    });
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|r| r.port);
    Ok(v)
}

/// Parses "22,80,8000-8010" (at most 65535 ports).
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

    #[test]
    fn services_from_banners() {
        assert_eq!(
            classify(2222, b"SSH-2.0-OpenSSH_9.2", "SSH-2.0-OpenSSH_9.2"),
            Some("ssh")
        );
        assert_eq!(classify(9, &[255, 251, 1], ""), Some("telnet"));
        assert_eq!(
            classify(8080, b"HTTP/1.0 200", "HTTP/1.0 200"),
            Some("http")
        );
        assert_eq!(classify(2121, b"220 x FTP", "220 x FTP"), Some("ftp"));
        assert_eq!(classify(443, b"", ""), Some("tls"));
        assert_eq!(classify(7000, b"", ""), None);
        assert_eq!(printable(&[255, 251, 1, b'l', b'o', b'g']), "log");
    }
}
