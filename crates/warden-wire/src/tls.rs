//! TLS ClientHello (RFC 8446 §4.1.2): server name (SNI), ALPN protocols and
//! offered versions, from the first record of a TCP stream. Handshakes split
//! over several TCP segments are not reassembled.

use crate::Reader;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The record-layer / legacy version (0x0303 for TLS 1.2 and 1.3).
    pub legacy_version: u16,
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    /// From the supported_versions extension (0x0304 = TLS 1.3).
    pub versions: Vec<u16>,
}

/// Parses a ClientHello at the start of `b`; None if it is not one.
pub fn client_hello(b: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(b);
    if r.u8()? != 22 {
        return None;
    }
    let _record_version = r.u16()?;
    let len = r.u16()? as usize;
    // The record may be cut by the segment; parse what is there.
    let mut rec = Reader::new(r.rest().get(..len.min(r.left()))?);
    if rec.u8()? != 1 {
        return None;
    }
    let hs_len = (rec.u8()? as usize) << 16 | rec.u16()? as usize;
    let mut h = Reader::new(rec.rest().get(..hs_len.min(rec.left()))?);
    let mut out = ClientHello {
        legacy_version: h.u16()?,
        ..Default::default()
    };
    h.take(32)?;
    let sid = h.u8()? as usize;
    h.take(sid)?;
    let cs = h.u16()? as usize;
    h.take(cs)?;
    let comp = h.u8()? as usize;
    h.take(comp)?;
    let ext_len = h.u16()? as usize;
    let mut exts = h.sub(ext_len.min(h.left()))?;
    while let (Some(t), Some(l)) = (exts.u16(), exts.u16()) {
        let Some(mut e) = exts.sub(l as usize) else {
            break;
        };
        match t {
            0 => {
                let _list = e.u16();
                while let (Some(kind), Some(n)) = (e.u8(), e.u16()) {
                    let Some(name) = e.take(n as usize) else {
                        break;
                    };
                    if kind == 0 && out.server_name.is_none() {
                        out.server_name = Some(String::from_utf8_lossy(name).to_ascii_lowercase());
                    }
                }
            }
            16 => {
                let _list = e.u16();
                while let Some(n) = e.u8() {
                    let Some(p) = e.take(n as usize) else { break };
                    if out.alpn.len() < 16 {
                        out.alpn.push(String::from_utf8_lossy(p).into_owned());
                    }
                }
            }
            43 => {
                let _n = e.u8();
                while let Some(v) = e.u16() {
                    if out.versions.len() < 16 {
                        out.versions.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sni_alpn_and_versions() {
        let sni = b"api.example.com";
        let mut ext = Vec::new();
        ext.extend([0, 0]);
        ext.extend(((sni.len() + 5) as u16).to_be_bytes());
        ext.extend(((sni.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend((sni.len() as u16).to_be_bytes());
        ext.extend(sni);
        ext.extend([0, 16, 0, 5, 0, 3, 2, b'h', b'2']);
        ext.extend([0, 43, 0, 5, 4, 3, 4, 3, 3]);
        let mut hello = vec![3, 3];
        hello.extend([0u8; 32]);
        hello.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
        hello.extend((ext.len() as u16).to_be_bytes());
        hello.extend(&ext);
        let mut hs = vec![1, 0];
        hs.extend((hello.len() as u16).to_be_bytes());
        hs.extend(&hello);
        let mut rec = vec![22, 3, 1];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(&hs);
        let c = client_hello(&rec).unwrap();
        assert_eq!(c.server_name.as_deref(), Some("api.example.com"));
        assert_eq!(c.alpn, ["h2"]);
        assert_eq!(c.versions, [0x0304, 0x0303]);
        for n in 0..rec.len() {
            let _ = client_hello(&rec[..n]);
        }
    }
}
