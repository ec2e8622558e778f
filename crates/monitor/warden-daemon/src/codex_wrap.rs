//! Codex's shell commands in the kernel sandbox.
//!
//! Codex has no shell prefix setting. Its `PreToolUse` hook may rewrite a command
//! (`updatedInput.command`) only together with `permissionDecision: "allow"`, and that answer
//! also settles Codex's own approval. So the monitor rewrites an allowed shell command to run
//! under `warden exec` only when Codex says it would not ask anyone anyway
//! (`permission_mode: "bypassPermissions"`, which `codex exec` and `--yolo` runs report): there
//! the "allow" takes nothing from a person. In every other mode Codex's own approval and sandbox
//! stay as they are, and the command is not wrapped.

use std::path::Path;

use serde_json::Value;
use warden_action::Decision;
use warden_policy::{Policy, SandboxMode};

/// The permission mode in which Codex asks nobody.
const UNASKED: &str = "bypassPermissions";

/// What decides whether a Codex call is wrapped.
pub(crate) struct CodexCall<'a> {
    pub(crate) agent: &'a str,
    pub(crate) event: &'a str,
    /// The payload's permission mode when it is not `default` or `plan`.
    pub(crate) unattended: Option<&'a str>,
    pub(crate) tool: Option<&'a str>,
    pub(crate) input: Option<&'a Value>,
    pub(crate) session: Option<&'a str>,
    pub(crate) tool_use_id: Option<&'a str>,
}

/// The tool input that runs `call`'s command in the sandbox: `Ok(Some)` for an allowed Codex
/// shell command in `bypassPermissions` mode under a policy whose sandbox is on, `Ok(None)` for
/// every other call. `Err` when the command must be wrapped and cannot be (no path to Warden's
/// binary): the call is then refused, never run outside the sandbox.
pub(crate) fn sandboxed_input(
    call: &CodexCall<'_>,
    decision: Decision,
    policy: &Policy,
    exe: Option<&Path>,
) -> Result<Option<Value>, String> {
    if call.agent != "codex"
        || call.event != "PreToolUse"
        || decision != Decision::Allow
        || call.unattended != Some(UNASKED)
        || call.tool != Some("Bash")
        || policy.sandbox_settings().mode == SandboxMode::Off
    {
        return Ok(None);
    }
    let Some(command) = call
        .input
        .and_then(|i| i.get("command"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let (Some(input), Some(exe)) = (call.input, exe) else {
        return Err(
            "Warden cannot find its own binary to run this command in its kernel sandbox".into(),
        );
    };
    let mut line = vec![quote(&exe.to_string_lossy()), "exec".to_string()];
    if let Some(s) = call.session {
        line.extend(["--session".to_string(), quote(s)]);
    }
    if let Some(t) = call.tool_use_id {
        line.extend(["--tool-use-id".to_string(), quote(t)]);
    }
    line.extend(["--".into(), "/bin/bash".into(), "-c".into(), quote(command)]);
    let mut out = input.clone();
    out["command"] = Value::String(line.join(" "));
    Ok(Some(out))
}

/// This monitor's own binary, looked up once.
pub(crate) fn own_binary() -> Option<&'static Path> {
    static EXE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    EXE.get_or_init(|| std::env::current_exe().ok()).as_deref()
}

/// `s` as one POSIX shell word.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(extra: &str) -> Policy {
        let mut sources = vec![warden_policy::PolicySource::baseline()];
        if !extra.is_empty() {
            sources.push(warden_policy::PolicySource {
                layer: warden_policy::Layer::User,
                name: "user.yaml".into(),
                text: extra.into(),
            });
        }
        Policy::compile(&sources).unwrap()
    }

    fn call<'a>(mode: Option<&'a str>, input: &'a Value) -> CodexCall<'a> {
        CodexCall {
            agent: "codex",
            event: "PreToolUse",
            unattended: mode,
            tool: Some("Bash"),
            input: Some(input),
            session: Some("s1"),
            tool_use_id: Some("call_1"),
        }
    }

    #[test]
    fn only_allowed_unasked_codex_shell_commands_are_wrapped() {
        let p = policy("");
        let exe = Some(Path::new("/usr/local/bin/warden"));
        let input = json!({"command": "echo 'it''s' && cat x", "timeout_ms": 5});
        let out = sandboxed_input(&call(Some(UNASKED), &input), Decision::Allow, &p, exe)
            .unwrap()
            .unwrap();
        assert_eq!(
            out["command"],
            r#"'/usr/local/bin/warden' exec --session 's1' --tool-use-id 'call_1' -- /bin/bash -c 'echo '\''it'\'''\''s'\'' && cat x'"#
        );
        assert_eq!(out["timeout_ms"], 5, "the rest of the input is kept");
        // The rewritten line runs the original command, word for word.
        let ran = std::process::Command::new("/bin/sh")
            .args([
                "-c",
                &format!("printf %s {}", quote("echo 'it''s' && cat x")),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ran.stdout),
            "echo 'it''s' && cat x"
        );
        // Codex would ask someone: its approval must stay its own, so no "allow" and no wrap.
        for mode in [None, Some("acceptEdits"), Some("dontAsk")] {
            assert!(
                sandboxed_input(&call(mode, &input), Decision::Allow, &p, exe)
                    .unwrap()
                    .is_none()
            );
        }
        // Not allowed, not Codex, not its shell, or the sandbox off: as it was.
        for d in [Decision::Deny, Decision::Ask, Decision::Modify] {
            assert!(sandboxed_input(&call(Some(UNASKED), &input), d, &p, exe)
                .unwrap()
                .is_none());
        }
        let mut c = call(Some(UNASKED), &input);
        c.agent = "claude-code";
        assert!(sandboxed_input(&c, Decision::Allow, &p, exe)
            .unwrap()
            .is_none());
        let mut c = call(Some(UNASKED), &input);
        c.tool = Some("apply_patch");
        assert!(sandboxed_input(&c, Decision::Allow, &p, exe)
            .unwrap()
            .is_none());
        let off = policy("version: 1\nsandbox: off\n");
        assert!(
            sandboxed_input(&call(Some(UNASKED), &input), Decision::Allow, &off, exe)
                .unwrap()
                .is_none()
        );
        // It must be wrapped and cannot be: refused, not run outside the sandbox.
        assert!(sandboxed_input(&call(Some(UNASKED), &input), Decision::Allow, &p, None).is_err());
    }
}
