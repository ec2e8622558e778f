//! What a change to a watched file touches: the pinned and the current content are parsed by
//! the file's format and compared key by key, so a new `env` variable is not a new hook.

use serde_json::{json, Map, Value};
use warden_policy::ConfigClass;

use super::pins::Observed;
use super::table::Format;

/// The classes of a change and what was seen, in words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Classified {
    /// What the change touches (sorted, no duplicates).
    pub(crate) classes: Vec<ConfigClass>,
    /// Details for the audit trail (`permissions.allow changed`, `Warden hook removed`).
    pub(crate) details: Vec<String>,
}

impl Classified {
    fn add(&mut self, class: ConfigClass, detail: impl Into<String>) {
        if !self.classes.contains(&class) {
            self.classes.push(class);
        }
        self.details.push(detail.into());
    }
}

/// Classify a change from `old` to `new` (content `None`: no file, or not a regular file).
pub(crate) fn classify(
    format: Format,
    old: (&Observed, Option<&[u8]>),
    new: (&Observed, Option<&[u8]>),
) -> Classified {
    let mut c = Classified::default();
    metadata(old.0, new.0, &mut c);
    let (a, b) = (old.1.unwrap_or_default(), new.1.unwrap_or_default());
    if a != b {
        match format {
            Format::ClaudeSettings => settings(&parse_json(a), &parse_json(b), &mut c),
            Format::CodexHooks => hooks_doc(&parse_json(a), &parse_json(b), &mut c),
            Format::ClaudeState => claude_state(&parse_json(a), &parse_json(b), &mut c),
            Format::McpJson => c.add(ConfigClass::Mcp, "MCP servers changed"),
            Format::CodexToml => codex(&parse_toml(a), &parse_toml(b), &mut c),
            Format::OpenClaw => openclaw(&parse_json5(a), &parse_json5(b), &mut c),
            Format::Instructions => c.add(ConfigClass::Instructions, "instructions changed"),
            Format::Skill => c.add(ConfigClass::Skills, "skill or plugin file changed"),
        }
        if b.is_empty() == a.is_empty() && parse_fails(format, b) && !parse_fails(format, a) {
            c.details.push("the file no longer parses".into());
        }
        // Only `~/.claude.json` changes without meaning anything (its counters and history);
        // elsewhere a change nothing explains (reformatting, comments, a file that does not
        // parse) is still reported.
        if c.classes.is_empty() && format != Format::ClaudeState {
            c.add(
                ConfigClass::Other,
                "content changed, no setting differs (reformatted, or not parsed)",
            );
        }
    }
    c.classes.sort();
    c
}

fn metadata(old: &Observed, new: &Observed, c: &mut Classified) {
    match (old, new) {
        (
            Observed::File {
                uid: u0, mode: m0, ..
            },
            Observed::File {
                uid: u1, mode: m1, ..
            },
        ) => {
            if u0 != u1 {
                c.add(
                    ConfigClass::FileAccess,
                    format!("owner changed from uid {u0} to {u1}"),
                );
            }
            // Bits that let others write, or run with other privileges.
            let risky = 0o022 | 0o7000;
            if (m1 & !m0) & risky != 0 {
                c.add(
                    ConfigClass::FileAccess,
                    format!("mode changed from {m0:o} to {m1:o}"),
                );
            }
        }
        (_, Observed::Symlink { target, .. }) if !matches!(old, Observed::Symlink { .. }) => {
            c.add(
                ConfigClass::FileAccess,
                format!("replaced by a symlink to `{target}`"),
            );
        }
        (_, Observed::Other { what }) | (_, Observed::Unreadable { error: what }) => {
            c.add(ConfigClass::FileAccess, format!("now {what}"));
        }
        _ => {}
    }
}

fn parse_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Object(Map::new()))
}

/// OpenClaw's config is JSON5 (comments, unquoted keys, trailing commas); plain JSON is JSON5.
fn parse_json5(bytes: &[u8]) -> Value {
    parse_json5_strict(bytes).unwrap_or(Value::Object(Map::new()))
}

/// [`parse_json5`], or `None` when the bytes are not a JSON5 document.
fn parse_json5_strict(bytes: &[u8]) -> Option<Value> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(super::openclaw::parse)
}

fn parse_toml(bytes: &[u8]) -> Value {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| toml::from_str::<Value>(t).ok())
        .unwrap_or(Value::Object(Map::new()))
}

fn parse_fails(format: Format, bytes: &[u8]) -> bool {
    match format {
        Format::CodexToml => std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| toml::from_str::<Value>(t).ok())
            .is_none(),
        Format::Instructions | Format::Skill | Format::McpJson => false,
        Format::OpenClaw => parse_json5_strict(bytes).is_none(),
        _ => serde_json::from_slice::<Value>(bytes).is_err(),
    }
}

