//! Discovery of MCP client configs and static checks on the servers they launch.
//!
//! [`discover`] looks in the places common clients keep their MCP servers (Claude Desktop,
//! Claude Code, Cursor, VS Code, Windsurf, Goose, Codex), given a home and a project directory
//! so tests and callers choose where; [`parse_config`] reads one file named by the user and
//! detects its format. Each server becomes a [`ServerSpec`]. A config that does not parse is an
//! error naming the file (and line and column when the parser gives them); discovery goes on
//! with the other configs. [`check_spec`] then judges a spec without running it: package
//! runners without a pinned version, commands in world-writable directories, literal secrets,
//! plain-HTTP remotes.
//!
//! Values from `env` and `headers` are [`SecretString`]s: they are shown masked by `Debug`,
//! `Display` and `Serialize`, and only [`SecretString::expose`] gives the value to whoever
//! launches the server.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::detect::url_host;
use crate::error::VetError;
use crate::finding::{Finding, Severity};
use crate::pin::{server_key, server_key_url};
use crate::text::{entropy, escape, redact};

/// Largest config file read, in bytes.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// The MCP client a config belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`).
    ClaudeDesktop,
    /// Claude Code (`~/.claude.json`, project `.mcp.json`).
    ClaudeCode,
    /// Cursor (`.cursor/mcp.json`).
    Cursor,
    /// VS Code (`.vscode/mcp.json`).
    VsCode,
    /// Windsurf (`~/.codeium/windsurf/mcp_config.json`).
    Windsurf,
    /// Goose (`~/.config/goose/config.yaml`).
    Goose,
    /// Codex (`~/.codex/config.toml`).
    Codex,
    /// A file in one of these formats whose client could not be told.
    Generic,
}

impl Client {
    /// A short kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::ClaudeCode => "claude-code",
            Client::Cursor => "cursor",
            Client::VsCode => "vs-code",
            Client::Windsurf => "windsurf",
            Client::Goose => "goose",
            Client::Codex => "codex",
            Client::Generic => "generic",
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that may be a secret: masked whenever printed or serialised.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wrap `value`.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The value itself, for launching the server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> SecretString {
        SecretString(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> SecretString {
        SecretString(s.to_string())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// How a client reaches a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Transport {
    /// A local process speaking MCP on stdin/stdout.
    Stdio {
        /// The program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Extra environment variables.
        env: BTreeMap<String, SecretString>,
    },
    /// A remote server (streamable HTTP or SSE).
    Http {
        /// The endpoint.
        url: String,
        /// Extra request headers.
        headers: BTreeMap<String, SecretString>,
    },
}

/// One MCP server as a client config declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSpec {
    /// The client whose config declares it.
    pub client: Client,
    /// The config file.
    pub config_path: PathBuf,
    /// JSON pointer of the entry inside the config (`/mcpServers/github`).
    pub pointer: String,
    /// The project a project-scoped entry belongs to (Claude Code's `projects.<path>`).
    pub scope: Option<String>,
    /// The server's name in the config.
    pub name: String,
    /// How it is reached.
    pub transport: Transport,
    /// Whether the config disables it.
    pub disabled: bool,
}

impl ServerSpec {
    /// The server's identity for the pin store: name plus command line, or name plus URL.
    pub fn key(&self) -> String {
        match &self.transport {
            Transport::Stdio { command, args, .. } => server_key(&self.name, command, args),
            Transport::Http { url, .. } => server_key_url(&self.name, url),
        }
    }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Config files that exist and were read (whether or not they parsed).
    pub configs: Vec<PathBuf>,
    /// Every server declared, in config order.
    pub servers: Vec<ServerSpec>,
    /// Configs (or entries of configs) that could not be read.
    pub errors: Vec<VetError>,
}

/// Where each client keeps its MCP config, under `home` and (for project-scoped configs)
/// `project`.
pub fn candidates(home: &Path, project: Option<&Path>) -> Vec<(Client, PathBuf)> {
    let mut out = vec![
        (
            Client::ClaudeDesktop,
            home.join(".config/Claude/claude_desktop_config.json"),
        ),
        (
            Client::ClaudeDesktop,
            home.join("Library/Application Support/Claude/claude_desktop_config.json"),
        ),
        (
            Client::ClaudeDesktop,
            home.join("AppData/Roaming/Claude/claude_desktop_config.json"),
        ),
        (Client::ClaudeCode, home.join(".claude.json")),
        (Client::Cursor, home.join(".cursor/mcp.json")),
        (
            Client::Windsurf,
            home.join(".codeium/windsurf/mcp_config.json"),
        ),
        (Client::Goose, home.join(".config/goose/config.yaml")),
        (Client::Codex, home.join(".codex/config.toml")),
    ];
    if let Some(p) = project {
        out.push((Client::ClaudeCode, p.join(".mcp.json")));
        out.push((Client::Cursor, p.join(".cursor/mcp.json")));
        out.push((Client::VsCode, p.join(".vscode/mcp.json")));
    }
    // The project may be the home directory: read each file once.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|(_, p)| seen.insert(p.clone()));
    out
}

/// Find and parse every MCP config of the common clients under `home` and `project`.
pub fn discover(home: &Path, project: Option<&Path>) -> Discovery {
    let mut d = Discovery::default();
    for (client, path) in candidates(home, project) {
        let text = match read_config(&path) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(e) => {
                d.configs.push(path);
                d.errors.push(e);
                continue;
            }
        };
        d.configs.push(path.clone());
        match parse_text(client, &path, &text, false) {
            Ok((servers, errors)) => {
                d.servers.extend(servers);
                d.errors.extend(errors);
            }
            Err(e) => d.errors.push(e),
        }
    }
    d
}

/// Parse one config file named by the user, detecting the client from its path and content.
/// A file that is not any client's MCP config is an error.
pub fn parse_config(path: &Path) -> Result<Discovery, VetError> {
    let text = read_config(path)?.ok_or_else(|| VetError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    let (servers, errors) = parse_text(client_of(path), path, &text, true)?;
    Ok(Discovery {
        configs: vec![path.to_path_buf()],
        servers,
        errors,
    })
}

/// Guess the client from a config's path.
fn client_of(path: &Path) -> Client {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match (name, parent, ext.as_str()) {
        ("claude_desktop_config.json", _, _) => Client::ClaudeDesktop,
        (".claude.json" | ".mcp.json", _, _) => Client::ClaudeCode,
        ("mcp.json", ".cursor", _) => Client::Cursor,
        ("mcp.json", ".vscode", _) => Client::VsCode,
        ("mcp_config.json", "windsurf", _) => Client::Windsurf,
        (_, _, "toml") => Client::Codex,
        (_, _, "yaml" | "yml") => Client::Goose,
        _ => Client::Generic,
    }
}

/// Read a config; `None` when it does not exist.
fn read_config(path: &Path) -> Result<Option<String>, VetError> {
    let read_err = |source| VetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(VetError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_CONFIG_BYTES,
        });
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        read_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        ))
    })
}

