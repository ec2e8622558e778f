//! Vetting of MCP list results: the walk over every string the model sees in a `tools/list`,
//! `prompts/list`, `resources/list` or `resources/templates/list` result, and the checks that
//! need a whole definition or other servers' tools (shadowed names, references to another
//! server's tools, parameters that smuggle context out). What one string says is judged by the
//! content detector in `detect`; this module decides where strings are and what they are.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::detect::{scan_text, Field};
use crate::finding::{Finding, Severity};
use crate::pin::ItemKind;
use crate::text::{self, escape, evidence, skeleton};

/// Deepest nesting walked; deeper values are reported instead of walked (a schema this deep
/// exists only to exhaust a scanner).
const MAX_DEPTH: usize = 64;

/// How far around a mention of another tool or parameter to look for intent, in bytes.
const MENTION_REACH: usize = 200;

/// Which list a result answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListMethod {
    /// `tools/list`: `{ "tools": [...] }`.
    Tools,
    /// `prompts/list`: `{ "prompts": [...] }`.
    Prompts,
    /// `resources/list`: `{ "resources": [...] }`.
    Resources,
    /// `resources/templates/list`: `{ "resourceTemplates": [...] }`.
    ResourceTemplates,
}

impl ListMethod {
    /// The method for a JSON-RPC method name, if it is one of the four lists.
    pub fn from_method(method: &str) -> Option<ListMethod> {
        match method {
            "tools/list" => Some(ListMethod::Tools),
            "prompts/list" => Some(ListMethod::Prompts),
            "resources/list" => Some(ListMethod::Resources),
            "resources/templates/list" => Some(ListMethod::ResourceTemplates),
            _ => None,
        }
    }

    /// The JSON-RPC method name.
    pub fn method(self) -> &'static str {
        match self {
            ListMethod::Tools => "tools/list",
            ListMethod::Prompts => "prompts/list",
            ListMethod::Resources => "resources/list",
            ListMethod::ResourceTemplates => "resources/templates/list",
        }
    }

    /// The member of the result that holds the list.
    pub fn field(self) -> &'static str {
        match self {
            ListMethod::Tools => "tools",
            ListMethod::Prompts => "prompts",
            ListMethod::Resources => "resources",
            ListMethod::ResourceTemplates => "resourceTemplates",
        }
    }

    /// The kind of item the list holds, as pins record it.
    pub fn item_kind(self) -> ItemKind {
        match self {
            ListMethod::Tools => ItemKind::Tool,
            ListMethod::Prompts => ItemKind::Prompt,
            ListMethod::Resources | ListMethod::ResourceTemplates => ItemKind::Resource,
        }
    }

    /// The member that identifies an item: `name`, or the URI for resources.
    pub(crate) fn key_field(self) -> &'static str {
        match self {
            ListMethod::Tools | ListMethod::Prompts => "name",
            ListMethod::Resources => "uri",
            ListMethod::ResourceTemplates => "uriTemplate",
        }
    }
}

/// Well-known built-in tools of MCP clients (Claude Code, Codex). An MCP tool with one of these
/// exact names competes with the built-in for the model's attention.
const BUILTINS: &[&str] = &[
    "Bash",
    "BashOutput",
    "Edit",
    "ExitPlanMode",
    "Glob",
    "Grep",
    "KillShell",
    "LS",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Read",
    "SlashCommand",
    "Task",
    "TodoWrite",
    "WebFetch",
    "WebSearch",
    "Write",
    "apply_patch",
    "exec_command",
    "shell",
    "update_plan",
    "view_image",
];

/// What vetting one server needs to know about the others.
#[derive(Debug, Clone)]
pub struct VetContext {
    /// Tool names of every server, by server name.
    servers: BTreeMap<String, BTreeSet<String>>,
    /// Client built-in tool names (exact, case-sensitive).
    builtins: BTreeSet<String>,
}

impl Default for VetContext {
    fn default() -> Self {
        VetContext::new()
    }
}

