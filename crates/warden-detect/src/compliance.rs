//! MUD compliance of observed flows: would the gateway, enforcing this
//! device's [`Policy`], have let the flow open?
//!
//! The check makes the same decision as the nftables ruleset that
//! `warden-nft` compiles: the first packet of a flow is judged by the rules
//! of its direction (from-device when the device opened it, to-device when a
//! remote did), first match wins, no match is the default deny; answers
//! pass as part of the established connection. A rule with
//! `direction-initiated` cannot let the other side open. DNS-named remotes
//! match when the device's own DNS traffic bound the address to the name
//! around the flow's start ([`crate::bindings`]). TCP flows whose opening
//! the capture missed are judged by either direction.
//!
//! Not judged (and counted as exempt): multicast and broadcast peers
//! (link-local traffic the gateway does not route), DHCP, and inbound
//! attempts the device never answered (someone else's behaviour, not the
//! device's; the gateway drops them all the same).

use crate::bindings::Bindings;
use serde::Serialize;
use std::net::IpAddr;
use warden_flow::Flow;
use warden_mud::{Direction, DirectionInitiated, Forwarding, IpVersion, Policy, Remote, Rule};

/// Why a flow fell outside the policy.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub protocol: &'static str,
    /// "outbound" (the device opened it) or "inbound".
    pub direction: &'static str,
    pub device_address: IpAddr,
    pub device_port: u16,
    pub remote: IpAddr,
    pub remote_port: u16,
    /// Names the device's DNS traffic bound to the remote at the time.
    pub remote_names: Vec<String>,
    pub first_ns: i64,
    pub packets: u64,
    pub bytes: u64,
    /// The access lists of the direction that judged the flow.
    pub acls: Vec<String>,
    /// The ACE that dropped it, when one did (otherwise the default deny).
    pub dropped_by: Option<String>,
    pub explanation: String,
}

/// The verdict on one flow.
#[derive(Debug, Clone)]
pub enum Verdict {
    Allowed,
    Exempt,
    Violation(Box<Violation>),
}

fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "TCP",
        17 => "UDP",
        _ => "IP",
    }
}

/// One packet's view from the device: who is where.
struct View<'a> {
    dir: Direction,
    protocol: u8,
    device_ip: IpAddr,
    device_port: u16,
    remote_ip: IpAddr,
    remote_port: u16,
    remote_mac: Option<[u8; 6]>,
    names: &'a [&'a str],
    /// Judge `direction-initiated` (false for flows opened before the capture).
    opening: bool,
}

impl<'a> View<'a> {
    fn of(a: &Attempt<'a>, dir: Direction, opening: bool) -> View<'a> {
        View {
            dir,
            protocol: a.protocol,
            device_ip: a.device_ip,
            device_port: a.device_port,
            remote_ip: a.remote_ip,
            remote_port: a.remote_port,
            remote_mac: a.remote_mac,
            names: a.names,
            opening,
        }
    }
}

fn matches(r: &Rule, v: &View<'_>) -> bool {
    if r.direction != v.dir {
        return false;
    }
    let v4 = v.remote_ip.is_ipv4();
    if let Some(f) = r.family {
        if (f == IpVersion::V4) != v4 {
            return false;
        }
    }
    if let Some(e) = r.ethertype {
        if e != if v4 { 0x0800 } else { 0x86dd } {
            return false;
        }
    }
    if r.icmp.is_some() {
        return false;
    }
    if r.protocol.is_some_and(|p| p != v.protocol) {
        return false;
    }
    if let Some(n) = &r.device_net {
        if !n.contains(v.device_ip) {
            return false;
        }
    }
    if r.remote_port.is_some_and(|p| !p.matches(v.remote_port))
        || r.device_port.is_some_and(|p| !p.matches(v.device_port))
    {
        return false;
    }
    if let Some(m) = r.remote_mac {
        if v.remote_mac != Some(m.0) {
            return false;
        }
    }
    if v.opening {
        let opener = match v.dir {
            Direction::FromDevice => DirectionInitiated::FromDevice,
            Direction::ToDevice => DirectionInitiated::ToDevice,
        };
        if r.initiated_by.is_some_and(|i| i != opener) {
            return false;
        }
    }
    match &r.remote {
        Remote::Any => true,
        Remote::Endpoints { nets, names } => {
            nets.iter().any(|n| n.contains(v.remote_ip))
                || names.iter().any(|n| v.names.contains(&n.as_str()))
        }
    }
}

/// The first rule of the view's direction that matches, if any.
fn decide<'p>(policy: &'p Policy, v: &View<'_>) -> Option<&'p Rule> {
    policy.rules().iter().find(|r| matches(r, v))
}

fn acls(policy: &Policy, dir: Direction) -> Vec<String> {
    let mut v: Vec<String> = policy
        .rules()
        .iter()
        .filter(|r| r.direction == dir)
        .map(|r| r.origin.acl.clone())
        .collect();
    v.dedup();
    v
}

/// One attempt to talk, seen from the device: what [`judge`] decides on.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub protocol: u8,
    pub device_ip: IpAddr,
    pub device_port: u16,
    pub remote_ip: IpAddr,
    pub remote_port: u16,
    pub remote_mac: Option<[u8; 6]>,
    /// Names the device's own DNS traffic bound to `remote_ip` at the time.
    pub names: &'a [&'a str],
    /// The device opened it (otherwise the remote did).
    pub opened_by_device: bool,
    /// The capture missed the opening: either side may have opened it.
    pub midstream: bool,
    pub first_ns: i64,
    pub packets: u64,
    pub bytes: u64,
}

