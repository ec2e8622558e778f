//! `warden hook claude-code | codex`: hand the payload to the monitor and answer the agent in its
//! own format.
//!
//! The monitor records every event and decides the gated ones (`PreToolUse`,
//! `PermissionRequest`, `ConfigChange`; a halted session's `UserPromptSubmit`). The answer:
//! - deny: `permissionDecision: "deny"` with the reason and the agent guidance, so the agent
//!   learns the rule instead of retrying;
//! - ask: `"ask"` (Claude Code shows its prompt). Codex cannot ask from a hook, so ask becomes
//!   deny there, saying a human must approve. With approvals on (the default), the monitor holds
//!   the hook while `warden approvals` is answered, and ask rarely reaches the agent;
//! - modify: `"ask"` with `updatedInput`, so the human approves the rewritten input (Codex,
//!   which cannot ask, gets deny); a rewrite that changes nothing says nothing;
//! - allow: no decision at all, so the agent's own permission system still applies (Warden never
//!   widens what the agent may do);
//! - `PermissionRequest` events get `decision.behavior` instead; other gated events get
//!   `{"decision": "block"}`; recorded-only events print nothing.
//!
//! Any failure (unreadable payload, monitor unreachable, slow or answering garbage) exits 2 with
//! the reason on stderr: agents treat other non-zero codes as "go ahead", so 2 is the only safe
//! failure. With `--fallback local` the hook decides with the local policy instead and spools
//! the event for the monitor to ingest when it next starts.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{json, Value};
use warden_adapters::claude::HookPayload;
use warden_adapters::Format;
use warden_daemon::client::{self, ClientError};
use warden_daemon::proto::{Answer, ClientEnv, Request, Response};

use crate::check::{input_cwd, workspace_for};
use crate::cli::{Agent, Fallback, HookArgs};
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
            eprintln!(
                "warden blocked this action because it could not check it: {}",
                load::render(&e)
            );
            Code::Error.into()
        }
    }
}

fn agent_name(a: Agent) -> &'static str {
    match a {
        Agent::ClaudeCode => "claude-code",
        Agent::Codex => "codex",
        Agent::Openclaw => warden_adapters::openclaw::AGENT,
    }
}

fn answer(args: &HookArgs) -> Result<Option<Value>> {
    let bytes = load::read_input(None)?;
    let doc = warden_adapters::parse_json(&bytes)?;
    let payload = HookPayload::from_value(&doc)?;
    let mut env = ClientEnv::from_process();
    if let Some(ws) = &args.policy.workspace {
        env.workspace = Some(ws.display().to_string());
    }
    let target = args.connect.target().map_err(|e| anyhow::anyhow!(e))?;
    let req = Request::Hook {
        agent: agent_name(args.agent).into(),
        payload: doc.clone(),
        env,
        nonce: Some(
            warden_daemon::proto::nonce()
                .ok_or_else(|| anyhow::anyhow!("no randomness for the request's nonce"))?,
        ),
    };
    let has_tool = payload.tool_name.is_some();
    let called = client::call_as(
        &target.socket,
        &req,
        args.connect.timeout,
        target.monitor_uid,
        |id, wait| {
            eprintln!(
            "warden: waiting up to {} s for a human: `warden approvals approve {id}` or `warden approvals deny {id}`",
            wait / 1000
        );
        },
    );
    match called {
        Ok(Response::Answer(a)) => Ok(render(args.agent, &payload.hook_event_name, &a)),
        Ok(Response::Error { message }) => Err(anyhow::anyhow!(message)),
        Ok(other) => Err(anyhow::anyhow!(ClientError::Garbage(format!(
            "unexpected {other:?}"
        )))),
        // In the protected deployment only the monitor decides: no local fallback.
        Err(e) if args.fallback == Fallback::Local && !target.protected => {
            eprintln!("warden: {e}; deciding with the local policy (--fallback local)");
            local(args, &doc, &payload)
        }
        Err(e @ (ClientError::Unreachable { .. } | ClientError::Timeout(_)))
            if !warden_adapters::claude::carries_action(&payload.hook_event_name, has_tool) =>
        {
            warden_daemon::target::spool_no_action(
                &target,
                agent_name(args.agent),
                &payload.hook_event_name,
                &doc,
                &e.to_string(),
            )
            .map_err(|s| anyhow::anyhow!(s))?;
            Ok(None)
        }
        Err(e) if target.protected => Err(anyhow::anyhow!(
            "{e} (the protected monitor is down: an administrator runs `sudo systemctl restart warden`)"
        )),
        Err(e) => Err(anyhow::anyhow!(
            "{e} (start it with `warden serve`, or allow a local decision with `--fallback local`)"
        )),
    }
}

/// The local fallback: decide with the local policy, spool the event for the monitor.
fn local(args: &HookArgs, doc: &Value, payload: &HookPayload) -> Result<Option<Value>> {
    let event = payload.hook_event_name.as_str();
    let mut entry = json!({
        "time": warden_audit::format_time(warden_audit::now_ms()),
        "agent": agent_name(args.agent), "session": payload.session_id, "event": event,
        "tool": payload.tool_name, "tool_use_id": payload.tool_use_id,
    });
    let out = if payload.is_tool_event() {
        let cwd = input_cwd(doc).unwrap_or_else(load::current_dir);
        let workspace = workspace_for(args.policy.workspace.as_deref(), &cwd);
        let policy = load::policy(&args.policy, Some(Path::new(&workspace)))?;
        let env = warden_adapters::host_env(&cwd, Some(&workspace));
        let format = match args.agent {
            Agent::ClaudeCode => Format::ClaudeCode,
            Agent::Codex => Format::Codex,
            Agent::Openclaw => Format::OpenClaw,
        };
        let mut lowered = warden_adapters::lower(doc, Some(format), &env)?;
        // The monitor's engine, on a session it has not followed (the monitor is away).
        let verdict = warden_engine::decide_once(
            &policy,
            &mut lowered,
            &env,
            payload.session_id.as_deref(),
            u64::try_from(warden_audit::now_ms()).unwrap_or(0),
        )
        .verdict;
        let a = Answer {
            decision: verdict.decision,
            policy_decision: verdict.policy_decision,
            message: warden_daemon::message(&verdict),
            updated_input: verdict.updated_input(lowered.tool_input.as_ref()),
            rules: verdict.rules.iter().map(|r| r.rule.clone()).collect(),
            seq: 0,
            approval: None,
            grant: None,
            gated: true,
            nonce: None,
            context: None,
        };
        entry["decision"] = json!(a.decision);
        entry["rules"] = json!(a.rules);
        entry["reason"] = json!(a.message);
        entry["tool_input"] = json!(payload.tool_input);
        render(args.agent, event, &a)
    } else {
        if event == "UserPromptSubmit" {
            entry["prompt"] = doc.get("prompt").cloned().unwrap_or(Value::Null);
        }
        None
    };
    spool(args, &entry)?;
    Ok(out)
}

fn spool(args: &HookArgs, entry: &Value) -> Result<()> {
    let dir = args
        .spool_dir
        .clone()
        .unwrap_or_else(|| args.connect.state_dir().join(warden_daemon::SPOOL_DIR));
    warden_daemon::target::spool(&dir, entry, false).map_err(|e| anyhow::anyhow!(e))?;
    Ok(())
}

/// The hook answer for `a`, or `None` for no objection (see [`warden_daemon::hook::render`]).
pub fn render(agent: Agent, event: &str, a: &Answer) -> Option<Value> {
    warden_daemon::hook::render(agent_name(agent), event, a)
}
