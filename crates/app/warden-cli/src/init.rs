//! `warden init claude-code | codex`: install Warden's hooks in the agent's settings file,
//! idempotently (Warden's entries are replaced, everything else is kept), with a backup of the
//! file as it was; `--uninstall` removes them.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Map, Value};

use crate::cli::{Agent, InitArgs, InitScope};
use crate::exit::Code;
use crate::load;

/// Claude Code events Warden hooks, and whether each takes a tool matcher.
const CLAUDE_EVENTS: &[(&str, bool)] = &[
    ("PreToolUse", true),
    ("PermissionRequest", true),
    ("PostToolUse", true),
    ("UserPromptSubmit", false),
    ("SessionStart", false),
    ("SessionEnd", false),
    ("SubagentStart", false),
    ("SubagentStop", false),
    ("ConfigChange", false),
];

/// Codex events Warden hooks.
const CODEX_EVENTS: &[(&str, bool)] = &[
    ("PreToolUse", true),
    ("PostToolUse", true),
    ("UserPromptSubmit", false),
    ("SessionStart", false),
];

fn settings_path(args: &InitArgs) -> Result<PathBuf> {
    Ok(match (args.agent, args.scope) {
        (Agent::ClaudeCode, InitScope::User) => load::home().join(".claude").join("settings.json"),
        (Agent::ClaudeCode, InitScope::Project) => {
            let dir = match &args.project {
                Some(p) => p.clone(),
                None => std::env::current_dir().context("no current directory")?,
            };
            dir.join(".claude").join("settings.json")
        }
        (Agent::Openclaw, _) => crate::init_openclaw::config_path(),
        (Agent::Codex, _) => std::env::var_os("CODEX_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| load::home().join(".codex"))
            .join("hooks.json"),
    })
}

/// Whether a hook entry is one of Warden's.
pub(crate) fn is_warden(hook: &Value, agent: &str) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| {
            c.contains("warden")
                && c.split_whitespace()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| w[0].trim_matches('"').ends_with("hook") && w[1] == agent)
        })
}

/// Remove Warden's entries from `hooks`; drop groups and events left empty.
fn strip(hooks: &mut Map<String, Value>, agent: &str) {
    for (_, groups) in hooks.iter_mut() {
        if let Some(groups) = groups.as_array_mut() {
            for g in groups.iter_mut() {
                if let Some(list) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                    list.retain(|h| !is_warden(h, agent));
                }
            }
            groups.retain(|g| {
                g.get("hooks")
                    .and_then(Value::as_array)
                    .is_none_or(|l| !l.is_empty())
            });
        }
    }
    hooks.retain(|_, g| g.as_array().is_none_or(|a| !a.is_empty()));
}

/// The settings document with Warden's hooks installed (or removed).
pub fn apply(doc: Value, agent: Agent, command: &str, uninstall: bool) -> Result<Value> {
    apply_with(doc, agent, command, "", uninstall)
}

/// [`apply`], with `extra` arguments after the agent's name in every hook command.
pub fn apply_with(
    mut doc: Value,
    agent: Agent,
    command: &str,
    extra: &str,
    uninstall: bool,
) -> Result<Value> {
    let (name, events, matcher) = match agent {
        Agent::ClaudeCode => ("claude-code", CLAUDE_EVENTS, "*"),
        Agent::Codex => ("codex", CODEX_EVENTS, "*"),
        Agent::Openclaw => {
            return Err(anyhow!(
                "OpenClaw takes a plugin, not hooks: `warden init openclaw`"
            ))
        }
    };
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| anyhow!("the settings file is not a JSON object"))?;
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks
        .as_object_mut()
        .ok_or_else(|| anyhow!("`hooks` in the settings file is not an object"))?;
    strip(hooks, name);
    if !uninstall {
        for (event, takes_matcher) in events {
            // Any gated hook may hold the agent while a human answers an approval (at most
            // `MAX_APPROVAL_WAIT` plus the hook's own timeout); an agent that kills a hook
            // first would go ahead, so every Warden hook gets room beyond that.
            let timeout = crate::cli::AGENT_HOOK_TIMEOUT_SECS;
            // The slim `warden-hook` takes the agent directly; `warden` takes `hook AGENT`.
            let slim = command.trim_matches('"').ends_with("warden-hook");
            let mut line = if slim {
                format!("{command} {name}")
            } else {
                format!("{command} hook {name}")
            };
            if !extra.is_empty() {
                line.push(' ');
                line.push_str(extra);
            }
            let hook = json!({"type": "command", "command": line, "timeout": timeout});
            let mut group = json!({"hooks": [hook]});
            if *takes_matcher {
                group["matcher"] = json!(matcher);
            }
            let list = hooks.entry(event.to_string()).or_insert_with(|| json!([]));
            list.as_array_mut()
                .ok_or_else(|| anyhow!("`hooks.{event}` in the settings file is not a list"))?
                .push(group);
        }
    }
    if hooks.is_empty() {
        obj.remove("hooks");
    }
    Ok(doc)
}

