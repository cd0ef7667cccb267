//! # warden-bench: inputs and baselines for the traffic benchmarks
//!
//! [`generate`] writes a pcap of IoT-like traffic from a fixed seed (DNS,
//! TLS with SNI, MQTT, HTTP, NTP, mDNS, and Mirai-style telnet scans) so that
//! every run measures the same bytes. The `decode-loop` binary is the floor:
//! read and decode, nothing else.

pub mod attacks;
pub mod eval;

use std::io::Write;
use warden_capture::{Link, PcapWriter};
use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};

/// xorshift64*: deterministic, fast, good enough for traffic shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const GW_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];
const GW_IP: [u8; 4] = [192, 168, 0, 1];

/// A transport header and its payload, for [`Frame::ipv4`].
struct L4 {
    repr: TransportRepr,
    payload: Vec<u8>,
}

impl L4 {
    /// Another protocol's bytes as they are (GRE, for instance).
    fn raw(protocol: u8, payload: Vec<u8>) -> L4 {
        L4 {
            repr: TransportRepr::Other(protocol),
            payload,
        }
    }
}

/// An Ethernet header waiting for its IPv4 packet; the bytes are written by
/// warden-wire's emitter (lengths and checksums computed).
struct Frame {
    eth: EthernetRepr,
}

impl Frame {
    fn eth(src: [u8; 6], dst: [u8; 6]) -> Frame {
        Frame {
            eth: EthernetRepr::new(src, dst),
        }
    }
    /// The frame, with IPv4 around `l4`; `proto` must be the transport's.
    fn ipv4(self, src: [u8; 4], dst: [u8; 4], proto: u8, l4: &L4) -> Vec<u8> {
        debug_assert_eq!(proto, l4.repr.protocol());
        self.eth.ip(&IpRepr::v4(src, dst), &l4.repr, &l4.payload)
    }
}

