//! Tool calls written as text. Some agent frameworks hand the gate an action they could not
//! parse into a structured call: the model's raw output, in which the call is still plain to
//! read (`{"command": {"name": "execute_python_code", "args": {...}}}`, `TerminalExecute Input:
//! {"command": "..."}`, `{"GrantAccess": {"guest_ids": [...]}}`, a fenced shell block). Whatever
//! runs that text runs the call in it, so the gate judges the call too: the embedded calls are
//! lowered next to the opaque one (see `warden-adapters`) and can only make the decision
//! stricter.

use serde_json::{Map, Value};

/// Most bytes of raw text searched for embedded calls.
const MAX_TEXT: usize = 64 * 1024;

/// Most embedded calls taken from one text.
const MAX_CALLS: usize = 8;

/// Calls embedded in a call of tool `name` whose only argument is free text: `(tool name,
/// arguments)`. Text that is a JSON object and names no other call is `name`'s own arguments.
pub fn embedded_calls(name: &str, args: &Value) -> Vec<(String, Value)> {
    let Some(text) = only_text(args) else {
        return Vec::new();
    };
    let text = text.get(..MAX_TEXT).unwrap_or(text);
    let mut out = Vec::new();
    let whole = text.trim();
    if whole.starts_with('{') && whole.ends_with('}') {
        // Models often write raw line breaks inside JSON strings; read them as escapes.
        let parsed = serde_json::from_str::<Value>(whole)
            .or_else(|_| serde_json::from_str::<Value>(&escape_controls(whole)));
        if let Ok(v @ Value::Object(_)) = parsed {
            named_calls(&v, &mut out);
            if out.is_empty() {
                out.push((name.to_string(), v));
            }
            return out;
        }
    }
    fenced_shell(text, &mut out);
    react_input(text, &mut out);
    for v in json_objects(text) {
        named_calls(&v, &mut out);
    }
    out.truncate(MAX_CALLS);
    out
}

/// Names of a lone argument that holds a model's free text rather than a value the tool
/// defines (a `command` is the shell's own and is lowered as such).
const FREE_TEXT_KEYS: &[&str] = &[
    "raw",
    "input",
    "output",
    "text",
    "action",
    "action_input",
    "tool_input",
    "response",
    "completion",
];

/// The text of arguments that are one free-text field (`{"raw": "..."}`).
fn only_text(args: &Value) -> Option<&str> {
    let obj = args.as_object()?;
    match obj.iter().next() {
        Some((k, Value::String(s)))
            if obj.len() == 1 && FREE_TEXT_KEYS.contains(&k.to_ascii_lowercase().as_str()) =>
        {
            Some(s)
        }
        _ => None,
    }
}

/// `text` with control characters inside JSON strings escaped (`\n` for a raw line break).
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            '\n' if in_string => out.push_str("\\n"),
            '\r' if in_string => out.push_str("\\r"),
            '\t' if in_string => out.push_str("\\t"),
            _ => out.push(c),
        }
        if escaped {
            escaped = false;
        } else if c == '\\' && in_string {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
    }
    out
}

/// Fenced blocks marked as shell (```bash ... ```): a shell command each.
fn fenced_shell(text: &str, out: &mut Vec<(String, Value)>) {
    let mut rest = text;
    while let Some(at) = rest.find("```") {
        let after = rest.get(at + 3..).unwrap_or("");
        let (lang, body) = after.split_once('\n').unwrap_or((after, ""));
        let Some(end) = body.find("```") else {
            return;
        };
        let code = body.get(..end).unwrap_or("").trim();
        if matches!(lang.trim(), "bash" | "sh" | "shell" | "zsh" | "console") && !code.is_empty() {
            out.push(("shell".into(), cmd(code)));
        }
        rest = body.get(end + 3..).unwrap_or("");
    }
}

fn cmd(code: &str) -> Value {
    let mut m = Map::new();
    m.insert("command".into(), Value::String(code.to_string()));
    Value::Object(m)
}

/// `Tool Input: {json}` and `Action: Tool` / `Action Input: {json}` (the ReAct layout).
fn react_input(text: &str, out: &mut Vec<(String, Value)>) {
    for (at, _) in text.match_indices("Input:") {
        let before = text.get(..at).unwrap_or("").trim_end();
        let before = before.strip_suffix("Action").unwrap_or(before).trim_end();
        let line = before.rsplit('\n').next().unwrap_or(before);
        let line = line.strip_prefix("Action:").unwrap_or(line).trim();
        let name = line.rsplit(char::is_whitespace).next().unwrap_or(line);
        let after = text.get(at + "Input:".len()..).unwrap_or("");
        let Some(args) = json_objects(after).into_iter().next() else {
            continue;
        };
        if is_tool_name(name) {
            out.push((name.to_string(), args));
        }
    }
}