/// A JSON settings file's text (`None` when missing) and document (`{}` when missing or empty);
/// an error when it exists but is not JSON, so it is never overwritten.
pub(crate) fn read_settings(path: &Path) -> Result<(Option<String>, Value)> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    };
    let doc: Value = match &old {
        Some(t) if !t.trim().is_empty() => serde_json::from_str(t)
            .with_context(|| format!("`{}` is not JSON; not touching it", path.display()))?,
        _ => json!({}),
    };
    Ok((old, doc))
}

/// Run `warden init`.
pub fn run(args: &InitArgs) -> Result<Code> {
    if args.agent == Agent::Openclaw {
        if args.autostart {
            crate::init_autostart::apply(args)?;
        }
        return crate::init_openclaw::run(args);
    }
    let path = settings_path(args)?;
    let command = match &args.command {
        Some(c) => c.clone(),
        None => {
            let exe = std::env::current_exe()
                .context("cannot tell where this binary is; pass --command")?;
            // Prefer the slim hook client next to this binary: it starts in half the time.
            exe.parent()
                .map(|d| d.join("warden-hook"))
                .filter(|p| p.is_file())
                .unwrap_or(exe)
        }
    };
    let command = command.display().to_string();
    let command = if command.contains(' ') {
        format!("\"{command}\"")
    } else {
        command
    };
    if args.autostart {
        crate::init_autostart::apply(args)?;
    }
    let (old, doc) = read_settings(&path)?;
    let extra = args
        .client_config
        .as_ref()
        .map(|c| format!("--client-config {}", c.display()))
        .unwrap_or_default();
    let mut new = apply_with(doc.clone(), args.agent, &command, &extra, args.uninstall)?;
    if args.sandbox || args.uninstall {
        crate::init_sandbox::apply(&mut new, args)?;
    }
    let codex_trust = (args.agent == Agent::Codex).then(|| {
        let trust = crate::init_codex::warden_trust(&path, &new);
        (path.with_file_name("config.toml"), trust)
    });
    if let Some((config, trust)) = &codex_trust {
        // Codex skips hooks whose trust its config.toml does not record: without this, a
        // plain init would leave every Warden hook listed but never run.
        crate::init_codex::write_trust(config, trust)?;
        if !trust.is_empty() && !args.uninstall {
            eprintln!(
                "recorded trust for Warden's {} hooks in `{}`",
                trust.len(),
                config.display()
            );
        }
    }
    if new == doc && old.is_some() {
        eprintln!(
            "`{}` already {}",
            path.display(),
            if args.uninstall {
                "has no Warden hooks"
            } else {
                "has Warden's hooks"
            }
        );
        return Ok(Code::Ok);
    }
    write_settings(&path, old.as_deref(), &new)?;
    eprintln!(
        "{} Warden's hooks {} `{}`",
        if args.uninstall {
            "removed"
        } else {
            "installed"
        },
        if args.uninstall { "from" } else { "in" },
        path.display()
    );
    Ok(Code::Ok)
}

/// Replace a JSON settings file: its directory created, the old text kept as a backup, the new
/// document written to a temporary file and renamed over it.
pub(crate) fn write_settings(path: &Path, old: Option<&str>, new: &Value) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    if let Some(t) = old {
        let backup = backup_path(path);
        std::fs::write(&backup, t)
            .with_context(|| format!("cannot write the backup `{}`", backup.display()))?;
        eprintln!("backup: {}", backup.display());
    }
    let tmp = path.with_extension("json.warden-tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(new)? + "\n")
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
}

pub(crate) fn backup_path(path: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}.warden-backup-{secs}"))
}
