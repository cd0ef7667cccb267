//! Plain-language explanation of a MUD file: what the device may do, in
//! sentences a household understands, ending with "nothing else".

use crate::model::*;
use crate::policy::Direction;

/// One sentence per distinct permission or prohibition, in file order,
/// duplicates removed, followed by the closing sentence.
pub fn explain(mud: &ValidatedMud) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (dir, names) in [
        (Direction::FromDevice, &mud.from_device),
        (Direction::ToDevice, &mud.to_device),
    ] {
        for name in names {
            let Some(acl) = mud.acl(name) else { continue };
            for ace in &acl.aces {
                if let Some(s) = sentence(mud, dir, acl, ace) {
                    push(s);
                }
            }
        }
    }
    let any_accept = out.iter().any(|s| s.starts_with("may "));
    let mut result = out;
    result.push(if any_accept {
        "nothing else: all other traffic to or from the device is blocked.".to_string()
    } else {
        "nothing at all: the device may not use the network.".to_string()
    });
    result
}

fn sentence(mud: &ValidatedMud, dir: Direction, acl: &Acl, ace: &Ace) -> Option<String> {
    let m = &ace.matches;
    let remote = remote_words(mud, dir, m);
    let (service, remote_port, device_port) = service_words(dir, m);
    let reply = match (&m.l4, dir) {
        // A to-device rule for a TCP connection the device opens only lets
        // the answers back in; say nothing new.
        (
            Some(L4Match::Tcp {
                direction_initiated: Some(DirectionInitiated::FromDevice),
                ..
            }),
            Direction::ToDevice,
        ) => true,
        // UDP answers: the remote port is fixed and the device's is not.
        (
            Some(L4Match::Udp {
                src_port: Some(_),
                dst_port: None,
            }),
            Direction::ToDevice,
        ) => true,
        _ => false,
    };
    let verb = match ace.action {
        Forwarding::Accept => "may",
        Forwarding::Drop | Forwarding::Reject => "may not",
    };
    if ace.action == Forwarding::Accept && reply {
        return None;
    }
    let _ = acl;
    let s = match dir {
        Direction::FromDevice => {
            let port = remote_port.map(|p| format!(" {p}")).unwrap_or_default();
            let tcp_only_reply = matches!(
                &m.l4,
                Some(L4Match::Tcp {
                    direction_initiated: Some(DirectionInitiated::ToDevice),
                    ..
                })
            );
            if tcp_only_reply {
                format!(
                    "{verb} answer connections opened by {remote}{}{port}",
                    service
                )
            } else {
                format!("{verb} connect to {remote}{}{port}", service)
            }
        }
        Direction::ToDevice => {
            let port = device_port
                .as_ref()
                .map(|p| format!(" on {p}"))
                .unwrap_or_default();
            // "over TCP on TCP port 9999" says TCP twice.
            let service = if device_port.is_some() && service.starts_with(" over ") {
                String::new()
            } else {
                service
            };
            format!("{verb} be reached by {remote}{service}{port}")
        }
    };
    let mut s = s.trim_end().to_string();
    if let Some(t) = tls_words(&m.tls_profiles) {
        s.push_str(", ");
        s.push_str(&t);
    }
    Some(s + ";")
}

