//! Enforcement: the policy each device gets, one compiled ruleset for all
//! of them, applied as one atomic `nft -j -f` transaction, DNS-name sets
//! filled from the answers seen, and a marker that lets a restarted gateway
//! tell whether the kernel still holds what the store intends.
//!
//! Policies that are not from a maker are MUD files too, written here and
//! checked by the same validator: *internet-only* (DNS and NTP to the
//! gateway, nothing else local, anything beyond), *quarantine* and *block*
//! (DNS to the gateway and the remediation page, nothing else). A device
//! under *observe* is not in the ruleset: its traffic passes and is only
//! watched.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use warden_mud::{load, resolve, Context, MacAddr, Policy, ValidateOptions};
use warden_nft::kernel::{self, Verb};
use warden_nft::{compile, Device, DevicePolicy, Options, Ruleset};

pub const TABLE: &str = "warden";
/// The routed (and local) traffic's table and the LAN bridge's both carry
/// the marker (a hookless, empty chain whose name carries the ruleset's
/// hash), and the kernel holds the intended ruleset only when both do.
pub use warden_nft::kernel::{FAMILIES, MARKER_PREFIX};

fn ace(name: &str, matches: Value, action: &str) -> Value {
    serde_json::json!({"name": name, "matches": matches, "actions": {"forwarding": action}})
}

fn doc(url: &str, from: Vec<Value>, to: Vec<Value>) -> Vec<u8> {
    let mut acls =
        vec![serde_json::json!({"name": "from", "type": "ipv4-acl-type", "aces": {"ace": from}})];
    let mut mud = serde_json::json!({
        "mud-version": 1, "mud-url": url, "last-update": "2026-01-01T00:00:00Z",
        "is-supported": true, "systeminfo": "warden's own policy",
        "from-device-policy": {"access-lists": {"access-list": [{"name": "from"}]}}
    });
    if !to.is_empty() {
        acls.push(serde_json::json!({"name": "to", "type": "ipv4-acl-type", "aces": {"ace": to}}));
        mud["to-device-policy"] =
            serde_json::json!({"access-lists": {"access-list": [{"name": "to"}]}});
    }
    serde_json::to_vec(&serde_json::json!({
        "ietf-mud:mud": mud,
        "ietf-access-control-list:acls": {"acl": acls}
    }))
    .unwrap_or_default()
}

fn to_gateway(name: &str, gw: IpAddr, proto: u8, port: u16) -> Value {
    let l4 = if proto == 6 { "tcp" } else { "udp" };
    ace(
        name,
        serde_json::json!({
            "ipv4": {"protocol": proto, "destination-ipv4-network": format!("{gw}/32")},
            l4: {"destination-port": {"operator": "eq", "port": port}}
        }),
        "accept",
    )
}

/// DNS to the gateway and the remediation page: what a quarantined (or
/// blocked) device may still reach.
pub fn quarantine_doc(gw: IpAddr, remediation_port: u16) -> Vec<u8> {
    doc(
        "https://warden.invalid/policy/quarantine",
        vec![
            to_gateway("dns-udp", gw, 17, 53),
            to_gateway("dns-tcp", gw, 6, 53),
            to_gateway("remediation", gw, 6, remediation_port),
        ],
        vec![],
    )
}

/// Nothing at all: a blocked device keeps only what the bridge always
/// lets pass (DHCP, ARP, neighbour discovery), not even DNS.
pub fn blocked_doc() -> Vec<u8> {
    doc("https://warden.invalid/policy/blocked", vec![], vec![])
}

/// What a device past its support period gets where the deployment says
/// `updates-only`: DNS and NTP to the gateway, HTTPS to the update hosts
/// (by name, IPv4 and IPv6), nothing else.
pub fn updates_only_doc(gw: IpAddr, hosts: &[String]) -> Vec<u8> {
    let https = |fam: &str, host: &str, i: usize| {
        ace(
            &format!("update-{fam}-{i}"),
            serde_json::json!({
                fam: {"protocol": 6, "ietf-acldns:dst-dnsname": host},
                "tcp": {"destination-port": {"operator": "eq", "port": 443}}
            }),
            "accept",
        )
    };
    let mut from4 = vec![
        to_gateway("dns-udp", gw, 17, 53),
        to_gateway("dns-tcp", gw, 6, 53),
        to_gateway("ntp", gw, 17, 123),
    ];
    from4.extend(hosts.iter().enumerate().map(|(i, h)| https("ipv4", h, i)));
    let from6: Vec<Value> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| https("ipv6", h, i))
        .collect();
    let d = doc("https://warden.invalid/policy/updates-only", from4, vec![]);
    if from6.is_empty() {
        return d;
    }
    with_from6(&d, from6)
}

