//! The manufacturer's declaration: per provision the support (yes / no /
//! n/a) and its justification (the ICS of EN 303 645 Annex B), the facts the
//! conditions depend on, and the facts assessors need (in the spirit of TS
//! 103 701's IXIT: authentication, update mechanism, interfaces, personal
//! data and telemetry, disclosure policy, support period).
//!
//! TOML, every key known (an unknown key is an error naming it):
//!
//! ```toml
//! [product]
//! manufacturer = "Acme"
//! model = "Cam 1"
//! support-period-end = "2030-12-31"
//! vulnerability-disclosure-url = "https://acme.example/security"
//! constrained = false
//!
//! [facts]                       # the conditions of EN 303 645
//! passwords-used = true
//!
//! [[authentication]]
//! interface = "web"
//! factor = "password"
//! password-scheme = "user-defined"
//! brute-force-protection = "lockout after 5 failures for 15 minutes"
//!
//! [provision."5.1-1"]
//! support = "yes"
//! justification = "set by the user at first start"
//! ```
//!
//! The JSON Schema is `schemas/declaration.schema.json`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Support {
    #[serde(rename = "yes")]
    Yes,
    #[serde(rename = "no")]
    No,
    #[serde(rename = "n/a")]
    NotApplicable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProvisionClaim {
    pub support: Support,
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Product {
    pub manufacturer: String,
    pub model: String,
    #[serde(default)]
    pub firmware: Option<String>,
    /// The end of the defined support period (YYYY-MM-DD).
    #[serde(default)]
    pub support_period_end: Option<String>,
    #[serde(default)]
    pub vulnerability_disclosure_url: Option<String>,
    #[serde(default)]
    pub mud_url: Option<String>,
    #[serde(default)]
    pub mud_signed: Option<bool>,
    /// Conditions 4 and 5: a constrained device.
    #[serde(default)]
    pub constrained: bool,
}

/// The facts behind EN 303 645's conditions 1-13 (3, 4 and 5 come from
/// `software-updatable` and the product's `constrained`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Facts {
    pub passwords_used: Option<bool>,
    pub pre_installed_passwords: Option<bool>,
    pub software_updatable: Option<bool>,
    pub telemetry: Option<bool>,
    pub consent_based_processing: Option<bool>,
    pub user_authentication: Option<bool>,
    pub automatic_updates: Option<bool>,
    pub hardcoded_identity: Option<bool>,
    pub network_updates: Option<bool>,
    pub update_mechanism: Option<bool>,
    pub debug_interface_accessible: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Authentication {
    pub interface: String,
    pub factor: String,
    #[serde(default)]
    pub password_scheme: Option<String>,
    #[serde(default)]
    pub brute_force_protection: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Interface {
    pub name: String,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub enabled_by_default: Option<bool>,
    #[serde(default)]
    pub authenticated: Option<bool>,
    #[serde(default)]
    pub encrypted: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DataItem {
    pub what: String,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Declaration {
    pub product: Product,
    #[serde(default)]
    pub facts: Facts,
    #[serde(default)]
    pub authentication: Vec<Authentication>,
    #[serde(default)]
    pub update_mechanism: Option<String>,
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    #[serde(default)]
    pub personal_data: Vec<DataItem>,
    #[serde(default)]
    pub telemetry: Vec<DataItem>,
    /// Per provision id: the ICS row.
    #[serde(default)]
    pub provision: BTreeMap<String, ProvisionClaim>,
}

#[derive(Debug, thiserror::Error)]
#[error("declaration: {0}")]
pub struct DeclarationError(pub String);

/// The most bytes a declaration may have.
pub const MAX_BYTES: usize = 1 << 20;

impl Declaration {
    /// Parses and checks a declaration; errors name the field (and line).
    pub fn parse(text: &str, catalog: &crate::Catalog) -> Result<Declaration, DeclarationError> {
        if text.len() > MAX_BYTES {
            return Err(DeclarationError(format!("larger than {MAX_BYTES} bytes")));
        }
        let d: Declaration = toml::from_str(text).map_err(|e| DeclarationError(e.to_string()))?;
        for (id, claim) in &d.provision {
            let Some(p) = catalog.get(id) else {
                return Err(DeclarationError(format!(
                    "provision.\"{id}\": no such provision in EN 303 645 {}",
                    catalog.version
                )));
            };
            if claim.support == Support::NotApplicable && !p.conditional() {
                return Err(DeclarationError(format!(
                    "provision.\"{id}\".support: \"n/a\" is allowed only for conditional provisions; {id} applies to every device"
                )));
            }
            if claim.support == Support::No
                && p.status == crate::Status::R
                && claim
                    .justification
                    .as_deref()
                    .is_none_or(|j| j.trim().is_empty())
            {
                return Err(DeclarationError(format!(
                    "provision.\"{id}\".justification: a recommendation not implemented needs a justification (provision 4-1)"
                )));
            }
        }
        if let Some(s) = &d.product.support_period_end {
            if !valid_date(s) {
                return Err(DeclarationError(format!(
                    "product.support-period-end: {s:?} is not a date (YYYY-MM-DD)"
                )));
            }
        }
        if let Some(u) = &d.product.vulnerability_disclosure_url {
            if !u.starts_with("https://") {
                return Err(DeclarationError(format!(
                    "product.vulnerability-disclosure-url: {u:?} is not an https URL"
                )));
            }
        }
        Ok(d)
    }

    /// Whether condition `n` holds; None when the declaration does not say.
    pub fn condition(&self, n: u8) -> Option<bool> {
        let f = &self.facts;
        match n {
            1 => f.passwords_used,
            2 => f.pre_installed_passwords,
            3 => f.software_updatable.map(|u| !u),
            4 => Some(self.product.constrained),
            5 => Some(!self.product.constrained),
            6 => f.telemetry,
            7 => f.consent_based_processing,
            8 => f.user_authentication,
            9 => f.automatic_updates,
            10 => f.hardcoded_identity,
            11 => f.network_updates,
            12 => f.update_mechanism,
            13 => f.debug_interface_accessible,
            _ => None,
        }
    }
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s[..4].parse::<u16>().is_ok()
        && s[5..7].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && s[8..10].parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}
