//! LLDP (IEEE 802.1AB) TLVs: system name and the MUD URL carried in an
//! organizationally specific TLV (IANA OUI 00-00-5E, subtype 1, RFC 8520 §11).

use crate::Reader;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lldp {
    pub system_name: Option<String>,
    pub mud_url: Option<String>,
}

pub fn parse(b: &[u8]) -> Lldp {
    let mut out = Lldp::default();
    let mut r = Reader::new(b);
    while let Some(h) = r.u16() {
        let (t, len) = (h >> 9, (h & 0x1ff) as usize);
        if t == 0 {
            break;
        }
        let Some(v) = r.take(len) else { break };
        match (t, v) {
            (5, name) => out.system_name = Some(String::from_utf8_lossy(name).into_owned()),
            (127, [0x00, 0x00, 0x5e, 0x01, url @ ..]) => {
                out.mud_url = Some(String::from_utf8_lossy(url).into_owned())
            }
            _ => {}
        }
    }
    out
}
