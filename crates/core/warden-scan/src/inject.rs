//! Prompt-injection indicators: "ignore previous instructions" families in several languages,
//! new orders presented as instructions, urgent and secretive framing, text addressed to the
//! model, and fake role or turn markers. (Invisible text is in [`crate::unicode`], markup
//! tricks in [`crate::markup`].)
//!
//! The families started from `warden-session`'s patterns and describe phrasing, not any
//! benchmark's strings. Each anchor hit runs one small regex either anchored at the hit (`^`
//! on a slice starting there, so a failing hit costs a few bytes) or over a window of a few
//! hundred bytes around it; never over the whole text.

use regex::bytes::Regex;

use crate::err::BuildError;
use crate::finding::{Confidence, Severity};
use crate::scanner::{Ctx, Trigger};
use crate::text::{
    at, before, ceil_char, floor_char, is_word, line_start, run_end, skip_blanks, starts, starts_ci,
};

use Confidence as C;
use Severity as S;

/// Families of injection indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Override,
    Instruction,
    Addressed,
    Role,
    Hidden,
    Markup,
}

impl Kind {
    pub fn family(self) -> &'static str {
        match self {
            Kind::Override => "injection.override",
            Kind::Instruction => "injection.instruction",
            Kind::Addressed => "injection.addressed",
            Kind::Role => "injection.role",
            Kind::Hidden => "injection.hidden",
            Kind::Markup => "injection.markup",
        }
    }
}

/// Verbs that ask the model to act, shared by several families.
const ACTS: &str = "send|transfer|forward|e-?mail|post|invite|add|delete|remove|change|update|pay|visit|download|execute|run|share|upload|grant|reset|reveal|include|call|open|fetch|write|print|output|copy|leak|exfiltrate";

/// The regexes, compiled once.
pub(crate) struct Rx {
    /// At a verb: ignore / disregard / forget … previous … instructions; forget everything you
    /// were told; the same in French, German, Spanish, Italian, Portuguese, Chinese, Japanese,
    /// Russian.
    override_: Regex,
    /// Ending at "instructions": override, skip, bypass … instructions (verbs without anchors).
    override_back: Regex,
    /// Around "instructions": new / updated / secret instructions:, instructions take
    /// precedence, these instructions override.
    new_instr: Regex,
    /// Around "urgent": this is an urgent message, urgent instructions for the assistant.
    urgent: Regex,
    /// At "before you": before you continue … you must.
    before_you: Regex,
    /// At "the ai" / "the assistant": the assistant must send ….
    the_ai: Regex,
    /// Around "immediately", "secretly", "must first": you must first send ….
    you_must: Regex,
    /// The same orders given to "the AI" / "the assistant", found from those adverbs.
    the_ai_window: Regex,
    /// Ending at "the user": do not tell the user.
    secrecy: Regex,
    /// Around "already" / "pre-approved": the user has already approved this.
    approved: Regex,
    /// Around a greeting or a name for the model: dear AI, note to the assistant, to you, the AI.
    addressed: Regex,
    /// At "as an ai": as an AI model you must ….
    as_an_ai: Regex,
    /// At a token: chat-template markers.
    token: Regex,
}

fn compile(name: &'static str, pattern: &str) -> Result<Regex, BuildError> {
    regex::bytes::RegexBuilder::new(pattern)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|e| BuildError::Regex {
            name,
            message: e.to_string(),
        })
}

