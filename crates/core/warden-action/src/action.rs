//! The action types and their derived facts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ActionError;
use crate::path::{normalize_path, NormPath, PathEnv};

/// Version of the generic action JSON format; bumped on any incompatible change.
pub const ACTION_FORMAT_VERSION: u32 = 1;

/// One thing an agent is about to do, with who does it and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    /// What the action does.
    #[serde(flatten)]
    pub op: Operation,
    /// Who performs it.
    #[serde(default)]
    pub actor: Actor,
    /// Where it is performed.
    #[serde(default)]
    pub env: Env,
    /// Set when part of the input could not be understood statically; the reason says which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<Opacity>,
}

/// Who performs an action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Actor {
    /// The agent product (`claude-code`, `codex`, `openclaw`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The session the action belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The subagent acting inside the session, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subagent: Option<String>,
}

/// Where an action is performed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Env {
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Workspace (project) root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// Why an action could not be fully understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Opacity {
    /// What could not be resolved, for the human and the agent.
    pub reason: String,
}

/// What an action does. The JSON form is tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    /// Run a program.
    Exec(ExecAction),
    /// Read a file.
    FileRead {
        /// The file.
        path: NormPath,
    },
    /// Create or modify a file.
    FileWrite {
        /// The file.
        path: NormPath,
    },
    /// Delete a file or directory.
    FileDelete {
        /// The file or directory.
        path: NormPath,
        /// Whether a directory is removed with everything below it.
        #[serde(default)]
        recursive: bool,
    },
    /// Talk to a host over the network.
    Network(NetworkAction),
    /// Call a tool of the agent framework.
    ToolCall {
        /// The tool's name.
        name: String,
        /// The tool's arguments.
        #[serde(default)]
        args: Value,
        /// Whether the call only reads or changes something.
        #[serde(default)]
        effect: ToolEffect,
    },
    /// Call a tool of an MCP server.
    McpCall {
        /// The server's name.
        server: String,
        /// The tool's name.
        tool: String,
        /// The tool's arguments.
        #[serde(default)]
        args: Value,
        /// Whether the call only reads or changes something: from the tool's name, the server's
        /// annotations (which can only make it stricter) or the user's declaration.
        #[serde(default)]
        effect: ToolEffect,
    },
    /// Send a message to people (e-mail, chat, SMS).
    MessageSend {
        /// The channel (`email`, `slack`, `sms`, ...).
        channel: String,
        /// Who receives it.
        #[serde(default)]
        recipients: Vec<String>,
    },
    /// Start another agent.
    AgentSpawn {
        /// The kind of agent started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_type: Option<String>,
        /// The task given to it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
    },
    /// Change agent or tool configuration.
    ConfigChange {
        /// What configuration changes (a file or a settings scope).
        target: String,
    },
    /// Load an extension: a skill, plugin, hook or MCP server.
    ExtensionLoad {
        /// The extension type (`skill`, `plugin`, `mcp_server`, `hook`).
        extension: String,
        /// Its name.
        name: String,
        /// Where it comes from (path, package or URL).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
}

/// The kind of an [`Operation`], without its data; rules select on it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// [`Operation::Exec`].
    Exec,
    /// [`Operation::FileRead`].
    FileRead,
    /// [`Operation::FileWrite`].
    FileWrite,
    /// [`Operation::FileDelete`].
    FileDelete,
    /// [`Operation::Network`].
    Network,
    /// [`Operation::ToolCall`].
    ToolCall,
    /// [`Operation::McpCall`].
    McpCall,
    /// [`Operation::MessageSend`].
    MessageSend,
    /// [`Operation::AgentSpawn`].
    AgentSpawn,
    /// [`Operation::ConfigChange`].
    ConfigChange,
    /// [`Operation::ExtensionLoad`].
    ExtensionLoad,
}

impl ActionKind {
    /// Every kind, in declaration order.
    pub const ALL: [ActionKind; 11] = [
        ActionKind::Exec,
        ActionKind::FileRead,
        ActionKind::FileWrite,
        ActionKind::FileDelete,
        ActionKind::Network,
        ActionKind::ToolCall,
        ActionKind::McpCall,
        ActionKind::MessageSend,
        ActionKind::AgentSpawn,
        ActionKind::ConfigChange,
        ActionKind::ExtensionLoad,
    ];

