//! Session facts as a typed schema: every fact the monitor's session analysis, the MCP gateway
//! or the sandbox may set, with its type. A rule that names an unknown fact, or tests a fact in a
//! way its type cannot satisfy, is a policy error at `file:line:column`, not a rule that can
//! never fire.

use serde_json::Value;

use crate::spec::ValueTest;

/// What kind of value a fact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    /// `true` or `false`.
    Bool,
    /// A number (scores run from 0 to 1).
    Number,
    /// A string; one of the listed values when the list is not empty.
    Text(&'static [&'static str]),
    /// A list of strings (or of objects, for findings).
    List,
}

impl FactType {
    /// The type in words, for error messages and the schema.
    pub fn describe(self) -> String {
        match self {
            FactType::Bool => "a boolean".into(),
            FactType::Number => "a number".into(),
            FactType::Text([]) => "a string".into(),
            FactType::Text(values) => format!("one of {}", values.join(", ")),
            FactType::List => "a list".into(),
        }
    }
}

/// One session fact.
#[derive(Debug, Clone, Copy)]
pub struct FactInfo {
    /// Its name in `match.session`.
    pub name: &'static str,
    /// Its type.
    pub ty: FactType,
    /// What it means.
    pub description: &'static str,
}

const fn fact(name: &'static str, ty: FactType, description: &'static str) -> FactInfo {
    FactInfo {
        name,
        ty,
        description,
    }
}

use FactType::{Bool, List, Number, Text};

/// Every session fact, by name.
pub const FACTS: &[FactInfo] = &[
    fact(
        "untrusted_seen",
        Bool,
        "outside content was read in this session",
    ),
    fact(
        "injection_seen",
        Bool,
        "outside content carrying instructions to the model was read",
    ),
    fact(
        "prompt_injected",
        Bool,
        "a user turn carried injected instructions after its request",
    ),
    fact(
        "args_injection",
        Bool,
        "the call's arguments carry injected instructions the user did not write",
    ),
    fact(
        "ambiguous_target",
        Bool,
        "the call acts on one of several records that fit the user's description",
    ),
    fact(
        "ambiguous_candidates",
        List,
        "the records that fit the user's description",
    ),
    fact(
        "publishes_confidential",
        Bool,
        "the call publishes (a post, a tweet) in a session whose task or content marks data confidential",
    ),
    fact("side_effect", Bool, "the call changes something"),
    fact("sends_data", Bool, "the call carries data outward"),
    fact(
        "args_from",
        Text(&["task", "untrusted", "untrusted_instruction"]),
        "where the call's destinations came from",
    ),
    fact(
        "args_from_untrusted",
        Bool,
        "a destination came from outside content",
    ),
    fact(
        "args_from_injection",
        Bool,
        "a destination came from injected instructions",
    ),
    fact(
        "injected_values",
        List,
        "the values injected instructions introduced",
    ),
    fact(
        "drift",
        Number,
        "0..1: how far the call is from what the task asks for",
    ),
    fact("task_aligned", Bool, "the task asks for this kind of call"),
    fact(
        "task_delegated",
        Bool,
        "the task hands the agent to a document's instructions",
    ),
    fact("drift_reasons", List, "why the call drifts"),
    fact(
        "private_read",
        Bool,
        "the session read secrets or private data",
    ),
    fact(
        "args_pii",
        Bool,
        "the call sends a card number or a social security number",
    ),
    fact("pii_kinds", List, "which personal data the call sends"),
    fact(
        "args_secret",
        Bool,
        "the call's arguments carry a credential",
    ),
    fact(
        "secret_kinds",
        List,
        "which credentials the call's arguments carry",
    ),
    fact(
        "args_exfil",
        Bool,
        "the call's arguments carry data in a URL or image",
    ),
    fact(
        "baseline_score",
        Number,
        "0..1: how far the call is from this agent's usual",
    ),
    fact("baseline_reasons", List, "why the call is far from usual"),
    fact(
        "baseline_mature",
        Bool,
        "the behaviour profile has learned enough to score novelty",
    ),
    fact(
        "first_host",
        Bool,
        "a host this agent never reached in this workspace",
    ),
    fact(
        "delete_burst",
        Bool,
        "far more deletes in a minute than usual",
    ),
    fact(
        "first_credential_read",
        Bool,
        "a credential file this agent never read here",
    ),
    fact("credential_read", Bool, "the call reads a credential file"),
    fact("new_program", Bool, "a program this agent never ran here"),
    fact("unusual_tool", Bool, "a tool this agent rarely uses here"),
    fact(
        "new_path_area",
        Bool,
        "a part of the file system this agent never touched here",
    ),
    fact("rate_burst", Bool, "far more calls in a minute than usual"),
    fact(
        "sandbox_denied",
        List,
        "what the kernel sandbox refused in this session (paths, hosts)",
    ),
    fact("mcp_server", Text(&[]), "the MCP server of the call"),
    fact(
        "mcp_definition",
        Text(&["first_seen", "pinned", "changed", "unknown"]),
        "the tool definition against its pin",
    ),
    fact(
        "mcp_risk",
        Text(&["none", "low", "medium", "high", "critical"]),
        "the worst vetting finding on the tool's definition",
    ),
    fact(
        "mcp_findings",
        List,
        "the vetting findings on the tool's definition",
    ),
    fact(
        "config_tampered",
        Bool,
        "a watched agent configuration file changed and waits for a person's approval",
    ),
    fact(
        "config_tampered_classes",
        List,
        "what the unapproved configuration changes touch (hooks, permissions, ...)",
    ),
    fact(
        "config_action",
        Text(&["none", "alert", "ask", "restore"]),
        "for a `ConfigChange` event: the `config_integrity` action its change calls for (`none`: the file matches its pin)",
    ),
    fact(
        "skill_status",
        Text(&["trusted", "changed", "new", "unknown"]),
        "for a `Skill` call: the skill against its pin (`warden skills trust`); `unknown`: not found",
    ),
    fact(
        "skill_risk",
        Text(&["none", "low", "medium", "high", "critical"]),
        "for a `Skill` call: the worst finding of warden-vet's skill scan",
    ),
    fact(
        "skill_findings",
        List,
        "for a `Skill` call: the skill scan's findings",
    ),
];

