//! Live capture on a Linux interface through libpcap (the `pcap` crate's
//! safe API: no `unsafe` here), behind the same [`PacketSource`] trait as
//! files, with an optional BPF filter and an optional deadline.

use crate::{CaptureError, LinkType, Packet, PacketSource};
use std::time::Instant;

pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    link: LinkType,
    deadline: Option<Instant>,
    count: u64,
    /// The current packet, copied out of libpcap's buffer (the borrow
    /// checker cannot yet return a borrow taken inside a retry loop).
    buf: Vec<u8>,
}

impl LiveSource {
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
            .map_err(live)?;
        if let Some(f) = filter {
            cap.filter(f, true)
                .map_err(|e| CaptureError::Live(format!("filter `{f}`: {e}")))?;
        }
        let link = LinkType::from_u32(cap.get_datalink().0 as u32);
        Ok(LiveSource {
            cap,
            link,
            deadline,
            count: 0,
            buf: Vec::new(),
        })
    }
}

impl PacketSource for LiveSource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let (ts, orig) = loop {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            match self.cap.next_packet() {
                Ok(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(p.data);
                    break (
                        p.header.ts.tv_sec * 1_000_000_000 + p.header.ts.tv_usec * 1000,
                        p.header.len,
                    );
                }
                Err(pcap::Error::TimeoutExpired) => continue,
                Err(pcap::Error::NoMorePackets) => return Ok(None),
                Err(e) => return Err(CaptureError::Live(e.to_string())),
            }
        };
        self.count += 1;
        Ok(Some(Packet {
            ts_nanos: ts,
            link: self.link,
            interface: 0,
            orig_len: orig,
            data: &self.buf,
        }))
    }

    fn packets_read(&self) -> u64 {
        self.count
    }
}
