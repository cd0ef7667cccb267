//! OpenWrt's UCI configuration (`/etc/config/warden`) read as the gateway's
//! TOML: a small parser for the UCI file syntax, and the mapping of each
//! section and option to a key of [`crate::config::Config`].
//!
//! The file is hostile input like any other: the parser never panics,
//! keeps at most [`MAX_SECTIONS`] sections, [`MAX_OPTIONS`] options per
//! section and [`MAX_VALUE`] bytes per value, and each error names the line. The mapping knows every option
//! and its type; an unknown section or option is an error (as an unknown
//! TOML key is), not silently dropped. The TOML it writes is made by the
//! `toml` crate, so no value can break out of its string.
//!
//! ```text
//! config gateway 'main'
//!     option enabled '1'            # read by the init script only
//!     list lan_interface 'br-lan'
//!     option gateway_address '192.168.1.1'
//! config mud
//!     list trust '/etc/warden/mud-signers.pem'
//! config controller
//!     option name 'urn:ietf:params:mud:dns'
//!     list endpoint '192.168.1.1'
//! ```

use crate::config::{Config, ConfigError};

/// Sections a file may hold.
pub const MAX_SECTIONS: usize = 1024;
/// Bytes of one value.
pub const MAX_VALUE: usize = 4096;
/// Values of one list.
pub const MAX_LIST: usize = 1024;
/// Options of one section (warden's largest section has 15; each new
/// option is looked up among the section's others).
pub const MAX_OPTIONS: usize = 256;

/// An option's value: `option` gives one, `list` one more each time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    One(String),
    List(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    pub name: Option<String>,
    /// The line of its `config` statement.
    pub line: usize,
    /// (option, value, line of its last statement), in file order.
    pub options: Vec<(String, Value, usize)>,
}

/// A mistake in a UCI file, at a line (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if *line == 0 { String::new() } else { format!("line {line}: ") })]
pub struct UciError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> UciError {
    UciError {
        line,
        message: message.into(),
    }
}

/// The words of one line: unquoted, 'single-quoted' (no escapes) or
/// "double-quoted" (backslash escapes), adjacent parts joined; `#` outside
/// quotes starts a comment.
fn words(text: &str, line: usize) -> Result<Vec<String>, UciError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => return Ok(out),
            _ => {}
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            match c {
                c if c.is_whitespace() => break,
                '\'' => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some('\'') => break,
                            Some(c) => word.push(c),
                            None => return Err(err(line, "a ' quote is not closed")),
                        }
                    }
                }
                '"' => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => match chars.next() {
                                Some(c) => word.push(c),
                                None => return Err(err(line, "a \" quote is not closed")),
                            },
                            Some(c) => word.push(c),
                            None => return Err(err(line, "a \" quote is not closed")),
                        }
                    }
                }
                '\\' => {
                    chars.next();
                    match chars.next() {
                        Some(c) => word.push(c),
                        None => return Err(err(line, "a line may not end in a backslash")),
                    }
                }
                c => {
                    chars.next();
                    word.push(c);
                }
            }
            if word.len() > MAX_VALUE {
                return Err(err(line, format!("a value longer than {MAX_VALUE} bytes")));
            }
        }
        if word.chars().any(char::is_control) {
            return Err(err(line, "a control character in a value"));
        }
        out.push(word);
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses the UCI file syntax.
pub fn parse(text: &str) -> Result<Vec<Section>, UciError> {
    let mut sections: Vec<Section> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let w = words(raw, line)?;
        let Some(keyword) = w.first() else { continue };
        match (keyword.as_str(), w.len()) {
            ("package", 2) => {}
            ("config", 2 | 3) => {
                if !is_name(&w[1]) {
                    return Err(err(line, format!("{:?} is not a section type", w[1])));
                }
                if let Some(n) = w.get(2) {
                    if !is_name(n) {
                        return Err(err(line, format!("{n:?} is not a section name")));
                    }
                }
                if sections.len() >= MAX_SECTIONS {
                    return Err(err(line, format!("more than {MAX_SECTIONS} sections")));
                }
                sections.push(Section {
                    kind: w[1].clone(),
                    name: w.get(2).cloned(),
                    line,
                    options: vec![],
                });
            }
            ("option" | "list", 3) => {
                let Some(s) = sections.last_mut() else {
                    return Err(err(line, format!("{keyword} before any `config` line")));
                };
                if !is_name(&w[1]) {
                    return Err(err(line, format!("{:?} is not an option name", w[1])));
                }
                let value = w[2].clone();
                let at = s.options.iter().position(|(n, _, _)| n == &w[1]);
                if at.is_none() && s.options.len() >= MAX_OPTIONS {
                    return Err(err(
                        line,
                        format!("more than {MAX_OPTIONS} options in a section"),
                    ));
                }
                match (keyword.as_str(), at) {
                    ("option", Some(k)) => match &s.options[k].1 {
                        Value::One(_) => s.options[k] = (w[1].clone(), Value::One(value), line),
                        Value::List(_) => {
                            return Err(err(line, format!("{} is a list and an option", w[1])))
                        }
                    },
                    ("option", None) => s.options.push((w[1].clone(), Value::One(value), line)),
                    (_, Some(k)) => match &mut s.options[k] {
                        (_, Value::List(v), l) if v.len() < MAX_LIST => {
                            v.push(value);
                            *l = line;
                        }
                        (_, Value::List(_), _) => {
                            return Err(err(line, format!("more than {MAX_LIST} values in a list")))
                        }
                        (n, Value::One(_), _) => {
                            return Err(err(line, format!("{n} is an option and a list")))
                        }
                    },
                    (_, None) => s
                        .options
                        .push((w[1].clone(), Value::List(vec![value]), line)),
                }
            }
            ("package" | "config" | "option" | "list", _) => {
                return Err(err(
                    line,
                    format!("`{keyword}` with the wrong number of words"),
                ))
            }
            _ => return Err(err(line, format!("{keyword:?} is not a UCI statement"))),
        }
    }
    Ok(sections)
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Number,
    Texts,
}

