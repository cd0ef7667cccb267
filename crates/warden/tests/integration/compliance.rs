//! MUD compliance of traffic, end to end through `warden analyze --mud`:
//! a device announces its MUD URL over DHCP and is bound to the file with
//! that mud-url; each flow is judged as the gateway would judge it, DNS
//! names by the device's own DNS answers within their TTL, controllers by
//! what the DHCP server announced, local networks, direction-initiated.

use crate::common;

use common::frames::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

const DEV: [u8; 6] = [0x02, 0, 0, 0, 0, 0x50];
const GW: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const PHONE: [u8; 6] = [0x02, 0, 0, 0, 0, 0x77];
const DEV_IP: [u8; 4] = [192, 168, 1, 50];
const GW_IP: [u8; 4] = [192, 168, 1, 1];
const PHONE_IP: [u8; 4] = [192, 168, 1, 77];
const CLOUD: [u8; 4] = [203, 0, 113, 10];
const CLOUD2: [u8; 4] = [203, 0, 113, 11];
const URL: &str = "https://bulb.example.com/mud/bulb1";

const MUD: &str = r#"{
 "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://bulb.example.com/mud/bulb1",
  "last-update": "2025-01-01T00:00:00Z", "is-supported": true, "systeminfo": "test bulb",
  "from-device-policy": {"access-lists": {"access-list": [{"name": "from"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "from", "type": "ipv4-acl-type", "aces": {"ace": [
   {"name": "cloud", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "api.bulb.example.com"},
     "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
    "actions": {"forwarding": "accept"}},
   {"name": "dns", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"}, "ipv4": {"protocol": 17},
     "udp": {"destination-port": {"operator": "eq", "port": 53}}}, "actions": {"forwarding": "accept"}},
   {"name": "ntp", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:ntp"}, "ipv4": {"protocol": 17},
     "udp": {"destination-port": {"operator": "eq", "port": 123}}}, "actions": {"forwarding": "accept"}},
   {"name": "lan-8080", "matches": {"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"protocol": 6},
     "tcp": {"destination-port": {"operator": "eq", "port": 8080}}}, "actions": {"forwarding": "accept"}}]}},
  {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [
   {"name": "cloud-answers", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:src-dnsname": "api.bulb.example.com"},
     "tcp": {"source-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
    "actions": {"forwarding": "accept"}},
   {"name": "app", "matches": {"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"protocol": 6},
     "tcp": {"destination-port": {"operator": "eq", "port": 80}, "ietf-mud:direction-initiated": "to-device"}},
    "actions": {"forwarding": "accept"}}]}}]}}"#;

fn up(dst: [u8; 4], l4proto: u8, l4: L4) -> Vec<u8> {
    eth(DEV, GW, ipv4(DEV_IP, dst, l4proto, &l4))
}
fn down(src: [u8; 4], l4proto: u8, l4: L4) -> Vec<u8> {
    eth(GW, DEV, ipv4(src, DEV_IP, l4proto, &l4))
}

/// A device-opened TCP connection: SYN, SYN-ACK.
fn connect(t: f64, dst: [u8; 4], sport: u16, dport: u16) -> Vec<(f64, Vec<u8>)> {
    vec![
        (t, up(dst, 6, tcp(sport, dport, 1, 0, SYN))),
        (t + 0.01, down(dst, 6, tcp(dport, sport, 9, 2, SYNACK))),
    ]
}