impl VetContext {
    /// A context with no other servers and the well-known client built-ins.
    pub fn new() -> VetContext {
        VetContext {
            servers: BTreeMap::new(),
            builtins: BUILTINS.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// Record the tool names `server` exports (entries for the server being vetted are ignored
    /// by [`vet_list`], so one context can serve every server).
    pub fn add_server_tools<I, S>(&mut self, server: &str, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.servers
            .entry(server.to_string())
            .or_default()
            .extend(names.into_iter().map(Into::into));
    }

    /// [`VetContext::add_server_tools`], by value.
    #[must_use]
    pub fn with_server_tools<I, S>(mut self, server: &str, names: I) -> VetContext
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.add_server_tools(server, names);
        self
    }

    /// Replace the client built-in tool names.
    pub fn set_builtins<I, S>(&mut self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.builtins = names.into_iter().map(Into::into).collect();
    }

    /// The client built-in tool names.
    pub fn builtins(&self) -> &BTreeSet<String> {
        &self.builtins
    }

    /// Tools of servers other than `server`, as (server, tool) pairs.
    fn others<'a>(&'a self, server: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.servers
            .iter()
            .filter(move |(s, _)| s.as_str() != server)
            .flat_map(|(s, tools)| tools.iter().map(move |t| (s.as_str(), t.as_str())))
    }
}

/// The identifying names in a list result (tool and prompt names, resource URIs), in order,
/// for building a [`VetContext`].
pub fn list_names(method: ListMethod, result: &Value) -> Vec<String> {
    result
        .get(method.field())
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get(method.key_field()).and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Vet one list result of `server` (the JSON-RPC `result` object) for tool poisoning.
pub fn vet_list(
    server: &str,
    method: ListMethod,
    result: &Value,
    ctx: &VetContext,
) -> Vec<Finding> {
    let mut v = Vetter {
        server,
        ctx,
        out: Vec::new(),
        item_start: 0,
    };
    let field = method.field();
    let Some(items) = result.get(field).and_then(Value::as_array) else {
        v.push_raw(
            "mcp.vet.malformed",
            Severity::Medium,
            "",
            "",
            format!("the result of `{}` has no `{field}` array", method.method()),
            text::clip(&escape(&result.to_string()), 80),
        );
        return v.out;
    };
    let own: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i.get(method.key_field()).and_then(Value::as_str))
        .collect();
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("/{field}/{i}");
        let start = v.out.len();
        v.item_start = start;
        v.item(method, item, &at, &own, &mut seen);
        escalate(v.out.get_mut(start..).unwrap_or_default());
    }
    v.out
}

/// Several distinct poisoning signs in one definition make a high one critical: benign servers
/// trip one detector by accident, not two at once.
fn escalate(findings: &mut [Finding]) {
    let distinct: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium && f.rule != "mcp.vet.malformed")
        .map(|f| f.rule)
        .collect();
    if distinct.len() < 2 {
        return;
    }
    for f in findings.iter_mut() {
        if f.severity == Severity::High {
            f.severity = Severity::Critical;
        }
    }
}

/// A string to scan: where it is and what it is.
struct Spot<'a> {
    pointer: String,
    field: Field,
    text: &'a str,
}

/// State of one [`vet_list`] call.
struct Vetter<'a> {
    server: &'a str,
    ctx: &'a VetContext,
    out: Vec<Finding>,
    /// Index in `out` where the current item's findings start: duplicates can only occur
    /// within one item (locations name the item), so only those are searched.
    item_start: usize,
}

