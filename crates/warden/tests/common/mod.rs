//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The shared corpus, read in place (../shared/corpus from the repository root).
pub fn corpus() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join("../shared/corpus");
    assert!(
        p.is_dir(),
        "the shared corpus is missing at {}",
        p.display()
    );
    p
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A network namespace made for one test and removed when dropped, so that
/// `nft -c` runs against a kernel view that no other process shares.
pub struct Netns(pub String);

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("wdn-{tag}-{}", std::process::id());
        let st = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("run ip");
        assert!(
            st.success(),
            "ip netns add {name} failed: the nft tests need root and iproute2"
        );
        Netns(name)
    }

    /// Runs `nft -c [-j] -f FILE` inside the namespace; returns stderr on failure.
    pub fn nft_check(&self, file: &std::path::Path, json: bool) -> Result<(), String> {
        let mut args = vec!["netns", "exec", &self.0, "nft", "-c"];
        if json {
            args.push("-j");
        }
        let f = file.to_str().unwrap();
        args.extend(["-f", f]);
        let out = Command::new("ip").args(&args).output().expect("run nft");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Frame builders for captures the tests write (Ethernet, IPv4, TCP, UDP,
/// DNS, DHCP), so that a scenario is spelled out packet by packet.
pub mod frames {
    use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};

    /// A transport header and its payload, written by warden-wire's emitter.
    #[derive(Clone)]
    pub struct L4 {
        repr: TransportRepr,
        payload: Vec<u8>,
    }

    /// An IPv4 packet waiting for its link layer.
    pub struct Ip4 {
        repr: IpRepr,
        l4: L4,
    }

    /// IPv4 around `l4`; `proto` says what the scenario means to send and
    /// must be the transport's protocol.
    pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &L4) -> Ip4 {
        assert_eq!(
            proto,
            l4.repr.protocol(),
            "ipv4(): protocol and transport disagree"
        );
        Ip4 {
            repr: IpRepr::v4(src, dst),
            l4: l4.clone(),
        }
    }

    /// An Ethernet frame with lengths and checksums computed.
    pub fn eth(src: [u8; 6], dst: [u8; 6], ip: Ip4) -> Vec<u8> {
        EthernetRepr::new(src, dst).ip(&ip.repr, &ip.l4.repr, &ip.l4.payload)
    }

    pub const SYN: u8 = 0x02;
    pub const SYNACK: u8 = 0x12;
    pub const ACK: u8 = 0x10;

    pub fn tcp(sp: u16, dp: u16, seq: u32, ack: u32, flags: u8) -> L4 {
        L4 {
            repr: TransportRepr::tcp(sp, dp, seq, ack, flags),
            payload: Vec::new(),
        }
    }

    pub fn udp(sp: u16, dp: u16, payload: &[u8]) -> L4 {
        L4 {
            repr: TransportRepr::udp(sp, dp),
            payload: payload.to_vec(),
        }
    }

    fn name(n: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for l in n.split('.') {
            v.push(l.len() as u8);
            v.extend(l.as_bytes());
        }
        v.push(0);
        v
    }

    /// A DNS query (answer None) or an answer with one A record.
    pub fn dns(id: u16, q: &str, answer: Option<([u8; 4], u32)>) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend(if answer.is_some() {
            [0x81, 0x80]
        } else {
            [0x01, 0x00]
        });
        m.extend([0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
        m.extend(name(q));
        m.extend([0, 1, 0, 1]);
        if let Some((a, ttl)) = answer {
            m.extend([0xc0, 12, 0, 1, 0, 1]);
            m.extend(ttl.to_be_bytes());
            m.extend([0, 4]);
            m.extend(a);
        }
        m
    }

    /// A DHCPv4 message: op 1 (request, with a MUD URL) or 2 (ACK with
    /// router, DNS and NTP options).
    pub fn dhcp(
        op: u8,
        mac: [u8; 6],
        yiaddr: [u8; 4],
        mud_url: Option<&str>,
        server: [u8; 4],
    ) -> Vec<u8> {
        let mut m = vec![op, 1, 6, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0];
        m.extend([0; 4]);
        m.extend(yiaddr);
        m.extend([0; 8]);
        m.extend(mac);
        m.extend([0; 10]);
        m.extend([0; 192]);
        m.extend([99, 130, 83, 99]);
        m.extend([53, 1, if op == 1 { 3 } else { 5 }]);
        if let Some(u) = mud_url {
            m.push(161);
            m.push(u.len() as u8);
            m.extend(u.as_bytes());
        }
        if op == 2 {
            for code in [3u8, 6, 42] {
                m.extend([code, 4]);
                m.extend(server);
            }
        }
        m.push(255);
        m
    }

    /// Writes (time in seconds, frame) pairs as an Ethernet pcap.
    pub fn write_pcap(path: &std::path::Path, packets: &[(f64, Vec<u8>)]) {
        let f = std::fs::File::create(path).unwrap();
        let mut w = warden_capture::PcapWriter::new(
            std::io::BufWriter::new(f),
            warden_capture::Link::Ethernet,
            65535,
        )
        .unwrap();
        let t0: i64 = 1_735_689_600_000_000_000; // 2025-01-01
        for (t, d) in packets {
            w.write(t0 + (t * 1e9) as i64, d, d.len() as u32).unwrap();
        }
    }
}
