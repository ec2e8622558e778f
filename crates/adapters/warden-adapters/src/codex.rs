//! Codex hook payloads lowered into actions.
//!
//! Codex sends Claude Code's payload shape with extra fields (`turn_id`, `model`). Shell calls come
//! as `Bash` (the command a string or an argv array), file edits as `apply_patch` with the patch
//! body in `tool_input.command` (or `patch`), MCP tools as `mcp__<server>__<tool>`. A patch is
//! lowered into the file writes, moves and deletes it performs; a patch naming no file is an error.
//! Codex's other tools reach its hooks under their own names (Codex 0.171): `view_image` reads a
//! file, `spawn_agent` (in any namespace) starts an agent, `send_input`/`send_message` instruct
//! one, `request_plugin_install` loads a plugin, a memory
//! note writes persistent instructions (`request_permissions` is left to Codex's own prompt). `write_stdin` (keys into a running command) reaches no
//! PreToolUse hook at all, and `exec_command` arrives as `Bash` without its `workdir`.

use serde_json::Value;
use warden_action::{Action, NormPath, Operation, PathEnv, ToolEffect};

use crate::claude::{self, HookPayload};
use crate::{tools, AdapterError, Lowered};

/// Lower a Codex hook payload.
pub fn lower(v: &Value, env: &PathEnv) -> Result<Lowered, AdapterError> {
    let mut p = HookPayload::from_value(v)?;
    // Codex may send the shell command as an argv array; make it a command line.
    if let Some(Value::Array(argv)) = p.tool_input.as_ref().and_then(|i| i.get("command")) {
        let parts: Option<Vec<String>> = argv
            .iter()
            .map(|a| a.as_str().map(tools::shell_quote))
            .collect();
        let line = parts.ok_or(AdapterError::Field {
            field: "tool_input.command".into(),
            expected: "a string or an array of strings",
        })?;
        if let Some(input) = p.tool_input.as_mut().and_then(Value::as_object_mut) {
            input.insert("command".into(), Value::String(line.join(" ")));
        }
    }
    if let (Some(name), true) = (p.tool_name.clone(), p.is_tool_event()) {
        let input = p.tool_input.clone().unwrap_or(Value::Null);
        if let Some(actions) = codex_tool(&name, &input)? {
            let env = p.env(env);
            return Ok(Lowered {
                actions,
                tool: Some(name),
                tool_input: Some(input),
            }
            .finish(&p.actor("codex"), &env));
        }
    }
    claude::lower_payload(&p, "codex", env)
}

/// Codex's own tools that reach its hooks under their own names (besides `Bash` and
/// `mcp__*`, which the shared lowering knows): `None` for any other name. A tool in a namespace
/// arrives as namespace and name joined, so agent tools match by suffix.
fn codex_tool(name: &str, input: &Value) -> Result<Option<Vec<Action>>, AdapterError> {
    let call = |effect| {
        Action::new(Operation::ToolCall {
            name: name.to_string(),
            args: input.clone(),
            effect,
        })
    };
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| input.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let op = match name {
        "apply_patch" => {
            let body = text(&["command", "patch", "input"]).ok_or(AdapterError::Field {
                field: "tool_input.command".into(),
                expected: "the patch text",
            })?;
            let mut out = vec![call(ToolEffect::SideEffect)];
            out.extend(patch_actions(&body)?);
            return Ok(Some(out));
        }
        // Reads a local image and hands it to the model.
        "view_image" => Operation::FileRead {
            path: NormPath::raw(&text(&["path"]).ok_or(AdapterError::Field {
                field: "tool_input.path".into(),
                expected: "the image path",
            })?),
        },
        n if n.ends_with("spawn_agent") => Operation::AgentSpawn {
            agent_type: text(&["agent_type"]),
            prompt: text(&["message", "task_name"]),
        },
        "send_input" | "send_message" | "followup_task" => Operation::MessageSend {
            channel: "agent".into(),
            recipients: text(&["target", "id", "agent_id"]).into_iter().collect(),
        },
        "request_plugin_install" => Operation::ExtensionLoad {
            extension: "plugin".into(),
            name: text(&["plugin_id", "id", "name"]).unwrap_or_default(),
            source: text(&["source", "marketplace"]),
        },
        // A note kept for later sessions: persistent instructions.
        n if n.ends_with("add_ad_hoc_note") => Operation::FileWrite {
            path: NormPath::raw("~/.codex/memories/notes.md"),
        },
        _ => return Ok(None),
    };
    Ok(Some(vec![call(ToolEffect::SideEffect), Action::new(op)]))
}

