//! What the gate answers: in the action model, so that a client of the monitor can read an
//! answer without the policy engine.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the gate answers. Ordered from most to least permissive: the strictest wins.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Let the action run.
    Allow,
    /// Let the action run with its input rewritten (redacted or set fields).
    Modify,
    /// Ask a human first.
    Ask,
    /// Refuse the action.
    Deny,
}

impl Decision {
    /// Lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Modify => "modify",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }
}
