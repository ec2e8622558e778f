//! The real agent clients (Claude Code, Codex from `integrations/clients-test`, pinned in its
//! package-lock.json) run their real tool loop against a scripted fake model
//! (`integrations/clients-test/fake-model.mjs`) with the hooks `warden init` installs and a real
//! `warden serve`. Gated: skipped with a message unless `WARDEN_REQUIRE_CLIENT_TESTS=1` (set by
//! `.ci/run` after `npm ci`); with it set, a missing client or `node` fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::daemon::Monitor;
use super::{home, warden};

const SECRET: &str = "WARDEN-FAKE-KEY-MARKER-7f3a9c";
/// The first words of the policy guide Warden puts into the agent's context at session start.
const GUIDE: &str = "Warden checks each of your actions";

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../integrations/clients-test")
}

/// The client's binary, or `None` (skip) when the tests are not required.
fn client(name: &str) -> Option<PathBuf> {
    let required = std::env::var("WARDEN_REQUIRE_CLIENT_TESTS").is_ok_and(|v| v == "1");
    let bin = clients_dir().join("node_modules/.bin").join(name);
    if !required {
        eprintln!(
            "SKIP real-client test ({name}): set WARDEN_REQUIRE_CLIENT_TESTS=1 after \
             `npm ci` in integrations/clients-test"
        );
        return None;
    }
    assert!(
        bin.is_file(),
        "WARDEN_REQUIRE_CLIENT_TESTS=1 but `{}` is missing: run `npm ci` in integrations/clients-test",
        bin.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "WARDEN_REQUIRE_CLIENT_TESTS=1 but `node` is not on PATH"
    );
    Some(bin)
}

/// The scripted fake model: a Node process on a free loopback port.
struct FakeModel {
    child: Child,
    port: u16,
    record: PathBuf,
}

impl FakeModel {
    fn start(dir: &Path, commands: &[&str]) -> FakeModel {
        let script = dir.join("script.json");
        std::fs::write(&script, serde_json::to_string(commands).unwrap()).unwrap();
        let record = dir.join("record.jsonl");
        let portfile = dir.join("port");
        let _ = std::fs::remove_file(&portfile);
        let _ = std::fs::remove_file(&record);
        let child = Command::new("node")
            .arg(clients_dir().join("fake-model.mjs"))
            .args([&script, &record, &portfile])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        let port = loop {
            if let Some(p) = std::fs::read_to_string(&portfile)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                break p;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "fake model did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        FakeModel {
            child,
            port,
            record,
        }
    }

