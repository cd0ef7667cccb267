//! The head of an HTTP/1.x message: request or status line and the headers
//! warden uses for identity and naming (Host, User-Agent, Server, and the
//! SSDP/UPnP ones: Location, ST, NT, USN). SSDP is HTTP over UDP 1900.
//! Only the first segment or datagram is read; bodies are ignored.

/// At most this many header lines are looked at.
const MAX_HEADERS: usize = 64;
/// Header values longer than this are cut.
const MAX_VALUE: usize = 512;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// Request method (GET, POST, NOTIFY, M-SEARCH...), None for a response.
    pub method: Option<String>,
    /// Request target, None for a response.
    pub target: Option<String>,
    /// Response status code, None for a request.
    pub status: Option<u16>,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    pub server: Option<String>,
    pub location: Option<String>,
    /// SSDP search target (ST) or notification type (NT).
    pub ssdp_type: Option<String>,
    pub usn: Option<String>,
}

fn token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
}

fn value(v: &str) -> String {
    let v = v.trim();
    let mut end = v.len().min(MAX_VALUE);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    v.get(..end).unwrap_or_default().to_string()
}

/// Parses the head of an HTTP/1.x request or response; None if `b` does
/// not start with one.
pub fn parse(b: &[u8]) -> Option<Head> {
    // Heads are ASCII; stop at the first byte that is not valid UTF-8.
    let text = match std::str::from_utf8(b) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(b.get(..e.valid_up_to())?).ok()?,
    };
    let mut lines = text.split("\r\n");
    let first = lines.next()?;
    let mut h = Head::default();
    let mut parts = first.splitn(3, ' ');
    let (a, b2, c) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
    if a.starts_with("HTTP/1.") {
        h.status = b2.parse().ok().filter(|s: &u16| (100..1000).contains(s));
        h.status?;
    } else if token(a) && c.starts_with("HTTP/1.") {
        h.method = Some(a.to_string());
        h.target = Some(value(b2));
    } else {
        return None;
    }
    for line in lines.take(MAX_HEADERS) {
        if line.is_empty() {
            break;
        }
        let Some((name, v)) = line.split_once(':') else {
            continue;
        };
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "host" => &mut h.host,
            "user-agent" => &mut h.user_agent,
            "server" => &mut h.server,
            "location" => &mut h.location,
            "st" | "nt" => &mut h.ssdp_type,
            "usn" => &mut h.usn,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value(v));
        }
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requests_responses_and_ssdp() {
        let r = parse(
            b"GET /status HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: iot/1.0\r\n\r\nbody",
        )
        .unwrap();
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.host.as_deref(), Some("api.example.com"));
        assert_eq!(r.user_agent.as_deref(), Some("iot/1.0"));
        let s = parse(b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nSERVER: Linux UPnP/1.0 IpBridge/1.9.0\r\nLOCATION: http://10.0.0.2:80/description.xml\r\n\r\n").unwrap();
        assert_eq!(s.server.as_deref(), Some("Linux UPnP/1.0 IpBridge/1.9.0"));
        assert_eq!(s.ssdp_type.as_deref(), Some("upnp:rootdevice"));
        let o = parse(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n").unwrap();
        assert_eq!((o.status, o.server.as_deref()), (Some(200), Some("x")));
        assert!(parse(b"\x16\x03\x01hello").is_none());
        assert!(parse(b"get / HTTP/1.1\r\n").is_none());
        let long = format!("GET / HTTP/1.1\r\nUser-Agent: {}\r\n\r\n", "a".repeat(5000));
        assert_eq!(
            parse(long.as_bytes()).unwrap().user_agent.unwrap().len(),
            MAX_VALUE
        );
    }
}
