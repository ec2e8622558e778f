//! `warden init openclaw`: install Warden's OpenClaw plugin.
//!
//! The plugin's files are part of this binary; they are written to Warden's config directory
//! (`~/.config/warden/openclaw-plugin`), and OpenClaw's config (`$OPENCLAW_CONFIG_PATH`, else
//! `~/.openclaw/openclaw.json`) gets the directory in `plugins.load.paths`, the plugin enabled
//! under `plugins.entries.warden` (with prompt access for the policy guide and a
//! `before_tool_call` budget longer than the monitor's approval wait), and `warden` added to
//! `plugins.allow` when that list exists. Idempotent; a backup of the config as it was;
//! `--uninstall` removes all of it. A config that is not plain JSON (OpenClaw reads JSON5) is
//! not touched: the command says what to add by hand.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Map, Value};

use crate::cli::InitArgs;
use crate::exit::Code;
use crate::init::read_settings;

/// The plugin's id (its manifest's `id`).
pub const PLUGIN_ID: &str = "warden";

/// The plugin directory's name in Warden's config directory.
pub const PLUGIN_DIR: &str = "openclaw-plugin";

/// Longer than the monitor's longest approval wait, so a person can answer through
/// `warden approvals` before OpenClaw's hook budget runs out (OpenClaw blocks on expiry).
const TOOL_HOOK_TIMEOUT_MS: u64 = 120_000;

/// The plugin's files, as shipped in `integrations/openclaw`.
pub const PLUGIN_FILES: &[(&str, &str)] = &[
    (
        "package.json",
        include_str!("../../../../integrations/openclaw/package.json"),
    ),
    (
        "openclaw.plugin.json",
        include_str!("../../../../integrations/openclaw/openclaw.plugin.json"),
    ),
    (
        "index.js",
        include_str!("../../../../integrations/openclaw/index.js"),
    ),
    (
        "warden.js",
        include_str!("../../../../integrations/openclaw/warden.js"),
    ),
];

/// OpenClaw's config file.
pub fn config_path() -> PathBuf {
    std::env::var_os("OPENCLAW_CONFIG_PATH")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| crate::load::home().join(".openclaw").join("openclaw.json"))
}

/// Where the plugin's files go.
pub fn plugin_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| crate::load::home().join(".config"))
        .join("warden")
        .join(PLUGIN_DIR)
}

fn object<'a>(v: &'a mut Value, key: &str, what: &str) -> Result<&'a mut Map<String, Value>> {
    let obj = v
        .as_object_mut()
        .ok_or_else(|| anyhow!("`{what}` in OpenClaw's config is not an object"))?;
    obj.entry(key.to_string())
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| {
            let at = if what.is_empty() {
                key.to_string()
            } else {
                format!("{what}.{key}")
            };
            anyhow!("`{at}` in OpenClaw's config is not an object")
        })
}

fn is_ours(path: &Value, dir: &str) -> bool {
    path.as_str().is_some_and(|p| {
        p.trim_end_matches('/') == dir.trim_end_matches('/')
            || p.trim_end_matches('/').ends_with("/warden/openclaw-plugin")
    })
}

