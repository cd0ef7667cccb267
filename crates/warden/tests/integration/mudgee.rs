//! `warden profile` beside MUDgee on MUDgee's three public input/output
//! pairs (ss-for-iot-MUD): prints the from-device endpoints both allow and
//! each tool's own, and checks them against the differences the README
//! explains (so a change in either output shows up here).

use crate::common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

/// (remote, protocol, destination port) of every from-device ACE; the
/// remote is a DNS name, an address prefix, `local-networks` or
/// `controller:<urn>`; None where the ACE leaves it open.
type Endpoint = (String, Option<u64>, Option<u64>);

/// (capture, device MAC, MUDgee's output, both allow, only warden, only MUDgee)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Vec<Endpoint>,
    Vec<Endpoint>,
    Vec<Endpoint>,
);

fn from_device(doc: &Value) -> BTreeSet<Endpoint> {
    let acls = doc
        .get("ietf-access-control-list:acls")
        .or_else(|| doc.get("ietf-access-control-list:access-lists"))
        .expect("acls");
    let from: BTreeSet<&str> = doc["ietf-mud:mud"]["from-device-policy"]["access-lists"]
        ["access-list"]
        .as_array()
        .map(|v| v.iter().filter_map(|a| a["name"].as_str()).collect())
        .unwrap_or_default();
    let mut out = BTreeSet::new();
    for acl in acls["acl"].as_array().unwrap() {
        if !from.contains(acl["name"].as_str().unwrap()) {
            continue;
        }
        for ace in acl["aces"]["ace"].as_array().unwrap() {
            let m = &ace["matches"];
            let ip = m
                .get("ipv4")
                .or_else(|| m.get("ipv6"))
                .cloned()
                .unwrap_or(Value::Null);
            let mud = &m["ietf-mud:mud"];
            let remote = if let Some(c) = mud["controller"].as_str() {
                format!("controller:{c}")
            } else if mud.get("local-networks").is_some() {
                "local-networks".to_string()
            } else {
                [
                    "ietf-acldns:dst-dnsname",
                    "destination-ipv4-network",
                    "destination-ipv6-network",
                ]
                .iter()
                .find_map(|k| ip[*k].as_str().map(str::to_string))
                .unwrap_or_else(|| "any".into())
            };
            let l4 = m
                .get("tcp")
                .or_else(|| m.get("udp"))
                .cloned()
                .unwrap_or(Value::Null);
            out.insert((
                remote,
                ip["protocol"].as_u64(),
                l4["destination-port"]["port"].as_u64(),
            ));
        }
    }
    out
}

fn ep(r: &str, p: u64, port: u64) -> Endpoint {
    (r.to_string(), Some(p), Some(port))
}

#[test]
fn warden_profile_beside_mudgee() {
    let c = common::corpus();
    // (capture, device MAC from MUDgee's config, MUDgee's output,
    //  endpoints both allow, only warden, only MUDgee)
    let cases: Vec<Case> = vec![
        (
            "tapo-p115/G06-tapo-p115.pcap",
            "40:ae:30:46:6e:a8",
            "tapo-p115/G06-tapo-p115.mud",
            vec![
                ep("aps1-openapi.i.tplinknbu.com", 6, 443),
                ep("euw1-device-cloudgateway.iot.i.tplinknbu.com", 6, 443),
                ep("n-euw1-device-api.tplinkcloud.com", 6, 443),
                ep("security.iot.i.tplinknbu.com", 6, 443),
            ],
            vec![
                // DNS and NTP as the registered controller classes.
                ep("controller:urn:ietf:params:mud:dns", 17, 53),
                ep("controller:urn:ietf:params:mud:ntp", 17, 123),
                // A TLS connection open before the capture began; no DNS
                // answer names the server, so it is kept by address.
                ep("54.169.114.238/32", 6, 443),
            ],
            vec![ep("pool.ntp.org", 17, 123)],
        ),
        (
            "door_sensor-19JWT/G06-door_sensor-19JWT.pcapng",
            "b8:06:0d:3b:47:f8",
            "door_sensor-19JWT/G06-door_sensor-19JWT.mud",
            vec![
                ep("54.187.112.38/32", 6, 443),
                ep("54.188.109.168/32", 6, 8886),
            ],
            vec![],
            vec![
                // Tuya's LAN discovery broadcast to 255.255.255.255 (which
                // MUDgee also marks local-networks): link-scope, never routed
                // by the gateway, so warden leaves it out of the profile.
                ep("local-networks", 17, 6667),
                // MUDgee's ARP ACE (ethertype 0x0806 to local networks):
                // link layer, answered by the gateway, not a MUD matter here.
                ("local-networks".to_string(), None, None),
            ],
        ),
        (
            "mood_lamp-3204432/G06-mood_lamp-3204432.pcap",
            "b8:06:0d:18:84:b4",
            "mood_lamp-3204432/mood_lamp-3204432Mud.json",
            vec![
                ep("18.185.182.159/32", 6, 443),
                ep("3.124.225.12/32", 6, 8886),
            ],
            vec![],
            vec![
                ep("local-networks", 17, 6667),
                // The lamp's own address: MUDgee read a connection the
                // capture joined midway from the wrong side.
                ep("10.42.0.174/32", 6, 40572),
            ],
        ),
    ];
    for (cap, mac, theirs, both, only_ours, only_theirs) in cases {
        let cap = c.join("pcap/ss-for-iot-mud").join(cap);
        let o = Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["profile", cap.to_str().unwrap(), "--device", mac])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let ours = from_device(&serde_json::from_slice(&o.stdout).unwrap());
        let mudgee = from_device(
            &serde_json::from_slice(
                &std::fs::read(c.join("mud/ss-for-iot-mud").join(theirs)).unwrap(),
            )
            .unwrap(),
        );
        let common: BTreeSet<Endpoint> = ours.intersection(&mudgee).cloned().collect();
        let ours_only: BTreeSet<Endpoint> = ours.difference(&mudgee).cloned().collect();
        let theirs_only: BTreeSet<Endpoint> = mudgee.difference(&ours).cloned().collect();
        println!("{}", cap.display());
        println!("  both allow:   {common:?}");
        println!("  only warden:  {ours_only:?}");
        println!("  only MUDgee:  {theirs_only:?}");
        assert_eq!(common, both.into_iter().collect(), "{}", cap.display());
        assert_eq!(
            ours_only,
            only_ours.into_iter().collect(),
            "{}",
            cap.display()
        );
        assert_eq!(
            theirs_only,
            only_theirs.into_iter().collect(),
            "{}",
            cap.display()
        );
    }
}
