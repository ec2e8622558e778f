//! The answer a hook gives its agent, in the agent's own format, from the monitor's [`Answer`].
//!
//! Shared by `warden hook` and the slim `warden-hook` binary, so both say exactly the same.
//! - deny: `permissionDecision: "deny"` with the reason and guidance;
//! - ask: `"ask"`; Codex cannot ask, so ask becomes deny there, saying a human must approve;
//! - modify: `"ask"` with `updatedInput`, so a human approves the rewritten input (Codex: deny);
//!   a rewrite that changes nothing says nothing;
//! - allow: no decision, so the agent's own permission system still applies; except a Codex
//!   shell command the monitor runs in its kernel sandbox: `"allow"` with `updatedInput`, sent
//!   only when Codex runs in `bypassPermissions` mode, where it asks nobody anyway;
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
    if let (true, "PreToolUse", Decision::Allow, Some(u)) =
        (codex, event, a.decision, &a.updated_input)
    {
        // The monitor runs the allowed command in its kernel sandbox. Codex takes a rewrite only
        // with "allow", and the monitor sends one only when Codex would ask nobody anyway.
        return Some(json!({"hookSpecificOutput": {
            "hookEventName": event,
            "permissionDecision": "allow",
            "permissionDecisionReason": "Warden: allowed; it runs in Warden's kernel sandbox",
            "updatedInput": u,
        }}));
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
            // never answers "allow" for it, which would skip the agent's own permission check.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(decision: Decision, updated: Option<Value>) -> Answer {
        Answer {
            decision,
            policy_decision: decision,
            message: "m".into(),
            updated_input: updated,
            rules: Vec::new(),
            seq: 1,
            approval: None,
            grant: None,
            gated: true,
            nonce: None,
            context: None,
        }
    }

    #[test]
    fn only_a_codex_pretooluse_allow_carries_a_rewrite_as_allow() {
        let wrapped = json!({"command": "'/w' exec -- /bin/bash -c 'ls'"});
        let a = answer(Decision::Allow, Some(wrapped.clone()));
        let out = render("codex", "PreToolUse", &a).unwrap();
        assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "allow");
        assert_eq!(out["hookSpecificOutput"]["updatedInput"], wrapped);
        // Claude Code never gets "allow" from Warden; other events say nothing on allow.
        assert!(render("claude-code", "PreToolUse", &a).is_none());
        assert!(render("codex", "PermissionRequest", &a).is_none());
        assert!(render("codex", "PostToolUse", &a).is_none());
        // A plain allow says nothing; a modify is never turned into an allow.
        assert!(render("codex", "PreToolUse", &answer(Decision::Allow, None)).is_none());
        let m = render(
            "codex",
            "PreToolUse",
            &answer(Decision::Modify, Some(wrapped)),
        )
        .unwrap();
        assert_eq!(m["hookSpecificOutput"]["permissionDecision"], "deny");
    }
}
