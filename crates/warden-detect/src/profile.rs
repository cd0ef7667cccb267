//! MUD profiles generated from observed traffic (`warden profile`).
//!
//! One strict RFC 8520 MUD file for one device: every flow it took part in
//! becomes an ACE in each direction (the request and its answers), with
//!
//! - the remote by DNS name where the device's own DNS answers (or the TLS
//!   server name it sent) bound one at the flow's start, preferring the name
//!   it asked for over CNAME targets; else by address, with a warning;
//! - LAN peers as `local-networks`;
//! - DNS and NTP servers of the network as the registered controller URNs
//!   `urn:ietf:params:mud:dns` / `urn:ietf:params:mud:ntp` (never the
//!   unregistered `gateway` URN); a server the device uses that the network
//!   did not configure is written by name or address instead;
//! - TCP `direction-initiated` from the SYN (left out, with a warning, for
//!   connections the capture joined midway, whose service side is taken to
//!   be the lower port);
//! - the ephemeral port of the opening side folded away;
//! - deterministic output: ACEs sorted, stable names, `last-update` from the
//!   capture's last flow;
//! - for connections the device opened with TLS or DTLS, the RFC 9761
//!   client profile it showed (every version, cipher suite, extension,
//!   group, signature algorithm, PSK mode, ALPN protocol and certificate
//!   compression algorithm its ClientHellos offered, GREASE left out), so
//!   that a later change of its TLS stack is reported.
//!
//! Link-scope traffic (multicast, broadcast), DHCP, and inbound attempts the
//! device never answered are not part of the profile, as the compliance
//! check does not judge them.

use crate::bindings::Bindings;
use crate::common::DevKey;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use warden_flow::Flow;
use warden_mud::{Context, Endpoint};

pub const DNS_URN: &str = "urn:ietf:params:mud:dns";
pub const NTP_URN: &str = "urn:ietf:params:mud:ntp";