impl Rx {
    pub fn new() -> Result<Rx, BuildError> {
        let b = r"(?-u:\b)";
        Ok(Rx {
            // One regex for the whole family (English phrasing, "forget everything", other
            // languages): a hit that fails pays for one anchored scan, not three.
            override_: compile(
                "override",
                &format!(
                    r"(?i-u)^(?:(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?|overrid(?:e|ing)|skip(?:ping)?|bypass(?:ing)?){b}[^.\n]{{0,40}}?{b}(?:previous|prior|above|earlier|preceding|all|any|your|original|initial|existing|system|developer|other|every|old){b}[^.\n]{{0,30}}?{b}(?:instructions?|prompts?|directions|directives?|rules|tasks?|guidelines|guidance|messages?|context|commands?|constraints|restrictions|programming|polic(?:y|ies)){b}|(?:ignore|disregard|forget){b}\s+(?:about\s+)?(?:everything|all(?:\s+of)?\s+(?:that|this|the\s+above))\s+(?:above|before|previously|earlier|so\s+far|you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|given|instructed)){b}|(?:ignorez|ignore|oubliez|oublie){b}[^.\n]{{0,40}}(?:les|des|vos|tes|toutes|ces)\s+(?:[^\s.]+\s+)?(?:instructions|consignes)|ignorier(?:e|en|t)?{b}[^.\n]{{0,40}}(?:anweisungen|anordnungen|befehle|vorgaben)|vergiss{b}[^.\n]{{0,40}}(?:anweisungen|vorgaben|alles\s+(?:bisherige|vorherige|oben))|(?:ignora(?:r)?|olvida(?:r)?){b}[^.\n]{{0,40}}(?:instrucciones|indicaciones)|ignora{b}[^.\n]{{0,40}}istruzioni|(?:ignore|ignora|ignorar|esque(?u:ç)a|esqueca){b}[^.\n]{{0,40}}instru(?:(?u:ç)|c)(?:(?u:õ)|o)es|(?u:忽略|无视|無視)[^\n]{{0,48}}?(?u:指令|说明|指示|提示|命令|設定)|(?u:игнорир|Игнорир)[^.\n]{{0,60}}(?u:инструкци|указани|правил))"
                ),
            )?,
            override_back: compile(
                "override_back",
                &format!(
                    r"(?i-u){b}(?:overrid(?:e|ing)|skip(?:ping)?|bypass(?:ing)?|replace|abandon|drop){b}[^.\n]{{0,40}}?{b}(?:previous|prior|above|earlier|preceding|all|any|your|original|initial|existing|system|developer|other){b}[^.\n]{{0,30}}?instructions?{b}"
                ),
            )?,
            new_instr: compile(
                "new_instr",
                &format!(
                    r"(?i-u){b}(?:(?:new|updated|additional|important|urgent|secret|hidden|real|revised|actual|true|latest|emergency|priority)\s+instructions?{b}\s*[:!\-]|(?:these|this|following|my|new)\s+instructions?\s+(?:override|overrides|supersede|supersedes|replace|replaces|take\s+precedence|takes\s+precedence|take\s+priority|takes\s+priority){b}|instructions?\s+(?:take|takes|have|has|must\s+take)\s+(?:precedence|priority)\s+over{b})"
                ),
            )?,
            urgent: compile(
                "urgent",
                &format!(
                    r"(?i-u){b}(?:(?:this|here)\s+is\s+an?\s+(?:important|urgent|critical)\s+(?:message|notice|instruction|request|update)\s+(?:for|to)\s+(?:the\s+|you,?\s+)?(?:ai|assistant|agent|model|llm)|urgent(?:ly)?{b}[^.\n]{{0,30}}{b}(?:instructions?\s+for|message\s+(?:for|to))\s+(?:the\s+)?(?:ai|assistant|agent|model|llm)){b}"
                ),
            )?,
            before_you: compile(
                "before_you",
                &format!(
                    r"(?i-u)^before\s+(?:you\s+)?(?:can\s+)?(?:solve|complete|finish|continue|proceed|answer|respond|reply|summari[sz]e){b}[^.\n]{{0,60}}{b}(?:please|you\s+(?:must|should|need\s+to|have\s+to)){b}"
                ),
            )?,
            the_ai: compile(
                "the_ai",
                &format!(
                    r"(?i-u)^the\s+(?:ai|assistant|agent|model|llm)\s+(?:must|should|needs?\s+to|has\s+to|is\s+(?:required|instructed|expected)\s+to)\s+(?:first\s+|now\s+|also\s+|immediately\s+|secretly\s+)?(?:{ACTS}|ignore){b}"
                ),
            )?,
            you_must: compile(
                "you_must",
                &format!(
                    r"(?i-u){b}you\s+(?:must|need\s+to|have\s+to|are\s+(?:required|instructed)\s+to)\s+(?:first|now|immediately|secretly|quietly|silently)\s+(?:{ACTS}){b}"
                ),
            )?,
            the_ai_window: compile(
                "the_ai_window",
                &format!(
                    r"(?i-u){b}the\s+(?:ai|assistant|agent|model|llm)\s+(?:must|should|needs?\s+to|has\s+to|is\s+(?:required|instructed|expected)\s+to)\s+(?:first\s+|now\s+|immediately\s+|secretly\s+)?(?:{ACTS}|ignore){b}"
                ),
            )?,
            secrecy: compile(
                "secrecy",
                &format!(
                    r"(?i-u){b}(?:do\s+not|don'?t|never|must\s+not|should\s+not)\s+(?:tell|inform|notify|alert|mention|ask|let)(?:\s+(?:this|it|anything|about\s+this))?(?:\s+to)?\s+the\s+user$"
                ),
            )?,
            approved: compile(
                "approved",
                &format!(
                    r"(?i-u){b}the\s+user\s+(?:has\s+)?(?:already\s+)?(?:pre-?)?(?:approved|authori[sz]ed|consented\s+to|granted\s+(?:you\s+)?permission\s+(?:for|to))\s+(?:this|you|the\s+following|all|these|it){b}"
                ),
            )?,
            addressed: compile(
                "addressed",
                &format!(
                    r"(?i-u){b}(?:(?:dear|note\s+to(?:\s+the)?|message\s+(?:for|to)(?:\s+the)?|instructions?\s+for(?:\s+the)?)[\s,:]+(?:ai|assistant|agent|model|llm|chatbot|language\s+model|gpt|claude|gemini|copilot)|(?:hey|hi|hello|attention)[\s,:!]+(?:ai|assistant|agent|model|llm|chatbot|language\s+model|gpt|claude|gemini|copilot)(?:\s+(?:assistant|agent|model))?\s*[,:!\-]|to\s+you,?\s+(?:the\s+)?(?:ai|assistant|agent|llm|language\s+model)|(?:if|when)\s+you\s+are\s+an?\s+(?:ai|llm|language\s+model|ai\s+assistant|ai\s+agent)(?:\s+(?:reading|processing|summari[sz]ing))?){b}"
                ),
            )?,
            as_an_ai: compile(
                "as_an_ai",
                &format!(
                    r"(?i-u)^as\s+an?\s+(?:ai|large\s+language)\s+(?:model|assistant|agent){b}[^.\n]{{0,40}}{b}(?:you\s+)?(?:must|should|need\s+to|are\s+required\s+to){b}"
                ),
            )?,
            token: compile(
                "token",
                r"(?-u)^(?:<\|(?:im_start|im_end|im_sep|endoftext|end_header_id|start_header_id|eot_id|eom_id|system|user|assistant|end)\|>|\[/?INST\]|<</?SYS>>)",
            )?,
        })
    }
}

