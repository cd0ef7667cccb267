//! TLS and DTLS ClientHello (RFC 8446 §4.1.2, RFC 6347 §4.2.2, RFC 9147
//! §5.3), decoded whole: every offered version, cipher suite, extension
//! type (in order), named group, signature algorithm, PSK mode, ALPN
//! protocol and certificate compression algorithm, and the server name.
//! These are the parameters an RFC 9761 (D)TLS profile constrains and a
//! JA4 fingerprint ([`ClientHello::ja4`]) summarises.
//!
//! The hello is read from the first record of a TCP stream or of a UDP
//! datagram. A hello cut short by the segment (it is longer than what the
//! packet holds) is still decoded as far as it goes and marked
//! [`ClientHello::truncated`]: the caller reports that as an anomaly
//! rather than trusting a partial parameter list. Handshakes split over
//! several segments, and DTLS hellos split into fragments, are not
//! reassembled. Every list is capped ([`MAX_LIST`]).

use crate::Reader;
use std::fmt::Write as _;

/// The most values kept per list (cipher suites, extensions, groups, ...).
/// Real clients send fewer than 100 of each; more is noted as truncation.
pub const MAX_LIST: usize = 128;

/// Extension types warden reads the body of.
pub mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const ALPN: u16 = 16;
    pub const COMPRESS_CERTIFICATE: u16 = 27;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    pub const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
}

/// Version code points.
pub mod version {
    pub const TLS10: u16 = 0x0301;
    pub const TLS11: u16 = 0x0302;
    pub const TLS12: u16 = 0x0303;
    pub const TLS13: u16 = 0x0304;
    pub const DTLS10: u16 = 0xfeff;
    pub const DTLS12: u16 = 0xfefd;
    pub const DTLS13: u16 = 0xfefc;
}

/// RFC 8701 GREASE: 0x?a?a with both bytes equal. Clients send these to
/// keep servers and middleboxes tolerant of unknown values; they mean
/// nothing and are ignored by every comparison here.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// RFC 8701 GREASE for the one-byte PSK key exchange modes: 0x0b + n·0x1f.
pub fn is_grease_psk_mode(m: u8) -> bool {
    m >= 0x0b && (m - 0x0b) % 0x1f == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientHello {
    /// A DTLS hello (record type 22 with an epoch and sequence number).
    pub dtls: bool,
    /// The hello's `legacy_version` (0x0303 for TLS 1.2 and 1.3, 0xfefd
    /// for DTLS 1.2 and 1.3).
    pub legacy_version: u16,
    pub cipher_suites: Vec<u16>,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
    pub server_name: Option<String>,
    /// ALPN protocol names, as sent (bytes; usually ASCII).
    pub alpn: Vec<Vec<u8>>,
    /// The `supported_versions` extension (0x0304 = TLS 1.3).
    pub versions: Vec<u16>,
    pub groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub signature_algorithms_cert: Vec<u16>,
    pub psk_modes: Vec<u8>,
    pub cert_compression: Vec<u16>,
    /// The hello did not fit in what the packet held, or a list was longer
    /// than [`MAX_LIST`]: the lists above may be incomplete.
    pub truncated: bool,
}

/// Parses a TLS or DTLS ClientHello at the start of `b` (a TCP segment's
/// or a UDP datagram's payload); None if it does not start with one.
pub fn client_hello(b: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(b);
    if r.u8()? != 22 {
        return None;
    }
    let record_version = r.u16()?;
    let dtls = record_version >> 8 == 0xfe;
    if !dtls && record_version >> 8 != 0x03 {
        return None;
    }
    if dtls {
        // epoch (2) and sequence number (6)
        r.take(8)?;
    }
    let len = r.u16()? as usize;
    let mut truncated = len > r.left();
    let mut rec = Reader::new(r.rest().get(..len.min(r.left()))?);
    if rec.u8()? != 1 {
        return None;
    }
    let hs_len = (rec.u8()? as usize) << 16 | rec.u16()? as usize;
    if dtls {
        // message_seq (2), fragment_offset (3), fragment_length (3)
        rec.take(2)?;
        let offset = (rec.u8()? as usize) << 16 | rec.u16()? as usize;
        let frag = (rec.u8()? as usize) << 16 | rec.u16()? as usize;
        if offset != 0 {
            return None;
        }
        truncated |= frag < hs_len;
    }
    truncated |= hs_len > rec.left();
    let mut h = Reader::new(rec.rest().get(..hs_len.min(rec.left()))?);
    let mut out = ClientHello {
        dtls,
        legacy_version: h.u16()?,
        truncated,
        ..Default::default()
    };
    let legacy_ok = if dtls {
        out.legacy_version >> 8 == 0xfe
    } else {
        out.legacy_version >> 8 == 0x03
    };
    if !legacy_ok {
        return None;
    }
    // From here on, whatever is missing is truncation, not "not a hello".
    let body = |h: &mut Reader<'_>, out: &mut ClientHello| -> Option<()> {
        h.take(32)?;
        let sid = h.u8()? as usize;
        h.take(sid)?;
        if out.dtls {
            let cookie = h.u8()? as usize;
            h.take(cookie)?;
        }
        let cs_len = h.u16()? as usize;
        let mut cs = h.sub(cs_len)?;
        while let Some(c) = cs.u16() {
            push_capped(&mut out.cipher_suites, c, &mut out.truncated);
        }
        let comp = h.u8()? as usize;
        h.take(comp)?;
        let ext_len = h.u16()? as usize;
        if ext_len > h.left() {
            out.truncated = true;
        }
        let mut exts = h.sub(ext_len.min(h.left()))?;
        while let Some(t) = exts.u16() {
            push_capped(&mut out.extensions, t, &mut out.truncated);
            let Some(l) = exts.u16() else {
                out.truncated = true;
                break;
            };
            let Some(e) = exts.sub(l as usize) else {
                out.truncated = true;
                break;
            };
            extension(t, e, out);
        }
        Some(())
    };
    if body(&mut h, &mut out).is_none() {
        out.truncated = true;
    }
    Some(out)
}

