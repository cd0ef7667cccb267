//! RFC 9761 TLS profiles with a real TLS stack: OpenSSL's `s_client` (the
//! device) talks to `s_server` (its cloud) across a veth pair between two
//! network namespaces this test makes and removes; `warden capture` records
//! the device's side. `warden profile` writes the device's observed TLS
//! profile; `warden analyze` then judges later handshakes against it, and
//! against a profile written by hand in the style of RFC 9761's example:
//! the compliant handshakes pass, each deviating one is reported with what
//! it offers beyond the profile.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const DEVICE_MAC: &str = "02:00:00:79:00:02";

struct Lab {
    cloud: String,
    device: String,
    dev_if: String,
    dir: PathBuf,
    server: Option<Child>,
    dtls: bool,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
        for ns in [&self.cloud, &self.device] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ip(args: &[&str]) {
    assert!(
        Command::new("ip").args(args).status().unwrap().success(),
        "ip {args:?}"
    );
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

impl Lab {
    /// `tag` (one letter) keeps the namespaces of two labs in one test
    /// process apart.
    fn new(tag: &str) -> Lab {
        let id = std::process::id() % 100_000;
        let dir = std::env::temp_dir().join(format!("warden-tlslab-{tag}{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut lab = Lab {
            cloud: format!("wd-tls{tag}-cloud-{id}"),
            device: format!("wd-tls{tag}-dev-{id}"),
            dev_if: format!("tl{tag}d{id}"),
            dir,
            server: None,
            dtls: tag == "d",
        };
        let cloud_if = format!("tl{tag}c{id}");
        for ns in [&lab.cloud, &lab.device] {
            ip(&["netns", "add", ns]);
        }
        ip(&[
            "link",
            "add",
            &cloud_if,
            "netns",
            &lab.cloud,
            "type",
            "veth",
            "peer",
            "name",
            &lab.dev_if,
            "netns",
            &lab.device,
        ]);
        ip(&[
            "-n",
            &lab.device,
            "link",
            "set",
            &lab.dev_if,
            "address",
            DEVICE_MAC,
        ]);
        ip(&[
            "-n",
            &lab.cloud,
            "addr",
            "add",
            "10.79.0.1/24",
            "dev",
            &cloud_if,
        ]);
        ip(&[
            "-n",
            &lab.device,
            "addr",
            "add",
            "10.79.0.2/24",
            "dev",
            &lab.dev_if,
        ]);
        ip(&["-n", &lab.cloud, "link", "set", &cloud_if, "up"]);
        ip(&["-n", &lab.device, "link", "set", &lab.dev_if, "up"]);
        // The cloud's certificate, and its TLS server: every version and
        // suite OpenSSL has, so that the client alone decides.
        let (key, cert) = (lab.dir.join("key.pem"), lab.dir.join("cert.pem"));
        ok(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=cloud.example", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let dtls = tag == "d";
        let server = Command::new("ip")
            .args(["netns", "exec", &lab.cloud, "openssl", "s_server"])
            .args(if dtls {
                &["-dtls", "-accept", "5684"][..]
            } else {
                &["-accept", "443"][..]
            })
            .args(["-quiet", "-cert"])
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        lab.server = Some(server);
        lab
    }

    /// Runs the device's TLS clients with these `s_client` options while
    /// `warden capture` records its interface; returns the capture.
    fn capture(&self, name: &str, clients: &[&[&str]]) -> PathBuf {
        let out = self.dir.join(format!("{name}.pcap"));
        let mut cap = Command::new("ip")
            .args(["netns", "exec", &self.device, WARDEN, "capture"])
            .args([
                "--interface",
                &self.dev_if,
                "--filter",
                "tcp port 443 or udp port 5684",
            ])
            .args(["--seconds", "10", "--write"])
            .arg(&out)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(cap.stderr.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(line.contains("capturing on"), "{line}");
        let started = std::time::Instant::now();
        for opts in clients {
            // The server may still be starting for the first client.
            let mut done = false;
            for _ in 0..50 {
                let o = Command::new("ip")
                    .args(["netns", "exec", &self.device, "openssl", "s_client"])
                    .args(["-servername", "cloud.example", "-connect"])
                    .arg(if self.dtls {
                        "10.79.0.1:5684"
                    } else {
                        "10.79.0.1:443"
                    })
                    .args(*opts)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&o.stdout).contains("Cipher is") {
                    done = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(done, "s_client {opts:?} never completed a handshake");
        }
        // The capture ends at its 10-second deadline; every handshake
        // must have happened well inside it.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "the clients took {:?}; the capture stops at 10 s",
            started.elapsed()
        );
        let st = cap.wait().unwrap();
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        assert!(st.success(), "capture: {rest}");
        out
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(WARDEN).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `warden profile` of the device in `cap`: the MUD file's text and JSON.
fn learn(cap: &Path, mud_url: &str) -> (String, Value) {
    let (code, out, err) = run(&[
        "profile",
        cap.to_str().unwrap(),
        "--device",
        DEVICE_MAC,
        "--mud-url",
        mud_url,
    ]);
    assert_eq!(code, 0, "{err}");
    let v = serde_json::from_str(&out).unwrap();
    (out, v)
}

/// The RFC 9761 deviations `warden analyze` reports for the device.
fn deviations(cap: &Path, mud: &Path) -> (u64, Vec<Value>) {
    let bind = format!("{DEVICE_MAC}={}", mud.display());
    let (code, out, err) = run(&["analyze", cap.to_str().unwrap(), "--bind", &bind, "--json"]);
    assert!(code == 0 || code == 1, "analyze: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let c = &v["compliance"][0];
    assert_eq!(c["violations"].as_array().unwrap().len(), 0, "{c}");
    (
        c["handshakes_checked"].as_u64().unwrap(),
        c["tls_deviations"].as_array().unwrap().clone(),
    )
}

const TLS13_TWO_SUITES: &[&str] = &[
    "-tls1_3",
    "-ciphersuites",
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    "-groups",
    "X25519",
];

#[test]
fn real_openssl_handshakes_are_judged_against_rfc9761_profiles() {
    let lab = Lab::new("t");

    // 1. The device as its maker shipped it: TLS 1.3, two suites, X25519.
    let learned = lab.capture("learned", &[TLS13_TWO_SUITES, TLS13_TWO_SUITES]);
    let (out, mud) = learn(&learned, "https://maker.example/camera.json");
    assert_eq!(mud["ietf-mud:mud"]["extensions"][0], "ietf-mud-tls");
    assert_eq!(
        mud["ietf-mud:mud"]["ietf-mud-tls:is-tls-dtls-profile-supported"],
        true
    );
    let aces = mud["ietf-access-control-list:acls"]["acl"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["aces"]["ace"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    let profiles: Vec<&Value> = aces
        .iter()
        .filter_map(|a| a["matches"].get("ietf-acl-tls:client-profiles"))
        .collect();
    assert_eq!(profiles.len(), 1, "{mud:#}");
    let p = &profiles[0]["tls-dtls-profile"][0];
    assert_eq!(p["supported-tls-version"], serde_json::json!(["tls13"]));
    assert_eq!(p["cipher-suite"], serde_json::json!([0x1301, 0x1302]));
    assert_eq!(p["supported-group"], serde_json::json!([29]));
    let generated = lab.dir.join("generated.json");
    std::fs::write(&generated, &out).unwrap();
    // The file it wrote validates strictly and says what it declares.
    let (code, text, err) = run(&["mud", "show", generated.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("using only TLS 1.3 with 2 cipher suites"),
        "{text}"
    );

    // 2. Later: the same client, the client downgraded to TLS 1.2 with
    // another suite, and a TLS 1.3 client with one more suite.
    let later = lab.capture(
        "later",
        &[
            TLS13_TWO_SUITES,
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
                "-groups",
                "X25519",
            ],
        ],
    );
    let (checked, dev) = deviations(&later, &generated);
    assert_eq!(checked, 3, "three distinct handshakes: {dev:#?}");
    assert_eq!(dev.len(), 2, "{dev:#?}");
    let said: Vec<String> = dev
        .iter()
        .map(|d| {
            d["differences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert!(
        said.iter()
            .any(|s| s.contains("offers TLS 1.2") && s.contains("0xc02c")),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|s| s == "offers cipher suites 0x1303"),
        "{said:#?}"
    );
    for d in &dev {
        assert_eq!(d["remote_port"], 443);
        assert!(d["ja4"].as_str().unwrap().starts_with("t1"), "{d}");
        assert!(
            d["explanation"]
                .as_str()
                .unwrap()
                .contains("its MUD file declares the profile `observed`"),
            "{d}"
        );
    }
    // The alerts carry the kind, and the text report says it plainly.
    let bind = format!("{DEVICE_MAC}={}", generated.display());
    let (_, text, _) = run(&["analyze", later.to_str().unwrap(), "--bind", &bind]);
    assert!(text.contains("mud.tls-profile"), "{text}");
    assert!(
        text.contains("3 distinct handshakes checked, 2 outside the declared profile"),
        "{text}"
    );
    assert!(text.contains("TLS client JA4 t13d"), "{text}");

    // 3. A profile written by hand as RFC 9761's example does (TLS 1.3,
    // suites 4865 and 4866, named groups 29), without extension types:
    // only the TLS 1.2 handshake leaves it... and the ChaCha one.
    let hand = lab.dir.join("hand.json");
    std::fs::write(
        &hand,
        r#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://maker.example/camera.json",
  "last-update": "2025-04-01T00:00:00Z", "is-supported": true, "systeminfo": "camera",
  "extensions": ["ietf-mud-tls"], "ietf-mud-tls:is-tls-dtls-profile-supported": true,
  "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "in"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "out", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "cloud",
    "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "10.79.0.1/32"},
      "tcp": {"ietf-mud:direction-initiated": "from-device", "destination-port": {"operator": "eq", "port": 443}},
      "ietf-acl-tls:client-profiles": {"tls-dtls-profile": [{"name": "profile1",
        "supported-tls-version": ["tls13"], "cipher-suite": [4865, 4866], "supported-group": [29]}]}},
    "actions": {"forwarding": "accept"}}]}},
  {"name": "in", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "cloud-answers",
    "matches": {"ipv4": {"protocol": 6, "source-ipv4-network": "10.79.0.1/32"},
      "tcp": {"source-port": {"operator": "eq", "port": 443}}},
    "actions": {"forwarding": "accept"}}]}}]}}"#,
    )
    .unwrap();
    let (checked, dev) = deviations(&later, &hand);
    assert_eq!(checked, 3);
    assert_eq!(dev.len(), 2, "{dev:#?}");
    assert!(dev.iter().all(|d| d["profile"] == "profile1"));
    // The handshakes the profile was learned from pass it too.
    let (_, dev) = deviations(&learned, &hand);
    assert!(dev.is_empty(), "{dev:#?}");
}