/// The longest slice of `text` from `pos` of at most `len` bytes (on char boundaries).
fn ahead(text: &str, pos: usize, len: usize) -> &str {
    let end = ceil_char(text, pos.saturating_add(len));
    text.get(pos..end).unwrap_or("")
}

/// Whether a match is a tight quotation (`"ignore previous instructions"`): a mention, as in
/// documentation about prompt injection, rather than an instruction.
fn quoted(b: &[u8], start: usize, end: usize) -> bool {
    let open = before(b, start);
    let close = at(b, end);
    let quote = |c: u8| matches!(c, b'"' | b'\'' | b'`');
    // Curly quotes end in 0x9C / 0x9D (“ ”) or 0x98 / 0x99 (‘ ’) after 0xE2 0x80.
    let curly_open = start >= 3 && before(b, start - 2) == 0xE2 && matches!(open, 0x9C | 0x98);
    let curly_close = at(b, end) == 0xE2 && matches!(at(b, end + 2), 0x9D | 0x99);
    if !((quote(open) || curly_open) && (quote(close) || curly_close)) {
        return false;
    }
    // Prose quotes a phrase after a word (`is "ignore previous instructions"`); a JSON or
    // config value follows `:`, `,`, `[`, `{` or `=`, and is content the model reads as is.
    let quote_at = if curly_open { start - 3 } else { start - 1 };
    let lead = crate::text::run_start(b, quote_at, 4, |c| c == b' ');
    before(b, lead).is_ascii_alphanumeric()
}

