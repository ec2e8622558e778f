//! The slim hook client against a real `warden serve`: the same answers as `warden hook`, and
//! exit 2 whenever it cannot get one.
//!
//! Needs the `warden` binary next to `warden-hook` (built by `cargo test --workspace`).

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn slim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_warden-hook"))
}

fn full() -> PathBuf {
    let p = slim().with_file_name("warden");
    assert!(
        p.is_file(),
        "`warden` is not built next to `warden-hook`: run `cargo build -p warden-cli`"
    );
    p
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(home: &Path, state: &Path) -> Serve {
    let child = Command::new(full())
        .args([
            "serve",
            "--no-discover",
            "--no-approvals",
            "--http",
            "off",
            "--state-dir",
        ])
        .arg(state)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn warden serve");
    let t = Instant::now();
    while UnixStream::connect(state.join("warden.sock")).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "warden serve did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Serve(child)
}

fn run(
    program: &Path,
    args: &[&str],
    home: &Path,
    state: &Path,
    payload: &Value,
) -> (i32, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .env("HOME", home)
        .env("WARDEN_STATE_DIR", state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn payload(cwd: &Path, session: &str, tool: &str, input: Value) -> Value {
    json!({"session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": input, "tool_use_id": "t"})
}

#[test]
fn answers_like_the_full_hook_and_blocks_without_a_monitor() {
    let home = tempfile_dir();
    let state = home.join("state");
    let cwd = home.join("project");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    // No monitor: block, with the reason.
    let (code, out, err) = run(
        &slim(),
        &["claude-code"],
        &home,
        &state,
        &payload(&cwd, "s", "Bash", json!({"command": "ls"})),
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("not reachable"), "{err}");

    let _m = serve(&home, &state);
    for (tool, input) in [
        ("Read", json!({"file_path": "~/.ssh/id_rsa"})),
        ("Bash", json!({"command": "cargo test"})),
        ("Bash", json!({"command": "sudo -i"})),
    ] {
        let p = payload(&cwd, "s1", tool, input);
        let (c1, o1, e1) = run(&slim(), &["claude-code"], &home, &state, &p);
        let (c2, o2, e2) = run(
            &full(),
            &[
                "hook",
                "claude-code",
                "--state-dir",
                state.to_str().expect("utf8"),
            ],
            &home,
            &state,
            &p,
        );
        assert_eq!((c1, &o1), (c2, &o2), "slim: {e1} / full: {e2}");
        assert_eq!(c1, 0, "{e1}");
    }
    let (_, out, _) = run(
        &slim(),
        &["codex"],
        &home,
        &state,
        &payload(
            &cwd,
            "s2",
            "Read",
            json!({"file_path": "~/.aws/credentials"}),
        ),
    );
    let v: Value = serde_json::from_str(&out).expect("json answer");
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    // Garbage in: block.
    let mut child = Command::new(slim())
        .arg("claude-code")
        .env("WARDEN_STATE_DIR", &state)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let _ = child.stdin.take().expect("stdin").write_all(b"not json");
    assert_eq!(child.wait().expect("wait").code(), Some(2));
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "warden-hook-test-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}
