//! `warden init`: hooks installed idempotently, with a backup; `--uninstall` removes them.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::{home, warden};

#[test]
fn claude_code_install_is_idempotent_and_uninstall_restores() {
    let h = home();
    let settings = h.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = json!({"model": "opus", "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}]}});
    std::fs::write(&settings, original.to_string()).unwrap();
    let args = ["init", "claude-code", "--command", "/opt/warden"];
    assert_eq!(warden(h.path(), &args, b"").code, 0);
    let once: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(warden(h.path(), &args, b"").code, 0);
    let twice: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(once, twice);
    assert_eq!(once["model"], "opus");
    let pre = once["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(
        pre[1]["hooks"][0]["command"],
        "/opt/warden hook claude-code"
    );
    for ev in [
        "PostToolUse",
        "UserPromptSubmit",
        "SessionStart",
        "SessionEnd",
        "SubagentStart",
        "SubagentStop",
        "ConfigChange",
    ] {
        assert!(once["hooks"][ev].is_array(), "{ev} missing");
    }
    let backups = std::fs::read_dir(settings.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("warden-backup")
        })
        .count();
    assert_eq!(backups, 1);
    assert_eq!(
        warden(h.path(), &["init", "claude-code", "--uninstall"], b"").code,
        0
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(after, original);
}

#[test]
fn codex_and_project_scope() {
    let h = home();
    let codex = h.path().join("codex-home");
    let r = super::warden_env(
        h.path(),
        &["init", "codex", "--command", "/opt/warden"],
        &[("CODEX_HOME", codex.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(codex.join("hooks.json")).unwrap()).unwrap();
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "/opt/warden hook codex"
    );
    let proj = h.path().join("project");
    let r = warden(
        h.path(),
        &[
            "init",
            "claude-code",
            "--scope",
            "project",
            "--project",
            proj.to_str().unwrap(),
            "--command",
            "/opt/warden",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(proj.join(".claude/settings.json").is_file());
}

#[test]
fn the_slim_hook_client_takes_the_agent_directly() {
    let h = home();
    let r = warden(
        h.path(),
        &["init", "claude-code", "--command", "/opt/bin/warden-hook"],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(h.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "/opt/bin/warden-hook claude-code"
    );
}

#[test]
fn claude_code_sandbox_sets_the_shell_prefix_and_the_wrapper_runs_commands_sandboxed() {
    let h = home();
    let settings = h.path().join(".claude/settings.json");
    let r = warden(
        h.path(),
        &[
            "init",
            "claude-code",
            "--command",
            "/opt/warden",
            "--sandbox",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    let wrapper = h.path().join(".config/warden/claude-shell");
    assert_eq!(
        doc["env"]["CLAUDE_CODE_SHELL_PREFIX"],
        json!(wrapper.display().to_string())
    );
    // Claude Code runs `'<prefix>' '<command>'`: the wrapper runs the command string in the sandbox.
    std::fs::create_dir_all(h.path().join(".ssh")).unwrap();
    std::fs::write(h.path().join(".ssh/id_rsa"), "KEY-FROM-INIT-TEST").unwrap();
    let out = std::process::Command::new(&wrapper)
        .arg("echo start; cat ~/.ssh/id_rsa; exit 3")
        .env("HOME", h.path())
        .env("XDG_CONFIG_HOME", h.path().join(".config"))
        .env("XDG_STATE_HOME", h.path().join(".local/state"))
        .current_dir(h.path().join("project"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "start\n");
    let r = warden(
        h.path(),
        &[
            "init",
            "claude-code",
            "--command",
            "/opt/warden",
            "--uninstall",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(doc.get("env"), None);
}

#[test]
fn autostart_writes_a_user_unit_and_uninstall_removes_it() {
    let h = home();
    let unit = h.path().join(".config/systemd/user/warden.service");
    // No user manager in the test (PATH without systemctl): the unit is written and the user
    // is told how to start it.
    let empty = h.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let path = empty.to_str().unwrap();
    let args = [
        "init",
        "claude-code",
        "--command",
        "/opt/warden",
        "--autostart",
    ];
    let r = super::warden_env(h.path(), &args, &[("PATH", path)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains("serve\n") && text.contains("ExecStart=\""),
        "{text}"
    );
    assert!(text.contains("WantedBy=default.target"), "{text}");
    assert!(
        r.stderr
            .contains("systemctl --user enable --now warden.service"),
        "{}",
        r.stderr
    );
    // Idempotent, and removed by --uninstall.
    assert_eq!(
        super::warden_env(h.path(), &args, &[("PATH", path)]).code,
        0
    );
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), text);
    let un = ["init", "claude-code", "--autostart", "--uninstall"];
    let r = super::warden_env(h.path(), &un, &[("PATH", path)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!unit.exists());
}