/// Runs `re` anchored at `pos` (on a slice of at most `len` bytes) and reports the match.
/// The note of a finding reported because a detector could not be built.
const UNBUILT: &str = "the injection detector could not be built: treated as an injection";

#[allow(clippy::too_many_arguments)]
fn anchored(
    ctx: &mut Ctx<'_>,
    re: fn(&Rx) -> &Regex,
    pos: usize,
    len: usize,
    kind: Kind,
    sev: Severity,
    conf: Confidence,
    note: &'static str,
) -> Option<usize> {
    let Some(rx) = ctx.sc.inject.get() else {
        // The detector cannot be built: the trigger alone is the finding (fail closed).
        let e = ceil_char(ctx.text, (pos + len).min(ctx.text.len()));
        report(ctx, pos, e, kind, sev, conf, UNBUILT);
        return Some(e);
    };
    let m = re(rx).find(ahead(ctx.text, pos, len).as_bytes())?;
    let (s, e) = (pos + m.start(), pos + m.end());
    report(ctx, s, e, kind, sev, conf, note);
    Some(e)
}

/// Runs `re` over the window `from..to` and reports every match.
#[allow(clippy::too_many_arguments)]
fn windowed(
    ctx: &mut Ctx<'_>,
    re: fn(&Rx) -> &Regex,
    from: usize,
    to: usize,
    kind: Kind,
    sev: Severity,
    conf: Confidence,
    note: &'static str,
) -> bool {
    let b = ctx.b;
    let mut from = floor_char(ctx.text, from);
    // Never start mid-word: the regex would see a word boundary that is not there.
    if is_word(before(b, from)) {
        from = run_end(b, from, 64, is_word);
    }
    let to = ceil_char(ctx.text, to.min(ctx.text.len()));
    let hay = ctx.text.get(from..to.max(from)).unwrap_or("");
    let spans: Vec<(usize, usize)> = match ctx.sc.inject.get() {
        Some(rx) => re(rx)
            .find_iter(hay.as_bytes())
            .map(|m| (from + m.start(), from + m.end()))
            .collect(),
        // The detector cannot be built: the whole window is the finding (fail closed).
        None if !hay.is_empty() => vec![(from, from + hay.len())],
        None => Vec::new(),
    };
    let any = !spans.is_empty();
    for (s, e) in spans {
        report(ctx, s, e, kind, sev, conf, note);
    }
    any
}

fn report(
    ctx: &mut Ctx<'_>,
    s: usize,
    e: usize,
    kind: Kind,
    sev: Severity,
    conf: Confidence,
    note: &'static str,
) {
    if quoted(ctx.b, s, e) {
        ctx.injection(
            kind,
            S::Low,
            C::Low,
            s,
            e,
            "quoted: likely a mention, not an instruction",
        );
    } else {
        ctx.injection(kind, sev, conf, s, e, note);
    }
}

/// The ASCII word starting at or after `i` (skipping blanks and `, : ! -`), lowercased into a
/// small buffer: cheap pre-checks decide whether a regex is worth running.
fn next_word(b: &[u8], i: usize) -> ([u8; 16], usize) {
    let s = run_end(b, i, 8, |c| {
        matches!(c, b' ' | b'\t' | b',' | b':' | b'!' | b'-')
    });
    let e = run_end(b, s, 16, |c| c.is_ascii_alphabetic());
    word_buf(b, s, e)
}

/// The ASCII word ending before `i` (skipping blanks), lowercased.
fn prev_word(b: &[u8], i: usize) -> ([u8; 16], usize) {
    let e = crate::text::run_start(b, i, 8, |c| c == b' ' || c == b'\t' || c == b',');
    let s = crate::text::run_start(b, e, 16, |c| c.is_ascii_alphabetic());
    word_buf(b, s, e)
}