    /// The snake_case name used in JSON and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Exec => "exec",
            ActionKind::FileRead => "file_read",
            ActionKind::FileWrite => "file_write",
            ActionKind::FileDelete => "file_delete",
            ActionKind::Network => "network",
            ActionKind::ToolCall => "tool_call",
            ActionKind::McpCall => "mcp_call",
            ActionKind::MessageSend => "message_send",
            ActionKind::AgentSpawn => "agent_spawn",
            ActionKind::ConfigChange => "config_change",
            ActionKind::ExtensionLoad => "extension_load",
        }
    }

    /// Dense index, for per-kind tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Whether a tool call only reads or has side effects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolEffect {
    /// Only reads.
    ReadOnly,
    /// Changes something: sends, writes, pays, deletes, grants.
    SideEffect,
    /// Not known; rules should treat it with care.
    #[default]
    Unknown,
}

/// A program execution.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ExecAction {
    /// The program's name as resolved: basename, without prefixes such as `\` or `command`.
    #[serde(default)]
    pub program: String,
    /// The full argument vector, `argv[0]` included.
    pub argv: Vec<String>,
    /// The whole command line, when the action came from a shell command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Facts derived from the argument vector and the surrounding shell.
    #[serde(default)]
    pub facts: CommandFacts,
}

/// Facts about a command that rules match on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CommandFacts {
    /// The first non-flag argument (`push` in `git push -f origin main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcommand: Option<String>,
    /// Flags, with combined short flags split (`-rf` gives `-r` and `-f`) and `--x=y` cut at `=`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Arguments that are not flags, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operands: Vec<String>,
    /// Programs whose output feeds this one's standard input (earlier pipeline stages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdin_from: Vec<String>,
    /// Wrappers this command runs inside (`sudo`, `bash -c`, `xargs`, ...), outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

impl CommandFacts {
    /// Derive subcommand, flags and operands from an argument vector (`argv[0]` excluded).
    pub fn from_args(args: &[String]) -> Self {
        let mut facts = CommandFacts::default();
        let mut after_dashdash = false;
        for arg in args {
            if after_dashdash || arg == "-" || !arg.starts_with('-') {
                if facts.subcommand.is_none() && facts.operands.is_empty() {
                    facts.subcommand = Some(arg.clone());
                }
                facts.operands.push(arg.clone());
            } else if arg == "--" {
                after_dashdash = true;
            } else if let Some(long) = arg.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or(long);
                facts.flags.push(format!("--{name}"));
            } else {
                let short = &arg[1..];
                // `-n5`, `-o/tmp/x`: only letters are flags; the rest is a value.
                for c in short.chars() {
                    if c.is_ascii_alphabetic() {
                        facts.flags.push(format!("-{c}"));
                    } else {
                        break;
                    }
                }
                if short.chars().any(|c| !c.is_ascii_alphabetic()) {
                    facts.flags.push(arg.clone());
                }
            }
        }
        facts
    }
}

impl ExecAction {
    /// An exec of `argv`, with program name and facts derived.
    pub fn new(argv: Vec<String>) -> Self {
        let mut exec = ExecAction {
            argv,
            ..ExecAction::default()
        };
        exec.derive();
        exec
    }

    /// Fill `program` and the argv-derived facts; keeps `stdin_from` and `via`.
    pub fn derive(&mut self) {
        let argv0 = self.argv.first().map(String::as_str).unwrap_or("");
        self.program = program_name(argv0);
        let args = self.argv.get(1..).unwrap_or(&[]);
        // Global options that take a value come before the subcommand: `git -c k=v push`.
        let value_flags: &[&str] = match self.program.as_str() {
            "git" => &[
                "-c",
                "-C",
                "--git-dir",
                "--work-tree",
                "--namespace",
                "--exec-path",
                "--config-env",
            ],
            "kubectl" | "oc" => &[
                "-n",
                "--namespace",
                "--context",
                "--kubeconfig",
                "-s",
                "--server",
                "--cluster",
                "--user",
            ],
            "docker" | "podman" => &["-H", "--host", "--context", "--config", "-l", "--log-level"],
            _ => &[],
        };
        let mut skip = 0;
        while let Some(a) = args.get(skip) {
            if value_flags.contains(&a.as_str()) {
                skip += 2;
            } else if a.starts_with('-')
                && a.len() > 1
                && !value_flags.is_empty()
                && args.get(skip + 1).is_some()
            {
                skip += 1;
            } else {
                break;
            }
        }
        let mut derived = CommandFacts::from_args(args.get(skip..).unwrap_or(&[]));
        if skip > 0 {
            let global = CommandFacts::from_args(args.get(..skip).unwrap_or(&[]));
            let mut flags = global.flags;
            flags.append(&mut derived.flags);
            derived.flags = flags;
        }
        self.facts.subcommand = derived.subcommand;
        self.facts.flags = derived.flags;
        self.facts.operands = derived.operands;
    }
}

