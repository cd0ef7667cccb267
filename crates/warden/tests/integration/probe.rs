//! `warden probe` inside a network namespace the test makes (loopback only
//! inside it): it finds the open ports and their banners, and it refuses,
//! sending nothing, an address outside --allow, which a listener in the
//! same namespace proves by never seeing a connection. The listeners are a
//! small Python server (a banner and an HTTP answer), standing in for the
//! real daemons the full probe tests will use.

use crate::common;

use std::process::{Child, Command, Stdio};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const SERVER: &str = r#"
import socket, threading, sys
log = open(sys.argv[1], "a", buffering=1)
def serve(addr, port, banner):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(64)
    while True:
        c, peer = s.accept()
        log.write(f"{addr}:{port} from {peer[0]}\n")
        try:
            if banner: c.sendall(banner)
            else:
                c.settimeout(2); c.recv(100)
                c.sendall(b"HTTP/1.0 200 OK\r\nServer: TestCam/1.0\r\n\r\n")
        except Exception: pass
        c.close()
for a, p, b in [("127.0.0.1", 2323, b"\r\nBusyBox v1.36 login: "), ("127.0.0.1", 8080, None), ("127.0.0.2", 2323, b"login: ")]:
    threading.Thread(target=serve, args=(a, p, b), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"#;

#[test]
fn probe_finds_services_and_refuses_out_of_scope() {
    let ns = common::Netns::new("probe");
    let ip = |args: &[&str]| {
        let st = Command::new("ip").args(args).status().unwrap();
        assert!(st.success(), "ip {args:?}");
    };
    ip(&["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"]);
    ip(&[
        "netns",
        "exec",
        &ns.0,
        "ip",
        "addr",
        "add",
        "127.0.0.2/8",
        "dev",
        "lo",
    ]);
    let dir = std::env::temp_dir().join(format!("warden-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("server.py");
    std::fs::write(&script, SERVER).unwrap();
    let log = dir.join("accepts.log");
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            "python3",
            script.to_str().unwrap(),
            log.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    let _server = Kill(child);
    let warden = env!("CARGO_BIN_EXE_warden");

    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            warden,
            "probe",
            "127.0.0.1",
            "--allow",
            "127.0.0.1/32",
            "--ports",
            "1-1024,2323,8080",
            "--scan-only",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ports_scanned"], 1026);
    let open: Vec<(u64, String)> = v["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["port"].as_u64().unwrap(),
                p["banner"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        open.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![2323, 8080],
        "{open:?}"
    );
    assert!(open[0].1.contains("BusyBox v1.36 login:"), "{open:?}");
    assert!(open[1].1.contains("Server: TestCam/1.0"), "{open:?}");

    // Out of scope: refused, and the listener on 127.0.0.2 never sees a connection.
    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            warden,
            "probe",
            "127.0.0.2",
            "--allow",
            "127.0.0.1/32",
            "--ports",
            "2323",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refused, nothing was sent"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let accepts = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!accepts.contains("127.0.0.2:"), "{accepts}");
    assert!(accepts.contains("127.0.0.1:2323"), "{accepts}");
    let _ = std::fs::remove_dir_all(&dir);
}