fn word_buf(b: &[u8], s: usize, e: usize) -> ([u8; 16], usize) {
    let mut buf = [0u8; 16];
    let w = b.get(s..e).unwrap_or(&[]);
    for (d, c) in buf.iter_mut().zip(w) {
        *d = c.to_ascii_lowercase();
    }
    (buf, w.len().min(16))
}

fn is_one_of(word: &([u8; 16], usize), set: &[&str]) -> bool {
    let w = word.0.get(..word.1).unwrap_or(&[]);
    set.iter().any(|s| s.as_bytes() == w)
}

/// Names for the model.
const NOUNS: &[&str] = &[
    "ai",
    "assistant",
    "agent",
    "model",
    "llm",
    "chatbot",
    "language",
    "gpt",
    "claude",
    "gemini",
    "copilot",
    "bot",
];
/// Qualifiers of "instructions" in override phrasing.
const QUALIFIERS: &[&str] = &[
    "previous",
    "prior",
    "above",
    "earlier",
    "preceding",
    "all",
    "any",
    "your",
    "original",
    "initial",
    "existing",
    "system",
    "developer",
    "other",
    "old",
];
/// Adjectives of "instructions" that present new orders.
const NEW: &[&str] = &[
    "new",
    "updated",
    "additional",
    "important",
    "urgent",
    "secret",
    "hidden",
    "real",
    "revised",
    "actual",
    "true",
    "latest",
    "emergency",
    "priority",
    "these",
    "this",
    "following",
    "my",
];
/// What may follow "instructions" in precedence claims.
const PRECEDENCE: &[&str] = &[
    "take",
    "takes",
    "override",
    "overrides",
    "supersede",
    "supersedes",
    "replace",
    "replaces",
    "have",
    "has",
    "must",
];
/// Modal verbs after "the AI" / "the agent".
const MODALS: &[&str] = &["must", "should", "needs", "need", "has", "is"];
/// Verbs before "the user" in secrecy phrasing.
const HIDE: &[&str] = &[
    "tell", "inform", "notify", "alert", "mention", "ask", "let", "to", "this", "it", "anything",
];

