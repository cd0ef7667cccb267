//! The application layer decoder on every port it knows: the first byte
//! picks TCP or UDP and one of the ports, the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_wire::app::{self, App};
use warden_wire::{Decoded, Fragment, IpPacket, Net, TcpSegment, Transport, UdpDatagram};

const PORTS: [u16; 12] = [53, 5353, 5355, 67, 68, 546, 547, 1900, 123, 443, 80, 4433];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let port = PORTS[usize::from(pick & 0x7f) % PORTS.len()];
    let ports = if pick & 0x10 != 0 {
        (port, 40000)
    } else {
        (40000, port)
    };
    let transport = if pick & 0x80 != 0 {
        Transport::Tcp(TcpSegment {
            src_port: ports.0,
            dst_port: ports.1,
            seq: 1,
            ack: 1,
            flags: TcpSegment::ACK,
            window: 1024,
            payload,
        })
    } else {
        Transport::Udp(UdpDatagram {
            src_port: ports.0,
            dst_port: ports.1,
            payload,
        })
    };
    let d = Decoded {
        src_mac: Some([2, 0, 0, 0, 0, 1]),
        dst_mac: Some([2, 0, 0, 0, 0, 2]),
        vlan: None,
        net: Net::Ip(IpPacket {
            src: "192.0.2.1".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            protocol: if pick & 0x80 != 0 { 6 } else { 17 },
            ttl: 64,
            fragment: Fragment::Whole,
            transport,
        }),
        anomaly: None,
        tunnels: 0,
    };
    let a = app::decode(&d);
    // A value or an anomaly, never both.
    assert!(a.anomaly.is_none() || a.app == App::None);
    if let Some(m) = a.dns() {
        for r in m.resolutions() {
            assert!(!r.names.is_empty() && r.names.len() <= warden_wire::dns::MAX_NAMES);
        }
    }
    if let App::Dhcp6(x) = &a.app {
        assert!(x.mud_urls.len() <= 8 && x.reply_addresses.len() <= 16);
    }
});
