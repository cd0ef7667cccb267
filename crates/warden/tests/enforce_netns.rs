//! The compiled ruleset does what the MUD file says, on real traffic: three
//! network namespaces made by this test (device, gateway, server), warden's
//! ruleset applied with the real `nft -j -f` in the gateway, TCP connections
//! made with Python's socket module. Every address lives inside namespaces
//! this test creates and removes.

mod common;

use std::process::{Child, Command, Stdio};
use warden_mud::{Context, ValidateOptions};

struct Lab {
    dev: String,
    gw: String,
    srv: String,
    children: Vec<Child>,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed");
}

fn in_ns(ns: &str, cmd: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(cmd)
        .output()
        .expect("ip netns exec")
}

impl Lab {
    fn new() -> Lab {
        let id = std::process::id() % 100_000;
        let lab = Lab {
            dev: format!("wd-dev-{id}"),
            gw: format!("wd-gw-{id}"),
            srv: format!("wd-srv-{id}"),
            children: Vec::new(),
        };
        for ns in [&lab.dev, &lab.gw, &lab.srv] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let (a, b, c, d) = (
            format!("wa{id}"),
            format!("wb{id}"),
            format!("wc{id}"),
            format!("wd{id}"),
        );
        ip(&[
            "link", "add", &a, "netns", &lab.dev, "type", "veth", "peer", "name", &b, "netns",
            &lab.gw,
        ]);
        ip(&[
            "link", "add", &c, "netns", &lab.gw, "type", "veth", "peer", "name", &d, "netns",
            &lab.srv,
        ]);
        ip(&[
            "-n",
            &lab.dev,
            "link",
            "set",
            &a,
            "address",
            "02:77:00:00:00:02",
        ]);
        ip(&["-n", &lab.dev, "addr", "add", "10.77.1.2/24", "dev", &a]);
        ip(&["-n", &lab.gw, "addr", "add", "10.77.1.1/24", "dev", &b]);
        ip(&["-n", &lab.gw, "addr", "add", "10.77.2.1/24", "dev", &c]);
        ip(&["-n", &lab.srv, "addr", "add", "10.77.2.2/24", "dev", &d]);
        for (ns, l) in [(&lab.dev, &a), (&lab.gw, &b), (&lab.gw, &c), (&lab.srv, &d)] {
            ip(&["-n", ns, "link", "set", l, "up"]);
        }
        ip(&[
            "-n",
            &lab.dev,
            "route",
            "add",
            "default",
            "via",
            "10.77.1.1",
        ]);
        ip(&[
            "-n",
            &lab.srv,
            "route",
            "add",
            "default",
            "via",
            "10.77.2.1",
        ]);
        let o = in_ns(&lab.gw, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        assert!(o.status.success(), "sysctl in the gateway namespace failed");
        lab
    }

    /// Listens on `ports` in `ns` for at most 60 s.
    fn listen(&mut self, ns: &str, ports: &[u16]) {
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        let script = r#"
import socket, sys, select, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(p))); s.listen(16); socks.append(s)
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.5)
    for s in r:
        c, _ = s.accept(); c.close()
"#;
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "python3", "-c", script])
            .args(&ports)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 listener");
        // Wait for "ready" so that connection attempts do not race the bind.
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        self.children.push(child);
    }

    fn connects(&self, ns: &str, host: &str, port: u16) -> bool {
        let script = "import socket,sys\ntry:\n  socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5).close()\nexcept OSError:\n  sys.exit(1)";
        in_ns(ns, &["python3", "-c", script, host, &port.to_string()])
            .status
            .success()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.dev, &self.gw, &self.srv] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

