//! A pcap writer (nanosecond timestamps, little endian).

use crate::Link;
use std::io::Write;

pub struct PcapWriter<W: Write> {
    w: W,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut w: W, link: Link, snaplen: u32) -> std::io::Result<PcapWriter<W>> {
        w.write_all(&0xa1b2_3c4du32.to_le_bytes())?;
        w.write_all(&2u16.to_le_bytes())?;
        w.write_all(&4u16.to_le_bytes())?;
        w.write_all(&0i32.to_le_bytes())?;
        w.write_all(&0u32.to_le_bytes())?;
        w.write_all(&snaplen.to_le_bytes())?;
        w.write_all(&link.to_u32().to_le_bytes())?;
        Ok(PcapWriter { w, snaplen })
    }

    /// Writes one packet; data beyond the snap length is cut.
    pub fn write(&mut self, ts_nanos: i64, data: &[u8], orig_len: u32) -> std::io::Result<()> {
        let data = data
            .get(..data.len().min(self.snaplen as usize))
            .unwrap_or_default();
        let secs = ts_nanos.div_euclid(1_000_000_000) as u32;
        let nanos = ts_nanos.rem_euclid(1_000_000_000) as u32;
        self.w.write_all(&secs.to_le_bytes())?;
        self.w.write_all(&nanos.to_le_bytes())?;
        self.w.write_all(&(data.len() as u32).to_le_bytes())?;
        self.w
            .write_all(&orig_len.max(data.len() as u32).to_le_bytes())?;
        self.w.write_all(data)
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}
