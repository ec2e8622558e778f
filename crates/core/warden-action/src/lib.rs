//! Warden's typed action model.
//!
//! Every integration (agent hooks, MCP proxy, HTTP API, trace replay) lowers what an agent is about
//! to do into [`Action`]s. The policy only ever sees these types, so a rule written once holds for
//! every integration. This crate knows nothing of adapters, policies or daemons.

mod action;
mod decision;
mod embedded;
mod error;
pub mod hook_events;
mod path;
mod scripts;
mod url_secret;

pub use action::{
    Action, ActionKind, Actor, CommandFacts, Env, ExecAction, NetworkAction, Opacity, Operation,
    ToolEffect, ACTION_FORMAT_VERSION,
};
pub use decision::Decision;
pub use embedded::embedded_calls;
pub use error::ActionError;
pub use path::{normalize_path, NormPath, PathEnv};
pub use scripts::{ScriptMemory, MAX_REMEMBERED_SCRIPTS, MAX_REMEMBERED_SCRIPT_BYTES};
pub use url_secret::url_carries_secret;

/// The largest input (a hook payload, an MCP message, a trace line) any front end accepts.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Split a tool name into lowercase words: `GmailSendEmail` -> `gmail send email`,
/// `send_money` -> `send money`, `mcp__fs__read-file` -> `mcp fs read file`, and an acronym
/// ends before the capital that starts the next word: `EpicFHIRSearchPatients` -> `epic fhir
/// search patients`.
pub fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    // Capitals in a row at the end of `cur`.
    let mut caps = 0usize;
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            (prev_lower, caps) = (false, 0);
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        // A plural acronym (`IDs`) stays one word.
        let plural = c == 's' && !chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if c.is_lowercase() && caps >= 2 && !plural {
            // `FHIRSearch`: the last capital starts the next word.
            if let Some(last) = cur.pop() {
                out.push(std::mem::take(&mut cur));
                cur.push(last);
            }
        }
        caps = if c.is_uppercase() { caps + 1 } else { 0 };
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The JSON Schema of one [`Action`] in Warden's generic action JSON.
pub fn action_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Action)).unwrap_or_default()
}

/// Argument names whose value is the verb of a tool that does several things
/// (`ManageDocuments {action: "delete"}`).
pub const VERB_ARGS: &[&str] = &[
    "action",
    "operation",
    "op",
    "method",
    "side",
    "mode",
    "verb",
];

/// The words of short verb-like argument values (`action: "delete"`, `side: "sell"`).
pub fn verb_words(args: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(obj) = args.as_object() {
        for k in VERB_ARGS {
            if let Some(v) = obj
                .get(*k)
                .and_then(serde_json::Value::as_str)
                .filter(|v| v.len() <= 32)
            {
                out.extend(name_words(v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::name_words;

    #[test]
    fn tool_names_split_into_words() {
        for (name, words) in [
            ("GmailSendEmail", "gmail send email"),
            ("send_money", "send money"),
            ("mcp__fs__read-file", "mcp fs read file"),
            ("EpicFHIRSearchPatients", "epic fhir search patients"),
            ("HTTPRequest", "http request"),
            ("getUserIDs", "get user ids"),
            ("list_S3Buckets", "list s3 buckets"),
        ] {
            assert_eq!(name_words(name).join(" "), words, "{name}");
        }
    }
}
