//! # warden-capture: packets in, from files
//!
//! Reads pcap (both byte orders, micro- and nanosecond timestamps) and pcapng
//! (SHB, IDB, EPB, SPB; NRB, ISB and unknown blocks skipped; several
//! interfaces and link types in one file), plain or gzip-compressed, behind
//! one [`PacketSource`] trait. [`PcapWriter`] writes pcap files for tests,
//! evidence export and replays.
//!
//! ```
//! use warden_capture::{open_reader, PacketSource, PcapWriter, Link};
//! let mut buf = Vec::new();
//! let mut w = PcapWriter::new(&mut buf, Link::Ethernet, 65535).unwrap();
//! w.write(1_700_000_000_000_000_000, &[0u8; 60], 60).unwrap();
//! drop(w);
//! let mut r = open_reader(std::io::Cursor::new(buf)).unwrap();
//! let p = r.next_packet().unwrap().unwrap();
//! assert_eq!((p.link, p.data.len(), p.ts_nanos), (Link::Ethernet, 60, 1_700_000_000_000_000_000));
//! ```
//!
//! Every length read from a file is bounded before anything is allocated:
//! a record may hold at most [`MAX_PACKET`] bytes and a pcapng block at most
//! [`MAX_BLOCK`]. A malformed file yields an error naming the packet number
//! and byte offset; the packets before it have already been returned.
//!
//! [`LiveSource`] reads a Linux interface through libpcap, with a BPF filter.
//!
//! Not handled yet: pcapng compression and encryption blocks, the
//! Decryption Secrets Block.
#![forbid(unsafe_code)]

mod live;
mod pcap;
mod pcapng;
mod writer;

pub use live::{LiveSource, Poll};
pub use writer::PcapWriter;

use std::io::Read;

/// Largest packet a record may carry (the libpcap maximum snap length).
pub const MAX_PACKET: usize = 262_144;
/// Largest pcapng block accepted.
pub const MAX_BLOCK: usize = 16 * 1024 * 1024;

/// The link-layer header type of a packet: warden-wire's model.
pub use warden_wire::Link;

/// One captured packet, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Nanoseconds since the Unix epoch, clamped to `0..=MAX_TS_NS` by
    /// every reader, so that no difference or small sum of two timestamps
    /// overflows downstream whatever a hostile capture says.
    pub ts_nanos: i64,
    pub link: Link,
    /// Interface index (pcapng); 0 for pcap.
    pub interface: u32,
    /// Length on the wire; `data` may be shorter (snap length).
    pub orig_len: u32,
    pub data: &'a [u8],
}

/// The latest timestamp a packet may carry: 2^62 ns after the epoch (the
/// year 2116). Earlier than the epoch is clamped to 0.
pub const MAX_TS_NS: i64 = 1 << 62;

/// Clamps a timestamp read from a capture to `0..=MAX_TS_NS`.
pub fn clamp_ts(ns: i64) -> i64 {
    ns.clamp(0, MAX_TS_NS)
}

/// Anything that yields packets: files now, live interfaces later.
pub trait PacketSource {
    /// The next packet, `Ok(None)` at the end. After an error the source is
    /// finished: hostile files do not get a second chance to confuse it.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;
    /// Packets returned so far.
    fn packets_read(&self) -> u64;
    /// Bytes of the (decompressed) stream consumed so far, for progress.
    fn bytes_read(&self) -> u64 {
        0
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Reading the underlying file failed.
    #[error("read error")]
    Io(#[from] std::io::Error),
    /// Neither a pcap nor a pcapng magic number (nor gzip around one).
    #[error("not a pcap or pcapng file (first bytes {0:02x?})")]
    UnknownFormat(Vec<u8>),
    /// The structure is broken at this place.
    #[error("malformed capture at packet {packet}, byte offset {offset}: {reason}")]
    Malformed {
        packet: u64,
        offset: u64,
        reason: String,
    },
    /// Opening or reading a live interface failed (no such interface, no
    /// permission, a BPF filter that does not compile).
    #[error("live capture: {0}")]
    Live(String),
    /// The file ends inside a record or block.
    #[error("capture truncated at packet {packet}, byte offset {offset}: {reason}")]
    Truncated {
        packet: u64,
        offset: u64,
        reason: String,
    },
}

/// Opens a pcap or pcapng stream, decompressing gzip transparently.
pub fn open_reader<R: Read + 'static>(r: R) -> Result<Box<dyn PacketSource>, CaptureError> {
    open_boxed(Box::new(r), true)
}

fn open_boxed(
    mut r: Box<dyn Read>,
    gzip_allowed: bool,
) -> Result<Box<dyn PacketSource>, CaptureError> {
    let mut magic = [0u8; 4];
    let n = read_full(&mut r, &mut magic)?;
    let head = magic.get(..n).unwrap_or_default().to_vec();
    let chained = std::io::Cursor::new(head.clone()).chain(r);
    if gzip_allowed && head.starts_with(&[0x1f, 0x8b]) {
        // One level of gzip; a gzip inside a gzip is not a capture.
        let gz = flate2::read::MultiGzDecoder::new(chained);
        return open_boxed(
            Box::new(std::io::BufReader::with_capacity(1 << 16, gz)),
            false,
        );
    }
    let input = Input::new(Box::new(chained));
    match head.as_slice() {
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d] => Ok(Box::new(pcap::PcapReader::new(input)?)),
        [0x0a, 0x0d, 0x0d, 0x0a] => Ok(Box::new(pcapng::PcapngReader::new(input)?)),
        _ => Err(CaptureError::UnknownFormat(head)),
    }
}

