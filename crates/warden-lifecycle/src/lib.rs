//! A device's life after the sale: how long it gets security updates, what
//! its software is made of, and which known vulnerabilities it carries.
//!
//! - [`support`]: support periods from four sources (a person, the MUD
//!   file, the maker's declaration, a catalogue with public sources), and
//!   the 90/30/0-day milestones.
//! - [`sbom`]: CycloneDX and SPDX documents read into one component list.
//! - [`advisory`]: CSAF 2.0 advisories and their VEX product status for a
//!   device (maker, model, software version).
//! - [`osv`]: an OSV database imported by the operator, and offline
//!   matching of components against it.
//! - [`version`]: comparing versions that follow no one scheme.
//!
//! Everything here reads hostile files: sizes are bounded, errors name the
//! place, nothing panics. The gateway owns when to fetch, store and alert.

pub mod advisory;
pub mod osv;
pub mod sbom;
pub mod support;
pub mod version;
