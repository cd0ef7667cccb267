//! DNS messages (RFC 1035): questions and answers, names with compression
//! pointers followed only backwards and at most [`MAX_POINTERS`] times, so a
//! pointer loop ends in an error instead of a hang.

use crate::Reader;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const MAX_POINTERS: usize = 32;
/// Records read per section; the rest are counted as skipped.
pub const MAX_RECORDS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Ptr(String),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub rtype: u16,
    pub ttl: u32,
    pub data: RData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    pub rcode: u8,
    pub questions: Vec<(String, u16)>,
    pub answers: Vec<Record>,
    /// Authority and additional records (glue, and mDNS's extra answers).
    pub extra: Vec<Record>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    Truncated,
    /// A compression pointer that points forward, loops, or chains too often.
    BadPointer,
    /// A label longer than 63 bytes or a name longer than 255.
    BadName,
}

/// An address a message resolves and every name that leads to it: the
/// owner of the A or AAAA record first, then, back through the answer
/// section's CNAME records, the names that alias it (the name the client
/// asked for among them). Names are lowercase without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub address: IpAddr,
    pub ttl: u32,
    pub names: Vec<String>,
    /// Whether the address record is in the answer section (false: the
    /// authority or additional section, as glue or mDNS's extra answers).
    pub in_answer: bool,
}

impl Resolution {
    /// The name at the far end of the alias chain: the one asked for.
    pub fn head(&self) -> &str {
        self.names.last().map_or("", String::as_str)
    }
}

/// CNAME links followed back from an address record.
pub const MAX_CHAIN: usize = 8;
/// Names collected for one address.
pub const MAX_NAMES: usize = 16;

/// A name as DNS compares it: case folded, without the root's dot.
pub fn normal(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Message {
    /// Every A and AAAA record of the message, in any section, with the
    /// names that lead to it. This is the one place where answers become
    /// name bindings; what a consumer believes of them is its own rule.
    pub fn resolutions(&self) -> Vec<Resolution> {
        // target -> the owners of the CNAME records that point at it.
        let mut aliases: Vec<(String, String)> = self
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Cname(t) => Some((normal(t), normal(&r.name))),
                _ => None,
            })
            .collect();
        aliases.sort();
        let mut out = Vec::new();
        let sections = self
            .answers
            .iter()
            .map(|r| (r, true))
            .chain(self.extra.iter().map(|r| (r, false)));
        for (r, in_answer) in sections {
            let address = match r.data {
                RData::A(a) => IpAddr::V4(a),
                RData::Aaaa(a) => IpAddr::V6(a),
                _ => continue,
            };
            // Breadth first, back from the owner: each link at most once.
            let mut names = vec![normal(&r.name)];
            let mut level = 0..1;
            for _ in 0..MAX_CHAIN {
                let start = names.len();
                for i in level.clone() {
                    let target = names[i].clone();
                    let from = aliases.partition_point(|(t, _)| *t < target);
                    for (_, owner) in aliases[from..].iter().take_while(|(t, _)| *t == target) {
                        if names.len() < MAX_NAMES && !names.contains(owner) {
                            names.push(owner.clone());
                        }
                    }
                }
                if names.len() == start {
                    break;
                }
                level = start..names.len();
            }
            out.push(Resolution {
                address,
                ttl: r.ttl,
                names,
                in_answer,
            });
        }
        out
    }
}

pub fn parse(b: &[u8]) -> Result<Message, DnsError> {
    let mut r = Reader::new(b);
    let (Some(id), Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) =
        (r.u16(), r.u16(), r.u16(), r.u16(), r.u16(), r.u16())
    else {
        return Err(DnsError::Truncated);
    };
    let mut m = Message {
        id,
        response: flags & 0x8000 != 0,
        rcode: (flags & 0xf) as u8,
        questions: Vec::new(),
        answers: Vec::new(),
        extra: Vec::new(),
    };
    for _ in 0..qd {
        let name = name(b, &mut r)?;
        let t = r.u16().ok_or(DnsError::Truncated)?;
        r.u16().ok_or(DnsError::Truncated)?;
        if m.questions.len() < MAX_RECORDS {
            m.questions.push((name, t));
        }
    }
    for i in 0..(an as usize + ns as usize + ar as usize) {
        let n = name(b, &mut r)?;
        let (Some(rtype), Some(_class), Some(ttl), Some(len)) =
            (r.u16(), r.u16(), r.u32(), r.u16())
        else {
            return Err(DnsError::Truncated);
        };
        let start = r.pos();
        let mut rd = r.sub(len as usize).ok_or(DnsError::Truncated)?;
        let data = match (rtype, len) {
            (1, 4) => {
                let x = rd.take(4).ok_or(DnsError::Truncated)?;
                RData::A(Ipv4Addr::new(x[0], x[1], x[2], x[3]))
            }
            (28, 16) => {
                let x: [u8; 16] = rd
                    .take(16)
                    .and_then(|x| x.try_into().ok())
                    .ok_or(DnsError::Truncated)?;
                RData::Aaaa(Ipv6Addr::from(x))
            }
            (5, _) | (12, _) => {
                // Names inside RDATA may point anywhere earlier in the message.
                let mut nr = Reader::new(b);
                nr.take(start).ok_or(DnsError::Truncated)?;
                let target = name(b, &mut nr)?;
                if rtype == 5 {
                    RData::Cname(target)
                } else {
                    RData::Ptr(target)
                }
            }
            _ => RData::Other,
        };
        let section = if i < an as usize {
            &mut m.answers
        } else {
            &mut m.extra
        };
        if section.len() < MAX_RECORDS {
            section.push(Record {
                name: n,
                rtype,
                ttl,
                data,
            });
        }
    }
    Ok(m)
}