/// Servers of one config file, plus errors for entries that could not be understood.
type Parsed = (Vec<ServerSpec>, Vec<VetError>);

/// Parse `text` of the config at `path`. `strict`: a JSON file with no known member is an
/// error (for a file the user named) rather than a config without servers.
fn parse_text(client: Client, path: &Path, text: &str, strict: bool) -> Result<Parsed, VetError> {
    match client {
        Client::Codex => parse_codex(path, text),
        Client::Goose => parse_goose(path, text),
        Client::ClaudeDesktop
        | Client::ClaudeCode
        | Client::Cursor
        | Client::VsCode
        | Client::Windsurf
        | Client::Generic => parse_json_config(client, path, text, strict),
    }
}

/// A syntax error at a byte offset of `text`.
fn syntax_at(
    path: &Path,
    format: &'static str,
    text: &str,
    offset: usize,
    message: String,
) -> VetError {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    VetError::Syntax {
        path: path.to_path_buf(),
        format,
        line,
        column,
        message,
    }
}

/// A shape error.
fn shape(path: &Path, pointer: &str, message: impl Into<String>) -> VetError {
    VetError::Shape {
        path: path.to_path_buf(),
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

/// The entries of `m` by name. Whether serde_json keeps file order depends on a feature other
/// crates in the build may enable; sorting makes discovery's order the same in every build.
fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// JSON pointer escaping of one reference token.
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// JSON configs (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf). Comments and
/// trailing commas are accepted, as VS Code's own parser accepts them.
fn parse_json_config(
    client: Client,
    path: &Path,
    text: &str,
    strict: bool,
) -> Result<Parsed, VetError> {
    let clean = strip_jsonc(text);
    let root: Value = serde_json::from_str(&clean).map_err(|e| VetError::Syntax {
        path: path.to_path_buf(),
        format: "JSON",
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Some(obj) = root.as_object() else {
        return Err(shape(path, "", "the top level is not an object"));
    };
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    let mut known = false;
    let client = match client {
        Client::Generic if obj.contains_key("servers") && !obj.contains_key("mcpServers") => {
            Client::VsCode
        }
        c => c,
    };
    let mut block = |m: &Value, pointer: String, scope: Option<String>| {
        let Some(m) = m.as_object() else {
            errors.push(shape(path, &pointer, "is not an object of servers"));
            return;
        };
        for (name, entry) in sorted(m) {
            let p = format!("{pointer}/{}", token(name));
            match json_entry(client, path, &p, name, entry) {
                Ok(mut s) => {
                    s.scope.clone_from(&scope);
                    servers.push(s);
                }
                Err(e) => errors.push(e),
            }
        }
    };
    if let Some(m) = obj.get("mcpServers") {
        known = true;
        block(m, "/mcpServers".to_string(), None);
    }
    if let Some(m) = obj.get("servers") {
        known = true;
        block(m, "/servers".to_string(), None);
    }
    // VS Code user settings keep them under `mcp.servers`.
    if let Some(m) = obj.get("mcp").and_then(|m| m.get("servers")) {
        known = true;
        block(m, "/mcp/servers".to_string(), None);
    }
    // Claude Code keeps per-project servers in `~/.claude.json`.
    if let Some(projects) = obj.get("projects").and_then(Value::as_object) {
        known = true;
        for (project, cfg) in sorted(projects) {
            if let Some(m) = cfg.get("mcpServers") {
                block(
                    m,
                    format!("/projects/{}/mcpServers", token(project)),
                    Some(project.clone()),
                );
            }
        }
    }
    if strict && !known {
        return Err(VetError::NotMcpConfig {
            path: path.to_path_buf(),
        });
    }
    Ok((servers, errors))
}

/// One server entry of a JSON config.
fn json_entry(
    client: Client,
    path: &Path,
    pointer: &str,
    name: &str,
    entry: &Value,
) -> Result<ServerSpec, VetError> {
    let Some(o) = entry.as_object() else {
        return Err(shape(path, pointer, "server entry is not an object"));
    };
    let kind = o
        .get("type")
        .or_else(|| o.get("transport"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let url = ["url", "serverUrl", "httpUrl"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str));
    let command = o.get("command").and_then(Value::as_str);
    let remote = matches!(
        kind.as_deref(),
        Some("http" | "sse" | "streamable-http" | "streamable_http" | "streamablehttp")
    );
    let transport = match (command, url) {
        (_, Some(url)) if remote || command.is_none() => Transport::Http {
            url: url.to_string(),
            headers: string_map(path, &format!("{pointer}/headers"), o.get("headers"))?,
        },
        (Some(command), _) => Transport::Stdio {
            command: command.to_string(),
            args: string_list(path, &format!("{pointer}/args"), o.get("args"))?,
            env: string_map(path, &format!("{pointer}/env"), o.get("env"))?,
        },
        (None, _) => {
            return Err(shape(
                path,
                pointer,
                "server entry has neither a string `command` nor a `url`",
            ))
        }
    };
    let disabled = o.get("disabled").and_then(Value::as_bool) == Some(true)
        || o.get("enabled").and_then(Value::as_bool) == Some(false);
    Ok(ServerSpec {
        client,
        config_path: path.to_path_buf(),
        pointer: pointer.to_string(),
        scope: None,
        name: name.to_string(),
        transport,
        disabled,
    })
}

/// A scalar as a string (configs write ports and flags as numbers or booleans).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// An optional array of scalars.
fn string_list(path: &Path, pointer: &str, v: Option<&Value>) -> Result<Vec<String>, VetError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                scalar(x).ok_or_else(|| shape(path, &format!("{pointer}/{i}"), "is not a string"))
            })
            .collect(),
        Some(_) => Err(shape(path, pointer, "is not an array of strings")),
    }
}

/// An optional object of scalars.
fn string_map(
    path: &Path,
    pointer: &str,
    v: Option<&Value>,
) -> Result<BTreeMap<String, SecretString>, VetError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| {
                scalar(x)
                    .map(|s| (k.clone(), SecretString(s)))
                    .ok_or_else(|| {
                        shape(path, &format!("{pointer}/{}", token(k)), "is not a string")
                    })
            })
            .collect(),
        Some(_) => Err(shape(path, pointer, "is not an object of strings")),
    }
}

