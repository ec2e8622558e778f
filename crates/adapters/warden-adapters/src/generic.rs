//! Warden's generic action JSON, versioned, for any framework without a dedicated adapter.
//!
//! Three shapes, all with an optional `"version": 1`:
//! - one action: `{"kind": "file_read", "path": "~/.ssh/id_rsa", "actor": {...}, "env": {...}}`;
//! - several: `{"version": 1, "actor": {...}, "env": {"cwd": "..."}, "actions": [{...}, ...]}`;
//! - a framework tool call, mapped by [`crate::tools`]: `{"version": 1, "tool": "send_email",
//!   "args": {...}}`, or a shell command: `{"tool": "shell", "args": {"command": "..."}}`.
//!
//! Actions follow the schema of `warden_action::Action` (`warden policy schema --actions`).
//! `actor` and `env` at the top apply to every action that does not set its own.

use serde_json::{Map, Value};
use warden_action::{Action, Actor, PathEnv, ACTION_FORMAT_VERSION};

use crate::{tools, AdapterError, Lowered};

/// Lower a generic action document.
pub fn lower(v: &Value, env: &PathEnv) -> Result<Lowered, AdapterError> {
    let obj = v.as_object().ok_or(AdapterError::UnknownFormat)?;
    check_version(obj)?;
    let actor: Actor = match obj.get("actor") {
        Some(a) => serde_json::from_value(a.clone())
            .map_err(|e| AdapterError::Action(format!("actor: {e}")))?,
        None => Actor::default(),
    };
    let env = with_env(obj.get("env"), env)?;
    if let Some(tool) = obj.get("tool") {
        let name = tool
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or(AdapterError::Field {
                field: "tool".into(),
                expected: "a non-empty string",
            })?;
        let args = obj
            .get("args")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let actions = tools::lower_tool(name, &args, &env);
        return Ok(Lowered {
            actions,
            tool: Some(name.to_string()),
            tool_input: Some(args),
        }
        .finish(&actor, &env));
    }
    let actions = match obj.get("actions") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, a)| {
                parse_action(a).map_err(|e| AdapterError::Action(format!("actions[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(AdapterError::Field {
                field: "actions".into(),
                expected: "a non-empty array of actions",
            })
        }
        None => {
            let mut single = obj.clone();
            single.remove("version");
            vec![parse_action(&Value::Object(single)).map_err(AdapterError::Action)?]
        }
    };
    Ok(Lowered {
        actions,
        tool: None,
        tool_input: None,
    }
    .finish(&actor, &env))
}

fn check_version(obj: &Map<String, Value>) -> Result<(), AdapterError> {
    match obj.get("version") {
        None => Ok(()),
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(ACTION_FORMAT_VERSION)) => Ok(()),
        Some(other) => Err(AdapterError::Version {
            format: "action JSON",
            version: other.to_string(),
            supported: ACTION_FORMAT_VERSION,
        }),
    }
}

fn parse_action(v: &Value) -> Result<Action, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

fn with_env(v: Option<&Value>, env: &PathEnv) -> Result<PathEnv, AdapterError> {
    let mut env = env.clone();
    let Some(v) = v else { return Ok(env) };
    let field = |k: &str| -> Result<Option<String>, AdapterError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.starts_with('/') => Ok(Some(s.clone())),
            Some(_) => Err(AdapterError::Field {
                field: format!("env.{k}"),
                expected: "an absolute path",
            }),
        }
    };
    if let Some(cwd) = field("cwd")? {
        env.vars.insert("PWD".into(), cwd.clone());
        env.cwd = cwd;
    }
    if let Some(ws) = field("workspace")? {
        env.workspace = Some(ws);
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;
    use warden_action::{ActionKind, Operation};

    fn env() -> PathEnv {
        PathEnv::synthetic("/home/u", "/home/u", None)
    }

    #[test]
    fn single_many_and_tool_forms() {
        let one = lower(
            &json!({"version": 1, "kind": "file_read", "path": "~/.ssh/id_rsa"}),
            &env(),
        )
        .unwrap();
        assert_eq!(
            one.actions[0].op.path().map(|p| p.path.as_str()),
            Some("/home/u/.ssh/id_rsa")
        );

        let many = lower(
            &json!({"actor": {"agent": "goose", "session": "g1"}, "env": {"cwd": "/home/u/w", "workspace": "/home/u/w"},
                    "actions": [{"kind": "file_write", "path": "x"}, {"kind": "network", "host": "Example.COM."}]}),
            &env(),
        )
        .unwrap();
        assert_eq!(
            many.actions[0]
                .op
                .path()
                .map(|p| (p.path.as_str(), p.in_workspace)),
            Some(("/home/u/w/x", Some(true)))
        );
        let Operation::Network(n) = &many.actions[1].op else {
            panic!()
        };
        assert_eq!(n.host, "example.com");
        assert_eq!(many.actions[1].actor.agent.as_deref(), Some("goose"));

        let tool = lower(
            &json!({"tool": "shell", "args": {"command": "rm -rf /"}}),
            &env(),
        )
        .unwrap();
        assert!(tool
            .actions
            .iter()
            .any(|a| a.kind() == ActionKind::FileDelete));
    }

    #[test]
    fn bad_documents_are_errors() {
        assert!(matches!(
            lower(&json!({"version": 2, "kind": "exec"}), &env()),
            Err(AdapterError::Version { .. })
        ));
        assert!(matches!(
            lower(&json!({"kind": "teleport"}), &env()),
            Err(AdapterError::Action(_))
        ));
        assert!(matches!(
            lower(&json!({"actions": []}), &env()),
            Err(AdapterError::Field { .. })
        ));
        assert!(matches!(
            lower(&json!({"actions": [{"kind": "file_read"}]}), &env()),
            Err(AdapterError::Action(_))
        ));
        assert!(matches!(
            lower(&json!({"tool": ""}), &env()),
            Err(AdapterError::Field { .. })
        ));
        assert!(matches!(
            lower(
                &json!({"kind": "file_read", "path": "a", "env": {"cwd": "rel"}}),
                &env()
            ),
            Err(AdapterError::Field { .. })
        ));
        assert!(matches!(
            lower(&json!([1]), &env()),
            Err(AdapterError::UnknownFormat)
        ));
    }
}
