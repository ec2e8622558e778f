//! `sudo warden install` / `sudo warden uninstall`: the protected deployment on Linux.
//!
//! The monitor becomes another principal: a `warden` system user owns the state (audit log,
//! signing key, API token) in `/var/lib/warden` (0700) and the socket in `/run/warden`; the policy
//! lives in root-owned `/etc/warden/`; a systemd unit restarts the monitor whenever it stops. The
//! agent's user may only send hook events. Hooks go into Claude Code's managed settings
//! (`/etc/claude-code/managed-settings.json`, root-owned, which user and project settings cannot
//! override) and point at a root-owned hook binary with the root-owned client config, so the
//! agent can neither remove its hooks nor point them at a server of its own.
//!
//! `--root DIR` installs every file under DIR instead of `/` (packaging, tests); users are still
//! created on this system and systemd is then left alone.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use warden_daemon::target::ClientConfig;

use crate::cli::{Agent, InstallArgs};
use crate::exit::Code;

/// The monitor's state directory.
const STATE_DIR: &str = "var/lib/warden";
/// The socket's directory.
const RUN_DIR: &str = "run/warden";
/// Where hooks spool events without an action while the monitor is down.
const SPOOL_DIR: &str = "var/spool/warden";
/// Root-owned configuration and policy.
const ETC_DIR: &str = "etc/warden";
/// Claude Code's managed settings on Linux.
const CLAUDE_MANAGED: &str = "etc/claude-code/managed-settings.json";
/// The systemd unit.
const UNIT: &str = "etc/systemd/system/warden.service";
/// Where the binaries go.
const BIN_DIR: &str = "usr/local/bin";
/// Warden's OpenClaw plugin (root-owned: the agent cannot change what OpenClaw loads from it).
const OPENCLAW_PLUGIN_DIR: &str = "usr/local/lib/warden/openclaw-plugin";

/// Every path of the deployment under a root.
struct Layout {
    root: PathBuf,
}

