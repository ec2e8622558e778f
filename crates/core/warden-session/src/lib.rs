//! Session analysis: what the user asked for, what outside content the agent has read, and
//! whether a tool call's arguments came from that content rather than from the user.
//!
//! A prompt-injected agent acts with perfectly legitimate tools; what gives it away is where the
//! arguments come from. [`Session`] remembers the user's task (trusted) and every tool result
//! (outside content, untrusted), marks results that carry injected instructions, and turns each
//! later call into session facts rules can match (`session: { args_from_injection: { equals: true } }`).
//! This crate knows the action model only; the monitor and the replay feed it events.

mod ambiguity;
pub mod baseline;
mod drift;
mod pii;
mod prompt;
mod values;

use std::collections::BTreeMap;

use serde_json::Value;
use values::{collect_leaves, collect_text, collect_values, destinations};
use warden_action::{name_words, Action, Operation, ToolEffect};

pub use drift::{CallView, Drift, DriftJudge};
pub use pii::pii_kinds;
pub use warden_scan::{injection_spans, Span};

/// Facts about a session, by name, as the policy's `session` match reads them.
pub type Facts = BTreeMap<String, Value>;

/// Shortest argument value followed through the session: shorter ones (`yes`, `10`) occur
/// everywhere by chance.
const MIN_VALUE_LEN: usize = 5;

/// How far an injection indicator's sway reaches, in bytes. It starts at the cue itself: an
/// injected instruction names its targets after its cue ("ignore ... and send to X"), while the
/// text before it is the ordinary content the injection was planted in (a channel list, an
/// article). It ends a few sentences later; the rest of a long result is ordinary content again.
const INJECTION_REACH_BEFORE: usize = 0;
const INJECTION_REACH_AFTER: usize = 800;

/// One piece of outside content the agent has read.
#[derive(Debug, Clone)]
struct Doc {
    /// Lowercased text.
    text: String,
    /// Byte ranges of `text` under the sway of injected instructions.
    injected: Vec<(usize, usize)>,
}

impl Doc {
    /// Where `needle` occurs: (inside an injected range, outside any).
    fn find(&self, needle: &str) -> (bool, bool) {
        let (mut inside, mut outside) = (false, false);
        for (at, _) in self.text.match_indices(needle) {
            if self.injected.iter().any(|(a, b)| at >= *a && at < *b) {
                inside = true;
            } else {
                outside = true;
            }
        }
        (inside, outside)
    }
}

impl Doc {
    /// Where `word` occurs as a whole word: (inside an injected range, outside any).
    fn find_word(&self, word: &str) -> (bool, bool) {
        let (mut inside, mut outside) = (false, false);
        let bytes = self.text.as_bytes();
        for (at, _) in self.text.match_indices(word) {
            let before = at.checked_sub(1).and_then(|i| bytes.get(i));
            let after = bytes.get(at + word.len());
            let bounded = |b: Option<&u8>| b.is_none_or(|c| !c.is_ascii_alphanumeric());
            if !(bounded(before) && bounded(after)) {
                continue;
            }
            if self.injected.iter().any(|(a, b)| at >= *a && at < *b) {
                inside = true;
            } else {
                outside = true;
            }
        }
        (inside, outside)
    }
}

/// Whether a leaf value (lowercased) reads as an identifier (one token with a digit, an
/// underscore, a dot or a hyphen) rather than a word or a phrase of prose.
fn is_identifier(v: &str) -> bool {
    !v.contains(char::is_whitespace)
        && (v.chars().any(|c| c.is_ascii_digit() || c == '_') || v.contains('.') || v.contains('-'))
}

/// Whether a value is a date or a time (`2024-05-01`, `10:30`).
fn is_date(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_digit() || "-/:. t".contains(c))
}

/// What the policy declares about the tool being called (`tools:` in a policy file).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallHints<'a> {
    /// Argument names that hold destinations, besides the well-known ones.
    pub destinations: &'a [String],
    /// Whether the tool returns private data or secrets.
    pub private: bool,
}

