//! `warden-hook claude-code|codex`: the hook an agent runs before each action, kept small so it
//! starts fast (the full `warden` binary carries the policy engine, the shell parser and the
//! daemon, and takes about twice as long to start).
//!
//! It reads the payload, hands it to the monitor over its socket and prints the monitor's answer
//! in the agent's format ([`warden_client::hook::render`], shared with `warden hook`). Anything
//! it cannot do itself (a local fallback, policy options) it hands to `warden hook` with the
//! same arguments. Every failure, a panic included, exits 2: agents treat any other non-zero
//! code as "go ahead".
//!
//! In the protected deployment the socket and the monitor's uid come from the root-owned client
//! config (`--client-config PATH`, or `/etc/warden/client.json`), never from the environment;
//! the server must run as the monitor's uid and echo the request's nonce. With the monitor
//! unreachable, events that carry no action (a typed prompt, session start and end) are spooled
//! and let through; every event with an action blocks.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use warden_client::client::{self, ClientError};
use warden_client::proto::{self, ClientEnv, Request, Response};
use warden_client::target::Target;

/// The exit code that blocks the action.
const BLOCK: u8 = 2;

/// Largest payload accepted, as in the full binary.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("warden blocked this action because it failed while checking it: {info}");
        std::process::exit(i32::from(BLOCK));
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (agent, config) = match (args.first().map(String::as_str), args.get(1), args.get(2)) {
        (Some(a @ ("claude-code" | "codex")), None, _) => (a.to_string(), None),
        (Some(a @ ("claude-code" | "codex")), Some(flag), Some(path))
            if flag == "--client-config" && args.len() == 3 =>
        {
            (a.to_string(), Some(PathBuf::from(path)))
        }
        // Options need the full binary (`--fallback local`, `--policy`, ...): hand over.
        (Some("claude-code" | "codex"), _, _) => return hand_over(&args),
        _ => {
            eprintln!("usage: warden-hook claude-code|codex [--client-config PATH] (other options: use `warden hook`)");
            return ExitCode::from(BLOCK);
        }
    };
    let target = match warden_client::target::resolve(
        config.as_deref(),
        std::env::var_os("WARDEN_SOCKET").map(PathBuf::from),
        std::env::var_os("WARDEN_STATE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(warden_client::default_state_dir),
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("warden blocked this action because its client config is not usable: {e}");
            return ExitCode::from(BLOCK);
        }
    };
    // The environment chooses a local fallback only in the per-user mode.
    if !target.protected && std::env::var("WARDEN_FALLBACK").is_ok_and(|v| v == "local") {
        return hand_over(&args);
    }
    match run(&agent, &target) {
        Ok(Some(out)) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warden blocked this action because it could not check it: {e}");
            ExitCode::from(BLOCK)
        }
    }
}

fn run(agent: &str, target: &Target) -> Result<Option<Value>, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the payload: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!("the payload is over {MAX_INPUT} bytes"));
    }
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the payload is not valid JSON: {e}"))?;
    let event = doc
        .get("hook_event_name")
        .and_then(Value::as_str)
        .ok_or("the payload has no `hook_event_name`")?
        .to_string();
    let timeout = match std::env::var("WARDEN_HOOK_TIMEOUT") {
        Ok(t) => warden_client::parse_duration(&t)?,
        Err(_) => Duration::from_secs(5),
    };
    let req_has_tool = doc.get("tool_name").is_some_and(|t| !t.is_null());
    let req = Request::Hook {
        agent: agent.to_string(),
        payload: doc,
        env: ClientEnv::from_process(),
        nonce: Some(proto::nonce().ok_or("no randomness for the request's nonce")?),
    };
    let answer = client::call_as(
        &target.socket,
        &req,
        timeout,
        target.monitor_uid,
        |id, wait| {
            eprintln!(
            "warden: waiting up to {} s for a human: `warden approvals approve {id}` or `warden approvals deny {id}`",
            wait / 1000
        );
        },
    );
    match answer {
        // The monitor canonicalised the event name; render with what it decided on.
        Ok(Response::Answer(a)) => {
            let has_tool = req_has_tool;
            let event = warden_action::hook_events::canonical_event(&event, has_tool);
            Ok(warden_client::hook::render(agent, &event, &a))
        }
        Ok(Response::Error { message }) => Err(message),
        Ok(other) => Err(ClientError::Garbage(format!("unexpected {other:?}")).to_string()),
        Err(e @ (ClientError::Unreachable { .. } | ClientError::Timeout(_)))
            if !warden_action::hook_events::carries_action(&event, req_has_tool) =>
        {
            let Request::Hook { payload, .. } = &req else {
                return Err("internal: not a hook request".into());
            };
            warden_client::target::spool_no_action(target, agent, &event, payload, &e.to_string())
                .map(|_| None)
        }
        Err(e) => Err(format!("{e} ({})", start_hint(target))),
    }
}

fn start_hint(target: &Target) -> &'static str {
    if target.protected {
        "the protected monitor is down: an administrator runs `sudo systemctl restart warden`"
    } else {
        "start it with `warden serve`"
    }
}

/// Run `warden hook ARGS...` (the full binary next to this one, else on PATH) in this process.
fn hand_over(args: &[String]) -> ExitCode {
    let full = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("warden")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("warden"));
    let err = std::process::Command::new(&full)
        .arg("hook")
        .args(args)
        .exec();
    eprintln!(
        "warden blocked this action because `{}` could not be run: {err}",
        full.display()
    );
    ExitCode::from(BLOCK)
}
