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
    /// The gateway's LAN and WAN interfaces.
    lan: String,
    wan: String,
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
    /// `tag`: one letter, so that the tests of this binary, which run at
    /// once, make namespaces and links of their own.
    fn new(tag: char) -> Lab {
        let id = std::process::id() % 100_000;
        let mut lab = Lab {
            dev: format!("wd-dev{tag}-{id}"),
            gw: format!("wd-gw{tag}-{id}"),
            srv: format!("wd-srv{tag}-{id}"),
            lan: String::new(),
            wan: String::new(),
            children: Vec::new(),
        };
        for ns in [&lab.dev, &lab.gw, &lab.srv] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let (a, b, c, d) = (
            format!("wa{tag}{id}"),
            format!("wb{tag}{id}"),
            format!("wc{tag}{id}"),
            format!("wd{tag}{id}"),
        );
        lab.lan = b.clone();
        lab.wan = c.clone();
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

/// Compiles [`MUD`] for the lab's device and applies it in the gateway
/// namespace with `nft -j -f`, as the gateway does.
fn apply_warden(lab: &Lab, dir: &std::path::Path) -> warden_nft::Ruleset {
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
    std::fs::create_dir_all(dir).unwrap();
    let f = dir.join("rules.json");
    std::fs::write(&f, &rs.json).unwrap();
    let o = in_ns(&lab.gw, &["nft", "-j", "-f", f.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "nft -j -f: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    rs
}

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
    let mut lab = Lab::new('m');
    let dir = std::env::temp_dir().join(format!("warden-lab-{}", std::process::id()));
    let rs = apply_warden(&lab, &dir);

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

/// The chains of a table, as `nft list table` names them (None: no table).
fn chains(ns: &str, family: &str, table: &str) -> Option<Vec<String>> {
    let o = in_ns(ns, &["nft", "-j", "list", "table", family, table]);
    if !o.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut names: Vec<String> = v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["chain"]["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    Some(names)
}

/// OpenWrt: warden's table beside fw4's. Both hook the same places at the
/// same priority (filter), and a packet passes only if every base chain on
/// its hook lets it: fw4 accepting the device's traffic to the wan does not
/// open what warden's MUD policy drops, whichever of the two runs first,
/// and warden accepting does not open what fw4 drops. `fw4 reload` (its
/// table flushed and written again) leaves warden's table and counters
/// alone, `fw4 stop` (its table deleted) too; warden's apply leaves fw4's.
#[test]
fn warden_and_fw4_keep_their_own_tables() {
    let mut lab = Lab::new('f');
    let dir = std::env::temp_dir().join(format!("warden-fw4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fw4 =
        std::fs::read_to_string(common::repo().join("crates/warden/tests/data/fw4-layout.nft"))
            .unwrap()
            .replace("\"LAN\"", &format!("\"{}\"", lab.lan))
            .replace("\"WAN\"", &format!("\"{}\"", lab.wan));
    let fw4_file = dir.join("fw4.nft");
    std::fs::write(&fw4_file, fw4).unwrap();
    let gw = lab.gw.clone();
    let fw4_reload = || {
        let o = in_ns(&gw, &["nft", "-f", fw4_file.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "fw4: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    fw4_reload();
    let fw4_chains = chains(&lab.gw, "inet", "fw4").expect("fw4's table");
    apply_warden(&lab, &dir);
    let warden_chains = chains(&lab.gw, "inet", "warden").expect("warden's table");
    assert_eq!(
        chains(&lab.gw, "inet", "fw4").as_ref(),
        Some(&fw4_chains),
        "warden's apply left fw4's table alone"
    );

    lab.listen(&lab.srv.clone(), &[8443, 8445]);
    lab.listen(&lab.dev.clone(), &[9000]);
    let check = |when: &str| {
        assert!(
            lab.connects(&lab.dev, "10.77.2.2", 8443),
            "{when}: both allow TCP 8443"
        );
        let before = drop_counter(&lab.gw, "from_027700000002");
        assert!(
            !lab.connects(&lab.dev, "10.77.2.2", 8445),
            "{when}: fw4 forwards lan to wan, warden's MUD policy drops TCP 8445"
        );
        assert!(
            drop_counter(&lab.gw, "from_027700000002") > before,
            "{when}: counted by warden"
        );
    };
    check("fw4 and warden");
    // The wan may not open connections into the lan: fw4's drop holds
    // whatever warden says.
    assert!(!lab.connects(&lab.srv, "10.77.1.2", 9000));

    // fw4 reload: its table flushed and loaded again.
    let counted = drop_counter(&lab.gw, "from_027700000002");
    fw4_reload();
    assert_eq!(
        chains(&lab.gw, "inet", "warden").as_ref(),
        Some(&warden_chains),
        "fw4 reload left warden's table"
    );
    assert_eq!(
        drop_counter(&lab.gw, "from_027700000002"),
        counted,
        "and its counters"
    );
    assert_eq!(chains(&lab.gw, "inet", "fw4").as_ref(), Some(&fw4_chains));
    check("after fw4 reload");

    // warden applies again (a device changed): fw4's table stays.
    apply_warden(&lab, &dir);
    assert_eq!(chains(&lab.gw, "inet", "fw4").as_ref(), Some(&fw4_chains));
    check("after warden's apply");

    // fw4 stop: its table goes, warden's stays and still enforces.
    let o = in_ns(&lab.gw, &["nft", "delete", "table", "inet", "fw4"]);
    assert!(o.status.success());
    assert_eq!(
        chains(&lab.gw, "inet", "warden").as_ref(),
        Some(&warden_chains)
    );
    check("after fw4 stop");
    let _ = std::fs::remove_dir_all(dir);
}
