//! Every link-layer decoder down to the transport layer, on hostile bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_wire::{decode, Link, Net, Transport};

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
        }
    }
});
