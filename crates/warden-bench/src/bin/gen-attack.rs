//! `gen-attack SCENARIO OUT.pcap [SEED]`: writes one synthetic, labelled
//! capture of `warden_bench::attacks` (a Mirai-style scan, a flood, DNS
//! water torture, an SSDP reflector, or benign look-alikes). `gen-attack
//! list` names them. The packets only ever go to the file.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("list") || args.len() < 2 {
        for s in warden_bench::attacks::SCENARIOS {
            println!("{s}");
        }
        if args.len() < 2 && args.first().map(String::as_str) != Some("list") {
            eprintln!("usage: gen-attack SCENARIO OUT.pcap [SEED]");
            std::process::exit(2);
        }
        return;
    }
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let f = match std::fs::File::create(&args[1]) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("gen-attack: {}: {e}", args[1]);
            std::process::exit(2);
        }
    };
    match warden_bench::attacks::write(&args[0], std::io::BufWriter::new(f), seed) {
        None => {
            eprintln!("gen-attack: no scenario {:?} (gen-attack list)", args[0]);
            std::process::exit(2);
        }
        Some(Err(e)) => {
            eprintln!("gen-attack: {e}");
            std::process::exit(1);
        }
        Some(Ok(n)) => eprintln!(
            "gen-attack: {n} packets of {} written to {}",
            args[0], args[1]
        ),
    }
}