fn scenario() -> Vec<(f64, Vec<u8>)> {
    let bcast = [0xff; 6];
    let mut p: Vec<(f64, Vec<u8>)> = vec![
        // DHCP: the device announces its MUD URL; the server announces
        // itself as router, DNS and NTP server.
        (
            1.0,
            eth(
                DEV,
                bcast,
                ipv4(
                    [0; 4],
                    [255; 4],
                    17,
                    &udp(68, 67, &dhcp(1, DEV, [0; 4], Some(URL), GW_IP)),
                ),
            ),
        ),
        (
            1.1,
            eth(
                GW,
                DEV,
                ipv4(
                    GW_IP,
                    DEV_IP,
                    17,
                    &udp(67, 68, &dhcp(2, DEV, DEV_IP, None, GW_IP)),
                ),
            ),
        ),
        // The device's own DNS: api.bulb.example.com is 203.0.113.10 for 60 s.
        (
            10.0,
            up(
                GW_IP,
                17,
                udp(40000, 53, &dns(1, "api.bulb.example.com", None)),
            ),
        ),
        (
            10.01,
            down(
                GW_IP,
                17,
                udp(
                    53,
                    40000,
                    &dns(1, "api.bulb.example.com", Some((CLOUD, 60))),
                ),
            ),
        ),
        // NTP to the announced server.
        (12.0, up(GW_IP, 17, udp(123, 123, &[0x23; 48]))),
        (12.01, down(GW_IP, 17, udp(123, 123, &[0x24; 48]))),
        // An app on the phone opens the device's web page (port 80).
        (
            14.0,
            eth(
                PHONE,
                DEV,
                ipv4(PHONE_IP, DEV_IP, 6, &tcp(50000, 80, 1, 0, SYN)),
            ),
        ),
        (
            14.01,
            eth(
                DEV,
                PHONE,
                ipv4(DEV_IP, PHONE_IP, 6, &tcp(80, 50000, 5, 2, SYNACK)),
            ),
        ),
        // The device opens the phone's port 80: only 8080 is allowed on the LAN.
        (
            15.0,
            eth(
                DEV,
                PHONE,
                ipv4(DEV_IP, PHONE_IP, 6, &tcp(41003, 80, 1, 0, SYN)),
            ),
        ),
        (
            15.01,
            eth(
                PHONE,
                DEV,
                ipv4(PHONE_IP, DEV_IP, 6, &tcp(80, 41003, 5, 2, SYNACK)),
            ),
        ),
        // The cloud tries to open a connection to the device (from port 443).
        (16.0, down(CLOUD, 6, tcp(443, 41004, 1, 0, SYN))),
        (16.01, up(CLOUD, 6, tcp(41004, 443, 5, 2, SYNACK))),
        // DNS to a public resolver instead of the controller.
        (
            17.0,
            up(
                [8, 8, 8, 8],
                17,
                udp(40001, 53, &dns(2, "api.bulb.example.com", None)),
            ),
        ),
        (
            17.01,
            down(
                [8, 8, 8, 8],
                17,
                udp(
                    53,
                    40001,
                    &dns(2, "api.bulb.example.com", Some((CLOUD, 60))),
                ),
            ),
        ),
        // An answer that arrives a moment after the connection it explains
        // (a capture that reordered them): allowed.
        (
            20.5,
            down(
                GW_IP,
                17,
                udp(
                    53,
                    40002,
                    &dns(3, "api.bulb.example.com", Some((CLOUD2, 60))),
                ),
            ),
        ),
        // An unanswered inbound probe: someone else's behaviour, not judged.
        (30.0, down([198, 51, 100, 9], 6, tcp(55555, 23, 1, 0, SYN))),
    ];
    p.extend(connect(11.0, CLOUD, 41000, 443)); // named: allowed
    p.extend(connect(13.0, [198, 51, 100, 20], 41001, 443)); // no name: violation
    p.extend(connect(2000.0, CLOUD, 41002, 443)); // binding expired: violation
    p.extend(connect(20.0, CLOUD2, 41005, 443)); // named by the later answer: allowed
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p
}

fn analyze(args: &[&str]) -> (i32, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        o.status.code().unwrap(),
        serde_json::from_slice(&o.stdout).unwrap(),
    )
}

