//! OpenClaw deployment checks on `openclaw.json` (JSON5), from the keys OpenClaw documents:
//! a gateway reachable beyond loopback without authentication (anyone on the network drives the
//! agent), host exec with OpenClaw's own approvals switched off (Warden is then the only gate),
//! elevated tools allowed for every sender, plugins and skills loaded from places other users
//! can write or without an allowlist, and model traffic sent in cleartext.
//!
//! Used by `warden doctor` (and the config watch's classification of a change). Findings are
//! advice about the deployment; they never change a decision.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Exploitable as configured (an open gateway, a wildcard elevated allowlist).
    Critical,
    /// A gap a careful user closes.
    Warn,
}

/// One finding about an OpenClaw deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable identifier (`gateway`, `exec`, `elevated`, `plugins`, `skills`, `model`).
    pub check: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong, naming the key.
    pub message: String,
    /// What fixes it.
    pub fix: String,
}

/// Parse `openclaw.json`: JSON5 (comments, unquoted keys, trailing commas), of which plain JSON
/// is a subset. `None` when the text is not a JSON5 document.
pub fn parse(text: &str) -> Option<Value> {
    json5::from_str::<Value>(text).ok()
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .unwrap_or(&Value::Null)
}

fn has_auth(gateway: &Value) -> bool {
    let auth = get(gateway, &["auth"]);
    let mode = get(auth, &["mode"]).as_str().unwrap_or("");
    mode != "none"
        && (!mode.is_empty()
            || get(auth, &["token"]).is_string()
            || get(auth, &["password"]).is_string())
}

/// Whether OpenClaw's gateway listens beyond loopback (bind `lan`, `auto`, `tailnet`, `custom`,
/// or a Tailscale funnel) without authentication.
pub fn gateway_exposed(doc: &Value) -> bool {
    let g = get(doc, &["gateway"]);
    let bind = get(g, &["bind"]).as_str().unwrap_or("loopback");
    let loopback = matches!(bind, "loopback" | "localhost" | "127.0.0.1" | "::1");
    let funnel = get(g, &["tailscale", "mode"]).as_str() == Some("funnel");
    (!loopback || funnel) && !has_auth(g)
}

/// Every `tools.exec` object of the config with where it is: the global one, the agents'
/// defaults, and each agent's own (`agents.entries.<id>` or `agents.list[]`).
fn exec_policies(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = vec![
        ("tools.exec".to_string(), get(doc, &["tools", "exec"])),
        (
            "agents.defaults.tools.exec".to_string(),
            get(doc, &["agents", "defaults", "tools", "exec"]),
        ),
    ];
    if let Some(entries) = get(doc, &["agents", "entries"]).as_object() {
        for (id, a) in entries {
            out.push((
                format!("agents.entries.{id}.tools.exec"),
                get(a, &["tools", "exec"]),
            ));
        }
    }
    if let Some(list) = get(doc, &["agents", "list"]).as_array() {
        for (i, a) in list.iter().enumerate() {
            let id = get(a, &["id"])
                .as_str()
                .map_or(i.to_string(), str::to_string);
            out.push((
                format!("agents.list[{id}].tools.exec"),
                get(a, &["tools", "exec"]),
            ));
        }
    }
    out.retain(|(_, v)| v.is_object());
    out
}

/// Whether an exec policy runs host commands with no OpenClaw approval at all.
fn exec_unapproved(exec: &Value) -> bool {
    let s = |k: &str| get(exec, &[k]).as_str();
    s("mode") == Some("full") || (s("security") == Some("full") && s("ask") == Some("off"))
}

fn expand(p: &str, home: &Path) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None if p == "~" => home.to_path_buf(),
        None => PathBuf::from(p),
    }
}