/// Dispatches an injection anchor hit; returns the watermark.
pub(crate) fn check(ctx: &mut Ctx<'_>, t: Trigger, pos: usize, len: usize) -> usize {
    let b = ctx.b;
    let ascii_anchor = at(b, pos).is_ascii();
    if ascii_anchor && is_word(before(b, pos)) && !matches!(t, Trigger::RoleToken) {
        return pos + len;
    }
    match t {
        Trigger::Override => {
            // Code says `#[ignore = "slow"]`, `ignore_case`, `Ignore 304s`: the verb must be
            // followed by a word for the phrase to be an order.
            if ascii_anchor {
                let verb_end = run_end(b, pos, 16, |c| c.is_ascii_alphabetic());
                let k = skip_blanks(b, verb_end, 4);
                if k == verb_end || !at(b, k).is_ascii_alphabetic() {
                    return verb_end;
                }
            }
            let hit = anchored(
                ctx,
                |r| &r.override_,
                pos,
                200,
                Kind::Override,
                S::High,
                C::High,
                "asks to ignore earlier instructions",
            );
            hit.unwrap_or(pos + len)
        }
        Trigger::Instru => {
            if !starts_ci(b, pos, b"instruc") {
                return pos + len;
            }
            instru_tag(ctx, pos);
            let word_end = run_end(b, pos, 16, |c| c.is_ascii_alphabetic());
            let prev = prev_word(b, pos);
            let next_punct = at(b, skip_blanks(b, word_end, 4));
            let next = next_word(b, word_end);
            let over = is_one_of(&prev, QUALIFIERS);
            let new = is_one_of(&prev, NEW)
                || matches!(next_punct, b':' | b'!' | b'-')
                || is_one_of(&next, PRECEDENCE);
            if !over && !new {
                return word_end;
            }
            if over {
                windowed(
                    ctx,
                    |r| &r.override_back,
                    pos.saturating_sub(100),
                    pos + 16,
                    Kind::Override,
                    S::High,
                    C::High,
                    "asks to override earlier instructions",
                );
            }
            if new {
                windowed(
                    ctx,
                    |r| &r.new_instr,
                    pos.saturating_sub(40),
                    pos + 48,
                    Kind::Instruction,
                    S::High,
                    C::Medium,
                    "presents new instructions",
                );
            }
            word_end
        }
        Trigger::RoleWord => role_word(ctx, pos, len),
        Trigger::RoleToken => role_token(ctx, pos),
        Trigger::Urgent => {
            windowed(
                ctx,
                |r| &r.urgent,
                pos.saturating_sub(40),
                pos + 80,
                Kind::Instruction,
                S::Medium,
                C::Medium,
                "urgent message for the model",
            );
            pos + 80
        }
        Trigger::BeforeYou => anchored(
            ctx,
            |r| &r.before_you,
            pos,
            200,
            Kind::Instruction,
            S::Medium,
            C::Medium,
            "a condition placed before the task",
        )
        .unwrap_or(pos + len),
        Trigger::YouMust => {
            // "immediately", "secretly", "must first": an order when "you must" or "the AI must"
            // comes right before.
            let back = crate::text::slice(ctx.text, pos.saturating_sub(40), pos + len);
            let lower = back.to_ascii_lowercase();
            if lower.contains("must") || lower.contains(" to") {
                windowed(
                    ctx,
                    |r| &r.you_must,
                    pos.saturating_sub(48),
                    pos + 64,
                    Kind::Instruction,
                    S::High,
                    C::Medium,
                    "orders an action",
                );
                windowed(
                    ctx,
                    |r| &r.the_ai_window,
                    pos.saturating_sub(56),
                    pos + 64,
                    Kind::Instruction,
                    S::High,
                    C::High,
                    "orders the model to act",
                );
            }
            pos + len
        }
        Trigger::TheUser => {
            if is_one_of(&prev_word(b, pos), HIDE) {
                windowed(
                    ctx,
                    |r| &r.secrecy,
                    pos.saturating_sub(60),
                    pos + 8,
                    Kind::Instruction,
                    S::High,
                    C::High,
                    "asks to hide something from the user",
                );
            }
            pos + len
        }
        Trigger::Approved => {
            let back = crate::text::slice(ctx.text, pos.saturating_sub(32), pos);
            if back.to_ascii_lowercase().contains("user") {
                windowed(
                    ctx,
                    |r| &r.approved,
                    pos.saturating_sub(40),
                    pos + 72,
                    Kind::Instruction,
                    S::High,
                    C::Medium,
                    "claims the user already approved",
                );
            }
            pos + len
        }
        Trigger::Greeting if !is_one_of(&next_word(b, pos + len), NOUNS) => pos + len,
        Trigger::Greeting => {
            windowed(
                ctx,
                |r| &r.addressed,
                pos,
                pos + 48,
                Kind::Addressed,
                S::Medium,
                C::Medium,
                "text addressed to the model",
            );
            pos + len
        }
        Trigger::Ai => {
            // " ai ": the AI must …, as an AI model you must …, dear AI, to you, the AI.
            let prev = prev_word(b, pos);
            let prev_start = run_start_word(b, pos);
            if is_one_of(&prev, &["the"]) && is_one_of(&next_word(b, pos + 2), MODALS) {
                anchored(
                    ctx,
                    |r| &r.the_ai,
                    prev_start,
                    160,
                    Kind::Instruction,
                    S::High,
                    C::High,
                    "orders the model to act",
                );
            }
            if is_one_of(&prev, &["an", "a"]) && is_one_of(&prev_word(b, prev_start), &["as"]) {
                anchored(
                    ctx,
                    |r| &r.as_an_ai,
                    run_start_word(b, prev_start),
                    120,
                    Kind::Addressed,
                    S::Medium,
                    C::Medium,
                    "text addressed to the model",
                );
            }
            let greeted = is_one_of(
                &prev,
                &[
                    "dear",
                    "hey",
                    "hi",
                    "hello",
                    "attention",
                    "to",
                    "for",
                    "an",
                    "a",
                ],
            ) || (is_one_of(&prev, &["the"])
                && is_one_of(&prev_word(b, prev_start), &["to", "for", "you"]));
            if greeted {
                windowed(
                    ctx,
                    |r| &r.addressed,
                    pos.saturating_sub(32),
                    pos + 32,
                    Kind::Addressed,
                    S::Medium,
                    C::Medium,
                    "text addressed to the model",
                );
            }
            pos + len
        }
        _ => pos + len,
    }
}