/// An option: (UCI name, TOML key, type).
type OptionMap = (&'static str, &'static str, Kind);

/// Each section type warden reads, its TOML table (None: the top level),
/// and its options.
const SCHEMA: &[(&str, Option<&str>, &[OptionMap])] = &[
    (
        "gateway",
        None,
        &[
            ("lan_interface", "lan-interfaces", Kind::Texts),
            ("gateway_address", "gateway-address", Kind::Text),
            ("local_network", "local-networks", Kind::Texts),
            ("state_dir", "state-dir", Kind::Text),
            ("deployment", "deployment", Kind::Text),
            ("unknown_devices", "unknown-devices", Kind::Text),
            ("api_listen", "api-listen", Kind::Text),
            ("remediation_listen", "remediation-listen", Kind::Text),
            ("web_listen", "web-listen", Kind::Text),
            ("web_plain_http", "web-plain-http", Kind::Bool),
            ("retention_days", "retention-days", Kind::Number),
            ("infrastructure", "infrastructure", Kind::Texts),
            ("privacy", "privacy", Kind::Text),
        ],
    ),
    (
        "mud",
        Some("mud"),
        &[
            ("signature", "signature", Kind::Text),
            ("trust", "trust", Kind::Texts),
            ("https_root", "https-roots", Kind::Texts),
            ("allow_private", "allow-private", Kind::Bool),
            ("allow_prefix", "allow-prefixes", Kind::Texts),
            ("max_bytes", "max-bytes", Kind::Number),
            ("connect_timeout_ms", "connect-timeout-ms", Kind::Number),
            ("total_timeout_ms", "total-timeout-ms", Kind::Number),
        ],
    ),
    (
        "quarantine",
        Some("quarantine"),
        &[
            ("automatic", "automatic", Kind::Bool),
            ("kind", "kinds", Kind::Texts),
            ("min_severity", "min-severity", Kind::Text),
            ("follow_new_mac", "follow-new-mac", Kind::Bool),
        ],
    ),
    (
        "dns",
        Some("dns"),
        &[
            ("server", "servers", Kind::Texts),
            ("min_ttl", "min-ttl", Kind::Number),
            ("max_ttl", "max-ttl", Kind::Number),
            ("addresses_per_name", "addresses-per-name", Kind::Number),
        ],
    ),
    ("dhcp", Some("dhcp"), &[("server", "servers", Kind::Texts)]),
    (
        "support",
        Some("support"),
        &[
            ("at_end", "at-end", Kind::Text),
            ("update_host", "update-hosts", Kind::Texts),
            ("catalogue", "catalogue", Kind::Text),
        ],
    ),
    (
        "retention",
        Some("retention"),
        &[
            ("identity", "identity", Kind::Number),
            ("flows", "flows", Kind::Number),
            ("dns_names", "dns-names", Kind::Number),
            ("alerts", "alerts", Kind::Number),
            ("assessments", "assessments", Kind::Number),
            ("events", "events", Kind::Number),
        ],
    ),
];

