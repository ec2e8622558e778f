//! The wire protocol between clients (hooks, the CLI) and the daemon: one JSON object per line.
//!
//! A client writes a [`Request`] line and reads [`Response`] lines: exactly one final response,
//! possibly preceded by [`Response::Pending`] while a human is asked. Requests on one connection
//! may be pipelined; responses come back in request order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use warden_action::Decision;

/// Upper bound on one request line (the adapters' input limit plus room for the envelope).
pub const MAX_LINE_BYTES: usize = warden_action::MAX_INPUT_BYTES + 64 * 1024;

/// The hook's environment: paths in the payload are resolved in the agent's world, not the
/// daemon's (which may run as another user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEnv {
    /// The agent user's home.
    pub home: String,
    /// Environment variables for `$VAR` expansion (secret-looking ones are left out by clients).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The workspace, when the client knows it (`CLAUDE_PROJECT_DIR`, `--workspace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

impl ClientEnv {
    /// This process's environment, without variables whose names suggest secrets.
    pub fn from_process() -> Self {
        let vars: BTreeMap<String, String> =
            std::env::vars().filter(|(k, _)| !looks_secret(k)).collect();
        ClientEnv {
            home: vars.get("HOME").cloned().unwrap_or_else(|| "/".into()),
            workspace: vars
                .get("CLAUDE_PROJECT_DIR")
                .filter(|d| d.starts_with('/'))
                .cloned(),
            vars,
        }
    }
}

/// Whether an environment variable's name suggests it holds a credential.
pub fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
        "COOKIE",
        "SESSION",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The scope of an approval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// This one request (and identical ones waiting with it).
    #[default]
    Once,
    /// The same action for the rest of the session.
    Session,
    /// The same action in any session, until the grant expires.
    Always,
}

impl Scope {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Once => "once",
            Scope::Session => "session",
            Scope::Always => "always",
        }
    }
}