/// A document of [`doc`] with a second from-device ACL, `from6`, for IPv6.
fn with_from6(d: &[u8], from6: Vec<Value>) -> Vec<u8> {
    let mut d: Value = serde_json::from_slice(d).unwrap_or_default();
    if let Some(acls) = d
        .pointer_mut("/ietf-access-control-list:acls/acl")
        .and_then(Value::as_array_mut)
    {
        acls.push(
            serde_json::json!({"name": "from6", "type": "ipv6-acl-type", "aces": {"ace": from6}}),
        );
    }
    if let Some(list) = d
        .pointer_mut("/ietf-mud:mud/from-device-policy/access-lists/access-list")
        .and_then(Value::as_array_mut)
    {
        list.push(serde_json::json!({"name": "from6"}));
    }
    serde_json::to_vec(&d).unwrap_or_default()
}

/// DNS and NTP to the gateway, no other local host, anything beyond, in
/// IPv4 and IPv6 alike (link-local IPv6 peers are local too).
pub fn internet_only_doc(gw: IpAddr) -> Vec<u8> {
    // The internet, one family at a time: TCP, UDP and the family's ICMP.
    let internet = |fam: &str, suffix: &str, icmp: u8| {
        [("tcp", 6), ("udp", 17), ("icmp", icmp)].map(|(name, proto)| {
            ace(
                &format!("internet-{name}{suffix}"),
                serde_json::json!({ fam: {"protocol": proto} }),
                "accept",
            )
        })
    };
    let mut from4 = vec![
        to_gateway("dns-udp", gw, 17, 53),
        to_gateway("dns-tcp", gw, 6, 53),
        to_gateway("ntp", gw, 17, 123),
        ace(
            "no-lan",
            serde_json::json!({"ietf-mud:mud": {"local-networks": [null]}}),
            "drop",
        ),
    ];
    from4.extend(internet("ipv4", "", 1));
    let mut from6 = vec![
        ace(
            "no-lan6",
            serde_json::json!({"ietf-mud:mud": {"local-networks": [null]}}),
            "drop",
        ),
        ace(
            "no-link-local6",
            serde_json::json!({"ipv6": {"destination-ipv6-network": "fe80::/10"}}),
            "drop",
        ),
        ace(
            "no-site-multicast6",
            serde_json::json!({"ipv6": {"destination-ipv6-network": "ff00::/8"}}),
            "drop",
        ),
    ];
    from6.extend(internet("ipv6", "6", 58));
    with_from6(
        &doc("https://warden.invalid/policy/internet-only", from4, vec![]),
        from6,
    )
}

/// Why the ruleset could not be made or put in the kernel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnforceError {
    /// `nft` could not be started or spoken to.
    #[error("{program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `nft` refused the command; its own words.
    #[error("nft {args}: {stderr}")]
    Refused { args: String, stderr: String },
    /// The applied ruleset could not be kept in the state directory.
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The devices' policies do not make one ruleset.
    #[error(transparent)]
    Compile(#[from] warden_nft::NftError),
    /// One of warden's own documents (quarantine, blocked, ...) is invalid:
    /// a bug, reported rather than enforced half.
    #[error("warden's own policy: {0}")]
    OwnPolicy(String),
}

/// Validates one of warden's own documents and resolves it.
pub fn own_policy(bytes: &[u8], ctx: &Context) -> Result<Policy, EnforceError> {
    let v = load(bytes, &ValidateOptions::default())
        .map_err(|e| EnforceError::OwnPolicy(e.to_string()))?;
    Ok(resolve(&v.mud, ctx))
}

/// One device's entry in the ruleset.
pub struct Entry {
    pub mac: MacAddr,
    pub addresses: Vec<IpAddr>,
    pub policy: Policy,
}

#[derive(Debug)]
pub struct Applied {
    /// Only what changed was sent (the table was not replaced).
    pub incremental: bool,
    pub sha256: String,
    pub rules: usize,
    /// DNS name -> (IPv4 set, IPv6 set).
    pub name_sets: BTreeMap<String, (String, String)>,
}

/// DNS name -> (IPv4 set, IPv6 set) of a compiled ruleset.
pub fn name_sets(rs: &Ruleset) -> BTreeMap<String, (String, String)> {
    rs.name_sets
        .iter()
        .map(|(k, v)| (k.clone(), (v.ipv4.clone(), v.ipv6.clone())))
        .collect()
}

