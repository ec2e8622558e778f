//! `warden init claude-code --sandbox`: every Bash command Claude Code runs goes through
//! `warden exec`. Claude Code runs `'<CLAUDE_CODE_SHELL_PREFIX>' '<command>'`, quoting the prefix
//! as one executable path, so the prefix is a small script (in Warden's config directory, which
//! the sandbox never lets a command write) that hands the command string to `warden exec`.
//! The wrapper only adds restrictions: it answers nothing on the agent's behalf.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};

use crate::cli::{Agent, InitArgs};

/// The settings key Claude Code reads the shell prefix from (under `env`).
pub const PREFIX_ENV: &str = "CLAUDE_CODE_SHELL_PREFIX";

/// The wrapper script's file name in Warden's config directory.
pub const WRAPPER: &str = "claude-shell";

fn config_dir() -> PathBuf {
    crate::load::config_home().join("warden")
}

/// The wrapper: one argument is a shell command string; more are a program and its arguments.
/// Claude Code exports its session id to the commands it runs (`CLAUDE_CODE_SESSION_ID`): the
/// sandbox's report names the session, and the monitor finds the call by its command line.
pub(crate) fn script(warden: &str) -> String {
    let w = format!("'{warden}' exec");
    [
        "#!/bin/sh",
        "# Written by `warden init claude-code --sandbox`: Claude Code's Bash commands run in",
        "# Warden's kernel sandbox. A command that cannot start in the sandbox fails; it never runs bare.",
        "session=${CLAUDE_CODE_SESSION_ID:-}",
        "if [ \"$#\" -eq 1 ]; then",
        &format!("  [ -n \"$session\" ] && exec {w} --session \"$session\" -- /bin/bash -c \"$1\""),
        &format!("  exec {w} -- /bin/bash -c \"$1\""),
        "fi",
        &format!("[ -n \"$session\" ] && exec {w} --session \"$session\" -- \"$@\""),
        &format!("exec {w} -- \"$@\""),
        "",
    ]
    .join("\n")
}

/// Set (or, with `--uninstall`, remove) the shell prefix in the settings document, and write
/// the wrapper script.
pub fn apply(doc: &mut Value, args: &InitArgs) -> Result<()> {
    if args.agent != Agent::ClaudeCode {
        if args.sandbox {
            return Err(anyhow!(
                "`--sandbox` is for Claude Code; Codex has no shell prefix setting yet"
            ));
        }
        return Ok(());
    }
    let wrapper = config_dir().join(WRAPPER);
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| anyhow!("the settings file is not a JSON object"))?;
    let env = obj.entry("env").or_insert_with(|| json!({}));
    let env = env
        .as_object_mut()
        .ok_or_else(|| anyhow!("`env` in the settings file is not an object"))?;
    if args.uninstall {
        if env
            .get(PREFIX_ENV)
            .and_then(Value::as_str)
            .is_some_and(|p| p.ends_with(WRAPPER))
        {
            env.remove(PREFIX_ENV);
        }
        if env.is_empty() {
            obj.remove("env");
        }
        return Ok(());
    }
    let warden = std::env::current_exe().context("cannot tell where this binary is")?;
    std::fs::create_dir_all(config_dir())
        .with_context(|| format!("cannot create `{}`", config_dir().display()))?;
    std::fs::write(&wrapper, script(&warden.display().to_string()))
        .with_context(|| format!("cannot write `{}`", wrapper.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make `{}` executable", wrapper.display()))?;
    env.insert(PREFIX_ENV.into(), json!(wrapper.display().to_string()));
    eprintln!(
        "Bash commands of Claude Code will run in the kernel sandbox through `{}`",
        wrapper.display()
    );
    Ok(())
}