/// The file actions of a Codex patch (`*** Add File:`, `*** Update File:`, `*** Delete File:`,
/// `*** Move to:`).
pub fn patch_actions(body: &str) -> Result<Vec<Action>, AdapterError> {
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim_end();
        let path = |prefix: &str| line.strip_prefix(prefix).map(|p| NormPath::raw(p.trim()));
        if let Some(path) = path("*** Add File:")
            .or_else(|| path("*** Update File:"))
            .or_else(|| path("*** Move to:"))
        {
            out.push(Action::new(Operation::FileWrite { path }));
        } else if let Some(path) = path("*** Delete File:") {
            out.push(Action::new(Operation::FileDelete {
                path,
                recursive: false,
            }));
        }
    }
    if out.is_empty() {
        return Err(AdapterError::Field {
            field: "tool_input.command".into(),
            expected: "a patch naming at least one file",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn env() -> PathEnv {
        PathEnv::synthetic("/home/u", "/", None)
    }

    fn payload(tool: &str, input: Value) -> Value {
        json!({
            "session_id": "c1", "transcript_path": null, "cwd": "/home/u/proj", "hook_event_name": "PreToolUse",
            "model": "gpt-5-codex", "turn_id": "t1", "tool_name": tool, "tool_input": input, "tool_use_id": "call_1"
        })
    }

    #[test]
    fn argv_commands_are_quoted_and_lowered() {
        let l = lower(
            &payload(
                "Bash",
                json!({"command": ["bash", "-lc", "cat ~/.aws/credentials"]}),
            ),
            &env(),
        )
        .unwrap();
        let reads: Vec<&str> = l
            .actions
            .iter()
            .filter_map(|a| a.op.path())
            .map(|p| p.path.as_str())
            .collect();
        assert_eq!(reads, ["/home/u/.aws/credentials"]);
        assert_eq!(l.actions[0].actor.agent.as_deref(), Some("codex"));
        assert!(lower(&payload("Bash", json!({"command": ["ls", 3]})), &env()).is_err());
    }

    #[test]
    fn patches_become_file_actions() {
        let patch = "*** Begin Patch\n*** Update File: src/main.rs\n@@\n-a\n+b\n*** Move to: src/app.rs\n*** Add File: ~/.bashrc\n+x\n*** Delete File: old.txt\n*** End Patch\n";
        let l = lower(&payload("apply_patch", json!({"command": patch})), &env()).unwrap();
        let got: Vec<String> = l.actions[1..]
            .iter()
            .map(|a| {
                format!(
                    "{}:{}",
                    a.kind().as_str(),
                    a.op.path().map_or("", |p| p.path.as_str())
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "file_write:/home/u/proj/src/main.rs",
                "file_write:/home/u/proj/src/app.rs",
                "file_write:/home/u/.bashrc",
                "file_delete:/home/u/proj/old.txt"
            ]
        );
        assert!(lower(
            &payload("apply_patch", json!({"command": "nothing here"})),
            &env()
        )
        .is_err());
        assert!(lower(&payload("apply_patch", json!({})), &env()).is_err());
    }

    #[test]
    fn codex_tools_beyond_shell_and_patches() {
        let kinds = |tool: &str, input: Value| -> Vec<&'static str> {
            lower(&payload(tool, input), &env())
                .unwrap()
                .actions
                .iter()
                .map(|a| a.kind().as_str())
                .collect()
        };
        let l = lower(
            &payload("view_image", json!({"path": "~/.ssh/id_rsa"})),
            &env(),
        )
        .unwrap();
        assert_eq!(
            l.actions[1].op.path().map(|p| p.path.as_str()),
            Some("/home/u/.ssh/id_rsa")
        );
        assert!(lower(&payload("view_image", json!({})), &env()).is_err());
        assert_eq!(
            kinds("collab.spawn_agent", json!({"message": "go"})),
            ["tool_call", "agent_spawn"]
        );
        assert_eq!(
            kinds("send_input", json!({"id": "a1", "message": "x"})),
            ["tool_call", "message_send"]
        );
        assert_eq!(
            kinds("request_plugin_install", json!({"plugin_id": "p"})),
            ["tool_call", "extension_load"]
        );
        assert_eq!(
            kinds("memories.add_ad_hoc_note", json!({"note": "x"})),
            ["tool_call", "file_write"]
        );
        // Plan bookkeeping stays a plain call.
        assert_eq!(kinds("update_plan", json!({"plan": []})), ["tool_call"]);
    }
}
