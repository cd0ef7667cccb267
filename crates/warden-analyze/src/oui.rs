//! Vendor names from the IEEE OUI (MA-L) registry, compiled in at build time
//! (see build.rs). MA-M and MA-S sub-assignments are not split out: such
//! MACs show the MA-L holder, often the IEEE itself.

mod table {
    include!(concat!(env!("OUT_DIR"), "/oui.rs"));
}

/// The registered organisation of a MAC's OUI. None for locally
/// administered (often randomised) and group addresses, and for unknown OUIs.
pub fn vendor(mac: [u8; 6]) -> Option<&'static str> {
    if mac[0] & 0x03 != 0 {
        return None;
    }
    let p = (mac[0] as u32) << 16 | (mac[1] as u32) << 8 | mac[2] as u32;
    let i = table::PREFIXES.binary_search(&p).ok()?;
    let n = usize::from(*table::NAME_OF.get(i)?);
    let end = *table::NAME_ENDS.get(n)? as usize;
    let start = match n {
        0 => 0,
        _ => *table::NAME_ENDS.get(n - 1)? as usize,
    };
    table::NAMES.get(start..end)
}

/// Entries compiled in (0 when ieee-data was missing at build time).
pub fn len() -> usize {
    table::PREFIXES.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_registered_vendors_and_refuses_local_addresses() {
        assert!(
            len() > 30_000,
            "ieee-data must be installed when building the tests ({} entries)",
            len()
        );
        assert_eq!(
            vendor([0x50, 0xc7, 0xbf, 1, 2, 3]),
            Some("TP-LINK TECHNOLOGIES CO.,LTD.")
        );
        assert_eq!(
            vendor([0xb8, 0x27, 0xeb, 0, 0, 1]),
            Some("Raspberry Pi Foundation")
        );
        assert_eq!(
            vendor([0x02, 0x27, 0xeb, 0, 0, 1]),
            None,
            "locally administered"
        );
        assert_eq!(vendor([0x01, 0x00, 0x5e, 0, 0, 1]), None, "multicast");
    }

    #[test]
    fn every_prefix_has_its_own_nonempty_name() {
        assert_eq!(table::PREFIXES.len(), table::NAME_OF.len());
        assert!(table::PREFIXES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            table::NAME_ENDS.last().map(|&e| e as usize),
            Some(table::NAMES.len())
        );
        for &p in table::PREFIXES {
            let mac = [(p >> 16) as u8, (p >> 8) as u8, p as u8, 0, 0, 0];
            // Locally administered and group prefixes are refused by design.
            if mac[0] & 0x03 == 0 {
                let name = vendor(mac).expect("a registered prefix has a name");
                assert!(!name.is_empty() && name.trim() == name, "{p:06x}: {name:?}");
            }
        }
        assert_eq!(
            vendor([0x00, 0x00, 0x0c, 0, 0, 0]),
            Some("Cisco Systems, Inc")
        );
    }
}
