//! The Warden monitor: `warden serve`.
//!
//! The daemon holds all state and authority outside the agent's trust domain: the policy
//! (hot-reloaded, swapped atomically), the audit log (every event and decision durable before
//! the answer), human approvals and grants, and the kill switch. Hooks are thin clients over a
//! Unix socket ([`client`], [`proto`]); administrators use the same socket or the loopback HTTP
//! API with a bearer token ([`http`]). This crate depends on the core, the adapters and the audit
//! log; nothing below it depends on it.

pub use warden_client::{client, hook, proto, target};
pub mod caps;
mod codex_wrap;
mod config;
mod console;
mod daemon;
mod follow;
pub mod http;
pub mod https;
mod lock;
pub mod mcp;
pub mod notify;
pub mod otlp;
mod peer;
mod policy;
mod sandbox;
mod server;
mod skill_gate;
mod state;
mod writer;

pub use config::openclaw as openclaw_config;
pub use config::ConfigError;
pub use daemon::{fingerprint, message, path_env, Config, Daemon};
pub use lock::{StateLock, LOCK_FILE};
pub use policy::{Policies, PolicyLoader};
pub use sandbox::{SandboxReport, SANDBOX_AGENT};
pub use server::{ingest_spool, serve};
pub use skill_gate::SKILL_PINS;
pub use state::ApprovalView;

pub use warden_client::{default_state_dir, parse_duration, SOCKET_FILE, SPOOL_DIR};

/// The HTTP API's bearer token file in the state directory (mode 0600).
pub const TOKEN_FILE: &str = "api.token";
/// The file where the HTTP API writes the address it listens on.
pub const HTTP_ADDR_FILE: &str = "http.addr";

/// What can stop the daemon from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A file or socket operation failed.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The audit log failed.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
    /// The policy does not load.
    #[error("policy does not load: {0}")]
    Policy(String),
    /// Configuration integrity cannot run (the pin store, the watcher).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Anything else, said in words.
    #[error("{0}")]
    Other(String),
}
