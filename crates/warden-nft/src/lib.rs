//! # warden-nft: policies → one atomic nftables ruleset
//!
//! Takes resolved [`warden_mud::Policy`]s, one per device, and emits a single
//! transaction for `nft -j -f` (and the same ruleset as `nft -f` text) that
//! replaces the `inet warden` table atomically:
//!
//! ```text
//! table inet warden
//!   chain forward: BCP 38 egress filter (Options::egress), then as below
//!   map from_mac  ether_addr : verdict   device MAC  → jump from_<mac>    O(1) dispatch
//!   map to_ip4    ipv4_addr  : verdict   device IPv4 → jump to_<mac>
//!   map to_ip6    ipv6_addr  : verdict   device IPv6 → jump to_<mac>
//!   set n<k>_4 / n<k>_6  (flags timeout)  addresses of DNS name k, filled by the gateway
//!   chain forward (hook forward)  ct established,related accept; dispatch by the maps
//!   chain input   (hook input)    the same for traffic to the gateway itself; DHCP/ND always pass
//!   chain from_<mac>  the from-device rules: allowed → return, else counter + nflog + drop
//!   chain to_<mac>    the to-device rules:   allowed → accept, else counter + nflog + drop
//! ```
//!
//! A from-device rule *returns* instead of accepting, so that a packet from
//! one managed device to another is also checked against the receiver's
//! to-device rules. `direction-initiated` becomes a `ct state new` condition on
//! the side allowed to open the connection; answers pass through the
//! established/related rule.
//!
//! ```
//! use warden_mud::{load, resolve, Context, ValidateOptions};
//! use warden_nft::{compile, Device, DevicePolicy, Options};
//! let mud = br#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://example.com/bulb",
//!   "last-update": "2024-05-01T10:00:00Z", "is-supported": true,
//!   "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}},
//!  "ietf-access-control-list:acls": {"acl": [{"name": "out", "type": "ipv4-acl-type",
//!   "aces": {"ace": [{"name": "cloud", "matches": {"ipv4": {"protocol": 6,
//!     "ietf-acldns:dst-dnsname": "api.example.com"}, "tcp": {"destination-port":
//!     {"operator": "eq", "port": 443}}}, "actions": {"forwarding": "accept"}}]}}]}}"#;
//! let v = load(mud, &ValidateOptions::default()).unwrap();
//! let policy = resolve(&v.mud, &Context::default());
//! let device = Device::parse("02:00:00:00:00:01,192.168.1.10").unwrap();
//! let rs = compile(&[DevicePolicy { device, policy: &policy }], &Options::default()).unwrap();
//! assert!(rs.text().contains("ip daddr @n0_4 tcp dport 443 return"));
//! assert_eq!(rs.name_sets["api.example.com"].ipv4, "n0_4"); // the gateway fills this set
//! ```
//!
//! With [`Options::bridge`] (the default) the same policies are also emitted
//! as a `table bridge warden` in the same transaction, for frames between
//! two ports of the LAN bridge that never reach the `inet` hooks (no
//! `br_netfilter`): dispatch by source and destination MAC, ARP, DHCP and
//! neighbour discovery always pass, and because bridged frames are not
//! connection-tracked on most kernels each accept rule also admits its
//! answers (TCP: never a connection opening). [`Options::egress`] adds BCP 38
//! egress filtering to the `forward` chain.
//!
//! Not handled: stateful bridge rules where the kernel has
//! `nf_conntrack_bridge`; MAC matches are compiled as written but only see
//! the last hop's addresses of routed traffic.
#![forbid(unsafe_code)]

mod ir;
pub mod kernel;

pub use ir::{Expr, Left, Right};

use ir::{Chain, Op};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use warden_mud::policy::IcmpMatch;
use warden_mud::{
    Direction, DirectionInitiated, Forwarding, IpVersion, MacAddr, Policy, PortMatch, Remote, Rule,
};

/// A device as the enforcer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub mac: MacAddr,
    pub addresses: Vec<IpAddr>,
}

