//! DHCPv4 (RFC 2131/2132) and DHCPv6 (RFC 8415) options that identify a
//! device, including the MUD URL (DHCPv4 option 161, DHCPv6 option 112,
//! RFC 8520 §10).

use crate::Reader;

/// What a DHCPv4 message says about the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dhcp4 {
    pub op: u8,
    pub xid: u32,
    pub client_mac: [u8; 6],
    pub your_ip: [u8; 4],
    /// Option 53.
    pub message_type: Option<u8>,
    /// Option 12.
    pub hostname: Option<String>,
    /// Option 50.
    pub requested_ip: Option<[u8; 4]>,
    /// Option 55.
    pub parameter_list: Vec<u8>,
    /// Option 60.
    pub vendor_class: Option<String>,
    /// Option 61.
    pub client_id: Vec<u8>,
    /// Option 81 (FQDN), the name part.
    pub fqdn: Option<String>,
    /// Option 161.
    pub mud_url: Option<String>,
    /// Option 3 (routers), 6 (DNS servers), 42 (NTP servers): what the
    /// server tells its clients to use. At most 8 of each.
    pub routers: Vec<[u8; 4]>,
    pub dns_servers: Vec<[u8; 4]>,
    pub ntp_servers: Vec<[u8; 4]>,
}

fn addresses(v: &[u8]) -> Vec<[u8; 4]> {
    v.chunks_exact(4)
        .take(8)
        .filter_map(|c| c.try_into().ok())
        .collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches('\0')
        .to_string()
}

/// Parses a BOOTP/DHCPv4 message; None if it is not one.
pub fn parse_v4(b: &[u8]) -> Option<Dhcp4> {
    let mut r = Reader::new(b);
    let op = r.u8()?;
    let _htype = r.u8()?;
    let hlen = r.u8()?;
    r.u8()?;
    let xid = r.u32()?;
    r.take(8)?; // secs, flags, ciaddr
    let your_ip: [u8; 4] = r.take(4)?.try_into().ok()?;
    r.take(8)?; // siaddr, giaddr
    let chaddr = r.take(16)?;
    r.take(192)?; // sname, file
    if r.take(4)? != [99, 130, 83, 99] {
        return None;
    }
    let mut d = Dhcp4 {
        op,
        xid,
        your_ip,
        ..Default::default()
    };
    if hlen == 6 {
        d.client_mac = chaddr.get(..6)?.try_into().ok()?;
    }
    while let Some(code) = r.u8() {
        match code {
            0 => continue,
            255 => break,
            _ => {}
        }
        let Some(len) = r.u8() else { break };
        let Some(v) = r.take(len as usize) else { break };
        match code {
            12 => d.hostname = Some(text(v)),
            50 if v.len() == 4 => d.requested_ip = v.try_into().ok(),
            53 => d.message_type = v.first().copied(),
            55 => d.parameter_list = v.to_vec(),
            60 => d.vendor_class = Some(text(v)),
            61 => d.client_id = v.to_vec(),
            81 if v.len() >= 3 => d.fqdn = Some(text(v.get(3..).unwrap_or_default())),
            161 => d.mud_url = Some(text(v)),
            3 => d.routers = addresses(v),
            6 => d.dns_servers = addresses(v),
            42 => d.ntp_servers = addresses(v),
            _ => {}
        }
    }
    Some(d)
}

/// What a DHCPv6 message (RFC 8415) says that warden uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dhcp6 {
    /// 1 Solicit, 3 Request, 7 Reply, 12 Relay-forward, 13 Relay-reply, ...
    pub message_type: u8,
    /// Option 112, here or in relayed messages inside.
    pub mud_urls: Vec<String>,
    /// What a Reply assigns (see [`v6_reply_addresses`]).
    pub reply_addresses: Vec<std::net::Ipv6Addr>,
}

impl Dhcp6 {
    /// Relay-forward or relay-reply: the frame is the relay's, not the client's.
    pub fn relayed(&self) -> bool {
        matches!(self.message_type, 12 | 13)
    }
}

/// Parses a DHCPv6 message; None when it is shorter than its 4-byte header.
pub fn parse_v6(b: &[u8]) -> Option<Dhcp6> {
    if b.len() < 4 {
        return None;
    }
    Some(Dhcp6 {
        message_type: b[0],
        mud_urls: v6_mud_urls(b),
        reply_addresses: v6_reply_addresses(b),
    })
}

