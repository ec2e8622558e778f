//! What a tool call tells about the whole text of the files it writes, for the session's memory
//! of scripts (`Write {file_path, content}`, an `Edit`, `cat > run.sh <<'EOF'` in a shell).
//!
//! The session forgets a file whenever a call writes it; these texts are remembered after that,
//! so a file written with a text not known here stays forgotten.

use serde_json::{Map, Value};
use warden_action::PathEnv;

use crate::tools;

/// A file text a call gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The file now holds `text`.
    Whole {
        /// Normalised absolute path.
        path: String,
        /// The whole text.
        text: String,
    },
    /// `old` in the file was replaced by `new` (every occurrence when `all`).
    Edit {
        /// Normalised absolute path.
        path: String,
        /// Text replaced.
        old: String,
        /// Text put in its place.
        new: String,
        /// Whether every occurrence was replaced.
        all: bool,
    },
}

/// The file texts the call `tool(args)` gives, in the order it writes them.
pub fn written(tool: &str, args: &Value, env: &PathEnv) -> Vec<Written> {
    let empty = Map::new();
    let obj = args.as_object().unwrap_or(&empty);
    if let Some(cmd) = tools::shell_command(tool, args) {
        return warden_shell::written_files(&cmd, env)
            .into_iter()
            .map(|(path, text)| Written::Whole { path, text })
            .collect();
    }
    let Some(path) = ["file_path", "path", "filename", "file_name", "target_file"]
        .iter()
        .find_map(|k| obj.get(*k)?.as_str())
        .filter(|p| !p.is_empty())
    else {
        return Vec::new();
    };
    // A call that carries no text (a read, a listing) writes none: no path to resolve (which
    // asks the file system about every component).
    let carries_text = ["content", "file_text", "edits", "old_string", "old_str"]
        .iter()
        .any(|k| obj.contains_key(*k));
    if !carries_text {
        return Vec::new();
    }
    let path = warden_action::normalize_path(path, env).path;
    let text =
        |v: &Map<String, Value>, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(content) = text(obj, "content").or_else(|| text(obj, "file_text")) {
        return vec![Written::Whole {
            path,
            text: content,
        }];
    }
    let edit = |e: &Map<String, Value>| -> Option<Written> {
        Some(Written::Edit {
            path: path.clone(),
            old: text(e, "old_string").or_else(|| text(e, "old_str"))?,
            new: text(e, "new_string").or_else(|| text(e, "new_str"))?,
            all: e
                .get("replace_all")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    };
    if let Some(edits) = obj.get("edits").and_then(Value::as_array) {
        return edits
            .iter()
            .map(|e| {
                e.as_object().and_then(edit).unwrap_or(Written::Edit {
                    // An edit that cannot be read: the text is unknown from here on.
                    path: path.clone(),
                    old: String::new(),
                    new: String::new(),
                    all: false,
                })
            })
            .collect();
    }
    edit(obj).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn env() -> PathEnv {
        PathEnv::synthetic("/home/u", "/home/u/proj", Some("/home/u/proj"))
    }

    #[test]
    fn texts_of_writes_edits_and_heredocs() {
        assert_eq!(
            written(
                "Write",
                &json!({"file_path": "run.sh", "content": "ls\n"}),
                &env()
            ),
            [Written::Whole {
                path: "/home/u/proj/run.sh".into(),
                text: "ls\n".into()
            }]
        );
        assert_eq!(
            written(
                "Edit",
                &json!({"file_path": "/home/u/proj/run.sh", "old_string": "ls", "new_string": "rm -rf ~"}),
                &env()
            ),
            [Written::Edit {
                path: "/home/u/proj/run.sh".into(),
                old: "ls".into(),
                new: "rm -rf ~".into(),
                all: false
            }]
        );
        assert_eq!(
            written(
                "Bash",
                &json!({"command": "cat > run.sh <<'EOF'\nrm -rf ~\nEOF"}),
                &env()
            ),
            [Written::Whole {
                path: "/home/u/proj/run.sh".into(),
                text: "rm -rf ~\n".into()
            }]
        );
        assert_eq!(written("Read", &json!({"file_path": "run.sh"}), &env()), []);
    }
}