impl Vetter<'_> {
    /// Add a finding, keeping one per (item, rule, location) at its highest severity.
    fn push_raw(
        &mut self,
        rule: &'static str,
        severity: Severity,
        item: &str,
        location: &str,
        message: String,
        evidence: String,
    ) {
        if let Some(f) = self
            .out
            .get_mut(self.item_start..)
            .unwrap_or_default()
            .iter_mut()
            .find(|f| f.rule == rule && f.location == location && f.item == item)
        {
            if severity > f.severity {
                f.severity = severity;
                f.message = message;
                f.evidence = evidence;
            }
            return;
        }
        self.out.push(Finding {
            rule,
            severity,
            server: self.server.to_string(),
            item: item.to_string(),
            location: location.to_string(),
            message,
            evidence,
            config: None,
        });
    }

    /// Vet one item of a list.
    fn item(
        &mut self,
        method: ListMethod,
        item: &Value,
        at: &str,
        own: &BTreeSet<&str>,
        seen: &mut BTreeSet<String>,
    ) {
        let Some(obj) = item.as_object() else {
            self.push_raw(
                "mcp.vet.malformed",
                Severity::Medium,
                "",
                at,
                "a list entry is not an object".to_string(),
                text::clip(&escape(&item.to_string()), 80),
            );
            return;
        };
        let key = obj.get(method.key_field()).and_then(Value::as_str);
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .or(key)
            .unwrap_or("")
            .to_string();
        let label = if name.is_empty() {
            at.to_string()
        } else {
            escape(&name)
        };
        match key {
            None => self.push_raw(
                "mcp.vet.malformed",
                Severity::Medium,
                &label,
                at,
                format!("entry has no string `{}`", method.key_field()),
                String::new(),
            ),
            Some(k) => {
                if !seen.insert(k.to_string()) {
                    self.push_raw(
                        "mcp.shadow.name",
                        Severity::Medium,
                        &label,
                        &format!("{at}/{}", method.key_field()),
                        format!("`{}` is listed more than once", escape(k)),
                        escape(k),
                    );
                }
            }
        }
        if method == ListMethod::Tools && !obj.contains_key("inputSchema") {
            self.push_raw(
                "mcp.vet.malformed",
                Severity::Low,
                &label,
                at,
                "tool has no `inputSchema`".to_string(),
                String::new(),
            );
        }

        let mut spots = Vec::new();
        let mut params = Vec::new();
        let mut depth_hit = false;
        collect_item(method, obj, at, &mut spots, &mut params, &mut depth_hit);
        if depth_hit {
            self.push_raw(
                "mcp.vet.malformed",
                Severity::Medium,
                &label,
                at,
                format!("definition nests deeper than {MAX_DEPTH} levels; the rest was not vetted"),
                String::new(),
            );
        }
        for spot in &spots {
            for sig in scan_text(spot.text, spot.field) {
                self.push_raw(
                    sig.rule,
                    sig.severity,
                    &label,
                    &spot.pointer,
                    sig.message,
                    sig.evidence,
                );
            }
        }
        if method == ListMethod::Tools && !name.is_empty() {
            self.shadowing(&name, &label, &format!("{at}/name"));
        }
        self.cross_tool(&spots, &label, own);
        self.parameters(&params, &spots, &label);
    }

    /// Names that collide with another server's tool or a client built-in, or imitate one.
    fn shadowing(&mut self, name: &str, label: &str, at: &str) {
        let ctx = self.ctx;
        let loose = |s: &str| s.to_ascii_lowercase().replace('-', "_");
        let skel = skeleton(name);
        let mut hits: Vec<(Severity, String)> = Vec::new();
        for b in &ctx.builtins {
            if b == name {
                hits.push((
                    Severity::Medium,
                    format!("shadows the client built-in tool `{}`", escape(b)),
                ));
            } else if skel == skeleton(b) && loose(name) != loose(b) {
                hits.push((
                    Severity::High,
                    format!(
                        "imitates the client built-in tool `{}` with look-alike characters",
                        escape(b)
                    ),
                ));
            }
        }
        for (server, tool) in ctx.others(self.server) {
            if loose(tool) == loose(name) {
                hits.push((
                    Severity::Medium,
                    format!(
                        "shadows `{}`, also exported by server `{}`",
                        escape(tool),
                        escape(server)
                    ),
                ));
            } else if skel == skeleton(tool) {
                hits.push((
                    Severity::High,
                    format!(
                        "imitates `{}` of server `{}` with look-alike characters",
                        escape(tool),
                        escape(server)
                    ),
                ));
            }
        }
        // Show foreign letters escaped: a look-alike printed as itself hides the attack.
        let shown: String = name
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("\\u{{{:x}}}", u32::from(c))
                }
            })
            .collect();
        for (severity, message) in hits {
            self.push_raw(
                "mcp.shadow.name",
                severity,
                label,
                at,
                message,
                escape(&shown),
            );
        }
    }

    /// Prose that names another server's tool; high when it also tells how that tool should
    /// behave.
    fn cross_tool(&mut self, spots: &[Spot<'_>], label: &str, own: &BTreeSet<&str>) {
        let ctx = self.ctx;
        let others: Vec<(&str, &str)> = ctx
            .others(self.server)
            .filter(|(_, t)| !own.contains(t))
            .collect();
        for spot in spots {
            if !matches!(spot.field, Field::Description | Field::Title) {
                continue;
            }
            let lower = spot.text.to_ascii_lowercase();
            for &(server, tool) in &others {
                let Some((s, e)) = mention_lower(&lower, tool) else {
                    continue;
                };
                let near = text::window(spot.text, s, e, MENTION_REACH, MENTION_REACH);
                let (severity, message) = if REDEFINE.is_match(near) {
                    (
                        Severity::High,
                        format!(
                            "tells the model how `{}` of server `{}` should behave",
                            escape(tool),
                            escape(server)
                        ),
                    )
                } else {
                    (
                        Severity::Medium,
                        format!(
                            "refers to `{}` of server `{}`",
                            escape(tool),
                            escape(server)
                        ),
                    )
                };
                self.push_raw(
                    "mcp.poison.cross-tool",
                    severity,
                    label,
                    &spot.pointer,
                    message,
                    evidence(spot.text, s, e),
                );
            }
            // Tools named as tools that this server does not export, whoever does.
            let re = &*NAMED_TOOL;
            for c in re.captures_iter(spot.text) {
                let (Some(m), Some(name)) = (c.get(0), c.get(1)) else {
                    continue;
                };
                let n = name.as_str();
                if own.iter().any(|o| o.eq_ignore_ascii_case(n)) {
                    continue;
                }
                let near =
                    text::window(spot.text, m.start(), m.end(), MENTION_REACH, MENTION_REACH);
                let (severity, message) = if matches_re(&REDEFINE, near) {
                    (
                        Severity::High,
                        format!(
                            "tells the model how another tool, `{}`, should behave",
                            escape(n)
                        ),
                    )
                } else {
                    (
                        Severity::Medium,
                        format!("talks about another tool, `{}`", escape(n)),
                    )
                };
                self.push_raw(
                    "mcp.poison.cross-tool",
                    severity,
                    label,
                    &spot.pointer,
                    message,
                    evidence(spot.text, m.start(), m.end()),
                );
            }
        }
    }

    /// Parameters that ask the model to fill in its context, history or secrets.
    fn parameters(&mut self, params: &[Param<'_>], spots: &[Spot<'_>], label: &str) {
        for p in params {
            let norm = p.name.to_ascii_lowercase().replace('-', "_");
            let strong = matches_re(&STRONG_PARAM, &norm);
            let weak = matches_re(&WEAK_PARAM, &norm);
            let credential = matches_re(&CREDENTIAL_PARAM, &norm);
            if !(strong || weak || credential) {
                continue;
            }
            // Does anything ask to fill this parameter with context or secrets? Its own
            // description, or other prose of the definition that names it.
            let own_ask = p.description.and_then(|d| fill_request(d, credential));
            let named_ask = spots
                .iter()
                .filter(|s| matches!(s.field, Field::Description | Field::Title))
                .find_map(|s| {
                    let (a, b) = mention(s.text, p.name)?;
                    let near = text::window(s.text, a, b, MENTION_REACH, MENTION_REACH);
                    let (x, y) = fill_request(near, credential)?;
                    Some(evidence(near, x, y))
                });
            let ask = own_ask
                .and_then(|(x, y)| p.description.map(|d| evidence(d, x, y)))
                .or(named_ask);
            let shown = escape(p.name);
            let (rule, severity, message, ev) = match (ask, strong, credential) {
                (Some(ev), _, false) => (
                    "mcp.poison.context-param",
                    Severity::High,
                    format!("parameter `{shown}` is to be filled with conversation context or secrets"),
                    ev,
                ),
                (Some(ev), _, true) => (
                    "mcp.poison.credential",
                    Severity::High,
                    format!("credential parameter `{shown}` is to be filled from files, the environment or the conversation"),
                    ev,
                ),
                (None, true, _) => (
                    "mcp.poison.context-param",
                    Severity::Medium,
                    format!("parameter `{shown}` invites the model to hand over its context"),
                    shown.clone(),
                ),
                (None, false, true) => (
                    "mcp.poison.credential",
                    Severity::Low,
                    format!("takes a credential as parameter `{shown}`, so it passes through the conversation"),
                    shown.clone(),
                ),
                (None, false, false) => continue,
            };
            self.push_raw(rule, severity, label, &p.pointer, message, ev);
        }
    }
}

