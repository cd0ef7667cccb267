//! Compiles the IEEE MA-L (OUI) registry from Debian's `ieee-data` package
//! into a sorted table: 24-bit prefix → index of the organisation name
//! (plain read-only data: no pointers for the loader to relocate).
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
    // No table of `&str`: each would be a pointer the loader relocates at
    // start (a dynamic relocation per name in the file, and pages of the
    // table written, so private, in every process). One string of all the
    // names, their end offsets, and the prefixes beside their name's index
    // are plain read-only data.
    assert!(
        names.len() <= usize::from(u16::MAX) + 1,
        "more organisation names than a u16 indexes"
    );
    let mut all = String::new();
    let mut ends = Vec::with_capacity(names.len());
    for n in &names {
        all.push_str(n);
        ends.push(all.len());
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "/// Organisation names of the IEEE MA-L registry, one after another."
    );
    let _ = writeln!(s, "pub static NAMES: &str = {all:?};");
    let _ = writeln!(
        s,
        "/// Where each name in NAMES ends (the next begins there)."
    );
    let _ = writeln!(s, "pub static NAME_ENDS: &[u32] = &[");
    for e in &ends {
        let _ = writeln!(s, "    {e},");
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "/// The 24-bit prefixes, sorted.");
    let _ = writeln!(s, "pub static PREFIXES: &[u32] = &[");
    for p in table.keys() {
        let _ = writeln!(s, "    {p:#08x},");
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "/// The index in NAME_ENDS of each prefix's name.");
    let _ = writeln!(s, "pub static NAME_OF: &[u16] = &[");
    for n in table.values() {
        let i = names.binary_search(n).unwrap_or(0);
        let _ = writeln!(s, "    {i},");
    }
    let _ = writeln!(s, "];");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("oui.rs");
    std::fs::write(out, s).unwrap();
}