/// Judges `flow` for the device on `side` (0 initiator, 1 responder).
pub fn check(
    policy: &Policy,
    flow: &Flow,
    side: usize,
    device: crate::common::DevKey,
    bindings: &Bindings,
) -> Verdict {
    let (me, peer) = if side == 0 {
        (flow.initiator, flow.responder)
    } else {
        (flow.responder, flow.initiator)
    };
    if side == 1 && flow.packets[1] == 0 {
        return Verdict::Exempt;
    }
    let names = bindings.names_at(device, peer.ip, flow.first_ns);
    judge(
        policy,
        &Attempt {
            protocol: flow.key.protocol,
            device_ip: me.ip,
            device_port: me.port,
            remote_ip: peer.ip,
            remote_port: peer.port,
            remote_mac: flow.macs[1 - side],
            names: &names,
            opened_by_device: side == 0,
            midstream: flow.midstream,
            first_ns: flow.first_ns,
            packets: flow.packets[0] + flow.packets[1],
            bytes: flow.bytes[0] + flow.bytes[1],
        },
    )
}

/// The accept rule that lets `a` open in the direction it was opened
/// (the one whose RFC 9761 profiles judge its handshake), if any.
pub fn first_accept<'p>(policy: &'p Policy, a: &Attempt<'_>) -> Option<&'p Rule> {
    let dir = if a.opened_by_device {
        Direction::FromDevice
    } else {
        Direction::ToDevice
    };
    decide(policy, &View::of(a, dir, !a.midstream)).filter(|r| r.action == Forwarding::Accept)
}

/// Would the gateway, enforcing `policy`, have let `a` open? The one
/// decision the analyzer's compliance report and the gateway's live
/// verdicts share.
pub fn judge(policy: &Policy, a: &Attempt<'_>) -> Verdict {
    if warden_addr::is_link_scope(a.remote_ip)
        || (a.protocol == 17 && matches!((a.device_port, a.remote_port), (67 | 68, 67 | 68)))
        || (a.protocol == 17 && matches!((a.device_port, a.remote_port), (546 | 547, 546 | 547)))
    {
        return Verdict::Exempt;
    }
    let names = a.names;
    let view = |dir, opening| View::of(a, dir, opening);
    let opened_by_device = a.opened_by_device;
    let dir = if opened_by_device {
        Direction::FromDevice
    } else {
        Direction::ToDevice
    };
    let midstream = a.midstream;
    let verdict = decide(policy, &view(dir, !midstream));
    if verdict.is_some_and(|r| r.action == Forwarding::Accept) {
        return Verdict::Allowed;
    }
    if midstream {
        // The capture missed the opening: the other direction may have opened it.
        let other = match dir {
            Direction::FromDevice => Direction::ToDevice,
            Direction::ToDevice => Direction::FromDevice,
        };
        if decide(policy, &view(other, false)).is_some_and(|r| r.action == Forwarding::Accept) {
            return Verdict::Allowed;
        }
    }
    let acl_names = acls(policy, dir);
    let proto = proto_name(a.protocol);
    let remote_desc = if names.is_empty() {
        format!(
            "{} (no DNS name bound by the device at the time)",
            a.remote_ip
        )
    } else {
        format!("{} ({})", a.remote_ip, names.join(", "))
    };
    let who = if opened_by_device {
        format!(
            "The device opened {proto} to {remote_desc} port {}",
            a.remote_port
        )
    } else {
        format!(
            "{remote_desc} opened {proto} to the device's port {}",
            a.device_port
        )
    };
    let why = match verdict {
        Some(r) => format!(
            "the profile's ACE {}/{} {} it",
            r.origin.acl,
            r.origin.ace,
            if r.action == Forwarding::Reject {
                "rejects"
            } else {
                "drops"
            }
        ),
        None if acl_names.is_empty() => format!(
            "the profile has no {} rules, so it allows nothing in that direction",
            if opened_by_device {
                "from-device"
            } else {
                "to-device"
            }
        ),
        None => format!(
            "none of the access lists {} allows it",
            acl_names.join(", ")
        ),
    };
    Verdict::Violation(Box::new(Violation {
        protocol: match a.protocol {
            6 => "tcp",
            17 => "udp",
            1 | 58 => "icmp",
            _ => "ip",
        },
        direction: if opened_by_device {
            "outbound"
        } else {
            "inbound"
        },
        device_address: a.device_ip,
        device_port: a.device_port,
        remote: a.remote_ip,
        remote_port: a.remote_port,
        remote_names: names.iter().map(|s| s.to_string()).collect(),
        first_ns: a.first_ns,
        packets: a.packets,
        bytes: a.bytes,
        acls: acl_names,
        dropped_by: verdict.map(|r| format!("{}/{}", r.origin.acl, r.origin.ace)),
        explanation: format!("{who}; {why}."),
    }))
}