/// JSON objects in `text`, outermost first, each parsed from a `{` where one begins.
fn json_objects(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find('{')) {
        let at = from + i;
        let mut it =
            serde_json::Deserializer::from_str(text.get(at..).unwrap_or("")).into_iter::<Value>();
        match it.next() {
            Some(Ok(v @ Value::Object(_))) => {
                out.push(v);
                from = at + it.byte_offset().max(1);
            }
            _ => from = at + 1,
        }
        if out.len() >= MAX_CALLS {
            break;
        }
    }
    out
}

/// Calls named in a JSON value: `{"name": T, "args": {...}}` anywhere, or `{"T": {...}}` with
/// one key that reads as a tool name.
fn named_calls(v: &Value, out: &mut Vec<(String, Value)>) {
    let Some(obj) = v.as_object() else {
        return;
    };
    let name = obj.get("name").and_then(Value::as_str);
    let args = ["args", "arguments", "input", "parameters"]
        .iter()
        .find_map(|k| obj.get(*k).filter(|a| a.is_object()));
    if let (Some(n), Some(a)) = (name, args) {
        if is_tool_name(n) {
            out.push((n.to_string(), a.clone()));
            return;
        }
    }
    if obj.len() == 1 {
        if let Some((k, inner)) = obj.iter().next() {
            if inner.is_object() && is_tool_name(k) && !matches!(k.as_str(), "command" | "action") {
                out.push((k.clone(), inner.clone()));
                return;
            }
        }
    }
    obj.values().for_each(|x| named_calls(x, out));
}

/// Whether a word reads as a tool's name: letters, digits, `_`, `-`, `.`, with a letter.
fn is_tool_name(w: &str) -> bool {
    (2..=64).contains(&w.len())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && w.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn calls_written_as_text_are_found() {
        let raw = json!({"raw": "\"command\": {\"name\": \"run_code\", \"args\": {\"code\": \"import os; os.remove('x')\"}}}"});
        assert_eq!(
            embedded_calls("ToolX", &raw),
            [(
                "run_code".to_string(),
                json!({"code": "import os; os.remove('x')"})
            )]
        );
        let raw = json!({"output": "Thought: I will list files.\nAction: ShellRun\nAction Input: {\"command\": \"ls -la\"}"});
        assert_eq!(
            embedded_calls("ToolX", &raw),
            [("ShellRun".to_string(), json!({"command": "ls -la"}))]
        );
        let raw =
            json!({"raw": "{\"DoorLockGrant\":  {\"guest_ids\": [\"g7\"], \"permanent\": true}}"});
        assert_eq!(
            embedded_calls("ToolX", &raw),
            [(
                "DoorLockGrant".to_string(),
                json!({"guest_ids": ["g7"], "permanent": true})
            )]
        );
        let raw = json!({"raw": "Sure:\n```bash\nrm -rf ~/old\n```"});
        assert_eq!(
            embedded_calls("ToolX", &raw),
            [("shell".to_string(), json!({"command": "rm -rf ~/old"}))]
        );
    }

    #[test]
    fn a_json_text_is_the_tools_own_arguments() {
        let raw = json!({"raw": "{\"to\": \"a@example.com\", \"subject\": \"hi\"}"});
        assert_eq!(
            embedded_calls("MailSend", &raw),
            [(
                "MailSend".to_string(),
                json!({"to": "a@example.com", "subject": "hi"})
            )]
        );
    }

    #[test]
    fn raw_line_breaks_inside_strings_are_read() {
        let raw = json!({"raw": "{\"to\": \"a@example.com\", \"body\": \"Hi,\n\nsee attached\", \"attachments\": [\"~/.ssh/id_rsa\"]}"});
        assert_eq!(
            embedded_calls("MailSend", &raw),
            [(
                "MailSend".to_string(),
                json!({"to": "a@example.com", "body": "Hi,\n\nsee attached", "attachments": ["~/.ssh/id_rsa"]})
            )]
        );
    }

    #[test]
    fn prose_structured_arguments_and_other_code_are_not_calls() {
        for args in [
            json!({"raw": "I have sent the summary to Bob; let me know if you need anything else."}),
            json!({"raw": "The config is {\"debug\": true}."}),
            json!({"raw": "```python\nprint('hi')\n```"}),
            json!({"command": "ls", "cwd": "/tmp"}),
            json!({"command": "echo '{\"x\": {\"y\": 1}}' | jq ."}),
            json!({"body": "{\"send_money\": {\"to\": \"x\"}}", "to": "bob@example.com"}),
        ] {
            assert_eq!(embedded_calls("ToolX", &args), Vec::new(), "{args}");
        }
    }
}
