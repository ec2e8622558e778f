//! The answer a hook gives its agent, in the agent's own format, from the monitor's [`Answer`].
//!
//! Shared by `warden hook` and the slim `warden-hook` binary, so both say exactly the same.
//! - deny: `permissionDecision: "deny"` with the reason and guidance;
//! - ask: `"ask"`; Codex cannot ask, so ask becomes deny there, saying a human must approve;
//! - modify: `"ask"` with `updatedInput`, so a human approves the rewritten input (Codex: deny);
//!   a rewrite that changes nothing says nothing;
//! - allow: no decision, so the agent's own permission system still applies;
//! - `PermissionRequest` gets `decision.behavior` (deny only); other gated events get
//!   `{"decision": "block"}`.

use serde_json::{json, Value};
use warden_action::Decision;

use crate::proto::Answer;

/// The hook answer for `a`, or `None` for no objection.
pub fn render(agent: &str, event: &str, a: &Answer) -> Option<Value> {
    let codex = agent == "codex";
    // The policy guide goes into the agent's context (Claude Code and Codex `SessionStart`).
    if let (Some(ctx), "SessionStart", false) = (&a.context, event, a.gated) {
        return Some(
            json!({"hookSpecificOutput": {"hookEventName": event, "additionalContext": ctx}}),
        );
    }
    if !a.gated {
        return None;
    }
    let decision = match (agent, a.decision) {
        (_, Decision::Allow) => return None,
        // A rewrite that changes nothing is no objection; it must never turn into an approval.
        (_, Decision::Modify) if a.updated_input.is_none() => return None,
        (_, Decision::Ask | Decision::Modify) if codex => Decision::Deny,
        (_, d) => d,
    };
    let mut reason = a.message.clone();
    if codex && a.decision == Decision::Ask {
        reason.push_str(" (this needs a human's approval, which Codex hooks cannot ask for; ask the user to run it or to change the policy)");
    }
    if codex && a.decision == Decision::Modify {
        reason.push_str(" (Warden would rewrite this input, and Codex hooks cannot show a rewrite for approval; retry without the flagged content)");
    }
    let updated = a.updated_input.clone();
    match event {
        "PermissionRequest" => {
            let behavior = match decision {
                Decision::Deny => "deny",
                // The permission dialog is the human check: leave it to show. (A rewrite was
                // already offered at PreToolUse; answering "allow" here would skip the human.)
                Decision::Modify | Decision::Ask | Decision::Allow => return None,
            };
            let mut d = json!({"behavior": behavior, "message": reason});
            if let Some(u) = updated {
                d["updatedInput"] = u;
            }
            Some(json!({"hookSpecificOutput": {"hookEventName": event, "decision": d}}))
        }
        "PreToolUse" => {
            // A rewrite is shown to the human for approval ("ask" with `updatedInput`): Warden
            // never answers "allow", which would skip the agent's own permission check.
            let permission = match decision {
                Decision::Deny => "deny",
                Decision::Ask | Decision::Modify => "ask",
                Decision::Allow => return None,
            };
            let mut out = json!({
                "hookEventName": event,
                "permissionDecision": permission,
                "permissionDecisionReason": reason,
            });
            if let Some(u) = updated {
                out["updatedInput"] = u;
            }
            Some(json!({"hookSpecificOutput": out}))
        }
        // Other gated events (ConfigChange, a halted session's prompt) can only be blocked.
        _ => match decision {
            Decision::Deny | Decision::Ask => Some(json!({"decision": "block", "reason": reason})),
            Decision::Modify | Decision::Allow => None,
        },
    }
}