/// "using only TLS 1.3 with 2 cipher suites (profile `profile1`)".
fn tls_words(profiles: &[TlsProfile]) -> Option<String> {
    let first = profiles.first()?;
    let mut versions: Vec<&str> = profiles
        .iter()
        .flat_map(|p| p.versions.iter())
        .map(|v| match v {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
            TlsVersion::Dtls12 => "DTLS 1.2",
            TlsVersion::Dtls13 => "DTLS 1.3",
        })
        .collect();
    versions.dedup();
    let what = if versions.is_empty() {
        "TLS".to_string()
    } else {
        versions.join(" or ")
    };
    let names: Vec<String> = profiles.iter().map(|p| format!("`{}`", p.name)).collect();
    let suites = first.cipher_suites.len();
    let suites = if profiles.len() == 1 && suites > 0 {
        format!(
            " with {suites} cipher suite{}",
            if suites == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    Some(format!(
        "using only {what}{suites} as its maker declares (TLS profile {}); warden reports any other handshake",
        names.join(", ")
    ))
}

fn remote_words(mud: &ValidatedMud, dir: Direction, m: &Matches) -> String {
    let mut parts = Vec::new();
    if let Some(ip) = &m.ip {
        let (name, net) = match dir {
            Direction::FromDevice => (&ip.dst_dnsname, &ip.dst_network),
            Direction::ToDevice => (&ip.src_dnsname, &ip.src_network),
        };
        if let Some(n) = name {
            parts.push(n.clone());
        }
        if let Some(n) = net {
            parts.push(if n.is_host() {
                format!("the address {n}")
            } else {
                format!("addresses in {n}")
            });
        }
    }
    let mm = &m.mud;
    if mm.local_networks {
        parts.push("devices on your network".into());
    }
    if let Some(c) = &mm.controller {
        parts.push(match c.as_str() {
            "urn:ietf:params:mud:dns" => "your network's DNS server".into(),
            "urn:ietf:params:mud:ntp" => "your network's time server".into(),
            "urn:ietf:params:mud:gateway" => "your router (gateway)".into(),
            other => format!("the controller you choose for `{other}`"),
        });
    }
    if mm.my_controller {
        parts.push("the controller you choose for this device".into());
    }
    if let Some(a) = &mm.manufacturer {
        parts.push(format!("other devices made by {a}"));
    }
    if mm.same_manufacturer {
        parts.push(format!(
            "other devices from the same maker ({})",
            mud.authority().unwrap_or_else(|| "unknown".into())
        ));
    }
    if let Some(model) = &mm.model {
        parts.push(format!("devices of the model {model}"));
    }
    match parts.len() {
        0 => "anything".into(),
        1 => parts.remove(0),
        _ => {
            let first = parts.remove(0);
            format!("{first} (only if it is also {})", parts.join(" and "))
        }
    }
}

/// (" over HTTPS", remote port text, device port text)
fn service_words(dir: Direction, m: &Matches) -> (String, Option<String>, Option<String>) {
    let port_text = |p: &PortMatch, proto: &str| match p {
        PortMatch::Eq { port } => format!("({proto} port {port})"),
        other => format!("({proto} {other})"),
    };
    match &m.l4 {
        Some(L4Match::Tcp {
            src_port, dst_port, ..
        })
        | Some(L4Match::Udp {
            src_port, dst_port, ..
        }) => {
            let proto = if matches!(m.l4, Some(L4Match::Tcp { .. })) {
                "TCP"
            } else {
                "UDP"
            };
            let (remote, device) = match dir {
                Direction::FromDevice => (dst_port, src_port),
                Direction::ToDevice => (src_port, dst_port),
            };
            let svc = remote
                .as_ref()
                .or(device.as_ref())
                .and_then(|p| match p {
                    PortMatch::Eq { port } => well_known(proto, *port),
                    _ => None,
                })
                .map(|s| format!(" for {s}"))
                .unwrap_or_else(|| format!(" over {proto}"));
            let rp = match dir {
                Direction::FromDevice => remote.as_ref().map(|p| port_text(p, proto)),
                Direction::ToDevice => None,
            };
            let dp = match dir {
                Direction::ToDevice => device.as_ref().map(|p| match p {
                    PortMatch::Eq { port } => format!("{proto} port {port}"),
                    other => format!("{proto} {other}"),
                }),
                Direction::FromDevice => None,
            };
            (svc, rp, dp)
        }
        Some(L4Match::Icmp { .. }) => (" with ICMP (ping and network errors)".into(), None, None),
        None => match (&m.ip, &m.eth) {
            (
                Some(IpMatch {
                    protocol: Some(p), ..
                }),
                _,
            ) => (format!(" with IP protocol {p}"), None, None),
            (
                _,
                Some(EthMatch {
                    ethertype: Some(t), ..
                }),
            ) => (format!(" with Ethernet type {t:#06x}"), None, None),
            _ => (String::new(), None, None),
        },
    }
}

fn well_known(proto: &str, port: u16) -> Option<&'static str> {
    Some(match (proto, port) {
        ("TCP", 443) => "HTTPS",
        ("TCP", 80) => "web (HTTP, unencrypted)",
        ("TCP", 8883) => "MQTT over TLS",
        ("TCP", 1883) => "MQTT (unencrypted)",
        ("TCP", 22) => "SSH",
        ("TCP", 23) => "Telnet (unencrypted remote login)",
        ("UDP", 53) | ("TCP", 53) => "DNS (name lookups)",
        ("UDP", 123) => "time (NTP)",
        ("UDP", 67) | ("UDP", 68) => "DHCP (getting an address)",
        ("UDP", 5353) => "local discovery (mDNS)",
        ("UDP", 1900) => "local discovery (SSDP/UPnP)",
        ("UDP", 5683) => "CoAP",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{load, ValidateOptions};

    #[test]
    fn explains_in_household_words() {
        let s = r#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://maker.example/bulb",
          "last-update": "2024-01-01T00:00:00Z", "is-supported": true,
          "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
          "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
          "ietf-access-control-list:acls": {"acl": [
           {"name": "fr", "type": "ipv4-acl-type", "aces": {"ace": [
             {"name": "c", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "api.example.com"},
               "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
              "actions": {"forwarding": "accept"}}]}},
           {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [
             {"name": "l", "matches": {"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"protocol": 6},
               "tcp": {"destination-port": {"operator": "eq", "port": 80}}},
              "actions": {"forwarding": "accept"}}]}}]}}"#;
        let v = load(s.as_bytes(), &ValidateOptions::default()).unwrap();
        let e = explain(&v.mud);
        assert_eq!(
            e[0],
            "may connect to api.example.com for HTTPS (TCP port 443);"
        );
        assert_eq!(
            e[1],
            "may be reached by devices on your network for web (HTTP, unencrypted) on TCP port 80;"
        );
        assert!(e[2].starts_with("nothing else"));
    }
}
