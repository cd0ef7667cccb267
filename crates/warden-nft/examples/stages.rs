//! Times each stage of the pipeline on one file: `cargo run --release -p warden-nft --example stages FILE`.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let bytes = std::fs::read(&path).unwrap();
    let ctx = warden_mud::Context::default();
    let dev = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10").unwrap();
    let n = 200;
    if std::env::args().nth(2).as_deref() == Some("compile") {
        let raw = warden_mud::RawMud::parse(&bytes, 1 << 20).unwrap();
        let v = warden_mud::validate(&raw, &warden_mud::ValidateOptions::legacy()).unwrap();
        let p = warden_mud::resolve(&v.mud, &ctx);
        for _ in 0..iters() {
            let _ = warden_nft::compile(
                &[warden_nft::DevicePolicy {
                    device: dev.clone(),
                    policy: &p,
                }],
                &Default::default(),
            )
            .unwrap();
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("validate") {
        let raw = warden_mud::RawMud::parse(&bytes, 1 << 20).unwrap();
        for _ in 0..iters() {
            let _ = warden_mud::validate(&raw, &warden_mud::ValidateOptions::legacy()).unwrap();
        }
        return;
    }
    let t = Instant::now();
    for _ in 0..n {
        let _: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    }
    println!("plain serde_json Value: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = warden_mud::RawMud::parse(&bytes, 1 << 20).unwrap();
    }
    let parse = t.elapsed() / n;
    let raw = warden_mud::RawMud::parse(&bytes, 1 << 20).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        let _ = warden_mud::validate(&raw, &warden_mud::ValidateOptions::legacy()).unwrap();
    }
    let val = t.elapsed() / n;
    let v = warden_mud::validate(&raw, &warden_mud::ValidateOptions::legacy()).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        let _ = warden_mud::resolve(&v.mud, &ctx);
    }
    let res = t.elapsed() / n;
    let p = warden_mud::resolve(&v.mud, &ctx);
    let t = Instant::now();
    for _ in 0..n {
        let _ = warden_nft::compile(
            &[warden_nft::DevicePolicy {
                device: dev.clone(),
                policy: &p,
            }],
            &Default::default(),
        )
        .unwrap();
    }
    let comp = t.elapsed() / n;
    println!("parse {parse:?}  validate {val:?}  resolve {res:?}  compile {comp:?}");
}

fn iters() -> usize {
    std::env::var("ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}
