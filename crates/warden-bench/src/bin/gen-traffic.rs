//! gen-traffic OUT.pcap [PACKETS] [DEVICES] [SEED]: a deterministic IoT-like capture.
fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let Some(path) = a.get(1) else {
        eprintln!("usage: gen-traffic OUT.pcap [PACKETS=10000000] [DEVICES=500] [SEED=42]");
        std::process::exit(2);
    };
    let packets = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let devices = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(500);
    let seed = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(42);
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let n = warden_bench::generate(f, packets, devices, seed)?;
    eprintln!("{n} packets written to {path}");
    Ok(())
}
