//! The application layer of one packet, decoded once.
//!
//! [`decode`] looks at a frame [`crate::decode`] has walked and, by one set
//! of port and content rules, parses what it carries: DNS (and mDNS, LLMNR),
//! DHCPv4, DHCPv6, LLDP, a TLS or DTLS ClientHello, an HTTP head, SSDP and
//! NTP. The analyzer, the detectors and the gateway read the result; none of
//! them parses a payload again, so a rule about which port means what lives
//! here and nowhere else.
//!
//! Damaged application data is reported, not hidden: a datagram on a DNS,
//! DHCP or NTP port that does not parse is an [`Anomaly`] naming the
//! protocol, and a ClientHello cut short keeps its `truncated` mark. TCP
//! payloads other than a hello are not judged this way: a segment of a
//! stream may start anywhere in a message. Nothing is parsed out of later IP
//! fragments, and a first fragment's cut payload is no anomaly.

use crate::frame::{Decoded, Fragment, Net, Transport};
use crate::{dhcp, dns, http, lldp, ntp, tls, Anomaly};

/// Which DNS service a message belongs to, by its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsService {
    /// Port 53 (UDP, or TCP with its 2-byte length prefix).
    Unicast,
    /// Multicast DNS, port 5353 (RFC 6762).
    Multicast,
    /// LLMNR, port 5355 (RFC 4795).
    LinkLocal,
}

/// What a packet carries above its transport layer. The large values are
/// boxed: most packets carry none of them, and this value is made for each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum App {
    /// Nothing warden reads (or nothing that parsed).
    #[default]
    None,
    Dns {
        service: DnsService,
        message: dns::Message,
    },
    Dhcp4(Box<dhcp::Dhcp4>),
    Dhcp6(dhcp::Dhcp6),
    Lldp(lldp::Lldp),
    /// A TLS ClientHello at the start of a TCP payload, or a DTLS one in a
    /// UDP datagram (`dtls` set).
    TlsHello(Box<tls::ClientHello>),
    /// An HTTP/1.x request or response head at the start of a TCP payload.
    Http(Box<http::Head>),
    /// An SSDP message (HTTP over UDP 1900).
    Ssdp(Box<http::Head>),
    Ntp(ntp::Ntp),
}

/// The application layer of one packet and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Application {
    pub app: App,
    /// A datagram on a known port that did not parse as its protocol.
    pub anomaly: Option<Anomaly>,
}

