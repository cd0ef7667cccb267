//! The analyzer reads each packet's application layer once, through
//! warden-wire's `app::decode`: a damaged datagram on a known port is an
//! anomaly of the device that sent it, and DNS names come along CNAME chains.

use warden_analyze::{Analyzer, Options};
use warden_capture::{Link, Packet};

const DEVICE: [u8; 6] = [0x02, 0, 0, 0, 0, 0x10];
const ROUTER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// Ethernet + IPv4 + UDP, written by warden-wire's emitter.
fn udp(src_mac: [u8; 6], src: [u8; 4], dst: [u8; 4], ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
    let dst_mac = if src_mac == DEVICE { ROUTER } else { DEVICE };
    EthernetRepr::new(src_mac, dst_mac).ip(
        &IpRepr::v4(src, dst),
        &TransportRepr::udp(ports.0, ports.1),
        payload,
    )
}

fn observe(a: &mut Analyzer, ts_s: i64, frame: &[u8]) {
    a.observe(&Packet {
        ts_nanos: ts_s * 1_000_000_000,
        link: Link::Ethernet,
        interface: 0,
        orig_len: frame.len() as u32,
        data: frame,
    });
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

/// A response to `q` with CNAME q -> `target` and `target` A `ip`.
fn answer(q: &str, target: &str, ip: [u8; 4]) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
    m.extend(name(q));
    m.extend([0, 1, 0, 1]);
    m.extend(name(q));
    let t = name(target);
    m.extend([0, 5, 0, 1, 0, 0, 0, 60]);
    m.extend((t.len() as u16).to_be_bytes());
    m.extend(&t);
    m.extend(&t);
    m.extend([0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    m.extend(ip);
    m
}

#[test]
fn a_cut_dns_datagram_is_an_anomaly_of_its_sender() {
    let mut a = Analyzer::new(Options::default());
    let dev = [192, 168, 1, 10];
    observe(
        &mut a,
        1,
        &udp(DEVICE, dev, [192, 168, 1, 1], (40000, 53), &[0x12, 0x34, 1]),
    );
    observe(
        &mut a,
        2,
        &udp(DEVICE, dev, [192, 168, 1, 1], (40001, 123), &[0xff]),
    );
    let r = a.finish();
    let d = r
        .devices
        .iter()
        .find(|d| d.mac.as_deref() == Some("02:00:00:00:00:10"))
        .unwrap();
    assert_eq!(d.anomalies.get("truncated dns"), Some(&1));
    assert_eq!(d.anomalies.get("malformed ntp"), Some(&1));
    assert_eq!(r.anomalies.get("truncated dns"), Some(&1));
}

#[test]
fn a_remote_is_named_by_the_name_the_device_asked_for_and_its_alias() {
    let mut a = Analyzer::new(Options::default());
    let dev = [192, 168, 1, 10];
    let cloud = [203, 0, 113, 7];
    observe(
        &mut a,
        1,
        &udp(
            ROUTER,
            [192, 168, 1, 1],
            dev,
            (53, 40000),
            &answer("Cam.Example.com", "edge.cdn.example.net", cloud),
        ),
    );
    observe(&mut a, 2, &udp(DEVICE, dev, cloud, (40002, 8883), b"hello"));
    let r = a.finish();
    let d = r
        .devices
        .iter()
        .find(|d| d.mac.as_deref() == Some("02:00:00:00:00:10"))
        .unwrap();
    let remote = d.remotes.iter().find(|x| x.port == 8883).unwrap();
    assert_eq!(remote.named_by, "dns");
    // Names are compared as DNS compares them: case folded.
    assert!(
        ["cam.example.com", "edge.cdn.example.net"].contains(&remote.remote.as_str()),
        "{}",
        remote.remote
    );
}