/// MUD URLs found in a DHCPv6 message, searching relay messages (option 9)
/// recursively up to a fixed depth.
pub fn v6_mud_urls(b: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(&t) = b.first() else { return out };
    // Relay-forward (12) and relay-reply (13) have a 34-byte header.
    let opts = if t == 12 || t == 13 {
        b.get(34..)
    } else {
        b.get(4..)
    };
    if let Some(o) = opts {
        v6_options(o, 0, &mut out);
    }
    out
}

fn v6_options(b: &[u8], depth: usize, out: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let mut r = Reader::new(b);
    while let (Some(code), Some(len)) = (r.u16(), r.u16()) {
        let Some(v) = r.take(len as usize) else {
            return;
        };
        match code {
            112 if out.len() < 8 => out.push(text(v)),
            // Relay message option: a whole DHCPv6 message inside.
            9 => {
                if let Some(&t) = v.first() {
                    let inner = if t == 12 || t == 13 {
                        v.get(34..)
                    } else {
                        v.get(4..)
                    };
                    if let Some(i) = inner {
                        v6_options(i, depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The addresses a DHCPv6 Reply (message type 7) assigns: every IA Address
/// (option 5) inside an IA_NA (option 3), at most 16. Empty for any other
/// message (relayed replies included: their frame is the relay's).
pub fn v6_reply_addresses(b: &[u8]) -> Vec<std::net::Ipv6Addr> {
    let mut out = Vec::new();
    if b.first() != Some(&7) {
        return out;
    }
    let mut r = Reader::new(b.get(4..).unwrap_or_default());
    while let (Some(code), Some(len)) = (r.u16(), r.u16()) {
        let Some(v) = r.take(len as usize) else {
            break;
        };
        // IA_NA: IAID, T1, T2 (12 bytes), then its options.
        if code != 3 {
            continue;
        }
        let mut ia = Reader::new(v.get(12..).unwrap_or_default());
        while let (Some(c), Some(l)) = (ia.u16(), ia.u16()) {
            let Some(x) = ia.take(l as usize) else {
                break;
            };
            if c == 5 && out.len() < 16 {
                if let Some(a) = x.get(..16).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
                    out.push(std::net::Ipv6Addr::from(a));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_a_dhcpv6_reply() {
        let addr: std::net::Ipv6Addr = "fd77::1234".parse().unwrap();
        let mut iaaddr = vec![0, 5, 0, 24];
        iaaddr.extend(addr.octets());
        iaaddr.extend([0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20]);
        let mut ia_na = vec![0, 3];
        ia_na.extend(((12 + iaaddr.len()) as u16).to_be_bytes());
        ia_na.extend([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        ia_na.extend(&iaaddr);
        let mut reply = vec![7, 0xab, 0xcd, 0xef];
        reply.extend([0, 1, 0, 2, 0xaa, 0xbb]); // a client id option first
        reply.extend(&ia_na);
        assert_eq!(v6_reply_addresses(&reply), vec![addr]);
        // An Advertise (2) assigns nothing yet.
        let mut adv = reply.clone();
        adv[0] = 2;
        assert!(v6_reply_addresses(&adv).is_empty());
        for n in 0..reply.len() {
            let _ = v6_reply_addresses(&reply[..n]);
        }
    }

    #[test]
    fn reads_mud_url_and_identity_options() {
        let mut m = vec![1, 1, 6, 0, 0, 0, 0, 7];
        m.extend([0u8; 20]);
        m.extend([2, 0, 0, 0, 0, 9]);
        m.extend([0u8; 10 + 192]);
        m.extend([
            99, 130, 83, 99, 53, 1, 3, 12, 3, b'c', b'a', b'm', 60, 4, b'u', b'd', b'h', b'c',
        ]);
        m.extend([161, 22]);
        m.extend(b"https://x.example/mud1");
        m.push(255);
        let d = parse_v4(&m).unwrap();
        assert_eq!(d.client_mac, [2, 0, 0, 0, 0, 9]);
        assert_eq!(d.message_type, Some(3));
        assert_eq!(d.hostname.as_deref(), Some("cam"));
        assert_eq!(d.vendor_class.as_deref(), Some("udhc"));
        assert_eq!(d.mud_url.as_deref(), Some("https://x.example/mud1"));
        for n in 0..m.len() {
            let _ = parse_v4(&m[..n]);
        }
    }
}