/// A flow the device took part in, and its side (0 initiator, 1 responder).
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    pub flow: Flow,
    pub side: u8,
    /// Whether the peer is on the local network.
    pub peer_local: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum RemoteClass {
    Controller(&'static str),
    Local,
    Name(String),
    Addr(IpAddr),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct AceKey {
    v6: bool,
    remote: RemoteClass,
    protocol: u8,
    /// The service port, and whether it is the device's (inbound) or the remote's.
    device_side_port: bool,
    port: u16,
    /// Some(true): the device opens; Some(false): the remote opens.
    device_opens: Option<bool>,
}

pub struct ProfileOptions {
    pub mud_url: String,
    pub systeminfo: String,
}

pub struct Profile {
    pub mud: Value,
    pub warnings: Vec<String>,
    pub aces: usize,
}

fn in_endpoints(eps: Option<&Vec<Endpoint>>, ip: IpAddr) -> bool {
    eps.is_some_and(|v| {
        v.iter().any(|e| match e {
            Endpoint::Net(p) => p.contains(ip),
            Endpoint::Name(_) => false,
        })
    })
}

fn rfc3339(ns: i64) -> String {
    crate::common::rfc3339(ns).unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The union of the ClientHellos seen on one ACE: its RFC 9761 profile.
#[derive(Debug, Clone, Default)]
struct ObservedTls {
    versions: BTreeSet<&'static str>,
    /// Offered versions an RFC 9761 profile cannot name (TLS 1.0, 1.1, ...).
    unnamed_versions: BTreeSet<u16>,
    cipher_suites: Vec<u16>,
    extension_types: Vec<u16>,
    supported_groups: Vec<u16>,
    signature_algorithms: Vec<u16>,
    signature_algorithms_cert: Vec<u16>,
    psk_key_exchange_modes: Vec<u8>,
    application_protocols: Vec<String>,
    cert_compression_algorithms: Vec<u16>,
}

fn union<T: PartialEq + Copy>(into: &mut Vec<T>, from: impl IntoIterator<Item = T>) {
    for x in from {
        if !into.contains(&x) {
            into.push(x);
        }
    }
}

impl ObservedTls {
    fn add(&mut self, h: &warden_wire::tls::ClientHello) {
        let o = h.offered();
        for v in o.versions {
            match warden_mud::TlsVersion::from_code(v, h.dtls) {
                Some(t) => self.versions.insert(t.name()),
                None => self.unnamed_versions.insert(v),
            };
        }
        union(&mut self.cipher_suites, o.cipher_suites);
        union(&mut self.extension_types, o.extensions);
        union(&mut self.supported_groups, o.groups);
        union(&mut self.signature_algorithms, o.signature_algorithms);
        union(
            &mut self.signature_algorithms_cert,
            o.signature_algorithms_cert,
        );
        union(&mut self.cert_compression_algorithms, o.cert_compression);
        union(&mut self.psk_key_exchange_modes, o.psk_modes);
        for a in o.alpn {
            if !a.is_empty() && !self.application_protocols.contains(&a) {
                self.application_protocols.push(a);
            }
        }
    }

    fn json(&self, name: &str) -> Value {
        let mut p = Map::new();
        p.insert("name".into(), json!(name));
        let tls: Vec<&str> = self
            .versions
            .iter()
            .copied()
            .filter(|v| !v.starts_with('d'))
            .collect();
        let dtls: Vec<&str> = self
            .versions
            .iter()
            .copied()
            .filter(|v| v.starts_with('d'))
            .collect();
        if !tls.is_empty() {
            p.insert("supported-tls-version".into(), json!(tls));
        }
        if !dtls.is_empty() {
            p.insert("supported-dtls-version".into(), json!(dtls));
        }
        for (key, v) in [
            ("cipher-suite", &self.cipher_suites),
            ("extension-type", &self.extension_types),
            ("supported-group", &self.supported_groups),
            ("signature-algorithm-cert", &self.signature_algorithms_cert),
            ("signature-algorithm", &self.signature_algorithms),
            (
                "cert-compression-algorithm",
                &self.cert_compression_algorithms,
            ),
        ] {
            if !v.is_empty() {
                p.insert(key.into(), json!(v));
            }
        }
        if !self.psk_key_exchange_modes.is_empty() {
            p.insert(
                "psk-key-exchange-mode".into(),
                json!(self.psk_key_exchange_modes),
            );
        }
        if !self.application_protocols.is_empty() {
            p.insert(
                "application-protocol".into(),
                json!(self.application_protocols),
            );
        }
        json!({"tls-dtls-profile": [Value::Object(p)]})
    }
}

/// Generates the profile of `device` from its flows and the ClientHellos
/// it sent.
pub fn generate(
    device: DevKey,
    flows: &[DeviceFlow],
    hellos: &[crate::SentHello],
    bindings: &Bindings,
    ctx: &Context,
    opts: &ProfileOptions,
) -> Profile {
    let mut keys: BTreeSet<AceKey> = BTreeSet::new();
    // (protocol, device port, remote, remote port) of outbound flows -> ACE.
    let mut outbound_keys: BTreeMap<(u8, u16, IpAddr, u16), AceKey> = BTreeMap::new();
    let mut unnamed: BTreeSet<IpAddr> = BTreeSet::new();
    let mut midstream = 0u64;
    let mut last_ns = 0i64;
    for df in flows {
        let f = &df.flow;
        let side = df.side as usize;
        let (me, peer) = if side == 0 {
            (f.initiator, f.responder)
        } else {
            (f.responder, f.initiator)
        };
        if warden_addr::is_link_scope(peer.ip)
            || (f.key.protocol == 17
                && matches!(
                    (me.port, peer.port),
                    (67 | 68, 67 | 68) | (546 | 547, 546 | 547)
                ))
            || (side == 1 && f.packets[1] == 0)
            || !matches!(f.key.protocol, 6 | 17)
        {
            continue;
        }
        last_ns = last_ns.max(f.last_ns);
        // A TCP connection the capture joined midway: its first packet may
        // be an answer, so the side on the lower (service) port is taken as
        // the one that was opened.
        let outbound = if f.key.protocol == 6 && f.midstream {
            peer.port < me.port || (peer.port == me.port && side == 0)
        } else {
            side == 0
        };
        let remote =
            if outbound && peer.port == 53 && in_endpoints(ctx.controllers.get(DNS_URN), peer.ip) {
                RemoteClass::Controller(DNS_URN)
            } else if outbound
                && f.key.protocol == 17
                && peer.port == 123
                && in_endpoints(ctx.controllers.get(NTP_URN), peer.ip)
            {
                RemoteClass::Controller(NTP_URN)
            } else if df.peer_local {
                RemoteClass::Local
            } else if let Some(n) = bindings.best_name(device, peer.ip, f.first_ns) {
                RemoteClass::Name(n)
            } else {
                unnamed.insert(peer.ip);
                RemoteClass::Addr(peer.ip)
            };
        let device_opens = if f.key.protocol == 6 {
            if f.midstream {
                midstream += 1;
                None
            } else {
                Some(outbound)
            }
        } else {
            None
        };
        let key = AceKey {
            v6: peer.ip.is_ipv6(),
            remote,
            protocol: f.key.protocol,
            device_side_port: !outbound,
            port: if outbound { peer.port } else { me.port },
            device_opens,
        };
        if outbound {
            outbound_keys.insert((f.key.protocol, me.port, peer.ip, peer.port), key.clone());
        }
        keys.insert(key);
    }
    let mut warnings = Vec::new();
    let mut tls: BTreeMap<AceKey, ObservedTls> = BTreeMap::new();
    for h in hellos {
        if let Some(k) = outbound_keys.get(&(h.protocol, h.device_port, h.remote_ip, h.remote_port))
        {
            tls.entry(k.clone()).or_default().add(&h.hello);
        }
    }
    let mut unnamed_versions = BTreeSet::new();
    for t in tls.values() {
        unnamed_versions.extend(t.unnamed_versions.iter().copied());
    }
    if !unnamed_versions.is_empty() {
        let v: Vec<String> = unnamed_versions
            .iter()
            .map(|v| format!("{v:#06x}"))
            .collect();
        warnings.push(format!(
            "the device offers (D)TLS versions {} that an RFC 9761 profile cannot name (only TLS 1.2 and 1.3, DTLS 1.2 and 1.3): its handshakes will be reported as outside the profile",
            v.join(", ")
        ));
    }
    for ip in &unnamed {
        warnings.push(format!(
            "{ip}: no DNS answer or TLS name bound it when the device used it; written as an address, \
             which breaks when the service moves"
        ));
    }
    if midstream > 0 {
        warnings.push(format!(
            "{midstream} TCP flow(s) began before the capture: who opened them is unknown, so their ACEs \
             carry no direction-initiated"
        ));
    }
    write(&keys, &tls, warnings, opts, last_ns)
}

/// A service a device used, as a gateway's flow summaries keep it (no
/// packets, so no DNS bindings or ports of the opening side).
#[derive(Debug, Clone)]
pub struct Observed {
    /// A DNS name the gateway's trusted resolution bound to the remote, or
    /// the remote's address.
    pub remote: ObservedRemote,
    pub protocol: u8,
    /// The service's port (the remote's when the device opened the flow).
    pub port: u16,
    pub device_opens: bool,
}

#[derive(Debug, Clone)]
pub enum ObservedRemote {
    Name(String),
    Addr(IpAddr),
}

/// A profile from what a gateway observed (`warden gateway`'s "generate a
/// MUD profile from its traffic"): the device's DNS through the network's
/// resolver (the registered controller URN, which a device needs for its
/// names), and each observed TCP or UDP service, by name in both address
/// families, or by address with a warning. TCP ACEs carry who opens.
pub fn from_observed(observed: &[Observed], opts: &ProfileOptions, last_ns: i64) -> Profile {
    let mut keys: BTreeSet<AceKey> = BTreeSet::new();
    let mut warnings = Vec::new();
    for v6 in [false, true] {
        for protocol in [17u8, 6] {
            keys.insert(AceKey {
                v6,
                remote: RemoteClass::Controller(DNS_URN),
                protocol,
                device_side_port: false,
                port: 53,
                device_opens: (protocol == 6).then_some(true),
            });
        }
    }
    let mut unnamed = BTreeSet::new();
    for o in observed {
        if !matches!(o.protocol, 6 | 17) {
            continue;
        }
        let (remote, families): (RemoteClass, &[bool]) = match &o.remote {
            ObservedRemote::Name(n) => (RemoteClass::Name(n.clone()), &[false, true]),
            ObservedRemote::Addr(ip) => {
                unnamed.insert(*ip);
                (
                    RemoteClass::Addr(*ip),
                    if ip.is_ipv6() { &[true] } else { &[false] },
                )
            }
        };
        for v6 in families {
            keys.insert(AceKey {
                v6: *v6,
                remote: remote.clone(),
                protocol: o.protocol,
                device_side_port: !o.device_opens,
                port: o.port,
                device_opens: (o.protocol == 6).then_some(o.device_opens),
            });
        }
    }
    for ip in &unnamed {
        warnings.push(format!(
            "{ip}: the gateway knew no DNS name for it when the device used it; written as an address, \
             which breaks when the service moves"
        ));
    }
    write(&keys, &BTreeMap::new(), warnings, opts, last_ns)
}

/// The strict RFC 8520 file for `keys`: each key an ACE in each direction.
fn write(
    keys: &BTreeSet<AceKey>,
    tls: &BTreeMap<AceKey, ObservedTls>,
    warnings: Vec<String>,
    opts: &ProfileOptions,
    last_ns: i64,
) -> Profile {
    // Merge: a key with unknown opener is covered when the same service is
    // also seen with a known opener? No: keep both; they are different ACEs.
    let slug: String = {
        let tail = opts
            .mud_url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("device");
        let s: String = tail
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .take(40)
            .collect();
        if s.is_empty() {
            "device".into()
        } else {
            s
        }
    };
    let mut acls: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut from_names = Vec::new();
    let mut to_names = Vec::new();
    for k in keys {
        let fam = if k.v6 { "ipv6" } else { "ipv4" };
        for from_device in [true, false] {
            let acl = format!("{}-{fam}-{slug}", if from_device { "from" } else { "to" });
            let list = acls.entry(acl.clone()).or_default();
            if list.is_empty() {
                if from_device {
                    from_names.push(acl.clone());
                } else {
                    to_names.push(acl.clone());
                }
            }
            let mut ipm = Map::new();
            ipm.insert("protocol".into(), json!(k.protocol));
            let mut m = Map::new();
            match &k.remote {
                RemoteClass::Controller(urn) => {
                    m.insert("ietf-mud:mud".into(), json!({"controller": urn}));
                }
                RemoteClass::Local => {
                    m.insert("ietf-mud:mud".into(), json!({"local-networks": [null]}));
                }
                RemoteClass::Name(n) => {
                    let key = if from_device {
                        "ietf-acldns:dst-dnsname"
                    } else {
                        "ietf-acldns:src-dnsname"
                    };
                    ipm.insert(key.into(), json!(n));
                }
                RemoteClass::Addr(ip) => {
                    let key = format!(
                        "{}-{fam}-network",
                        if from_device { "destination" } else { "source" }
                    );
                    let len = if k.v6 { 128 } else { 32 };
                    ipm.insert(key, json!(format!("{ip}/{len}")));
                }
            }
            m.insert(fam.into(), Value::Object(ipm));
            // The service port: the remote's (outbound) or the device's (inbound).
            let port_is_dst = from_device != k.device_side_port;
            let mut l4 = Map::new();
            l4.insert(
                if port_is_dst {
                    "destination-port"
                } else {
                    "source-port"
                }
                .into(),
                json!({"operator": "eq", "port": k.port}),
            );
            if let Some(dev_opens) = k.device_opens {
                l4.insert(
                    "ietf-mud:direction-initiated".into(),
                    json!(if dev_opens {
                        "from-device"
                    } else {
                        "to-device"
                    }),
                );
            }
            m.insert(
                if k.protocol == 6 { "tcp" } else { "udp" }.into(),
                Value::Object(l4),
            );
            if let (true, Some(t)) = (from_device, tls.get(k)) {
                m.insert("ietf-acl-tls:client-profiles".into(), t.json("observed"));
            }
            let name = format!("{acl}-{}", list.len());
            list.push(json!({
                "name": name,
                "matches": Value::Object(m),
                "actions": {"forwarding": "accept"}
            }));
        }
    }
    from_names.sort();
    to_names.sort();
    let mut mud = Map::new();
    mud.insert("mud-version".into(), json!(1));
    mud.insert("mud-url".into(), json!(opts.mud_url));
    mud.insert("last-update".into(), json!(rfc3339(last_ns)));
    mud.insert("cache-validity".into(), json!(48));
    mud.insert("is-supported".into(), json!(true));
    mud.insert("systeminfo".into(), json!(opts.systeminfo));
    if !tls.is_empty() {
        mud.insert("extensions".into(), json!(["ietf-mud-tls"]));
        mud.insert(
            "ietf-mud-tls:is-tls-dtls-profile-supported".into(),
            json!(true),
        );
    }
    let lists = |names: &[String]| json!({"access-lists": {"access-list": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}});
    if !from_names.is_empty() {
        mud.insert("from-device-policy".into(), lists(&from_names));
    }
    if !to_names.is_empty() {
        mud.insert("to-device-policy".into(), lists(&to_names));
    }
    let acl_list: Vec<Value> = acls
        .into_iter()
        .map(|(name, aces)| {
            json!({
                "name": name,
                "type": if name.contains("-ipv6-") { "ipv6-acl-type" } else { "ipv4-acl-type" },
                "aces": {"ace": aces}
            })
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("ietf-mud:mud".into(), Value::Object(mud));
    doc.insert(
        "ietf-access-control-list:acls".into(),
        json!({ "acl": acl_list }),
    );
    Profile {
        mud: Value::Object(doc),
        warnings,
        aces: keys.len() * 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_from_observed_services_is_a_strict_mud_file_that_says_them() {
        let observed = vec![
            Observed {
                remote: ObservedRemote::Name("api.cloud.example".into()),
                protocol: 6,
                port: 8001,
                device_opens: true,
            },
            Observed {
                remote: ObservedRemote::Addr("198.51.100.10".parse().unwrap()),
                protocol: 17,
                port: 123,
                device_opens: true,
            },
            // Not TCP or UDP: left out.
            Observed {
                remote: ObservedRemote::Addr("198.51.100.10".parse().unwrap()),
                protocol: 1,
                port: 0,
                device_opens: true,
            },
        ];
        let p = from_observed(
            &observed,
            &ProfileOptions {
                mud_url: "https://warden.invalid/generated/cam.json".into(),
                systeminfo: "generated by warden".into(),
            },
            1_790_000_000_000_000_000,
        );
        let bytes = serde_json::to_vec(&p.mud).unwrap();
        let opts = warden_mud::ValidateOptions {
            dialect: warden_mud::Dialect::Strict,
            ..Default::default()
        };
        let v = warden_mud::load(&bytes, &opts).expect("a strict MUD file");
        let said = warden_mud::explain(&v.mud).join("\n");
        assert!(
            said.contains("api.cloud.example") && said.contains("8001"),
            "{said}"
        );
        assert!(said.contains("198.51.100.10"), "{said}");
        // DNS (2 protocols) and the name in both families, the address in
        // one; each an ACE each way.
        assert_eq!(p.aces, (4 + 2 + 1) * 2);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    }
}