/// `<instructions>` and `</instructions>` tags.
fn instru_tag(ctx: &mut Ctx<'_>, pos: usize) {
    let b = ctx.b;
    let s = if before(b, pos) == b'<' {
        pos - 1
    } else if before(b, pos) == b'/' && pos >= 2 && before(b, pos - 1) == b'<' {
        pos - 2
    } else {
        return;
    };
    let mut e = pos + "instruction".len();
    if at(b, e) == b's' {
        e += 1;
    }
    if at(b, e) == b'>' && starts_ci(b, pos, b"instruction") {
        ctx.injection(
            Kind::Role,
            S::High,
            C::Medium,
            s,
            e + 1,
            "instructions tag in content",
        );
    }
}

/// `system`, `assistant`, `human:`: a role line (`System:`, `### Assistant:`, `Human:`), a tag
/// (`<system>`, `</system>`, `<|assistant|>`), or a name for the model in a greeting.
fn role_word(ctx: &mut Ctx<'_>, pos: usize, len: usize) -> usize {
    let b = ctx.b;
    let end = pos + len;
    if !(starts_ci(b, pos, b"system")
        || starts_ci(b, pos, b"assistant")
        || starts_ci(b, pos, b"human:"))
    {
        return end;
    }
    // Tags.
    let open = before(b, pos);
    let tag_start = match open {
        b'<' | b'|' => Some(pos - 1),
        b'/' if pos >= 2 && before(b, pos - 1) == b'<' => Some(pos - 2),
        _ => None,
    };
    if let Some(ts) = tag_start {
        let close = if at(b, end) == b'>' {
            Some(end + 1)
        } else if at(b, end) == b'|' && at(b, end + 1) == b'>' {
            Some(end + 2)
        } else {
            None
        };
        if let Some(te) = close {
            let ts = if open == b'|' && before(b, ts) == b'<' {
                ts - 1
            } else {
                ts
            };
            ctx.injection(
                Kind::Role,
                S::High,
                C::Medium,
                ts,
                te,
                "role tag in content",
            );
            return te;
        }
    }
    // A role line: only whitespace, `#`, `*`, `>` or `-` before it on its line.
    let ls = line_start(b, pos, 16);
    let at_line_start = (ls == 0 || before(b, ls) == b'\n')
        && b.get(ls..pos).is_some_and(|p| {
            p.iter()
                .all(|c| matches!(c, b' ' | b'\t' | b'#' | b'*' | b'>' | b'-'))
        });
    if at_line_start {
        let mut j = end;
        if at(b, end - 1) != b':' {
            j = skip_blanks(b, j, 4);
            for word in [
                &b"prompt"[..],
                b"message",
                b"instructions",
                b"instruction",
                b"override",
                b"update",
                b"notice",
            ] {
                if starts_ci(b, j, word) && !is_word(at(b, j + word.len())) {
                    j = skip_blanks(b, j + word.len(), 4);
                    break;
                }
            }
            if starts_ci(b, j, b"**") {
                j += 2;
            }
        }
        if at(b, end - 1) == b':' || at(b, j) == b':' {
            let e = if at(b, end - 1) == b':' { end } else { j + 1 };
            let s = run_end(b, ls, 16, |c| c == b' ' || c == b'\t');
            ctx.injection(
                Kind::Role,
                S::Medium,
                C::Medium,
                s,
                e,
                "fake role marker at the start of a line",
            );
            return e;
        }
    }
    // "assistant" as the model's name: dear assistant, the assistant must ….
    if starts_ci(b, pos, b"assistant") {
        let prev = prev_word(b, pos);
        let greeted = is_one_of(
            &prev,
            &["dear", "hey", "hi", "hello", "attention", "to", "for"],
        ) || (is_one_of(&prev, &["the", "ai"])
            && is_one_of(
                &prev_word(b, run_start_word(b, pos)),
                &["to", "for", "you", "dear", "hey", "hi", "hello", "the"],
            ));
        if greeted {
            windowed(
                ctx,
                |r| &r.addressed,
                pos.saturating_sub(28),
                pos + 12,
                Kind::Addressed,
                S::Medium,
                C::Medium,
                "text addressed to the model",
            );
        }
        if pos >= 4 && starts_ci(b, pos - 4, b"the ") && is_one_of(&next_word(b, end), MODALS) {
            anchored(
                ctx,
                |r| &r.the_ai,
                pos - 4,
                160,
                Kind::Instruction,
                S::High,
                C::High,
                "orders the model to act",
            );
        }
    }
    end
}