/// Goose's `config.yaml`: `extensions:` entries with `type`, `cmd`, `args`, `envs`, `uri`.
fn parse_goose(path: &Path, text: &str) -> Result<Parsed, VetError> {
    let y: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        VetError::Syntax {
            path: path.to_path_buf(),
            format: "YAML",
            line,
            column,
            message: e.to_string(),
        }
    })?;
    let root: Value = serde_json::to_value(&y)
        .map_err(|e| shape(path, "", format!("cannot be read as plain data: {e}")))?;
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    let Some(exts) = root.get("extensions") else {
        return Ok((servers, errors));
    };
    let Some(exts) = exts.as_object() else {
        return Err(shape(path, "/extensions", "is not a mapping"));
    };
    for (name, e) in sorted(exts) {
        let p = format!("/extensions/{}", token(name));
        match goose_entry(path, &p, name, e) {
            Ok(Some(s)) => servers.push(s),
            Ok(None) => {}
            Err(err) => errors.push(err),
        }
    }
    Ok((servers, errors))
}

/// One Goose extension; `None` for extensions built into Goose (no external server).
fn goose_entry(
    path: &Path,
    pointer: &str,
    name: &str,
    e: &Value,
) -> Result<Option<ServerSpec>, VetError> {
    let Some(o) = e.as_object() else {
        return Err(shape(path, pointer, "extension is not a mapping"));
    };
    let kind = o.get("type").and_then(Value::as_str).unwrap_or("stdio");
    let transport = match kind {
        "stdio" => Transport::Stdio {
            command: o
                .get("cmd")
                .and_then(Value::as_str)
                .ok_or_else(|| shape(path, pointer, "stdio extension has no string `cmd`"))?
                .to_string(),
            args: string_list(path, &format!("{pointer}/args"), o.get("args"))?,
            env: string_map(path, &format!("{pointer}/envs"), o.get("envs"))?,
        },
        "sse" | "streamable_http" | "streamable-http" | "http" => Transport::Http {
            url: o
                .get("uri")
                .or_else(|| o.get("url"))
                .and_then(Value::as_str)
                .ok_or_else(|| shape(path, pointer, "remote extension has no string `uri`"))?
                .to_string(),
            headers: string_map(path, &format!("{pointer}/headers"), o.get("headers"))?,
        },
        // Built into Goose itself, or code inside Goose's own process: nothing to launch.
        "builtin" | "platform" | "frontend" | "inline_python" => return Ok(None),
        other => {
            return Err(shape(
                path,
                &format!("{pointer}/type"),
                format!("unknown extension type `{}`", escape(other)),
            ))
        }
    };
    Ok(Some(ServerSpec {
        client: Client::Goose,
        config_path: path.to_path_buf(),
        pointer: pointer.to_string(),
        scope: None,
        name: name.to_string(),
        transport,
        disabled: o.get("enabled").and_then(Value::as_bool) == Some(false),
    }))
}

