//! `warden doctor`: is this machine protected, and if not, the command that fixes each gap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};
use warden_daemon::client;
use warden_daemon::proto::{ClientEnv, Request, Response};

use crate::cli::DoctorArgs;
use crate::exit::Code;
use crate::load;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

struct Check {
    name: &'static str,
    level: Level,
    detail: String,
    fix: Option<String>,
}

fn check(name: &'static str, level: Level, detail: String, fix: Option<&str>) -> Check {
    Check {
        name,
        level,
        detail,
        fix: fix.map(str::to_string),
    }
}

/// Run `warden doctor`.
pub fn run(args: &DoctorArgs) -> Result<Code> {
    let mut out = Vec::new();
    let target = args.connect.target();
    match &target {
        Ok(t) if t.protected => out.push(check(
            "protection",
            Level::Ok,
            format!(
                "protected: the monitor runs as uid {} (client config trusted)",
                t.monitor_uid.unwrap_or(0)
            ),
            None,
        )),
        Ok(_) => out.push(check(
            "protection",
            Level::Warn,
            "unprotected: the agent's user can stop or rewire this monitor (per-user mode)".into(),
            Some("sudo warden install"),
        )),
        Err(e) => out.push(check(
            "protection",
            Level::Fail,
            e.clone(),
            Some("sudo warden install"),
        )),
    }
    if let Ok(t) = &target {
        out.push(reachable(t, args.connect.timeout));
        out.extend(observation(t, args.connect.timeout));
        out.extend(config_integrity(t, args.connect.timeout));
    }
    out.push(match load::policy(&args.policy, None) {
        Ok(p) => check(
            "policy",
            Level::Ok,
            format!("{} rules load and pass their tests", p.rule_count()),
            None,
        ),
        Err(e) => check(
            "policy",
            Level::Fail,
            load::render(&e),
            Some("warden policy lint FILE"),
        ),
    });
    out.extend(hooks());
    out.extend(openclaw());
    out.push(landlock());
    let worst = out.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    if args.json {
        let v: Vec<Value> = out
            .iter()
            .map(|c| json!({"check": c.name, "status": c.level.as_str(), "detail": c.detail, "fix": c.fix}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for c in &out {
            println!("{:<4}  {:<12}  {}", c.level.as_str(), c.name, c.detail);
            if let (Some(f), true) = (&c.fix, c.level != Level::Ok) {
                println!("{:<4}  {:<12}  fix: {f}", "", "");
            }
        }
    }
    Ok(if worst == Level::Fail {
        Code::Failed
    } else {
        Code::Ok
    })
}

/// Whether the monitor watches the agent's configuration files, and what it holds. Skipped
/// when this user may not read the monitor's status (an agent's user, in protected mode).
fn config_integrity(t: &warden_daemon::target::Target, timeout: Duration) -> Option<Check> {
    let v = match client::call_as(
        &t.socket,
        &Request::Status,
        timeout,
        t.monitor_uid,
        |_, _| {},
    ) {
        Ok(Response::Ok { value }) => value,
        _ => return None,
    };
    let c = &v["config_integrity"];
    let k = |key: &str| c[key].as_u64().unwrap_or(0);
    Some(if c.is_null() {
        check(
            "config",
            Level::Warn,
            "the monitor does not pin or watch agent settings".into(),
            Some("warden serve --watch-home DIR"),
        )
    } else if k("unwatched_dirs") > 0 || k("unreadable") > 0 {
        check(
            "config",
            Level::Fail,
            format!(
                "{} directories not watched, {} files unreadable to the monitor: changes there go unseen",
                k("unwatched_dirs"),
                k("unreadable")
            ),
            Some("warden config status"),
        )
    } else if k("held") > 0 {
        check(
            "config",
            Level::Warn,
            format!("{} configuration changes wait for a person", k("held")),
            Some("warden config diff; warden config approve | restore"),
        )
    } else {
        check(
            "config",
            Level::Ok,
            format!(
                "{} files pinned, {} directories watched",
                k("pinned"),
                k("watched_dirs")
            ),
            None,
        )
    })
}

/// Ask the monitor for a decision on a harmless action: reachable, authenticated, deciding.
fn reachable(t: &warden_daemon::target::Target, timeout: Duration) -> Check {
    let req = Request::Check {
        input: json!({"version": 1, "kind": "file_read", "path": "/dev/null"}),
        env: ClientEnv::from_process(),
        nonce: warden_daemon::proto::nonce(),
    };
    let fix = if t.protected {
        "sudo systemctl restart warden"
    } else {
        "warden serve &"
    };
    match client::call_as(&t.socket, &req, timeout, t.monitor_uid, |_, _| {}) {
        Ok(Response::Answer(_)) => check(
            "monitor",
            Level::Ok,
            format!("answers on `{}`", t.socket.display()),
            None,
        ),
        Ok(Response::Error { message }) => check("monitor", Level::Fail, message, Some(fix)),
        Ok(other) => check(
            "monitor",
            Level::Fail,
            format!("unexpected answer {other:?}"),
            Some(fix),
        ),
        Err(e) => check("monitor", Level::Fail, e.to_string(), Some(fix)),
    }
}

/// Whether the monitor reads the kernel's record of what sandboxes refused (asked only where
/// this user may read the monitor's status).
fn observation(t: &warden_daemon::target::Target, timeout: Duration) -> Option<Check> {
    let r = client::call_as(
        &t.socket,
        &Request::Status,
        timeout,
        t.monitor_uid,
        |_, _| {},
    );
    let Ok(Response::Ok { value }) = r else {
        return None;
    };
    let state = value.get("kernel_refusals").and_then(Value::as_str)?;
    Some(if state.starts_with("observed") {
        check(
            "observation",
            Level::Ok,
            "the monitor reads what each sandbox refused from the kernel audit log".into(),
            None,
        )
    } else {
        check(
            "observation",
            Level::Warn,
            format!("file accesses the sandbox refuses are not reported: {state}"),
            Some("sudo warden install (its monitor reads the kernel audit log)"),
        )
    })
}

/// Warden's hook commands in a settings file, if any.
fn warden_hooks(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    let cmds: Vec<String> = warden_vet::skills::settings_hooks(&doc)
        .into_iter()
        .map(|(_, _, c)| c)
        .filter(|c| c.contains("warden"))
        .collect();
    Some(cmds)
}

fn hooks() -> Vec<Check> {
    let home = load::home();
    let codex = std::env::var_os("CODEX_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".codex"));
    let places = [
        (
            "claude-code",
            PathBuf::from("/etc/claude-code/managed-settings.json"),
            "sudo warden install",
        ),
        (
            "claude-code",
            home.join(".claude/settings.json"),
            "warden init claude-code",
        ),
        ("codex", codex.join("hooks.json"), "warden init codex"),
    ];
    let mut out = Vec::new();
    for agent in ["claude-code", "codex"] {
        let mut found = Vec::new();
        for (_, path, _) in places.iter().filter(|(a, _, _)| *a == agent) {
            if let Some(cmds) = warden_hooks(path).filter(|c| !c.is_empty()) {
                found.push((path.clone(), cmds));
            }
        }
        let fix = places
            .iter()
            .find(|(a, _, _)| *a == agent)
            .map(|(_, _, f)| *f);
        let Some((path, cmds)) = found.first() else {
            out.push(check(
                if agent == "codex" {
                    "hooks:codex"
                } else {
                    "hooks:claude"
                },
                Level::Warn,
                format!("no Warden hooks for {agent}"),
                if agent == "codex" {
                    Some("warden init codex")
                } else {
                    fix
                },
            ));
            continue;
        };
        let program = cmds[0]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        let runs = Path::new(&program).is_file() || which(&program);
        out.push(check(
            if agent == "codex" {
                "hooks:codex"
            } else {
                "hooks:claude"
            },
            if runs { Level::Ok } else { Level::Fail },
            if runs {
                format!("{} hook commands in `{}`", cmds.len(), path.display())
            } else {
                format!(
                    "`{}` names `{program}`, which does not exist",
                    path.display()
                )
            },
            fix,
        ));
        if agent == "codex" {
            out.extend(codex_trust(path));
        }
    }
    out
}

/// Codex runs only hooks whose trust its `config.toml` records: Warden hooks without it are
/// listed by Codex and silently skipped.
fn codex_trust(hooks_path: &Path) -> Option<Check> {
    let config = hooks_path.with_file_name("config.toml");
    let missing = match crate::init_codex::untrusted(hooks_path, &config) {
        Ok(m) => m,
        Err(e) => {
            return Some(check(
                "hooks:codex-trust",
                Level::Fail,
                format!("cannot tell whether Codex trusts Warden's hooks: {e:#}"),
                Some("warden init codex"),
            ))
        }
    };
    Some(if missing.is_empty() {
        check(
            "hooks:codex-trust",
            Level::Ok,
            format!("Codex trusts Warden's hooks (`{}`)", config.display()),
            None,
        )
    } else {
        check(
            "hooks:codex-trust",
            Level::Fail,
            format!(
                "{} Warden hook(s) are untrusted in `{}`: Codex skips them, so nothing is checked",
                missing.len(),
                config.display()
            ),
            Some("warden init codex"),
        )
    })
}

/// OpenClaw, when it has a config here: is Warden's plugin loaded and current, and is the
/// deployment exposed (gateway, approvals, plugin and skill sources, model traffic)?
fn openclaw() -> Vec<Check> {
    let Some((ok, detail)) = crate::init_openclaw::status() else {
        return Vec::new();
    };
    let mut out = vec![check(
        "plugin:openclaw",
        if ok { Level::Ok } else { Level::Warn },
        detail,
        (!ok).then_some("warden init openclaw"),
    )];
    let path = crate::init_openclaw::config_path();
    if let Ok(m) = std::fs::metadata(&path) {
        use std::os::unix::fs::MetadataExt;
        if m.mode() & 0o022 != 0 {
            out.push(check(
                "openclaw:config",
                Level::Fail,
                format!(
                    "`{}` is writable by others (mode {:o}): they can change its tools, plugins and gateway",
                    path.display(),
                    m.mode() & 0o7777
                ),
                Some("chmod go-w the file"),
            ));
        }
    }
    let doc = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| warden_daemon::openclaw_config::parse(&t));
    let Some(doc) = doc else {
        return out;
    };
    let uid = rustix::process::getuid().as_raw();
    for f in warden_daemon::openclaw_config::audit(&doc, &load::home(), uid) {
        use warden_daemon::openclaw_config::Severity;
        let name = match f.check {
            "gateway" => "openclaw:gateway",
            "exec" => "openclaw:exec",
            "elevated" => "openclaw:elevated",
            "plugins" => "openclaw:plugins",
            "skills" => "openclaw:skills",
            _ => "openclaw:model",
        };
        let level = match f.severity {
            Severity::Critical => Level::Fail,
            Severity::Warn => Level::Warn,
        };
        out.push(check(name, level, f.message, Some(&f.fix)));
    }
    out
}

fn which(program: &str) -> bool {
    !program.contains('/')
        && std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// What the kernel sandbox of `warden exec` can enforce here.
fn landlock() -> Check {
    let abi = warden_sandbox::kernel_abi();
    let missing = warden_sandbox::missing_rights(abi);
    match (abi, missing.is_empty()) {
        (0, _) => check(
            "sandbox",
            Level::Warn,
            "no Landlock in this kernel: `warden exec` cannot confine file access (network and seccomp layers still apply)".into(),
            Some("a kernel with Landlock (Linux 5.13 or later, `lsm=...,landlock`)"),
        ),
        (abi, true) => check("sandbox", Level::Ok, format!("Landlock ABI {abi}: every layer of `warden exec` is enforced"), None),
        (abi, false) => check(
            "sandbox",
            Level::Warn,
            format!("Landlock ABI {abi}: not enforced here: {}", missing.join("; ")),
            Some("a newer kernel"),
        ),
    }
}