impl Application {
    /// The DNS message, of any service.
    pub fn dns(&self) -> Option<&dns::Message> {
        match &self.app {
            App::Dns { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The TLS or DTLS ClientHello.
    pub fn hello(&self) -> Option<&tls::ClientHello> {
        match &self.app {
            App::TlsHello(h) => Some(h),
            _ => None,
        }
    }
}

fn either(ports: (u16, u16), p: &[u16]) -> bool {
    p.contains(&ports.0) || p.contains(&ports.1)
}

fn damaged(name: &'static str) -> Application {
    Application {
        app: App::None,
        anomaly: Some(Anomaly::Malformed(name)),
    }
}

fn found(app: App) -> Application {
    Application { app, anomaly: None }
}

/// Decodes the application layer of a decoded frame.
pub fn decode(d: &Decoded<'_>) -> Application {
    let ip = match &d.net {
        Net::Lldp(b) => return found(App::Lldp(lldp::parse(b))),
        Net::Ip(ip) => ip,
        _ => return Application::default(),
    };
    let cut = ip.fragment == Fragment::First;
    match ip.transport {
        Transport::Udp(u) => udp((u.src_port, u.dst_port), u.payload, cut),
        Transport::Tcp(t) => tcp((t.src_port, t.dst_port), t.payload),
        _ => Application::default(),
    }
}

fn udp(ports: (u16, u16), payload: &[u8], cut: bool) -> Application {
    let mut out = if either(ports, &[53, 5353, 5355]) {
        let service = if either(ports, &[5353]) {
            DnsService::Multicast
        } else if either(ports, &[5355]) {
            DnsService::LinkLocal
        } else {
            DnsService::Unicast
        };
        match dns::parse(payload) {
            Ok(message) => found(App::Dns { service, message }),
            Err(dns::DnsError::Truncated) => Application {
                app: App::None,
                anomaly: Some(Anomaly::Truncated("dns")),
            },
            Err(_) => damaged("dns"),
        }
    } else if matches!(ports, (67 | 68, 67 | 68)) {
        dhcp::parse_v4(payload).map_or_else(|| damaged("dhcp"), |x| found(App::Dhcp4(Box::new(x))))
    } else if matches!(ports, (546 | 547, 546 | 547)) {
        dhcp::parse_v6(payload).map_or_else(|| damaged("dhcpv6"), |x| found(App::Dhcp6(x)))
    } else if either(ports, &[1900]) {
        http::parse(payload).map_or_else(|| damaged("ssdp"), |h| found(App::Ssdp(Box::new(h))))
    } else if either(ports, &[123]) {
        ntp::parse(payload).map_or_else(|| damaged("ntp"), |n| found(App::Ntp(n)))
    } else if payload.first() == Some(&22) {
        match tls::client_hello(payload) {
            Some(h) if h.dtls => found(App::TlsHello(Box::new(h))),
            _ => Application::default(),
        }
    } else {
        Application::default()
    };
    if cut {
        out.anomaly = None;
    }
    out
}

fn tcp(ports: (u16, u16), payload: &[u8]) -> Application {
    if payload.is_empty() {
        return Application::default();
    }
    if either(ports, &[53]) {
        // DNS over TCP: a 2-byte length, then the message. A segment that
        // does not start a message is no anomaly.
        return match payload.get(2..).map(dns::parse) {
            Some(Ok(message)) => found(App::Dns {
                service: DnsService::Unicast,
                message,
            }),
            _ => Application::default(),
        };
    }
    if payload[0].is_ascii_uppercase() {
        return http::parse(payload)
            .map_or_else(Application::default, |h| found(App::Http(Box::new(h))));
    }
    match tls::client_hello(payload) {
        Some(h) if !h.dtls => found(App::TlsHello(Box::new(h))),
        _ => Application::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{IpPacket, UdpDatagram};

    fn udp_frame(src_port: u16, dst_port: u16, payload: &[u8], fragment: Fragment) -> Application {
        let d = Decoded {
            src_mac: None,
            dst_mac: None,
            vlan: None,
            net: Net::Ip(IpPacket {
                src: "192.0.2.1".parse().unwrap(),
                dst: "192.0.2.2".parse().unwrap(),
                protocol: 17,
                ttl: 64,
                fragment,
                transport: Transport::Udp(UdpDatagram {
                    src_port,
                    dst_port,
                    payload,
                }),
            }),
            anomaly: None,
            tunnels: 0,
        };
        decode(&d)
    }

    #[test]
    fn damaged_datagrams_on_known_ports_are_anomalies() {
        let a = udp_frame(40000, 53, &[1, 2, 3], Fragment::Whole);
        assert_eq!(a.anomaly, Some(Anomaly::Truncated("dns")));
        assert_eq!(a.app, App::None);
        let a = udp_frame(68, 67, &[1; 40], Fragment::Whole);
        assert_eq!(a.anomaly, Some(Anomaly::Malformed("dhcp")));
        let a = udp_frame(40000, 123, &[0xff], Fragment::Whole);
        assert_eq!(a.anomaly, Some(Anomaly::Malformed("ntp")));
        // The first fragment of a datagram is cut by the fragmentation.
        let a = udp_frame(40000, 53, &[1, 2, 3], Fragment::First);
        assert_eq!(a, Application::default());
        // Other ports are nobody's business.
        assert_eq!(
            udp_frame(40000, 40001, &[1, 2, 3], Fragment::Whole),
            Application::default()
        );
    }

    #[test]
    fn the_value_made_for_every_packet_stays_small() {
        assert!(std::mem::size_of::<Application>() <= 128);
    }

    #[test]
    fn the_port_names_the_dns_service() {
        let query = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (port, service) in [
            (53, DnsService::Unicast),
            (5353, DnsService::Multicast),
            (5355, DnsService::LinkLocal),
        ] {
            let a = udp_frame(port, port, &query, Fragment::Whole);
            assert!(matches!(a.app, App::Dns { service: s, .. } if s == service));
            assert!(a.dns().is_some() && a.hello().is_none());
        }
    }
}
