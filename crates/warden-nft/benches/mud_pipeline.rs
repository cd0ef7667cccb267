//! parse + validate + resolve + compile, per profile. Goal: under 1 ms per
//! profile on the machine CI runs on. Run: `cargo bench -p warden-nft`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::path::{Path, PathBuf};
use warden_mud::{Context, ValidateOptions};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/mud")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json" || x == "mud")
            || p.ends_with("MUDFILE.NEST")
        {
            out.push(p);
        }
    }
}

fn pipeline(bytes: &[u8], ctx: &Context, dev: &warden_nft::Device) -> usize {
    match warden_mud::load(bytes, &ValidateOptions::legacy()) {
        Ok(v) => {
            let p = warden_mud::resolve(&v.mud, ctx);
            let rs = warden_nft::compile(
                &[warden_nft::DevicePolicy {
                    device: dev.clone(),
                    policy: &p,
                }],
                &warden_nft::Options::default(),
            )
            .unwrap();
            rs.rule_count
        }
        Err(_) => 0,
    }
}

fn bench(c: &mut Criterion) {
    let ctx = Context::from_toml(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/context.toml"),
        )
        .unwrap(),
    )
    .unwrap();
    let dev = warden_nft::Device::parse("02:00:00:00:00:01,192.168.1.10,fd00:1::10").unwrap();
    let chromecast =
        std::fs::read(corpus().join("iot-onboarding-mudfiles/unsw/chromecastUltraMud.json"))
            .unwrap();
    let v = warden_mud::load(&chromecast, &ValidateOptions::legacy()).unwrap();
    eprintln!("chromecastUltra: {} ACEs", v.mud.ace_count());
    c.bench_function(
        "chromecastUltra (201 ACEs): parse+validate+resolve+compile",
        |b| b.iter(|| pipeline(black_box(&chromecast), &ctx, &dev)),
    );
    let mut all = Vec::new();
    files(&corpus(), &mut all);
    all.sort();
    let blobs: Vec<Vec<u8>> = all.iter().map(|p| std::fs::read(p).unwrap()).collect();
    eprintln!("corpus: {} MUD documents", blobs.len());
    c.bench_function(
        &format!("all {} corpus documents, one pass", blobs.len()),
        |b| {
            b.iter(|| {
                blobs
                    .iter()
                    .map(|x| pipeline(black_box(x), &ctx, &dev))
                    .sum::<usize>()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
