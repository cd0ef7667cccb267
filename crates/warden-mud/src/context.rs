//! The deployment context: what the MUD abstractions mean on one network.
//!
//! ```toml
//! deployment = "home"            # home | office | healthcare | industrial
//! local-networks = ["192.168.1.0/24", "fd00:1::/64"]
//!
//! [controllers]                  # controller class URI -> addresses or names
//! "urn:ietf:params:mud:dns" = ["192.168.1.1"]
//! "urn:ietf:params:mud:ntp" = ["192.168.1.1"]
//!
//! [my-controllers]               # full MUD URL -> addresses or names
//! "https://lighting.example.com/lightbulb2000" = ["192.168.1.20"]
//!
//! [[devices]]                    # other devices, for manufacturer / same-manufacturer / model
//! mud-url = "https://lighting.example.com/lightbulb2000"
//! addresses = ["192.168.1.30", "fd00:1::30"]
//! ```

use crate::error::ContextError;
use crate::model::IpPrefix;
use crate::validate::check_dns_name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the device lives; later stages scale severities by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deployment {
    #[default]
    Home,
    Office,
    Healthcare,
    Industrial,
}

/// A controller or endpoint as configured: an address/prefix or a DNS name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Endpoint {
    Net(IpPrefix),
    Name(String),
}

impl Endpoint {
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        if s.contains('/') || s.parse::<std::net::IpAddr>().is_ok() {
            return IpPrefix::parse(s)
                .map(Endpoint::Net)
                .map_err(|e| e.to_string());
        }
        check_dns_name(s)?;
        Ok(Endpoint::Name(s.trim_end_matches('.').to_ascii_lowercase()))
    }
}

/// Another device on the network, as far as the abstractions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerDevice {
    pub mud_url: String,
    pub addresses: Vec<IpPrefix>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub deployment: Deployment,
    pub local_networks: Vec<IpPrefix>,
    pub controllers: BTreeMap<String, Vec<Endpoint>>,
    pub my_controllers: BTreeMap<String, Vec<Endpoint>>,
    pub devices: Vec<PeerDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawContext {
    #[serde(default)]
    deployment: Deployment,
    #[serde(default)]
    local_networks: Vec<String>,
    #[serde(default)]
    controllers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    my_controllers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    devices: Vec<RawDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDevice {
    mud_url: String,
    #[serde(default)]
    addresses: Vec<String>,
    /// Accepted for the operator's reference; the abstractions bind addresses.
    #[serde(default)]
    #[allow(dead_code)]
    mac: Option<String>,
}

/// Caps that keep a hostile context file from exhausting memory.
const MAX_ENTRIES: usize = 4096;

impl Context {
    pub fn from_toml(s: &str) -> Result<Context, ContextError> {
        let raw: RawContext = toml::from_str(s).map_err(|e| ContextError::Toml(e.to_string()))?;
        let value = |key: String, message: String| ContextError::Value { key, message };
        let mut ctx = Context {
            deployment: raw.deployment,
            ..Default::default()
        };
        if raw.local_networks.len()
            + raw.controllers.len()
            + raw.my_controllers.len()
            + raw.devices.len()
            > MAX_ENTRIES
        {
            return Err(value("".into(), format!("more than {MAX_ENTRIES} entries")));
        }
        for (i, n) in raw.local_networks.iter().enumerate() {
            ctx.local_networks.push(
                IpPrefix::parse(n)
                    .map_err(|e| value(format!("local-networks[{i}]"), e.to_string()))?,
            );
        }
        for (table, raw_map, out) in [
            ("controllers", &raw.controllers, &mut ctx.controllers),
            (
                "my-controllers",
                &raw.my_controllers,
                &mut ctx.my_controllers,
            ),
        ] {
            for (uri, eps) in raw_map {
                // Keys are controller URIs; bare class names are accepted
                // for legacy files that use them (faucet's "bacnet").
                if uri.is_empty() || uri.len() > 2048 || uri.chars().any(char::is_whitespace) {
                    return Err(value(
                        format!("{table}.\"{uri}\""),
                        "the key must be a URI or a class name".into(),
                    ));
                }
                let mut list = Vec::new();
                for (i, e) in eps.iter().enumerate() {
                    list.push(
                        Endpoint::parse(e)
                            .map_err(|m| value(format!("{table}.\"{uri}\"[{i}]"), m))?,
                    );
                }
                out.insert(uri.clone(), list);
            }
        }
        for (i, d) in raw.devices.iter().enumerate() {
            if url::Url::parse(&d.mud_url).is_err() {
                return Err(value(format!("devices[{i}].mud-url"), "not a URL".into()));
            }
            let mut addresses = Vec::new();
            for (j, a) in d.addresses.iter().enumerate() {
                addresses.push(
                    IpPrefix::parse(a).map_err(|m| {
                        value(format!("devices[{i}].addresses[{j}]"), m.to_string())
                    })?,
                );
            }
            ctx.devices.push(PeerDevice {
                mud_url: d.mud_url.clone(),
                addresses,
            });
        }
        Ok(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_context() {
        let c = Context::from_toml(
            r#"
deployment = "healthcare"
local-networks = ["192.168.1.0/24"]
[controllers]
"urn:ietf:params:mud:dns" = ["192.168.1.1", "dns.example.net"]
[my-controllers]
"https://a.example/x" = ["10.0.0.1"]
[[devices]]
mud-url = "https://a.example/y"
addresses = ["192.168.1.9"]
"#,
        )
        .unwrap();
        assert_eq!(c.deployment, Deployment::Healthcare);
        assert_eq!(c.controllers["urn:ietf:params:mud:dns"].len(), 2);
        assert_eq!(c.devices[0].addresses.len(), 1);
    }

    #[test]
    fn names_the_key_of_a_bad_value() {
        let e = Context::from_toml("local-networks = [\"10.0.0.1/8\"]").unwrap_err();
        assert!(e.to_string().contains("local-networks[0]"), "{e}");
        let e = Context::from_toml("[controllers]\n\"urn:x:y\" = [\"not a name\"]").unwrap_err();
        assert!(e.to_string().contains("controllers.\"urn:x:y\"[0]"), "{e}");
        assert!(Context::from_toml("bogus = 1").is_err());
    }
}