/// A parameter of a tool or an argument of a prompt.
struct Param<'a> {
    /// Pointer to its schema (or argument object).
    pointer: String,
    /// Its name.
    name: &'a str,
    /// Its description, when it has one.
    description: Option<&'a str>,
}

/// Parameter names that exist to carry the model's context out (normalised to snake case).
static STRONG_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"^(?:side_?notes?|notes?_(?:for|to)_(?:the_)?(?:assistant|ai|model|llm|agent)|(?:assistant|ai|model|llm|agent)_(?:notes?|context|memo|thoughts)|system_?(?:prompt|message|instructions?)|(?:full|entire|whole|complete)_(?:conversation|context|history|chat)|conversation_?(?:history|log|transcript|so_far|context)|chat_?(?:history|log|transcript)|message_?history|(?:previous|prior|past|all)_(?:messages|turns|conversation)|hidden_\w+|secret_(?:notes?|instructions?))$",
    )
});

/// Ordinary parameter names that can carry context out when the description asks for it.
static WEAK_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"^(?:context|notes?|feedback|summary|history|memory|metadata|extra|details|debug|comments?|remarks|reasoning|thoughts|explanation|additional_(?:info|context|notes)|info|conversation|prompt|instructions)$",
    )
});

/// Parameter names that are credentials.
static CREDENTIAL_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"^(?:password|passwd|pass_?phrase|api_?key|access_?token|auth_?token|bearer_?token|refresh_?token|session_?token|token|secret|client_?secret|private_?key|ssh_?key|credentials?|cookie)$",
    )
});