const MUD: &str = r#"{
  "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://lab.example/dev", "last-update": "2026-01-01T00:00:00Z",
    "is-supported": true, "systeminfo": "netns lab device",
    "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
    "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
  "ietf-access-control-list:acls": {"acl": [
    {"name": "fr", "type": "ipv4-acl-type", "aces": {"ace": [
      {"name": "by-address", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "10.77.2.2/32"},
        "tcp": {"destination-port": {"operator": "eq", "port": 8443}, "ietf-mud:direction-initiated": "from-device"}},
       "actions": {"forwarding": "accept"}},
      {"name": "by-name", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "svc.lab.example"},
        "tcp": {"destination-port": {"operator": "eq", "port": 8444}, "ietf-mud:direction-initiated": "from-device"}},
       "actions": {"forwarding": "accept"}}]}},
    {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [
      {"name": "replies", "matches": {"ipv4": {"protocol": 6, "source-ipv4-network": "10.77.2.2/32"},
        "tcp": {"source-port": {"operator": "eq", "port": 8443}, "ietf-mud:direction-initiated": "from-device"}},
       "actions": {"forwarding": "accept"}}]}}]}}"#;

fn drop_counter(ns: &str, chain: &str) -> u64 {
    let o = in_ns(ns, &["nft", "-j", "list", "chain", "inet", "warden", chain]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["rule"]["expr"].as_array())
        .flat_map(|e| e.iter())
        .filter_map(|e| e["counter"]["packets"].as_u64())
        .sum()
}

#[test]
fn compiled_mud_policy_allows_exactly_what_the_file_says() {
    let mut lab = Lab::new();
    let v = warden_mud::load(MUD.as_bytes(), &ValidateOptions::default()).unwrap();
    let policy = warden_mud::resolve(&v.mud, &Context::default());
    assert!(policy.notes().is_empty(), "{:?}", policy.notes());
    let dev = warden_nft::Device::parse("02:77:00:00:00:02,10.77.1.2").unwrap();
    let rs = warden_nft::compile(
        &[warden_nft::DevicePolicy {
            device: dev,
            policy: &policy,
        }],
        &Default::default(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("warden-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("rules.json");
    std::fs::write(&f, &rs.json).unwrap();
    let o = in_ns(&lab.gw, &["nft", "-j", "-f", f.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "nft -j -f: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    lab.listen(&lab.srv.clone(), &[8443, 8444, 8445]);
    lab.listen(&lab.dev.clone(), &[9000]);

    // Allowed by address.
    assert!(
        lab.connects(&lab.dev, "10.77.2.2", 8443),
        "the MUD file allows TCP 8443 to 10.77.2.2"
    );
    // Allowed by name, but only once the name is bound to an address.
    assert!(
        !lab.connects(&lab.dev, "10.77.2.2", 8444),
        "an unbound DNS name must not allow anything"
    );
    let set = &rs.name_sets["svc.lab.example"].ipv4;
    let o = in_ns(
        &lab.gw,
        &[
            "nft",
            "add",
            "element",
            "inet",
            "warden",
            set,
            "{ 10.77.2.2 timeout 60s }",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        lab.connects(&lab.dev, "10.77.2.2", 8444),
        "the bound name allows TCP 8444"
    );
    // Not in the file.
    let before = drop_counter(&lab.gw, "from_027700000002");
    assert!(
        !lab.connects(&lab.dev, "10.77.2.2", 8445),
        "TCP 8445 is not in the MUD file"
    );
    assert!(
        drop_counter(&lab.gw, "from_027700000002") > before,
        "the drop is counted"
    );
    // The server may answer but not open a connection to the device.
    let before = drop_counter(&lab.gw, "to_027700000002");
    assert!(
        !lab.connects(&lab.srv, "10.77.1.2", 9000),
        "nothing allows the server to open connections to the device"
    );
    assert!(drop_counter(&lab.gw, "to_027700000002") > before);
    // Traffic of hosts warden does not manage is untouched.
    assert!(
        lab.connects(&lab.gw, "10.77.2.2", 8445),
        "the gateway itself is not a managed device"
    );
    let _ = std::fs::remove_dir_all(dir);
}
