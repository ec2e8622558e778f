//! The MCP gateway behind `warden mcp`: a proxy any MCP client can use in place of a server.
//!
//! - [`stdio`] starts the real server as a child and sits between the client and it;
//!   [`http`] does the same for a streamable HTTP server (JSON and SSE answers).
//! - [`engine`] is the core both share: `tools/call` requests become MCP-call actions and go
//!   through the [`gate`] (the monitor when it runs, else the local policy when allowed, else
//!   refused); list answers are vetted and pinned ([`vetting`]); results are scanned and
//!   redacted ([`results`]) and feed session provenance.
//! - [`scan`] vets the servers of every MCP client config offline (`warden mcp scan`);
//!   [`pins`] lists and approves pinned definitions (`warden mcp pins`).
//! - [`bench`] measures what the proxy adds to a call.
//! - [`Options`] is what the command line configures; it builds the [`Engine`].
//!
//! Everything else in JSON-RPC passes through untouched.

pub mod bench;
pub mod engine;
mod error;
pub mod gate;
pub mod http;
pub mod jsonrpc;
pub mod monitor;
mod options;
pub mod pins;
pub mod results;
pub mod scan;
pub mod stdio;
pub mod vetting;

pub use engine::{DenyAs, Engine, Settings};
pub use error::McpError;
pub use gate::{Fallback, Gate};
pub use options::{default_pins_dir, default_server_name, Options};
pub use vetting::Hide;
