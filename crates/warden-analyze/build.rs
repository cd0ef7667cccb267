//! Compiles the IEEE MA-L (OUI) registry from Debian's `ieee-data` package
//! into a sorted table: 24-bit prefix → index of the organisation name.
//! The file is read at build time only; `WARDEN_OUI_CSV` points elsewhere.
//! Without it the table is empty and vendor names are unavailable (a cargo
//! warning says so); scripts/test.sh and scripts/demo.sh install ieee-data.

use std::collections::BTreeMap;
use std::fmt::Write;

fn fields(line: &str) -> Vec<String> {
    // RFC 4180: commas inside quotes, "" for a quote.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn main() {
    let path =
        std::env::var("WARDEN_OUI_CSV").unwrap_or_else(|_| "/usr/share/ieee-data/oui.csv".into());
    println!("cargo:rerun-if-changed={path}");
    println!("cargo:rerun-if-env-changed=WARDEN_OUI_CSV");
    let mut table: BTreeMap<u32, String> = BTreeMap::new();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            for line in text.lines().skip(1) {
                let f = fields(line);
                if f.len() < 3 || f[0] != "MA-L" || f[1].len() != 6 {
                    continue;
                }
                if let Ok(p) = u32::from_str_radix(&f[1], 16) {
                    table.insert(p, f[2].trim().to_string());
                }
            }
        }
        Err(_) => println!("cargo:warning=IEEE OUI registry not found at {path} (install ieee-data): vendor names are unavailable"),
    }
    let mut names: Vec<String> = table.values().cloned().collect();
    names.sort();
    names.dedup();
    let mut s = String::new();
    let _ = writeln!(s, "/// Organisation names of the IEEE MA-L registry.");
    let _ = writeln!(s, "pub static NAMES: &[&str] = &[");
    for n in &names {
        let _ = writeln!(s, "    {n:?},");
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(
        s,
        "/// (24-bit prefix, index into NAMES), sorted by prefix."
    );
    let _ = writeln!(s, "pub static PREFIXES: &[(u32, u16)] = &[");
    for (p, n) in &table {
        let i = names.binary_search(n).unwrap_or(0);
        let _ = writeln!(s, "    ({p:#08x}, {i}),");
    }
    let _ = writeln!(s, "];");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("oui.rs");
    std::fs::write(out, s).unwrap();
}