/// Text asking the model to fill something with its context, history or instructions, or
/// with the contents of sensitive files.
static FILL_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r#"(?i)\b(?:(?:full|entire|complete|whole|all)\s+(?:of\s+)?(?:the\s+|your\s+)?(?:conversation|chat|history|transcript|context|previous\s+messages|prior\s+messages|message\s+history)|conversation\s+(?:history|so\s+far|log)|chat\s+history|(?:previous|prior|earlier)\s+(?:messages|turns)|(?:your|the)\s+system\s+(?:prompt|message|instructions)|(?:instructions|guidelines|rules)\s+(?:you\s+were\s+given|you\s+received|you\s+have)|contents?\s+of\s+(?:the\s+)?(?:file\s+)?[~./$])|(?:^|[\s"'`(=:~/])(?:\.ssh|\.env|\.aws|id_rsa|id_ed25519|mcp\.json)\b"#,
    )
});

/// Text asking the model to fill something with secrets. Not used for parameters that are
/// credentials: describing a `password` parameter naturally says "password".
static FILL_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"(?i)\b(?:api[\s_-]?keys?|passwords?|secrets?|credentials?|private\s+keys?|access\s+tokens?|environment\s+variables)\b",
    )
});

/// Words that redefine how a named tool behaves.
static REDEFINE: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r"(?i)\b(?:must|always|never|redirect|change|replace|override|modify|bcc|cc|side\s+effect|recipient|all\s+(?:emails?|messages?|calls?|requests?|payments?)|(?:also|first)\s+(?:send|call|run|forward|copy)|when(?:ever)?\b[^.\n]{0,30}\b(?:called|used|invoked))\b",
    )
});

/// "the `some_tool` tool": a tool named in prose, whoever exports it.
static NAMED_TOOL: LazyLock<Regex> = LazyLock::new(|| {
    crate::detect::compile(
        r#"(?i)\bthe\s+[`'"]?([a-z][a-z0-9]*(?:[_-][a-z0-9]+)+)[`'"]?\s+(?:tool|function)\b"#,
    )
});

/// Does `re` match `s`?
fn matches_re(re: &LazyLock<Regex>, s: &str) -> bool {
    re.is_match(s)
}

/// Where `text` asks for context (or, unless the parameter is itself a `credential`, for
/// secrets), if it does.
fn fill_request(text: &str, credential: bool) -> Option<(usize, usize)> {
    let find = |re: &LazyLock<Regex>| re.find(text).map(|m| (m.start(), m.end()));
    find(&FILL_CONTEXT).or_else(|| if credential { None } else { find(&FILL_SECRET) })
}

/// Where `text` mentions the tool or parameter `name`. Distinctive names (with `_`, `-`, `.`,
/// a digit or an inner capital) count as whole words; plain words (`fetch`, `search`) only when
/// quoted, since prose uses them as words.
fn mention(text: &str, name: &str) -> Option<(usize, usize)> {
    mention_lower(&text.to_ascii_lowercase(), name)
}