impl Layout {
    fn at(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// A user's uid, gid and home from the passwd database (by name or uid).
pub(crate) fn passwd(name: &str) -> Result<Option<(u32, u32, PathBuf)>> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .output()
        .context("cannot run `getent passwd`")?;
    if !out.status.success() {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = line.trim().split(':').collect();
    match (
        f.get(2).and_then(|s| s.parse().ok()),
        f.get(3).and_then(|s| s.parse().ok()),
        f.get(5),
    ) {
        (Some(uid), Some(gid), Some(home)) => Ok(Some((uid, gid, PathBuf::from(home)))),
        _ => bail!("`getent passwd {name}` gave an unreadable line: {line}"),
    }
}

fn run(cmd: &mut Command) -> Result<()> {
    let st = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed ({st})");
    }
    Ok(())
}

fn dir(path: &Path, mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    if let Some((u, g)) = owner {
        std::os::unix::fs::chown(path, Some(u), Some(g))
            .with_context(|| format!("cannot chown `{}`", path.display()))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot chmod `{}`", path.display()))
}

/// Write a root-owned file atomically (mode `mode`).
fn write_root(path: &Path, text: &str, mode: u32) -> Result<()> {
    if let Some(d) = path.parent() {
        dir(d, 0o755, Some((0, 0)))?;
    }
    let tmp = path.with_extension("warden-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::os::unix::fs::chown(&tmp, Some(0), Some(0))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
}

fn copy_bin(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("warden-tmp");
    std::fs::copy(from, &tmp)
        .with_context(|| format!("cannot copy `{}` to `{}`", from.display(), tmp.display()))?;
    std::os::unix::fs::chown(&tmp, Some(0), Some(0))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, to).with_context(|| format!("cannot replace `{}`", to.display()))
}

/// The systemd unit for a monitor running as `monitor`, serving the agent `agent_uid`.
fn unit(l: &Layout, monitor: &str, agent_uid: u32) -> String {
    let warden = l.at(BIN_DIR).join("warden");
    format!(
        "# Written by `warden install`; `warden uninstall` removes it.
[Unit]
Description=Warden monitor (runtime security for AI agents), protected deployment
After=network.target

[Service]
Type=simple
User={monitor}
Group={monitor}
StateDirectory=warden
StateDirectoryMode=0700
RuntimeDirectory=warden
RuntimeDirectoryMode=0755
RuntimeDirectoryPreserve=yes
Environment=WARDEN_LOG=info
ExecStart={warden} serve --protected --state-dir {state} --socket {sock} --socket-mode 666 --allow-uid {agent_uid} --spool-dir {spool} --managed-policy {managed} --log-json --kernel-audit
# Landlock logs each refusal of a tool sandbox to the kernel audit log: the monitor reads it
# (CAP_AUDIT_READ) and switches audit on when it is off (CAP_AUDIT_CONTROL). The config watch
# reads the agent's configuration in a home of mode 0700 (CAP_DAC_READ_SEARCH; the monitor
# keeps it out of effect everywhere else, so it never reads a file the agent names with it).
AmbientCapabilities=CAP_AUDIT_READ CAP_AUDIT_CONTROL CAP_DAC_READ_SEARCH
CapabilityBoundingSet=CAP_AUDIT_READ CAP_AUDIT_CONTROL CAP_DAC_READ_SEARCH
KillSignal=SIGTERM
TimeoutStopSec=10
Restart=always
RestartSec=1
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={spool}
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
UMask=0077

[Install]
WantedBy=multi-user.target
",
        warden = warden.display(),
        state = l.at(STATE_DIR).display(),
        sock = l.at(RUN_DIR).join("warden.sock").display(),
        spool = l.at(SPOOL_DIR).display(),
        managed = l.at(ETC_DIR).join("managed.yaml").display(),
    )
}

fn systemd_running(l: &Layout) -> bool {
    l.root == Path::new("/") && Path::new("/run/systemd/system").is_dir()
}

/// The agent's user: `--user`, else the user who ran sudo.
fn agent_user(args: &InstallArgs) -> Result<String> {
    args.user
        .clone()
        .or_else(|| std::env::var("SUDO_USER").ok().filter(|u| u != "root"))
        .ok_or_else(|| anyhow!("name the agent's user: `sudo warden install --user NAME` (or run it with sudo from that user)"))
}

/// `warden install`.
pub fn install(args: &InstallArgs) -> Result<Code> {
    if !rustix::process::geteuid().is_root() {
        bail!("the protected deployment needs root: `sudo warden install`");
    }
    let l = Layout {
        root: args.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    };
    let agent = agent_user(args)?;
    let (agent_uid, agent_gid, agent_home) =
        passwd(&agent)?.ok_or_else(|| anyhow!("no user `{agent}`"))?;
    let agent_home = rooted_home(&l, agent_home);
    if agent_uid == 0 {
        bail!("the agent must not run as root: name its own user with --user");
    }
    let monitor = args.monitor_user.as_str();
    if passwd(monitor)?.is_none() {
        run(Command::new("useradd").args([
            "--system",
            "--home-dir",
            "/var/lib/warden",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            monitor,
        ]))?;
        eprintln!("created the system user `{monitor}`");
    }
    let (mon_uid, mon_gid, _) =
        passwd(monitor)?.ok_or_else(|| anyhow!("no user `{monitor}` after useradd"))?;
    if mon_uid == agent_uid {
        bail!("the monitor's user and the agent's user must differ");
    }
    let mon = Some((mon_uid, mon_gid));

    // Binaries: root-owned copies, so the agent cannot replace what its hooks run.
    let bin = l.at(BIN_DIR);
    dir(&bin, 0o755, Some((0, 0)))?;
    let exe = std::env::current_exe().context("cannot tell where this binary is")?;
    copy_bin(&exe, &bin.join("warden"))?;
    let slim = exe.parent().map(|d| d.join("warden-hook"));
    let hook = match slim.filter(|p| p.is_file()) {
        Some(s) => {
            copy_bin(&s, &bin.join("warden-hook"))?;
            bin.join("warden-hook")
        }
        None => bin.join("warden"),
    };

    // State, socket and spool directories, owned by the monitor.
    dir(&l.at(STATE_DIR), 0o700, mon)?;
    dir(&l.at(RUN_DIR), 0o755, mon)?;
    // Sticky and writable by all, listable by none: a hook leaves a file, nobody reads others'.
    dir(&l.at(SPOOL_DIR), 0o1733, mon)?;
    let witness = l.at(STATE_DIR).join(warden_audit::WITNESS_FILE);
    let w = warden_audit::Witness {
        file: witness.clone(),
        syslog: None,
    };
    if !witness.exists() {
        std::fs::write(&witness, "")?;
    }
    // An append-only file refuses chown and chmod: a second install leaves it as it is.
    if !w.append_only() {
        std::os::unix::fs::chown(&witness, Some(mon_uid), Some(mon_gid))?;
        std::fs::set_permissions(&witness, std::fs::Permissions::from_mode(0o600))?;
    }
    match warden_audit::make_append_only(&witness) {
        Ok(()) => eprintln!("witness: `{}` is append-only (chattr +a)", witness.display()),
        Err(e) => eprintln!(
            "warning: `{}` could not be made append-only ({e}); the witness is only as safe as the monitor's user",
            witness.display()
        ),
    }

    // Root-owned configuration.
    let etc = l.at(ETC_DIR);
    dir(&etc, 0o755, Some((0, 0)))?;
    for (file, what) in [
        (
            "managed.yaml",
            "the organisation's rules: nothing below can disable them",
        ),
        (
            "policy.yaml",
            "the user layer of the protected deployment (lists, disable, tools)",
        ),
    ] {
        let p = etc.join(file);
        if !p.exists() {
            write_root(&p, &format!("# Warden policy: {what}.\n# `warden policy baseline` prints the built-in rules.\nversion: 1\n"), 0o644)?;
        }
    }
    let client = ClientConfig {
        socket: l.at(RUN_DIR).join("warden.sock"),
        monitor_uid: mon_uid,
        spool_dir: Some(l.at(SPOOL_DIR)),
    };
    let client_path = etc.join("client.json");
    write_root(
        &client_path,
        &(serde_json::to_string_pretty(&client)? + "\n"),
        0o644,
    )?;
    write_root(&l.at(UNIT), &unit(&l, monitor, agent_uid), 0o644)?;

    // Every Bash command of Claude Code runs in the kernel sandbox (`warden exec`), through a
    // root-owned wrapper named by the managed settings' shell prefix.
    let wrapper = bin.join("warden-claude-shell");
    write_root(
        &wrapper,
        &crate::init_sandbox::script(&bin.join("warden").display().to_string()),
        0o755,
    )?;
    // Hooks: Claude Code's managed settings (root-owned; user settings cannot remove them).
    let extra = format!("--client-config {}", client_path.display());
    let managed = l.at(CLAUDE_MANAGED);
    edit_json(&managed, |doc| {
        let mut doc = crate::init::apply_with(
            doc,
            Agent::ClaudeCode,
            &hook.display().to_string(),
            &extra,
            false,
        )?;
        // Managed values win: a user or project `disableAllHooks` cannot switch Warden off.
        doc["disableAllHooks"] = json!(false);
        if !args.no_sandbox {
            doc["env"][crate::init_sandbox::PREFIX_ENV] = json!(wrapper.display().to_string());
        }
        Ok(doc)
    })?;
    eprintln!(
        "hooks: Claude Code managed settings `{}`",
        managed.display()
    );
    // Codex and OpenClaw have no system-wide hook or plugin config: Warden goes into the agent
    // user's own files, which that user can edit. `init` runs as that user, so root never reads
    // or writes the agent's home (a symlink planted there reaches only what the agent can write).
    let as_agent = |args: &[&str]| init_as_agent(&l, (agent_uid, agent_gid), &agent_home, args);
    let hook_text = hook.display().to_string();
    let client_text = client_path.display().to_string();
    if args.codex {
        as_agent(&[
            "codex",
            "--command",
            &hook_text,
            "--client-config",
            &client_text,
        ])?;
        eprintln!("hooks: Codex, in the agent user's `~/.codex` (that user can edit it: Codex has no managed hook file)");
    }
    if args.openclaw {
        // The plugin's files are root's: the agent cannot change what OpenClaw loads from there.
        let dir = l.at(OPENCLAW_PLUGIN_DIR);
        self::dir(&dir, 0o755, Some((0, 0)))?;
        crate::init_openclaw::write_plugin(&dir)?;
        let socket = l.at(RUN_DIR).join("warden.sock").display().to_string();
        let dir_text = dir.display().to_string();
        as_agent(&["openclaw", "--plugin-dir", &dir_text, "--socket", &socket])?;
        eprintln!("OpenClaw: plugin in `{dir_text}` (root-owned), loaded by the agent user's OpenClaw config (that user can edit it)");
    }
    start(&l)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "protected": true, "monitor_user": monitor, "monitor_uid": mon_uid,
            "agent_user": agent, "agent_uid": agent_uid,
            "state_dir": l.at(STATE_DIR), "client_config": client_path,
            "unit": l.at(UNIT), "claude_code_managed_settings": managed,
            "admin": format!("sudo -u {monitor} {} approvals list --client-config {}", bin.join("warden").display(), client_path.display()),
        }))?
    );
    Ok(Code::Ok)
}