/// The basename of a program path, with shell escapes (`\rm`) and quotes removed.
pub(crate) fn program_name(argv0: &str) -> String {
    let trimmed = argv0.trim_start_matches('\\');
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    base.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// A network request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct NetworkAction {
    /// HTTP method, when the protocol has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The full URL, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The host, lowercase, without a trailing dot.
    #[serde(default)]
    pub host: String,
    /// The port, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The scheme or protocol (`https`, `ssh`, `tcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Whether local data (a file, standard input, an environment value) is sent.
    #[serde(default)]
    pub sends_local_data: bool,
}

impl NetworkAction {
    /// A request to `url`; scheme, host and port are taken from it (`evil.example/x` reads as http).
    pub fn from_url(
        method: Option<&str>,
        url: &str,
        sends_local_data: bool,
    ) -> Result<Self, ActionError> {
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) => (Some(s.to_ascii_lowercase()), r),
            None => (None, url),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let end = v6
                .find(']')
                .ok_or_else(|| ActionError::BadUrl(url.to_string()))?;
            let port = v6[end + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
            (v6[..end].to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
                    (h.to_string(), p.parse().ok())
                }
                _ => (hostport.to_string(), None),
            }
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        // Shell text such as `$(whoami).evil.example` stays: the host is still worth matching.
        let host_char = |c: char| !c.is_whitespace() && !c.is_control() && !"\"'<>\\^|".contains(c);
        if host.is_empty() || !host.chars().all(host_char) {
            return Err(ActionError::BadUrl(url.to_string()));
        }
        let port = port.or(match scheme.as_deref() {
            Some("https") | Some("wss") => Some(443),
            Some("http") | Some("ws") => Some(80),
            Some("ssh") | Some("sftp") => Some(22),
            Some("ftp") => Some(21),
            _ => None,
        });
        Ok(NetworkAction {
            method: method.map(|m| m.to_ascii_uppercase()),
            url: Some(url.to_string()),
            host,
            port,
            scheme,
            sends_local_data,
        })
    }
}

impl Operation {
    /// The kind of this operation.
    pub fn kind(&self) -> ActionKind {
        match self {
            Operation::Exec(_) => ActionKind::Exec,
            Operation::FileRead { .. } => ActionKind::FileRead,
            Operation::FileWrite { .. } => ActionKind::FileWrite,
            Operation::FileDelete { .. } => ActionKind::FileDelete,
            Operation::Network(_) => ActionKind::Network,
            Operation::ToolCall { .. } => ActionKind::ToolCall,
            Operation::McpCall { .. } => ActionKind::McpCall,
            Operation::MessageSend { .. } => ActionKind::MessageSend,
            Operation::AgentSpawn { .. } => ActionKind::AgentSpawn,
            Operation::ConfigChange { .. } => ActionKind::ConfigChange,
            Operation::ExtensionLoad { .. } => ActionKind::ExtensionLoad,
        }
    }

    /// The path this operation touches, for file operations.
    pub fn path(&self) -> Option<&NormPath> {
        match self {
            Operation::FileRead { path }
            | Operation::FileWrite { path }
            | Operation::FileDelete { path, .. } => Some(path),
            Operation::Exec(_)
            | Operation::Network(_)
            | Operation::ToolCall { .. }
            | Operation::McpCall { .. }
            | Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => None,
        }
    }

    /// The tool name rules match with `tool:` (`server/tool` for MCP calls).
    pub fn tool_name(&self) -> Option<String> {
        match self {
            Operation::ToolCall { name, .. } => Some(name.clone()),
            Operation::McpCall { server, tool, .. } => Some(format!("mcp__{server}__{tool}")),
            Operation::Exec(_)
            | Operation::FileRead { .. }
            | Operation::FileWrite { .. }
            | Operation::FileDelete { .. }
            | Operation::Network(_)
            | Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => None,
        }
    }

    /// The JSON arguments rules match with `args:` pointers.
    pub fn args(&self) -> Option<&Value> {
        match self {
            Operation::ToolCall { args, .. } | Operation::McpCall { args, .. } => Some(args),
            Operation::Exec(_)
            | Operation::FileRead { .. }
            | Operation::FileWrite { .. }
            | Operation::FileDelete { .. }
            | Operation::Network(_)
            | Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => None,
        }
    }
}