impl Device {
    /// Parses `MAC[,IP...]` as the CLI takes it.
    pub fn parse(s: &str) -> Result<Device, NftError> {
        let mut parts = s.split(',');
        let mac_s = parts.next().unwrap_or_default().trim();
        let mac = MacAddr::parse(mac_s)
            .ok_or_else(|| NftError::Device(format!("`{mac_s}` is not a MAC address")))?;
        let mut addresses = Vec::new();
        for p in parts {
            let p = p.trim();
            addresses.push(
                p.parse()
                    .map_err(|_| NftError::Device(format!("`{p}` is not an IP address")))?,
            );
        }
        Ok(Device { mac, addresses })
    }
}

/// The names of a device's two chains, (from the device, to it):
/// `from_<MAC hex>` and `to_<MAC hex>`, in both tables. The kernel's
/// counters on them are the device's drops.
pub fn device_chains(mac: &MacAddr) -> (String, String) {
    let id: String = mac.0.iter().map(|b| format!("{b:02x}")).collect();
    (format!("from_{id}"), format!("to_{id}"))
}

/// One device and the policy it must follow.
#[derive(Debug, Clone)]
pub struct DevicePolicy<'a> {
    pub device: Device,
    pub policy: &'a Policy,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Table name inside the `inet` family.
    pub table: String,
    /// nflog group that receives dropped packets.
    pub log_group: u16,
    /// Also emit the `bridge` table that enforces the same policies on
    /// frames between two ports of the LAN bridge (device to device), which
    /// never reach the `inet` hooks unless `br_netfilter` is loaded.
    pub bridge: bool,
    /// Egress filtering in the spirit of BCP 38: routed packets that come in
    /// on one of these LAN interfaces with a source address outside the
    /// local networks are dropped (a spoofed flood never leaves the LAN).
    pub egress: Option<Egress>,
}

/// The LAN side, for egress filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    pub interfaces: Vec<String>,
    pub local_networks: Vec<warden_mud::IpPrefix>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            table: "warden".into(),
            log_group: 100,
            bridge: true,
            egress: None,
        }
    }
}

/// `iifname { LAN } ip saddr != { local } counter log drop`, per family that
/// has a local network (IPv6 also keeps link-local sources).
fn egress_rules(e: &Egress, log_group: u16) -> Vec<(Vec<Expr>, Option<String>)> {
    let mut out = Vec::new();
    if e.interfaces.is_empty() {
        return out;
    }
    for (fam, proto, extra) in [
        (IpVersion::V4, "ip", None),
        (
            IpVersion::V6,
            "ip6",
            Some(("fe80::".to_string(), 10u8, false)),
        ),
    ] {
        let mut nets: Vec<(String, u8, bool)> = e
            .local_networks
            .iter()
            .filter(|n| n.version() == fam)
            .map(|n| (n.addr.to_string(), n.len, n.is_host()))
            .collect();
        if nets.is_empty() {
            continue;
        }
        nets.extend(extra);
        out.push((
            vec![
                Expr::Match {
                    left: Left::Meta("iifname"),
                    op: Op::Eq,
                    right: Right::StrSet(e.interfaces.clone()),
                },
                Expr::Match {
                    left: Left::Payload(proto, "saddr"),
                    op: Op::Ne,
                    right: Right::Prefixes(nets),
                },
                Expr::Counter,
                Expr::Log {
                    prefix: "warden drop spoofed source ".into(),
                    group: log_group,
                },
                Expr::Drop,
            ],
            Some("BCP 38: a LAN device may only send from local addresses".into()),
        ));
    }
    out
}

/// Which table a rule is printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Routed traffic and traffic to the gateway, with connection tracking.
    Inet,
    /// Bridged frames: no connection tracking (most kernels, OpenWrt's
    /// among them, track no bridged connections), so `ct state` becomes a
    /// TCP-flags test and answers are allowed by mirrored rules.
    Bridge,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NftError {
    /// A device specification is not valid.
    #[error("device: {0}")]
    Device(String),
    /// Two devices share a MAC or an address.
    #[error("two devices share {0}")]
    Conflict(String),
}

/// The compiled ruleset.
#[derive(Debug, Clone, Serialize)]
pub struct Ruleset {
    /// The transaction for `nft -j -f` (JSON text).
    pub json: String,
    /// The model both forms are printed from; `text()` renders it on demand.
    #[serde(skip)]
    table: ir::Table,
    /// The bridge table, from the same policies (see [`Options::bridge`]).
    #[serde(skip)]
    bridge: Option<ir::Table>,
    /// DNS name → (IPv4 set, IPv6 set) names the gateway fills.
    pub name_sets: BTreeMap<String, NameSets>,
    /// Number of rules in device chains.
    pub rule_count: usize,
}

