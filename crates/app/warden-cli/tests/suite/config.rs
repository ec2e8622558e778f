//! Configuration integrity with real processes: `warden serve` with HOME in a temporary
//! directory pins the agent's settings on first use and watches them; the files are changed the
//! ways an agent (or an attacker) would, and the audit trail, the file and the decisions are
//! checked. Every detection must be recorded within 1 s of the write.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::daemon::{decision, Monitor};

/// Settings with Warden's hook, as `warden init claude-code` writes them.
fn with_hook(extra: Value) -> String {
    let mut v = json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
        {"type": "command", "command": "/usr/local/bin/warden-hook claude-code", "timeout": 120}
    ]}]}});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    serde_json::to_string_pretty(&v).unwrap()
}

fn settings(home: &Path) -> PathBuf {
    home.join(".claude").join("settings.json")
}

/// A home with Warden's hook in the user settings, and a monitor watching it.
fn setup(extra: &[&str]) -> (tempfile::TempDir, Monitor) {
    let h = super::home();
    std::fs::create_dir_all(h.path().join(".claude")).unwrap();
    std::fs::write(settings(h.path()), with_hook(json!({}))).unwrap();
    let m = Monitor::start(h.path(), extra);
    (h, m)
}

/// The configuration-change records so far.
fn changes(m: &Monitor) -> Vec<Value> {
    m.records(&["--kind", "event"])
        .into_iter()
        .map(|r| r["body"].clone())
        .filter(|b| b["event"] == "config_integrity" && b["op"] == "changed")
        .collect()
}