fn push_capped<T>(v: &mut Vec<T>, x: T, truncated: &mut bool) {
    if v.len() < MAX_LIST {
        v.push(x);
    } else {
        *truncated = true;
    }
}

/// A list of u16 with a u16 (or, for `supported_versions`, u8) length.
fn u16_list(mut e: Reader<'_>, one_byte_len: bool, into: &mut Vec<u16>, truncated: &mut bool) {
    let n = if one_byte_len {
        e.u8().map(usize::from)
    } else {
        e.u16().map(usize::from)
    };
    let Some(mut l) = n.and_then(|n| e.sub(n)) else {
        *truncated = true;
        return;
    };
    while let Some(v) = l.u16() {
        push_capped(into, v, truncated);
    }
}

fn extension(t: u16, mut e: Reader<'_>, out: &mut ClientHello) {
    let tr = &mut out.truncated;
    match t {
        ext::SERVER_NAME => {
            let _list = e.u16();
            while let (Some(kind), Some(n)) = (e.u8(), e.u16()) {
                let Some(name) = e.take(n as usize) else {
                    *tr = true;
                    break;
                };
                if kind == 0 && out.server_name.is_none() {
                    out.server_name = Some(String::from_utf8_lossy(name).to_ascii_lowercase());
                }
            }
        }
        ext::ALPN => {
            let _list = e.u16();
            while let Some(n) = e.u8() {
                let Some(p) = e.take(n as usize) else {
                    *tr = true;
                    break;
                };
                push_capped(&mut out.alpn, p.to_vec(), tr);
            }
        }
        ext::SUPPORTED_VERSIONS => u16_list(e, true, &mut out.versions, tr),
        ext::SUPPORTED_GROUPS => u16_list(e, false, &mut out.groups, tr),
        ext::SIGNATURE_ALGORITHMS => u16_list(e, false, &mut out.signature_algorithms, tr),
        ext::SIGNATURE_ALGORITHMS_CERT => {
            u16_list(e, false, &mut out.signature_algorithms_cert, tr)
        }
        ext::COMPRESS_CERTIFICATE => {
            // A one-byte length, then u16 algorithm ids (RFC 8879 §3).
            u16_list(e, true, &mut out.cert_compression, tr)
        }
        ext::PSK_KEY_EXCHANGE_MODES => {
            let n = e.u8().map(usize::from).unwrap_or(0);
            match e.take(n) {
                Some(modes) => {
                    for m in modes {
                        push_capped(&mut out.psk_modes, *m, tr);
                    }
                }
                None => *tr = true,
            }
        }
        _ => {}
    }
}

