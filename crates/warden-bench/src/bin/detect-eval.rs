//! `detect-eval [LABELS] [CORPUS] [SYNTH_DIR]`: runs every detector over the
//! labelled captures and prints expected against found. Exit 1 when a
//! scored capture fails.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args().skip(1);
    let labels = args
        .next()
        .map(PathBuf::from)
        .unwrap_or(root.join("bench/detect/labels.toml"));
    let corpus = args
        .next()
        .map(PathBuf::from)
        .unwrap_or(root.join("../shared/corpus"));
    let synth = args
        .next()
        .map(PathBuf::from)
        .unwrap_or(root.join("target/bench-data/synthetic"));
    let run = || -> Result<bool, String> {
        let l = warden_bench::eval::load_labels(&labels)?;
        let rows = warden_bench::eval::evaluate(&l, &corpus, &synth)?;
        print!("{}", warden_bench::eval::table(&rows));
        Ok(rows.iter().all(|r| r.pass != Some(false)))
    };
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("detect-eval: {e}");
            std::process::exit(2);
        }
    }
}