/// An IPv4 packet with no link layer (the inside of a tunnel).
fn ipv4_packet(src: [u8; 4], dst: [u8; 4], l4: &L4) -> Vec<u8> {
    IpRepr::v4(src, dst).packet(&l4.repr, &l4.payload)
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> L4 {
    L4 {
        repr: TransportRepr::udp(sport, dport),
        payload: payload.to_vec(),
    }
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> L4 {
    L4 {
        repr: TransportRepr::tcp(sport, dport, seq, ack, flags),
        payload: payload.to_vec(),
    }
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in name.split('.') {
        v.push(l.len() as u8);
        v.extend(l.as_bytes());
    }
    v.push(0);
    v
}

fn dns(id: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend(if answer.is_some() {
        [0x81, 0x80]
    } else {
        [0x01, 0x00]
    });
    m.extend([0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    m.extend(dns_name(name));
    m.extend([0, 1, 0, 1]);
    if let Some(a) = answer {
        m.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        m.extend(a);
    }
    m
}

/// A TLS 1.3 ClientHello as small IoT clients send it, built by
/// warden-wire's emitter.
fn client_hello(sni: &str) -> Vec<u8> {
    use warden_wire::tls::{emit_client_hello, ext, version, ClientHello};
    emit_client_hello(&ClientHello {
        legacy_version: version::TLS12,
        cipher_suites: vec![0x1301, 0x1302],
        extensions: vec![
            ext::SERVER_NAME,
            ext::SUPPORTED_GROUPS,
            ext::SIGNATURE_ALGORITHMS,
            ext::SUPPORTED_VERSIONS,
        ],
        server_name: Some(sni.to_string()),
        versions: vec![version::TLS13],
        groups: vec![0x001d],
        signature_algorithms: vec![0x0403, 0x0804],
        ..Default::default()
    })
}

const CLOUDS: [&str; 8] = [
    "api.plug.example.com",
    "mqtt.cam.example.net",
    "time.example.org",
    "fw.bulb.example.com",
    "events.tv.example.com",
    "push.hub.example.net",
    "logs.vac.example.org",
    "cdn.speaker.example.com",
];

/// Writes `packets` packets of mixed IoT-like traffic from `devices`
/// devices into `w`. Returns the number written.
pub fn generate<W: Write>(w: W, packets: u64, devices: u32, seed: u64) -> std::io::Result<u64> {
    let mut out = PcapWriter::new(w, Link::Ethernet, 65535)?;
    let mut rng = Rng::new(seed);
    let mut ts: i64 = 1_700_000_000_000_000_000;
    let mut n = 0u64;
    let payload = vec![0x17u8; 1200];
    while n < packets {
        let dev = rng.below(devices as u64) as u32 + 2;
        let mac = [
            0x02,
            0x10,
            0,
            (dev >> 16) as u8,
            (dev >> 8) as u8,
            dev as u8,
        ];
        let ip = [192, 168, (dev >> 8) as u8, dev as u8];
        let cloud_i = rng.below(CLOUDS.len() as u64) as usize;
        let cloud = CLOUDS[cloud_i];
        let cip = [203, 0, 113, 10 + cloud_i as u8];
        let sport = 32768 + rng.below(28000) as u16;
        let mut frames: Vec<Vec<u8>> = Vec::with_capacity(16);
        match rng.below(100) {
            // DNS lookup and answer.
            0..=19 => {
                let id = rng.next_u64() as u16;
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    GW_IP,
                    17,
                    &udp(sport, 53, &dns(id, cloud, None)),
                ));
                frames.push(Frame::eth(GW_MAC, mac).ipv4(
                    GW_IP,
                    ip,
                    17,
                    &udp(53, sport, &dns(id, cloud, Some(cip))),
                ));
            }
            // A TLS session: handshake, hello, data both ways, close.
            20..=54 => {
                let (s, a) = (rng.next_u64() as u32, rng.next_u64() as u32);
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 443, s, 0, 0x02, &[]),
                ));
                frames.push(Frame::eth(GW_MAC, mac).ipv4(
                    cip,
                    ip,
                    6,
                    &tcp(443, sport, a, s + 1, 0x12, &[]),
                ));
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 443, s + 1, a + 1, 0x10, &[]),
                ));
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 443, s + 1, a + 1, 0x18, &client_hello(cloud)),
                ));
                for _ in 0..rng.below(6) {
                    let len = 100 + rng.below(1100) as usize;
                    frames.push(Frame::eth(GW_MAC, mac).ipv4(
                        cip,
                        ip,
                        6,
                        &tcp(443, sport, a + 1, s + 100, 0x18, &payload[..len]),
                    ));
                    frames.push(Frame::eth(mac, GW_MAC).ipv4(
                        ip,
                        cip,
                        6,
                        &tcp(sport, 443, s + 100, a + 2, 0x10, &[]),
                    ));
                }
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 443, s + 200, a + 2, 0x11, &[]),
                ));
                frames.push(Frame::eth(GW_MAC, mac).ipv4(
                    cip,
                    ip,
                    6,
                    &tcp(443, sport, a + 2, s + 201, 0x11, &[]),
                ));
            }
            // MQTT publishes on a long-lived connection.
            55..=69 => {
                let s = rng.next_u64() as u32;
                for i in 0..4 {
                    let msg = [
                        0x30, 0x0c, 0, 4, b't', b'e', b'm', b'p', b'2', b'1', b'.', b'5', b'C',
                        b'!',
                    ];
                    frames.push(Frame::eth(mac, GW_MAC).ipv4(
                        ip,
                        cip,
                        6,
                        &tcp(
                            40000 + (dev % 20000) as u16,
                            1883,
                            s + i * 14,
                            1,
                            0x18,
                            &msg,
                        ),
                    ));
                }
            }
            // HTTP GET and answer.
            70..=77 => {
                let req =
                    format!("GET /status HTTP/1.1\r\nHost: {cloud}\r\nUser-Agent: iot/1.0\r\n\r\n");
                let s = rng.next_u64() as u32;
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 80, s, 0, 0x02, &[]),
                ));
                frames.push(Frame::eth(GW_MAC, mac).ipv4(
                    cip,
                    ip,
                    6,
                    &tcp(80, sport, 7, s + 1, 0x12, &[]),
                ));
                frames.push(Frame::eth(mac, GW_MAC).ipv4(
                    ip,
                    cip,
                    6,
                    &tcp(sport, 80, s + 1, 8, 0x18, req.as_bytes()),
                ));
                frames.push(Frame::eth(GW_MAC, mac).ipv4(
                    cip,
                    ip,
                    6,
                    &tcp(
                        80,
                        sport,
                        8,
                        s + 1 + req.len() as u32,
                        0x18,
                        &payload[..300],
                    ),
                ));
            }
            // NTP.
            78..=85 => {
                let mut ntp = [0u8; 48];
                ntp[0] = 0x23;
                frames.push(Frame::eth(mac, GW_MAC).ipv4(ip, GW_IP, 17, &udp(123, 123, &ntp)));
                ntp[0] = 0x24;
                frames.push(Frame::eth(GW_MAC, mac).ipv4(GW_IP, ip, 17, &udp(123, 123, &ntp)));
            }
            // mDNS announcement.
            86..=93 => {
                let m = dns(0, &format!("dev{dev}.local"), Some(ip));
                frames.push(Frame::eth(mac, [0x01, 0x00, 0x5e, 0, 0, 0xfb]).ipv4(
                    ip,
                    [224, 0, 0, 251],
                    17,
                    &udp(5353, 5353, &m),
                ));
            }
            // A Mirai-style scan burst: SYNs to random hosts on 23/2323.
            _ => {
                for _ in 0..12 {
                    let target = [
                        (rng.below(223) + 1) as u8,
                        rng.next_u64() as u8,
                        rng.next_u64() as u8,
                        rng.next_u64() as u8,
                    ];
                    let port = if rng.below(10) == 0 { 2323 } else { 23 };
                    frames.push(Frame::eth(mac, GW_MAC).ipv4(
                        ip,
                        target,
                        6,
                        &tcp(sport, port, rng.next_u64() as u32, 0, 0x02, &[]),
                    ));
                }
            }
        }
        for f in frames {
            if n >= packets {
                break;
            }
            ts += 1000 + rng.below(200_000) as i64;
            out.write(ts, &f, f.len() as u32)?;
            n += 1;
        }
    }
    out.into_inner().flush()?;
    Ok(n)
}
