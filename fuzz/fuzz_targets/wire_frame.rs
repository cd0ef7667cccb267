//! Every link-layer decoder down to the transport layer, on hostile bytes;
//! and the round trip of the emitters: what was decoded, written again by
//! `warden_wire::emit` and decoded once more, reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};
use warden_wire::{decode, Fragment, Link, Net, Transport};

const LINKS: [Link; 10] = [
    Link::Ethernet,
    Link::Null,
    Link::Raw,
    Link::Ipv4,
    Link::Ipv6,
    Link::LinuxSll,
    Link::LinuxSll2,
    Link::Ieee80211,
    Link::Ieee80211Radiotap,
    Link::Other(147),
];

fuzz_target!(|data: &[u8]| {
    for link in LINKS {
        let d = decode(link, data);
        let _ = warden_wire::app::decode(&d);
        // Whatever was decoded lies inside the input.
        if let Net::Ip(ip) = d.net {
            if let Transport::Tcp(t) = ip.transport {
                assert!(t.payload.len() <= data.len());
            }
            if let Transport::Udp(u) = ip.transport {
                assert!(u.payload.len() <= data.len());
            }
            round_trip(link, &d, &ip);
        }
    }
});

/// Emits what was decoded and decodes it again (as raw IP when the link
/// layer was not Ethernet). Left out: frames inside tunnels (the outer
/// headers are not kept), IPv6 fragments and extension chains (the emitter
/// writes no extension headers).
fn round_trip(link: Link, d: &warden_wire::Decoded<'_>, ip: &warden_wire::IpPacket<'_>) {
    // An IPv6 chain longer than the decoder follows ends on an extension
    // header's number, which a header-less re-emit would make it follow.
    let v6_extension = ip.dst.is_ipv6() && matches!(ip.protocol, 0 | 43 | 44 | 51 | 60);
    if d.tunnels > 0 || v6_extension || (ip.dst.is_ipv6() && ip.fragment != Fragment::Whole) {
        return;
    }
    let (Some(ip_repr), Some((t, payload))) = (
        IpRepr::parse(ip),
        TransportRepr::parse(&ip.transport, ip.protocol),
    ) else {
        return;
    };
    let (again_link, bytes) = match EthernetRepr::parse(d) {
        Some(eth) if link == Link::Ethernet => (Link::Ethernet, eth.ip(&ip_repr, &t, payload)),
        _ => (Link::Raw, ip_repr.packet(&t, payload)),
    };
    let again = decode(again_link, &bytes);
    assert_eq!(again.anomaly, None, "the emitted frame decodes cleanly");
    if again_link == Link::Ethernet {
        assert_eq!(
            (again.src_mac, again.dst_mac, again.vlan),
            (d.src_mac, d.dst_mac, d.vlan)
        );
    }
    let Net::Ip(ip2) = again.net else {
        panic!("the emitted frame is not IP")
    };
    assert_eq!(
        (ip2.src, ip2.dst, ip2.protocol, ip2.ttl, ip2.fragment),
        (ip.src, ip.dst, ip.protocol, ip.ttl, ip.fragment)
    );
    assert_eq!(ip2.transport, ip.transport);
}