    /// Every request body the client sent to the model.
    fn requests(&self) -> String {
        std::fs::read_to_string(&self.record).unwrap_or_default()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A home with Warden's hooks for `agent`, a planted SSH key and a project with a `.env`.
fn setup(agent: &str) -> tempfile::TempDir {
    let h = home();
    let ssh = h.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(
        ssh.join("id_rsa"),
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n"
        ),
    )
    .unwrap();
    std::fs::write(h.path().join("project/.env"), "TOKEN=not-a-real-one\n").unwrap();
    // `init` before the monitor starts, as a user does: the monitor takes the settings it finds
    // at start as the approved ones.
    let r = warden(h.path(), &["init", agent], b"");
    assert_eq!(r.code, 0, "warden init {agent}: {}", r.stderr);
    h
}

/// What a run of a client produced.
struct ClientRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn run_client(mut cmd: Command, home: &Path, state: &Path) -> ClientRun {
    cmd.current_dir(home.join("project"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("WARDEN_STATE_DIR", state)
        .env_remove("WARDEN_LOG")
        .stdin(Stdio::null());
    let t = Instant::now();
    let out = cmd.output().unwrap();
    ClientRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}

fn claude(bin: &Path, port: u16) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.arg("180")
        .arg(bin)
        .args(["-p", "run the scripted commands", "--allowedTools", "Bash"])
        .args(["--output-format", "stream-json", "--verbose"])
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "sk-ant-fake-for-tests")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    cmd
}

/// Claude Code's tool results in its stream-json output, in order: (is_error, text).
fn claude_results(stdout: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for line in stdout.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(content) = v["message"]["content"].as_array() else {
            continue;
        };
        for c in content.iter().filter(|c| c["type"] == "tool_result") {
            let text = match &c["content"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push((c["is_error"].as_bool().unwrap_or(false), text));
        }
    }
    out
}

/// The mean wall time of the installed hook command on one `PreToolUse` call, against `m`.
fn hook_overhead(m: &Monitor, settings: &Path, payload: &[u8]) -> Duration {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(settings).unwrap()).unwrap();
    let line = doc["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let n: u32 = 20;
    let t = Instant::now();
    for _ in 0..n {
        let mut c = Command::new("sh")
            .args(["-c", &line])
            .env("HOME", &m.home)
            .env("WARDEN_STATE_DIR", &m.state)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(c.stdin.as_mut().unwrap(), payload).unwrap();
        drop(c.stdin.take());
        c.wait().unwrap();
    }
    t.elapsed() / n
}

/// What both clients must show after the scripted session: the key read's refusal went back to
/// the model and the key did not; the policy guide reached its context (SessionStart
/// `additionalContext`); the `.env` ask reached Warden's approvals.
fn assert_guarded(model: &FakeModel, m: &Monitor) {
    let sent = model.requests();
    assert!(
        sent.contains("credentials.ssh-private-key"),
        "the refusal went back to the model"
    );
    assert!(!sent.contains(SECRET), "the SSH key reached the model");
    assert!(
        sent.contains(GUIDE),
        "the policy guide reached the model's context (SessionStart additionalContext)"
    );
    let approvals = m.records(&["--kind", "approval"]);
    assert!(
        approvals.iter().any(|a| a.to_string().contains("env")),
        "the ask reached the approval path: {approvals:?}"
    );
}

#[test]
fn claude_code_real_client_is_guarded_by_warden() {
    let Some(bin) = client("claude") else { return };
    let h = setup("claude-code");
    let mut m = Monitor::start(h.path(), &["--approval-timeout", "3s"]);
    let model = FakeModel::start(h.path(), &["echo hello", "cat ~/.ssh/id_rsa", "cat .env"]);
    let r = run_client(claude(&bin, model.port), h.path(), &m.state);
    let results = claude_results(&r.stdout);
    assert_eq!(
        results.len(),
        3,
        "three tool calls: {}\n{}",
        r.stdout,
        r.stderr
    );
    // A benign command runs.
    assert!(
        !results[0].0 && results[0].1.contains("hello"),
        "{:?}",
        results[0]
    );
    // The credential read is refused by Warden's rule, and the key never reaches the model.
    assert!(results[1].0, "{:?}", results[1]);
    assert!(
        results[1].1.contains("credentials.ssh-private-key"),
        "{:?}",
        results[1]
    );
    // The ask (`.env`) went to Warden's approvals (nobody answered in 3 s: refused).
    assert!(results[2].0, "{:?}", results[2]);
    assert_guarded(&model, &m);
    let settings = h.path().join(".claude/settings.json");
    let payload = super::claude(
        &h.path().join("project"),
        "Bash",
        serde_json::json!({"command": "echo hi"}),
    );
    let overhead = hook_overhead(&m, &settings, &payload);
    eprintln!(
        "claude-code: session of 3 tool calls {:?}; Warden hook overhead per tool call {:?}",
        r.elapsed, overhead
    );

    // The monitor stopped: the client is blocked, not allowed.
    m.kill9();
    let marker = h.path().join("ran-while-down");
    let model = FakeModel::start(h.path(), &[&format!("touch {}", marker.display())]);
    let r = run_client(claude(&bin, model.port), h.path(), &m.state);
    let results = claude_results(&r.stdout);
    assert!(!marker.exists(), "a command ran with the monitor down");
    assert!(
        results.first().is_some_and(|(err, _)| *err),
        "blocked with the monitor down: {results:?}\n{}",
        r.stderr
    );
    eprintln!(
        "claude-code with the monitor down: exit {:?}; tool result {:?}",
        r.code, results
    );
}

/// Codex's config: the fake model as its provider. Written before `warden init codex`, which
/// appends its hook-trust block.
fn codex_home(h: &Path, port: u16) {
    let dir = h.join(".codex");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "model = \"fake-model\"\nmodel_provider = \"fake\"\n\n[model_providers.fake]\n\
             name = \"fake\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nwire_api = \"responses\"\n\
             env_key = \"FAKE_MODEL_KEY\"\nsupports_websockets = false\n"
        ),
    )
    .unwrap();
}

fn codex(bin: &Path, h: &Path) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.arg("180")
        .arg(bin)
        .args([
            "exec",
            "--skip-git-repo-check",
            "-s",
            "danger-full-access",
            "--json",
        ])
        .arg("run the scripted commands")
        .env("CODEX_HOME", h.join(".codex"))
        .env("FAKE_MODEL_KEY", "fake-key-for-tests");
    cmd
}