/// OpenClaw's config with Warden's plugin installed from `dir` (or removed).
pub fn apply(mut doc: Value, dir: &str, uninstall: bool) -> Result<Value> {
    if !doc.is_object() {
        return Err(anyhow!("OpenClaw's config is not a JSON object"));
    }
    let plugins = object(&mut doc, "plugins", "")?;
    // plugins.load.paths
    {
        let load = plugins
            .entry("load")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| anyhow!("`plugins.load` in OpenClaw's config is not an object"))?;
        let paths = load
            .entry("paths")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or_else(|| anyhow!("`plugins.load.paths` in OpenClaw's config is not a list"))?;
        paths.retain(|p| !is_ours(p, dir));
        if !uninstall {
            paths.push(json!(dir));
        }
        if paths.is_empty() {
            load.remove("paths");
        }
        if load.is_empty() {
            plugins.remove("load");
        }
    }
    // plugins.entries.warden
    {
        let entries = plugins
            .entry("entries")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| anyhow!("`plugins.entries` in OpenClaw's config is not an object"))?;
        if uninstall {
            entries.remove(PLUGIN_ID);
        } else {
            let entry = entries
                .entry(PLUGIN_ID.to_string())
                .or_insert_with(|| json!({}));
            let e = entry.as_object_mut().ok_or_else(|| {
                anyhow!("`plugins.entries.{PLUGIN_ID}` in OpenClaw's config is not an object")
            })?;
            e.insert("enabled".into(), json!(true));
            let hooks = object(entry, "hooks", &format!("plugins.entries.{PLUGIN_ID}"))?;
            hooks.insert("allowConversationAccess".into(), json!(true));
            hooks.insert("allowPromptInjection".into(), json!(true));
            let timeouts = hooks
                .entry("timeouts")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| anyhow!("`plugins.entries.{PLUGIN_ID}.hooks.timeouts` in OpenClaw's config is not an object"))?;
            timeouts.insert("before_tool_call".into(), json!(TOOL_HOOK_TIMEOUT_MS));
        }
        if entries.is_empty() {
            plugins.remove("entries");
        }
    }
    // plugins.allow, only when the user keeps an allowlist.
    if let Some(allow) = plugins.get_mut("allow").and_then(Value::as_array_mut) {
        allow.retain(|p| p.as_str() != Some(PLUGIN_ID));
        if !uninstall {
            allow.push(json!(PLUGIN_ID));
        }
    }
    // An explicit deny of the plugin would silently switch Warden off.
    if !uninstall {
        if let Some(deny) = plugins.get("deny").and_then(Value::as_array) {
            if deny.iter().any(|p| p.as_str() == Some(PLUGIN_ID)) {
                return Err(anyhow!(
                    "OpenClaw's config lists `{PLUGIN_ID}` in `plugins.deny`; remove it there first"
                ));
            }
        }
    }
    if plugins.is_empty() {
        if let Some(o) = doc.as_object_mut() {
            o.remove("plugins");
        }
    }
    Ok(doc)
}

/// Write the plugin's files into `dir`; whether anything changed.
pub(crate) fn write_plugin(dir: &Path) -> Result<bool> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut changed = false;
    for (name, text) in PLUGIN_FILES {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(*text) {
            continue;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        changed = true;
    }
    Ok(changed)
}

/// Remove the plugin's files (and the directory, when nothing else is in it).
pub(crate) fn remove_plugin(dir: &Path) -> Result<bool> {
    let mut changed = false;
    for (name, _) in PLUGIN_FILES {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => changed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove `{name}`")),
        }
    }
    // Only an empty directory goes; anything the user put there stays.
    let _ = std::fs::remove_dir(dir);
    Ok(changed)
}