/// What a client really offers: its hello's parameters with GREASE left
/// out (RFC 8701), the signalling cipher suites (renegotiation info,
/// fallback) left out, and a DTLS 1.3 offered as 0x0304 read as 0xfefc.
/// The one reading that RFC 9761 profiles are written from and judged by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    pub versions: Vec<u16>,
    pub cipher_suites: Vec<u16>,
    pub extensions: Vec<u16>,
    pub groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub signature_algorithms_cert: Vec<u16>,
    pub cert_compression: Vec<u16>,
    pub psk_modes: Vec<u8>,
    pub alpn: Vec<String>,
}

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV and TLS_FALLBACK_SCSV: signals, not suites.
const SIGNALLING_SUITES: [u16; 2] = [0x00ff, 0x5600];

impl ClientHello {
    /// The parameters the client offers ([`Offered`]).
    pub fn offered(&self) -> Offered {
        let clean =
            |v: &[u16]| -> Vec<u16> { v.iter().copied().filter(|x| !is_grease(*x)).collect() };
        let mut versions = self.offered_versions();
        if self.dtls {
            for v in &mut versions {
                if *v == version::TLS13 {
                    *v = version::DTLS13;
                }
            }
        }
        Offered {
            versions,
            cipher_suites: clean(&self.cipher_suites)
                .into_iter()
                .filter(|c| !SIGNALLING_SUITES.contains(c))
                .collect(),
            extensions: clean(&self.extensions),
            groups: clean(&self.groups),
            signature_algorithms: clean(&self.signature_algorithms),
            signature_algorithms_cert: clean(&self.signature_algorithms_cert),
            cert_compression: clean(&self.cert_compression),
            psk_modes: self
                .psk_modes
                .iter()
                .copied()
                .filter(|m| !is_grease_psk_mode(*m))
                .collect(),
            alpn: self
                .alpn
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        }
    }

    /// The versions the client offers: `supported_versions` when it is
    /// sent (GREASE left out), otherwise `legacy_version` alone.
    pub fn offered_versions(&self) -> Vec<u16> {
        if self.extensions.contains(&ext::SUPPORTED_VERSIONS) {
            self.versions
                .iter()
                .copied()
                .filter(|v| !is_grease(*v))
                .collect()
        } else {
            vec![self.legacy_version]
        }
    }