/// Wait (at most 1 s after `since`) for the `n`th configuration-change record; how long it took.
fn nth_change(m: &Monitor, n: usize, since: Instant) -> (Value, Duration) {
    loop {
        let all = changes(m);
        if all.len() >= n {
            return (all[n - 1].clone(), since.elapsed());
        }
        assert!(
            since.elapsed() < Duration::from_secs(1),
            "no configuration change #{n} recorded within 1 s; records: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn classes(b: &Value) -> Vec<String> {
    b["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn sh(script: &str) {
    let st = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(st.success(), "{script}");
}

/// Wait until `f` holds (the watcher acts on its own thread), at most 1 s.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{what}: not within 1 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_write_route_is_seen_within_a_second_and_a_benign_change_only_alerts() {
    let (h, m) = setup(&[]);
    let path = settings(h.path());
    let p = path.to_str().unwrap().to_string();
    let mut took = Vec::new();
    // (a) the way the Write tool writes: the file is rewritten in place.
    let a = with_hook(json!({"env": {"A": "1"}}));
    let t = Instant::now();
    std::fs::write(&path, &a).unwrap();
    let (b, d) = nth_change(&m, 1, t);
    took.push(d);
    assert_eq!(
        (b["path"].as_str(), classes(&b), b["action"].as_str()),
        (Some(p.as_str()), vec!["other".to_string()], Some("alert"))
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        a,
        "an alert never blocks"
    );
    // (b) a shell process redirecting into it.
    let t = Instant::now();
    sh(&format!(
        "echo '{}' > '{p}'",
        with_hook(json!({"env": {"B": "2"}})).replace('\n', " ")
    ));
    let (b, d) = nth_change(&m, 2, t);
    took.push(d);
    assert_eq!(classes(&b), vec!["other"]);
    // (c) an editor: a temporary file renamed over it.
    let tmp = h.path().join(".claude").join("settings.json.tmp");
    std::fs::write(&tmp, with_hook(json!({"env": {"C": "3"}}))).unwrap();
    let t = Instant::now();
    sh(&format!("mv '{}' '{p}'", tmp.display()));
    let (b, d) = nth_change(&m, 3, t);
    took.push(d);
    assert_eq!(classes(&b), vec!["other"]);
    assert_eq!(b["change"], "modified");
    eprintln!("detection latency (write, sh redirect, mv): {took:?}");
    // Alerts hold nothing: no approval, no tampered sessions.
    let v = m.warden(&["approvals", "list", "--json"], b"").json();
    assert_eq!(v, json!([]));
}

#[test]
fn removing_wardens_hook_is_put_back() {
    let (h, m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    let t = Instant::now();
    std::fs::write(&path, r#"{"hooks": {}}"#).unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(b["action"], "restore");
    assert!(classes(&b).contains(&"warden_removed".to_string()), "{b:#}");
    assert_eq!(b["restored"], true, "{b:#}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    // `disableAllHooks` is the same removal.
    let t = Instant::now();
    std::fs::write(&path, with_hook(json!({"disableAllHooks": true}))).unwrap();
    let (b, _) = nth_change(&m, 2, t);
    assert_eq!(
        (b["action"].as_str(), &b["restored"]),
        (Some("restore"), &json!(true))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
}

#[test]
fn attacker_variants_delete_symlink_chmod_are_put_back() {
    let (h, m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    // Deleted: Warden's hook goes with it.
    let t = Instant::now();
    std::fs::remove_file(&path).unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(
        (b["change"].as_str(), b["action"].as_str()),
        (Some("deleted"), Some("restore"))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    // Replaced by a symlink to a file without hooks.
    let other = h.path().join("other.json");
    std::fs::write(&other, "{}").unwrap();
    let t = Instant::now();
    sh(&format!(
        "ln -sf '{}' '{p}.new' && mv -T '{p}.new' '{p}'",
        other.display(),
        p = path.display()
    ));
    let (b, _) = nth_change(&m, 2, t);
    assert_eq!(b["change"], "replaced");
    assert!(classes(&b).contains(&"file_access".to_string()), "{b:#}");
    assert_eq!(b["restored"], true, "{b:#}");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the symlink is replaced, not followed"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "{}");
    // Opened to every user.
    let mode = meta.permissions().mode() & 0o777;
    let t = Instant::now();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (b, _) = nth_change(&m, 3, t);
    assert_eq!(
        (b["change"].as_str(), classes(&b)),
        (Some("metadata"), vec!["file_access".to_string()])
    );
    eventually("the mode is put back", || {
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777 == mode
    });
}

#[test]
fn rapid_edits_settle_on_the_last_state_and_lose_nothing() {
    let (h, m) = setup(&["--no-approvals"]);
    let path = settings(h.path());
    // Touch, then rewrite within the settling window: one change, the rewrite.
    let t = Instant::now();
    sh(&format!("touch '{}'", path.display()));
    let last = with_hook(json!({"permissions": {"defaultMode": "bypassPermissions"}}));
    std::fs::write(&path, &last).unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(classes(&b), vec!["permissions"]);
    // Twenty edits in a burst: the state recorded last is the file's final state.
    let t = Instant::now();
    let mut text = String::new();
    for i in 0..20 {
        text = with_hook(json!({"permissions": {"allow": [format!("Bash(step{i})")]}}));
        std::fs::write(&path, &text).unwrap();
    }
    let final_sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    };
    eventually("the final state is recorded", || {
        changes(&m)
            .last()
            .is_some_and(|b| b["current"]["sha256"] == final_sha.as_str())
    });
    assert!(t.elapsed() < Duration::from_secs(1));
    // Held, with the final state: what a person approves is what is on disk.
    let st = m.warden(&["config", "status", "--json"], b"").json();
    let f = st["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path.to_str().unwrap())
        .unwrap()
        .clone();
    assert_eq!(f["state"], "held", "{st:#}");
    assert_eq!(f["current"]["sha256"], final_sha.as_str()); // One approval, for the state on disk: earlier held states' approvals were withdrawn.
    eventually("one approval, for the final state", || {
        let pending = m.warden(&["approvals", "list", "--json"], b"").json();
        let pending = pending.as_array().unwrap().clone();
        pending.len() == 1
            && pending[0]["fingerprint"]
                .as_str()
                .unwrap()
                .ends_with(&final_sha)
    });
}

#[test]
fn a_permission_change_is_held_until_a_person_approves_it() {
    let (h, m) = setup(&["--no-approvals"]);
    let path = settings(h.path());
    let cwd = h.path().join("project");
    let prompt = json!({"session_id": "s1", "cwd": cwd, "hook_event_name": "UserPromptSubmit", "prompt": "write notes"});
    m.hook(&serde_json::to_vec(&prompt).unwrap());
    let write = super::daemon::payload(
        "s1",
        "Write",
        json!({"file_path": cwd.join("notes.txt"), "content": "x"}),
        &cwd,
    );
    assert_eq!(decision(&m.hook(&write)), "allow");
    let t = Instant::now();
    let changed = with_hook(
        json!({"permissions": {"allow": ["Bash(*)"], "defaultMode": "bypassPermissions"}}),
    );
    std::fs::write(&path, &changed).unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(
        (classes(&b), b["action"].as_str()),
        (vec!["permissions".to_string()], Some("ask"))
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        changed,
        "ask leaves the file"
    );
    // Held: an approval a person sees, the file's state, and the session's facts.
    let approvals = m.warden(&["approvals", "list", "--json"], b"").json();
    assert_eq!(approvals[0]["request"]["tool"], "config", "{approvals:#}");
    let status = m.warden(&["config", "status"], b"");
    assert!(status.stdout.contains("held"), "{}", status.stdout);
    assert_eq!(
        decision(&m.hook(&write)),
        "ask",
        "side effects wait while the change is held"
    );
    // A ConfigChange event for it gets the class's decision.
    let cc = json!({"session_id": "s1", "cwd": cwd, "hook_event_name": "ConfigChange", "source": "user_settings", "file_path": path});
    // (ConfigChange can only be blocked: ask and deny both block it.)
    let r = m.hook(&serde_json::to_vec(&cc).unwrap());
    assert_eq!(r.json()["decision"], "block", "{}", r.stdout);
    assert!(r.stdout.contains("self.config-change"), "{}", r.stdout);
    // The diff shows what changed.
    let d = m.warden(&["config", "diff", path.to_str().unwrap()], b"");
    assert!(d.stdout.contains("+  \"permissions\""), "{}", d.stdout);
    // Approved: re-pinned, the approval closed, the session free again.
    let r = m.warden(&["config", "approve", path.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        m.warden(&["approvals", "list", "--json"], b"").json(),
        json!([])
    );
    assert_eq!(decision(&m.hook(&write)), "allow");
    let r = m.hook(&serde_json::to_vec(&cc).unwrap());
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, ""),
        "a pinned file's ConfigChange passes"
    );
}

#[test]
fn a_held_change_denied_in_approvals_is_restored_and_config_restore_works() {
    let (h, m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    let t = Instant::now();
    std::fs::write(&path, with_hook(json!({"model": "other-model"}))).unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(classes(&b), vec!["model_provider"]);
    let id = m.warden(&["approvals", "list", "--json"], b"").json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = m.warden(&["approvals", "deny", &id], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    // `warden config restore` puts back a change that only alerted.
    let t = Instant::now();
    std::fs::write(&path, with_hook(json!({"env": {"X": "1"}}))).unwrap();
    nth_change(&m, 2, t);
    let r = m.warden(&["config", "restore"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    let restored = m
        .records(&["--kind", "event"])
        .into_iter()
        .filter(|r| r["body"]["op"] == "restored")
        .count();
    assert_eq!(restored, 2, "the denial and the restore are both recorded");
}

#[test]
fn an_instructions_edit_in_a_seen_workspace_only_alerts() {
    let (h, m) = setup(&[]);
    let cwd = h.path().join("project");
    let md = cwd.join("CLAUDE.md");
    std::fs::write(&md, "# Notes\nUse tabs.\n").unwrap();
    let start = json!({"session_id": "s1", "cwd": cwd, "hook_event_name": "SessionStart", "source": "startup"});
    m.hook(&serde_json::to_vec(&start).unwrap());
    eventually("the workspace is pinned", || {
        m.warden(&["config", "status", "--json"], b"").json()["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == md.to_str().unwrap())
    });
    let t = Instant::now();
    std::fs::write(&md, "# Notes\nUse spaces.\n").unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(
        (classes(&b), b["action"].as_str()),
        (vec!["instructions".to_string()], Some("alert"))
    );
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        "# Notes\nUse spaces.\n"
    );
}

#[test]
fn changes_made_while_the_monitor_was_down_are_found_at_start() {
    let (h, mut m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    m.terminate();
    std::fs::write(&path, "{}").unwrap();
    m.restart();
    let b = changes(&m)
        .last()
        .cloned()
        .expect("a change recorded at start");
    assert_eq!(
        (b["source"].as_str(), b["action"].as_str()),
        (Some("start"), Some("restore"))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn skills_are_gated_at_load_by_pin_and_scan() {
    let h = super::home();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/skills");
    let skills = h.path().join(".claude").join("skills");
    copy_dir(
        &fixtures.join("benign/formatter"),
        &skills.join("formatter"),
    );
    copy_dir(&fixtures.join("malicious/notes"), &skills.join("notes"));
    let m = Monitor::start(h.path(), &["--no-approvals"]);
    let cwd = h.path().join("project");
    let call = |name: &str| {
        let p = super::daemon::payload("s1", "Skill", json!({"skill": name}), &cwd);
        m.hook(&p)
    };
    // Never trusted: a person looks first.
    let r = call("formatter");
    assert_eq!(decision(&r), "ask", "{}", r.stdout);
    assert!(r.stdout.contains("skills.untrusted"), "{}", r.stdout);
    // Scanned high: denied, naming the rule.
    let r = call("notes");
    assert_eq!(decision(&r), "deny", "{}", r.stdout);
    assert!(r.stdout.contains("skills.high-risk"), "{}", r.stdout);
    // Trusted: it loads.
    let dir = skills.join("formatter");
    let t = m.warden(&["skills", "trust", dir.to_str().unwrap()], b"");
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert_eq!(decision(&call("formatter")), "allow");
    // Changed since it was trusted: asked again (and the watcher holds the change).
    std::fs::write(
        dir.join("SKILL.md"),
        "---\nname: formatter\n---\nNow different.\n",
    )
    .unwrap();
    let r = call("formatter");
    assert_eq!(decision(&r), "ask", "{}", r.stdout);
    eventually("the skill file change is recorded", || {
        changes(&m).iter().any(|b| classes(b) == vec!["skills"])
    });
}

#[test]
fn actions_taken_while_a_skill_is_active_name_it_until_the_turn_ends() {
    let h = super::home();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/skills");
    let dir = h.path().join(".claude/skills/formatter");
    copy_dir(&fixtures.join("benign/formatter"), &dir);
    let m = Monitor::start(h.path(), &["--no-approvals"]);
    let t = m.warden(&["skills", "trust", dir.to_str().unwrap()], b"");
    assert_eq!(t.code, 0, "{}", t.stderr);
    let cwd = h.path().join("project");
    let hook = |tool: &str, input: serde_json::Value| {
        m.hook(&super::daemon::payload("s-skill", tool, input, &cwd))
    };
    assert_eq!(
        decision(&hook("Skill", json!({"skill": "formatter"}))),
        "allow"
    );
    assert_eq!(decision(&hook("Bash", json!({"command": "ls"}))), "allow");
    // The user's next prompt ends the turn: later calls name no skill.
    let prompt = json!({"session_id": "s-skill", "cwd": cwd, "hook_event_name": "UserPromptSubmit", "prompt": "thanks"});
    m.hook(prompt.to_string().as_bytes());
    assert_eq!(decision(&hook("Bash", json!({"command": "pwd"}))), "allow");
    let recs = m.records(&["--session", "s-skill", "--kind", "decision"]);
    let skill_of = |cmd: &str| {
        recs.iter()
            .find(|r| r["body"]["actions"].to_string().contains(cmd) && r["body"]["tool"] == "Bash")
            .map(|r| r["body"]["skill"].clone())
            .unwrap_or_else(|| panic!("no decision for {cmd}: {recs:?}"))
    };
    assert_eq!(skill_of("\"ls\""), json!("formatter"));
    assert_eq!(skill_of("\"pwd\""), serde_json::Value::Null);
}

/// The reference MCP filesystem server (npm, the version warden-mcp's tests pin), run directly
/// (not behind `warden mcp`): a write through an ungated MCP server is a file write like any
/// other, and the watcher sees it.
#[test]
fn a_write_through_the_npm_filesystem_server_is_seen_and_put_back() {
    use std::io::{BufRead, BufReader, Write};
    let have = |t: &str| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(have("node") && have("npm")) {
        assert_eq!(
            std::env::var("WARDEN_SKIP_NPM_TESTS").as_deref(),
            Ok("1"),
            "this test needs node and npm (or WARDEN_SKIP_NPM_TESTS=1)"
        );
        return;
    }
    let npm = tempfile::tempdir().unwrap();
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(npm.path())
        .arg("@modelcontextprotocol/server-filesystem@2026.8.31")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry = npm
        .path()
        .join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    let (h, m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    let dir = h.path().join(".claude").canonicalize().unwrap();
    let mut server = Command::new("node")
        .arg(&entry)
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = server.stdin.take().unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut send = |v: Value| {
        writeln!(stdin, "{v}").unwrap();
        stdin.flush().unwrap();
    };
    let mut answer = |id: u64| loop {
        let v: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        if v["id"] == id {
            return v;
        }
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    answer(1);
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let t = Instant::now();
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "write_file", "arguments": {"path": dir.join("settings.json"), "content": "{\"hooks\": {}}"}}}),
    );
    let r = answer(2);
    assert_eq!(r["result"]["isError"], json!(null), "{r:#}");
    let (b, d) = nth_change(&m, 1, t);
    eprintln!("MCP filesystem server write detected after {d:?}");
    assert_eq!(
        (b["action"].as_str(), &b["restored"]),
        (Some("restore"), &json!(true))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    let _ = server.kill();
    let _ = server.wait();
}

/// The per-user mode's limit, shown: the pins are in the agent user's own state directory. An
/// edit of the store on disk does not change what the running monitor enforces (it holds the
/// pins in memory), but after a restart the edited store is what counts; a store that no
/// longer parses stops the start.
#[test]
fn the_unprotected_pin_store_is_the_agents_to_edit_and_that_is_said() {
    let (h, mut m) = setup(&[]);
    let path = settings(h.path());
    let pinned = std::fs::read_to_string(&path).unwrap();
    let store = m.state.join("config-pins").join("pins.json");
    assert_eq!(
        std::fs::metadata(store.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let status = m.warden(&["config", "status"], b"");
    assert!(status.stderr.contains("unprotected"), "{}", status.stderr);
    // Emptied while the monitor runs: it still restores from the pins it holds.
    std::fs::write(&store, "{}").unwrap();
    let t = Instant::now();
    std::fs::write(&path, "{}").unwrap();
    let (b, _) = nth_change(&m, 1, t);
    assert_eq!(b["action"], "restore");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
    // Damaged: the monitor refuses to start rather than guard nothing.
    m.terminate();
    std::fs::write(&store, "not json").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["serve", "--no-discover", "--http", "off", "--state-dir"])
        .arg(&m.state)
        .env("HOME", h.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pin store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