/// The state of one session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The user's words, lowercased.
    task: String,
    /// What the task asks for, read from `task`.
    intent: drift::Task,
    /// Outside content read so far.
    docs: Vec<Doc>,
    /// What private data or secrets the session has read, if any (the first such read).
    private_read: Option<String>,
    /// Whether the task or content read so far marks data confidential.
    confidential: bool,
    /// What the kernel sandbox refused in this session's commands (paths, hosts), newest last.
    sandbox_denied: Vec<String>,
    /// Files the agent wrote with known text, for commands that later run them (bounded).
    scripts: warden_action::ScriptMemory,
    /// Whether a user turn carried injected instructions after its request.
    prompt_injected: bool,
    /// Values tool results labelled as secrets (`"private_key": "..."`), lowercased, bounded.
    labelled_secrets: Vec<String>,
}

/// How many labelled secrets a session keeps.
const LABELLED_SECRETS_KEPT: usize = 32;

/// How many sandbox refusals a session keeps.
const SANDBOX_DENIED_KEPT: usize = 64;

/// Nouns in a tool's name that say it returns the user's private data or secrets.
const PRIVATE_NOUNS: &[&str] = &[
    "password",
    "passwords",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "apikey",
    "balance",
    "balances",
    "holdings",
    "portfolio",
    "transactions",
    "statement",
    "statements",
    "iban",
    "card",
    "cards",
    "bank",
    "addresses",
    "contacts",
    "ssn",
    "passport",
    "medical",
    "patient",
    "patients",
    "health",
    "prescription",
    "prescriptions",
    "diagnosis",
    "diagnostic",
    "salary",
    "payroll",
    "tax",
    "identity",
    "location",
    "vault",
    "ssh",
    "wallet",
];

/// Path fragments of files that hold credentials.
const SECRET_PATHS: &[&str] = &[
    "/.ssh/",
    "/.aws/",
    "/.gnupg/",
    "/.kube/config",
    "/.docker/config.json",
    "/.netrc",
    "/.npmrc",
    "/.pypirc",
    "/.git-credentials",
    "/.config/gcloud/",
    "/.azure/",
    "id_rsa",
    "id_ed25519",
    "/.env",
    "credentials",
    "secrets",
    ".pem",
    ".key",
];

impl Session {
    /// A new, empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// The user said something: it is trusted and names what the task needs.
    ///
    /// A turn that carries injected instructions after its request (a compromised orchestrator,
    /// a poisoned conversation) is trusted up to the first cue; the rest is outside content.
    pub fn user_prompt(&mut self, text: &str) {
        let (request, planted) = prompt::split_user_turn(text);
        self.task.push('\n');
        self.task.push_str(&request.to_ascii_lowercase());
        self.intent = drift::Task::from_text(&self.task);
        self.confidential |= prompt::marks_confidential(&self.task);
        if let Some(rest) = planted {
            self.prompt_injected = true;
            self.tool_result(rest);
        }
    }

    /// A call ran (or is taken to have run): remember whether it read private data or secrets.
    pub fn observe_call(&mut self, tool: Option<&str>, actions: &[Action]) {
        self.observe_call_with(tool, actions, &CallHints::default());
    }

    /// [`Session::observe_call`], with what the policy declares about the tool.
    pub fn observe_call_with(
        &mut self,
        tool: Option<&str>,
        actions: &[Action],
        hints: &CallHints<'_>,
    ) {
        // A file written or deleted now holds what is not known here: a text remembered for it
        // is stale (the caller remembers the new text, when known, after this).
        for a in actions {
            if let Operation::FileWrite { path } | Operation::FileDelete { path, .. } = &a.op {
                self.scripts.forget(&path.path);
            }
        }
        if self.private_read.is_some() {
            return;
        }
        if let Some(t) = tool.filter(|_| hints.private) {
            self.private_read = Some(format!("tool {t} (declared private)"));
            return;
        }
        let from_name = tool.filter(|t| {
            let w = name_words(t);
            effect_is_read(&w) && w.iter().any(|x| PRIVATE_NOUNS.contains(&x.as_str()))
        });
        if let Some(t) = from_name {
            self.private_read = Some(format!("tool {t}"));
            return;
        }
        for a in actions {
            if let Operation::FileRead { path } = &a.op {
                let p = if path.path.is_empty() {
                    path.raw.as_str()
                } else {
                    path.path.as_str()
                };
                if SECRET_PATHS.iter().any(|s| p.contains(s)) {
                    self.private_read = Some(p.to_string());
                    return;
                }
            }
        }
    }

