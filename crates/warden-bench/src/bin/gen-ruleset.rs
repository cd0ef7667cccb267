//! Writes the rulesets the gateway forwarding benchmark loads: N devices,
//! each with the same small MUD policy (UDP and TCP to one server port, DNS;
//! UDP answers from that port),
//! in warden's form (per-device chains behind one verdict map, as `warden
//! gateway` applies; nft JSON) or in the linear form of osMUD and the NIST
//! reference (every device's rules one after another in the forward chain;
//! nft text). The measured device comes last, as the newest device does in
//! a linear list.
//!
//! gen-ruleset map|linear N MEASURED-MAC MEASURED-IP SERVER-IP PORT

use std::net::IpAddr;
use warden_mud::{load, resolve, Context, MacAddr, ValidateOptions};
use warden_nft::{compile, Device, DevicePolicy, Options};

fn policy_doc(server: IpAddr, port: u16) -> String {
    format!(
        r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://bench.example/device.json",
  "last-update": "2026-11-01T00:00:00Z", "is-supported": true, "systeminfo": "bench device",
  "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "from"}}]}}}},
  "to-device-policy": {{"access-lists": {{"access-list": [{{"name": "to"}}]}}}}}},
 "ietf-access-control-list:acls": {{"acl": [
 {{"name": "to", "type": "ipv4-acl-type", "aces": {{"ace": [
  {{"name": "udp", "matches": {{"ipv4": {{"protocol": 17, "source-ipv4-network": "{server}/32"}},
    "udp": {{"source-port": {{"operator": "eq", "port": {port}}}}}}}, "actions": {{"forwarding": "accept"}}}}]}}}},
 {{"name": "from", "type": "ipv4-acl-type", "aces": {{"ace": [
  {{"name": "udp", "matches": {{"ipv4": {{"protocol": 17, "destination-ipv4-network": "{server}/32"}},
    "udp": {{"destination-port": {{"operator": "eq", "port": {port}}}}}}}, "actions": {{"forwarding": "accept"}}}},
  {{"name": "tcp", "matches": {{"ipv4": {{"protocol": 6, "destination-ipv4-network": "{server}/32"}},
    "tcp": {{"destination-port": {{"operator": "eq", "port": {port}}}}}}}, "actions": {{"forwarding": "accept"}}}},
  {{"name": "dns", "matches": {{"ipv4": {{"protocol": 17}}, "udp": {{"destination-port": {{"operator": "eq", "port": 53}}}}}},
    "actions": {{"forwarding": "accept"}}}}]}}}}]}}}}"#
    )
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        eprintln!("usage: gen-ruleset map|linear N MEASURED-MAC MEASURED-IP SERVER-IP PORT");
        std::process::exit(2);
    }
    let n: usize = a[2].parse().expect("N");
    let mac = MacAddr::parse(&a[3]).expect("MAC");
    let ip: IpAddr = a[4].parse().expect("IP");
    let server: IpAddr = a[5].parse().expect("server");
    let port: u16 = a[6].parse().expect("port");
    let mut devices: Vec<(MacAddr, IpAddr)> = (1..n)
        .map(|i| {
            let m = MacAddr([0x02, 0x99, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            let ip: IpAddr = format!("10.{}.{}.{}", 100 + (i >> 16), (i >> 8) & 0xff, i & 0xff)
                .parse()
                .unwrap();
            (m, ip)
        })
        .collect();
    if n > 0 {
        devices.push((mac, ip));
    }
    match a[1].as_str() {
        "map" => {
            let v = load(
                policy_doc(server, port).as_bytes(),
                &ValidateOptions::default(),
            )
            .expect("bench policy");
            let p = resolve(&v.mud, &Context::default());
            let dps: Vec<DevicePolicy> = devices
                .iter()
                .map(|(m, ip)| DevicePolicy {
                    device: Device {
                        mac: *m,
                        addresses: vec![*ip],
                    },
                    policy: &p,
                })
                .collect();
            let rs = compile(&dps, &Options::default()).expect("compile");
            println!("{}", rs.json);
        }
        "linear" => {
            let mut t = String::from("table inet linear {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    ct state established,related accept\n");
            for (m, ip) in &devices {
                t += &format!("    ether saddr {m} ip daddr {server} udp dport {port} accept\n");
                t += &format!("    ether saddr {m} ip daddr {server} tcp dport {port} accept\n");
                t += &format!("    ether saddr {m} udp dport 53 accept\n");
                t += &format!("    ether saddr {m} drop\n");
                t += &format!("    ip daddr {ip} ip saddr {server} udp sport {port} accept\n");
                t += &format!("    ip daddr {ip} drop\n");
            }
            t += "  }\n}\n";
            print!("{t}");
        }
        f => {
            eprintln!("form {f:?}: map or linear");
            std::process::exit(2);
        }
    }
}
