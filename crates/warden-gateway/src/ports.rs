//! Which bridge port each MAC address lives on.
//!
//! The LAN bridge's forwarding database says on which port it last saw each
//! source MAC. The gateway reads it from sysfs (`/sys/class/net/BRIDGE/
//! brforward`, `struct __fdb_entry` records, and each port's `brport/port_no`),
//! without a netlink library, to:
//!
//! - **pin** a device to the port it lives on when the gateway learns it: the
//!   bridge table then drops frames with that source MAC from any other
//!   port, before the bridge learns from them (see `warden-nft`'s `ports`
//!   chain), so a neighbour cannot speak with a device's MAC, move it in
//!   the forwarding database, or get it blamed;
//! - **name the port** a forged frame came from in an alert.
//!
//! What the bridge cannot tell apart, warden cannot either: devices behind
//! one port (a Wi-Fi interface with many clients, an unmanaged switch)
//! share it, and a MAC forged between them is not caught here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use warden_mud::MacAddr;

/// Where the kernel shows network interfaces (a test points it elsewhere).
#[derive(Debug, Clone)]
pub struct Sysfs {
    pub root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs {
            root: PathBuf::from("/sys/class/net"),
        }
    }
}

/// One learned (not local) entry: a MAC and the port it was last seen on.
#[derive(Debug, Clone, PartialEq)]
pub struct FdbEntry {
    pub mac: MacAddr,
    pub port: String,
    /// Seconds since the bridge last saw a frame from it.
    pub idle_s: f64,
}

impl Sysfs {
    /// Whether `ifc` is a Linux bridge.
    pub fn is_bridge(&self, ifc: &str) -> bool {
        safe_name(ifc) && self.root.join(ifc).join("bridge").is_dir()
    }

    /// Port number -> interface name, for the ports of `bridge`.
    fn ports(&self, bridge: &str) -> std::io::Result<HashMap<u16, String>> {
        let mut out = HashMap::new();
        for e in std::fs::read_dir(self.root.join(bridge).join("brif"))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(s) = std::fs::read_to_string(e.path().join("port_no")) else {
                continue;
            };
            let s = s.trim();
            if let Ok(n) = u16::from_str_radix(s.trim_start_matches("0x"), 16) {
                out.insert(n, name);
            }
        }
        Ok(out)
    }

    /// The learned entries of `bridge`'s forwarding database.
    pub fn fdb(&self, bridge: &str) -> std::io::Result<Vec<FdbEntry>> {
        if !safe_name(bridge) {
            return Err(std::io::Error::other("not an interface name"));
        }
        let ports = self.ports(bridge)?;
        let raw = read_capped(&self.root.join(bridge).join("brforward"), 16 << 20)?;
        Ok(parse_brforward(&raw, &ports))
    }

    /// MAC -> port for every bridge among `interfaces` (a MAC on two
    /// bridges keeps the first).
    pub fn homes(&self, interfaces: &[String]) -> BTreeMap<MacAddr, String> {
        let mut out = BTreeMap::new();
        for b in interfaces.iter().filter(|i| self.is_bridge(i)) {
            for e in self.fdb(b).unwrap_or_default() {
                out.entry(e.mac).or_insert(e.port);
            }
        }
        out
    }
}

fn safe_name(ifc: &str) -> bool {
    !ifc.is_empty() && ifc.len() < 16 && !ifc.contains('/') && ifc != "." && ifc != ".."
}

fn read_capped(p: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut v = Vec::new();
    std::fs::File::open(p)?.take(max).read_to_end(&mut v)?;
    Ok(v)
}

/// `struct __fdb_entry` records (16 bytes: MAC, port_no, is_local, ageing
/// timer in jiffies/100 (centiseconds), port_hi, padding); local entries
/// (the bridge's own addresses) are left out, as are ports not listed.
pub fn parse_brforward(raw: &[u8], ports: &HashMap<u16, String>) -> Vec<FdbEntry> {
    raw.chunks_exact(16)
        .filter_map(|r| {
            let mac: [u8; 6] = r[..6].try_into().ok()?;
            let port_no = u16::from(r[12]) << 8 | u16::from(r[6]);
            let local = r[7] != 0;
            let ageing = u32::from_ne_bytes(r[8..12].try_into().ok()?);
            if local {
                return None;
            }
            Some(FdbEntry {
                mac: MacAddr(mac),
                port: ports.get(&port_no)?.clone(),
                idle_s: f64::from(ageing) / 100.0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarding_database_is_read_from_sysfs() {
        let dir = std::env::temp_dir().join(format!("warden-fdb-{}", std::process::id()));
        let br = dir.join("br-lan");
        for (port, no) in [("lan0", "0x1"), ("wlan0", "0x102")] {
            std::fs::create_dir_all(br.join("brif").join(port)).unwrap();
            std::fs::write(br.join("brif").join(port).join("port_no"), no).unwrap();
        }
        std::fs::create_dir_all(br.join("bridge")).unwrap();
        let mut raw = Vec::new();
        // A camera on lan0, idle 1.5 s.
        raw.extend([2, 0x77, 0, 0, 0, 1, 1, 0]);
        raw.extend(150u32.to_ne_bytes());
        raw.extend([0, 0, 0, 0]);
        // A phone on port 0x102 (wlan0).
        raw.extend([2, 0x77, 0, 0, 0, 2, 2, 0]);
        raw.extend(0u32.to_ne_bytes());
        raw.extend([1, 0, 0, 0]);
        // The bridge's own address.
        raw.extend([2, 0x77, 0, 0, 0, 0xfe, 1, 1]);
        raw.extend(0u32.to_ne_bytes());
        raw.extend([0, 0, 0, 0]);
        // A port the bridge no longer has.
        raw.extend([2, 0x77, 0, 0, 0, 3, 9, 0]);
        raw.extend(0u32.to_ne_bytes());
        raw.extend([0, 0, 0, 0]);
        std::fs::write(br.join("brforward"), &raw).unwrap();
        let s = Sysfs { root: dir.clone() };
        assert!(s.is_bridge("br-lan"));
        assert!(!s.is_bridge("eth0"));
        assert!(!s.is_bridge("../br-lan"));
        let f = s.fdb("br-lan").unwrap();
        assert_eq!(
            f,
            vec![
                FdbEntry {
                    mac: MacAddr([2, 0x77, 0, 0, 0, 1]),
                    port: "lan0".into(),
                    idle_s: 1.5
                },
                FdbEntry {
                    mac: MacAddr([2, 0x77, 0, 0, 0, 2]),
                    port: "wlan0".into(),
                    idle_s: 0.0
                }
            ]
        );
        let homes = s.homes(&["br-lan".into(), "eth9".into()]);
        assert_eq!(homes.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
