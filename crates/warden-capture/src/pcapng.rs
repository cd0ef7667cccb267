//! pcapng: blocks of (type, total length, body, total length). The byte order
//! is set by each Section Header Block; interfaces are per section.

use crate::{CaptureError, Input, Link, Packet, PacketSource, MAX_BLOCK, MAX_PACKET};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const SPB: u32 = 3;
const EPB: u32 = 6;
const OBSOLETE_PB: u32 = 2;
/// Cap on interfaces per section: a hostile file must not grow this table without bound.
const MAX_INTERFACES: usize = 4096;

struct Iface {
    link: Link,
    snaplen: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
}

pub(crate) struct PcapngReader {
    input: Input,
    big_endian: bool,
    ifaces: Vec<Iface>,
    block: Vec<u8>,
    /// Where the packet data lies inside `block`, and its metadata.
    current: Option<(usize, usize, i64, u32, u32)>,
    count: u64,
    done: bool,
}

impl PcapngReader {
    pub(crate) fn new(input: Input) -> Result<PcapngReader, CaptureError> {
        Ok(PcapngReader {
            input,
            big_endian: false,
            ifaces: Vec::new(),
            block: Vec::new(),
            current: None,
            count: 0,
            done: false,
        })
    }

    fn u32(&self, b: &[u8], i: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }

    fn u16(&self, b: &[u8], i: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(i..i + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }

    fn malformed(&mut self, offset: u64, reason: String) -> CaptureError {
        self.done = true;
        CaptureError::Malformed {
            packet: self.count + 1,
            offset,
            reason,
        }
    }

    /// Reads the next block into `self.block` (body only). Returns its type.
    fn read_block(&mut self) -> Result<Option<(u32, u64)>, CaptureError> {
        let start = self.input.offset;
        let mut head = [0u8; 8];
        let n = self.input.fill(&mut head)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            self.done = true;
            return Err(CaptureError::Truncated {
                packet: self.count + 1,
                offset: start,
                reason: format!("block header has {n} of 8 bytes"),
            });
        }
        let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if raw_type == SHB {
            // The byte order comes from the magic after the length.
            let mut magic = [0u8; 4];
            if self.input.fill(&mut magic)? < 4 {
                self.done = true;
                return Err(CaptureError::Truncated {
                    packet: self.count + 1,
                    offset: start,
                    reason: "section header cut short".into(),
                });
            }
            self.big_endian = match magic {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                m => return Err(self.malformed(start, format!("bad byte-order magic {m:02x?}"))),
            };
            let total = self.u32(&head, 4).unwrap_or(0) as usize;
            if !(28..=MAX_BLOCK).contains(&total) || total % 4 != 0 {
                return Err(
                    self.malformed(start, format!("section header length {total} is not valid"))
                );
            }
            self.block.resize(total - 12, 0);
            let mut rest = std::mem::take(&mut self.block);
            let got = self.input.fill(&mut rest)?;
            self.block = rest;
            if got < total - 12 {
                self.done = true;
                return Err(CaptureError::Truncated {
                    packet: self.count + 1,
                    offset: start,
                    reason: "section header cut short".into(),
                });
            }
            self.ifaces.clear();
            return Ok(Some((SHB, start)));
        }
        let block_type = self.u32(&head, 0).unwrap_or(0);
        let total = self.u32(&head, 4).unwrap_or(0) as usize;
        if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
            return Err(self.malformed(start, format!("block length {total} is not valid")));
        }
        let mut body = std::mem::take(&mut self.block);
        body.resize(total - 8, 0);
        let got = self.input.fill(&mut body)?;
        self.block = body;
        if got < total - 8 {
            self.done = true;
            return Err(CaptureError::Truncated {
                packet: self.count + 1,
                offset: start,
                reason: format!("block of {total} bytes has only {} bytes", got + 8),
            });
        }
        let trailer = self.u32(&self.block, total - 12).unwrap_or(0) as usize;
        if trailer != total {
            return Err(self.malformed(
                start,
                format!("block length {total} and trailing length {trailer} differ"),
            ));
        }
        self.block.truncate(total - 12);
        Ok(Some((block_type, start)))
    }

    fn interface(&mut self, start: u64) -> Result<(), CaptureError> {
        let b = &self.block;
        let link = self
            .u16(b, 0)
            .ok_or(())
            .map_err(|_| self.malformed(start, "interface block too short".into()))?;
        let snaplen = self.u32(&self.block, 4).unwrap_or(0);
        let mut units_per_sec = 1_000_000u64;
        // Options: code, length, value padded to 4.
        let mut i = 8;
        while let (Some(code), Some(len)) = (self.u16(&self.block, i), self.u16(&self.block, i + 2))
        {
            let len = len as usize;
            if code == 0 {
                break;
            }
            if code == 9 && len >= 1 {
                if let Some(&r) = self.block.get(i + 4) {
                    let exp = (r & 0x7f) as u32;
                    units_per_sec = if r & 0x80 == 0 {
                        10u64.checked_pow(exp)
                    } else {
                        2u64.checked_pow(exp)
                    }
                    .unwrap_or(0);
                    if units_per_sec == 0 {
                        return Err(self.malformed(
                            start,
                            format!("timestamp resolution {r:#x} is out of range"),
                        ));
                    }
                }
            }
            i += 4 + len.div_ceil(4) * 4;
        }
        if self.ifaces.len() >= MAX_INTERFACES {
            return Err(self.malformed(
                start,
                format!("more than {MAX_INTERFACES} interfaces in one section"),
            ));
        }
        self.ifaces.push(Iface {
            link: Link::from_u32(link as u32),
            snaplen,
            units_per_sec,
        });
        Ok(())
    }
}