fn start(l: &Layout) -> Result<()> {
    if systemd_running(l) {
        run(Command::new("systemctl").arg("daemon-reload"))?;
        run(Command::new("systemctl").args(["enable", "--now", "warden.service"]))?;
        eprintln!("started: systemctl status warden");
    } else {
        eprintln!(
            "systemd is not running here (or --root was given): start the monitor with `{}`'s ExecStart line",
            l.at(UNIT).display()
        );
    }
    Ok(())
}

/// Read a JSON settings file (missing: `{}`), change it, back it up and write it back.
fn edit_json(path: &Path, f: impl FnOnce(Value) -> Result<Value>) -> Result<()> {
    let (old, doc) = crate::init::read_settings(path)?;
    let new = f(doc.clone())?;
    if new == doc && old.is_some() {
        return Ok(());
    }
    if let Some(t) = &old {
        let backup = crate::init::backup_path(path);
        std::fs::write(&backup, t)
            .with_context(|| format!("cannot write the backup `{}`", backup.display()))?;
    }
    write_root(path, &(serde_json::to_string_pretty(&new)? + "\n"), 0o644)
}

/// The agent's home as seen under the install root (`--root`), where its files are.
fn rooted_home(l: &Layout, home: PathBuf) -> PathBuf {
    match home.strip_prefix("/") {
        Ok(rel) if l.root != Path::new("/") => l.root.join(rel),
        _ => home,
    }
}

