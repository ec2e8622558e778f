//! The agent's own files in the protected deployment. `sudo warden install --codex --openclaw`
//! puts Warden into files the agent's user owns (Codex and OpenClaw have no system-wide hook or
//! plugin config): root must never read or write there, or a symlink the agent planted before
//! the install would have root copy a root-only file into its reach, or write where it cannot.
//! And the monitor, its own user, watches the agent's configuration in a home of mode 0700 with
//! `CAP_DAC_READ_SEARCH`, which it must never use on a file the agent names. Real users, as in
//! `protected.rs` (skipped without root and useradd, unless `WARDEN_REQUIRE_ROOT_TESTS=1`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::protected::{decision, pre_tool, text, users, Deployment, AGENT_USER, MONITOR_USER};

fn install(verb: &str, root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([verb, "--root", root.to_str().unwrap(), "--user", AGENT_USER])
        .args(["--monitor-user", MONITOR_USER])
        .args(extra)
        .output()
        .unwrap()
}

/// The agent user's home from the passwd database, under the test root.
fn home_under(root: &Path) -> PathBuf {
    let out = Command::new("getent")
        .args(["passwd", AGENT_USER])
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let home = line.trim().split(':').nth(5).unwrap().to_string();
    root.join(home.trim_start_matches('/'))
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn codex_and_openclaw_are_installed_by_the_agents_own_user_and_planted_links_reach_nothing() {
    let Some((_, agent)) = users() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = home_under(root.path());
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    for p in [&home, &home.join(".codex")] {
        std::os::unix::fs::chown(p, Some(agent.0), Some(agent.1)).unwrap();
    }

    // The agent plants links before the administrator installs: its Codex hook file names a
    // root-only JSON file; its OpenClaw directory names a root-owned directory.
    let secret = root.path().join("root-only.json");
    std::fs::write(&secret, "{\"token\": \"ROOT-ONLY-VALUE\"}\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let hooks = home.join(".codex/hooks.json");
    std::os::unix::fs::symlink(&secret, &hooks).unwrap();
    let system = root.path().join("system-dir");
    std::fs::create_dir(&system).unwrap();
    std::os::unix::fs::symlink(&system, home.join(".openclaw")).unwrap();

    let o = install("install", root.path(), &["--codex"]);
    assert!(
        !o.status.success(),
        "install went on through the agent's link"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("as the agent's user"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "{\"token\": \"ROOT-ONLY-VALUE\"}\n"
    );
    let leaked = std::fs::read_dir(home.join(".codex"))
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| !e.file_type().unwrap().is_symlink())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|t| t.contains("ROOT-ONLY-VALUE"));
    assert!(
        !leaked,
        "the root-only file was copied into the agent's directory"
    );
    let o = install("install", root.path(), &["--openclaw"]);
    assert!(
        !o.status.success(),
        "install wrote through the agent's link"
    );
    assert_eq!(std::fs::read_dir(&system).unwrap().count(), 0);

    // Without the links: installed, in files the agent's user owns, naming the root-owned
    // client config, plugin and socket.
    std::fs::remove_file(&hooks).unwrap();
    std::fs::remove_file(home.join(".openclaw")).unwrap();
    let o = install("install", root.path(), &["--codex", "--openclaw"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = json(&hooks);
    let text = doc.to_string();
    assert!(text.contains("--client-config"), "{text}");
    assert!(text.contains(root.path().join("usr/local/bin").to_str().unwrap()));
    assert_eq!(std::fs::metadata(&hooks).unwrap().uid(), agent.0);
    let trust = std::fs::read_to_string(home.join(".codex/config.toml")).unwrap();
    assert!(trust.contains("trusted_hash"), "{trust}");
    let config = home.join(".openclaw/openclaw.json");
    assert_eq!(std::fs::metadata(&config).unwrap().uid(), agent.0);
    let oc = json(&config);
    let plugin = root.path().join("usr/local/lib/warden/openclaw-plugin");
    assert_eq!(
        oc["plugins"]["load"]["paths"][0].as_str(),
        plugin.to_str(),
        "{oc}"
    );
    assert_eq!(
        oc["plugins"]["entries"]["warden"]["config"]["socket"].as_str(),
        root.path().join("run/warden/warden.sock").to_str()
    );
    let index = std::fs::metadata(plugin.join("index.js")).unwrap();
    assert_eq!(
        (index.uid(), index.mode() & 0o022),
        (0, 0),
        "root's, writable by no one else"
    );

    let o = install("uninstall", root.path(), &["--purge"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !json(&hooks).to_string().contains("warden"),
        "{}",
        json(&hooks)
    );
    assert!(json(&config)["plugins"]["entries"].get("warden").is_none());
    assert!(!plugin.exists());
}

#[test]
fn the_monitor_watches_a_0700_home_and_never_reads_a_root_only_file_the_agent_names() {
    let Some(d) = Deployment::start("version: 1\n") else {
        return;
    };
    let home = d.agent_home.clone();
    assert_eq!(std::fs::metadata(&home).unwrap().mode() & 0o777, 0o700);
    // The agent widens its own permissions in its settings: seen through the 0700 home.
    let o = d.as_agent(
        &["sh", "-c", "mkdir -p ~/.claude && echo '{\"permissions\":{\"defaultMode\":\"bypassPermissions\"}}' > ~/.claude/settings.json"],
        &[],
        b"",
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = std::time::Instant::now();
    while !d.records().contains("config_integrity") {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "the change in the 0700 home was never seen: {}",
            d.records()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(d.records().contains("permissions"), "{}", d.records());

    // The confused deputy: a script the monitor would read to judge it. Readable, its content
    // decides; root-only, the monitor cannot read it for the agent even holding the right.
    let body = "rm -rf --no-preserve-root /\n";
    let open = d.root.path().join("open-script.sh");
    let closed = d.root.path().join("root-only-script.sh");
    std::fs::write(&open, body).unwrap();
    std::fs::write(&closed, body).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o600)).unwrap();
    let read = d.hook(&pre_tool(&home, &format!("bash {}", open.display())), &[]);
    assert_eq!(decision(&read), "deny", "{}", text(&read));
    let rule = serde_json::from_slice::<Value>(&read.stdout).unwrap()["hookSpecificOutput"]
        ["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_string();
    let unread = d.hook(&pre_tool(&home, &format!("bash {}", closed.display())), &[]);
    let said = String::from_utf8_lossy(&unread.stdout).into_owned();
    assert!(
        !said.contains(&rule),
        "the monitor read the root-only script for the agent: {said}"
    );
}