/// Where the word before `i` starts (skipping blanks).
fn run_start_word(b: &[u8], i: usize) -> usize {
    let e = crate::text::run_start(b, i, 8, |c| c == b' ' || c == b'\t' || c == b',');
    crate::text::run_start(b, e, 16, |c| c.is_ascii_alphabetic())
}

/// Chat-template tokens (`<|im_start|>`, `[INST]`, `<<SYS>>`) and tool-result tags
/// (`</tool_result>`, `<function_results>`) inside content.
fn role_token(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if at(b, pos) == b'_' {
        // `…_result>` / `…_results>`: find the tag's `<` on the same line.
        let from = pos.saturating_sub(24);
        let Some(lt) = b
            .get(from..pos)
            .and_then(|w| w.iter().rposition(|c| *c == b'<'))
            .map(|i| from + i)
        else {
            return pos + 8;
        };
        let name_start = if at(b, lt + 1) == b'/' {
            lt + 2
        } else {
            lt + 1
        };
        let name = b.get(name_start..pos).unwrap_or(&[]);
        let gt = run_end(b, pos, 10, |c| c != b'>');
        let toolish = name.iter().all(|c| c.is_ascii_lowercase() || *c == b'_')
            && (crate::text::contains_ci(name, b"tool")
                || crate::text::contains_ci(name, b"function"));
        if toolish && at(b, gt) == b'>' {
            ctx.injection(
                Kind::Role,
                S::High,
                C::Medium,
                lt,
                gt + 1,
                "tool-result tag inside content",
            );
        }
        return gt + 1;
    }
    // `INST]` and `SYS>>` are anchored after their opening bracket: step back to it.
    let start = if starts(b, pos, b"INST]") {
        match (before(b, pos), pos.checked_sub(1).map(|p| before(b, p))) {
            (b'[', _) => pos - 1,
            (b'/', Some(b'[')) => pos - 2,
            _ => return pos + 5,
        }
    } else if starts(b, pos, b"SYS>>") {
        match (
            before(b, pos),
            pos.checked_sub(1).map(|p| before(b, p)),
            pos.checked_sub(2).map(|p| before(b, p)),
        ) {
            (b'<', Some(b'<'), _) => pos - 2,
            (b'/', Some(b'<'), Some(b'<')) => pos - 3,
            _ => return pos + 5,
        }
    } else {
        pos
    };
    // A detector that cannot be built takes the trigger for a token (fail closed).
    let found = match ctx.sc.inject.get() {
        Some(rx) => rx
            .token
            .find(ahead(ctx.text, start, 24).as_bytes())
            .map(|m| m.end()),
        None => Some(ceil_char(ctx.text, (pos + 2).min(ctx.text.len())) - start),
    };
    match found {
        Some(end) => {
            let e = start + end;
            ctx.injection(
                Kind::Role,
                S::High,
                C::High,
                start,
                e,
                "chat-template token inside content",
            );
            e
        }
        None => pos + 2,
    }
}