pub struct Enforcer {
    pub nft: PathBuf,
    pub state_dir: PathBuf,
    /// The ruleset last applied (or found in the kernel) and its hash, for
    /// deltas computed over warden-nft's typed model (its JSON text freed:
    /// see [`Enforcer::remember`]).
    pub last: Option<(Ruleset, String)>,
    /// The LAN interfaces and networks, for egress filtering (BCP 38).
    pub egress: Option<warden_nft::Egress>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The whole-replacement transaction of a built ruleset, in parts:
/// warden-nft's transaction with the marker chains (`markers`, from
/// [`kernel::marker_commands`] with the ruleset's hash) put in before the
/// closing `]}` its writer always ends with. Parts, not one string: a copy
/// of a ruleset of many devices is megabytes, and parsing and printing the
/// whole transaction again cost more than compiling it.
pub fn full_transaction<'a>(rs: &'a Ruleset, markers: &'a str) -> [&'a str; 3] {
    [
        rs.json.strip_suffix("]}").unwrap_or(&rs.json),
        markers,
        "]}",
    ]
}

impl Enforcer {
    /// Compiles every entry into one ruleset and the hash of its JSON text
    /// (the marker chains carry it; see [`full_transaction`]).
    pub fn build(&self, entries: &[Entry]) -> Result<(Ruleset, String), EnforceError> {
        let devs: Vec<DevicePolicy> = entries
            .iter()
            .map(|e| DevicePolicy {
                device: Device {
                    mac: e.mac,
                    addresses: e.addresses.clone(),
                },
                policy: &e.policy,
            })
            .collect();
        let rs = compile(
            &devs,
            &Options {
                table: TABLE.into(),
                log_group: 100,
                bridge: true,
                egress: self.egress.clone(),
            },
        )?;
        let sha = hex(&openssl::sha::sha256(rs.json.as_bytes()));
        Ok((rs, sha))
    }

    /// Keeps a ruleset the kernel holds, for the next delta: its model,
    /// not its JSON text.
    pub fn remember(&mut self, mut rs: Ruleset, sha: String) {
        rs.forget_json();
        self.last = Some((rs, sha));
    }