#[test]
fn flows_are_judged_as_the_gateway_would() {
    let dir = std::env::temp_dir().join(format!("warden-compliance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = dir.join("bulb.pcap");
    write_pcap(&cap, &scenario());
    let muds = dir.join("muds");
    std::fs::create_dir_all(&muds).unwrap();
    std::fs::write(muds.join("bulb1.json"), MUD).unwrap();
    std::fs::write(muds.join("broken.json"), "{").unwrap(); // skipped, named on stderr

    let (code, v) = analyze(&[
        cap.to_str().unwrap(),
        "--mud",
        muds.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1);
    let c = &v["compliance"];
    assert_eq!(c.as_array().unwrap().len(), 1, "{c}");
    let c = &c[0];
    assert_eq!(c["device"], "02:00:00:00:00:50");
    assert_eq!(c["mud_url"], URL);
    assert!(
        c["source"].as_str().unwrap().starts_with("announced"),
        "{c}"
    );
    let got: BTreeSet<(String, String, u64)> = c["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["direction"].as_str().unwrap().to_string(),
                x["remote"].as_str().unwrap().to_string(),
                x["remote_port"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, u64)> = [
        ("outbound", "198.51.100.20", 443),
        ("outbound", "203.0.113.10", 443), // at 2000 s: the 60 s answer (300 s floor) ran out
        ("outbound", "192.168.1.77", 80),
        ("inbound", "203.0.113.10", 443),
        ("outbound", "8.8.8.8", 53),
    ]
    .iter()
    .map(|(d, r, p)| (d.to_string(), r.to_string(), *p))
    .collect();
    assert_eq!(got, want, "{c}");
    // Allowed: DNS and NTP to the controllers DHCP announced, both cloud
    // connections, the phone's connection. DHCP (from 0.0.0.0) and the
    // unanswered probe never count as the device's flows.
    assert_eq!(c["flows_allowed"], 5, "{c}");
    assert_eq!(c["flows_checked"], 10, "{c}");
    // Explanations say why, in words.
    let text: Vec<&str> = c["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["explanation"].as_str().unwrap())
        .collect();
    assert!(
        text.iter().any(|t| t
            .contains("198.51.100.20 (no DNS name bound by the device at the time)")
            && t.contains("none of the access lists from allows it")),
        "{text:?}"
    );
    // Violations are alerts too, and the other resolver is noticed.
    let kinds: Vec<(&str, &str)> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["kind"].as_str().unwrap(), a["severity"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("mud.violation", "medium")), "{kinds:?}");
    assert!(kinds.contains(&("dns.other-resolver", "low")), "{kinds:?}");

    // The same with a healthcare context: violations are more urgent.
    let ctx = dir.join("ctx.toml");
    std::fs::write(&ctx, "deployment = \"healthcare\"\n").unwrap();
    let (_, v) = analyze(&[
        cap.to_str().unwrap(),
        "--mud",
        muds.to_str().unwrap(),
        "--context",
        ctx.to_str().unwrap(),
        "--json",
    ]);
    assert!(v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["kind"] == "mud.violation" && a["severity"] == "high"));

    // --bind overrides the announced URL; a missing file is a usage error.
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "analyze",
            cap.to_str().unwrap(),
            "--bind",
            "02:00:00:00:00:50=/nonexistent.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn blocklist_and_thresholds_files() {
    let dir = std::env::temp_dir().join(format!("warden-blocklist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = dir.join("bulb.pcap");
    write_pcap(&cap, &scenario());
    let bl = dir.join("block.txt");
    std::fs::write(
        &bl,
        "# test list\n198.51.100.0/24 ; SBL1\n0.0.0.0 bad.example\n",
    )
    .unwrap();
    let (code, v) = analyze(&[
        cap.to_str().unwrap(),
        "--blocklist",
        bl.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1);
    let hits: Vec<&Value> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "blocklisted")
        .collect();
    assert!(!hits.is_empty(), "{v}");
    assert!(hits
        .iter()
        .any(|a| a["explanation"].as_str().unwrap().contains("198.51.100.20")));

    // A bad line is named by its number; an unknown threshold by its key.
    std::fs::write(&bl, "ok.example\nthis is not valid\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "analyze",
            cap.to_str().unwrap(),
            "--blocklist",
            bl.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 2"));
    let th = dir.join("t.toml");
    std::fs::write(&th, "scan-hosts = 5\nno-such-threshold = 1\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "analyze",
            cap.to_str().unwrap(),
            "--thresholds",
            th.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-threshold"));
    let _ = std::fs::remove_dir_all(&dir);
}
