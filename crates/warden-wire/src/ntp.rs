//! NTP (RFC 5905) header: version, mode and stratum. Enough to tell a
//! client query from a server answer, and to spot mode 7 (monlist), the
//! amplification vector.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ntp {
    pub version: u8,
    /// 3 client, 4 server, 5 broadcast, 6 control, 7 private (monlist).
    pub mode: u8,
    pub stratum: u8,
}

pub fn parse(b: &[u8]) -> Option<Ntp> {
    let first = *b.first()?;
    let version = (first >> 3) & 0x7;
    let mode = first & 0x7;
    if !(1..=4).contains(&version) {
        return None;
    }
    // Modes 6 and 7 have their own, shorter headers; 1-5 need 48 bytes.
    if mode <= 5 && b.len() < 48 {
        return None;
    }
    Some(Ntp {
        version,
        mode,
        stratum: b.get(1).copied().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_client_and_monlist() {
        let mut q = [0u8; 48];
        q[0] = 0x23;
        assert_eq!(super::parse(&q).map(|n| (n.version, n.mode)), Some((4, 3)));
        assert_eq!(super::parse(&[0x17, 0, 3, 0x2a]).map(|n| n.mode), Some(7));
        assert!(super::parse(&q[..10]).is_none());
        assert!(super::parse(&[]).is_none());
    }
}