impl Ruleset {
    fn tables(&self) -> Vec<&ir::Table> {
        std::iter::once(&self.table).chain(&self.bridge).collect()
    }

    /// Frees the JSON text, which for many devices is megabytes: a ruleset
    /// kept only to compute the next delta ([`Ruleset::delta_from`] and
    /// `text()` work from the model) need not hold it.
    pub fn forget_json(&mut self) {
        self.json = String::new();
    }

    /// The commands that turn `old` (applied earlier, so in the kernel)
    /// into this ruleset without replacing its tables, so the DNS-name
    /// sets keep their addresses: only the device chains and map elements
    /// that changed. Each command is a JSON object preceded by a comma, for
    /// a caller that adds its own before wrapping them in
    /// `{"nftables":[...]}`. None when anything else differs (a new DNS
    /// name, another table layout): then only a whole replacement will do.
    /// Computed over the typed model: nothing is parsed back.
    pub fn delta_from(&self, old: &Ruleset) -> Option<String> {
        ir::delta_commands(&old.tables(), &self.tables())
    }

    /// The same ruleset in `nft -f` syntax, for people and for `nft -c -f`.
    pub fn text(&self) -> String {
        let mut t = self.table.to_text();
        if let Some(b) = &self.bridge {
            t.push_str(&b.to_text());
        }
        t
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NameSets {
    pub ipv4: String,
    pub ipv6: String,
}

/// Compiles policies for a set of devices into one ruleset.
pub fn compile(devices: &[DevicePolicy<'_>], opts: &Options) -> Result<Ruleset, NftError> {
    let mut devs: Vec<&DevicePolicy> = devices.iter().collect();
    devs.sort_by_key(|d| d.device.mac);
    let mut seen_mac = BTreeSet::new();
    let mut seen_ip = BTreeSet::new();
    for d in &devs {
        if !seen_mac.insert(d.device.mac) {
            return Err(NftError::Conflict(format!("the MAC {}", d.device.mac)));
        }
        for a in &d.device.addresses {
            if !seen_ip.insert(*a) {
                return Err(NftError::Conflict(format!("the address {a}")));
            }
        }
    }

    // One pair of sets per DNS name, shared by all devices.
    let names: BTreeSet<&str> = devs.iter().flat_map(|d| d.policy.dns_names()).collect();
    let name_sets: BTreeMap<String, NameSets> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            (
                n.to_string(),
                NameSets {
                    ipv4: format!("n{k}_4"),
                    ipv6: format!("n{k}_6"),
                },
            )
        })
        .collect();

    let mut chains = Vec::new();
    let mut from_mac = Vec::new();
    let mut to_ip4 = Vec::new();
    let mut to_ip6 = Vec::new();
    let mut rule_count = 0;
    for d in &devs {
        let (from_name, to_name) = device_chains(&d.device.mac);
        let mut from = Chain::regular(&from_name);
        let mut to = Chain::regular(&to_name);
        for r in d.policy.rules() {
            let chain = match r.direction {
                Direction::FromDevice => &mut from,
                Direction::ToDevice => &mut to,
            };
            for exprs in rule_exprs(r, &name_sets, Family::Inet) {
                chain.rules.push((exprs, Some(comment(r))));
                rule_count += 1;
            }
        }
        for (chain, dir) in [(&mut from, "from"), (&mut to, "to")] {
            chain
                .rules
                .push(default_deny(dir, d.device.mac, opts.log_group));
        }
        from_mac.push((d.device.mac.to_string(), from_name));
        for a in &d.device.addresses {
            match a {
                IpAddr::V4(_) => to_ip4.push((a.to_string(), to_name.clone())),
                IpAddr::V6(_) => to_ip6.push((a.to_string(), to_name.clone())),
            }
        }
        chains.push(from);
        chains.push(to);
    }

    let dispatch = |base: &mut Chain, with_to: bool| {
        base.rules.push((
            vec![
                Expr::ct_state(Op::In, &["established", "related"]),
                Expr::Accept,
            ],
            Some("answers to allowed connections".into()),
        ));
        if !with_to {
            // The device must be able to get an address and find its router
            // before any policy can name it.
            base.rules.push(accept_l4(
                17,
                ("udp", "dport"),
                vec![67, 547],
                "DHCP and DHCPv6 to the gateway",
            ));
            base.rules.push(accept_l4(
                58,
                ("icmpv6", "type"),
                vec![133, 135, 136],
                "IPv6 neighbour discovery to the gateway",
            ));
        }
        base.rules.push(vmap(("ether", "saddr"), "from_mac"));
        if with_to {
            base.rules.push(vmap(("ip", "daddr"), "to_ip4"));
            base.rules.push(vmap(("ip6", "daddr"), "to_ip6"));
        }
    };
    let mut forward = Chain::base("forward", "forward");
    if let Some(e) = &opts.egress {
        forward.rules.extend(egress_rules(e, opts.log_group));
    }
    dispatch(&mut forward, true);
    let mut input = Chain::base("input", "input");
    dispatch(&mut input, false);
    let mut all_chains = vec![forward, input];
    all_chains.extend(chains);

    let t = ir::Table {
        family: "inet",
        name: opts.table.clone(),
        maps: vec![
            ir::Map {
                name: "from_mac".into(),
                key_type: "ether_addr",
                elems: from_mac,
            },
            ir::Map {
                name: "to_ip4".into(),
                key_type: "ipv4_addr",
                elems: to_ip4,
            },
            ir::Map {
                name: "to_ip6".into(),
                key_type: "ipv6_addr",
                elems: to_ip6,
            },
        ],
        sets: name_set_decls(&name_sets),
        chains: all_chains,
    };
    let bridge = opts.bridge.then(|| bridge_table(&devs, &name_sets, opts));
    let json = match &bridge {
        Some(b) => ir::transaction_json(&[&t, b]),
        None => ir::transaction_json(&[&t]),
    };
    Ok(Ruleset {
        json,
        table: t,
        bridge,
        name_sets,
        rule_count,
    })
}

/// `meta l4proto L4 PROTO FIELD { values } accept`, with its comment.
fn accept_l4(
    l4: u64,
    (proto, field): (&'static str, &'static str),
    values: Vec<u64>,
    comment: &str,
) -> (Vec<Expr>, Option<String>) {
    (
        vec![
            Expr::Match {
                left: Left::Meta("l4proto"),
                op: Op::Eq,
                right: Right::Num(l4),
            },
            Expr::Match {
                left: Left::Payload(proto, field),
                op: Op::Eq,
                right: Right::NumSet(values),
            },
            Expr::Accept,
        ],
        Some(comment.into()),
    )
}

/// `PROTO FIELD vmap @MAP`: O(1) dispatch to a device's chain.
fn vmap((proto, field): (&'static str, &'static str), map: &str) -> (Vec<Expr>, Option<String>) {
    (
        vec![Expr::Vmap {
            key: Left::Payload(proto, field),
            map: map.into(),
        }],
        None,
    )
}

fn default_deny(dir: &str, mac: MacAddr, log_group: u16) -> (Vec<Expr>, Option<String>) {
    (
        vec![
            Expr::Counter,
            Expr::Log {
                prefix: format!("warden drop {dir} {mac} "),
                group: log_group,
            },
            Expr::Drop,
        ],
        Some("default deny (RFC 8520: what the MUD file does not allow)".into()),
    )
}

/// The answer a rule's peer gives: the same rule seen from the other side
/// (remote and ports keep their meaning), which may never open a TCP
/// connection. Echo requests are answered by echo replies; other ICMP types
/// and drops have no answer.
fn answer(r: &Rule) -> Option<Rule> {
    if r.action != Forwarding::Accept {
        return None;
    }
    let mut a = r.clone();
    a.direction = match r.direction {
        Direction::FromDevice => Direction::ToDevice,
        Direction::ToDevice => Direction::FromDevice,
    };
    // Only the side that sent `r` opened the exchange.
    a.initiated_by = Some(match r.direction {
        Direction::FromDevice => DirectionInitiated::FromDevice,
        Direction::ToDevice => DirectionInitiated::ToDevice,
    });
    if let Some(icmp) = &mut a.icmp {
        icmp.icmp_type = match (icmp.version, icmp.icmp_type) {
            (_, None) => None,
            (IpVersion::V4, Some(8)) => Some(0),
            (IpVersion::V6, Some(128)) => Some(129),
            _ => return None,
        };
        icmp.code = None;
    }
    Some(a)
}

/// The `bridge` table: the same device policies, for frames that go from
/// one LAN port to another. Dispatch is by MAC both ways (O(1) verdict
/// maps); ARP, DHCP and neighbour discovery always pass.
fn bridge_table(
    devs: &[&DevicePolicy<'_>],
    name_sets: &BTreeMap<String, NameSets>,
    opts: &Options,
) -> ir::Table {
    let mut chains = Vec::new();
    let mut from_mac = Vec::new();
    let mut to_mac = Vec::new();
    for d in devs {
        let (from_name, to_name) = device_chains(&d.device.mac);
        let mut from = Chain::regular(&from_name);
        let mut to = Chain::regular(&to_name);
        // Answers first, as `ct state established` comes first in `inet`.
        for r in d.policy.rules().iter().filter_map(answer) {
            let chain = match r.direction {
                Direction::FromDevice => &mut from,
                Direction::ToDevice => &mut to,
            };
            for exprs in rule_exprs(&r, name_sets, Family::Bridge) {
                chain
                    .rules
                    .push((exprs, Some(format!("answer to {}", comment(&r)))));
            }
        }
        for r in d.policy.rules() {
            let chain = match r.direction {
                Direction::FromDevice => &mut from,
                Direction::ToDevice => &mut to,
            };
            for exprs in rule_exprs(r, name_sets, Family::Bridge) {
                chain.rules.push((exprs, Some(comment(r))));
            }
        }
        from.rules
            .push(default_deny("from", d.device.mac, opts.log_group));
        to.rules
            .push(default_deny("to", d.device.mac, opts.log_group));
        from_mac.push((d.device.mac.to_string(), from_name));
        to_mac.push((d.device.mac.to_string(), to_name));
        chains.push(from);
        chains.push(to);
    }
    let mut forward = Chain::base("forward", "forward");
    forward.rules.push((
        vec![
            Expr::Match {
                left: Left::Payload("ether", "type"),
                op: Op::Eq,
                right: Right::Str("arp".into()),
            },
            Expr::Accept,
        ],
        Some("ARP keeps working (spoofing is a detector's job)".into()),
    ));
    forward.rules.push(accept_l4(
        17,
        ("udp", "dport"),
        vec![67, 68, 546, 547],
        "DHCP and DHCPv6 on the LAN",
    ));
    forward.rules.push(accept_l4(
        58,
        ("icmpv6", "type"),
        vec![133, 134, 135, 136, 137],
        "IPv6 neighbour discovery",
    ));
    forward.rules.push(vmap(("ether", "saddr"), "from_mac"));
    forward.rules.push(vmap(("ether", "daddr"), "to_mac"));
    let mut all_chains = vec![ports_chain(), forward];
    all_chains.extend(chains);
    let mut sets = name_set_decls(name_sets);
    sets.extend([
        ir::Set::plain(PINNED_SET, "ether_addr"),
        ir::Set {
            name: HOME_SET.into(),
            ty: vec!["ether_addr", "ifname"],
            dynamic: None,
        },
        ir::Set {
            name: MOVED_SET.into(),
            ty: vec!["ifname", "ether_addr"],
            dynamic: Some((600, 4096)),
        },
    ]);
    ir::Table {
        family: "bridge",
        name: opts.table.clone(),
        maps: vec![
            ir::Map {
                name: "from_mac".into(),
                key_type: "ether_addr",
                elems: from_mac,
            },
            ir::Map {
                name: "to_mac".into(),
                key_type: "ether_addr",
                elems: to_mac,
            },
        ],
        sets,
        chains: all_chains,
    }
}

/// The bridge table's set of pinned MACs (filled by the gateway).
pub const PINNED_SET: &str = "pinned";
/// `MAC . port` for each pinned MAC: the bridge port it lives on.
pub const HOME_SET: &str = "home";
/// `port . MAC` of frames dropped for coming from the wrong port (the
/// packet path writes it; entries live 10 minutes; the gateway reads it).
pub const MOVED_SET: &str = "moved";

/// `chain ports` (hook prerouting, before the bridge learns a source
/// address): a frame whose source MAC is pinned to another port is
/// recorded in `@moved` under the port it came from, counted and dropped.
/// MACs not pinned pass. The gateway pins a device when it learns it
/// (warden-gateway's `ports` module), so a neighbour can neither speak with
/// its MAC nor move it in the bridge's forwarding database.
fn ports_chain() -> Chain {
    let mut c = Chain::base("ports", "prerouting");
    c.rules.push((
        vec![
            Expr::Match {
                left: Left::Payload("ether", "saddr"),
                op: ir::Op::Eq,
                right: Right::SetRef(PINNED_SET.into()),
            },
            Expr::Match {
                left: Left::Concat(vec![Left::Payload("ether", "saddr"), Left::Meta("iifname")]),
                op: ir::Op::Ne,
                right: Right::SetRef(HOME_SET.into()),
            },
            Expr::SetAdd {
                set: MOVED_SET.into(),
                key: Left::Concat(vec![Left::Meta("iifname"), Left::Payload("ether", "saddr")]),
            },
            Expr::Counter,
            Expr::Drop,
        ],
        Some("a pinned MAC on a port it does not live on".into()),
    ));
    c
}

/// Each DNS name's IPv4 and IPv6 address sets.
fn name_set_decls(name_sets: &BTreeMap<String, NameSets>) -> Vec<ir::Set> {
    name_sets
        .values()
        .flat_map(|s| {
            [
                ir::Set::plain(&s.ipv4, "ipv4_addr"),
                ir::Set::plain(&s.ipv6, "ipv6_addr"),
            ]
        })
        .collect()
}

fn comment(r: &Rule) -> String {
    let mut s = format!("{}/{}", r.origin.acl, r.origin.ace);
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// One rule of the policy becomes one or more nft rules (one per address
/// family and per remote kind: an address set, and each DNS-name set).
fn rule_exprs(r: &Rule, name_sets: &BTreeMap<String, NameSets>, table: Family) -> Vec<Vec<Expr>> {
    let families: Vec<IpVersion> = match r.family {
        Some(f) => vec![f],
        None if needs_ip(r) => vec![IpVersion::V4, IpVersion::V6],
        None => vec![],
    };
    let from = r.direction == Direction::FromDevice;
    let remote_field = if from { "daddr" } else { "saddr" };
    let device_field = if from { "saddr" } else { "daddr" };

    // Each alternative is the (family, remote match) pair; an empty family
    // list means an Ethernet-only rule.
    let mut alts: Vec<(Option<IpVersion>, Option<Expr>)> = Vec::new();
    let fams: Vec<Option<IpVersion>> = if families.is_empty() {
        vec![None]
    } else {
        families.into_iter().map(Some).collect()
    };
    for fam in fams {
        let proto = match fam {
            Some(IpVersion::V4) => "ip",
            Some(IpVersion::V6) => "ip6",
            None => "",
        };
        match &r.remote {
            Remote::Any => alts.push((fam, None)),
            Remote::Endpoints { nets, names } => {
                let nets: Vec<_> = nets.iter().filter(|n| Some(n.version()) == fam).collect();
                if !nets.is_empty() {
                    alts.push((
                        fam,
                        Some(Expr::Match {
                            left: Left::Payload(proto, remote_field),
                            op: Op::Eq,
                            right: Right::Prefixes(
                                nets.iter()
                                    .map(|n| (n.addr.to_string(), n.len, n.is_host()))
                                    .collect(),
                            ),
                        }),
                    ));
                }
                for n in names {
                    if let (Some(f), Some(sets)) = (fam, name_sets.get(n)) {
                        let set = if f == IpVersion::V4 {
                            &sets.ipv4
                        } else {
                            &sets.ipv6
                        };
                        alts.push((
                            fam,
                            Some(Expr::Match {
                                left: Left::Payload(proto, remote_field),
                                op: Op::Eq,
                                right: Right::SetRef(set.clone()),
                            }),
                        ));
                    }
                }
            }
        }
    }

    let mut out = Vec::new();
    for (fam, remote) in alts {
        // An EtherType that contradicts the IP family can never match
        // (legacy files write `ethertype 6` meaning TCP): nothing to emit.
        match (r.ethertype, fam) {
            (Some(t), Some(IpVersion::V4)) if t != 0x0800 => continue,
            (Some(t), Some(IpVersion::V6)) if t != 0x86dd => continue,
            _ => {}
        }
        let mut e = Vec::new();
        // The family test: `meta nfproto` in `inet`; `ether type` in
        // `bridge`, where nfproto is always "bridge" (and where nft takes
        // the EtherType as the dependency of every IP payload match).
        let (left, v4, v6) = match table {
            Family::Inet => (Left::Meta("nfproto"), "ipv4", "ipv6"),
            Family::Bridge => (Left::Payload("ether", "type"), "ip", "ip6"),
        };
        let proto = match fam {
            Some(IpVersion::V4) => {
                e.push(Expr::Match {
                    left,
                    op: Op::Eq,
                    right: Right::Str(v4.into()),
                });
                "ip"
            }
            Some(IpVersion::V6) => {
                e.push(Expr::Match {
                    left,
                    op: Op::Eq,
                    right: Right::Str(v6.into()),
                });
                "ip6"
            }
            None => "",
        };
        if let Some(t) = r.ethertype {
            e.push(Expr::Match {
                left: Left::Meta("protocol"),
                op: Op::Eq,
                right: Right::Num(t as u64),
            });
        }
        if let Some(mac) = r.remote_mac {
            let f = if from { "daddr" } else { "saddr" };
            e.push(Expr::Match {
                left: Left::Payload("ether", f),
                op: Op::Eq,
                right: Right::Str(mac.to_string()),
            });
        }
        if let Some(dn) = r.device_net {
            if Some(dn.version()) == fam {
                e.push(Expr::Match {
                    left: Left::Payload(proto, device_field),
                    op: Op::Eq,
                    right: Right::Prefixes(vec![(dn.addr.to_string(), dn.len, dn.is_host())]),
                });
            }
        }
        if let Some(p) = r.protocol {
            e.push(Expr::Match {
                left: Left::Meta("l4proto"),
                op: Op::Eq,
                right: Right::Num(p as u64),
            });
        }
        if let Some(x) = remote {
            e.push(x);
        }
        let l4 = match r.protocol {
            Some(6) => Some("tcp"),
            Some(17) => Some("udp"),
            _ => None,
        };
        if let Some(l4) = l4 {
            let (rp, dp) = if from {
                ("dport", "sport")
            } else {
                ("sport", "dport")
            };
            if let Some(pm) = r.remote_port {
                e.push(port_expr(l4, rp, pm));
            }
            if let Some(pm) = r.device_port {
                e.push(port_expr(l4, dp, pm));
            }
        }
        if let Some(IcmpMatch {
            version,
            icmp_type,
            code,
        }) = r.icmp
        {
            let p = if version == IpVersion::V6 {
                "icmpv6"
            } else {
                "icmp"
            };
            if let Some(t) = icmp_type {
                e.push(Expr::Match {
                    left: Left::Payload(p, "type"),
                    op: Op::Eq,
                    right: Right::Num(t as u64),
                });
            }
            if let Some(c) = code {
                e.push(Expr::Match {
                    left: Left::Payload(p, "code"),
                    op: Op::Eq,
                    right: Right::Num(c as u64),
                });
            }
        }
        let opens = match (r.initiated_by, r.direction) {
            (Some(DirectionInitiated::FromDevice), Direction::FromDevice)
            | (Some(DirectionInitiated::ToDevice), Direction::ToDevice) => Some(true),
            // This side may only answer: never open a connection.
            (Some(_), _) => Some(false),
            (None, _) => None,
        };
        match (opens, table) {
            (Some(true), Family::Inet) => e.push(Expr::ct_state(Op::In, &["new"])),
            (Some(false), Family::Inet) => {
                e.push(Expr::ct_state(Op::In, &["established", "related"]))
            }
            // Without connection tracking only TCP shows who opened.
            (Some(opening), Family::Bridge) if r.protocol == Some(6) => {
                e.push(Expr::TcpSyn { opening })
            }
            _ => {}
        }
        match (r.action, r.direction) {
            (Forwarding::Accept, Direction::FromDevice) => e.push(Expr::Return),
            (Forwarding::Accept, Direction::ToDevice) => e.push(Expr::Accept),
            (Forwarding::Drop, _) => {
                e.push(Expr::Counter);
                e.push(Expr::Drop);
            }
            (Forwarding::Reject, _) => {
                e.push(Expr::Counter);
                e.push(Expr::Reject);
            }
        }
        out.push(e);
    }
    out
}

fn needs_ip(r: &Rule) -> bool {
    r.protocol.is_some()
        || r.icmp.is_some()
        || !matches!(r.remote, Remote::Any)
        || r.ethertype.is_none()
}

fn port_expr(l4: &'static str, field: &'static str, pm: PortMatch) -> Expr {
    let left = Left::Payload(l4, field);
    match pm {
        PortMatch::Eq { port } => Expr::Match {
            left,
            op: Op::Eq,
            right: Right::Num(port as u64),
        },
        PortMatch::Neq { port } => Expr::Match {
            left,
            op: Op::Ne,
            right: Right::Num(port as u64),
        },
        PortMatch::Lte { port } => Expr::Match {
            left,
            op: Op::Le,
            right: Right::Num(port as u64),
        },
        PortMatch::Gte { port } => Expr::Match {
            left,
            op: Op::Ge,
            right: Right::Num(port as u64),
        },
        PortMatch::Range { lower, upper } => Expr::Match {
            left,
            op: Op::Eq,
            right: Right::Range(lower as u64, upper as u64),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_mud::{Context, ValidateOptions};

    fn policy(acl: &str) -> Policy {
        let s = format!(
            r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://m.example/d", "last-update": "2024-01-01T00:00:00Z",
              "is-supported": true, "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
              "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type", "aces": {{"ace": [{acl}]}}}}]}}}}"#
        );
        let v = warden_mud::load(s.as_bytes(), &ValidateOptions::default()).unwrap();
        warden_mud::resolve(&v.mud, &Context::default())
    }

    #[test]
    fn json_output_is_valid_json_even_with_hostile_names() {
        let p = policy(
            r#"{"name": "q\"uote\\back\u0001", "matches": {"ipv4": {"ietf-acldns:dst-dnsname": "a.example"}}, "actions": {"forwarding": "accept"}}"#,
        );
        let d = Device::parse("02:00:00:00:00:01,10.0.0.2").unwrap();
        let rs = compile(
            &[DevicePolicy {
                device: d,
                policy: &p,
            }],
            &Options::default(),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&rs.json).unwrap();
        assert!(v["nftables"].as_array().unwrap().len() > 5);
        assert!(!rs.text().contains("q\"uote"));
        assert_eq!(rs.name_sets["a.example"].ipv4, "n0_4");
    }

    #[test]
    fn dispatch_is_by_verdict_map_not_a_chain_per_device() {
        let p = policy(r#"{"name": "x", "actions": {"forwarding": "accept"}}"#);
        let devs: Vec<DevicePolicy> = (0..50)
            .map(|i| DevicePolicy {
                device: Device::parse(&format!("02:00:00:00:00:{i:02x},10.0.0.{}", i + 2)).unwrap(),
                policy: &p,
            })
            .collect();
        let rs = compile(&devs, &Options::default()).unwrap();
        let text = rs.text();
        let forward: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.contains("chain forward"))
            .take_while(|l| !l.trim().starts_with('}'))
            .collect();
        assert!(
            forward.len() < 10,
            "the forward chain must not grow with devices: {forward:?}"
        );
        assert!(rs.text().contains("ether saddr vmap @from_mac"));
    }

    #[test]
    fn duplicate_devices_are_refused() {
        let p = policy(r#"{"name": "x", "actions": {"forwarding": "accept"}}"#);
        let d = Device::parse("02:00:00:00:00:01,10.0.0.2").unwrap();
        let e = compile(
            &[
                DevicePolicy {
                    device: d.clone(),
                    policy: &p,
                },
                DevicePolicy {
                    device: d,
                    policy: &p,
                },
            ],
            &Options::default(),
        );
        assert!(matches!(e, Err(NftError::Conflict(_))));
    }

    #[test]
    fn direction_initiated_becomes_ct_state_new_on_the_opening_side() {
        let p = policy(
            r#"{"name": "x", "matches": {"ipv4": {"protocol": 6}, "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}}, "actions": {"forwarding": "accept"}}"#,
        );
        let d = Device::parse("02:00:00:00:00:01").unwrap();
        let rs = compile(
            &[DevicePolicy {
                device: d,
                policy: &p,
            }],
            &Options::default(),
        )
        .unwrap();
        assert!(
            rs.text().contains("tcp dport 443 ct state new return"),
            "{}",
            rs.text()
        );
    }
}
