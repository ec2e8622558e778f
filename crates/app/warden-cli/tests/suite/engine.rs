//! One engine: a trace replayed by `warden replay` and the same trace sent event by event
//! through a real `warden serve` and one `warden hook claude-code` process per event decide
//! identically, so a figure measured by replay is a figure of the product.
//!
//! The trace in the repo is ours (`tests/fixtures/equivalence.jsonl`: ordinary work, a delete
//! burst, credential reads, a script written then run, injected instructions in a mail and in
//! a bill, a pipe-to-shell in a fetched page). `WARDEN_EQUIVALENCE_TRACES` adds trace files in
//! the evaluation format (for example `../shared/eval/agentdojo-dev.jsonl`), one monitor each.
//!
//! The deletes of `fx/dev-cleanup` are spread over more than a minute of the replay's clock but
//! arrive within seconds live: without `--trust-event-time` the live monitor sees a delete burst
//! the replay does not (five decisions differ), so the test also proves time comes from the event.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::daemon::Monitor;
use super::home;

/// Where `warden replay` puts the traces' agent (the paths the calls name resolve here).
const TRACE_HOME: &str = "/home/user";
const TRACE_WORKSPACE: &str = "/home/user/project";
/// The replay's clock: one second per call from this epoch (`warden replay`'s own).
const REPLAY_EPOCH_MS: u64 = 1_700_000_000_000;

