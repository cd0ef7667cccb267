//! `ValidatedMud` + `Context` → `Policy`: the per-device rules with every
//! abstraction resolved, in the device's point of view (device side vs remote
//! side), default deny.
//!
//! The rule that governs this module: **an abstraction that cannot be
//! resolved never widens access.** An accept rule whose remote cannot be
//! bound is dropped (and reported); a drop/reject rule whose remote cannot be
//! bound is kept with a wider remote (`any`), because removing it could let a
//! later accept match what it was meant to stop.

use crate::context::{Context, Endpoint};
use crate::model::*;
use serde::Serialize;
use std::collections::BTreeSet;

/// Traffic direction relative to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    FromDevice,
    ToDevice,
}

/// The remote side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Remote {
    Any,
    /// Addresses and/or DNS names (names are bound later from DNS answers).
    Endpoints {
        nets: Vec<IpPrefix>,
        names: Vec<String>,
    },
}

/// ICMP match, with the IP version it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IcmpMatch {
    pub version: IpVersion,
    pub icmp_type: Option<u8>,
    pub code: Option<u8>,
}

/// Where a rule came from, for explanations, counters and comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub acl: String,
    pub ace: String,
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub direction: Direction,
    pub action: Forwarding,
    /// None: both IPv4 and IPv6 (eth-only ACEs).
    pub family: Option<IpVersion>,
    pub remote: Remote,
    /// The device's own address must lie in this prefix (rare).
    pub device_net: Option<IpPrefix>,
    pub protocol: Option<u8>,
    pub remote_port: Option<PortMatch>,
    pub device_port: Option<PortMatch>,
    pub icmp: Option<IcmpMatch>,
    pub ethertype: Option<u16>,
    pub remote_mac: Option<MacAddr>,
    /// Who may open the TCP connection.
    pub initiated_by: Option<DirectionInitiated>,
    /// RFC 9761 (D)TLS client profiles of the ACE: not enforceable by the
    /// firewall; the traffic engine judges each ClientHello the rule lets
    /// through against them (any one profile may match).
    pub tls_profiles: Vec<TlsProfile>,
    pub origin: Origin,
}

/// A rule that could not be enforced as written, and what was done instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub origin: Origin,
    /// True when the rule was left out entirely; false when it was kept in a
    /// narrower-access form (a drop that now drops more).
    pub dropped: bool,
    pub reason: String,
}

/// A MUD file resolved in a deployment context: what one device may do.
/// Only [`resolve`] makes one, and it cannot be changed afterwards; the
/// gateway composes its own guards in front with [`Policy::with_rules_first`].
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    mud_url: String,
    rules: Vec<Rule>,
    notes: Vec<Note>,
}

impl Policy {
    pub fn mud_url(&self) -> &str {
        &self.mud_url
    }
    /// The rules, first match wins, default deny after the last.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
    /// What resolution left out or narrowed, and why.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }
    /// This policy with `first` matched before its own rules (the gateway's
    /// guards, such as "update servers only" past the end of support).
    pub fn with_rules_first(&self, first: Vec<Rule>) -> Policy {
        let mut rules = first;
        rules.extend(self.rules.iter().cloned());
        Policy {
            mud_url: self.mud_url.clone(),
            rules,
            notes: self.notes.clone(),
        }
    }

    /// DNS names the enforcer must bind, sorted.
    pub fn dns_names(&self) -> BTreeSet<&str> {
        self.rules
            .iter()
            .filter_map(|r| match &r.remote {
                Remote::Endpoints { names, .. } => Some(names.iter().map(String::as_str)),
                Remote::Any => None,
            })
            .flatten()
            .collect()
    }
}

