//! A running ruleset in warden's layout: the commands that change it in
//! place, and what `nft -j list` says back about it.
//!
//! warden-nft names every chain, set and marker, so it is also the one
//! place that writes the in-place commands (the marker chain that carries
//! the ruleset's hash, elements of the DNS-name sets, port pins) and reads
//! the kernel's answers (which marker the tables carry, the counters of
//! each device chain, the frames the bridge dropped for a moved MAC). The
//! gateway runs `nft` with these and keeps no knowledge of the layout.
//!
//! Readers take `nft -j` output, which the kernel writes but a test or a
//! confused system could garble: they never panic, and read what they can.

use crate::{HOME_SET, MOVED_SET, PINNED_SET};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use warden_mud::MacAddr;

/// The families warden keeps a table in.
pub const FAMILIES: [&str; 2] = ["inet", "bridge"];
/// A marker chain is this prefix and the first 16 hex digits of the hash
/// of the ruleset it belongs to: `nft list` shows which ruleset is live.
pub const MARKER_PREFIX: &str = "applied_";

/// The marker chain's name for a ruleset hash (hex; the first 16 digits).
pub fn marker_name(sha_hex: &str) -> String {
    let n = sha_hex.len().min(16);
    format!("{MARKER_PREFIX}{}", sha_hex.get(..n).unwrap_or_default())
}

/// Whether a marker is added or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Add,
    Delete,
}

/// JSON commands (each preceded by a comma, as [`crate::Ruleset::delta_from`]
/// writes them) that add or delete the marker chain in every family.
pub fn marker_commands(table: &str, verb: Verb, sha_hex: &str) -> String {
    let verb = match verb {
        Verb::Add => "add",
        Verb::Delete => "delete",
    };
    let name = marker_name(sha_hex);
    let mut out = String::new();
    for family in FAMILIES {
        let _ = write!(
            out,
            ",{{\"{verb}\":{{\"chain\":{{\"family\":\"{family}\",\"table\":\"{table}\",\"name\":\"{name}\"}}}}}}"
        );
    }
    out
}

/// An interface name as the kernel allows it, safe inside nft's quotes.
pub fn interface_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 16
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@:".contains(&b))
}

/// `nft -f` text adding each (set, address, ttl) to the DNS-name sets of
/// both tables, each for its TTL in seconds (at least 1). The set names are
/// the ones the compiled ruleset gave ([`crate::Ruleset::name_sets`]); a
/// name that is not a set identifier is left out.
pub fn name_set_elements(table: &str, elements: &[(String, IpAddr, u32)]) -> String {
    let mut t = String::new();
    for (set, ip, ttl) in elements {
        if set.is_empty() || !set.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        for family in FAMILIES {
            let _ = writeln!(
                t,
                "add element {family} {table} {set} {{ {ip} timeout {}s }}",
                (*ttl).max(1)
            );
        }
    }
    t
}

/// `nft -f` text pinning each MAC to its bridge port; pins to a port whose
/// name could not be an interface are left out.
pub fn pin_elements(table: &str, pins: &[(MacAddr, String)]) -> String {
    let mut t = String::new();
    for (mac, port) in pins.iter().filter(|(_, p)| interface_name_ok(p)) {
        let _ = writeln!(t, "add element bridge {table} {PINNED_SET} {{ {mac} }}");
        let _ = writeln!(
            t,
            "add element bridge {table} {HOME_SET} {{ {mac} . \"{port}\" }}"
        );
    }
    t
}

/// `nft -f` text pinning MACs to no port (the gateway's own addresses).
pub fn pin_nowhere_elements(table: &str, macs: &[MacAddr]) -> String {
    let mut t = String::new();
    for mac in macs {
        let _ = writeln!(t, "add element bridge {table} {PINNED_SET} {{ {mac} }}");
    }
    t
}

/// `nft -f` text lifting a pin; empty for a port name no interface has.
pub fn unpin_elements(table: &str, mac: &MacAddr, port: &str) -> String {
    if !interface_name_ok(port) {
        return String::new();
    }
    format!(
        "delete element bridge {table} {HOME_SET} {{ {mac} . \"{port}\" }}\ndelete element bridge {table} {PINNED_SET} {{ {mac} }}\n"
    )
}