/// The sandbox's egress proxy's question about a host on none of the policy's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EgressQuestion {
    /// The session, when the client knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The tool call, when the client knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// The sandboxed child (its earlier report names the call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Why the proxy would refuse it.
    pub reason: String,
}

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// An agent hook fired: record it, and decide when it gates something.
    Hook {
        /// `claude-code` or `codex`.
        agent: String,
        /// The hook payload as the agent sent it.
        payload: Value,
        /// The hook's environment.
        #[serde(default)]
        env: ClientEnv,
        /// A fresh random id the answer must echo (a replayed or forged answer does not).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// Decide Warden's generic action JSON (or a hook payload, detected).
    Check {
        /// The input.
        input: Value,
        /// The client's environment.
        #[serde(default)]
        env: ClientEnv,
        /// A fresh random id the answer must echo.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// List approvals (pending ones, or all of this run with `all`).
    Approvals {
        /// Include answered ones.
        #[serde(default)]
        all: bool,
    },
    /// One approval, with its full request.
    ApprovalShow {
        /// Its id.
        id: String,
    },
    /// Answer an approval.
    Answer {
        /// Its id.
        id: String,
        /// Approve (true) or deny.
        approve: bool,
        /// How far the answer reaches.
        #[serde(default)]
        scope: Scope,
        /// For `always` (and `session`): seconds until the grant expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_secs: Option<u64>,
    },
    /// Halt a session (or all with `None`): every later action is denied.
    Halt {
        /// The session; `None` for all.
        session: Option<String>,
    },
    /// Lift a halt.
    Resume {
        /// The session; `None` lifts every halt.
        session: Option<String>,
    },
    /// The daemon's state: policy, head of the audit chain, halts.
    Status,
    /// Configuration integrity: every pinned file and its state.
    ConfigStatus,
    /// Unified diffs of pinned against current content (one file, or every changed one).
    ConfigDiff {
        /// The file; `None` for every changed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// Re-pin the current state (one file, or every changed one): a person approves it.
    ConfigApprove {
        /// The file; `None` for every changed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// Write the pinned state back (one file, or every changed one).
    ConfigRestore {
        /// The file; `None` for every changed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// An MCP `tools/call` through `warden mcp`: decide it (waiting for a human on ask).
    McpCall {
        /// The session the call belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The MCP server's name.
        server: String,
        /// The tool's name.
        tool: String,
        /// The call's arguments.
        #[serde(default)]
        args: Value,
        /// The tool's annotations from the server's latest `tools/list`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<Value>,
        /// Facts the proxy knows (`mcp_definition`, `mcp_risk`), merged under the session's own.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        facts: BTreeMap<String, Value>,
        /// The proxy's environment (paths in arguments resolve in it).
        #[serde(default)]
        env: ClientEnv,
    },
    /// The result of an MCP tool call: recorded, and read into the session as outside content.
    McpResult {
        /// The session the call belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The MCP server's name.
        server: String,
        /// The tool's name.
        tool: String,
        /// The result (`content`, `structuredContent`, `isError`), as the server sent it.
        content: Value,
        /// What scanning the result found (injections, secrets), for the audit trail.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        findings: Vec<Value>,
    },
    /// What the kernel sandbox of `warden exec` enforced and refused for one command: recorded,
    /// and each refusal becomes the session's `sandbox_denied` fact.
    SandboxReport {
        /// The session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The tool call the command belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_use_id: Option<String>,
        /// What was refused, in words (`connect exfil.example:443`, `read ~/.ssh`).
        #[serde(default)]
        denied: Vec<String>,
        /// The sandbox's report (layers, unenforced, egress, exit code).
        #[serde(default)]
        report: Value,
    },
    /// The sandbox's egress proxy asks whether a command may reach a host on none of the
    /// policy's lists: held as an approval for a person; the answer is `allow` or `deny`.
    SandboxEgress(EgressQuestion),
    /// Something the MCP proxy saw that belongs in the audit trail: vetting findings, a changed
    /// tool definition, a server that started or exited.
    McpEvent {
        /// The session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The MCP server's name.
        server: String,
        /// What happened (`vetted`, `changed`, `pinned`, ...).
        event: String,
        /// The details.
        #[serde(default)]
        body: Value,
    },
}

/// The decision a hook renders for its agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// What to do.
    pub decision: Decision,
    /// What the policy decided (before the mode, grants and approvals).
    pub policy_decision: Decision,
    /// The text shown to the agent: the reason, the rules, the guidance.
    pub message: String,
    /// The rewritten tool input: for `modify`, shown to a person for approval; with `allow`
    /// (Codex in `bypassPermissions` mode only), the same command run in Warden's kernel sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_input: Option<Value>,
    /// The rules that fired.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The audit record of the decision.
    pub seq: u64,
    /// The approval that decided, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// The grant that decided, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    /// Whether the event gates anything (false: recorded only, the hook says nothing).
    pub gated: bool,
    /// The request's nonce, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Text for the agent's context (the policy guide, at session start and after a reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// A fresh random request id (128 bits, hex).
pub fn nonce() -> Option<String> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).ok()?;
    Some(hex::encode(b))
}

impl Request {
    /// The nonce the answer must echo, if the request carries one.
    pub fn nonce(&self) -> Option<&str> {
        match self {
            Request::Hook { nonce, .. } | Request::Check { nonce, .. } => nonce.as_deref(),
            _ => None,
        }
    }
}

/// What the daemon answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The final answer to a hook or check.
    Answer(Answer),
    /// A human is being asked; the final answer follows within `wait_ms`.
    Pending {
        /// The approval's id (`warden approvals approve ID`).
        approval: String,
        /// How long the daemon waits for the human.
        wait_ms: u64,
    },
    /// An admin or query request succeeded.
    Ok {
        /// The result.
        value: Value,
    },
    /// The request failed; a hook blocks.
    Error {
        /// Why.
        message: String,
    },
}