/// The capture files (`.pcap`, `.pcapng`, `.cap`, `.gz`) below `dir`,
/// sorted, following no symbolic links.
pub fn captures_in(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d)? {
            let e = e?;
            let t = e.file_type()?;
            let p = e.path();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file()
                && p.extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap" || x == "gz")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Opens a file by path.
pub fn open_path(path: &std::path::Path) -> Result<Box<dyn PacketSource>, CaptureError> {
    let f = std::fs::File::open(path)?;
    open_reader(std::io::BufReader::with_capacity(1 << 16, f))
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A byte stream with a position (for error messages) and its own buffer:
/// records are handed out as slices of it, without another copy.
pub(crate) struct Input {
    r: Box<dyn Read>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Stream offset of `buf[pos]`.
    pub offset: u64,
}

const CHUNK: usize = 1 << 20;

impl Input {
    fn new(r: Box<dyn Read>) -> Input {
        Input {
            r,
            buf: Vec::new(),
            pos: 0,
            len: 0,
            offset: 0,
        }
    }

    /// Makes at least `n` bytes available (fewer at the end of the stream);
    /// returns how many are available.
    pub fn ensure(&mut self, n: usize) -> std::io::Result<usize> {
        if self.len - self.pos >= n {
            return Ok(self.len - self.pos);
        }
        // Move what is left to the front, grow if a record is bigger than a chunk.
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        let want = n.max(CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        while self.len < n {
            match self
                .r
                .read(self.buf.get_mut(self.len..).unwrap_or_default())
            {
                Ok(0) => break,
                Ok(k) => self.len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.len - self.pos)
    }

    /// Takes `n` bytes that `ensure` made available.
    pub fn consume(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.len - self.pos);
        let s = self.buf.get(self.pos..self.pos + n).unwrap_or_default();
        self.pos += n;
        self.offset += n as u64;
        s
    }

    /// Fills `out` completely; returns how many bytes were copied (less at EOF).
    pub fn fill(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut done = 0;
        while done < out.len() {
            let want = (out.len() - done).min(CHUNK);
            let have = self.ensure(want)?.min(want);
            if have == 0 {
                break;
            }
            let src = self.consume(have);
            out.get_mut(done..done + src.len())
                .unwrap_or_default()
                .copy_from_slice(src);
            done += have;
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    type Outcome = (Vec<(i64, Link, u32, Vec<u8>)>, Option<CaptureError>);

    fn read_all(bytes: Vec<u8>) -> Outcome {
        let mut r = match open_reader(Cursor::new(bytes)) {
            Ok(r) => r,
            Err(e) => return (vec![], Some(e)),
        };
        let mut out = Vec::new();
        loop {
            match r.next_packet() {
                Ok(Some(p)) => out.push((p.ts_nanos, p.link, p.interface, p.data.to_vec())),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn pcap(big: bool, nanos: bool, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        let w32 = |v: &mut Vec<u8>, x: u32| {
            v.extend(if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        w32(&mut v, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        v.extend(if big { [0, 2, 0, 4] } else { [2, 0, 4, 0] });
        w32(&mut v, 0);
        w32(&mut v, 0);
        w32(&mut v, 65535);
        w32(&mut v, 1);
        for (s, f, d) in records {
            w32(&mut v, *s);
            w32(&mut v, *f);
            w32(&mut v, d.len() as u32);
            w32(&mut v, d.len() as u32);
            v.extend_from_slice(d);
        }
        v
    }

    #[test]
    fn reads_pcap_in_both_byte_orders_and_resolutions() {
        for big in [false, true] {
            let (p, e) = read_all(pcap(big, false, &[(10, 5, b"abc"), (11, 0, b"")]));
            assert!(e.is_none());
            assert_eq!(p[0].0, 10_000_005_000);
            assert_eq!(p[0].3, b"abc");
            assert_eq!(p.len(), 2);
            let (p, _) = read_all(pcap(big, true, &[(10, 5, b"x")]));
            assert_eq!(p[0].0, 10_000_000_005);
        }
    }

    #[test]
    fn truncated_pcap_returns_the_complete_packets_then_an_error_with_the_place() {
        let mut b = pcap(false, false, &[(1, 0, b"abcd"), (2, 0, b"efgh")]);
        b.truncate(b.len() - 2);
        let (p, e) = read_all(b);
        assert_eq!(p.len(), 1);
        let e = e.unwrap().to_string();
        assert!(
            e.contains("packet 2") && e.contains("byte offset 44"),
            "{e}"
        );
    }

    #[test]
    fn refuses_absurd_record_lengths_without_allocating() {
        let mut b = pcap(false, false, &[]);
        b.extend(1u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(u32::MAX.to_le_bytes());
        b.extend(u32::MAX.to_le_bytes());
        let (_, e) = read_all(b);
        assert!(matches!(e, Some(CaptureError::Malformed { .. })));
    }

    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let total = 12 + body.len().div_ceil(4) * 4;
        let mut v = Vec::new();
        v.extend(t.to_le_bytes());
        v.extend((total as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(total - 4, 0);
        v.extend((total as u32).to_le_bytes());
        v
    }

    fn pcapng_two_interfaces() -> Vec<u8> {
        let mut v = block(
            0x0A0D_0D0A,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        );
        // Interface 0: Ethernet, microseconds. Interface 1: raw IP, nanoseconds (if_tsresol = 9).
        v.extend(block(1, &[1, 0, 0, 0, 0, 0, 1, 0]));
        v.extend(block(
            1,
            &[101, 0, 0, 0, 0, 0, 1, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0],
        ));
        let epb = |iface: u32, ts: u64, data: &[u8]| {
            let mut b = Vec::new();
            b.extend(iface.to_le_bytes());
            b.extend(((ts >> 32) as u32).to_le_bytes());
            b.extend((ts as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            block(6, &b)
        };
        v.extend(epb(0, 1_000_001, b"eth"));
        v.extend(block(0x0BAD, b"custom block to skip"));
        v.extend(block(4, &[0; 8])); // name resolution block
        v.extend(epb(1, 2_000_000_007, b"raw"));
        v
    }

    #[test]
    fn reads_pcapng_with_several_interfaces_link_types_and_resolutions() {
        let (p, e) = read_all(pcapng_two_interfaces());
        assert!(e.is_none(), "{e:?}");
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].0, p[0].1, p[0].2, p[0].3.as_slice()),
            (1_000_001_000, Link::Ethernet, 0, &b"eth"[..])
        );
        assert_eq!(
            (p[1].0, p[1].1, p[1].2, p[1].3.as_slice()),
            (2_000_000_007, Link::Raw, 1, &b"raw"[..])
        );
    }

    #[test]
    fn pcapng_packet_for_an_undescribed_interface_is_malformed() {
        let mut v = pcapng_two_interfaces();
        let mut b = Vec::new();
        b.extend(7u32.to_le_bytes());
        b.extend([0u8; 16]);
        v.extend(block(6, &b));
        let (p, e) = read_all(v);
        assert_eq!(p.len(), 2);
        assert!(e.unwrap().to_string().contains("interface 7"));
    }

    #[test]
    fn reads_gzip_compressed_captures() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&pcapng_two_interfaces()).unwrap();
        let (p, e) = read_all(gz.finish().unwrap());
        assert!(e.is_none());
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn writer_round_trips() {
        let mut w = PcapWriter::new(Vec::new(), Link::Raw, 4).unwrap();
        w.write(1_700_000_000_123_456_789, b"abcdef", 6).unwrap();
        let (p, _) = read_all(w.into_inner());
        assert_eq!(
            (p[0].0, p[0].1, p[0].3.as_slice()),
            (1_700_000_000_123_456_789, Link::Raw, &b"abcd"[..])
        );
    }

    #[test]
    fn unknown_format_names_its_first_bytes() {
        let (_, e) = read_all(b"GIF89a".to_vec());
        assert!(e.unwrap().to_string().contains("47, 49, 46, 38"));
    }
}
