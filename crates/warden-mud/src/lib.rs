//! # warden-mud: the MUD policy engine (RFC 8520)
//!
//! Turns Manufacturer Usage Description files into validated, explainable,
//! enforceable policy. The stages are types, and each is built only by the
//! stage before it:
//!
//! ```text
//! bytes ──RawMud::parse──▶ RawMud ──validate──▶ ValidatedMud ──resolve(Context)──▶ Policy
//!                                   (strict | legacy dialect,             (abstractions bound,
//!                                    every error with its JSON pointer)    default deny)
//! ```
//!
//! `warden-nft` compiles a [`Policy`] into nftables; [`explain()`] turns a
//! [`ValidatedMud`] into sentences; [`signature::verify`] checks a detached
//! CMS signature (RFC 8520 §13) with OpenSSL.
//!
//! ```
//! use warden_mud::{load, resolve, Context, ValidateOptions};
//! let bytes = br#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://example.com/bulb",
//!   "last-update": "2024-05-01T10:00:00Z", "is-supported": true}}"#;
//! let v = load(bytes, &ValidateOptions::default()).unwrap();
//! let policy = resolve(&v.mud, &Context::default());
//! assert!(policy.rules().is_empty()); // no ACLs: the device may do nothing
//! ```
//!
//! Not handled: YANG features beyond what MUD uses (interface matches,
//! TCP flags, TTL/DSCP/length matches are parsed but not enforced: an accept
//! rule that needs them is left out and reported); MAC masks; the MUD
//! `extensions` other than RFC 9472 transparency and RFC 9761 (D)TLS
//! profiles (reported, not enforced). RFC 9761 profiles are validated and
//! carried on the [`Rule`]s they belong to; nftables cannot match a
//! ClientHello, so the traffic engine judges handshakes against them.
#![forbid(unsafe_code)]

pub mod context;
pub mod error;
pub mod explain;
pub mod maker;
pub mod model;
pub mod policy;
pub mod raw;
pub mod signature;
pub mod validate;

pub use context::{Context, Deployment, Endpoint};
pub use error::{Check, Diagnostic, MudError};
pub use explain::explain;
pub use model::*;
pub use policy::{resolve, Direction, Note, Policy, Remote, Rule};
pub use raw::RawMud;
pub use validate::{load, validate, Dialect, ValidateOptions, Validated};
