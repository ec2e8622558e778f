//! Vetting and pinning of MCP servers, as a pure library behind `warden mcp`.
//!
//! - [`vet`] scans the answers to `tools/list`, `prompts/list`, `resources/list` and
//!   `resources/templates/list` for tool poisoning: instructions to the model hidden in
//!   descriptions and schemas, invisible unicode, credential and file references, exfiltration
//!   URLs, parameters that smuggle context out, and names that shadow other tools.
//! - [`pin`] hashes every definition the model sees, remembers the approved hashes per server in
//!   one file, and reports a later change (a rug pull) so the proxy can hold the changed tools.
//! - [`discover`] finds the MCP configs of common clients and checks each server's launch spec
//!   (unpinned package runners, literal secrets, plain-HTTP URLs, commands from `/tmp`).
//! - [`report`] renders findings as a text table or as SARIF 2.1.0.
//!
//! Nothing here spawns a process or touches the network; only [`discover`] and the
//! [`pin::PinStore`] read or write files. Every finding is a [`Finding`] naming one rule of
//! [`RULES`].

mod detect;
pub mod discover;
mod error;
mod finding;
pub mod pin;
pub mod report;
pub mod skills;
mod text;
pub mod vet;

pub use discover::{
    candidates, check_spec, discover, parse_config, Client, Discovery, SecretString, ServerSpec,
    Transport,
};
pub use error::VetError;
pub use finding::{rule_info, Finding, RuleInfo, Severity, RULES};
pub use pin::{
    canonical_json, definition_hash, diff, server_key, server_key_url, ItemKind, PinDiff, PinItem,
    PinSet, PinStatus, PinStore, STORE_FILE,
};
pub use report::{render_sarif, render_table, sarif_level};
pub use vet::{list_names, vet_list, ListMethod, VetContext};