/// UCI's booleans.
fn boolean(s: &str) -> Option<bool> {
    match s {
        "1" | "yes" | "on" | "true" | "enabled" => Some(true),
        "0" | "no" | "off" | "false" | "disabled" => Some(false),
        _ => None,
    }
}

/// The gateway's configuration as TOML, from a UCI file's text. Options the
/// init script reads (`enabled`, `respawn`) are not part of it.
pub fn to_toml(text: &str) -> Result<String, UciError> {
    let sections = parse(text)?;
    let mut top = toml::Table::new();
    let mut controllers = toml::Table::new();
    let mut seen: Vec<&str> = Vec::new();
    for s in &sections {
        if s.kind == "controller" {
            let mut name = None;
            let mut endpoints = None;
            for (opt, v, line) in &s.options {
                match (opt.as_str(), v) {
                    ("name", Value::One(n)) => name = Some(n.clone()),
                    ("endpoint", Value::List(e)) => endpoints = Some(e.clone()),
                    ("endpoint", Value::One(e)) => endpoints = Some(vec![e.clone()]),
                    _ => {
                        return Err(err(
                            *line,
                            format!(
                                "controller: {opt:?} is not an option here (name, list endpoint)"
                            ),
                        ))
                    }
                }
            }
            let (Some(name), Some(endpoints)) = (name, endpoints) else {
                return Err(err(
                    s.line,
                    "a controller needs `option name` and `list endpoint`",
                ));
            };
            if controllers.contains_key(&name) {
                return Err(err(s.line, format!("controller {name:?} is named twice")));
            }
            controllers.insert(
                name,
                toml::Value::Array(endpoints.into_iter().map(toml::Value::String).collect()),
            );
            continue;
        }
        let Some((kind, table, options)) = SCHEMA.iter().find(|(k, _, _)| *k == s.kind) else {
            return Err(err(
                s.line,
                format!(
                    "{:?} is not a section warden reads (gateway, mud, quarantine, dns, dhcp, support, retention, controller)",
                    s.kind
                ),
            ));
        };
        if seen.contains(kind) {
            return Err(err(s.line, format!("a second `config {kind}` section")));
        }
        seen.push(kind);
        let mut out = toml::Table::new();
        for (opt, v, line) in &s.options {
            if *kind == "gateway" && matches!(opt.as_str(), "enabled" | "respawn") {
                continue;
            }
            let Some((_, key, type_)) = options.iter().find(|(o, _, _)| o == opt) else {
                return Err(err(
                    *line,
                    format!("{kind}: {opt:?} is not an option warden reads"),
                ));
            };
            let value = match (type_, v) {
                (Kind::Texts, Value::List(l)) => {
                    toml::Value::Array(l.iter().cloned().map(toml::Value::String).collect())
                }
                (Kind::Texts, Value::One(x)) => {
                    toml::Value::Array(vec![toml::Value::String(x.clone())])
                }
                (_, Value::List(_)) => {
                    return Err(err(
                        *line,
                        format!("{kind}: {opt} takes `option`, not `list`"),
                    ))
                }
                (Kind::Text, Value::One(x)) => toml::Value::String(x.clone()),
                (Kind::Bool, Value::One(x)) => {
                    toml::Value::Boolean(boolean(x).ok_or_else(|| {
                        err(
                            *line,
                            format!("{kind}: {opt}: {x:?} is not a boolean (1 or 0)"),
                        )
                    })?)
                }
                (Kind::Number, Value::One(x)) => toml::Value::Integer(
                    x.parse::<u32>()
                        .map_err(|_| {
                            err(*line, format!("{kind}: {opt}: {x:?} is not a whole number"))
                        })?
                        .into(),
                ),
            };
            out.insert(key.to_string(), value);
        }
        match table {
            None => top.extend(out),
            Some(t) => {
                top.insert(t.to_string(), toml::Value::Table(out));
            }
        }
    }
    if !seen.contains(&"gateway") {
        return Err(err(0, "no `config gateway` section"));
    }
    if !controllers.is_empty() {
        top.insert("controllers".into(), toml::Value::Table(controllers));
    }
    toml::to_string(&top).map_err(|e| err(0, e.to_string()))
}

