//! Warden's typed action model.
//!
//! Every integration (agent hooks, MCP proxy, HTTP API, trace replay) lowers what an agent is about
//! to do into [`Action`]s. The policy only ever sees these types, so a rule written once holds for
//! every integration. This crate knows nothing of adapters, policies or daemons.

mod action;
mod error;
mod path;

pub use action::{
    Action, ActionKind, Actor, CommandFacts, Env, ExecAction, NetworkAction, Opacity, Operation,
    ToolEffect, ACTION_FORMAT_VERSION,
};
pub use error::ActionError;
pub use path::{normalize_path, NormPath, PathEnv};

/// The JSON Schema of one [`Action`] in Warden's generic action JSON.
pub fn action_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Action)).unwrap_or_default()
}
