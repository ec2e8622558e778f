//! The path environment of a live hook: the real home, the agent's cwd and workspace.

use warden_action::PathEnv;

/// The environment paths are resolved in for a live agent: home and variables from this process,
/// `cwd` from the payload, symlinks resolved through the real filesystem.
pub fn host_env(cwd: &str, workspace: Option<&str>) -> PathEnv {
    let mut vars: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    // The agent's shell runs in its own cwd, not the hook's.
    vars.insert("PWD".into(), cwd.to_string());
    let home = vars.get("HOME").cloned().unwrap_or_else(|| "/".to_string());
    PathEnv {
        home,
        cwd: cwd.to_string(),
        workspace: workspace.map(str::to_string),
        vars,
        resolve_symlinks: true,
        scripts: Default::default(),
    }
}