#[test]
fn real_openssl_dtls_handshakes_are_judged_too() {
    let lab = Lab::new("d");
    let aes128: &[&str] = &["-dtls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"];
    let learned = lab.capture("learned", &[aes128]);
    let (out, mud) = learn(&learned, "https://maker.example/sensor.json");
    let profile = mud["ietf-access-control-list:acls"]["acl"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["aces"]["ace"].as_array().unwrap().clone())
        .find_map(|a| a["matches"].get("ietf-acl-tls:client-profiles").cloned())
        .expect("a DTLS profile on the UDP ACE");
    let p = &profile["tls-dtls-profile"][0];
    assert_eq!(p["supported-dtls-version"], serde_json::json!(["dtls12"]));
    assert_eq!(p["cipher-suite"], serde_json::json!([0xc02b]));
    let generated = lab.dir.join("generated.json");
    std::fs::write(&generated, &out).unwrap();

    // The same client passes; OpenSSL's default DTLS client (every
    // suite, DTLS 1.0 as well) does not.
    let later = lab.capture("later", &[aes128, &["-dtls"]]);
    let (checked, dev) = deviations(&later, &generated);
    assert_eq!(checked, 2, "{dev:#?}");
    assert_eq!(dev.len(), 1, "{dev:#?}");
    assert_eq!(dev[0]["protocol"], "udp");
    assert!(
        dev[0]["ja4"].as_str().unwrap().starts_with("dd2"),
        "{}",
        dev[0]
    );
    let said = dev[0]["differences"].to_string();
    assert!(said.contains("offers cipher suites"), "{said}");
}
