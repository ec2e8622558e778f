//! Profile keys: which baseline an action belongs to, and the clipping of every stored key.

use serde::{Deserialize, Serialize};
use warden_action::Action;

use super::MAX_KEY_BYTES;

/// Which baseline a batch of actions is judged against: an agent product in a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProfileKey {
    /// The agent product (`claude-code`, `codex`, ...).
    pub agent: String,
    /// The workspace root, or empty when there is none.
    pub workspace: String,
}

impl ProfileKey {
    /// A key for `agent` working in `workspace`.
    pub fn new(agent: impl Into<String>, workspace: impl Into<String>) -> Self {
        Self {
            agent: agent.into(),
            workspace: workspace.into(),
        }
    }

    /// The key an action belongs to: its agent (`unknown` if unnamed) and workspace (else cwd).
    pub fn of(action: &Action) -> Self {
        Self {
            agent: action
                .actor
                .agent
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            workspace: action
                .env
                .workspace
                .clone()
                .or_else(|| action.env.cwd.clone())
                .unwrap_or_default(),
        }
    }
}

/// `s` cut to at most [`MAX_KEY_BYTES`] on a character boundary.
pub(super) fn clip(s: &str) -> &str {
    if s.len() <= MAX_KEY_BYTES {
        return s;
    }
    let mut end = MAX_KEY_BYTES;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