/// Why a directory OpenClaw loads code or instructions from is not the user's alone: owned by
/// another user (not root), or writable by group or others.
fn foreign_writable(path: &Path, uid: u32) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    if m.uid() != uid && m.uid() != 0 {
        return Some(format!("owned by uid {}", m.uid()));
    }
    (m.mode() & 0o022 != 0).then(|| format!("mode {:o}: writable by others", m.mode() & 0o7777))
}

fn paths_at<'a>(doc: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a str> {
    get(doc, path)
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Whether `url` sends to a host beyond this machine in cleartext.
fn cleartext_remote(url: &str) -> bool {
    let Ok(n) = warden_action::NetworkAction::from_url(None, url, false) else {
        return false;
    };
    let local = n.host == "localhost"
        || n.host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    n.scheme.as_deref() == Some("http") && !local
}

/// The findings on an OpenClaw config; `home` expands `~`, `uid` is the user it belongs to.
pub fn audit(doc: &Value, home: &Path, uid: u32) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |check, severity, message: String, fix: &str| {
        out.push(Finding {
            check,
            severity,
            message,
            fix: fix.to_string(),
        });
    };
    if gateway_exposed(doc) {
        add(
            "gateway",
            Severity::Critical,
            "the gateway listens beyond loopback (`gateway.bind`, or a Tailscale funnel) without authentication: anyone who reaches it can drive the agent".into(),
            "set `gateway.bind` to \"loopback\", or `gateway.auth.mode` to \"token\" with a token",
        );
    }
    for (at, exec) in exec_policies(doc) {
        if exec_unapproved(exec) {
            add(
                "exec",
                Severity::Warn,
                format!("`{at}` runs host commands with OpenClaw's approvals off (full): Warden's plugin is their only gate"),
                "use `mode: \"ask\"` or \"allowlist\", or keep Warden's plugin loaded (`warden init openclaw`)",
            );
        }
    }
    if let Some(from) = get(doc, &["tools", "elevated", "allowFrom"]).as_object() {
        for (provider, list) in from {
            if list.as_array().is_some_and(|l| l.iter().any(|v| v == "*")) {
                add(
                    "elevated",
                    Severity::Critical,
                    format!("`tools.elevated.allowFrom.{provider}` allows every sender (\"*\") to run elevated tools"),
                    "list the senders by id",
                );
            }
        }
    }
    let plugins = get(doc, &["plugins"]);
    let extensions = paths_at(plugins, &["load", "paths"]).count() > 0
        || get(plugins, &["entries"])
            .as_object()
            .is_some_and(|e| !e.is_empty());
    if extensions && !get(plugins, &["allow"]).is_array() {
        add(
            "plugins",
            Severity::Warn,
            "plugins load without an allowlist (`plugins.allow`): any plugin found in a load path runs inside OpenClaw".into(),
            "set `plugins.allow` to the plugin ids you use (`warden init openclaw` adds Warden's)",
        );
    }
    let roots = [
        (
            "plugins",
            "plugins.load.paths",
            &["plugins", "load", "paths"][..],
        ),
        (
            "skills",
            "skills.load.extraDirs",
            &["skills", "load", "extraDirs"][..],
        ),
    ];
    for (check, key, path) in roots {
        for p in paths_at(doc, path) {
            if let Some(why) = foreign_writable(&expand(p, home), uid) {
                add(
                    check,
                    Severity::Warn,
                    format!("`{key}` loads from `{p}`, {why}: whoever can write there changes what OpenClaw runs"),
                    "keep load paths owned by you and not writable by others (chmod go-w)",
                );
            }
        }
    }
    if let Some(providers) = get(doc, &["models", "providers"]).as_object() {
        for (name, p) in providers {
            let url = get(p, &["baseUrl"]).as_str().unwrap_or("");
            if cleartext_remote(url) {
                add(
                    "model",
                    Severity::Warn,
                    format!("model provider `{name}` is reached in cleartext (`{url}`): prompts, files and tool results cross the network unencrypted"),
                    "use an https:// base URL",
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checks(doc: &Value) -> Vec<(&'static str, Severity)> {
        audit(doc, Path::new("/nonexistent-home"), 1000)
            .into_iter()
            .map(|f| (f.check, f.severity))
            .collect()
    }

    #[test]
    fn json5_with_comments_and_trailing_commas_parses() {
        let doc = parse("// mine\n{ gateway: { bind: 'lan', }, /* x */ }\n").unwrap();
        assert_eq!(doc["gateway"]["bind"], "lan");
        assert!(parse("{ gateway: ").is_none());
    }

    #[test]
    fn an_open_gateway_is_critical_and_an_authenticated_or_local_one_is_not() {
        for open in [
            json!({"gateway": {"bind": "lan"}}),
            json!({"gateway": {"bind": "auto", "auth": {"mode": "none", "token": "t"}}}),
            json!({"gateway": {"tailscale": {"mode": "funnel"}}}),
            json!({"gateway": {"bind": "custom", "auth": {}}}),
        ] {
            assert_eq!(checks(&open), [("gateway", Severity::Critical)], "{open}");
        }
        for fine in [
            json!({}),
            json!({"gateway": {"bind": "loopback"}}),
            json!({"gateway": {"bind": "lan", "auth": {"mode": "token", "token": "t"}}}),
            json!({"gateway": {"bind": "tailnet", "auth": {"password": "p"}}}),
            json!({"gateway": {"tailscale": {"mode": "funnel"}, "auth": {"mode": "password"}}}),
        ] {
            assert_eq!(checks(&fine), [], "{fine}");
        }
    }

    #[test]
    fn exec_without_approvals_is_found_wherever_it_is_set() {
        let doc = json!({
            "tools": {"exec": {"mode": "full"}},
            "agents": {
                "defaults": {"tools": {"exec": {"security": "full", "ask": "off"}}},
                "entries": {"ops": {"tools": {"exec": {"mode": "full"}}}, "safe": {"tools": {"exec": {"mode": "ask"}}}},
                "list": [{"id": "bot", "tools": {"exec": {"security": "full", "ask": "on-miss"}}}]
            }
        });
        let found = audit(&doc, Path::new("/h"), 1000);
        let at: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(found.len(), 3, "{at:?}");
        assert!(at[2].contains("agents.entries.ops"), "{at:?}");
    }

    #[test]
    fn wildcard_elevated_senders_plugins_without_allowlist_and_cleartext_models() {
        let doc = json!({
            "tools": {"elevated": {"allowFrom": {"whatsapp": ["*"], "telegram": ["123"]}}},
            "plugins": {"entries": {"x": {"enabled": true}}},
            "models": {"providers": {
                "remote": {"baseUrl": "http://10.0.0.5:8000/v1"},
                "local": {"baseUrl": "http://127.0.0.1:11434/v1"},
                "tls": {"baseUrl": "https://api.example.com/v1"}
            }}
        });
        assert_eq!(
            checks(&doc),
            [
                ("elevated", Severity::Critical),
                ("plugins", Severity::Warn),
                ("model", Severity::Warn)
            ]
        );
        let mut allowed = doc.clone();
        allowed["plugins"]["allow"] = json!(["x"]);
        assert!(!checks(&allowed).contains(&("plugins", Severity::Warn)));
    }

    #[test]
    fn load_paths_writable_by_others_are_found_and_private_ones_are_not() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let open = t.path().join("shared-skills");
        let mine = t.path().join("my-plugins");
        std::fs::create_dir(&open).unwrap();
        std::fs::create_dir(&mine).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o755)).unwrap();
        let uid = std::fs::metadata(&mine).unwrap().uid();
        let doc = json!({
            "plugins": {"allow": ["warden"], "load": {"paths": ["~/my-plugins"]}},
            "skills": {"load": {"extraDirs": ["~/shared-skills"]}}
        });
        let found = audit(&doc, t.path(), uid);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].check, "skills");
        assert!(found[0].message.contains("writable by others"));
    }
}
