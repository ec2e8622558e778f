//! Test modules and the helper that runs `warden`.

mod check;
mod clients;
mod config;
mod console;
mod daemon;
mod engine;
mod exec;
mod hook;
mod init;
mod notify;
mod openclaw;
mod otlp;
mod policy;
mod protected;
mod protected_agent_files;
mod replay;
mod skills;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run of `warden` produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Run `warden args...` with `stdin`, HOME set to `home` so no machine policy is discovered.
pub fn warden(home: &Path, args: &[&str], stdin: &[u8]) -> Run {
    run(home, args, &[], stdin)
}

/// Like [`warden`] with extra environment variables and empty stdin.
pub fn warden_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run(home, args, env, b"")
}

fn run(home: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env_remove("CLAUDE_PROJECT_DIR")
        .env_remove("WARDEN_STATE_DIR")
        .env_remove("WARDEN_SOCKET")
        .env_remove("WARDEN_FALLBACK")
        .env_remove("WARDEN_HOOK_TIMEOUT")
        .env("NO_COLOR", "1")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn warden");
    // A child that exits early closes stdin; that is its answer, not a test failure.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh home directory with a project inside.
pub fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("project")).expect("mkdir");
    dir
}

/// A Claude Code `PreToolUse` payload.
pub fn claude(cwd: &Path, tool: &str, input: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "session_id": "sess-1", "transcript_path": "/tmp/t.jsonl", "cwd": cwd,
        "permission_mode": "default", "hook_event_name": "PreToolUse",
        "tool_name": tool, "tool_input": input, "tool_use_id": "toolu_01"
    }))
    .expect("json")
}