/// Codex's finished commands in its `--json` output: (command, output).
fn codex_commands(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "item.completed" && v["item"]["type"] == "command_execution")
        .map(|v| {
            (
                v["item"]["command"].as_str().unwrap_or("").to_string(),
                v["item"]["aggregated_output"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

/// A plain `warden init codex` into the test's Codex home.
fn init_codex(h: &Path) {
    let r = super::warden_env(
        h,
        &["init", "codex"],
        &[("CODEX_HOME", h.join(".codex").to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn codex_real_client_is_guarded_by_warden_after_a_plain_init() {
    let Some(bin) = client("codex") else { return };
    let h = home();
    let ssh = h.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_rsa"), format!("KEY {SECRET}\n")).unwrap();
    std::fs::write(h.path().join("project/.env"), "TOKEN=not-a-real-one\n").unwrap();
    let model = FakeModel::start(h.path(), &["echo hello", "cat ~/.ssh/id_rsa", "cat .env"]);
    codex_home(h.path(), model.port);
    // A plain init, no bypass flag: it must leave Codex trusting Warden's hooks.
    init_codex(h.path());
    let mut m = Monitor::start(h.path(), &["--approval-timeout", "3s"]);
    let r = run_client(codex(&bin, h.path()), h.path(), &m.state);
    let ran = codex_commands(&r.stdout);
    // The benign command ran; neither refused command did.
    assert!(
        ran.first()
            .is_some_and(|(c, o)| c.contains("echo hello") && o.contains("hello")),
        "{ran:?}\n{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(ran.len(), 1, "only the benign command ran: {ran:?}");
    assert_guarded(&model, &m);
    eprintln!("codex: session of 3 tool calls {:?}", r.elapsed);

    // The monitor stopped: the client is blocked, not allowed.
    m.kill9();
    let marker = h.path().join("ran-while-down");
    drop(model);
    let model = FakeModel::start(h.path(), &[&format!("touch {}", marker.display())]);
    codex_home(h.path(), model.port);
    init_codex(h.path());
    let r = run_client(codex(&bin, h.path()), h.path(), &m.state);
    assert!(!marker.exists(), "a command ran with the monitor down");
    assert!(codex_commands(&r.stdout).is_empty(), "{}", r.stdout);
    assert!(
        model.requests().contains("not reachable"),
        "the model was told why"
    );
    eprintln!("codex with the monitor down: exit {:?}", r.code);
}

/// A workspace program the analysis has no reason to refuse (`node tool.js`) that reads the SSH
/// key by a name it builds at run time.
const KEY_READER: &str = "const fs = require('fs'); const os = require('os');\n\
try { console.log('got: ' + fs.readFileSync(os.homedir() + '/.s' + 'sh/id_rsa', 'utf8')); }\n\
catch (e) { console.log('refused: ' + e.code); }\n";

#[test]
fn codex_commands_run_in_wardens_kernel_sandbox_when_codex_asks_nobody() {
    let Some(bin) = client("codex") else { return };
    let h = home();
    let ssh = h.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_rsa"), format!("KEY {SECRET}\n")).unwrap();
    std::fs::write(h.path().join("project/tool.js"), KEY_READER).unwrap();
    let model = FakeModel::start(
        h.path(),
        &[
            "grep -E 'NoNewPrivs|Seccomp:' /proc/self/status",
            "node tool.js",
        ],
    );
    codex_home(h.path(), model.port);
    init_codex(h.path());
    let m = Monitor::start(h.path(), &["--approval-timeout", "3s"]);
    // `codex exec` asks nobody (its hooks see `permission_mode: bypassPermissions`): the monitor
    // answers "allow" with the command rewritten to run under `warden exec`.
    let r = run_client(codex(&bin, h.path()), h.path(), &m.state);
    let ran = codex_commands(&r.stdout);
    assert_eq!(ran.len(), 2, "{ran:?}\n{}\n{}", r.stdout, r.stderr);
    for (c, _) in &ran {
        assert!(c.contains(" exec --session "), "not wrapped: {c}");
        assert!(c.contains("--tool-use-id"), "{c}");
    }
    // The command ran with no_new_privs and a seccomp filter...
    let (_, status) = &ran[0];
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(status.contains("Seccomp:\t2"), "{status}");
    // ...and the kernel refused the key read the analysis had no reason to see.
    let (_, read) = &ran[1];
    assert!(read.contains("refused: EACCES"), "{read}");
    assert!(
        !model.requests().contains(SECRET),
        "the key reached the model"
    );
    eprintln!("codex: two sandboxed commands {:?}", r.elapsed);
}
