//! Events of the evaluation trace format (`../shared/eval`): one JSON object per line.
//!
//! [`TraceEvent`] holds what a live gate would see: session, step, kind, tool, arguments and
//! content. It has no field for `label` or `meta`, so nothing built on it can read the answers;
//! scoring reads them separately, outside the gate.

use serde::Deserialize;
use serde_json::Value;
use warden_action::{Actor, PathEnv};

use crate::{tools, AdapterError, Lowered};

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The user's task.
    UserPrompt,
    /// An action the agent is about to take.
    ToolCall,
    /// What a tool returned.
    ToolResult,
}

/// One trace event, without its label.
#[derive(Debug, Clone, Deserialize)]
pub struct TraceEvent {
    /// The session id (`source/...`).
    #[serde(deserialize_with = "string_or_number")]
    pub session: String,
    /// Position in the session, from 0.
    pub step: u64,
    /// What the event is.
    pub kind: EventKind,
    /// The tool called or that returned.
    #[serde(default)]
    pub tool: Option<String>,
    /// The tool call's arguments.
    #[serde(default)]
    pub args: Option<Value>,
    /// The prompt's or result's text.
    #[serde(default)]
    pub content: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "session must be a string, got {other}"
        ))),
    }
}

impl TraceEvent {
    /// Parse one line of a trace file.
    pub fn parse(line: &str) -> Result<Self, AdapterError> {
        serde_json::from_str(line).map_err(|e| AdapterError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Lower a `tool_call` event into actions; other kinds are not actions.
    pub fn lower(&self, env: &PathEnv) -> Result<Lowered, AdapterError> {
        if self.kind != EventKind::ToolCall {
            return Err(AdapterError::Event(format!("{:?}", self.kind)));
        }
        let name = self
            .tool
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or(AdapterError::Field {
                field: "tool".into(),
                expected: "a non-empty string",
            })?;
        let args = self
            .args
            .clone()
            .unwrap_or(Value::Object(Default::default()));
        let actions = tools::lower_tool(name, &args, env);
        let actor = Actor {
            agent: self.session.split('/').next().map(str::to_string),
            session: Some(self.session.clone()),
            subagent: None,
        };
        Ok(Lowered {
            actions,
            tool: Some(name.to_string()),
            tool_input: Some(args),
        }
        .finish(&actor, env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use warden_action::ActionKind;

    #[test]
    fn parses_and_lowers_without_labels() {
        let line = r#"{"session": "s/1", "step": 1, "kind": "tool_call", "tool": "shell", "args": {"command": "cat ~/.ssh/id_rsa"}, "content": null, "label": "attack", "meta": {"x": 1}}"#;
        let ev = TraceEvent::parse(line).unwrap();
        let env = PathEnv::synthetic(
            "/home/user",
            "/home/user/project",
            Some("/home/user/project"),
        );
        let l = ev.lower(&env).unwrap();
        let kinds: Vec<ActionKind> = l.actions.iter().map(|a| a.kind()).collect();
        assert_eq!(
            kinds,
            [ActionKind::ToolCall, ActionKind::Exec, ActionKind::FileRead]
        );
        assert_eq!(l.actions[0].actor.session.as_deref(), Some("s/1"));
        let prompt = TraceEvent::parse(
            r#"{"session": 7, "step": 0, "kind": "user_prompt", "content": "hi"}"#,
        )
        .unwrap();
        assert_eq!(prompt.session, "7");
        assert!(prompt.lower(&env).is_err());
        assert!(TraceEvent::parse(r#"{"session": "s", "step": 0, "kind": "nope"}"#).is_err());
        assert!(TraceEvent::parse(
            r#"{"session": "s", "step": 0, "kind": "tool_call", "tool": ""}"#
        )
        .unwrap()
        .lower(&env)
        .is_err());
    }
}
