//! The assurance face end to end, on real servers in network namespaces
//! the test makes and removes: a deliberately weak device and a hardened
//! one, each probed by `warden probe` from a third namespace, assessed by
//! `warden assess` against its maker's declaration, labelled, and checked
//! against the sample procurement policies.
//!
//! The weak device runs BusyBox telnetd (root's password is `klv123`, from
//! Mirai's list), OpenSSH with a `support`/`support` account, an OpenSSL
//! server that speaks only TLS 1.0 and 1.1, dnsmasq answering for anyone,
//! and small Python services (tests/probe_lab/services.py) for what no
//! packaged daemon here offers in a few lines: HTTP Basic admin/admin, an
//! admin page without login, a login form, a scripted FTP responder, an
//! SSDP responder. Its declaration (samples/declarations/weak-camera.toml)
//! claims everything. The hardened device runs only a TLS 1.3 server with
//! a P-256 certificate, and declares honestly (hardened-plug.toml).
//!
//! The accounts live in /etc/netns/NAME/{passwd,shadow}, which `ip netns
//! exec` mounts over /etc for the daemons only; the test checks that the
//! machine's own /etc/passwd, /etc/shadow, /etc/resolv.conf and hostname
//! are unchanged afterwards.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn sh(args: &[&str]) {
    let st = Command::new(args[0]).args(&args[1..]).status().unwrap();
    assert!(st.success(), "{args:?}");
}

fn fingerprint() -> Vec<(String, Vec<u8>)> {
    [
        "/etc/passwd",
        "/etc/shadow",
        "/etc/resolv.conf",
        "/etc/hostname",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(f).unwrap_or_default()))
    .chain(std::iter::once((
        "hostname".to_string(),
        Command::new("hostname")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default(),
    )))
    .collect()
}

/// Two namespaces joined by a veth pair: `lab` (10.213.N.1, where warden
/// runs) and `dev` (10.213.N.2, the device). Everything is removed on drop.
struct Lab {
    lab: String,
    dev: String,
    dir: PathBuf,
    children: Vec<Child>,
    ip: String,
}

