//! A detached CMS signature from the network: DER parsing and verification
//! must fail cleanly on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_mud::signature::{verify, TrustStore};

const CA: &[u8] = include_bytes!("../../samples/mud/luminaire-cacert.pem");
const MUD: &[u8] = include_bytes!("../../samples/mud/Luminaire_150.json");

fuzz_target!(|data: &[u8]| {
    static T: OnceLock<TrustStore> = OnceLock::new();
    let trust = T.get_or_init(|| TrustStore::from_pem(CA).expect("bundled CA parses"));
    let _ = verify(MUD, data, trust, 1_546_300_800);
});