/// Codex's `config.toml`: `[mcp_servers.NAME]` tables with `command`/`args`/`env` or `url`.
fn parse_codex(path: &Path, text: &str) -> Result<Parsed, VetError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        syntax_at(path, "TOML", text, offset, e.message().trim().to_string())
    })?;
    let root = serde_json::to_value(&table)
        .map_err(|e| shape(path, "", format!("cannot be read as plain data: {e}")))?;
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    let Some(block) = root.get("mcp_servers") else {
        return Ok((servers, errors));
    };
    let Some(block) = block.as_object() else {
        return Err(shape(path, "/mcp_servers", "is not a table"));
    };
    for (name, e) in sorted(block) {
        let p = format!("/mcp_servers/{}", token(name));
        match codex_entry(path, &p, name, e) {
            Ok(s) => servers.push(s),
            Err(err) => errors.push(err),
        }
    }
    Ok((servers, errors))
}

/// One Codex server table.
fn codex_entry(path: &Path, pointer: &str, name: &str, e: &Value) -> Result<ServerSpec, VetError> {
    let Some(o) = e.as_object() else {
        return Err(shape(path, pointer, "server is not a table"));
    };
    let transport = if let Some(url) = o.get("url").and_then(Value::as_str) {
        Transport::Http {
            url: url.to_string(),
            headers: string_map(
                path,
                &format!("{pointer}/http_headers"),
                o.get("http_headers"),
            )?,
        }
    } else if let Some(command) = o.get("command").and_then(Value::as_str) {
        Transport::Stdio {
            command: command.to_string(),
            args: string_list(path, &format!("{pointer}/args"), o.get("args"))?,
            env: string_map(path, &format!("{pointer}/env"), o.get("env"))?,
        }
    } else {
        return Err(shape(
            path,
            pointer,
            "server has neither a string `command` nor a `url`",
        ));
    };
    Ok(ServerSpec {
        client: Client::Codex,
        config_path: path.to_path_buf(),
        pointer: pointer.to_string(),
        scope: None,
        name: name.to_string(),
        transport,
        disabled: o.get("enabled").and_then(Value::as_bool) == Some(false),
    })
}

/// `text` with `//` and `/* */` comments and trailing commas blanked out. Every removed byte
/// becomes a space (line breaks are kept), so the JSON parser's line and column still point
/// into the original file.
fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut in_string = false;
    // Position of the last comma outside strings with only blanks and comments after it.
    let mut pending_comma: Option<usize> = None;
    while let Some(&c) = b.get(i) {
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match (c, b.get(i + 1).copied()) {
            (b'"', _) => {
                in_string = true;
                pending_comma = None;
            }
            (b'/', Some(b'/')) => {
                while let Some(&x) = b.get(i) {
                    if x == b'\n' {
                        break;
                    }
                    if let Some(o) = out.get_mut(i) {
                        *o = b' ';
                    }
                    i += 1;
                }
                continue;
            }
            (b'/', Some(b'*')) => {
                let mut j = i;
                while j < b.len() {
                    let end = b.get(j) == Some(&b'*') && b.get(j + 1) == Some(&b'/');
                    if let Some(o) = out.get_mut(j) {
                        if *o != b'\n' {
                            *o = b' ';
                        }
                    }
                    if end {
                        if let Some(o) = out.get_mut(j + 1) {
                            *o = b' ';
                        }
                        j += 2;
                        break;
                    }
                    j += 1;
                }
                i = j;
                continue;
            }
            (b',', _) => pending_comma = Some(i),
            (b'}' | b']', _) => {
                if let Some(p) = pending_comma.take() {
                    if let Some(o) = out.get_mut(p) {
                        *o = b' ';
                    }
                }
            }
            (x, _) if x.is_ascii_whitespace() => {}
            _ => pending_comma = None,
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced by ASCII spaces, so this stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Environment and header names that hold secrets.
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"(?i)(?:^|[_\-.])(?:api_?key|apikey|key|token|secret|password|passwd|pass|pwd|auth|authorization|credentials?|private_?key|access_?key|cookie|session)(?:$|[_\-.])",
    )
});

/// Values that are recognisably a credential whatever they are called.
static SECRET_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,}|(?:sk|rk)_live_[A-Za-z0-9]{20,}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,}|dop_v1_[a-f0-9]{64}|shpat_[a-fA-F0-9]{32}|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b",
    )
});

/// Values that refer to a secret rather than hold it, or are placeholders.
static SECRET_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"(?i)^\$\{?[\w:.\-]+\}?$|\$\{|\{env:|\$\(|^%[\w]+%$|^(?:op|vault|keychain|env|secret)://|^<.*>$|^your[_\-\s]|^(?:x+|\*+|\.+|changeme|replace[_\-]?me|todo|tbd|none|null|true|false|placeholder)$",
    )
});

/// Does `re` match `s`?
fn is(re: &LazyLock<Regex>, s: &str) -> bool {
    re.is_match(s)
}