    /// The file at `path` (normalised) now holds `text`: remembered, within the bounds of
    /// [`warden_action::ScriptMemory`], so a later `sh FILE` is judged by what it runs.
    pub fn remember_script(&mut self, path: &str, text: &str) {
        self.scripts.remember(path, text);
    }

    /// An edit of the file at `path` (`old` replaced by `new`): applied to its remembered text,
    /// or the file is forgotten.
    pub fn edit_script(&mut self, path: &str, old: &str, new: &str, all: bool) {
        self.scripts.edit(path, old, new, all);
    }

    /// The scripts remembered in this session (cheap to clone into a [`warden_action::PathEnv`]).
    pub fn scripts(&self) -> &warden_action::ScriptMemory {
        &self.scripts
    }

    /// The private data or secret read earlier in the session, if any.
    pub fn private_read(&self) -> Option<&str> {
        self.private_read.as_deref()
    }

    /// A tool returned content from outside the user's words.
    pub fn tool_result(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        // ASCII lowercasing keeps byte offsets, so the scanner's spans hold in `lower` too.
        let lower = text.to_ascii_lowercase();
        let found = warden_scan::scan(text);
        // Injected instructions, and images that would load an outside URL when the output is
        // rendered (a planted exfiltration channel), sway what follows them.
        let injected = found
            .injections
            .iter()
            .chain(found.exfil.iter().filter(|f| f.family.ends_with("_image")))
            .map(|s| {
                (
                    s.start.saturating_sub(INJECTION_REACH_BEFORE),
                    s.end + INJECTION_REACH_AFTER,
                )
            })
            .collect();
        // A secret in tool output: the session now holds one.
        if self.private_read.is_none() {
            if let Some(f) = found
                .secrets
                .iter()
                .find(|f| f.confidence > warden_scan::Confidence::Low)
            {
                self.private_read = Some(format!("{} in tool output", f.family));
            }
        }
        self.confidential |= prompt::marks_confidential(&lower);
        for v in values::labelled_secrets(&lower) {
            if self.labelled_secrets.len() < LABELLED_SECRETS_KEPT
                && !self.task.contains(&v)
                && !self.labelled_secrets.contains(&v)
            {
                self.labelled_secrets.push(v);
            }
        }
        self.docs.push(Doc {
            text: lower,
            injected,
        });
    }

    /// Record what the kernel sandbox refused in one of this session's commands: observed
    /// effects beyond what the analysis allowed. Becomes the `sandbox_denied` fact.
    pub fn record_sandbox_denied(&mut self, what: &[String]) {
        for w in what {
            if !self.sandbox_denied.contains(w) {
                self.sandbox_denied.push(w.clone());
            }
        }
        let over = self
            .sandbox_denied
            .len()
            .saturating_sub(SANDBOX_DENIED_KEPT);
        self.sandbox_denied.drain(..over);
    }

    /// The look-alike candidates of the first value among `leaves` that the agent picked from
    /// outside content where the user's description fits several records.
    fn ambiguous_pick(&self, leaves: &[String]) -> Option<Vec<String>> {
        leaves
            .iter()
            .filter(|v| !is_date(v) && !self.task.contains(v.as_str()))
            .find_map(|v| {
                let doc = self
                    .docs
                    .iter()
                    .rev()
                    .find(|d| d.text.contains(v.as_str()))?;
                // Content with injected instructions is judged by the injection rules; its
                // look-alikes may be planted.
                if !doc.injected.is_empty() {
                    return None;
                }
                ambiguity::candidates(&self.task, &doc.text, v)
            })
    }