impl Action {
    /// An action performing `op`, with no actor or location yet.
    pub fn new(op: Operation) -> Self {
        Action {
            op,
            actor: Actor::default(),
            env: Env::default(),
            opaque: None,
        }
    }

    /// The kind of this action.
    pub fn kind(&self) -> ActionKind {
        self.op.kind()
    }

    /// Normalise paths and derive command facts, so rules see canonical values.
    ///
    /// Adapters call this once after building an action; the gate assumes it was done.
    pub fn normalize(&mut self, env: &PathEnv) {
        if self.env.cwd.is_none() {
            self.env.cwd = Some(env.cwd.clone());
        }
        if self.env.workspace.is_none() {
            self.env.workspace.clone_from(&env.workspace);
        }
        match &mut self.op {
            Operation::FileRead { path }
            | Operation::FileWrite { path }
            | Operation::FileDelete { path, .. } => {
                *path = normalize_path(&path.raw, env);
                if path.unresolved && self.opaque.is_none() {
                    self.opaque = Some(Opacity {
                        reason: format!(
                            "path `{}` uses a variable whose value is unknown",
                            path.raw
                        ),
                    });
                }
            }
            // Lowering may have refined the facts (a wrapper's own flags); derive only when absent.
            Operation::Exec(exec)
                if exec.program.is_empty()
                    || (exec.facts.subcommand.is_none()
                        && exec.facts.flags.is_empty()
                        && exec.facts.operands.is_empty()) =>
            {
                exec.derive()
            }
            Operation::Exec(_) => {}
            Operation::Network(net) => {
                net.host = net.host.trim_end_matches('.').to_ascii_lowercase();
            }
            Operation::ToolCall { .. }
            | Operation::McpCall { .. }
            | Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn facts_split_flags_and_find_subcommand() {
        let e = ExecAction::new(s(&[
            "/usr/bin/git",
            "push",
            "-fq",
            "--force-with-lease=main",
            "origin",
            "main",
        ]));
        assert_eq!(e.program, "git");
        assert_eq!(e.facts.subcommand.as_deref(), Some("push"));
        assert_eq!(e.facts.flags, s(&["-f", "-q", "--force-with-lease"]));
        assert_eq!(e.facts.operands, s(&["push", "origin", "main"]));
        let r = ExecAction::new(s(&["\\rm", "-rf", "--", "-weird"]));
        assert_eq!(r.program, "rm");
        assert_eq!(r.facts.flags, s(&["-r", "-f"]));
        assert_eq!(r.facts.operands, s(&["-weird"]));
        let h = ExecAction::new(s(&["head", "-n5", "x"]));
        assert_eq!(h.facts.flags, s(&["-n", "-n5"]));
    }

    #[test]
    fn urls_parse_host_port_scheme() {
        let n =
            NetworkAction::from_url(Some("post"), "https://User@Evil.Example.:8443/x?q=1", true)
                .unwrap();
        assert_eq!(
            (n.host.as_str(), n.port, n.scheme.as_deref()),
            ("evil.example", Some(8443), Some("https"))
        );
        assert_eq!(n.method.as_deref(), Some("POST"));
        let bare = NetworkAction::from_url(None, "evil.example/upload", false).unwrap();
        assert_eq!((bare.host.as_str(), bare.port), ("evil.example", None));
        let v6 = NetworkAction::from_url(None, "http://[::1]:8080/", false).unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(8080)));
        assert!(NetworkAction::from_url(None, "https:///nohost", false).is_err());
        assert!(NetworkAction::from_url(None, "http://[::1/", false).is_err());
    }

    #[test]
    fn generic_json_round_trips() {
        let json = r#"{"kind":"file_read","path":"~/.ssh/id_rsa","actor":{"session":"s1"}}"#;
        let mut a: Action = serde_json::from_str(json).unwrap();
        a.normalize(&PathEnv::synthetic(
            "/home/u",
            "/home/u/p",
            Some("/home/u/p"),
        ));
        assert_eq!(a.kind(), ActionKind::FileRead);
        assert_eq!(a.op.path().unwrap().path, "/home/u/.ssh/id_rsa");
        let back = serde_json::to_value(&a).unwrap();
        assert_eq!(back["kind"], "file_read");
        assert_eq!(back["path"]["path"], "/home/u/.ssh/id_rsa");
    }

    #[test]
    fn unknown_kind_and_fields_are_errors() {
        assert!(serde_json::from_str::<Action>(r#"{"kind":"teleport"}"#).is_err());
        assert!(serde_json::from_str::<Action>(r#"{"kind":"file_read"}"#).is_err());
    }
}
