//! The `warden` command's integration tests, one binary with a shared
//! harness (`../common`): the CLI on real captures and MUD files, golden
//! outputs, the corpus verdicts, signatures, standards, the prober against
//! its own namespace. One binary links once, instead of once per file.
//!
//! The labs (`gateway_lab`, `enforce_netns`, `assurance_lab`,
//! `tls_profile_lab`, `capture_live`) stay binaries of their own: each
//! builds namespaces, bridges and servers that should not share a process
//! with other tests.

#[path = "../common/mod.rs"]
mod common;

mod abstractions;
mod analyze;
mod cli;
mod compliance;
mod corpus;
mod golden;
mod mudgee;
mod probe;
mod profile;
mod signature;
mod standards;