/// `(session, step) -> decision` from `warden replay --decisions`.
fn replayed(h: &Path, trace: &Path) -> HashMap<(String, u64), String> {
    let out = h.join("replayed.jsonl");
    let r = super::warden(
        h,
        &[
            "replay",
            "--quiet",
            "--no-discover",
            "--decisions",
            out.to_str().unwrap(),
            trace.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let key = (
                v["session"].as_str().unwrap().to_string(),
                v["step"].as_u64().unwrap(),
            );
            (key, v["decision"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The trace's sessions in the replay's order (first appearance), each sorted by step.
fn sessions(trace: &Path) -> Vec<(String, Vec<Value>)> {
    let mut order: Vec<(String, Vec<Value>)> = Vec::new();
    for line in std::fs::read_to_string(trace).unwrap().lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(s) = v["session"].as_str().map(str::to_string) else {
            continue;
        };
        match order.iter_mut().find(|(id, _)| *id == s) {
            Some((_, evs)) => evs.push(v),
            None => order.push((s, vec![v])),
        }
    }
    for (_, evs) in &mut order {
        evs.sort_by_key(|e| e["step"].as_u64().unwrap_or(0));
    }
    order
}

/// The Claude Code name of a trace's tool: its shell is `Bash`; other tools keep their names.
fn claude_tool(tool: &str) -> &str {
    if tool == "shell" {
        "Bash"
    } else {
        tool
    }
}

/// One hook process for one event, as Claude Code runs it; the decision it printed.
fn hook(m: &Monitor, payload: &Value) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["hook", "claude-code", "--state-dir"])
        .arg(&m.state)
        .env("HOME", TRACE_HOME)
        .env("XDG_CONFIG_HOME", m.home.join(".config"))
        .env("XDG_STATE_HOME", m.home.join(".local/state"))
        .env("PWD", TRACE_WORKSPACE)
        .env_remove("WARDEN_SOCKET")
        .env_remove("WARDEN_FALLBACK")
        .env_remove("WARDEN_STATE_DIR")
        .current_dir(&m.home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(payload).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Exit 2 is Claude Code's "blocking error": the call does not run, as for a deny (an input
    // the adapter cannot read, which replay denies too).
    if out.status.code() == Some(2) {
        return "deny".into();
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "hook failed on {payload}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if stdout.trim().is_empty() {
        return "allow".into();
    }
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("allow")
        .to_string()
}

/// Send `trace` through a real monitor, one hook process per event: prompts as
/// `UserPromptSubmit`, calls as `PreToolUse`, results as `PostToolUse`, each stamped with the
/// replay's clock. Approvals are not held (`--no-approvals`): an ask goes back to the client
/// as an ask, so the engine's own decision is what is compared. `(session, step) -> decision`
/// of every call.
fn live(h: &Path, trace: &Path) -> HashMap<(String, u64), String> {
    let m = Monitor::start(h, &["--trust-event-time", "--no-approvals"]);
    let mut out = HashMap::new();
    let mut calls = 0u64;
    for (session, events) in sessions(trace) {
        // `warden replay` names a session by its file's place in the list and its id.
        let id = format!("0#{session}");
        let mut last_call: Option<(String, String, Value)> = None;
        for ev in events {
            let step = ev["step"].as_u64().unwrap();
            let base = json!({
                "session_id": id, "transcript_path": "/tmp/t.jsonl", "cwd": TRACE_WORKSPACE,
                "permission_mode": "default",
            });
            let mut p = base.clone();
            match ev["kind"].as_str().unwrap() {
                "user_prompt" => {
                    p["hook_event_name"] = json!("UserPromptSubmit");
                    p["prompt"] = ev["content"].clone();
                    hook(&m, &p);
                }
                "tool_call" => {
                    calls += 1;
                    let tool = claude_tool(ev["tool"].as_str().unwrap()).to_string();
                    let use_id = format!("call-{step}");
                    let input = match &ev["args"] {
                        Value::Null => json!({}),
                        a => a.clone(),
                    };
                    p["hook_event_name"] = json!("PreToolUse");
                    p["tool_name"] = json!(tool);
                    p["tool_input"] = input.clone();
                    p["tool_use_id"] = json!(use_id);
                    p["timestamp"] = json!(REPLAY_EPOCH_MS + calls * 1000);
                    out.insert((session.clone(), step), hook(&m, &p));
                    last_call = Some((tool, use_id, input));
                }
                "tool_result" => {
                    p["hook_event_name"] = json!("PostToolUse");
                    if let Some((tool, use_id, input)) = &last_call {
                        p["tool_name"] = json!(tool);
                        p["tool_use_id"] = json!(use_id);
                        p["tool_input"] = input.clone();
                    }
                    p["tool_response"] = ev["content"].clone();
                    hook(&m, &p);
                }
                other => panic!("unknown event kind {other}"),
            }
        }
    }
    out
}

fn differences(
    replay: &HashMap<(String, u64), String>,
    live: &HashMap<(String, u64), String>,
) -> Vec<String> {
    let mut keys: Vec<_> = replay.keys().chain(live.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| replay.get(*k) != live.get(*k))
        .map(|k| {
            format!(
                "{} step {}: replay {:?}, live {:?}",
                k.0,
                k.1,
                replay.get(k),
                live.get(k)
            )
        })
        .collect()
}

/// [`assert_equivalent`] per agent: the replay learns a baseline per agent (a session id's
/// prefix), the live monitor per client (all `claude-code` here), so each agent's sessions go
/// to a monitor of their own.
fn assert_equivalent_per_agent(trace: &Path) -> usize {
    let h = home();
    let mut parts: Vec<(String, String)> = Vec::new();
    for line in std::fs::read_to_string(trace).unwrap().lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let agent = v["session"]
            .as_str()
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        match parts.iter_mut().find(|(a, _)| *a == agent) {
            Some((_, text)) => text.push_str(&format!("{line}\n")),
            None => parts.push((agent, format!("{line}\n"))),
        }
    }
    let mut n = 0;
    for (agent, text) in parts {
        let f = h.path().join(format!(
            "{}.jsonl",
            agent.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        std::fs::write(&f, text).unwrap();
        n += assert_equivalent(&f);
    }
    n
}

fn assert_equivalent(trace: &Path) -> usize {
    let h = home();
    let replay = replayed(h.path(), trace);
    let live = live(h.path(), trace);
    let diff = differences(&replay, &live);
    assert!(
        diff.is_empty(),
        "{} of {} decisions differ between replay and live:\n{}",
        diff.len(),
        replay.len(),
        diff.join("\n")
    );
    replay.len()
}

#[test]
fn replay_and_the_live_monitor_decide_the_same() {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/equivalence.jsonl");
    let h = home();
    let replay = replayed(h.path(), &fixture);
    // The trace is not trivial: it holds every kind of decision.
    for d in ["allow", "ask", "deny"] {
        assert!(replay.values().any(|v| v == d), "no {d} in {replay:?}");
    }
    assert_equivalent(&fixture);
    if let Ok(extra) = std::env::var("WARDEN_EQUIVALENCE_TRACES") {
        for f in extra.split(':').filter(|f| !f.is_empty()) {
            let n = assert_equivalent_per_agent(Path::new(f));
            eprintln!("{f}: {n} decisions, identical in replay and live");
        }
    }
}