/// Resolves a validated MUD file for one device in one context.
pub fn resolve(mud: &ValidatedMud, ctx: &Context) -> Policy {
    let mut p = Policy {
        mud_url: mud.meta.mud_url.clone(),
        rules: Vec::new(),
        notes: Vec::new(),
    };
    for (dir, names) in [
        (Direction::FromDevice, &mud.from_device),
        (Direction::ToDevice, &mud.to_device),
    ] {
        for name in names {
            let Some(acl) = mud.acl(name) else { continue };
            for ace in &acl.aces {
                resolve_ace(mud, ctx, dir, acl, ace, &mut p);
            }
        }
    }
    p
}

fn resolve_ace(
    mud: &ValidatedMud,
    ctx: &Context,
    dir: Direction,
    acl: &Acl,
    ace: &Ace,
    p: &mut Policy,
) {
    let origin = Origin {
        acl: acl.name.clone(),
        ace: ace.name.clone(),
        pointer: ace.pointer.clone(),
    };
    let widening = ace.action == Forwarding::Accept;
    let m = &ace.matches;
    let mut note = |dropped: bool, reason: String| {
        p.notes.push(Note {
            origin: origin.clone(),
            dropped,
            reason,
        });
    };

    if !m.unenforced.is_empty() {
        let leaves = m.unenforced.join(", ");
        if widening {
            note(true, format!("matches on {leaves}, which warden cannot enforce; the accept rule is left out rather than widened"));
            return;
        }
        note(false, format!("matches on {leaves}, which warden cannot enforce; the {:?} rule now applies without them", ace.action));
    }

    let family = match (&m.ip, acl.acl_type) {
        (Some(ip), _) => Some(ip.version),
        (None, AclType::Ipv4) => Some(IpVersion::V4),
        (None, AclType::Ipv6) => Some(IpVersion::V6),
        (None, _) => None,
    };

    // Sort the L3/L4 fields into device side and remote side.
    let (mut remote_sources, mut device_net, mut device_name) = (Vec::<Remote>::new(), None, None);
    let mut what = Vec::<&str>::new();
    if let Some(ip) = &m.ip {
        let (remote_net, remote_name, dev_net, dev_name) = match dir {
            Direction::FromDevice => (
                &ip.dst_network,
                &ip.dst_dnsname,
                &ip.src_network,
                &ip.src_dnsname,
            ),
            Direction::ToDevice => (
                &ip.src_network,
                &ip.src_dnsname,
                &ip.dst_network,
                &ip.dst_dnsname,
            ),
        };
        if let Some(n) = remote_net {
            remote_sources.push(Remote::Endpoints {
                nets: vec![*n],
                names: vec![],
            });
            what.push("a network");
        }
        if let Some(n) = remote_name {
            remote_sources.push(Remote::Endpoints {
                nets: vec![],
                names: vec![n.clone()],
            });
            what.push("a DNS name");
        }
        device_net = *dev_net;
        device_name = dev_name.clone();
    }
    if let Some(name) = device_name {
        if widening {
            note(true, format!("names the device itself by the DNS name `{name}`, which a gateway cannot bind to the device; left out"));
            return;
        }
        note(false, format!("names the device itself as `{name}`; the drop applies to the device whatever its name"));
    }

    // The abstractions.
    let mm = &m.mud;
    let mut unresolved = Vec::<String>::new();
    let mut add =
        |eps: Option<Vec<Endpoint>>, label: String, what: &mut Vec<&str>, tag: &'static str| {
            what.push(tag);
            match eps {
                Some(eps) if !eps.is_empty() => {
                    let mut nets = Vec::new();
                    let mut names = Vec::new();
                    for e in eps {
                        match e {
                            Endpoint::Net(n) => nets.push(n),
                            Endpoint::Name(n) => names.push(n),
                        }
                    }
                    remote_sources.push(Remote::Endpoints { nets, names });
                }
                _ => unresolved.push(label),
            }
        };
    if mm.local_networks {
        let eps = ctx
            .local_networks
            .iter()
            .map(|n| Endpoint::Net(*n))
            .collect::<Vec<_>>();
        add(
            Some(eps),
            "local-networks (the context lists no local networks)".into(),
            &mut what,
            "local-networks",
        );
    }
    if let Some(c) = &mm.controller {
        add(
            ctx.controllers.get(c).cloned(),
            format!("controller `{c}` (the context binds no address or name to this class)"),
            &mut what,
            "controller",
        );
    }
    if mm.my_controller {
        // Bound to the full MUD URL, never to its authority: two devices of
        // one maker can have different controllers.
        add(
            ctx.my_controllers.get(&mud.meta.mud_url).cloned(),
            format!(
                "my-controller (the context has no entry for `{}`)",
                mud.meta.mud_url
            ),
            &mut what,
            "my-controller",
        );
    }
    if let Some(auth) = &mm.manufacturer {
        let eps = peers(ctx, |u| authority(u).as_deref() == Some(auth.as_str()));
        add(
            eps,
            format!("manufacturer `{auth}` (no device of that maker is on the network)"),
            &mut what,
            "manufacturer",
        );
    }
    if mm.same_manufacturer {
        // Same manufacturer = same authority of the MUD URL.
        let mine = mud.authority();
        let eps = peers(ctx, |u| mine.is_some() && authority(u) == mine);
        add(
            eps,
            format!(
                "same-manufacturer (no other device from `{}` is on the network)",
                mine.clone().unwrap_or_default()
            ),
            &mut what,
            "same-manufacturer",
        );
    }
    if let Some(model) = &mm.model {
        let eps = peers(ctx, |u| u == model);
        add(
            eps,
            format!("model `{model}` (no device of that model is on the network)"),
            &mut what,
            "model",
        );
    }

    let mut remote = match remote_sources.len() {
        0 if unresolved.is_empty() => Remote::Any,
        0 => Remote::Endpoints {
            nets: vec![],
            names: vec![],
        },
        1 => remote_sources.pop().unwrap_or(Remote::Any),
        _ => match intersect_all(&remote_sources) {
            Some(Remote::Endpoints { nets, names }) if nets.is_empty() && names.is_empty() => {
                let what = what.join(" and ");
                note(
                    true,
                    format!("combines {what} whose addresses do not overlap, so it can never match; left out"),
                );
                return;
            }
            Some(r) => r,
            None => {
                let reason = format!(
                    "combines {} for the remote side, and DNS names cannot be intersected before they are bound",
                    what.join(" and ")
                );
                if widening {
                    note(true, format!("{reason}; the accept rule is left out"));
                    return;
                }
                note(false, format!("{reason}; the drop applies to any remote"));
                Remote::Any
            }
        },
    };
    if !unresolved.is_empty() {
        let list = unresolved.join("; ");
        if widening {
            note(true, format!("cannot resolve {list}; the accept rule is left out so that access is never widened"));
            return;
        }
        note(
            false,
            format!("cannot resolve {list}; the drop applies to any remote"),
        );
        remote = Remote::Any;
    }

    // Keep only addresses of the rule's family.
    if let (Some(fam), Remote::Endpoints { nets, names }) = (family, &mut remote) {
        let before = nets.len();
        nets.retain(|n| n.version() == fam);
        if before > 0 && nets.is_empty() && names.is_empty() {
            if widening {
                note(
                    true,
                    format!("none of the addresses bound to it is {fam:?}; left out"),
                );
                return;
            }
            remote = Remote::Any;
        }
        if let Remote::Endpoints { nets, names } = &mut remote {
            nets.sort();
            nets.dedup();
            names.sort();
            names.dedup();
        }
    }

    let protocol = m.ip.as_ref().and_then(|ip| ip.protocol).or(match &m.l4 {
        Some(L4Match::Tcp { .. }) => Some(6),
        Some(L4Match::Udp { .. }) => Some(17),
        Some(L4Match::Icmp { .. }) => Some(if family == Some(IpVersion::V6) { 58 } else { 1 }),
        None => None,
    });
    let (mut remote_port, mut device_port, mut initiated_by, mut icmp) = (None, None, None, None);
    match &m.l4 {
        Some(L4Match::Tcp {
            src_port,
            dst_port,
            direction_initiated,
        }) => {
            (remote_port, device_port) = sides(dir, *src_port, *dst_port);
            initiated_by = *direction_initiated;
        }
        Some(L4Match::Udp { src_port, dst_port }) => {
            (remote_port, device_port) = sides(dir, *src_port, *dst_port)
        }
        Some(L4Match::Icmp { icmp_type, code }) => {
            icmp = Some(IcmpMatch {
                version: family.unwrap_or(IpVersion::V4),
                icmp_type: *icmp_type,
                code: *code,
            })
        }
        None => {}
    }
    let remote_mac = m.eth.as_ref().and_then(|e| match dir {
        Direction::FromDevice => e.dst_mac,
        Direction::ToDevice => e.src_mac,
    });
    if let Some(e) = &m.eth {
        if e.src_mac_mask.is_some() || e.dst_mac_mask.is_some() {
            if widening {
                note(
                    true,
                    "matches a MAC address with a mask, which warden does not enforce; left out"
                        .into(),
                );
                return;
            }
            note(
                false,
                "matches a MAC address with a mask; the drop ignores the mask".into(),
            );
        }
    }
    p.rules.push(Rule {
        direction: dir,
        action: ace.action,
        family,
        remote,
        device_net,
        protocol,
        remote_port,
        device_port,
        icmp,
        ethertype: m.eth.as_ref().and_then(|e| e.ethertype),
        remote_mac,
        initiated_by,
        tls_profiles: m.tls_profiles.clone(),
        origin,
    });
}

