//! A manufacturer declaration (hostile TOML) through parsing and a whole
//! assessment against the catalog and every crosswalk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_assess::{crosswalks, declaration::Declaration, verdict, Catalog};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let c = Catalog::v2_1_1().unwrap();
    if let Ok(d) = Declaration::parse(text, &c) {
        let x = crosswalks(&c).unwrap();
        let a = verdict::assess(&c, &x, &d, &[]);
        assert_eq!(a.provisions.len(), c.provisions.len());
    }
});