/// Run `warden init ARGS` (the installed binary) as the agent's user, with only its home in the
/// environment.
fn init_as_agent(l: &Layout, (uid, gid): (u32, u32), home: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("setpriv")
        .args([
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".into(),
            "--".into(),
        ])
        .arg(l.at(BIN_DIR).join("warden"))
        .arg("init")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .current_dir("/")
        .output()
        .context("cannot run `setpriv` (util-linux) to act as the agent's user")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "`warden init {}` as the agent's user (uid {uid}) failed: {}",
            args.join(" "),
            stderr.trim()
        );
    }
    eprint!("{stderr}");
    Ok(())
}

/// `warden uninstall`: stop and remove the unit, the hooks and the client config. The state
/// (audit log, key) stays unless `--purge`.
pub fn uninstall(args: &InstallArgs) -> Result<Code> {
    if !rustix::process::geteuid().is_root() {
        bail!("removing the protected deployment needs root: `sudo warden uninstall`");
    }
    let l = Layout {
        root: args.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    };
    if systemd_running(&l) {
        let _ = run(Command::new("systemctl").args(["disable", "--now", "warden.service"]));
    }
    let _ = std::fs::remove_file(l.at(UNIT));
    let managed = l.at(CLAUDE_MANAGED);
    if managed.exists() {
        edit_json(&managed, |doc| {
            let mut doc = crate::init::apply(doc, Agent::ClaudeCode, "warden-hook", true)?;
            if let Some(o) = doc.as_object_mut() {
                o.remove("disableAllHooks");
                if let Some(env) = o.get_mut("env").and_then(Value::as_object_mut) {
                    env.remove(crate::init_sandbox::PREFIX_ENV);
                }
                if o.get("env")
                    .and_then(Value::as_object)
                    .is_some_and(|e| e.is_empty())
                {
                    o.remove("env");
                }
            }
            Ok(doc)
        })?;
    }
    if let Ok(agent) = agent_user(args) {
        if let Some((uid, gid, home)) = passwd(&agent)? {
            // As at install: the agent's files are edited by the agent's user, not by root.
            let home = rooted_home(&l, home);
            let dir = l.at(OPENCLAW_PLUGIN_DIR).display().to_string();
            let steps: [(&str, &[&str]); 2] = [
                (".codex/hooks.json", &["codex", "--uninstall"]),
                (
                    ".openclaw/openclaw.json",
                    &["openclaw", "--uninstall", "--plugin-dir", &dir],
                ),
            ];
            for (file, init) in steps {
                if home.join(file).exists() {
                    if let Err(e) = init_as_agent(&l, (uid, gid), &home, init) {
                        eprintln!("warning: {e:#}");
                    }
                }
            }
        }
    }
    crate::init_openclaw::remove_plugin(&l.at(OPENCLAW_PLUGIN_DIR))?;
    let _ = std::fs::remove_dir(l.at(OPENCLAW_PLUGIN_DIR).parent().unwrap_or(Path::new("/")));
    let _ = std::fs::remove_file(l.at(ETC_DIR).join("client.json"));
    if args.purge {
        let witness = l.at(STATE_DIR).join(warden_audit::WITNESS_FILE);
        let _ = Command::new("chattr").arg("-a").arg(&witness).status();
        let _ = std::fs::remove_dir_all(l.at(STATE_DIR));
        let _ = std::fs::remove_dir_all(l.at(SPOOL_DIR));
        eprintln!("purged the state directory (audit log and key)");
    } else {
        eprintln!(
            "kept the audit log in `{}` (`--purge` removes it)",
            l.at(STATE_DIR).display()
        );
    }
    eprintln!("the protected deployment is removed");
    Ok(Code::Ok)
}
