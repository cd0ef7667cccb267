//! The dashboard's render times: the device list and a device page, with
//! DEVICES (250) devices that each have FLOWS (60) remote summaries spread
//! over 30 days and a few alerts, in a real SQLite file; requests go through
//! the gateway's own router (authorisation, store reads, templates), not
//! over a socket. Prints p50 and p99 over RUNS (300) requests of each.
//!
//! Usage: bench-pages   (DEVICES, FLOWS, RUNS from the environment)

use std::time::Instant;
use tower::ServiceExt;
use warden_gateway::config::Config;
use warden_store::{AlertRow, DeviceRow, FlowSummary, SqliteStore, Store};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let (devices, flows, runs) = (env("DEVICES", 250), env("FLOWS", 60), env("RUNS", 300));
    let dir = std::env::temp_dir().join(format!("warden-bench-pages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let now = 1_790_000_000i64;
    {
        let mut s = SqliteStore::open(&dir.join("warden.db")).unwrap();
        for i in 0..devices {
            let mac = format!("02:42:00:00:{:02x}:{:02x}", i >> 8, i & 0xff);
            s.upsert_device(&DeviceRow {
                mac: mac.clone(),
                addresses: vec![format!("10.1.{}.{}", i >> 8, i & 0xff)],
                mud_url: (i % 3 == 0).then(|| format!("https://maker{}.example/mud.json", i % 7)),
                hostname: Some(format!("device-{i}")),
                vendor_class: None,
                state: if i % 25 == 0 {
                    "quarantined"
                } else {
                    "observed"
                }
                .into(),
                state_reason: (i % 25 == 0).then(|| "scan.horizontal".to_string()),
                first_seen: now - 30 * 86_400,
                last_seen: now - (i as i64 % 3600),
                name: None,
                category: None,
                mud_given_by: None,
                lifecycle: "in-use".into(),
            })
            .unwrap();
            for f in 0..flows {
                s.add_flow(&FlowSummary {
                    mac: mac.clone(),
                    remote: format!("r{f}.cdn{}.example", f % 9),
                    protocol: if f % 4 == 0 { "udp" } else { "tcp" }.into(),
                    port: [443, 80, 8883, 123][f % 4],
                    flows: 30 * 24,
                    packets: 1_000 + f as u64,
                    bytes: 1_000_000 + f as u64,
                    first_seen: now - 30 * 86_400,
                    // Spread over the 30 days: the charts read many hours.
                    last_seen: now - (f as i64 * 65_537) % (30 * 86_400),
                    verdict: if f % 11 == 0 { "violation" } else { "allowed" }.into(),
                    dropped: f % 11 == 0,
                    why: (f % 11 == 0).then(|| "not in its MUD file".to_string()),
                    direction: "out".into(),
                })
                .unwrap();
            }
            if i % 10 == 0 {
                s.record_alert(&AlertRow {
                    id: 0,
                    ts: now - i as i64,
                    mac: Some(mac.clone()),
                    kind: "mud.violation".into(),
                    severity: "medium".into(),
                    explanation: "The device talked to a server its MUD file does not name.".into(),
                    evidence: serde_json::json!({}),
                    acknowledged_by: None,
                    acknowledged_at: None,
                })
                .unwrap();
            }
        }
    }
    let cfg = Config::parse(&format!(
        "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.1.0.1\"\nstate-dir = \"{}\"\n\
         api-listen = \"127.0.0.1:0\"\nremediation-listen = \"127.0.0.1:0\"\n",
        dir.display()
    ))
    .unwrap();
    let store = SqliteStore::open(&dir.join("warden.db")).unwrap();
    let enforcer = warden_gateway::enforce::Enforcer {
        nft: "/nonexistent/nft".into(),
        state_dir: dir.clone(),
        last: None,
        egress: None,
    };
    let core = warden_gateway::core::Core::load(cfg, store, enforcer).unwrap();
    let token = "bench-token-0123456789abcdef0123456789abcdef";
    let api = warden_gateway::api::Api {
        fetcher: None,
        core: std::sync::Arc::new(std::sync::Mutex::new(core)),
        reader: std::sync::Arc::new(std::sync::Mutex::new(
            SqliteStore::open(&dir.join("warden.db")).unwrap(),
        )),
        nft: "/nonexistent/nft".into(),
        auth: std::sync::Arc::new(warden_gateway::auth::Auth::new(
            SqliteStore::open(&dir.join("warden.db")).unwrap(),
            token,
        )),
        now: || 1_790_000_000,
    };
    let app = warden_gateway::api::router(api);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "dashboard render, {devices} devices x {flows} flow summaries over 30 days, {runs} requests each:"
    );
    for (what, path) in [
        ("device list", "/devices".to_string()),
        ("device page", "/devices/02:42:00:00:00:07".to_string()),
    ] {
        let mut ms = Vec::with_capacity(runs);
        let mut bytes = 0;
        for _ in 0..runs {
            let req = axum::http::Request::get(&path)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let t0 = Instant::now();
            let r = rt.block_on(async {
                let r = app.clone().oneshot(req).await.unwrap();
                assert_eq!(r.status(), 200);
                axum::body::to_bytes(r.into_body(), 16 << 20).await.unwrap()
            });
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
            bytes = r.len();
        }
        println!(
            "  {what:<12} p50 {:.2} ms  p99 {:.2} ms  ({bytes} bytes of HTML)",
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.99)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