/// Judge a literal `value` stored under `name`: `Some(severity)` when it looks like a secret.
fn literal_secret(name: &str, value: &str) -> Option<Severity> {
    let v = value.trim();
    let v = ["Bearer ", "bearer ", "Basic ", "basic ", "token ", "Token "]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v)
        .trim();
    if v.is_empty() || is(&SECRET_REFERENCE, v) {
        return None;
    }
    if is(&SECRET_SHAPE, v) {
        return Some(Severity::High);
    }
    if !is(&SECRET_NAME, name) {
        return None;
    }
    // Paths and URLs under a *_KEY name point at a secret; they are not one.
    if v.starts_with(['/', '~', '.']) || v.contains("://") || v.contains(['\\', ' ']) {
        return None;
    }
    let n = v.chars().count();
    if n >= 16 && entropy(v) >= 3.0 {
        Some(Severity::High)
    } else if n >= 8 && !v.chars().all(|c| c.is_ascii_digit()) {
        Some(Severity::Medium)
    } else {
        None
    }
}

/// Static checks on one server spec, without running it.
pub fn check_spec(spec: &ServerSpec) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule: &'static str, severity, at: String, message: String, evidence: String| {
        out.push(
            Finding {
                rule,
                severity,
                server: spec.name.clone(),
                item: String::new(),
                location: at,
                message,
                evidence,
                config: None,
            }
            .with_config(&spec.config_path),
        );
    };
    let at = &spec.pointer;
    match &spec.transport {
        Transport::Stdio { command, args, env } => {
            let (cmd_key, args_key, env_key) = match spec.client {
                Client::Goose => ("cmd", "args", "envs"),
                Client::ClaudeDesktop
                | Client::ClaudeCode
                | Client::Cursor
                | Client::VsCode
                | Client::Windsurf
                | Client::Codex
                | Client::Generic => ("command", "args", "env"),
            };
            if let Some((i, pkg, why)) = unpinned_package(command, args) {
                let where_ = i.map_or(format!("{at}/{cmd_key}"), |i| {
                    format!("{at}/{args_key}/{i}")
                });
                push(
                    "mcp.config.unpinned-package",
                    Severity::Medium,
                    where_,
                    format!(
                        "`{}` runs `{}` {why}: whatever is published next runs",
                        escape(basename(command)),
                        escape(&pkg)
                    ),
                    escape(&command_line(command, args)),
                );
            }
            if let Some((i, p)) = writable_path(command, args) {
                let where_ = i.map_or(format!("{at}/{cmd_key}"), |i| {
                    format!("{at}/{args_key}/{i}")
                });
                push(
                    "mcp.config.writable-command",
                    Severity::High,
                    where_,
                    format!("runs `{}` from a world-writable directory, which any local user can replace", escape(&p)),
                    escape(&command_line(command, args)),
                );
            }
            for (k, v) in env {
                if let Some(sev) = literal_secret(k, v.expose()) {
                    push(
                        "mcp.config.literal-secret",
                        sev,
                        format!("{at}/{env_key}/{}", token(k)),
                        format!("environment variable `{}` holds a literal secret; reference it from the environment or a secret store instead", escape(k)),
                        format!("{}={}", escape(k), redact(v.expose())),
                    );
                }
            }
            for (i, (name, value)) in arg_secrets(args) {
                push(
                    "mcp.config.literal-secret",
                    Severity::High,
                    format!("{at}/{args_key}/{i}"),
                    format!("argument {} holds a literal secret, visible to every local user in the process list", i),
                    format!("{}{}", escape(&name), redact(&value)),
                );
            }
            for (i, a) in args.iter().enumerate() {
                if let Some(msg) = plain_http(a) {
                    push(
                        "mcp.config.plain-http",
                        Severity::Medium,
                        format!("{at}/{args_key}/{i}"),
                        msg,
                        escape(a),
                    );
                }
            }
        }
        Transport::Http { url, headers } => {
            let headers_key = if spec.client == Client::Codex {
                "http_headers"
            } else {
                "headers"
            };
            for (k, v) in headers {
                if let Some(sev) = literal_secret(k, v.expose()) {
                    push(
                        "mcp.config.literal-secret",
                        sev,
                        format!("{at}/{headers_key}/{}", token(k)),
                        format!("header `{}` holds a literal secret; reference it from the environment or a secret store instead", escape(k)),
                        format!("{}: {}", escape(k), redact(v.expose())),
                    );
                }
            }
            let url_key = match spec.client {
                Client::Goose => "uri",
                Client::Windsurf => "serverUrl",
                Client::ClaudeDesktop
                | Client::ClaudeCode
                | Client::Cursor
                | Client::VsCode
                | Client::Codex
                | Client::Generic => "url",
            };
            if let Some((name, value)) = url_secret(url) {
                push(
                    "mcp.config.literal-secret",
                    Severity::High,
                    format!("{at}/{url_key}"),
                    "the URL carries a literal secret".to_string(),
                    format!("{}{}", escape(&name), redact(&value)),
                );
            }
            if let Some(msg) = plain_http(url) {
                let sends_secret =
                    headers.keys().any(|k| is(&SECRET_NAME, k)) || url_secret(url).is_some();
                let (sev, msg) = if sends_secret {
                    (
                        Severity::High,
                        format!("{msg}, with credentials in the clear"),
                    )
                } else {
                    (Severity::Medium, msg)
                };
                push(
                    "mcp.config.plain-http",
                    sev,
                    format!("{at}/{url_key}"),
                    msg,
                    escape(url),
                );
            }
        }
    }
    out
}