/// The intersection of several remote constraints, all of them address
/// sets; None when a DNS name is involved (names are bound at run time).
fn intersect_all(sources: &[Remote]) -> Option<Remote> {
    let mut acc: Option<Vec<IpPrefix>> = None;
    for r in sources {
        let Remote::Endpoints { nets, names } = r else {
            continue;
        };
        if !names.is_empty() {
            return None;
        }
        acc = Some(match acc {
            None => nets.clone(),
            Some(prev) => {
                let mut out = Vec::new();
                for a in &prev {
                    for b in nets {
                        if a.len <= b.len && a.contains(b.addr) {
                            out.push(*b);
                        } else if b.len <= a.len && b.contains(a.addr) {
                            out.push(*a);
                        }
                    }
                }
                out
            }
        });
    }
    Some(match acc {
        None => Remote::Any,
        Some(nets) => Remote::Endpoints {
            nets,
            names: vec![],
        },
    })
}

/// (remote port, device port) from (source port, destination port).
fn sides(
    dir: Direction,
    src: Option<PortMatch>,
    dst: Option<PortMatch>,
) -> (Option<PortMatch>, Option<PortMatch>) {
    match dir {
        Direction::FromDevice => (dst, src),
        Direction::ToDevice => (src, dst),
    }
}

fn authority(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
}