/// Run `warden init openclaw`.
pub fn run(args: &InitArgs) -> Result<Code> {
    let path = config_path();
    let dir = args.plugin_dir.clone().unwrap_or_else(plugin_dir);
    let dir_text = dir.display().to_string();
    let (old, doc) = read_settings(&path).map_err(|e| {
        anyhow!(
            "{e:#}\nOpenClaw reads JSON5; Warden edits plain JSON only. Add by hand: plugins.load.paths += \"{dir_text}\", plugins.entries.{PLUGIN_ID} = {{ enabled: true, hooks: {{ allowConversationAccess: true, timeouts: {{ before_tool_call: {TOOL_HOOK_TIMEOUT_MS} }} }} }}"
        )
    })?;
    // A given plugin directory (the protected deployment's, root-owned) is only loaded.
    let files_changed = match (&args.plugin_dir, args.uninstall) {
        (Some(_), _) => false,
        (None, true) => remove_plugin(&dir)?,
        (None, false) => write_plugin(&dir)?,
    };
    let mut new = apply(doc.clone(), &dir_text, args.uninstall)?;
    if let (Some(socket), false) = (&args.socket, args.uninstall) {
        new["plugins"]["entries"][PLUGIN_ID]["config"]["socket"] =
            json!(socket.display().to_string());
    }
    if new == doc && (old.is_some() || args.uninstall) {
        eprintln!(
            "`{}` already {}{}",
            path.display(),
            if args.uninstall {
                "has no Warden plugin"
            } else {
                "loads Warden's plugin"
            },
            if files_changed {
                format!(" (plugin files updated in `{dir_text}`)")
            } else {
                String::new()
            }
        );
        return Ok(Code::Ok);
    }
    crate::init::write_settings(&path, old.as_deref(), &new)?;
    if args.uninstall {
        eprintln!(
            "removed Warden's OpenClaw plugin from `{}` and `{dir_text}`",
            path.display()
        );
    } else {
        eprintln!(
            "installed Warden's OpenClaw plugin: files in `{dir_text}`, loaded by `{}`; start the monitor with `warden serve` (without it every tool call is blocked)",
            path.display()
        );
    }
    Ok(Code::Ok)
}

/// What `warden doctor` says of OpenClaw: `None` when OpenClaw has no config here; else whether
/// the plugin is installed and current, and the words.
pub fn status() -> Option<(bool, String)> {
    let path = config_path();
    let text = std::fs::read_to_string(&path).ok()?;
    let Some(doc) = warden_daemon::openclaw_config::parse(&text) else {
        return Some((
            false,
            format!(
                "`{}` is not JSON5; cannot tell whether Warden's plugin loads",
                path.display()
            ),
        ));
    };
    let dir = plugin_dir();
    let dir_text = dir.display().to_string();
    let loaded = doc
        .pointer("/plugins/load/paths")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|v| is_ours(v, &dir_text)));
    let enabled =
        doc.pointer(&format!("/plugins/entries/{PLUGIN_ID}/enabled")) == Some(&json!(true));
    if !(loaded && enabled) {
        return Some((
            false,
            format!(
                "`{}` does not load Warden's plugin: OpenClaw's tools are not gated",
                path.display()
            ),
        ));
    }
    let stale: Vec<&str> = PLUGIN_FILES
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(*text)
        })
        .map(|(name, _)| *name)
        .collect();
    if stale.is_empty() {
        Some((
            true,
            format!(
                "Warden's plugin in `{dir_text}`, loaded by `{}`",
                path.display()
            ),
        ))
    } else {
        Some((
            false,
            format!(
                "the plugin in `{dir_text}` is missing or differs from this warden's: {}",
                stale.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn install_keeps_other_settings_and_uninstall_restores_them() {
        let doc = json!({"agents": {"defaults": {"model": "x"}}, "plugins": {"allow": ["other"], "load": {"paths": ["/opt/p"]}}});
        let on = apply(doc.clone(), "/h/.config/warden/openclaw-plugin", false).unwrap();
        assert_eq!(
            on["plugins"]["load"]["paths"],
            json!(["/opt/p", "/h/.config/warden/openclaw-plugin"])
        );
        assert_eq!(on["plugins"]["allow"], json!(["other", "warden"]));
        assert_eq!(on["plugins"]["entries"]["warden"]["enabled"], json!(true));
        let again = apply(on.clone(), "/h/.config/warden/openclaw-plugin", false).unwrap();
        assert_eq!(again, on);
        let off = apply(on, "/h/.config/warden/openclaw-plugin", true).unwrap();
        assert_eq!(off, doc);
        assert!(apply(json!({"plugins": {"deny": ["warden"]}}), "/d", false).is_err());
        assert!(apply(json!({"plugins": []}), "/d", false).is_err());
        assert!(apply(json!([]), "/d", false).is_err());
    }
}
