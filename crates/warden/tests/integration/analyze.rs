//! `warden analyze` on real captures: identities, names, filters, the JSON
//! schema, and exit codes.

use crate::common;

use std::process::Command;
use warden_wire::emit::{EthernetRepr, IpRepr, TransportRepr};

fn analyze(args: &[&str]) -> (i32, serde_json::Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (
        o.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn pcap(rel: &str) -> String {
    common::corpus()
        .join("pcap")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn schema() -> jsonschema::Validator {
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("schemas/analyze-report.schema.json"))
            .unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&s).unwrap()
}

fn device<'a>(v: &'a serde_json::Value, mac: &str) -> &'a serde_json::Value {
    v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["mac"] == mac)
        .unwrap_or_else(|| panic!("no device {mac} in {v}"))
}

#[test]
fn every_corpus_report_matches_the_schema() {
    let schema = schema();
    let files: Vec<String> = warden_capture::captures_in(&common::corpus().join("pcap"))
        .unwrap()
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for f in &files {
        let (code, v, err) = analyze(&["--json", f]);
        // Exit 1 exactly when an alert of medium or higher was raised.
        let serious = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["severity"] != "low");
        assert_eq!(code, i32::from(serious), "{f}: {err}");
        if let Err(e) = schema.validate(&v) {
            panic!("{f}: the report breaks the schema: {e}");
        }
    }
    // And all of them at once.
    let mut args = vec!["--json"];
    args.extend(files.iter().map(String::as_str));
    let (code, v, _) = analyze(&args);
    assert_eq!(code, 1, "the corpus holds attacks");
    assert!(schema.validate(&v).is_ok());
    assert!(v["packets"].as_u64().unwrap() > 180_000);
}

#[test]
fn mud_urls_are_learned_from_dhcp_dhcpv6_and_lldp() {
    let (_, v, _) = analyze(&["--json", &pcap("tcpdump/dhcp-mud.pcap")]);
    let d = device(&v, "b8:27:eb:b8:53:c8");
    assert_eq!(
        d["identity"]["mud_urls"][0],
        "https://mudctl.example.com/.well-known/mud/v1/rasbp101"
    );
    assert_eq!(d["identity"]["hostname"], "raspberrypi");
    let (_, v, _) = analyze(&["--json", &pcap("tcpdump/lldp_mudurl.pcap")]);
    let urls: Vec<&serde_json::Value> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["identity"]["mud_urls"].as_array().unwrap())
        .collect();
    assert_eq!(
        urls,
        ["https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0"]
    );
}

#[test]
fn remotes_are_named_by_dns_and_by_tls_sni() {
    let (_, v, _) = analyze(&[
        "--json",
        &pcap("iot-sentinel/TP-LinkPlugHS110/Setup-A-1-STA.pcap"),
    ]);
    let plug = device(&v, "50:c7:bf:00:c7:03");
    assert_eq!(plug["identity"]["hostname"], "HS110(EU)");
    assert_eq!(plug["identity"]["vendor"], "TP-LINK TECHNOLOGIES CO.,LTD.");
    let cloud = plug["remotes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["port"] == 50443)
        .unwrap();
    assert_eq!(
        (cloud["remote"].as_str(), cloud["named_by"].as_str()),
        (Some("devs.tplinkcloud.com"), Some("dns"))
    );
    // A university network on public addresses: the LAN must be given.
    let (_, v, _) = analyze(&[
        "--json",
        "--lan",
        "147.32.80.0/24",
        &pcap("slips/test-cc/test-cc-capture-1.pcap"),
    ]);
    let named: Vec<&serde_json::Value> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["remotes"].as_array().unwrap())
        .filter(|r| r["named_by"] == "tls-sni" && r["remote"] == "testing.com")
        .collect();
    assert_eq!(named.len(), 1);
    assert!(
        named[0]["flows"].as_u64().unwrap() >= 290,
        "the beacon's ~297 TLS connections are one remote"
    );
}