    /// The JA4 TLS client fingerprint (FoxIO's JA4 specification):
    /// `t13d1516h2_8daaf6152771_e5627efa2ab1`: protocol (t TCP, d DTLS),
    /// highest version, SNI present (d) or not (i), the number of cipher
    /// suites and of extensions, the first and last character of the first
    /// ALPN value; then the truncated SHA-256 of the sorted cipher suites;
    /// then of the sorted extensions (less SNI and ALPN) and the signature
    /// algorithms in the order sent. GREASE values are left out throughout.
    /// QUIC hellos (the `q` prefix) are not decoded by warden.
    pub fn ja4(&self) -> String {
        use sha2::Digest;
        let ciphers: Vec<u16> = self
            .cipher_suites
            .iter()
            .copied()
            .filter(|c| !is_grease(*c))
            .collect();
        let exts: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|e| !is_grease(*e))
            .collect();
        let top = self.offered_versions().into_iter().max_by_key(|v| {
            // DTLS versions count down.
            if self.dtls {
                0xffff - v
            } else {
                *v
            }
        });
        let version = match top.unwrap_or(self.legacy_version) {
            version::TLS13 if self.dtls => "d3",
            version::TLS13 => "13",
            version::TLS12 => "12",
            version::TLS11 => "11",
            version::TLS10 => "10",
            0x0300 => "s3",
            0x0002 => "s2",
            version::DTLS10 => "d1",
            version::DTLS12 => "d2",
            version::DTLS13 => "d3",
            _ => "00",
        };
        let sni = if exts.contains(&ext::SERVER_NAME) {
            'd'
        } else {
            'i'
        };
        let alpn = match self.alpn.first() {
            Some(a) if !a.is_empty() => alpn_chars(a),
            _ => "00".to_string(),
        };
        let hex_list = |v: &[u16]| {
            let mut s = String::with_capacity(v.len() * 5);
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{x:04x}");
            }
            s
        };
        let hash12 = |s: &str| {
            if s.is_empty() {
                return "000000000000".to_string();
            }
            let d = sha2::Sha256::digest(s.as_bytes());
            let mut h = String::with_capacity(12);
            for b in d.iter().take(6) {
                let _ = write!(h, "{b:02x}");
            }
            h
        };
        let mut sorted_ciphers = ciphers.clone();
        sorted_ciphers.sort_unstable();
        let mut sorted_exts: Vec<u16> = exts
            .iter()
            .copied()
            .filter(|e| *e != ext::SERVER_NAME && *e != ext::ALPN)
            .collect();
        sorted_exts.sort_unstable();
        let sigs: Vec<u16> = self
            .signature_algorithms
            .iter()
            .copied()
            .filter(|s| !is_grease(*s))
            .collect();
        let mut c = hex_list(&sorted_exts);
        if !sigs.is_empty() {
            c.push('_');
            c.push_str(&hex_list(&sigs));
        }
        format!(
            "{}{version}{sni}{:02}{:02}{alpn}_{}_{}",
            if self.dtls { 'd' } else { 't' },
            ciphers.len().min(99),
            exts.len().min(99),
            hash12(&hex_list(&sorted_ciphers)),
            hash12(&c),
        )
    }
}

/// JA4's two ALPN characters: the first and last byte of the value when
/// both are ASCII letters or digits, otherwise the first and last
/// character of the value's hex form.
fn alpn_chars(a: &[u8]) -> String {
    let (Some(&f), Some(&l)) = (a.first(), a.last()) else {
        return "00".to_string();
    };
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        let mut s = String::with_capacity(2);
        s.push(f as char);
        s.push(l as char);
        s
    } else {
        format!("{:x}{:x}", f >> 4, l & 0x0f)
    }
}