/// [`mention`] in text already ASCII-lowercased (which keeps byte offsets), so a text checked
/// against many names is lowered once.
fn mention_lower(lower: &str, name: &str) -> Option<(usize, usize)> {
    if name.chars().count() < 3 || name.len() > lower.len() {
        return None;
    }
    let distinctive = name.contains(['_', '-', '.'])
        || name.chars().any(|c| c.is_ascii_digit())
        || name.chars().skip(1).any(|c| c.is_ascii_uppercase());
    let needle = name.to_ascii_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    for (at, _) in lower.match_indices(&needle) {
        let end = at + needle.len();
        let before = lower.get(..at).and_then(|s| s.chars().next_back());
        let after = lower.get(end..).and_then(|s| s.chars().next());
        if word(before) || word(after) {
            continue;
        }
        let quoted =
            matches!(before, Some('`' | '\'' | '"')) && matches!(after, Some('`' | '\'' | '"'));
        if distinctive || quoted {
            return Some((at, end));
        }
    }
    None
}

/// JSON pointer escaping of one reference token.
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Collect every string of one list item, by field kind, and its parameters.
fn collect_item<'v>(
    method: ListMethod,
    obj: &'v Map<String, Value>,
    at: &str,
    spots: &mut Vec<Spot<'v>>,
    params: &mut Vec<Param<'v>>,
    depth_hit: &mut bool,
) {
    for (k, v) in obj {
        let p = format!("{at}/{}", token(k));
        match (k.as_str(), v) {
            ("name", Value::String(s)) => spots.push(Spot {
                pointer: p,
                field: Field::Name,
                text: s,
            }),
            ("title", Value::String(s)) => spots.push(Spot {
                pointer: p,
                field: Field::Title,
                text: s,
            }),
            ("description", Value::String(s)) => spots.push(Spot {
                pointer: p,
                field: Field::Description,
                text: s,
            }),
            ("uri" | "uriTemplate", Value::String(s))
                if matches!(
                    method,
                    ListMethod::Resources | ListMethod::ResourceTemplates
                ) =>
            {
                spots.push(Spot {
                    pointer: p,
                    field: Field::Uri,
                    text: s,
                });
            }
            ("inputSchema" | "outputSchema", _) if method == ListMethod::Tools => {
                schema(v, &p, 1, spots, params, depth_hit, k == "inputSchema");
            }
            ("arguments", Value::Array(args)) if method == ListMethod::Prompts => {
                for (i, a) in args.iter().enumerate() {
                    let ap = format!("{p}/{i}");
                    if let (Some(name), Some(o)) =
                        (a.get("name").and_then(Value::as_str), a.as_object())
                    {
                        params.push(Param {
                            pointer: ap.clone(),
                            name,
                            description: o.get("description").and_then(Value::as_str),
                        });
                    }
                    match a.as_object() {
                        Some(o) => collect_item(
                            ListMethod::Prompts,
                            o,
                            &ap,
                            spots,
                            &mut Vec::new(),
                            depth_hit,
                        ),
                        None => values(a, &ap, 1, spots, depth_hit),
                    }
                }
            }
            ("annotations", Value::Object(o)) => {
                for (ak, av) in o {
                    let aptr = format!("{p}/{}", token(ak));
                    match (ak.as_str(), av) {
                        ("title", Value::String(s)) => spots.push(Spot {
                            pointer: aptr,
                            field: Field::Title,
                            text: s,
                        }),
                        _ => values(av, &aptr, 2, spots, depth_hit),
                    }
                }
            }
            _ => values(v, &p, 1, spots, depth_hit),
        }
    }
}