/// Reads a possibly compressed name at the reader's position.
fn name(msg: &[u8], r: &mut Reader<'_>) -> Result<String, DnsError> {
    let mut out = String::new();
    let mut pos = r.pos();
    let mut jumped = false;
    let mut pointers = 0;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)? as usize;
        if len == 0 {
            if !jumped {
                r.take(pos + 1 - r.pos()).ok_or(DnsError::Truncated)?;
            }
            break;
        }
        if len & 0xc0 == 0xc0 {
            let lo = *msg.get(pos + 1).ok_or(DnsError::Truncated)? as usize;
            let target = ((len & 0x3f) << 8) | lo;
            if target >= pos || pointers >= MAX_POINTERS {
                return Err(DnsError::BadPointer);
            }
            if !jumped {
                r.take(pos + 2 - r.pos()).ok_or(DnsError::Truncated)?;
                jumped = true;
            }
            pointers += 1;
            pos = target;
            continue;
        }
        if len > 63 {
            return Err(DnsError::BadName);
        }
        let label = msg.get(pos + 1..pos + 1 + len).ok_or(DnsError::Truncated)?;
        if !out.is_empty() {
            out.push('.');
        }
        for &c in label {
            // Keep names printable; anything else is escaped as \DDD.
            if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                out.push(c.to_ascii_lowercase() as char);
            } else {
                out.push_str(&format!("\\{c:03}"));
            }
        }
        if out.len() > 1024 {
            return Err(DnsError::BadName);
        }
        pos += 1 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        // CNAME www.example.com -> cdn.example.com (pointer to "example.com" at 16)
        m.extend([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6]);
        m.extend(b"\x03cdn\xc0\x10");
        // A cdn.example.com (pointer to the CNAME target at 45)
        m.extend([0xc0, 45, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 93, 184, 216, 34]);
        m
    }

    #[test]
    fn parses_answers_and_cname_chains() {
        let m = parse(&response()).unwrap();
        assert!(m.response);
        assert_eq!(m.questions, [("www.example.com".to_string(), 1)]);
        assert_eq!(m.answers[0].data, RData::Cname("cdn.example.com".into()));
        assert_eq!(m.answers[1].name, "cdn.example.com");
        let r = m.resolutions();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].address, "93.184.216.34".parse::<IpAddr>().unwrap());
        assert_eq!((r[0].ttl, r[0].in_answer), (256, true));
        assert_eq!(r[0].names, ["cdn.example.com", "www.example.com"]);
        assert_eq!(r[0].head(), "www.example.com");
    }

    fn record(name: &str, data: RData) -> Record {
        Record {
            name: name.into(),
            rtype: 0,
            ttl: 30,
            data,
        }
    }

    #[test]
    fn chains_are_followed_back_in_any_case_without_looping() {
        let a = RData::A(Ipv4Addr::new(192, 0, 2, 1));
        let m = Message {
            id: 0,
            response: true,
            rcode: 0,
            questions: vec![],
            answers: vec![
                // A loop beside the chain, two aliases of one name, mixed case.
                record("Loop.example.", RData::Cname("loop2.example".into())),
                record("loop2.example", RData::Cname("loop.example".into())),
                record("CDN.example.net", a.clone()),
                record("edge.example.net", RData::Cname("cdn.example.net.".into())),
                record("www.example.com", RData::Cname("Edge.example.net".into())),
                record("img.example.com", RData::Cname("edge.example.net".into())),
                record("loop.example", a.clone()),
            ],
            extra: vec![record("glue.example", a)],
        };
        let r = m.resolutions();
        assert_eq!(
            r[0].names,
            [
                "cdn.example.net",
                "edge.example.net",
                "img.example.com",
                "www.example.com"
            ]
        );
        assert_eq!(r[1].names, ["loop.example", "loop2.example"]);
        assert_eq!(
            (r[2].names.as_slice(), r[2].in_answer),
            (&["glue.example".to_string()][..], false)
        );
    }

    #[test]
    fn a_long_chain_stops_at_the_cap() {
        let mut answers: Vec<Record> = (0..40)
            .map(|i| record(&format!("n{}", i + 1), RData::Cname(format!("n{i}"))))
            .collect();
        answers.push(record("n0", RData::A(Ipv4Addr::LOCALHOST)));
        let m = Message {
            id: 0,
            response: true,
            rcode: 0,
            questions: vec![],
            answers,
            extra: vec![],
        };
        let r = m.resolutions();
        assert_eq!(r[0].names.len(), MAX_CHAIN + 1);
        assert_eq!(r[0].head(), "n8");
    }

    #[test]
    fn refuses_compression_loops_and_forward_pointers() {
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend([0xc0, 12]); // points at itself
        assert_eq!(parse(&m), Err(DnsError::BadPointer));
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend([0xc0, 20, 0, 1, 0, 1]);
        assert_eq!(parse(&m), Err(DnsError::BadPointer));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = response();
        for n in 0..full.len() {
            assert!(parse(&full[..n]).is_err(), "{n}");
        }
    }
}