/// The fact named `name`.
pub fn fact_info(name: &str) -> Option<&'static FactInfo> {
    FACTS.iter().find(|f| f.name == name)
}

/// Why a test on a fact of type `ty` can never be satisfied (or `None`).
pub(crate) fn type_error(ty: FactType, t: &ValueTest) -> Option<String> {
    let numeric = t.gt.is_some() || t.gte.is_some() || t.lt.is_some() || t.lte.is_some();
    let textual = t.glob.is_some() || t.regex.is_some();
    let what = ty.describe();
    match ty {
        Bool if numeric || textual => Some(format!(
            "it is {what}: test it with `true`, `false` or `exists`"
        )),
        Number if textual => Some(format!(
            "it is {what}: test it with `gt`, `gte`, `lt`, `lte` or `equals`"
        )),
        Text(_) | List if numeric => Some(format!("it is {what}: numeric comparisons never hold")),
        _ => match (&t.equals, ty) {
            (Some(v @ Value::Bool(_)), Number | Text(_) | List)
            | (Some(v @ (Value::Number(_) | Value::String(_))), Bool)
            | (Some(v @ Value::String(_)), Number)
            | (Some(v @ Value::Number(_)), Text(_)) => Some(format!("it is {what}, never `{v}`")),
            (Some(Value::String(s)), Text(values))
                if !values.is_empty() && !values.contains(&s.as_str()) =>
            {
                Some(format!("it is {what}, never `{s}`"))
            }
            _ => None,
        },
    }
}

/// The closest known fact name to `name`, for a "did you mean" hint.
pub(crate) fn closest(name: &str) -> Option<&'static str> {
    FACTS
        .iter()
        .map(|f| (distance(name, f.name), f.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