fn objects(listing: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(listing) {
        Ok(Value::Object(mut v)) => match v.remove("nftables") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The hash (16 hex digits) of the marker chain in one table's listing.
pub fn marker_in(listing: &str) -> Option<String> {
    objects(listing).iter().find_map(|o| {
        o["chain"]["name"]
            .as_str()
            .and_then(|n| n.strip_prefix(MARKER_PREFIX))
            .map(str::to_string)
    })
}

/// The hash both tables carry, given each family's listing; None when a
/// table has none or they differ (a half-applied or foreign ruleset).
pub fn marker_of(listings: &[String]) -> Option<String> {
    let mut found = Vec::new();
    for l in listings {
        found.push(marker_in(l)?);
    }
    found.dedup();
    (found.len() == 1).then(|| found.remove(0))
}

/// (packets, bytes) counted by the counters of each chain, summed over the
/// listings given (the routed and the bridged table together).
pub fn chain_counters(listings: &[String]) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for l in listings {
        for o in objects(l) {
            let r = &o["rule"];
            let Some(chain) = r["chain"].as_str() else {
                continue;
            };
            for e in r["expr"].as_array().into_iter().flatten() {
                if let Some(c) = e.get("counter") {
                    let x = out.entry(chain.to_string()).or_insert((0u64, 0u64));
                    x.0 = x.0.saturating_add(c["packets"].as_u64().unwrap_or(0));
                    x.1 = x.1.saturating_add(c["bytes"].as_u64().unwrap_or(0));
                }
            }
        }
    }
    out
}

/// (port, MAC) of each element of the `moved` set in its listing
/// (`nft -j list set bridge TABLE moved`).
pub fn moved_in(listing: &str) -> Vec<(String, MacAddr)> {
    let mut found = Vec::new();
    for item in objects(listing) {
        if item["set"]["name"].as_str() != Some(MOVED_SET) {
            continue;
        }
        for e in item["set"]["elem"].as_array().into_iter().flatten() {
            // With timeouts, an element is {"elem": {"val": ..., "expires": ...}}.
            let concat = if e["elem"].is_object() {
                &e["elem"]["val"]["concat"]
            } else {
                &e["concat"]
            };
            if let (Some(port), Some(mac)) = (
                concat[0].as_str(),
                concat[1].as_str().and_then(MacAddr::parse),
            ) {
                found.push((port.to_string(), mac));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_name_the_hash_and_are_read_back() {
        let sha = "0123456789abcdef0123";
        assert_eq!(marker_name(sha), "applied_0123456789abcdef");
        let cmds = marker_commands("warden", Verb::Add, sha);
        let v: Value = serde_json::from_str(&format!("[{}]", &cmds[1..])).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["add"]["chain"]["family"], "bridge");
        let listing = r#"{"nftables":[{"metainfo":{}},{"table":{"family":"inet","name":"warden"}},
            {"chain":{"family":"inet","table":"warden","name":"from_02aa"}},
            {"chain":{"family":"inet","table":"warden","name":"applied_0123456789abcdef"}}]}"#;
        assert_eq!(marker_in(listing).as_deref(), Some("0123456789abcdef"));
        let other = listing.replace("applied_0123", "applied_9999");
        assert_eq!(
            marker_of(&[listing.into(), listing.into()]).as_deref(),
            Some("0123456789abcdef")
        );
        assert_eq!(marker_of(&[listing.into(), other]), None);
        assert_eq!(marker_of(&[listing.into(), "garbage".into()]), None);
    }

    #[test]
    fn counters_sum_over_rules_and_tables() {
        let inet = r#"{"nftables":[
            {"rule":{"family":"inet","table":"warden","chain":"from_02aa","expr":[{"counter":{"packets":3,"bytes":180}},{"drop":null}]}},
            {"rule":{"family":"inet","table":"warden","chain":"from_02aa","expr":[{"counter":{"packets":1,"bytes":60}}]}},
            {"rule":{"family":"inet","table":"warden","chain":"to_02aa","expr":[{"accept":null}]}}]}"#;
        let bridge = r#"{"nftables":[{"rule":{"chain":"from_02aa","expr":[{"counter":{"packets":18446744073709551615,"bytes":1}}]}}]}"#;
        let c = chain_counters(&[inet.into(), bridge.into(), "not json".into()]);
        assert_eq!(c["from_02aa"], (u64::MAX, 241));
        assert!(!c.contains_key("to_02aa"));
    }

    #[test]
    fn moved_frames_are_read_with_or_without_timeouts() {
        let l = r#"{"nftables":[{"set":{"family":"bridge","name":"moved","table":"warden","elem":[
            {"elem":{"val":{"concat":["veth1","02:00:00:00:00:0a"]},"timeout":600,"expires":590}},
            {"concat":["veth2","02:00:00:00:00:0b"]},
            {"concat":["veth3","not a mac"]}]}}]}"#;
        let m = moved_in(l);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "veth1");
        assert_eq!(m[1].1.to_string(), "02:00:00:00:00:0b");
    }

    #[test]
    fn element_commands_leave_out_what_could_break_out_of_their_quotes() {
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        let t = pin_elements(
            "warden",
            &[
                (mac, "eth0".into()),
                (mac, "eth0\" } ; flush ruleset".into()),
            ],
        );
        assert_eq!(t.lines().count(), 2);
        assert!(unpin_elements("warden", &mac, "a b").is_empty());
        let t = name_set_elements(
            "warden",
            &[
                ("n0_4".into(), "192.0.2.1".parse().unwrap(), 0),
                ("n0_4; flush".into(), "192.0.2.1".parse().unwrap(), 60),
            ],
        );
        assert_eq!(
            t,
            "add element inet warden n0_4 { 192.0.2.1 timeout 1s }\nadd element bridge warden n0_4 { 192.0.2.1 timeout 1s }\n"
        );
    }
}