/// The file name of a command, without a Windows `.cmd`/`.exe` suffix.
fn basename(command: &str) -> &str {
    let b = command.rsplit(['/', '\\']).next().unwrap_or(command);
    b.strip_suffix(".cmd")
        .or_else(|| b.strip_suffix(".exe"))
        .unwrap_or(b)
}

/// The command line, for evidence, with literal secrets redacted.
fn command_line(command: &str, args: &[String]) -> String {
    let secret: std::collections::BTreeSet<usize> =
        arg_secrets(args).into_iter().map(|(i, _)| i).collect();
    let mut s = command.to_string();
    for (i, a) in args.iter().enumerate() {
        s.push(' ');
        if secret.contains(&i) {
            s.push_str("<redacted>");
        } else {
            s.push_str(a);
        }
    }
    crate::text::clip(&s, 160)
}

/// A package run without a pinned version: (index of the offending arg, or `None` for the
/// command; the package spec; why).
fn unpinned_package(
    command: &str,
    args: &[String],
) -> Option<(Option<usize>, String, &'static str)> {
    let base = basename(command);
    let first = args.first().map(String::as_str);
    match (base, first) {
        ("npx" | "bunx" | "pnpx", _) => npm_runner(args, 0),
        ("pnpm" | "yarn", Some("dlx")) | ("npm", Some("exec" | "x")) => npm_runner(args, 1),
        ("uvx", _) => uv_runner(args, 0),
        ("uv", Some("tool")) if args.get(1).map(String::as_str) == Some("run") => {
            uv_runner(args, 2)
        }
        ("pipx", Some("run")) => uv_runner(args, 1),
        ("docker" | "podman", Some("run")) => docker_image(args, 1),
        _ => None,
    }
}

/// The option's name when `a` is `--name=value` or `--name`.
fn flag_name(a: &str) -> &str {
    a.split_once('=').map_or(a, |(n, _)| n)
}

/// npx and friends: the packages named by `--package`/`-p`, or else the first positional.
fn npm_runner(args: &[String], from: usize) -> Option<(Option<usize>, String, &'static str)> {
    let mut i = from;
    let mut packages: Vec<(usize, String)> = Vec::new();
    let mut positional = None;
    while let Some(a) = args.get(i) {
        if a == "--" {
            positional = args.get(i + 1).map(|p| (i + 1, p.clone()));
            break;
        }
        match flag_name(a) {
            "-p" | "--package" => {
                if let Some((_, v)) = a.split_once('=') {
                    packages.push((i, v.to_string()));
                } else if let Some(v) = args.get(i + 1) {
                    packages.push((i + 1, v.clone()));
                    i += 1;
                }
            }
            // Options that take a value.
            "-c" | "--call" | "--registry" | "--cache" | "--userconfig" | "-w" | "--workspace" => {
                if !a.contains('=') {
                    i += 1;
                }
            }
            f if f.starts_with('-') => {}
            _ => {
                positional = Some((i, a.clone()));
                break;
            }
        }
        i += 1;
    }
    if packages.is_empty() {
        packages.extend(positional);
    }
    packages
        .into_iter()
        .find_map(|(i, spec)| npm_unpinned(&spec).map(|why| (Some(i), spec, why)))
}

/// Why an npm package spec is not pinned to one version, or `None` if it is (or is local).
fn npm_unpinned(spec: &str) -> Option<&'static str> {
    if spec.starts_with(['.', '/', '~']) || spec.starts_with("file:") {
        return None;
    }
    if spec.contains("://") || spec.starts_with("github:") || spec.starts_with("git+") {
        return match spec.rsplit_once('#') {
            Some((_, r)) if r.len() >= 7 && r.bytes().all(|b| b.is_ascii_hexdigit()) => None,
            _ => Some("from a git ref that can move"),
        };
    }
    let rest = spec
        .strip_prefix('@')
        .map_or(spec, |r| r.split_once('/').map_or(r, |(_, n)| n));
    match rest.split_once('@') {
        None => Some("without a version"),
        Some((_, v)) if is_exact_version(v) => None,
        Some((_, "latest" | "next" | "")) => Some("at a moving tag"),
        Some(_) => Some("with a version range"),
    }
}

/// Is `v` one exact semver version?
fn is_exact_version(v: &str) -> bool {
    static EXACT: LazyLock<Regex> = LazyLock::new(|| {
        crate::detect::compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?$")
    });
    is(&EXACT, v)
}

