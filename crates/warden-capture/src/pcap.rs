//! Classic pcap: a 24-byte file header, then 16-byte record headers.

use crate::{CaptureError, Input, Link, Packet, PacketSource, MAX_PACKET};

pub(crate) struct PcapReader {
    input: Input,
    big_endian: bool,
    nanos: bool,
    link: Link,
    count: u64,
    done: bool,
}

impl PcapReader {
    pub(crate) fn new(mut input: Input) -> Result<PcapReader, CaptureError> {
        let mut h = [0u8; 24];
        let n = input.fill(&mut h)?;
        if n < 24 {
            return Err(CaptureError::Truncated {
                packet: 0,
                offset: n as u64,
                reason: "the 24-byte file header is cut short".into(),
            });
        }
        let (big_endian, nanos) = match [h[0], h[1], h[2], h[3]] {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            m => return Err(CaptureError::UnknownFormat(m.to_vec())),
        };
        let u32_at = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        // The upper bits of the link-type field carry FCS information
        // (LINKTYPE_EXT); the type itself is the low 16 bits.
        let link = Link::from_u32(u32_at(20) & 0xffff);
        Ok(PcapReader {
            input,
            big_endian,
            nanos,
            link,
            count: 0,
            done: false,
        })
    }
}

impl PacketSource for PcapReader {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let start = self.input.offset;
        let n = self.input.ensure(16)?;
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        let packet = self.count + 1;
        if n < 16 {
            self.done = true;
            return Err(CaptureError::Truncated {
                packet,
                offset: start,
                reason: format!("record header has {n} of 16 bytes"),
            });
        }
        let be = self.big_endian;
        let head = self.input.consume(16);
        let u = |i: usize| {
            let b = [head[i], head[i + 1], head[i + 2], head[i + 3]];
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (sec, frac, incl, orig) = (u(0), u(4), u(8) as usize, u(12));
        if incl > MAX_PACKET {
            self.done = true;
            return Err(CaptureError::Malformed {
                packet,
                offset: start,
                reason: format!("captured length {incl} exceeds the {MAX_PACKET}-byte maximum"),
            });
        }
        let got = self.input.ensure(incl)?;
        if got < incl {
            self.done = true;
            return Err(CaptureError::Truncated {
                packet,
                offset: start,
                reason: format!("packet data has {got} of {incl} bytes"),
            });
        }
        self.count = packet;
        let frac_ns = if self.nanos {
            frac as i64
        } else {
            frac as i64 * 1000
        };
        let link = self.link;
        Ok(Some(Packet {
            ts_nanos: crate::clamp_ts(sec as i64 * 1_000_000_000 + frac_ns),
            link,
            interface: 0,
            orig_len: orig,
            data: self.input.consume(incl),
        }))
    }

    fn packets_read(&self) -> u64 {
        self.count
    }

    fn bytes_read(&self) -> u64 {
        self.input.offset
    }
}