#[test]
fn device_and_lan_options_filter_the_report() {
    let f = pcap("iot-sentinel/TP-LinkPlugHS110/Setup-A-1-STA.pcap");
    let (_, v, _) = analyze(&["--json", "--device", "50:C7:BF:00:C7:03", &f]);
    assert_eq!(v["devices"].as_array().unwrap().len(), 1);
    // A LAN that holds none of the capture's addresses: the plug is still
    // known by what it said over DHCP (a link-local exchange), but none of
    // its flows has a local side, so it has no remotes.
    let (_, v, _) = analyze(&["--json", "--lan", "192.0.2.0/24", &f]);
    let d = device(&v, "50:c7:bf:00:c7:03");
    assert_eq!(d["remotes"].as_array().unwrap().len(), 0, "{v}");
    let (_, v, _) = analyze(&["--json", "--lan", "10.10.10.0/24,192.0.2.0/24", &f]);
    assert!(!device(&v, "50:c7:bf:00:c7:03")["remotes"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn bad_inputs_exit_2_with_a_reason() {
    let (code, _, err) = analyze(&[common::repo().join("README.md").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let (code, _, err) = analyze(&["--lan", "10.0.0.0/99", &pcap("tcpdump/dhcp-mud.pcap")]);
    assert_eq!(code, 2);
    assert!(err.contains("--lan"), "{err}");
}

#[test]
fn a_truncated_capture_is_reported_with_its_place() {
    let src = std::fs::read(pcap("ndpi/mqtt.pcap")).unwrap();
    let dir = std::env::temp_dir().join(format!("warden-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &src[..src.len() - 5]).unwrap();
    let (code, v, _) = analyze(&["--json", cut.to_str().unwrap()]);
    assert_eq!(code, 0, "the packets before the cut are still analysed");
    let e = v["capture_errors"][0].as_str().unwrap();
    assert!(e.contains("packet 9") && e.contains("byte offset"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn reports_are_deterministic_despite_seeded_hash_tables() {
    let f = pcap("ndpi/1kxun.pcap");
    let (_, a, _) = analyze(&["--json", &f]);
    let (_, b, _) = analyze(&["--json", &f]);
    assert_eq!(a, b);
    assert!(!a["devices"].as_array().unwrap().is_empty());
}

#[test]
fn ssdp_mdns_and_http_reveal_identity() {
    let (_, v, _) = analyze(&["--json", &pcap("iot-sentinel/HueBridge/Setup-A-1-STA.pcap")]);
    let hue = device(&v, "00:17:88:24:76:ff");
    assert_eq!(hue["identity"]["vendor"], "Philips Lighting BV");
    assert_eq!(
        hue["identity"]["ssdp_servers"][0],
        "Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0"
    );
    assert_eq!(hue["identity"]["mdns_names"][0], "philips-hue.local");
    let phone = device(&v, "38:0b:40:ef:85:41");
    assert!(phone["identity"]["http_user_agents"][0]
        .as_str()
        .unwrap()
        .starts_with("Dalvik/2.1.0"));
}

#[test]
fn a_lan_on_public_addresses_is_found_through_the_gateway_mac() {
    // A host on a public address (198.51.100.7) reaching ten servers
    // through its router: every server frame arrives from the router's MAC.
    use warden_capture::{Link, PcapWriter};
    let (host, gw) = ([0x00, 0x1b, 0x21, 0, 0, 7], [0x00, 0x1b, 0x21, 0, 0, 1]);
    let frame = |src: [u8; 6], dst: [u8; 6], sip: [u8; 4], dip: [u8; 4], sp: u16, dp: u16| {
        EthernetRepr::new(src, dst).ip(&IpRepr::v4(sip, dip), &TransportRepr::udp(sp, dp), &[])
    };
    let dir = std::env::temp_dir().join(format!("warden-gw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("public-lan.pcap");
    let mut w =
        PcapWriter::new(std::fs::File::create(&path).unwrap(), Link::Ethernet, 65535).unwrap();
    for i in 0..10u8 {
        let server = [203, 0, 113, 10 + i];
        let f = frame(host, gw, [198, 51, 100, 7], server, 40000 + i as u16, 443);
        w.write(1_000_000_000 * i as i64, &f, f.len() as u32)
            .unwrap();
        let f = frame(gw, host, server, [198, 51, 100, 7], 443, 40000 + i as u16);
        w.write(1_000_000_000 * i as i64 + 1000, &f, f.len() as u32)
            .unwrap();
    }
    drop(w);
    let (code, v, err) = analyze(&["--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let d = device(&v, "00:1b:21:00:00:07");
    assert_eq!(d["identity"]["addresses"][0], "198.51.100.7");
    assert_eq!(d["remotes"].as_array().unwrap().len(), 10);
    assert!(
        v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["mac"] != "00:1b:21:00:00:01"),
        "the gateway is not a local device"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dns_names_hold_for_their_ttl_and_anomalies_are_kept_per_device() {
    use warden_capture::{Link, PcapWriter};
    let (dev, gw) = ([0x00, 0x1b, 0x21, 0, 0, 9], [0x00, 0x1b, 0x21, 0, 0, 1]);
    let udp =
        |src: [u8; 6], dst: [u8; 6], sip: [u8; 4], dip: [u8; 4], sp: u16, dp: u16, body: &[u8]| {
            EthernetRepr::new(src, dst).ip(&IpRepr::v4(sip, dip), &TransportRepr::udp(sp, dp), body)
        };
    // A DNS answer: api.example.com A 203.0.113.5, TTL 60 s.
    let mut answer = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    answer.extend(b"\x03api\x07example\x03com\x00\x00\x01\x00\x01");
    answer.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 5]);
    let (lan, server) = ([192, 168, 1, 9], [203, 0, 113, 5]);
    let dir = std::env::temp_dir().join(format!("warden-ttl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ttl.pcap");
    let mut w =
        PcapWriter::new(std::fs::File::create(&path).unwrap(), Link::Ethernet, 65535).unwrap();
    let s = 1_000_000_000i64;
    let a = udp(gw, dev, [192, 168, 1, 1], lan, 53, 5000, &answer);
    w.write(0, &a, a.len() as u32).unwrap();
    let f = udp(dev, gw, lan, server, 6000, 443, b"in ttl");
    w.write(10 * s, &f, f.len() as u32).unwrap();
    let f = udp(dev, gw, lan, server, 7000, 8443, b"long after");
    w.write(1000 * s, &f, f.len() as u32).unwrap();
    // A frame from the device cut inside its IPv4 header.
    let cut = udp(dev, gw, lan, server, 1, 2, b"")[..20].to_vec();
    w.write(1001 * s, &cut, 42).unwrap();
    drop(w);
    let (code, v, err) = analyze(&["--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let d = device(&v, "00:1b:21:00:00:09");
    let named = |port: u64| {
        d["remotes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["port"] == port)
            .unwrap()["named_by"]
            .clone()
    };
    assert_eq!(named(443), "dns", "10 s after a 60 s answer");
    assert_eq!(named(8443), "dns-expired", "1000 s after a 60 s answer");
    assert_eq!(d["anomalies"]["truncated ipv4"], 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn threads_flag_gives_the_same_report_and_refuses_zero() {
    let f = pcap("slips/test-cc/test-cc-capture-1.pcap");
    let (code1, one, _) = analyze(&["--json", "--threads", "1", &f]);
    let (code3, three, _) = analyze(&["--json", "--threads", "3", &f]);
    assert_eq!(code1, code3);
    assert!(one["packets"].as_u64().unwrap() > 0);
    assert_eq!(
        one, three,
        "three flow workers must report what one thread does"
    );
    let (code, _, err) = analyze(&["--json", "--threads", "0", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--threads"), "{err}");
}
