//! Codex hook trust: Codex (0.171) lists the hooks in `~/.codex/hooks.json` but runs only those
//! whose trust is recorded in its `config.toml` as `[hooks.state."<file>:<event>:<group>:<hook>"]`
//! with `trusted_hash` equal to the hash of the hook's normalized identity; an untrusted hook is
//! skipped silently. `warden init codex` records that trust for Warden's own entries, in a block
//! it owns inside `config.toml` (replaced on every run, removed by `--uninstall`), and
//! `warden doctor` reports Warden hooks whose recorded trust is missing or stale.
//!
//! The identity, as Codex computes it: an object with `event_name` (the event in snake case),
//! `matcher` (when the group has one) and `hooks` (a list holding just this hook as
//! `{type, command, timeout, async}`); keys sorted at every level, serialized as compact JSON,
//! SHA-256, written `sha256:<hex>`.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const BEGIN: &str = "# >>> warden: Codex hook trust (written by `warden init codex`; do not edit)";
const END: &str = "# <<< warden: Codex hook trust";

/// Codex's snake-case label for a hook event.
fn event_label(event: &str) -> String {
    let mut out = String::new();
    for (i, ch) in event.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Keys sorted at every level (serde_json's map keeps insertion order here).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), canonical(x));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The hash Codex compares with `trusted_hash` for one command hook.
pub fn hook_hash(event: &str, matcher: Option<&str>, hook: &Value) -> String {
    let mut handler = json!({
        "type": "command",
        "command": hook.get("command").cloned().unwrap_or(Value::Null),
        "timeout": hook.get("timeout").and_then(Value::as_u64).unwrap_or(600).max(1),
        "async": hook.get("async").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(m) = hook.get("statusMessage").filter(|m| m.is_string()) {
        handler["statusMessage"] = m.clone();
    }
    let mut identity = json!({"event_name": event_label(event), "hooks": [handler]});
    if let Some(m) = matcher {
        identity["matcher"] = json!(m);
    }
    let bytes = serde_json::to_vec(&canonical(&identity)).unwrap_or_default();
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Events whose matcher Codex ignores (it hashes them without one).
fn ignores_matcher(event: &str) -> bool {
    matches!(event, "UserPromptSubmit" | "Stop")
}

/// `(key, hash)` for each of Warden's hooks in the hooks document at `hooks_path`.
pub fn warden_trust(hooks_path: &Path, doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(events) = doc.get("hooks").and_then(Value::as_object) else {
        return out;
    };
    for (event, groups) in events {
        let Some(groups) = groups.as_array() else {
            continue;
        };
        for (gi, group) in groups.iter().enumerate() {
            let matcher = group
                .get("matcher")
                .and_then(Value::as_str)
                .filter(|_| !ignores_matcher(event));
            let Some(hooks) = group.get("hooks").and_then(Value::as_array) else {
                continue;
            };
            for (hi, hook) in hooks.iter().enumerate() {
                if !crate::init::is_warden(hook, "codex") {
                    continue;
                }
                let key = format!("{}:{}:{gi}:{hi}", hooks_path.display(), event_label(event));
                out.push((key, hook_hash(event, matcher, hook)));
            }
        }
    }
    out
}

/// `config.toml`'s text without Warden's trust block.
fn strip_block(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line == BEGIN {
            inside = true;
        } else if line == END {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Record (or with an empty `trust`, remove) Warden's hook trust in Codex's `config.toml`.
pub fn write_trust(config: &Path, trust: &[(String, String)]) -> Result<()> {
    let old = match std::fs::read_to_string(config) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", config.display())),
    };
    let mut new = strip_block(&old);
    if !trust.is_empty() {
        if !new.is_empty() && !new.ends_with("\n\n") {
            new.push('\n');
        }
        new.push_str(BEGIN);
        new.push('\n');
        for (key, hash) in trust {
            new.push_str(&format!(
                "[hooks.state.{}]\ntrusted_hash = {}\n",
                toml_str(key),
                toml_str(hash)
            ));
        }
        new.push_str(END);
        new.push('\n');
    }
    if new == old {
        return Ok(());
    }
    if let Some(dir) = config.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let tmp = config.with_extension("toml.warden-tmp");
    std::fs::write(&tmp, new).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, config).with_context(|| format!("cannot replace `{}`", config.display()))
}

/// Warden hooks in `hooks_path` whose trust `config.toml` does not record (missing or stale).
pub fn untrusted(hooks_path: &Path, config: &Path) -> Result<Vec<String>> {
    let (_, doc) = crate::init::read_settings(hooks_path)?;
    let text = std::fs::read_to_string(config).unwrap_or_default();
    let parsed: Value = toml::from_str(&text).unwrap_or(Value::Null);
    let state = parsed.pointer("/hooks/state");
    Ok(warden_trust(hooks_path, &doc)
        .into_iter()
        .filter(|(key, hash)| {
            state
                .and_then(|s| s.get(key))
                .and_then(|e| e.get("trusted_hash"))
                .and_then(Value::as_str)
                != Some(hash.as_str())
        })
        .map(|(key, _)| key)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_snake_case() {
        assert_eq!(event_label("PreToolUse"), "pre_tool_use");
        assert_eq!(event_label("SessionStart"), "session_start");
    }

    #[test]
    fn the_block_is_replaced_and_removed_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(&cfg, "model = \"m\"\n").unwrap();
        let t = vec![(
            "/h/hooks.json:pre_tool_use:0:0".to_string(),
            "sha256:ab".to_string(),
        )];
        write_trust(&cfg, &t).unwrap();
        write_trust(&cfg, &t).unwrap();
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert_eq!(text.matches(BEGIN).count(), 1);
        let v: Value = toml::from_str(&text).unwrap();
        assert_eq!(
            v["hooks"]["state"]["/h/hooks.json:pre_tool_use:0:0"]["trusted_hash"],
            "sha256:ab"
        );
        write_trust(&cfg, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), "model = \"m\"\n\n");
    }
}
