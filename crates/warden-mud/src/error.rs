//! Diagnostics and errors. A diagnostic names the place (a JSON pointer), the
//! rule that was broken (a stable kebab-case code) and a sentence for a person.

use serde::Serialize;
use std::fmt;

/// Which rule a diagnostic is about. The kebab-case names are stable: tests,
/// scripts and the JSON output rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Check {
    /// The bytes are not JSON, or not UTF-8.
    JsonSyntax,
    /// The input is larger than the configured limit.
    TooLarge,
    /// The document has no `ietf-mud:mud` container.
    NotMud,
    /// A required leaf is absent.
    Missing,
    /// A leaf has the wrong JSON type (string for number, ...).
    WrongType,
    /// A leaf that the dialect does not know.
    UnknownLeaf,
    /// `mud-version` is not 1.
    MudVersion,
    /// `mud-url` is not an https URL, or differs from where the file came from.
    MudUrl,
    /// `cache-validity` outside 1..168.
    CacheValidity,
    /// `last-update` is not a YANG date-and-time.
    LastUpdate,
    /// A URI leaf that is not a URI.
    Uri,
    /// A policy references an ACL that does not exist.
    DanglingAcl,
    /// Two ACLs share a name.
    DuplicateAcl,
    /// Two ACEs in one ACL share a name.
    DuplicateAce,
    /// The ACL's type does not allow this match (an `eth` match in an IPv4 ACL).
    AclTypeMismatch,
    /// The ACL type identity is unknown.
    AclType,
    /// A port or port range that is not valid.
    Port,
    /// `direction-initiated` without TCP.
    DirectionInitiated,
    /// A protocol number outside 0..255, or one that contradicts the L4 match.
    Protocol,
    /// A DNS name that is not a well-formed host name.
    DnsName,
    /// An IP prefix that is not well formed.
    IpPrefix,
    /// Both a network and a DNS name for the same side.
    ExclusiveChoice,
    /// A MAC address that is not well formed.
    MacAddress,
    /// An ethertype that is not a number or a registered name.
    Ethertype,
    /// A controller URI that is not allowed (e.g. unregistered `urn:ietf:params:mud:*`).
    Controller,
    /// A forwarding action that is not accept, drop or reject.
    Action,
    /// A numeric leaf outside its YANG range.
    Range,
    /// A string leaf longer than its YANG length.
    Length,
    /// A collection larger than warden's cap.
    Limit,
    /// A construct of a pre-RFC dialect (warning in legacy mode, error in strict).
    LegacyDialect,
    /// A module-qualified member warden does not understand (never fatal).
    UnknownExtension,
    /// An RFC 9761 (D)TLS profile value that the RFC forbids (GREASE, a
    /// TLS version on a UDP match, ...).
    TlsProfile,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = serde_json::to_value(self).ok();
        match s {
            Some(serde_json::Value::String(s)) => f.write_str(&s),
            _ => f.write_str("unknown"),
        }
    }
}

/// One finding about one place in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// RFC 6901 JSON pointer ("" is the whole document).
    pub pointer: String,
    pub check: Check,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{p}: [{}] {}", self.check, self.message)
    }
}

/// Why a MUD document was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MudError {
    /// The document was rejected; every problem found is listed.
    #[error("the MUD file is not valid ({} problem(s)); first: {}", .errors.len(), .errors.first().map(|d| d.to_string()).unwrap_or_default())]
    Invalid {
        errors: Vec<Diagnostic>,
        warnings: Vec<Diagnostic>,
    },
}

/// Errors of the deployment context file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The TOML does not parse or has unknown keys.
    #[error("context file: {0}")]
    Toml(String),
    /// A value in the context is not valid; the string names the key.
    #[error("context file: {key}: {message}")]
    Value { key: String, message: String },
}

/// Errors of signature verification (RFC 8520 §13).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature file is not DER CMS/PKCS#7 SignedData.
    #[error("the signature is not a DER CMS SignedData: {0}")]
    Malformed(String),
    /// The signature names an algorithm, curve or key size outside the
    /// allow-list of RFC 8520 signers (SHA-2; RSA 2048-8192, ECDSA P-256/384/521,
    /// Ed25519). Refused before OpenSSL parses it.
    #[error("the signature uses what warden does not accept: {0}")]
    Algorithm(String),
    /// The trust store could not be read.
    #[error("the trust store is not usable: {0}")]
    TrustStore(String),
    /// The signature does not verify: wrong digest, bad signature, or an
    /// untrusted, expired or not-yet-valid chain. The string is OpenSSL's reason.
    #[error("the signature does not verify: {0}")]
    Verification(String),
    /// Signing was refused or failed: an unreadable key or certificate, a
    /// key that is not the certificate's, or an algorithm warden would not
    /// accept when verifying.
    #[error("cannot sign: {0}")]
    Signing(String),
}