impl Lab {
    fn new(tag: &str, net: u8) -> Lab {
        let pid = std::process::id();
        let lab = format!("wdn-{tag}l-{pid}");
        let dev = format!("wdn-{tag}d-{pid}");
        let dir = std::env::temp_dir().join(format!("warden-{tag}-{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        // The device's own /etc files, before any `ip netns exec` into it.
        let etc = PathBuf::from("/etc/netns").join(&dev);
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
        let l = Lab {
            lab,
            dev,
            dir,
            children: vec![],
            ip: format!("10.213.{net}.2"),
        };
        sh(&["ip", "netns", "add", &l.lab]);
        sh(&["ip", "netns", "add", &l.dev]);
        let (a, b) = (
            format!("wl{net}a{}", pid % 10000),
            format!("wl{net}b{}", pid % 10000),
        );
        sh(&[
            "ip", "link", "add", &a, "netns", &l.lab, "type", "veth", "peer", "name", &b, "netns",
            &l.dev,
        ]);
        sh(&[
            "ip",
            "-n",
            &l.lab,
            "addr",
            "add",
            &format!("10.213.{net}.1/24"),
            "dev",
            &a,
        ]);
        sh(&[
            "ip",
            "-n",
            &l.dev,
            "addr",
            "add",
            &format!("10.213.{net}.2/24"),
            "dev",
            &b,
        ]);
        for (ns, ifc) in [(&l.lab, &a), (&l.dev, &b)] {
            sh(&["ip", "-n", ns, "link", "set", ifc, "up"]);
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        l
    }

    fn etc(&self) -> PathBuf {
        PathBuf::from("/etc/netns").join(&self.dev)
    }

    /// Starts `args` in the device namespace; output goes to DIR/NAME.log.
    fn spawn(&mut self, name: &str, args: &[&str]) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.dev])
            .args(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    fn wait_port(&self, port: u16) {
        for _ in 0..100 {
            let ok = Command::new("ip")
                .args(["netns", "exec", &self.dev, "sh", "-c"])
                .arg(format!("cat /proc/net/tcp | grep -qi ':{port:04X} .* 0A '"))
                .status()
                .unwrap()
                .success();
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("port {port} never listened: {}", self.logs());
    }

    fn logs(&self) -> String {
        let mut s = String::new();
        for e in std::fs::read_dir(&self.dir).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "log") {
                s += &format!(
                    "--- {}\n{}\n",
                    e.path().display(),
                    std::fs::read_to_string(e.path()).unwrap_or_default()
                );
            }
        }
        s
    }

    fn warden(&self, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
        let o = Command::new("ip")
            .args(["netns", "exec", &self.lab, env!("CARGO_BIN_EXE_warden")])
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            o.stdout,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Anything a daemon forked.
        for ns in [&self.dev, &self.lab] {
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(self.etc());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn warden_host(args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn cert(dir: &Path, name: &str, key: &[&str]) -> (String, String) {
    let k = dir.join(format!("{name}.key")).display().to_string();
    let c = dir.join(format!("{name}.crt")).display().to_string();
    let mut args = vec!["req", "-x509", "-newkey"];
    args.extend(key);
    args.extend([
        "-nodes",
        "-keyout",
        &k,
        "-out",
        &c,
        "-days",
        "30",
        "-subj",
        "/CN=device.example",
    ]);
    let st = Command::new("openssl")
        .args(&args)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    (c, k)
}

fn oscal_schema() -> jsonschema::Validator {
    let p = common::corpus().join("standards/oscal/oscal_assessment-results_schema.json");
    let s: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    jsonschema::draft7::new(&s).unwrap()
}

fn verdict(a: &Value, id: &str) -> String {
    a["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no provision {id}"))["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

fn regime<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["regimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["regime"] == id)
        .unwrap()
}

/// Assesses with every output; checks the OSCAL document, the label (as
/// PNG, and its QR code read back) and the HTML report.
fn assess_all(lab: &Lab, decl: &str, probe: &Path) -> Value {
    let d = common::repo().join("samples/declarations").join(decl);
    let out = |n: &str| lab.dir.join(n).display().to_string();
    let (code, stdout, err) = warden_host(&[
        "assess",
        "--declaration",
        d.to_str().unwrap(),
        "--probe",
        probe.to_str().unwrap(),
        "--json",
        "--oscal",
        &out("ar.json"),
        "--html",
        &out("report.html"),
        "--label",
        &out("label.svg"),
        "--report-url",
        "https://reports.example/assessments/1",
        "--at",
        "2026-12-01T12:00:00Z",
    ]);
    assert!(matches!(code, Some(0) | Some(1)), "{err}");
    let a: Value = serde_json::from_slice(&stdout).unwrap();
    let ar: Value = serde_json::from_slice(&std::fs::read(out("ar.json")).unwrap()).unwrap();
    let v = oscal_schema();
    let errors: Vec<String> = v
        .iter_errors(&ar)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let findings = ar["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap();
    assert_eq!(findings.len(), a["provisions"].as_array().unwrap().len());
    // The label renders, and its QR code leads to the report.
    let png = out("label.png");
    sh(&["rsvg-convert", &out("label.svg"), "-o", &png]);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 10_000, "a label PNG of {} bytes", bytes.len());
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (360, 520));
    let z = Command::new("zbarimg")
        .args(["-q", "--raw", &png])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&z.stdout).trim(),
        "https://reports.example/assessments/1"
    );
    let html = std::fs::read_to_string(out("report.html")).unwrap();
    assert!(html.contains("id=\"summary\""));
    assert!(
        html.find("id=\"summary\"") < html.find("id=\"provisions\""),
        "plain language first"
    );
    a
}

#[test]
fn weak_device_fails_with_probe_evidence_and_hardened_one_passes() {
    let before = fingerprint();
    {
        weak();
        hardened();
    }
    assert_eq!(
        before,
        fingerprint(),
        "the machine's /etc and hostname are unchanged"
    );
}

fn weak() {
    let mut lab = Lab::new("weak", 0);
    let etc = lab.etc();
    let hash = |pw: &str| {
        let o = Command::new("openssl")
            .args(["passwd", "-6", pw])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/bin/sh\nsupport:x:1000:1000::/tmp:/usr/sbin/nologin\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("shadow"),
        format!(
            "root:{}:19000:0:99999:7:::\nsupport:{}:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
            hash("klv123"),
            hash("support")
        ),
    )
    .unwrap();
    let dir = lab.dir.clone();
    let d = |n: &str| dir.join(n).display().to_string();
    std::os::unix::fs::symlink("/bin/busybox", dir.join("login")).unwrap();
    lab.spawn(
        "telnetd",
        &[
            "busybox",
            "telnetd",
            "-F",
            "-p",
            "23",
            "-b",
            &lab.ip.clone(),
            "-l",
            &d("login"),
        ],
    );
    sh(&[
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        &d("hostkey"),
    ]);
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "Port 22\nListenAddress {}\nHostKey {}\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nPermitRootLogin no\nPidFile none\nStrictModes no\n",
            lab.ip,
            d("hostkey")
        ),
    )
    .unwrap();
    // sshd needs /run/sshd: a tmpfs over /run in the daemon's own mount namespace.
    lab.spawn(
        "sshd",
        &["sh", "-c", &format!("mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -f {}", d("sshd_config"))],
    );
    let (c, k) = cert(&dir, "legacy", &["rsa:2048"]);
    lab.spawn(
        "tls",
        &[
            "openssl",
            "s_server",
            "-accept",
            &format!("{}:443", lab.ip),
            "-cert",
            &c,
            "-key",
            &k,
            "-no_tls1_2",
            "-no_tls1_3",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-www",
            "-quiet",
        ],
    );
    lab.spawn(
        "dnsmasq",
        &[
            "dnsmasq",
            "-k",
            "-C",
            "/dev/null",
            "--no-resolv",
            "--no-hosts",
            &format!("--listen-address={}", lab.ip),
            "--bind-interfaces",
            "--address=/example.com/192.0.2.10",
            "--pid-file=",
            "--port=53",
        ],
    );
    let services = common::repo().join("crates/warden/tests/probe_lab/services.py");
    lab.spawn(
        "services",
        &[
            "python3",
            services.to_str().unwrap(),
            &lab.ip.clone(),
            "weak",
            &d("requests.txt"),
        ],
    );
    for p in [21, 22, 23, 53, 80, 443, 8080, 8081] {
        lab.wait_port(p);
    }

    let (code, stdout, err) = lab.warden(&["probe", &lab.ip, "--allow", "10.213.0.0/24", "--json"]);
    assert_eq!(code, Some(1), "findings: {err}\n{}", lab.logs());
    let r: Value = serde_json::from_slice(&stdout).unwrap();
    std::fs::write(dir.join("probe.json"), &stdout).unwrap();
    let open: Vec<u64> = r["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    assert_eq!(open, vec![21, 22, 23, 53, 80, 443, 8080, 8081]);
    let accepted = |svc: &str| -> (String, String) {
        let c = r["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["service"] == svc)
            .unwrap_or_else(|| panic!("no {svc} check: {r:#}"));
        let a = &c["accepted"];
        assert!(
            a.is_object(),
            "{svc}: nothing accepted: {c:#}\n{}",
            lab.logs()
        );
        (
            a["user"].as_str().unwrap_or("-").into(),
            a["password"].as_str().unwrap_or("-").into(),
        )
    };
    // Telnet: support/support logs in but gets no shell (nologin); root/klv123 does.
    assert_eq!(accepted("telnet"), ("root".into(), "klv123".into()));
    assert_eq!(accepted("ssh"), ("support".into(), "support".into()));
    assert_eq!(accepted("http-basic"), ("admin".into(), "admin".into()));
    assert_eq!(accepted("http-form"), ("admin".into(), "password".into()));
    assert_eq!(accepted("ftp"), ("admin".into(), "password".into()));
    let tls = r["tls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["port"] == 443)
        .unwrap();
    assert_eq!(
        tls["legacy_versions"],
        serde_json::json!(["TLSv1.0", "TLSv1.1"])
    );
    assert_eq!(tls["certificate"]["key_bits"], 2048);
    assert_eq!(r["open_admin_pages"][0]["port"], 8080);
    assert_eq!(r["open_admin_pages"][0]["changes_settings"], true);
    assert_eq!(r["ssdp"]["server"], "Linux/2.6 UPnP/1.0 IPCam/1.0");
    assert_eq!(r["dns_resolver"]["open"], true);
    assert_eq!(r["brute_force"]["service"], "ssh");
    assert_eq!(r["brute_force"]["protection"]["kind"], "none");

    let a = assess_all(&lab, "weak-camera.toml", &dir.join("probe.json"));
    for id in ["5.1-1", "5.5-1", "5.6-1", "5.1-5", "5.5-5"] {
        assert_eq!(verdict(&a, id), "FAIL", "{id}");
    }
    let p511 = a["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "5.1-1")
        .unwrap();
    let reasons = p511["reasons"].to_string();
    assert!(
        reasons.contains("telnet/23 accepted the default credential root / klv123"),
        "{reasons}"
    );
    assert!(reasons.contains("overrides the declaration"), "{reasons}");
    assert_eq!(regime(&a, "uk-psti")["outcome"], "not-satisfied");
    let cls = regime(&a, "sg-cls");
    assert_eq!(cls["outcome"], "not-satisfied");
    assert!(cls["level"].is_null(), "no CLS level at all");
    assert_eq!(a["label"]["level"], 0);
    // Every sample policy refuses it.
    let assessment = dir.join("assessment.json");
    std::fs::write(&assessment, serde_json::to_vec(&a).unwrap()).unwrap();
    for p in ["home", "office", "healthcare", "industrial"] {
        let pol = common::repo().join(format!("samples/policies/{p}.toml"));
        let (code, out, err) = warden_host(&[
            "policy",
            "check",
            "--policy",
            pol.to_str().unwrap(),
            assessment.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(1), "{p}: {}{err}", String::from_utf8_lossy(&out));
    }
}

fn hardened() {
    let mut lab = Lab::new("hard", 1);
    let dir = lab.dir.clone();
    let (c, k) = cert(
        &dir,
        "modern",
        &["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    );
    lab.spawn(
        "tls",
        &[
            "openssl",
            "s_server",
            "-accept",
            &format!("{}:443", lab.ip),
            "-cert",
            &c,
            "-key",
            &k,
            "-tls1_3",
            "-www",
            "-quiet",
        ],
    );
    lab.wait_port(443);
    let (code, stdout, err) = lab.warden(&["probe", &lab.ip, "--allow", "10.213.1.0/24", "--json"]);
    assert_eq!(
        code,
        Some(0),
        "nothing weak: {err}\n{}",
        String::from_utf8_lossy(&stdout)
    );
    let r: Value = serde_json::from_slice(&stdout).unwrap();
    std::fs::write(dir.join("probe.json"), &stdout).unwrap();
    assert_eq!(r["open"].as_array().unwrap().len(), 1);
    assert!(r["credentials"].as_array().unwrap().is_empty());
    let v: Vec<&str> = r["tls"][0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["accepted"] == true)
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(v, vec!["TLSv1.3"]);
    assert!(r["ssdp"].is_null() && r["dns_resolver"].is_null());

    let a = assess_all(&lab, "hardened-plug.toml", &dir.join("probe.json"));
    for id in ["5.1-1", "5.5-1", "5.6-1"] {
        assert_eq!(verdict(&a, id), "PASS", "{id}");
    }
    let p551 = a["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "5.5-1")
        .unwrap();
    assert!(p551["evidence"]
        .to_string()
        .contains("tls/443 accepts only TLS 1.2 or newer"));
    assert_eq!(regime(&a, "uk-psti")["outcome"], "satisfied");
    assert!(regime(&a, "sg-cls")["level"]
        .as_str()
        .is_some_and(|l| l >= "L1"));
    assert!(a["label"]["level"].as_u64().unwrap() >= 1);
    let assessment = dir.join("assessment.json");
    std::fs::write(&assessment, serde_json::to_vec(&a).unwrap()).unwrap();
    let pol = common::repo().join("samples/policies/home.toml");
    let (code, out, err) = warden_host(&[
        "policy",
        "check",
        "--policy",
        pol.to_str().unwrap(),
        assessment.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{}{err}", String::from_utf8_lossy(&out));
}