    /// Whether `needle` occurs inside injected text and nowhere else the agent read.
    fn only_injected(&self, needle: &str) -> bool {
        let (mut inside, mut outside) = (false, false);
        for d in &self.docs {
            let (i, o) = d.find(needle);
            inside |= i;
            outside |= o;
        }
        inside && !outside
    }

    /// Whether any content read so far carries injected instructions.
    pub fn injection_seen(&self) -> bool {
        self.docs.iter().any(|d| !d.injected.is_empty())
    }

    /// Session facts for a tool call about to run (its arguments and the actions it lowers to).
    pub fn facts(&self, args: Option<&Value>, actions: &[Action]) -> Facts {
        self.facts_with(args, actions, &CallHints::default())
    }

    /// [`Session::facts`], with what the policy declares about the tool.
    pub fn facts_with(
        &self,
        args: Option<&Value>,
        actions: &[Action],
        hints: &CallHints<'_>,
    ) -> Facts {
        // A call written as text in a free-text argument is judged by the arguments it carries.
        let expanded = args.and_then(|a| values::expand_embedded(actions, a));
        let args = expanded.as_ref().or(args);
        let mut f = Facts::new();
        f.insert("untrusted_seen".into(), Value::Bool(!self.docs.is_empty()));
        f.insert("injection_seen".into(), Value::Bool(self.injection_seen()));
        f.insert("prompt_injected".into(), Value::Bool(self.prompt_injected));
        // The call passes injected instructions on (as a message, a name, a query).
        // Only outside content can have planted them (a user turn's planted part is outside
        // content too): a session that read none skips the scan.
        let carries = !self.docs.is_empty()
            && args.is_some_and(|a| prompt::args_carry_injection(a, &self.task));
        f.insert("args_injection".into(), Value::Bool(carries));
        if !self.sandbox_denied.is_empty() {
            f.insert(
                "sandbox_denied".into(),
                Value::Array(
                    self.sandbox_denied
                        .iter()
                        .cloned()
                        .map(Value::String)
                        .collect(),
                ),
            );
        }
        // Judged: calls that change or send something, and any network request (visiting a URL
        // an injection names is itself what the injection wants: a signal, a download, a leak
        // in the query string).
        let acts = acts_outside(actions)
            || actions
                .iter()
                .any(|a| matches!(a.op, Operation::Network(_)));
        let mut from_untrusted = Vec::new();
        let mut from_injection = Vec::new();
        if acts {
            let mut values = Vec::new();
            if let Some(a) = args {
                collect_values(a, None, hints.destinations, &mut values);
            }
            for a in actions {
                destinations(a, &mut values);
            }
            for v in values {
                let lv = v.to_ascii_lowercase();
                if lv.len() < MIN_VALUE_LEN || self.task.contains(&lv) {
                    continue;
                }
                // A value the injection introduced: found inside injected text and nowhere else
                // the agent read (a channel or name that ordinary content also lists is not).
                let (mut inside, mut outside) = (false, false);
                for d in &self.docs {
                    let (i, o) = d.find(&lv);
                    inside |= i;
                    outside |= o;
                }
                let seen = inside || outside;
                let injected = inside && !outside;
                if seen && !from_untrusted.contains(&v) {
                    from_untrusted.push(v.clone());
                }
                if injected && !from_injection.contains(&v) {
                    from_injection.push(v);
                }
            }
        }
        if acts {
            if let Some(tool) = actions.iter().find_map(|a| a.op.tool_name()) {
                let mut verbs = args.map(prompt::ui_action_words).unwrap_or_default();
                verbs.extend(args.map(values::all_verb_words).unwrap_or_default());
                // Any identifier the call uses (a room, a document, a guest id), not only
                // destinations: an injected goal names its objects too.
                let mut leaves = Vec::new();
                if let Some(a) = args {
                    collect_leaves(a, &mut leaves);
                }
                let traced = leaves
                    .iter()
                    .filter(|v| !self.task.contains(v.as_str()))
                    .filter(|v| self.docs.iter().any(|d| d.text.contains(v.as_str())))
                    .count();
                // An identifier (a device, a document, a channel) that only injected text
                // names: the call carries out the injected goal even without a destination.
                for v in leaves.iter().filter(|v| is_identifier(v)) {
                    if !self.task.contains(v.as_str())
                        && self.only_injected(v)
                        && !from_injection.iter().any(|x| x.eq_ignore_ascii_case(v))
                    {
                        from_injection.push(v.clone());
                    }
                }
                let mut ids = Vec::new();
                if let Some(a) = args {
                    ambiguity::picked_ids(a, &mut ids);
                }
                if let Some(c) = self.ambiguous_pick(&ids) {
                    f.insert("ambiguous_target".into(), Value::Bool(true));
                    f.insert("ambiguous_candidates".into(), Value::from(c));
                }
                let view = CallView {
                    tool: &tool,
                    verbs: &verbs,
                    values_from_untrusted: from_untrusted.len().max(traced),
                    values_from_injection: from_injection.len(),
                    untrusted_seen: !self.docs.is_empty(),
                    injection_seen: self.injection_seen(),
                };
                let d = drift::score(
                    &self.intent,
                    &view,
                    |w| self.docs.iter().any(|doc| doc.text.contains(w)),
                    |w| self.docs.iter().any(|doc| doc.find_word(w).0),
                );
                f.insert("drift".into(), Value::from(d.score));
                f.insert("task_aligned".into(), Value::Bool(d.aligned));
                f.insert("task_delegated".into(), Value::Bool(d.delegated));
                if !d.reasons.is_empty() {
                    f.insert(
                        "drift_reasons".into(),
                        Value::Array(d.reasons.into_iter().map(Value::String).collect()),
                    );
                }
            }
        }
        f.insert(
            "private_read".into(),
            Value::Bool(self.private_read.is_some()),
        );
        let sends = acts && sends_data(actions);
        f.insert("sends_data".into(), Value::Bool(sends));
        let publishes = sends
            && actions
                .iter()
                .any(|a| a.op.tool_name().is_some_and(|t| prompt::publishes(&t)));
        f.insert(
            "publishes_confidential".into(),
            Value::Bool(publishes && self.confidential),
        );
        if acts {
            // Secrets and data-carrying URLs in what the call sends or fetches.
            let mut texts = Vec::new();
            if let Some(a) = args {
                collect_text(a, &mut texts);
            }
            let (mut secrets, mut exfil) = (Vec::new(), false);
            for t in texts {
                let found = warden_scan::scan(t);
                for s in &found.secrets {
                    if s.confidence > warden_scan::Confidence::Low && !secrets.contains(&s.family) {
                        secrets.push(s.family);
                    }
                }
                exfil |= found
                    .exfil
                    .iter()
                    .any(|e| e.severity >= warden_scan::Severity::Medium);
                // A value a tool result labelled as a key, password or token.
                let lt = t.to_ascii_lowercase();
                if self
                    .labelled_secrets
                    .iter()
                    .any(|s| lt.contains(s.as_str()))
                    && !secrets.contains(&"labelled_secret")
                {
                    secrets.push("labelled_secret");
                }
            }
            f.insert("args_secret".into(), Value::Bool(!secrets.is_empty()));
            if !secrets.is_empty() {
                f.insert("secret_kinds".into(), Value::from(secrets));
            }
            f.insert("args_exfil".into(), Value::Bool(exfil));
        }
        if sends {
            // Personal data in what goes out: the text of every argument.
            let mut found: Vec<&str> = Vec::new();
            if let Some(a) = args {
                let mut texts = Vec::new();
                collect_text(a, &mut texts);
                for t in texts {
                    for k in pii_kinds(t) {
                        if !found.contains(&k) {
                            found.push(k);
                        }
                    }
                }
            }
            f.insert("args_pii".into(), Value::Bool(!found.is_empty()));
            if !found.is_empty() {
                f.insert("pii_kinds".into(), Value::from(found));
            }
        }
        f.insert("side_effect".into(), Value::Bool(acts));
        f.insert(
            "args_from_untrusted".into(),
            Value::Bool(!from_untrusted.is_empty()),
        );
        f.insert(
            "args_from_injection".into(),
            Value::Bool(!from_injection.is_empty()),
        );
        // One fact naming the least trusted origin of the call's destinations.
        let origin = if !from_injection.is_empty() {
            "untrusted_instruction"
        } else if !from_untrusted.is_empty() {
            "untrusted"
        } else {
            "task"
        };
        f.insert("args_from".into(), Value::from(origin));
        if !from_injection.is_empty() {
            f.insert(
                "injected_values".into(),
                Value::Array(from_injection.into_iter().map(Value::String).collect()),
            );
        }
        f
    }
}

