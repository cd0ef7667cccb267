//! `warden capture` on a real interface: a veth pair between two network
//! namespaces this test makes and removes; UDP sent from one side, captured
//! on the other through a BPF filter.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;
use warden_capture::open_path;
use warden_wire::{decode, Net, Transport};

struct Pair(String, String);

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        let _ = Command::new("ip").args(["netns", "del", &self.1]).status();
    }
}

fn ip(args: &[&str]) {
    assert!(
        Command::new("ip").args(args).status().unwrap().success(),
        "ip {args:?}"
    );
}

/// Two namespaces joined by a veth pair: `a` (addr `.1`) in the first,
/// `b` (addr `.2`, MAC `b_mac` when given) in the second, both up.
fn veth_pair(tag: &str, net: &str, b_mac: Option<&str>) -> (Pair, String, String) {
    let id = std::process::id() % 100_000;
    let pair = Pair(format!("wd-{tag}-a-{id}"), format!("wd-{tag}-b-{id}"));
    for ns in [&pair.0, &pair.1] {
        ip(&["netns", "add", ns]);
    }
    let (a, b) = (format!("{tag}a{id}"), format!("{tag}b{id}"));
    ip(&[
        "link", "add", &a, "netns", &pair.0, "type", "veth", "peer", "name", &b, "netns", &pair.1,
    ]);
    if let Some(m) = b_mac {
        ip(&["-n", &pair.1, "link", "set", &b, "address", m]);
    }
    ip(&[
        "-n",
        &pair.0,
        "addr",
        "add",
        &format!("{net}.1/24"),
        "dev",
        &a,
    ]);
    ip(&[
        "-n",
        &pair.1,
        "addr",
        "add",
        &format!("{net}.2/24"),
        "dev",
        &b,
    ]);
    ip(&["-n", &pair.0, "link", "set", &a, "up"]);
    ip(&["-n", &pair.1, "link", "set", &b, "up"]);
    (pair, a, b)
}

#[test]
fn captures_only_what_the_bpf_filter_lets_through() {
    let (pair, a, _b) = veth_pair("c", "10.78.0", None);
    let id = std::process::id() % 100_000;
    let dir = std::env::temp_dir().join(format!("warden-cap-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("cap.pcap");
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &pair.0,
            env!("CARGO_BIN_EXE_warden"),
            "capture",
            "--interface",
            &a,
        ])
        .args([
            "--filter",
            "udp dst port 9999",
            "--count",
            "3",
            "--seconds",
            "20",
            "--write",
        ])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until libpcap is open, then send 5 datagrams to the filtered
    // port and 5 to another one, bounded and local to the pair.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("capturing on"), "{line}");
    std::thread::sleep(Duration::from_millis(100));
    let send = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(5):\n  s.sendto(b'x%d'%i,('10.78.0.1',9998))\n  s.sendto(b'y%d'%i,('10.78.0.1',9999))\n  time.sleep(0.05)";
    let st = Command::new("ip")
        .args(["netns", "exec", &pair.1, "python3", "-c", send])
        .status()
        .unwrap();
    assert!(st.success());
    let st = child.wait().unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert!(st.success(), "{rest}");

    let mut src = open_path(&out).unwrap();
    let mut ports = Vec::new();
    while let Ok(Some(p)) = src.next_packet() {
        let d = decode(p.link, p.data);
        if let Net::Ip(ipk) = d.net {
            if let Transport::Udp(u) = ipk.transport {
                ports.push((u.dst_port, u.payload.first().copied()));
            }
        }
    }
    assert_eq!(
        ports,
        [(9999, Some(b'y')); 3],
        "exactly the first three datagrams to port 9999"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_interface_and_bad_filter_exit_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "capture",
            "--interface",
            "no-such-if0",
            "--seconds",
            "1",
            "--write",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-if0"));
    let o = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "capture",
            "--interface",
            "lo",
            "--filter",
            "this is not bpf",
            "--seconds",
            "1",
            "--write",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("filter"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn analyze_reads_a_live_interface() {
    let (pair, a, _b) = veth_pair("l", "10.79.0", Some("00:1b:21:00:00:42"));
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &pair.0,
            env!("CARGO_BIN_EXE_warden"),
            "analyze",
            "--json",
            "--interface",
            &a,
            "--seconds",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("analysing"), "{line}");
    let send = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(4):\n  s.sendto(b'hello',('10.79.0.1',9999))\n  time.sleep(0.05)";
    assert!(Command::new("ip")
        .args(["netns", "exec", &pair.1, "python3", "-c", send])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["mac"] == "00:1b:21:00:00:42")
        .expect("the sender is a device");
    assert_eq!(d["identity"]["addresses"][0], "10.79.0.2");
    let r = d["remotes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["port"] == 9999)
        .unwrap();
    assert_eq!(r["packets_out"], 4);
}

#[test]
fn a_quiet_interface_ends_at_the_deadline() {
    // Nothing is sent: the capture must still stop when --seconds runs
    // out (libpcap's read timeout alone never woke it on Linux).
    let (pair, a, _b) = veth_pair("q", "10.77.0", None);
    let id = std::process::id() % 100_000;
    let out = std::env::temp_dir().join(format!("warden-quiet-{id}.pcap"));
    let started = std::time::Instant::now();
    let mut child = Command::new("ip")
        .args(["netns", "exec", &pair.0, env!("CARGO_BIN_EXE_warden")])
        .args([
            "capture",
            "--interface",
            &a,
            "--filter",
            "udp port 9",
            "--seconds",
            "2",
        ])
        .arg("--write")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if waited > Duration::from_secs(15) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
        waited += Duration::from_millis(100);
    };
    let _ = std::fs::remove_file(&out);
    let status = status.expect("the capture did not end 15 s after its 2-second deadline");
    assert!(status.success());
    assert!(started.elapsed() >= Duration::from_secs(2));
}