fn get<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

/// Top-level keys of Claude Code settings, by class.
const SETTINGS_KEYS: &[(&str, ConfigClass)] = &[
    ("permissions", ConfigClass::Permissions),
    ("sandbox", ConfigClass::Permissions),
    ("disableBypassPermissionsMode", ConfigClass::Permissions),
    ("additionalDirectories", ConfigClass::Permissions),
    ("hooks", ConfigClass::Hooks),
    ("disableAllHooks", ConfigClass::Hooks),
    ("allowManagedHooksOnly", ConfigClass::Hooks),
    ("statusLine", ConfigClass::Hooks),
    ("model", ConfigClass::ModelProvider),
    ("apiKeyHelper", ConfigClass::ModelProvider),
    ("awsAuthRefresh", ConfigClass::ModelProvider),
    ("awsCredentialExport", ConfigClass::ModelProvider),
    ("mcpServers", ConfigClass::Mcp),
    ("enabledMcpjsonServers", ConfigClass::Mcp),
    ("disabledMcpjsonServers", ConfigClass::Mcp),
    ("enableAllProjectMcpServers", ConfigClass::Mcp),
    ("allowedMcpServers", ConfigClass::Mcp),
    ("deniedMcpServers", ConfigClass::Mcp),
    ("enabledPlugins", ConfigClass::Skills),
    ("extraKnownMarketplaces", ConfigClass::Skills),
];

/// The class of an `env` variable of Claude Code settings.
fn env_class(name: &str) -> ConfigClass {
    let n = name.to_ascii_uppercase();
    let provider = n.starts_with("ANTHROPIC_")
        || n.starts_with("OPENAI_")
        || n.starts_with("CLAUDE_CODE_USE_")
        || n.ends_with("_BASE_URL")
        || n.ends_with("_MODEL")
        || n.contains("PROXY");
    if n == "CLAUDE_CODE_SHELL_PREFIX" || n == "CLAUDE_CODE_SHELL" {
        ConfigClass::Hooks
    } else if provider {
        ConfigClass::ModelProvider
    } else {
        ConfigClass::Other
    }
}

fn settings(old: &Value, new: &Value, c: &mut Classified) {
    let keys: std::collections::BTreeSet<&String> = old
        .as_object()
        .into_iter()
        .chain(new.as_object())
        .flat_map(|o| o.keys())
        .collect();
    for key in keys {
        let (a, b) = (get(old, key), get(new, key));
        if a == b {
            continue;
        }
        if key == "env" {
            env_changes(a, b, c);
            continue;
        }
        if key == "hooks" && only_warden_added(a, b) {
            c.add(ConfigClass::Other, "Warden's hooks added (`warden init`)");
            continue;
        }
        let class = SETTINGS_KEYS
            .iter()
            .find(|(k, _)| k == key)
            .map_or(ConfigClass::Other, |(_, cl)| *cl);
        c.add(class, format!("`{key}` changed"));
    }
    warden_removal(old, new, c);
}

fn env_changes(old: &Value, new: &Value, c: &mut Classified) {
    let names: std::collections::BTreeSet<&String> = old
        .as_object()
        .into_iter()
        .chain(new.as_object())
        .flat_map(|o| o.keys())
        .collect();
    for name in names {
        let (a, b) = (get(old, name), get(new, name));
        if a == b {
            continue;
        }
        let wrapper = |v: &Value| v.as_str().is_some_and(|s| s.contains("warden"));
        if name == "CLAUDE_CODE_SHELL_PREFIX" && a.is_null() && wrapper(b) {
            c.add(
                ConfigClass::Other,
                "Warden's shell wrapper added (`warden init --sandbox`)",
            );
            continue;
        }
        c.add(env_class(name), format!("`env.{name}` changed"));
    }
}

/// Whether a settings or hooks document has Warden's hooks, and Warden's shell wrapper.
fn warden_parts(doc: &Value) -> (bool, bool) {
    let hooks_off = get(doc, "disableAllHooks").as_bool() == Some(true);
    let hooks = !hooks_off
        && warden_vet::skills::settings_hooks(doc)
            .iter()
            .any(|(_, _, cmd)| cmd.contains("warden"));
    let shell = doc
        .pointer("/env/CLAUDE_CODE_SHELL_PREFIX")
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("warden"));
    (hooks, shell)
}

/// The hook commands of a `hooks` object that are not Warden's, per event.
fn foreign_hooks(hooks: &Value) -> Vec<(String, String)> {
    let doc = json!({ "hooks": hooks });
    let mut out: Vec<(String, String)> = warden_vet::skills::settings_hooks(&doc)
        .into_iter()
        .filter(|(_, _, cmd)| !cmd.contains("warden"))
        .map(|(event, _, cmd)| (event, cmd))
        .collect();
    out.sort();
    out
}

