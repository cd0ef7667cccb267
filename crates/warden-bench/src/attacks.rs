//! Synthetic, labelled attack captures for what the corpus lacks: a local
//! device that scans like Mirai, floods, tortures a DNS domain or serves as
//! a reflector, plus benign traffic shaped like the attacks' near misses
//! (a video upload at a steady rate). Every capture is written from a fixed
//! seed by [`write`]; the evaluation program labels them `synthetic`.
//!
//! Addresses: the device is 192.168.0.50 behind the gateway 192.168.0.1;
//! remotes are in the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24) or drawn at random (scan targets, spoofed sources) —
//! only ever written to a file, never sent.

use crate::{dns, ipv4_packet, tcp, udp, Frame, Rng, GW_IP, GW_MAC, L4};
use std::io::Write;
use warden_capture::{Link, PcapWriter};
use warden_wire::emit::TransportRepr;

pub const DEVICE_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x50];
pub const DEVICE_IP: [u8; 4] = [192, 168, 0, 50];

/// The synthetic scenarios, by name.
pub const SCENARIOS: [&str; 10] = [
    "mirai-telnet-scan",
    "syn-flood-out",
    "ack-flood-out",
    "udp-flood-out",
    "icmp-flood-out",
    "gre-flood-out",
    "http-flood-out",
    "dns-water-torture",
    "ssdp-reflector",
    "benign-video-upload",
];

const T0: i64 = 1_700_000_000_000_000_000;
const MS: i64 = 1_000_000;

struct Out<W: Write> {
    w: PcapWriter<W>,
    n: u64,
}

impl<W: Write> Out<W> {
    fn put(&mut self, ts: i64, f: Vec<u8>) -> std::io::Result<()> {
        let len = f.len() as u32;
        self.w.write(ts, &f, len)?;
        self.n += 1;
        Ok(())
    }
    /// device -> remote
    fn up(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        l4: &L4,
    ) -> std::io::Result<()> {
        self.put(ts, Frame::eth(DEVICE_MAC, GW_MAC).ipv4(src, dst, proto, l4))
    }
    /// remote -> device
    fn down(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        l4: &L4,
    ) -> std::io::Result<()> {
        self.put(ts, Frame::eth(GW_MAC, DEVICE_MAC).ipv4(src, dst, proto, l4))
    }
}

fn public(rng: &mut Rng) -> [u8; 4] {
    loop {
        let a = (rng.next_u64() as u32).to_be_bytes();
        let private = a[0] == 10
            || a[0] == 127
            || a[0] == 0
            || a[0] >= 224
            || (a[0] == 172 && (16..32).contains(&a[1]))
            || (a[0] == 192 && a[1] == 168)
            || (a[0] == 100 && (64..128).contains(&a[1]))
            || (a[0] == 169 && a[1] == 254);
        if !private {
            return a;
        }
    }
}

fn icmp_echo(id: u16, seq: u16) -> L4 {
    let mut v = id.to_be_bytes().to_vec();
    v.extend(seq.to_be_bytes());
    v.extend([0x61u8; 32]);
    L4 {
        repr: TransportRepr::Icmp {
            v6: false,
            icmp_type: 8,
            code: 0,
        },
        payload: v,
    }
}

/// Some ordinary traffic first, so that every scenario has a normal device
/// around the attack: a DNS lookup and a TLS session to its cloud.
fn normal<W: Write>(o: &mut Out<W>, t: i64) -> std::io::Result<()> {
    let cloud = [203, 0, 113, 80];
    o.up(
        t,
        DEVICE_IP,
        GW_IP,
        17,
        &udp(40000, 53, &dns(7, "api.vendor.example", None)),
    )?;
    o.down(
        t + MS,
        GW_IP,
        DEVICE_IP,
        17,
        &udp(53, 40000, &dns(7, "api.vendor.example", Some(cloud))),
    )?;
    o.up(
        t + 2 * MS,
        DEVICE_IP,
        cloud,
        6,
        &tcp(41000, 443, 1, 0, 0x02, &[]),
    )?;
    o.down(
        t + 3 * MS,
        cloud,
        DEVICE_IP,
        6,
        &tcp(443, 41000, 9, 2, 0x12, &[]),
    )?;
    o.up(
        t + 4 * MS,
        DEVICE_IP,
        cloud,
        6,
        &tcp(41000, 443, 2, 10, 0x10, &[]),
    )?;
    Ok(())
}