/// uvx / `uv tool run` / `pipx run`: the `--from` spec, or else the first positional.
fn uv_runner(args: &[String], from: usize) -> Option<(Option<usize>, String, &'static str)> {
    let mut i = from;
    let mut target = None;
    while let Some(a) = args.get(i) {
        match flag_name(a) {
            "--from" | "--spec" => {
                if let Some((_, v)) = a.split_once('=') {
                    target = Some((i, v.to_string()));
                } else if let Some(v) = args.get(i + 1) {
                    target = Some((i + 1, v.clone()));
                }
                break;
            }
            "--with"
            | "--with-requirements"
            | "--with-editable"
            | "--python"
            | "-p"
            | "--index"
            | "--index-url"
            | "--extra-index-url"
            | "--default-index"
            | "-i"
            | "--constraints"
            | "--overrides"
            | "--cache-dir"
            | "--directory"
            | "--env-file" => {
                if !a.contains('=') {
                    i += 1;
                }
            }
            "--" => {
                target = args.get(i + 1).map(|p| (i + 1, p.clone()));
                break;
            }
            f if f.starts_with('-') => {}
            _ => {
                target = Some((i, a.clone()));
                break;
            }
        }
        i += 1;
    }
    let (i, spec) = target?;
    if spec.starts_with(['.', '/', '~']) {
        return None;
    }
    if spec.contains("://") || spec.starts_with("git+") {
        return match spec.rsplit_once('@') {
            Some((_, r)) if r.len() >= 7 && r.bytes().all(|b| b.is_ascii_hexdigit()) => None,
            _ => Some((Some(i), spec, "from a git ref that can move")),
        };
    }
    if let Some((_, v)) = spec.split_once("==") {
        return (v.trim().is_empty()).then_some((Some(i), spec.clone(), "without a version"));
    }
    match spec.split_once('@') {
        Some((_, v)) if !v.is_empty() && v != "latest" => None,
        Some(_) => Some((Some(i), spec, "at a moving tag")),
        None if spec.contains(['>', '<', '~', '^', '!']) => {
            Some((Some(i), spec, "with a version range"))
        }
        None => Some((Some(i), spec, "without a version")),
    }
}

/// `docker run IMAGE`: the image, when it has no tag or digest, or is `:latest`.
fn docker_image(args: &[String], from: usize) -> Option<(Option<usize>, String, &'static str)> {
    const WITH_VALUE: &[&str] = &[
        "-e",
        "--env",
        "-v",
        "--volume",
        "--name",
        "-p",
        "--publish",
        "--network",
        "--net",
        "--mount",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "--entrypoint",
        "--env-file",
        "--platform",
        "-l",
        "--label",
        "--add-host",
        "--cap-add",
        "--cap-drop",
        "-h",
        "--hostname",
        "-m",
        "--memory",
        "--cpus",
        "--pull",
        "--restart",
        "--security-opt",
        "--device",
        "--ulimit",
        "--tmpfs",
        "--dns",
        "--log-driver",
        "--log-opt",
        "--runtime",
        "--gpus",
    ];
    let mut i = from;
    while let Some(a) = args.get(i) {
        let f = flag_name(a);
        if WITH_VALUE.contains(&f) {
            if !a.contains('=') {
                i += 1;
            }
        } else if !f.starts_with('-') {
            let image = a.as_str();
            if image.contains("@sha256:") {
                return None;
            }
            let last = image.rsplit('/').next().unwrap_or(image);
            return match last.split_once(':') {
                Some((_, "latest")) => Some((Some(i), a.clone(), "at the moving tag `latest`")),
                Some(_) => None,
                None => Some((Some(i), a.clone(), "without a tag or digest")),
            };
        }
        i += 1;
    }
    None
}

/// Directories any local user can write to.
const WRITABLE_DIRS: &[&str] = &["/tmp/", "/var/tmp/", "/dev/shm/", "/private/tmp/"];

/// Interpreters whose first positional argument is the program that really runs.
const INTERPRETERS: &[&str] = &[
    "node", "python", "python3", "bash", "sh", "zsh", "deno", "bun", "ruby", "perl", "php", "java",
];

/// The command, or the script an interpreter runs, when it lives in a world-writable directory.
fn writable_path(command: &str, args: &[String]) -> Option<(Option<usize>, String)> {
    let in_writable = |p: &str| WRITABLE_DIRS.iter().any(|d| p.starts_with(d));
    if in_writable(command) {
        return Some((None, command.to_string()));
    }
    let base = basename(command);
    let interpreter = INTERPRETERS.contains(&base)
        || base
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if !interpreter {
        return None;
    }
    let (i, script) = args.iter().enumerate().find(|(_, a)| !a.starts_with('-'))?;
    in_writable(script).then(|| (Some(i), script.clone()))
}

/// Arguments holding a literal secret: `--token=VALUE`, `--token VALUE`, or a value shaped like
/// a known credential. Returns (index, (shown prefix, secret)).
fn arg_secrets(args: &[String]) -> Vec<(usize, (String, String))> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if let Some(flag) = a.strip_prefix("--").or_else(|| a.strip_prefix('-')) {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            if is(&SECRET_NAME, name) {
                let (at, value) = match inline {
                    Some(v) => (i, Some(v.to_string())),
                    None => (
                        i + 1,
                        args.get(i + 1).filter(|v| !v.starts_with('-')).cloned(),
                    ),
                };
                if let Some(v) = value {
                    if literal_secret(name, &v) == Some(Severity::High) {
                        let shown = if inline.is_some() {
                            format!("{}=", flag_name(a))
                        } else {
                            String::new()
                        };
                        out.push((at, (shown, v)));
                        i = at + 1;
                        continue;
                    }
                }
            }
        }
        if let Some(m) = SECRET_SHAPE.find(a) {
            out.push((i, (String::new(), m.as_str().to_string())));
        } else if let Some((name, value)) = url_secret(a) {
            out.push((i, (name, value)));
        }
        i += 1;
    }
    out
}