/// The gateway's configuration from a UCI file's text: mapped, then
/// checked as any configuration is.
pub fn config(text: &str) -> Result<Config, ConfigError> {
    checked_toml(text).map(|(_, c)| c)
}

/// The TOML a UCI file's text maps to, with the configuration it makes
/// (checked as any configuration is).
pub fn checked_toml(text: &str) -> Result<(String, Config), ConfigError> {
    let toml = to_toml(text).map_err(|e| ConfigError(format!("UCI {e}")))?;
    let config = Config::parse(&toml).map_err(|e| ConfigError(format!("from UCI: {}", e.0)))?;
    Ok((toml, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_uci_quoting() {
        assert_eq!(
            words(r#"  option name 'a b'"c\"d"e  # comment"#, 1).unwrap(),
            ["option", "name", "a bc\"de"]
        );
        assert_eq!(
            words("list x '#not a comment'", 1).unwrap()[2],
            "#not a comment"
        );
        assert_eq!(words("   # all comment", 1).unwrap(), Vec::<String>::new());
        assert_eq!(
            words("option x 'open", 7).unwrap_err().to_string(),
            "line 7: a ' quote is not closed"
        );
        assert!(words("option x \"a\\", 1).is_err());
        assert!(words("option x 'a\u{7}'", 1).is_err());
    }

    #[test]
    fn lists_gather_and_options_replace() {
        let s = parse("package warden\nconfig mud\n\tlist trust a\n\tlist trust b\n\toption signature warn\n\toption signature require\n").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].options[0].1, Value::List(vec!["a".into(), "b".into()]));
        assert_eq!(s[0].options[1].1, Value::One("require".into()));
        for (bad, want) in [
            ("option x 1\n", "line 1: option before any `config` line"),
            (
                "config mud\nlist x a\noption x b\n",
                "line 3: x is a list and an option",
            ),
            (
                "config mud\noption x a\nlist x b\n",
                "line 3: x is an option and a list",
            ),
            ("config 'm d'\n", "line 1: \"m d\" is not a section type"),
            (
                "config mud\noption x\n",
                "line 2: `option` with the wrong number of words",
            ),
            ("set warden.x=1\n", "line 1: \"set\" is not a UCI statement"),
        ] {
            let e = parse(bad).map(|_| ()).unwrap_err().to_string();
            assert!(e.starts_with(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn bounded() {
        let many = "config mud\n".repeat(MAX_SECTIONS + 1);
        assert!(parse(&many).unwrap_err().message.contains("sections"));
        let long = format!("config mud\noption x '{}'\n", "a".repeat(MAX_VALUE + 1));
        assert!(parse(&long).unwrap_err().message.contains("longer"));
        let list = format!("config mud\n{}", "list x a\n".repeat(MAX_LIST + 1));
        assert!(parse(&list).unwrap_err().message.contains("more than"));
        let options: String = (0..=MAX_OPTIONS)
            .map(|i| format!("option o{i} x\n"))
            .collect();
        let e = parse(&format!("config mud\n{options}")).unwrap_err();
        assert_eq!(e.line, MAX_OPTIONS + 2, "{e}");
        assert!(e.message.contains("options in a section"), "{e}");
    }

    /// The shipped UCI file (packaging/openwrt) maps to the configuration
    /// of the shipped TOML sample it mirrors, but for where the store lives
    /// (flash, not /var, which is RAM on OpenWrt) and the dashboard's port
    /// (LuCI holds 443).
    #[test]
    fn the_openwrt_default_is_the_toml_sample() {
        let uci = include_str!("../../../packaging/openwrt/net/warden/files/warden.config");
        let mut from_uci = config(uci).unwrap();
        assert_eq!(
            from_uci.state_dir,
            std::path::PathBuf::from("/etc/warden/state")
        );
        assert_eq!(
            from_uci.web_listen,
            Some("192.168.1.1:9443".parse().unwrap())
        );
        let sample = Config::parse(include_str!("../../../samples/gateway.toml")).unwrap();
        from_uci.state_dir = sample.state_dir.clone();
        from_uci.web_listen = sample.web_listen;
        assert_eq!(format!("{from_uci:?}"), format!("{sample:?}"));
    }

    #[test]
    fn every_option_maps_and_mistakes_name_their_line() {
        let uci = "config gateway main
	option enabled 1
	list lan_interface br-lan
	list lan_interface br-guest
	option gateway_address 10.0.0.1
	option local_network 10.0.0.0/24
	option state_dir /srv/warden
	option deployment office
	option unknown_devices block
	option api_listen 10.0.0.1:8443
	option remediation_listen 10.0.0.1:8080
	option web_listen 10.0.0.1:443
	option web_plain_http off
	option retention_days 14
	list infrastructure 02:00:00:00:00:01
	option privacy aggregates
config mud
	option signature warn
	option allow_private yes
	list allow_prefix 10.9.0.0/16
	option max_bytes 65536
config quarantine
	option automatic 0
	list kind scan.horizontal
	option follow_new_mac false
config dns
	list server 10.0.0.53
	option min_ttl 60
config dhcp
	list server 10.0.0.67
config support
	option at_end updates-only
	list update_host updates.example.com
config retention
	option flows 7
config controller
	option name 'urn:ietf:params:mud:ntp'
	list endpoint 10.0.0.123
";
        let c = config(uci).unwrap();
        assert_eq!(c.lan_interfaces, ["br-lan", "br-guest"]);
        assert_eq!(c.state_dir, std::path::PathBuf::from("/srv/warden"));
        assert_eq!(c.unknown_devices, crate::config::UnknownDevices::Block);
        assert!(!c.web_plain_http && c.retention_days == 14);
        assert_eq!(c.infrastructure.len(), 1);
        assert_eq!(c.privacy, crate::config::Privacy::Aggregates);
        assert_eq!(c.mud.signature, crate::config::SignaturePolicy::Warn);
        assert!(c.mud.allow_private && c.mud.max_bytes == 65536);
        assert!(!c.quarantine.automatic);
        assert_eq!(c.dns.min_ttl, 60);
        assert_eq!(c.dhcp.servers.len(), 1);
        assert_eq!(c.retention.flows, 7 * 86_400);
        assert_eq!(c.retention.alerts, 14 * 86_400);
        assert!(c.context.controllers["urn:ietf:params:mud:ntp"]
            .iter()
            .any(|e| format!("{e:?}").contains("10.0.0.123")));
        let e = config(&uci.replace("option retention_days 14", "option retention_days two"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 14") && e.contains("whole number"), "{e}");
        let e = config(&uci.replace("option privacy aggregates", "option privcy aggregates"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 16") && e.contains("\"privcy\""), "{e}");
        let e = config(&uci.replace("config retention", "config retension"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 34") && e.contains("\"retension\""), "{e}");
        let e = config(&uci.replace("option deployment office", "option deployment cafe"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("from UCI") && e.contains("cafe"), "{e}");
        // A value cannot break out of its TOML string.
        let c = config(&uci.replace(
            "option state_dir /srv/warden",
            "option state_dir '/srv\" web-plain-http = true #'",
        ))
        .unwrap();
        assert!(!c.web_plain_http);
        assert_eq!(
            c.state_dir,
            std::path::PathBuf::from("/srv\" web-plain-http = true #")
        );
    }
}