/// Whether the actions change or send something (reads and lookups do not).
fn acts_outside(actions: &[Action]) -> bool {
    actions.iter().any(|a| match &a.op {
        // A tool whose name says neither is judged too: unknown is not harmless.
        Operation::ToolCall { effect, .. } => *effect != ToolEffect::ReadOnly,
        // An MCP tool of unknown effect is judged: the server's own word cannot exempt it.
        Operation::McpCall { effect, .. } => *effect != ToolEffect::ReadOnly,
        Operation::MessageSend { .. }
        | Operation::FileWrite { .. }
        | Operation::FileDelete { .. }
        | Operation::AgentSpawn { .. }
        | Operation::ConfigChange { .. }
        | Operation::ExtensionLoad { .. } => true,
        Operation::Network(n) => {
            n.sends_local_data || n.method.as_deref().is_some_and(|m| m != "GET")
        }
        Operation::Exec(_) | Operation::FileRead { .. } => false,
    })
}

/// Whether a read-only verb (and no mutating one) names the tool.
fn effect_is_read(words: &[String]) -> bool {
    const READS: &[&str] = &[
        "get", "read", "view", "list", "search", "fetch", "show", "retrieve", "find", "query",
        "check", "download", "export", "lookup", "look", "open", "cat", "dump", "scan",
    ];
    words.iter().any(|w| READS.contains(&w.as_str()))
}