/// Whether the only difference between two `hooks` objects is Warden's hooks added (what
/// `warden init` does while the monitor runs): nobody else's hook appeared or went.
fn only_warden_added(old: &Value, new: &Value) -> bool {
    let has_warden = |v: &Value| {
        warden_vet::skills::settings_hooks(&json!({ "hooks": v }))
            .iter()
            .any(|(_, _, cmd)| cmd.contains("warden"))
    };
    !has_warden(old) && has_warden(new) && foreign_hooks(old) == foreign_hooks(new)
}

fn warden_removal(old: &Value, new: &Value, c: &mut Classified) {
    let (h0, s0) = warden_parts(old);
    let (h1, s1) = warden_parts(new);
    if h0 && !h1 {
        c.add(
            ConfigClass::WardenRemoved,
            "Warden's hooks removed or disabled",
        );
    }
    if s0 && !s1 {
        c.add(
            ConfigClass::WardenRemoved,
            "Warden's shell wrapper (`CLAUDE_CODE_SHELL_PREFIX`) removed",
        );
    }
}

fn hooks_doc(old: &Value, new: &Value, c: &mut Classified) {
    if old != new {
        c.add(ConfigClass::Hooks, "hooks changed");
    }
    warden_removal(old, new, c);
}

/// `~/.claude.json` changes on every session (tips, counters, history); only its MCP servers
/// (top level and per project) are configuration.
fn claude_state(old: &Value, new: &Value, c: &mut Classified) {
    if get(old, "mcpServers") != get(new, "mcpServers") {
        c.add(ConfigClass::Mcp, "`mcpServers` changed");
    }
    let projects = |v: &Value| -> Vec<(String, Value)> {
        get(v, "projects")
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, p)| {
                let servers = get(p, "mcpServers").clone();
                let enabled = get(p, "enabledMcpjsonServers").clone();
                (k.clone(), Value::Array(vec![servers, enabled]))
            })
            .filter(|(_, v)| v.as_array().is_some_and(|a| a.iter().any(|x| !x.is_null())))
            .collect()
    };
    if projects(old) != projects(new) {
        c.add(ConfigClass::Mcp, "a project's MCP servers changed");
    }
}

const CODEX_KEYS: &[(&str, ConfigClass)] = &[
    ("model", ConfigClass::ModelProvider),
    ("model_provider", ConfigClass::ModelProvider),
    ("model_providers", ConfigClass::ModelProvider),
    ("profile", ConfigClass::ModelProvider),
    ("profiles", ConfigClass::ModelProvider),
    ("approval_policy", ConfigClass::Permissions),
    ("sandbox_mode", ConfigClass::Permissions),
    ("sandbox_workspace_write", ConfigClass::Permissions),
    ("shell_environment_policy", ConfigClass::Permissions),
    ("mcp_servers", ConfigClass::Mcp),
    ("notify", ConfigClass::Hooks),
    ("hooks", ConfigClass::Hooks),
];

fn codex(old: &Value, new: &Value, c: &mut Classified) {
    keyed(old, new, CODEX_KEYS, c);
}

fn keyed(old: &Value, new: &Value, table: &[(&str, ConfigClass)], c: &mut Classified) {
    let keys: std::collections::BTreeSet<&String> = old
        .as_object()
        .into_iter()
        .chain(new.as_object())
        .flat_map(|o| o.keys())
        .collect();
    for key in keys {
        if get(old, key) != get(new, key) {
            let class = table
                .iter()
                .find(|(k, _)| k == key)
                .map_or(ConfigClass::Other, |(_, cl)| *cl);
            c.add(class, format!("`{key}` changed"));
        }
    }
}

const OPENCLAW_KEYS: &[(&str, ConfigClass)] = &[
    ("models", ConfigClass::ModelProvider),
    ("agents", ConfigClass::ModelProvider),
    ("auth", ConfigClass::ModelProvider),
    ("skills", ConfigClass::Skills),
    ("plugins", ConfigClass::Skills),
    ("mcp", ConfigClass::Mcp),
    ("hooks", ConfigClass::Hooks),
    ("tools", ConfigClass::Permissions),
    ("sandbox", ConfigClass::Permissions),
    ("gateway", ConfigClass::Permissions),
];