/// A literal secret in a URL: a password in the userinfo, or a secret-named query parameter.
fn url_secret(url: &str) -> Option<(String, String)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, pass)) = userinfo.split_once(':') {
            if !pass.is_empty() && !is(&SECRET_REFERENCE, pass) {
                return Some(("password in URL: ".to_string(), pass.to_string()));
            }
        }
    }
    let query = rest.split_once('?').map(|(_, q)| q)?;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        literal_secret(k, v)?;
        Some((format!("{k}="), v.to_string()))
    })
}

/// Why `url` is a plain-HTTP, non-loopback URL, if it is.
fn plain_http(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("ws://") {
        return None;
    }
    let host = url_host(&lower);
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    (!loopback).then(|| {
        format!(
            "talks to `{}` over plain HTTP, readable and changeable on the network",
            escape(&host)
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_detector_builds() {
        for re in [
            &super::SECRET_NAME,
            &super::SECRET_SHAPE,
            &super::SECRET_REFERENCE,
        ] {
            std::sync::LazyLock::force(re);
        }
        assert!(super::is_exact_version("1.2.3"));
    }

    use super::*;

    #[test]
    fn jsonc_comments_and_trailing_commas_are_blanked_in_place() {
        let t = "{\n  // c\n  \"a\": \"x // not a comment\", /* b */\n  \"b\": [1, 2,],\n}";
        let s = strip_jsonc(t);
        assert_eq!(s.len(), t.len());
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x // not a comment");
        assert_eq!(v["b"], serde_json::json!([1, 2]));
    }

    #[test]
    fn npm_specs() {
        assert_eq!(
            npm_unpinned("@modelcontextprotocol/server-filesystem"),
            Some("without a version")
        );
        assert_eq!(npm_unpinned("@scope/pkg@1.2.3"), None);
        assert_eq!(npm_unpinned("pkg@latest"), Some("at a moving tag"));
        assert_eq!(npm_unpinned("pkg@^1.2.0"), Some("with a version range"));
        assert_eq!(npm_unpinned("./local"), None);
        assert_eq!(npm_unpinned("github:o/r#0123456789abcdef"), None);
        assert_eq!(
            npm_unpinned("github:o/r"),
            Some("from a git ref that can move")
        );
    }

    #[test]
    fn runners() {
        let a = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert!(unpinned_package("npx", &a(&["-y", "pkg"])).is_some());
        assert!(unpinned_package("npx", &a(&["-y", "pkg@1.0.0", "--flag"])).is_none());
        assert!(unpinned_package("/usr/local/bin/npx", &a(&["--yes", "--", "@s/p"])).is_some());
        assert!(unpinned_package("npx", &a(&["-p", "pkg@1.0.0", "bin-name"])).is_none());
        assert!(unpinned_package("uvx", &a(&["mcp-server-git"])).is_some());
        assert!(unpinned_package("uvx", &a(&["mcp-server-git==0.6.2"])).is_none());
        assert!(unpinned_package("uvx", &a(&["--from", "pkg==1.0", "cmd"])).is_none());
        assert!(unpinned_package("uvx", &a(&["--python", "3.12", "pkg@latest"])).is_some());
        assert!(unpinned_package(
            "docker",
            &a(&["run", "-i", "--rm", "-e", "X", "ghcr.io/o/img"])
        )
        .is_some());
        assert!(unpinned_package("docker", &a(&["run", "-i", "ghcr.io/o/img:1.2"])).is_none());
        assert!(unpinned_package("node", &a(&["server.js"])).is_none());
    }

    #[test]
    fn secrets_are_judged_by_name_and_shape() {
        assert_eq!(
            literal_secret("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            Some(Severity::High)
        );
        assert_eq!(
            literal_secret("OPENAI_API_KEY", "Zx8kQ2mLp9Rt4vWb7YcN3s"),
            Some(Severity::High)
        );
        assert_eq!(
            literal_secret("DB_PASSWORD", "hunter2hunter"),
            Some(Severity::Medium)
        );
        assert_eq!(literal_secret("GITHUB_TOKEN", "${GITHUB_TOKEN}"), None);
        assert_eq!(literal_secret("API_KEY", "${input:api-key}"), None);
        assert_eq!(literal_secret("API_KEY", "<your-api-key>"), None);
        assert_eq!(
            literal_secret("SSH_KEY_PATH", "/home/u/.ssh/id_ed25519"),
            None
        );
        assert_eq!(literal_secret("KEYBOARD", "Zx8kQ2mLp9Rt4vWb7YcN3s"), None);
        assert_eq!(
            literal_secret("Authorization", "Bearer Zx8kQ2mLp9Rt4vWb7YcN3s"),
            Some(Severity::High)
        );
    }

    #[test]
    fn plain_http_spares_loopback() {
        assert!(plain_http("http://mcp.example.com/sse").is_some());
        assert!(plain_http("http://localhost:3000/mcp").is_none());
        assert!(plain_http("http://127.0.0.1:3000/mcp").is_none());
        assert!(plain_http("http://[::1]:3000/mcp").is_none());
        assert!(plain_http("https://mcp.example.com").is_none());
    }
}