/// Whether the actions carry data outward: messages, uploads, posts, and tools that
/// communicate (send, post, share, publish, forward, upload).
fn sends_data(actions: &[Action]) -> bool {
    const OUTWARD: &[&str] = &[
        "send", "email", "mail", "message", "post", "share", "publish", "forward", "reply",
        "upload", "tweet", "comment", "sms", "webhook", "notify", "export",
    ];
    // Paying is not sending data: `send_money` moves money, which the drift and injection
    // rules judge.
    const PAYMENT: &[&str] = &["money", "payment", "transaction", "transfer", "pay"];
    let outward = |name: &str| {
        let w = name_words(name);
        w.iter().any(|w| OUTWARD.contains(&w.as_str()))
            && !w.iter().any(|w| PAYMENT.contains(&w.as_str()))
    };
    actions.iter().any(|a| match &a.op {
        Operation::MessageSend { .. } => true,
        Operation::Network(n) => {
            n.sends_local_data || n.method.as_deref().is_some_and(|m| m != "GET")
        }
        Operation::ToolCall { name, .. } => outward(name),
        Operation::McpCall { tool, .. } => outward(tool),
        Operation::Exec(_)
        | Operation::FileRead { .. }
        | Operation::FileWrite { .. }
        | Operation::FileDelete { .. }
        | Operation::AgentSpawn { .. }
        | Operation::ConfigChange { .. }
        | Operation::ExtensionLoad { .. } => false,
    })
}