fn ts(high: u32, low: u32, units: u64) -> i64 {
    let t = ((high as u64) << 32) | low as u64;
    let units = units.max(1);
    // In u128: no step can overflow; then clamped into range.
    let ns =
        (t / units) as u128 * 1_000_000_000 + (t % units) as u128 * 1_000_000_000 / units as u128;
    crate::clamp_ts(ns.min(crate::MAX_TS_NS as u128) as i64)
}

impl PacketSource for PcapngReader {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let Some((kind, start)) = self.read_block()? else {
                self.done = true;
                return Ok(None);
            };
            match kind {
                SHB => {}
                IDB => self.interface(start)?,
                EPB | OBSOLETE_PB => {
                    let b = &self.block;
                    let (Some(ifid), Some(high), Some(low), Some(cap), Some(orig)) = (
                        self.u32(b, 0),
                        self.u32(b, 4),
                        self.u32(b, 8),
                        self.u32(b, 12),
                        self.u32(b, 16),
                    ) else {
                        return Err(self.malformed(
                            start,
                            "packet block shorter than its fixed fields".into(),
                        ));
                    };
                    // The obsolete Packet Block has a 16-bit interface id and drop count.
                    let ifid = if kind == OBSOLETE_PB {
                        ifid & 0xffff
                    } else {
                        ifid
                    };
                    let cap = cap as usize;
                    if cap > MAX_PACKET || 20 + cap > self.block.len() {
                        return Err(self.malformed(
                            start,
                            format!("captured length {cap} does not fit its block"),
                        ));
                    }
                    let Some(iface) = self.ifaces.get(ifid as usize) else {
                        return Err(self.malformed(
                            start,
                            format!("packet names interface {ifid}, which was not described"),
                        ));
                    };
                    let t = ts(high, low, iface.units_per_sec);
                    self.current = Some((20, 20 + cap, t, orig, ifid));
                }
                SPB => {
                    let Some(orig) = self.u32(&self.block, 0) else {
                        return Err(self.malformed(start, "simple packet block too short".into()));
                    };
                    let Some(iface) = self.ifaces.first() else {
                        return Err(self
                            .malformed(start, "simple packet block before any interface".into()));
                    };
                    let mut cap = (orig as usize).min(self.block.len().saturating_sub(4));
                    if iface.snaplen > 0 {
                        cap = cap.min(iface.snaplen as usize);
                    }
                    if cap > MAX_PACKET {
                        return Err(self.malformed(
                            start,
                            format!("captured length {cap} exceeds the maximum"),
                        ));
                    }
                    self.current = Some((4, 4 + cap, 0, orig, 0));
                }
                // Name resolution, statistics, custom and unknown blocks.
                _ => continue,
            }
            if let Some((a, b, t, orig, ifid)) = self.current.take() {
                self.count += 1;
                let link = self
                    .ifaces
                    .get(ifid as usize)
                    .map(|i| i.link)
                    .unwrap_or(Link::Other(u32::MAX));
                let data = self.block.get(a..b).unwrap_or_default();
                return Ok(Some(Packet {
                    ts_nanos: t,
                    link,
                    interface: ifid,
                    orig_len: orig,
                    data,
                }));
            }
        }
    }

    fn packets_read(&self) -> u64 {
        self.count
    }

    fn bytes_read(&self) -> u64 {
        self.input.offset
    }
}