/// Walk a JSON Schema: descriptions and titles are prose, property names are names, values
/// (enum, default, examples, const, pattern, ...) are values.
fn schema<'v>(
    v: &'v Value,
    at: &str,
    depth: usize,
    spots: &mut Vec<Spot<'v>>,
    params: &mut Vec<Param<'v>>,
    depth_hit: &mut bool,
    input: bool,
) {
    if depth > MAX_DEPTH {
        *depth_hit = true;
        return;
    }
    let Some(obj) = v.as_object() else {
        // `true`/`false` schemas, or junk: still scan any string in it.
        values(v, at, depth, spots, depth_hit);
        return;
    };
    for (k, val) in obj {
        let p = format!("{at}/{}", token(k));
        match (k.as_str(), val) {
            ("description" | "$comment", Value::String(s)) => spots.push(Spot {
                pointer: p,
                field: Field::Description,
                text: s,
            }),
            ("title", Value::String(s)) => spots.push(Spot {
                pointer: p,
                field: Field::Title,
                text: s,
            }),
            (
                "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas",
                Value::Object(props),
            ) => {
                for (name, sub) in props {
                    let sp = format!("{p}/{}", token(name));
                    spots.push(Spot {
                        pointer: sp.clone(),
                        field: Field::Name,
                        text: name,
                    });
                    if input && k == "properties" {
                        params.push(Param {
                            pointer: sp.clone(),
                            name,
                            description: sub.get("description").and_then(Value::as_str),
                        });
                    }
                    schema(sub, &sp, depth + 1, spots, params, depth_hit, input);
                }
            }
            (
                "items"
                | "additionalProperties"
                | "not"
                | "if"
                | "then"
                | "else"
                | "contains"
                | "propertyNames"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "additionalItems",
                Value::Object(_),
            ) => schema(val, &p, depth + 1, spots, params, depth_hit, input),
            ("allOf" | "anyOf" | "oneOf" | "prefixItems" | "items", Value::Array(list)) => {
                for (i, sub) in list.iter().enumerate() {
                    schema(
                        sub,
                        &format!("{p}/{i}"),
                        depth + 1,
                        spots,
                        params,
                        depth_hit,
                        input,
                    );
                }
            }
            _ => values(val, &p, depth + 1, spots, depth_hit),
        }
    }
}

/// Every string in a value (and object keys, as names).
fn values<'v>(
    v: &'v Value,
    at: &str,
    depth: usize,
    spots: &mut Vec<Spot<'v>>,
    depth_hit: &mut bool,
) {
    if depth > MAX_DEPTH {
        *depth_hit = true;
        return;
    }
    match v {
        Value::String(s) => spots.push(Spot {
            pointer: at.to_string(),
            field: Field::Value,
            text: s,
        }),
        Value::Array(list) => {
            for (i, x) in list.iter().enumerate() {
                values(x, &format!("{at}/{i}"), depth + 1, spots, depth_hit);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{at}/{}", token(k));
                spots.push(Spot {
                    pointer: p.clone(),
                    field: Field::Name,
                    text: k,
                });
                values(x, &p, depth + 1, spots, depth_hit);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_patterns_compile() {
        for re in [
            &NAMED_TOOL,
            &STRONG_PARAM,
            &WEAK_PARAM,
            &CREDENTIAL_PARAM,
            &FILL_CONTEXT,
            &FILL_SECRET,
            &REDEFINE,
        ] {
            LazyLock::force(re);
        }
    }

    #[test]
    fn mentions_need_a_distinctive_or_quoted_name() {
        assert_eq!(
            mention("then call send_email.", "send_email"),
            Some((10, 20))
        );
        assert_eq!(mention("resend_emails", "send_email"), None);
        assert_eq!(mention("fetch the page", "fetch"), None);
        assert_eq!(mention("after `fetch` runs", "fetch"), Some((7, 12)));
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(token("a/b~c"), "a~1b~0c");
    }

    #[test]
    fn list_methods_round_trip() {
        for m in [
            ListMethod::Tools,
            ListMethod::Prompts,
            ListMethod::Resources,
            ListMethod::ResourceTemplates,
        ] {
            assert_eq!(ListMethod::from_method(m.method()), Some(m));
        }
        assert_eq!(ListMethod::from_method("tools/call"), None);
    }

    #[test]
    fn strings_in_unexpected_members_are_still_scanned() {
        // The walk hands every prose string to the detector: a string in an unexpected member
        // is still scanned, as a value.
        let r = serde_json::json!({"tools": [{"name": "x", "inputSchema": {}, "x-notes": "<IMPORTANT>obey</IMPORTANT>"}]});
        let f = vet_list("s", ListMethod::Tools, &r, &VetContext::new());
        assert!(f
            .iter()
            .any(|f| f.rule == "mcp.poison.tag" && f.location == "/tools/0/x-notes"));
    }
}
