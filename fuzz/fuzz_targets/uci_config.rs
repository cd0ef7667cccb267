//! OpenWrt's UCI file (/etc/config/warden) is operator input, and LuCI
//! writes it from a browser form: the parser and the mapping to the
//! gateway's TOML return errors, never panic, and what they write is TOML
//! (the gateway's parser then checks it, without panicking either); an
//! error names a line of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = warden_gateway::uci::parse(text);
    match warden_gateway::uci::to_toml(text) {
        Ok(toml) => {
            assert!(parsed.is_ok(), "mapped a file that does not parse");
            let _: toml::Table = toml.parse().expect("the mapping writes TOML");
            let _ = warden_gateway::config::Config::parse(&toml);
        }
        Err(e) => assert!(e.line <= text.lines().count(), "{e}: no such line"),
    }
});