    fn run_nft(&self, args: &[&str], input: Option<&str>) -> Result<String, EnforceError> {
        let mut c = Command::new(&self.nft);
        c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            c.stdin(Stdio::piped());
        }
        let spawn = |source| EnforceError::Spawn {
            program: self.nft.clone(),
            source,
        };
        let mut child = c.spawn().map_err(spawn)?;
        if let Some(i) = input {
            if let Some(mut s) = child.stdin.take() {
                s.write_all(i.as_bytes()).map_err(spawn)?;
            }
        }
        let o = child.wait_with_output().map_err(spawn)?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            Err(EnforceError::Refused {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
            })
        }
    }

    /// Applies the ruleset in one transaction: only what changed when the
    /// table already holds the previous one (device chains and map
    /// elements), else a whole replacement, written to
    /// `applied-ruleset.json` in the state directory for `nft -f` and
    /// removed once the kernel took it (kept, and named in the error, when
    /// it did not). A ruleset that changed by deltas is not written at all:
    /// on a router the state directory is flash.
    pub fn apply(&mut self, entries: &[Entry]) -> Result<Applied, EnforceError> {
        let t0 = std::time::Instant::now();
        let (rs, sha) = self.build(entries)?;
        let t_build = t0.elapsed();
        let mut done = false;
        let (mut t_delta, mut t_nft) = (t_build, t_build);
        if let Some((old, old_sha)) = &self.last {
            let delta = rs.delta_from(old);
            t_delta = t0.elapsed();
            if let Some(mut cmds) = delta {
                if *old_sha != sha {
                    cmds.push_str(&kernel::marker_commands(TABLE, Verb::Delete, old_sha));
                    cmds.push_str(&kernel::marker_commands(TABLE, Verb::Add, &sha));
                }
                done = cmds.is_empty()
                    || self
                        .run_nft(
                            &["-j", "-f", "-"],
                            Some(&format!("{{\"nftables\":[{}]}}", &cmds[1..])),
                        )
                        .is_ok();
                t_nft = t0.elapsed();
            }
        }
        if !done {
            let path = self.state_dir.join("applied-ruleset.json");
            let markers = kernel::marker_commands(TABLE, Verb::Add, &sha);
            let file = |source| EnforceError::File {
                path: path.clone(),
                source,
            };
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path).map_err(file)?);
            for part in full_transaction(&rs, &markers) {
                w.write_all(part.as_bytes()).map_err(file)?;
            }
            w.flush().map_err(file)?;
            drop(w);
            self.run_nft(&["-j", "-f", path.to_str().unwrap_or_default()], None)?;
            let _ = std::fs::remove_file(&path);
        }
        if std::env::var_os("WARDEN_TRACE_APPLY").is_some() {
            log!(
                "apply: {} devices, build {:.2} ms, delta {:.2} ms, nft {:.2} ms, total {:.2} ms, incremental {done}",
                entries.len(),
                t_build.as_secs_f64() * 1e3,
                t_delta.saturating_sub(t_build).as_secs_f64() * 1e3,
                t_nft.saturating_sub(t_delta).as_secs_f64() * 1e3,
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
        let applied = Applied {
            incremental: done,
            sha256: sha.clone(),
            rules: rs.rule_count,
            name_sets: name_sets(&rs),
        };
        self.remember(rs, sha);
        Ok(applied)
    }

    /// The hash the kernel's tables carry, if both are there with the same.
    pub fn kernel_marker(&self) -> Option<String> {
        let listings = self.listings().ok()?;
        kernel::marker_of(&listings)
    }

    /// `nft -j list table` of warden's table in each family.
    fn listings(&self) -> Result<Vec<String>, EnforceError> {
        FAMILIES.iter().map(|family| self.listing(family)).collect()
    }

    /// `nft -j list table` of warden's table in one family.
    fn listing(&self, family: &str) -> Result<String, EnforceError> {
        self.run_nft(&["-j", "list", "table", family, TABLE], None)
    }

    fn run_text(&self, commands: &str) -> Result<(), EnforceError> {
        if commands.is_empty() {
            return Ok(());
        }
        self.run_nft(&["-f", "-"], Some(commands)).map(|_| ())
    }

    /// Adds addresses to DNS-name sets, each for `ttl` seconds.
    pub fn fill(&self, elements: &[(String, IpAddr, u32)]) -> Result<(), EnforceError> {
        self.run_text(&kernel::name_set_elements(TABLE, elements))
    }

    /// Pins each MAC to its bridge port (see warden-nft's `ports` chain):
    /// frames with that source MAC from any other port are dropped.
    pub fn pin(&self, pins: &[(MacAddr, String)]) -> Result<(), EnforceError> {
        self.run_text(&kernel::pin_elements(TABLE, pins))
    }

    /// Pins MACs that live on no port (the gateway's own): every frame that
    /// comes in on a bridge port under them is dropped and recorded.
    pub fn pin_nowhere(&self, macs: &[MacAddr]) -> Result<(), EnforceError> {
        self.run_text(&kernel::pin_nowhere_elements(TABLE, macs))
    }

    /// Lifts a pin (the device moved, or left).
    pub fn unpin(&self, mac: &MacAddr, port: &str) -> Result<(), EnforceError> {
        self.run_text(&kernel::unpin_elements(TABLE, mac, port))
    }

    /// (port, MAC) of frames the bridge dropped in the last 10 minutes for
    /// carrying a pinned MAC on a port it does not live on.
    pub fn moved(&self) -> Result<Vec<(String, MacAddr)>, EnforceError> {
        let out = self.run_nft(
            &["-j", "list", "set", "bridge", TABLE, warden_nft::MOVED_SET],
            None,
        )?;
        Ok(kernel::moved_in(&out))
    }

    /// Counter of dropped packets per device chain (packets, bytes), routed
    /// and bridged together.
    pub fn drop_counters(&self) -> BTreeMap<String, (u64, u64)> {
        // A family whose table cannot be listed counts nothing.
        let listings: Vec<String> = FAMILIES
            .iter()
            .filter_map(|family| self.listing(family).ok())
            .collect();
        kernel::chain_counters(&listings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_documents_validate_and_resolve() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let ctx = Context {
            local_networks: vec![warden_mud::IpPrefix::parse("10.0.0.0/24").unwrap()],
            ..Default::default()
        };
        let q = own_policy(&quarantine_doc(gw, 8080), &ctx).unwrap();
        assert_eq!(q.rules().len(), 3);
        assert!(q.notes().is_empty(), "{:?}", q.notes());
        let b = own_policy(&blocked_doc(), &ctx).unwrap();
        assert!(b.rules().is_empty() && b.notes().is_empty(), "{b:?}");
        let i = own_policy(&internet_only_doc(gw), &ctx).unwrap();
        assert!(i.rules().len() >= 12, "{:?}", i.rules().len());
        assert!(i.notes().is_empty(), "{:?}", i.notes());
        // IPv6 parity: the internet over IPv6, no link-local peer.
        let v6: Vec<_> = i
            .rules()
            .iter()
            .filter(|r| r.family == Some(warden_mud::IpVersion::V6))
            .collect();
        assert!(v6
            .iter()
            .any(|r| r.action == warden_mud::Forwarding::Accept && r.protocol == Some(6)));
        assert!(v6.iter().any(|r| r.action == warden_mud::Forwarding::Drop
            && format!("{:?}", r.remote).contains("fe80::")));
    }

    /// The kernel accepts warden's own policies in both tables, with
    /// egress filtering (nft -c in a namespace of its own).
    #[test]
    fn own_policies_compile_to_a_ruleset_the_kernel_accepts() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let ctx = Context {
            local_networks: vec![
                warden_mud::IpPrefix::parse("10.0.0.0/24").unwrap(),
                warden_mud::IpPrefix::parse("fd00:1::/64").unwrap(),
            ],
            ..Default::default()
        };
        let q = own_policy(&quarantine_doc(gw, 8080), &ctx).unwrap();
        let i = own_policy(&internet_only_doc(gw), &ctx).unwrap();
        let b = own_policy(&blocked_doc(), &ctx).unwrap();
        let e = Enforcer {
            nft: "nft".into(),
            state_dir: std::env::temp_dir(),
            last: None,
            egress: Some(warden_nft::Egress {
                interfaces: vec!["br-lan".into()],
                local_networks: ctx.local_networks.clone(),
            }),
        };
        let json = full_json(
            e.build(&[
                entry(1, "10.0.0.5", &q),
                entry(2, "fd00:1::6", &i),
                entry(3, "10.0.0.7", &b),
            ])
            .unwrap(),
        );
        let ns = Netns::add(&format!("wdn-ownpol-{}", std::process::id()));
        let ns = &ns.0;
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "nft", "-c", "-j", "-f", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A whole replacement goes to nft as a file in the state directory,
    /// removed once the kernel took it; a delta writes nothing there (on a
    /// router it is flash); a refused replacement keeps its file and the
    /// error names it. With the real nft, in a namespace of its own.
    #[test]
    fn only_a_whole_replacement_touches_the_state_directory() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let q = own_policy(&quarantine_doc(gw, 8080), &Context::default()).unwrap();
        let ns = Netns::add(&format!("wdn-applyfile-{}", std::process::id()));
        let dir = std::env::temp_dir().join(format!("wdn-applyfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let script = |name: &str, body: &str| {
            let p = dir.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            Command::new("chmod").arg("755").arg(&p).status().unwrap();
            p
        };
        let state = dir.join("state");
        std::fs::create_dir(&state).unwrap();
        let file = state.join("applied-ruleset.json");
        let mut e = Enforcer {
            nft: script("nft", &format!("exec ip netns exec {} nft \"$@\"", ns.0)),
            state_dir: state.clone(),
            last: None,
            egress: None,
        };
        let first = e.apply(&[entry(1, "10.0.0.5", &q)]).unwrap();
        assert!(!first.incremental);
        assert!(!file.exists(), "removed once nft took it");
        assert_eq!(e.kernel_marker().as_deref(), Some(&first.sha256[..16]));
        assert!(
            e.last.as_ref().is_some_and(|(rs, _)| rs.json.is_empty()),
            "the text is not kept"
        );
        // A second device: a delta, and the state directory stays empty.
        let second = e
            .apply(&[entry(1, "10.0.0.5", &q), entry(2, "10.0.0.6", &q)])
            .unwrap();
        assert!(second.incremental);
        assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
        assert_eq!(e.kernel_marker().as_deref(), Some(&second.sha256[..16]));
        // An nft that refuses everything: the file stays, the error names it.
        e.nft = script("refuse", "echo 'Error: no' >&2; exit 1");
        e.last = None;
        let err = e
            .apply(&[entry(1, "10.0.0.5", &q)])
            .unwrap_err()
            .to_string();
        assert!(file.exists(), "kept for whoever reads the error");
        assert!(err.contains(file.to_str().unwrap()), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A network namespace for one test, removed when it goes out of scope
    /// (also when the test fails).
    struct Netns(String);

    impl Netns {
        fn add(name: &str) -> Netns {
            if !Command::new("ip")
                .args(["netns", "add", name])
                .status()
                .is_ok_and(|s| s.success())
            {
                panic!("needs root and iproute2 (ip netns add)");
            }
            Netns(name.to_string())
        }
    }

    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }

    fn full_json((rs, sha): (Ruleset, String)) -> String {
        full_transaction(&rs, &kernel::marker_commands(TABLE, Verb::Add, &sha)).concat()
    }

    fn entry(mac: u8, ip: &str, p: &Policy) -> Entry {
        Entry {
            mac: MacAddr([2, 0, 0, 0, 0, mac]),
            addresses: vec![ip.parse().unwrap()],
            policy: p.clone(),
        }
    }

    #[test]
    fn deltas_touch_only_the_devices_that_changed() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let ctx = Context::default();
        let q = own_policy(&quarantine_doc(gw, 8080), &ctx).unwrap();
        let e = Enforcer {
            nft: "nft".into(),
            state_dir: std::env::temp_dir(),
            last: None,
            egress: None,
        };
        let rs = |es: &[Entry]| e.build(es).unwrap().0;
        let one = rs(&[entry(1, "10.0.0.5", &q)]);
        let two = rs(&[entry(1, "10.0.0.5", &q), entry(2, "10.0.0.6", &q)]);
        let doc = |cmds: String| -> Value {
            serde_json::from_str(&format!(
                "{{\"nftables\":[{}]}}",
                cmds.trim_start_matches(',')
            ))
            .unwrap()
        };
        let d = doc(two.delta_from(&one).unwrap());
        let text = d.to_string();
        for family in FAMILIES {
            assert!(
                d["nftables"].as_array().unwrap().iter().any(|c| {
                    let ch = &c["add"]["chain"];
                    ch["family"] == family && ch["name"] == "from_020000000002"
                }),
                "device 2's chain added in {family}: {text}"
            );
        }
        assert!(
            !text.contains("from_020000000001"),
            "device 1 untouched: {text}"
        );
        assert!(!text.contains("\"table\":{"), "the table is not replaced");
        // Back again: device 2's elements and chains go.
        let back = doc(one.delta_from(&two).unwrap()).to_string();
        assert!(
            back.contains("\"delete\":{\"element\"") && back.contains("\"delete\":{\"chain\""),
            "{back}"
        );
        // Same ruleset: nothing to do.
        assert_eq!(one.delta_from(&one).unwrap(), "");
    }

    /// The typed delta is what the kernel takes, and it leaves the kernel
    /// holding exactly what a whole replacement would.
    #[test]
    fn a_typed_delta_applied_by_nft_equals_the_full_ruleset() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        let ctx = Context::default();
        let q = own_policy(&quarantine_doc(gw, 8080), &ctx).unwrap();
        let i = own_policy(&internet_only_doc(gw), &ctx).unwrap();
        let e = Enforcer {
            nft: "nft".into(),
            state_dir: std::env::temp_dir(),
            last: None,
            egress: None,
        };
        let (a, a_sha) = e
            .build(&[entry(1, "10.0.0.5", &q), entry(2, "10.0.0.6", &i)])
            .unwrap();
        let a_json = full_json((a.clone(), a_sha));
        let (b, b_sha) = e
            .build(&[entry(1, "10.0.0.5", &i), entry(3, "10.0.0.7", &q)])
            .unwrap();
        let b_json = full_json((b.clone(), b_sha));
        let ns = Netns::add(&format!("wdn-delta-{}", std::process::id()));
        let ns = &ns.0;
        let nft = |input: &str| {
            let mut c = Command::new("ip")
                .args(["netns", "exec", ns, "nft", "-j", "-f", "-"])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        };
        let list = || {
            let o = Command::new("ip")
                .args(["netns", "exec", ns, "nft", "list", "ruleset"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        nft(&b_json);
        let want = list();
        nft(&a_json);
        let cmds = b.delta_from(&a).unwrap();
        nft(&format!(
            "{{\"nftables\":[{}]}}",
            cmds.trim_start_matches(',')
        ));
        // Marker chains aside (the caller swaps them), the kernel holds b.
        let strip = |s: &str| -> String {
            s.lines()
                .filter(|l| !l.contains("applied_"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let got = list();
        // Chain order in a listing follows creation; compare as sorted lines.
        let sorted = |s: String| {
            let mut v: Vec<String> = s.lines().map(|l| l.trim().to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(strip(&got)), sorted(strip(&want)));
    }
}