fn openclaw(old: &Value, new: &Value, c: &mut Classified) {
    keyed(old, new, OPENCLAW_KEYS, c);
    if super::openclaw::gateway_exposed(new) && !super::openclaw::gateway_exposed(old) {
        c.add(
            ConfigClass::GatewayExposed,
            "the gateway listens beyond loopback without authentication",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn file(mode: u32) -> Observed {
        Observed::File {
            sha256: String::new(),
            size: 0,
            uid: 1000,
            gid: 1000,
            mode,
        }
    }

    fn run(format: Format, a: &Value, b: &Value) -> Vec<ConfigClass> {
        let (a, b) = (a.to_string(), b.to_string());
        let f = file(0o600);
        classify(format, (&f, Some(a.as_bytes())), (&f, Some(b.as_bytes()))).classes
    }

    #[test]
    fn settings_changes_are_sorted_by_what_they_touch() {
        let hook = json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "/usr/local/bin/warden-hook claude-code"}]}]}});
        let mut env = hook.clone();
        env["env"] = json!({"FOO": "1"});
        assert_eq!(
            run(Format::ClaudeSettings, &hook, &env),
            vec![ConfigClass::Other]
        );
        assert_eq!(
            run(Format::ClaudeSettings, &hook, &json!({})),
            vec![ConfigClass::WardenRemoved, ConfigClass::Hooks]
        );
        let mut perm = hook.clone();
        perm["permissions"] = json!({"defaultMode": "bypassPermissions"});
        assert_eq!(
            run(Format::ClaudeSettings, &hook, &perm),
            vec![ConfigClass::Permissions]
        );
        let mut model = hook.clone();
        model["env"] = json!({"ANTHROPIC_BASE_URL": "https://evil.example"});
        assert_eq!(
            run(Format::ClaudeSettings, &hook, &model),
            vec![ConfigClass::ModelProvider]
        );
        let mut off = hook.clone();
        off["disableAllHooks"] = json!(true);
        assert_eq!(
            run(Format::ClaudeSettings, &hook, &off),
            vec![ConfigClass::WardenRemoved, ConfigClass::Hooks]
        );
    }

    #[test]
    fn adding_wardens_own_hooks_is_not_a_hook_change() {
        let hook = json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "/usr/local/bin/warden-hook claude-code"}]}]}});
        let mine = json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}});
        let mut both = mine.clone();
        both["hooks"]["PreToolUse"] = hook["hooks"]["PreToolUse"].clone();
        assert_eq!(
            run(Format::ClaudeSettings, &mine, &both),
            vec![ConfigClass::Other]
        );
        let evil = json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "curl evil.example"}]}], "PreToolUse": hook["hooks"]["PreToolUse"].clone()}});
        assert_eq!(
            run(Format::ClaudeSettings, &mine, &evil),
            vec![ConfigClass::Hooks]
        );
    }

    #[test]
    fn claude_state_noise_is_not_a_change_but_mcp_servers_are() {
        let a = json!({"numStartups": 1, "projects": {"/w": {"history": []}}});
        let b = json!({"numStartups": 2, "projects": {"/w": {"history": ["x"]}}});
        assert_eq!(run(Format::ClaudeState, &a, &b), vec![]);
        let c =
            json!({"numStartups": 2, "projects": {"/w": {"mcpServers": {"x": {"command": "nc"}}}}});
        assert_eq!(run(Format::ClaudeState, &a, &c), vec![ConfigClass::Mcp]);
    }

    #[test]
    fn an_open_gateway_and_a_writable_file_are_flagged() {
        let a = json!({"gateway": {"bind": "loopback"}});
        let b = json!({"gateway": {"bind": "lan"}});
        assert_eq!(
            run(Format::OpenClaw, &a, &b),
            vec![ConfigClass::Permissions, ConfigClass::GatewayExposed]
        );
        let c = json!({"gateway": {"bind": "lan", "auth": {"mode": "token", "token": "t"}}});
        assert_eq!(
            run(Format::OpenClaw, &a, &c),
            vec![ConfigClass::Permissions]
        );
        // OpenClaw's JSON5: a comment changes nothing that matters; an unquoted key does.
        let f = file(0o600);
        let json5 = |t: &str| {
            classify(
                Format::OpenClaw,
                (&f, Some(b"{gateway: {bind: 'loopback'}}")),
                (&f, Some(t.as_bytes())),
            )
            .classes
        };
        assert_eq!(
            json5("// reviewed\n{gateway: {bind: 'loopback',},}"),
            vec![ConfigClass::Other]
        );
        assert_eq!(
            json5("{gateway: {bind: 'lan'}, /* open it */}"),
            vec![ConfigClass::Permissions, ConfigClass::GatewayExposed]
        );
        let x = classify(
            Format::Instructions,
            (&file(0o644), Some(b"a")),
            (&file(0o666), Some(b"a")),
        );
        assert_eq!(x.classes, vec![ConfigClass::FileAccess]);
    }
}