/// Builds ClientHello records, for tests and benchmarks (the inverse of
/// [`client_hello`] for the fields it models).
pub fn emit_client_hello(c: &ClientHello) -> Vec<u8> {
    fn u16s(v: &[u16]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }
    fn with_len16(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }
    let mut exts = Vec::new();
    for &t in &c.extensions {
        let body: Vec<u8> = match t {
            ext::SERVER_NAME => match &c.server_name {
                Some(n) => {
                    let mut e = vec![0];
                    e.extend(with_len16(n.as_bytes()));
                    with_len16(&e)
                }
                None => Vec::new(),
            },
            ext::ALPN => {
                let mut l = Vec::new();
                for p in &c.alpn {
                    l.push(p.len() as u8);
                    l.extend_from_slice(p);
                }
                with_len16(&l)
            }
            ext::SUPPORTED_VERSIONS => {
                let b = u16s(&c.versions);
                let mut v = vec![b.len() as u8];
                v.extend(b);
                v
            }
            ext::SUPPORTED_GROUPS => with_len16(&u16s(&c.groups)),
            ext::SIGNATURE_ALGORITHMS => with_len16(&u16s(&c.signature_algorithms)),
            ext::SIGNATURE_ALGORITHMS_CERT => with_len16(&u16s(&c.signature_algorithms_cert)),
            ext::COMPRESS_CERTIFICATE => {
                let b = u16s(&c.cert_compression);
                let mut v = vec![b.len() as u8];
                v.extend(b);
                v
            }
            ext::PSK_KEY_EXCHANGE_MODES => {
                let mut v = vec![c.psk_modes.len() as u8];
                v.extend(&c.psk_modes);
                v
            }
            _ => Vec::new(),
        };
        exts.extend(t.to_be_bytes());
        exts.extend(with_len16(&body));
    }
    let mut hello = c.legacy_version.to_be_bytes().to_vec();
    hello.extend([0x5a; 32]);
    hello.push(0); // session id
    if c.dtls {
        hello.push(0); // cookie
    }
    hello.extend(with_len16(&u16s(&c.cipher_suites)));
    hello.extend([1, 0]); // compression: null
    hello.extend(with_len16(&exts));
    let n = hello.len() as u32;
    let mut hs = vec![1, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    if c.dtls {
        hs.extend([0, 0]); // message_seq
        hs.extend([0, 0, 0]); // fragment_offset
        hs.extend([(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    hs.extend(hello);
    let mut rec = vec![22];
    if c.dtls {
        rec.extend(version::DTLS10.to_be_bytes());
        rec.extend([0; 8]);
    } else {
        rec.extend(version::TLS10.to_be_bytes());
    }
    rec.extend(with_len16(&hs));
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ClientHello {
        ClientHello {
            dtls: false,
            legacy_version: version::TLS12,
            cipher_suites: vec![0x0a0a, 0x1301, 0x1302, 0xc02b],
            extensions: vec![
                0x1a1a,
                ext::SERVER_NAME,
                ext::SUPPORTED_GROUPS,
                ext::SIGNATURE_ALGORITHMS,
                ext::ALPN,
                ext::SUPPORTED_VERSIONS,
                ext::PSK_KEY_EXCHANGE_MODES,
                ext::COMPRESS_CERTIFICATE,
            ],
            server_name: Some("api.example.com".into()),
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            versions: vec![0x2a2a, version::TLS13, version::TLS12],
            groups: vec![0x001d, 0x0017],
            signature_algorithms: vec![0x0403, 0x0804],
            signature_algorithms_cert: vec![],
            psk_modes: vec![1],
            cert_compression: vec![2],
            truncated: false,
        }
    }

    #[test]
    fn every_parameter_round_trips() {
        let c = sample();
        let rec = emit_client_hello(&c);
        assert_eq!(client_hello(&rec).unwrap(), c);
        let mut d = c.clone();
        d.dtls = true;
        d.legacy_version = version::DTLS12;
        d.versions = vec![version::DTLS13, version::DTLS12];
        assert_eq!(client_hello(&emit_client_hello(&d)).unwrap(), d);
    }

    #[test]
    fn a_cut_hello_is_marked_truncated_and_never_panics() {
        let rec = emit_client_hello(&sample());
        for n in 0..rec.len() {
            if let Some(c) = client_hello(&rec[..n]) {
                assert!(c.truncated, "cut at {n} of {}", rec.len());
            }
        }
        assert!(client_hello(&rec[..60]).is_some());
        // Not a handshake record; not a hello.
        assert!(client_hello(b"GET / HTTP/1.1\r\n").is_none());
        assert!(client_hello(&[22, 0x47, 0x45, 0, 5, 1, 0, 0, 1, 3]).is_none());
    }

    #[test]
    fn grease_is_recognised() {
        for v in [0x0a0a, 0x1a1a, 0xfafa] {
            assert!(is_grease(v));
        }
        for v in [0x0a1a, 0x1301, 0x0000, 0xaaab] {
            assert!(!is_grease(v));
        }
    }

    #[test]
    fn ja4_follows_the_specification() {
        let c = sample();
        let j = c.ja4();
        // 3 cipher suites and 7 extensions once GREASE is out; "h2".
        assert!(j.starts_with("t13d0307h2_"), "{j}");
        // Cipher hash: sha256("1301,1302,c02b")[..12].
        use sha2::Digest;
        let want = |s: &str| {
            sha2::Sha256::digest(s.as_bytes())
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            j,
            format!(
                "t13d0307h2_{}_{}",
                want("1301,1302,c02b"),
                want("000a,000d,001b,002b,002d_0403,0804")
            )
        );
        let mut bare = c.clone();
        bare.extensions.clear();
        bare.cipher_suites.clear();
        bare.alpn.clear();
        bare.signature_algorithms.clear();
        bare.server_name = None;
        assert_eq!(bare.ja4(), "t12i000000_000000000000_000000000000");
        let mut odd = c;
        odd.alpn = vec![vec![0xab, b'x', 0xcd]];
        assert!(odd.ja4().starts_with("t13d0307ad_"), "{}", odd.ja4());
    }
}
