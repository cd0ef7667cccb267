//! The UDP checks: does the device answer SSDP discovery sent to it
//! directly (UPnP exposure), and does it resolve names for anyone (an open
//! resolver, a tool for reflection attacks)? Both send one datagram (two
//! tries) to the target only, through the scope's connected socket.

use crate::scope::Scope;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct SsdpExposure {
    pub answers: usize,
    pub server: Option<String>,
    pub location: Option<String>,
    pub st: Vec<String>,
}

/// The scope's connected UDP socket, its refusals as text.
fn socket(scope: &Scope, addr: SocketAddr) -> Result<std::net::UdpSocket, String> {
    scope
        .udp(addr)
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A unicast M-SEARCH for everything (UPnP Device Architecture 1.1 §1.3.2).
pub fn ssdp(scope: &Scope, ip: IpAddr, wait: Duration) -> Result<Option<SsdpExposure>, String> {
    let addr = SocketAddr::new(ip, 1900);
    let s = socket(scope, addr)?;
    let req = format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: {addr}\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: warden-probe/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut out: Option<SsdpExposure> = None;
    let mut buf = [0u8; 2048];
    for _ in 0..2 {
        let _ = s.send(req.as_bytes());
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let _ = s.set_read_timeout(Some(left.max(Duration::from_millis(1))));
            let Ok(n) = s.recv(&mut buf) else { break };
            let text = String::from_utf8_lossy(&buf[..n]);
            if !text.starts_with("HTTP/1.1 200") && !text.starts_with("HTTP/1.0 200") {
                continue;
            }
            let e = out.get_or_insert(SsdpExposure {
                answers: 0,
                server: None,
                location: None,
                st: vec![],
            });
            e.answers += 1;
            e.server = e
                .server
                .take()
                .or(header(&text, "server").map(str::to_string));
            e.location = e
                .location
                .take()
                .or(header(&text, "location").map(str::to_string));
            if let Some(st) = header(&text, "st") {
                if e.st.len() < 32 && !e.st.iter().any(|x| x == st) {
                    e.st.push(st.to_string());
                }
            }
            if e.answers >= 64 {
                break;
            }
        }
        if out.is_some() {
            break;
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolverAnswer {
    /// The device answered a recursive query for a name it does not own.
    pub open: bool,
    pub recursion_available: bool,
    pub rcode: u8,
    pub answers: u16,
    pub name: String,
}

/// A DNS query (RFC 1035 §4.1) for `name`, type A, recursion desired.
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend([0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let l = &label.as_bytes()[..label.len().min(63)];
        q.push(l.len() as u8);
        q.extend_from_slice(l);
    }
    q.extend([0, 0, 1, 0, 1]);
    q
}

/// The header fields of an answer to query `id`: (RA, rcode, ancount).
pub fn dns_answer_header(id: u16, b: &[u8]) -> Option<(bool, u8, u16)> {
    let h = b.get(..12)?;
    if u16::from_be_bytes([h[0], h[1]]) != id || h[2] & 0x80 == 0 {
        return None;
    }
    Some((
        h[3] & 0x80 != 0,
        h[3] & 0x0f,
        u16::from_be_bytes([h[6], h[7]]),
    ))
}

/// Asks the device to resolve `name` (a name under a reserved domain).
pub fn open_resolver(
    scope: &Scope,
    ip: IpAddr,
    name: &str,
    id: u16,
    wait: Duration,
) -> Result<Option<ResolverAnswer>, String> {
    let s = socket(scope, SocketAddr::new(ip, 53))?;
    let q = dns_query(id, name);
    let mut buf = [0u8; 1500];
    for _ in 0..2 {
        let _ = s.send(&q);
        let _ = s.set_read_timeout(Some(wait));
        if let Ok(n) = s.recv(&mut buf) {
            if let Some((ra, rcode, an)) = dns_answer_header(id, &buf[..n]) {
                return Ok(Some(ResolverAnswer {
                    // NOERROR with an answer, or NXDOMAIN, with recursion offered.
                    open: ra && (rcode == 0 && an > 0 || rcode == 3),
                    recursion_available: ra,
                    rcode,
                    answers: an,
                    name: name.to_string(),
                }));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_query_and_answer_header() {
        let q = dns_query(0x1234, "example.com");
        assert_eq!(&q[..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&q[12..], b"\x07example\x03com\x00\x00\x01\x00\x01");
        let mut a = q.clone();
        a[2] = 0x81;
        a[3] = 0x80;
        a[7] = 1;
        assert_eq!(dns_answer_header(0x1234, &a), Some((true, 0, 1)));
        assert_eq!(dns_answer_header(0x9999, &a), None);
        assert_eq!(
            dns_answer_header(0x1234, &q),
            None,
            "a query is not an answer"
        );
        assert_eq!(dns_answer_header(0x1234, &a[..5]), None);
    }

    #[test]
    fn ssdp_headers_are_case_insensitive() {
        let t = "HTTP/1.1 200 OK\r\nSERVER: Linux UPnP/1.0\r\nlocation: http://x/d.xml\r\n";
        assert_eq!(header(t, "Server"), Some("Linux UPnP/1.0"));
        assert_eq!(header(t, "LOCATION"), Some("http://x/d.xml"));
    }
}
