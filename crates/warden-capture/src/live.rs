//! Live capture on a Linux interface through libpcap (the `pcap` crate's
//! safe API: no `unsafe` here), behind the same [`PacketSource`] trait as
//! files, with an optional BPF filter and an optional deadline.

use crate::{CaptureError, Link, Packet, PacketSource};
use std::time::Instant;

pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    link: Link,
    deadline: Option<Instant>,
    count: u64,
    /// The current packet, copied out of libpcap's buffer (the borrow
    /// checker cannot yet return a borrow taken inside a retry loop).
    buf: Vec<u8>,
    last_ts: i64,
    last_len: u32,
}

impl LiveSource {
    /// The packet the last successful [`LiveSource::poll`] read.
    fn last(&self) -> Packet<'_> {
        Packet {
            ts_nanos: self.last_ts,
            link: self.link,
            interface: 0,
            orig_len: self.last_len,
            data: &self.buf,
        }
    }

    /// Opens `interface` (promiscuous, immediate mode). `filter` is a BPF
    /// expression (tcpdump syntax); `deadline` ends the stream.
    pub fn open(
        interface: &str,
        filter: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<LiveSource, CaptureError> {
        let live = |e: pcap::Error| CaptureError::Live(format!("{interface}: {e}"));
        let mut cap = pcap::Capture::from_device(interface)
            .map_err(live)?
            .promisc(true)
            .snaplen(crate::MAX_PACKET as i32)
            .immediate_mode(true)
            .timeout(100)
            .open()
            .map_err(live)?
            // Non-blocking, and waited on with poll(2) below: libpcap's
            // read timeout does not wake a TPACKET_V3 reader while no
            // packet arrives, so a blocking read on a quiet interface
            // never returned and a deadline never ended the capture.
            .setnonblock()
            .map_err(live)?;
        if let Some(f) = filter {
            cap.filter(f, true)
                .map_err(|e| CaptureError::Live(format!("filter `{f}`: {e}")))?;
        }
        let link = Link::from_u32(cap.get_datalink().0 as u32);
        Ok(LiveSource {
            cap,
            link,
            deadline,
            count: 0,
            buf: Vec::new(),
            last_ts: 0,
            last_len: 0,
        })
    }
}

/// What one wait on a live interface gave.
pub enum Poll<'a> {
    Packet(Packet<'a>),
    /// Nothing arrived within the read timeout (100 ms): a quiet network
    /// still lets the caller keep time (end flows by the clock, say).
    Idle,
    /// The deadline passed or the interface went away.
    End,
}

impl LiveSource {
    /// Waits at most 100 ms for the next packet.
    pub fn poll(&mut self) -> Result<Poll<'_>, CaptureError> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Poll::End);
        }
        // Read first: libpcap may hold packets of a block it already took
        // from the kernel, which poll(2) does not report. Only when nothing
        // is there, wait for the fd, then read once more.
        let mut got = self.read_one()?;
        if got == Read::Nothing && self.readable()? {
            got = self.read_one()?;
        }
        Ok(match got {
            Read::Got => Poll::Packet(self.last()),
            Read::Nothing => Poll::Idle,
            Read::End => Poll::End,
        })
    }

    /// One non-blocking read into the buffer.
    fn read_one(&mut self) -> Result<Read, CaptureError> {
        let (ts, orig) = match self.cap.next_packet() {
            Ok(p) => {
                self.buf.clear();
                self.buf.extend_from_slice(p.data);
                (
                    // time_t and suseconds_t are 32 bits on 32-bit routers
                    // (MIPS, ARMv7): widen before scaling (a no-op on
                    // 64-bit, which clippy would call useless).
                    #[allow(clippy::useless_conversion)]
                    crate::clamp_ts(
                        i64::from(p.header.ts.tv_sec)
                            .saturating_mul(1_000_000_000)
                            .saturating_add(i64::from(p.header.ts.tv_usec).saturating_mul(1000)),
                    ),
                    p.header.len,
                )
            }
            Err(pcap::Error::TimeoutExpired) => return Ok(Read::Nothing),
            Err(pcap::Error::NoMorePackets) => return Ok(Read::End),
            Err(e) => return Err(CaptureError::Live(e.to_string())),
        };
        self.count += 1;
        self.last_ts = ts;
        self.last_len = orig;
        Ok(Read::Got)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Got,
    Nothing,
    End,
}

impl LiveSource {
    /// Waits up to 100 ms (less when the deadline is nearer) for the
    /// capture to have something to read. A packet already buffered by
    /// libpcap counts: the fd is then readable, or the next read returns it.
    fn readable(&mut self) -> Result<bool, CaptureError> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let mut wait = std::time::Duration::from_millis(100);
        if let Some(d) = self.deadline {
            wait = wait.min(d.saturating_duration_since(Instant::now()));
        }
        let t = Timespec {
            tv_sec: 0,
            tv_nsec: wait.subsec_nanos() as _,
        };
        let mut fds = [PollFd::new(&self.cap, PollFlags::IN)];
        match poll(&mut fds, Some(&t)) {
            Ok(n) => Ok(n > 0),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(e) => Err(CaptureError::Live(format!("poll: {e}"))),
        }
    }
}

impl PacketSource for LiveSource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            // (Polonius would let the packet be returned from inside the
            // loop; today a quiet interval is retried, then the packet is
            // read out again through `last`.)
            match self.poll()? {
                Poll::Packet(_) => break,
                Poll::Idle => continue,
                Poll::End => return Ok(None),
            }
        }
        Ok(Some(self.last()))
    }

    fn packets_read(&self) -> u64 {
        self.count
    }
}
