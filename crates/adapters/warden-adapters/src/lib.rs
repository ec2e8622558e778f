//! Adapters: every integration's input lowered into Warden's one action model.
//!
//! Each adapter turns a framework's payload (a Claude Code or Codex hook, Warden's generic action
//! JSON, a line of an evaluation trace) into [`Lowered`]: the typed actions the gate decides on,
//! plus the framework's own tool input so a `modify` decision can rewrite it. Input that cannot be
//! understood is an [`AdapterError`]; callers turn it into a blocking answer, never an allow.
//! Adapters depend on the core crates; nothing in the core depends on them.

pub mod claude;
pub mod codex;
mod env;
mod error;
pub mod generic;
pub mod openclaw;
pub mod scripts;
pub mod tools;
pub mod trace;

pub use env::host_env;
pub use error::AdapterError;

use serde_json::Value;
use warden_action::{Action, Actor, PathEnv};

pub use warden_action::MAX_INPUT_BYTES;

/// An input lowered into actions.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The actions the input performs, in order.
    pub actions: Vec<Action>,
    /// The framework's tool name, when the input is a tool call.
    pub tool: Option<String>,
    /// The framework's tool input, which `modify` decisions rewrite.
    pub tool_input: Option<Value>,
}

impl Lowered {
    /// Stamp every action with `actor` (fields already set are kept) and normalise it in `env`.
    pub(crate) fn finish(mut self, actor: &Actor, env: &PathEnv) -> Self {
        for a in &mut self.actions {
            if a.actor.agent.is_none() {
                a.actor.agent.clone_from(&actor.agent);
            }
            if a.actor.session.is_none() {
                a.actor.session.clone_from(&actor.session);
            }
            if a.actor.subagent.is_none() {
                a.actor.subagent.clone_from(&actor.subagent);
            }
            a.normalize(env);
        }
        self
    }
}

/// Which format an input is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Claude Code hook payload.
    ClaudeCode,
    /// A Codex hook payload.
    Codex,
    /// An OpenClaw plugin event (Warden's OpenClaw plugin's envelope).
    OpenClaw,
    /// Warden's generic action JSON.
    Generic,
}

impl Format {
    /// Guess the format of a JSON document: hook payloads carry `hook_event_name`; Codex adds
    /// `turn_id` or `model`; OpenClaw envelopes carry `event` and `toolName` (or, made into a hook
    /// payload, `openclaw_event`).
    pub fn detect(v: &Value) -> Option<Format> {
        let obj = v.as_object()?;
        if obj.contains_key("openclaw_event")
            || (obj.contains_key("event") && obj.contains_key("toolName"))
        {
            Some(Format::OpenClaw)
        } else if obj.contains_key("hook_event_name") {
            if obj.contains_key("turn_id") || obj.contains_key("model") {
                Some(Format::Codex)
            } else {
                Some(Format::ClaudeCode)
            }
        } else if obj.contains_key("kind")
            || obj.contains_key("actions")
            || obj.contains_key("tool")
            || obj.contains_key("version")
        {
            Some(Format::Generic)
        } else {
            None
        }
    }
}

/// Parse bytes as one JSON document, with the size and encoding checks every adapter needs.
pub fn parse_json(bytes: &[u8]) -> Result<Value, AdapterError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(AdapterError::TooLarge {
            size: bytes.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| AdapterError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(AdapterError::Empty);
    }
    serde_json::from_str(text).map_err(|e| AdapterError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Lower a JSON document in `format` (detected when `None`) with paths interpreted in `env`.
pub fn lower(v: &Value, format: Option<Format>, env: &PathEnv) -> Result<Lowered, AdapterError> {
    let format = match format {
        Some(f) => f,
        None => Format::detect(v).ok_or(AdapterError::UnknownFormat)?,
    };
    match format {
        Format::ClaudeCode => claude::lower(v, env),
        Format::Codex => codex::lower(v, env),
        Format::OpenClaw => openclaw::lower(v, env),
        Format::Generic => generic::lower(v, env),
    }
}