/// Writes the scenario `name`; None when there is no such scenario.
pub fn write<W: Write>(name: &str, w: W, seed: u64) -> Option<std::io::Result<u64>> {
    if !SCENARIOS.contains(&name) {
        return None;
    }
    Some(write_inner(name, w, seed))
}

fn write_inner<W: Write>(name: &str, w: W, seed: u64) -> std::io::Result<u64> {
    let mut o = Out {
        w: PcapWriter::new(w, Link::Ethernet, 65535)?,
        n: 0,
    };
    let mut rng = Rng::new(seed);
    normal(&mut o, T0)?;
    let t = T0 + 1000 * MS;
    match name {
        // Mirai's scanner: stateless SYNs to random addresses, port 23 nine
        // times in ten, else 2323; a few targets answer.
        "mirai-telnet-scan" => {
            for i in 0..400i64 {
                let dst = public(&mut rng);
                let port = if rng.below(10) == 0 { 2323 } else { 23 };
                let sport = 1024 + rng.below(60000) as u16;
                let seq = u32::from_be_bytes(dst); // Mirai: seq = target address
                let ts = t + i * 100 * MS;
                o.up(ts, DEVICE_IP, dst, 6, &tcp(sport, port, seq, 0, 0x02, &[]))?;
                if i % 40 == 0 {
                    o.down(
                        ts + 30 * MS,
                        dst,
                        DEVICE_IP,
                        6,
                        &tcp(port, sport, 5, seq + 1, 0x14, &[]),
                    )?;
                }
            }
        }
        "syn-flood-out" => {
            let target = [203, 0, 113, 10];
            for i in 0..5000i64 {
                let spoofed = public(&mut rng);
                let sport = rng.below(65535) as u16;
                o.up(
                    t + i * MS,
                    spoofed,
                    target,
                    6,
                    &tcp(sport, 80, rng.next_u64() as u32, 0, 0x02, &[]),
                )?;
            }
        }
        "ack-flood-out" => {
            let target = [203, 0, 113, 11];
            let payload = [0x41u8; 512];
            for i in 0..5000i64 {
                let dport = rng.below(65535) as u16;
                o.up(
                    t + i * MS,
                    DEVICE_IP,
                    target,
                    6,
                    &tcp(
                        rng.below(65535) as u16,
                        dport,
                        rng.next_u64() as u32,
                        rng.next_u64() as u32,
                        0x10,
                        &payload,
                    ),
                )?;
            }
        }
        "udp-flood-out" => {
            let target = [203, 0, 113, 12];
            let payload = [0x42u8; 512];
            for i in 0..5000i64 {
                let dport = rng.below(65535) as u16;
                o.up(
                    t + i * MS,
                    DEVICE_IP,
                    target,
                    17,
                    &udp(rng.below(65535) as u16, dport, &payload),
                )?;
            }
        }
        "icmp-flood-out" => {
            let target = [203, 0, 113, 13];
            for i in 0..3000i64 {
                o.up(
                    t + i * MS,
                    DEVICE_IP,
                    target,
                    1,
                    &icmp_echo(0x4d49, i as u16),
                )?;
            }
        }
        // greip: GRE carrying IPv4/UDP with random payload.
        "gre-flood-out" => {
            let target = [203, 0, 113, 14];
            for i in 0..2000i64 {
                let inner = ipv4_packet(
                    DEVICE_IP,
                    target,
                    &udp(
                        rng.below(65535) as u16,
                        rng.below(65535) as u16,
                        &[0x43u8; 512],
                    ),
                );
                let mut gre = vec![0, 0, 0x08, 0x00];
                gre.extend(inner);
                o.up(t + i * MS, DEVICE_IP, target, 47, &L4::raw(47, gre))?;
            }
        }
        // Mirai's http flood: connections that each send GET requests.
        "http-flood-out" => {
            let target = [203, 0, 113, 15];
            let get = b"GET / HTTP/1.1\r\nHost: 203.0.113.15\r\nUser-Agent: Mozilla/5.0\r\nConnection: keep-alive\r\n\r\n";
            for i in 0..800i64 {
                let sport = 20000 + (i % 40) as u16;
                let ts = t + i * 10 * MS;
                o.up(
                    ts,
                    DEVICE_IP,
                    target,
                    6,
                    &tcp(sport, 80, 1000 + i as u32, 1, 0x18, get),
                )?;
                o.down(
                    ts + MS,
                    target,
                    DEVICE_IP,
                    6,
                    &tcp(80, sport, 1, 1000 + i as u32 + get.len() as u32, 0x10, &[]),
                )?;
            }
        }
        // Mirai's "dns" attack: random 12-letter labels under the victim's domain, via the resolver.
        "dns-water-torture" => {
            for i in 0..300i64 {
                let label: String = (0..12)
                    .map(|_| (b'a' + rng.below(26) as u8) as char)
                    .collect();
                let q = format!("{label}.victim.example");
                let id = i as u16;
                let ts = t + i * 50 * MS;
                o.up(
                    ts,
                    DEVICE_IP,
                    GW_IP,
                    17,
                    &udp(30000 + id, 53, &dns(id, &q, None)),
                )?;
                let mut nx = dns(id, &q, None);
                nx[2] = 0x81;
                nx[3] = 0x83; // response, NXDOMAIN
                o.down(
                    ts + 20 * MS,
                    GW_IP,
                    DEVICE_IP,
                    17,
                    &udp(53, 30000 + id, &nx),
                )?;
            }
        }
        // Spoofed M-SEARCH requests (the victim's address as source) and the
        // device's much larger answers.
        "ssdp-reflector" => {
            let victim = [198, 51, 100, 77];
            let req = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
            let mut ans = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-00178812ab4c::upnp:rootdevice\r\nEXT:\r\nSERVER: Linux/3.14 UPnP/1.0 IpBridge/1.9\r\nLOCATION: http://192.168.0.50:80/description.xml\r\n\r\n".to_vec();
            ans.extend([b' '; 200]);
            for i in 0..800i64 {
                let ts = t + i * 10 * MS;
                o.down(
                    ts,
                    victim,
                    DEVICE_IP,
                    17,
                    &udp(5353 + (i % 7) as u16 * 1000, 1900, req),
                )?;
                for k in 0..3 {
                    o.up(
                        ts + (k + 1) * MS,
                        DEVICE_IP,
                        victim,
                        17,
                        &udp(1900, 5353 + (i % 7) as u16 * 1000, &ans),
                    )?;
                }
            }
        }
        // Benign: a camera uploading video over RTP at 300 packets/s to one
        // port, with RTCP receiver reports coming back.
        "benign-video-upload" => {
            let server = [203, 0, 113, 90];
            let payload = [0x80u8; 1200];
            for i in 0..6000i64 {
                let ts = t + i * 1000 * MS / 300;
                o.up(ts, DEVICE_IP, server, 17, &udp(50000, 5004, &payload))?;
                if i % 150 == 0 {
                    o.down(
                        ts + MS,
                        server,
                        DEVICE_IP,
                        17,
                        &udp(5005, 50001, &[0x81, 0xc9, 0, 7, 0, 0, 0, 1]),
                    )?;
                }
            }
        }
        _ => {}
    }
    Ok(o.n)
}
