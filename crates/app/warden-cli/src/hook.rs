//! `warden hook claude-code | codex`: answer an agent's hook in its own format.
//!
//! Stateless for now: the payload is decided with the local policy. The answer:
//! - deny: `permissionDecision: "deny"` with the reason and the agent guidance, so the agent
//!   learns the rule instead of retrying;
//! - ask: `"ask"` (Claude Code shows its prompt). Codex cannot ask from a hook, so ask becomes
//!   deny there, saying a human must approve;
//! - modify: `"allow"` with `updatedInput`, the rewritten tool input;
//! - allow: no decision at all, so the agent's own permission system still applies (Warden never
//!   widens what the agent may do);
//! - `PermissionRequest` events get `decision.behavior` instead; events that are not tool calls
//!   pass through silently.
//!
//! Any internal error (unreadable payload, broken policy) exits 2 with the reason on stderr:
//! agents treat other non-zero codes as "go ahead", so 2 is the only safe failure.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::{json, Value};
use warden_adapters::claude::HookPayload;
use warden_adapters::Format;
use warden_policy::{Decision, SessionFacts, Verdict};

use crate::check::{input_cwd, updated_input, workspace_for};
use crate::cli::{Agent, HookArgs};
use crate::exit::Code;
use crate::load;

/// Run the hook; never returns an error, only an exit code.
pub fn run(args: &HookArgs) -> ExitCode {
    match answer(args) {
        Ok(Some(out)) => {
            println!("{out}");
            Code::Ok.into()
        }
        Ok(None) => Code::Ok.into(),
        Err(e) => {
            eprintln!("warden blocked this action because it could not check it: {}", load::render(&e));
            Code::Error.into()
        }
    }
}

fn answer(args: &HookArgs) -> Result<Option<Value>> {
    let bytes = load::read_input(None)?;
    let doc = warden_adapters::parse_json(&bytes)?;
    let payload = HookPayload::from_value(&doc)?;
    if !payload.is_tool_event() {
        return Ok(None);
    }
    let cwd = input_cwd(&doc).unwrap_or_else(load::current_dir);
    let workspace = workspace_for(args.policy.workspace.as_deref(), &cwd);
    let policy = load::policy(&args.policy, Some(std::path::Path::new(&workspace)))?;
    let env = warden_adapters::host_env(&cwd, Some(&workspace));
    let format = match args.agent {
        Agent::ClaudeCode => Format::ClaudeCode,
        Agent::Codex => Format::Codex,
    };
    let lowered = warden_adapters::lower(&doc, Some(format), &env)?;
    let verdict = policy.evaluate(&lowered.actions, &SessionFacts::new());
    let updated = updated_input(&lowered, &verdict);
    Ok(render(args.agent, &payload.hook_event_name, &verdict, updated))
}

/// The text the agent is shown: the reason, the rules, and what to do instead.
pub fn message(v: &Verdict) -> String {
    let rules: Vec<&str> = v.rules.iter().filter(|r| r.decision == v.policy_decision).map(|r| r.rule.as_str()).collect();
    let mut s = format!("Warden: {}", v.reason);
    if !rules.is_empty() {
        s.push_str(&format!(" [{}]", rules.join(", ")));
    }
    if let Some(g) = &v.guidance {
        s.push_str(&format!(". {g}"));
    }
    s
}

/// The hook answer for `verdict`, or `None` for no objection.
pub fn render(agent: Agent, event: &str, v: &Verdict, updated: Option<Value>) -> Option<Value> {
    let decision = match (agent, v.decision) {
        (_, Decision::Allow) => return None,
        (Agent::Codex, Decision::Ask) => Decision::Deny,
        (_, d) => d,
    };
    let mut reason = message(v);
    if agent == Agent::Codex && v.decision == Decision::Ask {
        reason.push_str(" (this needs a human's approval, which Codex hooks cannot ask for; ask the user to run it or to change the policy)");
    }
    if event == "PermissionRequest" {
        let behavior = match decision {
            Decision::Deny => "deny",
            Decision::Modify => "allow",
            // The permission dialog is the human check: leave it to show.
            Decision::Ask | Decision::Allow => return None,
        };
        let mut d = json!({"behavior": behavior, "message": reason});
        if let Some(u) = updated {
            d["updatedInput"] = u;
        }
        return Some(json!({"hookSpecificOutput": {"hookEventName": event, "decision": d}}));
    }
    let permission = match decision {
        Decision::Deny => "deny",
        Decision::Ask => "ask",
        Decision::Modify | Decision::Allow => "allow",
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