fn peers(ctx: &Context, f: impl Fn(&str) -> bool) -> Option<Vec<Endpoint>> {
    let v: Vec<Endpoint> = ctx
        .devices
        .iter()
        .filter(|d| f(&d.mud_url))
        .flat_map(|d| d.addresses.iter().map(|a| Endpoint::Net(*a)))
        .collect();
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{load, ValidateOptions};

    fn mud(matches: &str, action: &str) -> ValidatedMud {
        let s = format!(
            r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://maker.example/m1",
              "last-update": "2024-01-01T00:00:00Z", "is-supported": true,
              "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
              "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type",
              "aces": {{"ace": [{{"name": "x", "matches": {matches}, "actions": {{"forwarding": "{action}"}}}}]}}}}]}}}}"#
        );
        load(s.as_bytes(), &ValidateOptions::default()).unwrap().mud
    }

    #[test]
    fn unresolved_abstraction_drops_accept_rule() {
        let m = mud(r#"{"ietf-mud:mud": {"my-controller": [null]}}"#, "accept");
        let p = resolve(&m, &Context::default());
        assert!(p.rules.is_empty());
        assert!(p.notes[0].dropped && p.notes[0].reason.contains("my-controller"));
    }

    #[test]
    fn unresolved_abstraction_widens_a_drop_to_any_remote() {
        let m = mud(
            r#"{"ietf-mud:mud": {"controller": "https://c.example/x"}}"#,
            "drop",
        );
        let p = resolve(&m, &Context::default());
        assert_eq!(p.rules[0].remote, Remote::Any);
        assert!(!p.notes[0].dropped);
    }

    #[test]
    fn my_controller_binds_to_full_url_and_same_manufacturer_to_authority() {
        let ctx = Context::from_toml(
            r#"
[my-controllers]
"https://maker.example/other-model" = ["10.0.0.9"]
[[devices]]
mud-url = "https://maker.example/m2"
addresses = ["10.0.0.2"]
[[devices]]
mud-url = "https://evil.example/maker.example"
addresses = ["10.0.0.3"]
"#,
        )
        .unwrap();
        let p = resolve(
            &mud(r#"{"ietf-mud:mud": {"my-controller": [null]}}"#, "accept"),
            &ctx,
        );
        assert!(
            p.rules.is_empty(),
            "a controller of another model of the same maker must not bind"
        );
        let p = resolve(
            &mud(
                r#"{"ietf-mud:mud": {"same-manufacturer": [null]}}"#,
                "accept",
            ),
            &ctx,
        );
        assert_eq!(
            p.rules[0].remote,
            Remote::Endpoints {
                nets: vec![IpPrefix::parse("10.0.0.2").unwrap()],
                names: vec![]
            }
        );
    }

    #[test]
    fn ports_are_sorted_into_device_and_remote_sides() {
        let m = mud(
            r#"{"ipv4": {"protocol": 6}, "tcp": {"source-port": {"operator": "eq", "port": 1000}, "destination-port": {"operator": "eq", "port": 443}}}"#,
            "accept",
        );
        let r = &resolve(&m, &Context::default()).rules[0];
        assert_eq!(r.remote_port, Some(PortMatch::Eq { port: 443 }));
        assert_eq!(r.device_port, Some(PortMatch::Eq { port: 1000 }));
    }

    #[test]
    fn unenforceable_leaf_drops_accept_but_keeps_drop() {
        let p = resolve(
            &mud(r#"{"ipv4": {"ttl": 3}}"#, "accept"),
            &Context::default(),
        );
        assert!(p.rules.is_empty() && p.notes[0].dropped);
        let p = resolve(&mud(r#"{"ipv4": {"ttl": 3}}"#, "drop"), &Context::default());
        assert_eq!(p.rules.len(), 1);
    }

    #[test]
    fn network_and_local_networks_are_intersected() {
        let ctx = Context::from_toml("local-networks = [\"192.168.1.0/24\"]").unwrap();
        let m = mud(
            r#"{"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"destination-ipv4-network": "192.168.1.7/32"}}"#,
            "accept",
        );
        let p = resolve(&m, &ctx);
        assert_eq!(
            p.rules[0].remote,
            Remote::Endpoints {
                nets: vec![IpPrefix::parse("192.168.1.7").unwrap()],
                names: vec![]
            }
        );
        let m = mud(
            r#"{"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"destination-ipv4-network": "224.0.0.22/32"}}"#,
            "accept",
        );
        let p = resolve(&m, &ctx);
        assert!(p.rules.is_empty() && p.notes[0].reason.contains("never match"));
    }

    #[test]
    fn family_filter_removes_other_family_addresses() {
        let ctx = Context::from_toml("local-networks = [\"fd00::/64\"]").unwrap();
        let p = resolve(
            &mud(r#"{"ietf-mud:mud": {"local-networks": [null]}}"#, "accept"),
            &ctx,
        );
        assert!(p.rules.is_empty(), "{:?}", p.rules);
    }
}
