//! `warden profile` round trip on every IoT device capture of the corpus:
//! the generated MUD file validates strictly; checking the same capture
//! against it (`warden analyze --bind`) gives no violation; the capture
//! with extra flows spliced in gives exactly those flows as violations.

use crate::common;

use common::frames::{eth, ipv4, tcp, udp};

use serde_json::Value;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use warden_capture::{Link, PcapWriter};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

/// (capture under corpus/pcap, device MAC): every IoT device capture, the
/// MAC from the dataset's notes (IoT Sentinel _iotdevice-mac.txt, MUDgee
/// configs) or, for the others, the one device the capture is about.
const DEVICES: [(&str, &str); 16] = [
    ("iot-sentinel/Aria/Setup-A-1-STA.pcap", "20:f8:5e:ca:91:52"),
    (
        "iot-sentinel/D-LinkCam/Setup-A-1-STA.pcap",
        "b0:c5:54:25:5b:0e",
    ),
    (
        "iot-sentinel/D-LinkHomeHub/Setup-A-1-STA.pcap",
        "1c:5f:2b:aa:fd:4e",
    ),
    (
        "iot-sentinel/EdimaxCam1/Setup-A-1-STA.pcap",
        "74:da:38:80:7a:08",
    ),
    (
        "iot-sentinel/HueBridge/Setup-A-1-STA.pcap",
        "00:17:88:24:76:ff",
    ),
    (
        "iot-sentinel/SmarterCoffee/Setup-A-1-STA.pcap",
        "5c:cf:7f:07:ae:fb",
    ),
    (
        "iot-sentinel/TP-LinkPlugHS110/Setup-A-1-STA.pcap",
        "50:c7:bf:00:c7:03",
    ),
    (
        "iot-sentinel/WeMoInsightSwitch/Setup-A-1-STA.pcap",
        "94:10:3e:41:c2:05",
    ),
    ("tj-oconnor-iot/blink-cam-01.pcap", "f4:b8:5e:ff:2b:1b"),
    ("tj-oconnor-iot/lockly-hub-01.pcap", "24:6f:28:d9:a7:64"),
    ("tj-oconnor-iot/schlage-lock-01.pcap", "78:db:2f:db:43:48"),
    ("tj-oconnor-iot/sifely-hub-01.pcap", "f4:cf:a2:eb:59:c4"),
    (
        "ss-for-iot-mud/door_sensor-19JWT/G06-door_sensor-19JWT.pcapng",
        "b8:06:0d:3b:47:f8",
    ),
    (
        "ss-for-iot-mud/mood_lamp-3204432/G06-mood_lamp-3204432.pcap",
        "b8:06:0d:18:84:b4",
    ),
    (
        "ss-for-iot-mud/tapo-p115/G06-tapo-p115.pcap",
        "40:ae:30:46:6e:a8",
    ),
    ("ndpi/nest_log_sink.pcap", "18:b4:30:26:34:40"),
];

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(WARDEN)
        .args(args)
        .output()
        .expect("run warden");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn mac(s: &str) -> [u8; 6] {
    let v: Vec<u8> = s
        .split(':')
        .map(|x| u8::from_str_radix(x, 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

/// The violations `warden analyze --bind` reports for `dev`, as
/// (direction, remote, remote port, device port).
fn violations(cap: &Path, dev: &str, mud: &Path) -> BTreeSet<(String, IpAddr, u16, u16)> {
    let bind = format!("{dev}={}", mud.display());
    let (code, out, err) = run(&["analyze", cap.to_str().unwrap(), "--bind", &bind, "--json"]);
    assert!(code == 0 || code == 1, "analyze failed: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let c = &v["compliance"];
    assert_eq!(c.as_array().unwrap().len(), 1, "one device bound: {c}");
    assert_eq!(c[0]["violations_not_listed"], 0);
    c[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["direction"].as_str().unwrap().to_string(),
                x["remote"].as_str().unwrap().parse().unwrap(),
                x["remote_port"].as_u64().unwrap() as u16,
                x["device_port"].as_u64().unwrap() as u16,
            )
        })
        .collect()
}

/// Copies `cap` to `out` with three extra flows of the device spliced in
/// at the middle packet's time: an outbound TCP connection, an outbound UDP
/// exchange, and an inbound TCP connection the device answers. Returns the
/// violations they must cause.
fn splice(cap: &Path, out: &Path, dev: [u8; 6]) -> BTreeSet<(String, IpAddr, u16, u16)> {
    let mut src = warden_capture::open_path(cap).unwrap();
    let mut packets: Vec<(i64, Vec<u8>, u32, Link)> = Vec::new();
    while let Some(p) = src.next_packet().unwrap() {
        packets.push((p.ts_nanos, p.data.to_vec(), p.orig_len, p.link));
    }
    // The device's IPv4 address and the MAC it sends internet traffic to.
    let mut dev_ip = None;
    let mut gw = [0x02, 0, 0, 0, 0, 0xfe];
    for (_, data, _, link) in &packets {
        let d = warden_wire::decode(*link, data);
        if d.src_mac != Some(dev) {
            continue;
        }
        if let warden_wire::Net::Ip(ip) = d.net {
            if let IpAddr::V4(a) = ip.src {
                if !a.is_unspecified() && !a.is_link_local() {
                    dev_ip.get_or_insert(a);
                }
            }
            if !warden_addr::is_local_by_default(ip.dst) && ip.dst.is_ipv4() {
                if let Some(m) = d.dst_mac.filter(|m| m[0] & 1 == 0) {
                    gw = m;
                }
            }
        }
    }
    let dev_ip: Ipv4Addr = dev_ip.expect("the device has an IPv4 address");
    let me = dev_ip.octets();
    let (r1, r2, r3) = ([198, 51, 100, 99], [198, 51, 100, 98], [198, 51, 100, 97]);
    let mid = packets[packets.len() / 2].0;
    let at = |k: i64| mid + k * 1_000_000;
    let extra: Vec<(i64, Vec<u8>)> = vec![
        (
            at(1),
            eth(dev, gw, ipv4(me, r1, 6, &tcp(45001, 4444, 100, 0, 0x02))),
        ),
        (
            at(2),
            eth(gw, dev, ipv4(r1, me, 6, &tcp(4444, 45001, 500, 101, 0x12))),
        ),
        (
            at(3),
            eth(dev, gw, ipv4(me, r1, 6, &tcp(45001, 4444, 101, 501, 0x10))),
        ),
        (
            at(4),
            eth(dev, gw, ipv4(me, r2, 17, &udp(45002, 9999, b"hello"))),
        ),
        (
            at(5),
            eth(gw, dev, ipv4(r2, me, 17, &udp(9999, 45002, b"world"))),
        ),
        (
            at(6),
            eth(gw, dev, ipv4(r3, me, 6, &tcp(40000, 2323, 700, 0, 0x02))),
        ),
        (
            at(7),
            eth(dev, gw, ipv4(me, r3, 6, &tcp(2323, 40000, 900, 701, 0x12))),
        ),
    ];
    let f = std::fs::File::create(out).unwrap();
    let mut w = PcapWriter::new(std::io::BufWriter::new(f), Link::Ethernet, 262_144).unwrap();
    let mut extra_iter = extra.into_iter().peekable();
    for (ts, data, len, _) in &packets {
        while extra_iter.peek().is_some_and(|(t, _)| t < ts) {
            let (t, d) = extra_iter.next().unwrap();
            w.write(t, &d, d.len() as u32).unwrap();
        }
        w.write(*ts, data, *len).unwrap();
    }
    for (t, d) in extra_iter {
        w.write(t, &d, d.len() as u32).unwrap();
    }
    drop(w);
    BTreeSet::from([
        ("outbound".to_string(), IpAddr::from(r1), 4444, 45001),
        ("outbound".to_string(), IpAddr::from(r2), 9999, 45002),
        ("inbound".to_string(), IpAddr::from(r3), 40000, 2323),
    ])
}

#[test]
fn generated_profiles_round_trip_on_every_iot_capture() {
    let dir = tempdir("profile");
    let mut summary = Vec::new();
    for (cap, dev) in DEVICES {
        // All IoT Sentinel captures are Ethernet; the others too (checked
        // by the splice, which writes Ethernet frames).
        let cap = common::corpus().join("pcap").join(cap);
        let name = cap.file_name().unwrap().to_string_lossy().replace('.', "_");
        let mud = dir.join(format!("{name}.json"));
        let (code, out, err) = run(&["profile", cap.to_str().unwrap(), "--device", dev]);
        assert_eq!(code, 0, "{}: profile failed: {err}", cap.display());
        std::fs::write(&mud, &out).unwrap();
        // Strict RFC 8520, checked by the validator like any MUD file.
        let (code, vout, verr) = run(&["mud", "validate", mud.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {vout}{verr}", mud.display());
        let doc: Value = serde_json::from_str(&out).unwrap();
        let aces: usize = doc["ietf-access-control-list:acls"]["acl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["aces"]["ace"].as_array().unwrap().len())
            .sum();
        // Deterministic: a second run writes the same bytes.
        let (_, again, _) = run(&["profile", cap.to_str().unwrap(), "--device", dev]);
        assert_eq!(out, again, "{}: output differs between runs", cap.display());

        let v = violations(&cap, dev, &mud);
        assert!(
            v.is_empty(),
            "{}: the capture violates its own profile: {v:?}",
            cap.display()
        );

        let spliced = dir.join(format!("{name}-spliced.pcap"));
        let want = splice(&cap, &spliced, mac(dev));
        let got = violations(&spliced, dev, &mud);
        assert_eq!(got, want, "{}: spliced flows", cap.display());
        summary.push(format!(
            "{:<70} {aces:>3} ACEs  0 violations; spliced: {} of 3",
            cap.display(),
            got.len()
        ));
    }
    println!("{}", summary.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn profile_refuses_a_device_without_traffic() {
    let cap = common::corpus().join("pcap/ndpi/mqtt.pcap");
    let (code, _, err) = run(&[
        "profile",
        cap.to_str().unwrap(),
        "--device",
        "02:00:00:00:00:99",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no traffic of 02:00:00:00:00:99"), "{err}");
    let (code, _, err) = run(&["profile", cap.to_str().unwrap(), "--device", "not-a-mac"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a MAC address"), "{err}");
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("warden-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
