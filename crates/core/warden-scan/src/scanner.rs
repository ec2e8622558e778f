//! The scanner: anchors compiled once into three SIMD multi-literal searchers, one pass over
//! the text, and a cheap verifier per anchor hit.
//!
//! Why three searchers: Teddy (the packed searcher of `aho-corasick`) runs at several GB/s when
//! its literals are few and their first four bytes rare, and collapses when one literal is
//! short (shorter fingerprints for all) or when there are more than about 64 (measured: 120
//! keyword anchors in one searcher ran at 70 MB/s). So:
//!
//! - `EXACT`: case-sensitive vendor prefixes and markup tokens of four bytes or more, on the
//!   text as it is (about 8 GB/s);
//! - `SHORT`: the three-byte anchors (`://`, `sk-`, `hf_`, `SG.`, `xox`, `<|…`, `\u…`), each
//!   holding a rare punctuation byte (about 10 GB/s);
//! - `WORDS`: keywords and phrases in any case, on an ASCII-lowercased copy of each 64 KiB
//!   chunk (ASCII lowercasing keeps byte offsets), each literal chosen so that its first four
//!   bytes are rare (about 2.5 GB/s, the bulk of the cost).
//!
//! A verifier either rejects a hit in a few nanoseconds or looks at a bounded window around it;
//! a watermark per trigger skips hits inside a region already examined, so pathological input
//! (`eyJeyJeyJ…`, `AAAA…`, unterminated comments) costs linear time. Invisible and look-alike
//! characters are found by a separate pass over non-ASCII bytes only ([`crate::unicode`]).

use std::borrow::Cow;

use aho_corasick::packed::{Config, MatchKind, Searcher};

use crate::err::BuildError;
use crate::finding::{Category, Confidence, Finding, Findings, Severity, Span};
use crate::{exfil, inject, markup, secrets, unicode};

/// Most findings kept per category; beyond it [`Findings::truncated`] is set. Redaction is
/// never capped.
pub const MAX_FINDINGS: usize = 10_000;

/// Bytes lowercased and searched at a time: small enough to stay in cache.
const CHUNK: usize = 64 * 1024;
/// Chunks overlap by the longest anchor so a literal straddling two chunks is still found.
const OVERLAP: usize = 16;

/// What an anchor hit asks to be checked. Each trigger has its own watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    AwsId,
    GitHub,
    GitHubPat,
    GitLab,
    Slack,
    Stripe,
    StripeWebhook,
    GoogleKey,
    GoogleSecret,
    GoogleToken,
    Npm,
    PyPi,
    Pem,
    Jwt,
    SkKey,
    HuggingFace,
    SendGrid,
    Url,
    UrlEscaped,
    Generic,
    Bearer,
    Twilio,
    Discord,
    Telegram,
    Azure,
    Override,
    Instru,
    RoleWord,
    RoleToken,
    Urgent,
    BeforeYou,
    YouMust,
    TheUser,
    Approved,
    Greeting,
    Ai,
    Comment,
    MdComment,
    Style,
    JsonEscape,
}

/// How many triggers there are (the size of the watermark table).
const TRIGGERS: usize = Trigger::JsonEscape as usize + 1;

use Trigger as T;

/// Case-sensitive literals of four bytes or more, searched in the text as it is.
const EXACT: &[(&str, Trigger)] = &[
    ("AKIA", T::AwsId),
    ("ASIA", T::AwsId),
    ("ghp_", T::GitHub),
    ("gho_", T::GitHub),
    ("ghu_", T::GitHub),
    ("ghs_", T::GitHub),
    ("ghr_", T::GitHub),
    ("github_pat_", T::GitHubPat),
    ("glpat-", T::GitLab),
    ("xapp-", T::Slack),
    ("k_live_", T::Stripe),
    ("k_test_", T::Stripe),
    ("whsec_", T::StripeWebhook),
    ("AIza", T::GoogleKey),
    ("GOCSPX-", T::GoogleSecret),
    ("ya29.", T::GoogleToken),
    ("npm_", T::Npm),
    ("pypi-AgE", T::PyPi),
    ("-----BEGIN", T::Pem),
    (".eyJ", T::Jwt),
    (":\\/\\/", T::UrlEscaped),
    ("INST]", T::RoleToken),
    ("SYS>>", T::RoleToken),
    ("_result>", T::RoleToken),
    ("_results>", T::RoleToken),
    ("<!--", T::Comment),
    ("[//]", T::MdComment),
];

/// The three-byte anchors: a searcher of their own keeps four-byte fingerprints for the rest.
/// Each holds punctuation (`:` `-` `_` `.` `<` `|` `\\`), rare enough that a three-byte
/// fingerprint stays cheap.
const SHORT: &[(&str, Trigger)] = &[
    ("://", T::Url),
    ("sk-", T::SkKey),
    ("hf_", T::HuggingFace),
    ("SG.", T::SendGrid),
    ("xox", T::Slack),
    ("<|i", T::RoleToken),
    ("<|e", T::RoleToken),
    ("<|s", T::RoleToken),
    ("<|a", T::RoleToken),
    ("<|u", T::RoleToken),
    ("\\u0", T::JsonEscape),
    ("\\u2", T::JsonEscape),
    ("\\ud", T::JsonEscape),
    ("\\uD", T::JsonEscape),
];

/// Keywords and phrases in any case, searched in the lowercased copy, as (literal, trigger,
/// shift): the trigger sees the offset `shift` bytes from the literal's start (where the
/// keyword or phrase begins).
///
/// Teddy fingerprints the first four bytes of each literal, so each literal is the part of its
/// keyword whose first four bytes are rare in ordinary text: `ssword` (not `pass`: passed,
/// bypass), `nstruc` (not `inst`: instance, install), `ssistant` (not `assi`: assign), `tell
/// the user` (not `the `, which starts every other phrase of English). Non-ASCII anchors
/// (Chinese, Japanese, Russian "ignore") are checked in the Unicode pass instead.
const WORDS: &[(&str, Trigger, i8)] = &[
    ("ssword", T::Generic, -2),
    ("sswd", T::Generic, -2),
    ("secretly", T::YouMust, 0),
    ("secret", T::Generic, 0),
    ("token", T::Generic, 0),
    ("api_key", T::Generic, 0),
    ("apikey", T::Generic, 0),
    ("api-key", T::Generic, 0),
    ("te_key", T::Generic, -5),
    ("ss_key", T::Generic, -4),
    ("credential", T::Generic, 0),
    ("bearer", T::Bearer, 0),
    ("twilio", T::Twilio, 0),
    ("iscord", T::Discord, -1),
    ("legram", T::Telegram, -2),
    ("ntkey", T::Azure, -5),
    ("sskey", T::Azure, -4),
    ("ignor", T::Override, 0),
    ("disregard", T::Override, 0),
    ("forget", T::Override, 0),
    ("oubli", T::Override, 0),
    ("ergiss", T::Override, -1),
    ("olvid", T::Override, 0),
    ("nstruc", T::Instru, -1),
    ("system", T::RoleWord, 0),
    ("ssistant", T::RoleWord, -1),
    ("human:", T::RoleWord, 0),
    ("urgent", T::Urgent, 0),
    ("style=", T::Style, 0),
    ("tell the user", T::TheUser, 5),
    ("fy the user", T::TheUser, 3),
    ("already", T::Approved, 0),
    ("e-approv", T::Approved, -2),
    (" ai ", T::Ai, 1),
    (" ai,", T::Ai, 1),
    (" ai:", T::Ai, 1),
    ("dear ", T::Greeting, 0),
    ("before you", T::BeforeYou, 0),
    ("immediately", T::YouMust, 0),
    ("must first", T::YouMust, 0),
];

/// Which categories a scan looks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    pub secrets: bool,
    pub injection: bool,
    pub exfil: bool,
}

impl Want {
    const ALL: Want = Want {
        secrets: true,
        injection: true,
        exfil: true,
    };

    fn of(categories: &[Category]) -> Want {
        Want {
            secrets: categories.contains(&Category::Secret),
            injection: categories.contains(&Category::Injection),
            exfil: categories.contains(&Category::Exfil),
        }
    }

    /// Whether a trigger can produce anything this scan wants. URLs feed secrets
    /// (connection strings, webhooks, encoded keys) as well as exfiltration.
    fn wants(self, t: Trigger) -> bool {
        match t {
            T::Url | T::UrlEscaped => self.secrets || self.exfil,
            T::AwsId
            | T::GitHub
            | T::GitHubPat
            | T::GitLab
            | T::Slack
            | T::Stripe
            | T::StripeWebhook
            | T::GoogleKey
            | T::GoogleSecret
            | T::GoogleToken
            | T::Npm
            | T::PyPi
            | T::Pem
            | T::Jwt
            | T::SkKey
            | T::HuggingFace
            | T::SendGrid
            | T::Generic
            | T::Bearer
            | T::Twilio
            | T::Discord
            | T::Telegram
            | T::Azure => self.secrets || self.exfil,
            T::JsonEscape => true,
            T::Override
            | T::Instru
            | T::RoleWord
            | T::RoleToken
            | T::Urgent
            | T::BeforeYou
            | T::YouMust
            | T::TheUser
            | T::Approved
            | T::Greeting
            | T::Ai
            | T::Comment
            | T::MdComment
            | T::Style => self.injection,
        }
    }
}

/// A compiled scanner. Build it once ([`Scanner::new`] or [`crate::scanner`]) and share it:
/// scanning takes `&self` and keeps no state between calls.
pub struct Scanner {
    exact: Searcher,
    short: Searcher,
    words: Searcher,
    pub(crate) inject: LazyRx<inject::Rx>,
    pub(crate) secrets: LazyRx<secrets::Rx>,
    pub(crate) markup: LazyRx<markup::Rx>,
}

/// A set of confirming regexes, compiled the first time a trigger needs it: a process that
/// decides one call and scans a short argument never pays for the regexes it does not reach.
/// [`Scanner::new`] builds every set at once (the monitor: a detector that cannot be built stops
/// its start); where a set fails to build later, the callers treat the text as a finding (fail
/// closed), never as clean.
pub(crate) struct LazyRx<T> {
    cell: std::sync::OnceLock<Result<T, BuildError>>,
    build: fn() -> Result<T, BuildError>,
}

impl<T> LazyRx<T> {
    fn new(build: fn() -> Result<T, BuildError>) -> Self {
        LazyRx {
            cell: std::sync::OnceLock::new(),
            build,
        }
    }

    /// The set, built now if it was not; `Err` if it cannot be built.
    pub(crate) fn force(&self) -> Result<&T, &BuildError> {
        self.cell.get_or_init(self.build).as_ref()
    }

    /// The set, or `None` if it cannot be built (the caller fails closed).
    pub(crate) fn get(&self) -> Option<&T> {
        self.force().ok()
    }
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("anchors", &(EXACT.len() + SHORT.len() + WORDS.len()))
            .finish_non_exhaustive()
    }
}

fn searcher(group: &'static str, anchors: &[(&str, Trigger)]) -> Result<Searcher, BuildError> {
    let mut config = Config::new();
    // Leftmost-first, and no heuristic cap: the groups are sized by measurement (see the
    // module docs), and a cap would silently fall back to a far slower searcher.
    config
        .match_kind(MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false);
    config
        .builder()
        .extend(anchors.iter().map(|(lit, _)| lit.as_bytes()))
        .build()
        .ok_or(BuildError::Anchors { group })
}

impl Scanner {
    /// Compiles every anchor and pattern.
    /// A scanner with every detector built now: an error names the one that cannot be built.
    pub fn new() -> Result<Scanner, BuildError> {
        let s = Scanner::lazy()?;
        s.build_all()?;
        Ok(s)
    }

    /// Builds every confirming regex set now (see [`LazyRx`]).
    pub fn build_all(&self) -> Result<(), BuildError> {
        self.inject.force().map_err(Clone::clone)?;
        self.secrets.force().map_err(Clone::clone)?;
        self.markup.force().map_err(Clone::clone)?;
        Ok(())
    }

    /// A scanner whose confirming regexes are compiled on first use (its triggers now).
    pub fn lazy() -> Result<Scanner, BuildError> {
        Ok(Scanner {
            exact: searcher("exact", EXACT)?,
            short: searcher("short", SHORT)?,
            words: searcher(
                "words",
                &WORDS.iter().map(|(l, t, _)| (*l, *t)).collect::<Vec<_>>(),
            )?,
            inject: LazyRx::new(inject::Rx::new),
            secrets: LazyRx::new(secrets::Rx::new),
            markup: LazyRx::new(markup::Rx::new),
        })
    }

    /// Scans `text` for secrets, injection indicators and exfiltration channels.
    pub fn scan(&self, text: &str) -> Findings {
        self.run(text, Want::ALL, 0, false)
    }

    /// Scans `text` for the given categories only (cheaper when only one is needed).
    pub fn scan_only(&self, text: &str, categories: &[Category]) -> Findings {
        self.run(text, Want::of(categories), 0, false)
    }

    /// Spans of `text` that look like injected instructions (confidence medium or above), in the
    /// shape `warden-session` uses. Works on text in any case.
    pub fn injection_spans(&self, text: &str) -> Vec<Span> {
        let want = Want {
            secrets: false,
            injection: true,
            exfil: false,
        };
        self.run(text, want, 0, false)
            .injections
            .into_iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .map(|f| Span {
                start: f.start,
                end: f.end,
                kind: f.kind(),
            })
            .collect()
    }

    /// `text` with every secret replaced by `[REDACTED:<family>]`; borrowed when there is none.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let want = Want {
            secrets: true,
            injection: false,
            exfil: false,
        };
        let found = self.run(text, want, 0, true);
        if found.secrets.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for f in &found.secrets {
            if f.start < last {
                continue;
            }
            out.push_str(crate::text::slice(text, last, f.start));
            out.push_str("[REDACTED:");
            out.push_str(f.family);
            out.push(']');
            last = f.end;
        }
        out.push_str(crate::text::slice(text, last, text.len()));
        Cow::Owned(out)
    }

    /// Depth 0 is the text given; deeper scans are of decoded or normalised views of it. The
    /// Unicode pass runs to depth 1 (so JSON-escaped invisibles are seen), decoding of JSON
    /// escapes and URL values only at depth 0, and nothing goes past depth 2.
    fn run(&self, text: &str, want: Want, depth: u8, redacting: bool) -> Findings {
        let mut ctx = Ctx::new(self, text, want, depth, redacting);
        ctx.search();
        if depth <= 1 {
            unicode::scan(&mut ctx);
        }
        ctx.finish()
    }

    /// Scans decoded text (a URL value) whose findings are placed by the caller.
    pub(crate) fn scan_nested(&self, text: &str, want: Want, redacting: bool) -> Findings {
        self.run(text, want, 2, redacting)
    }

    /// Scans a decoded or normalised view of part of the text (`view`), whose byte `i` came from
    /// the original bytes `map[i].0..map[i].1`. Findings come back in original offsets.
    fn rescan(
        &self,
        view: &str,
        map: &[(usize, usize)],
        want: Want,
        depth: u8,
        redacting: bool,
    ) -> Findings {
        let mut found = self.run(view, want, depth, redacting);
        for list in [&mut found.secrets, &mut found.injections, &mut found.exfil] {
            for f in list.iter_mut() {
                let start = map.get(f.start).map(|m| m.0);
                let end = f.end.checked_sub(1).and_then(|i| map.get(i)).map(|m| m.1);
                if let (Some(s), Some(e)) = (start, end) {
                    f.start = s;
                    f.end = e.max(s);
                }
            }
        }
        found
    }
}

/// A hit waiting for a verifier. Verifiers only ever see hits at or past their watermark.
pub(crate) struct Ctx<'a> {
    pub sc: &'a Scanner,
    pub text: &'a str,
    pub b: &'a [u8],
    pub want: Want,
    /// 0 for the text given, more for decoded or normalised views of it.
    depth: u8,
    /// Redaction wants every secret and no previews.
    pub redacting: bool,
    pub found: Findings,
    marks: [usize; TRIGGERS],
    /// Markup regions (comments, hidden-styled elements) judged once injections are known.
    pub regions: Vec<markup::Region>,
    /// URLs that could carry a secret, checked once secrets are known.
    pub urls: Vec<exfil::Seen>,
}

impl<'a> Ctx<'a> {
    fn new(sc: &'a Scanner, text: &'a str, want: Want, depth: u8, redacting: bool) -> Self {
        Ctx {
            sc,
            text,
            b: text.as_bytes(),
            want,
            depth,
            redacting,
            found: Findings::default(),
            marks: [0; TRIGGERS],
            regions: Vec::new(),
            urls: Vec::new(),
        }
    }

    /// How deep this scan is (0 for the text given).
    pub fn nested_depth(&self) -> u8 {
        self.depth
    }

    /// Scans a view of part of this text one level deeper; findings come back in this text's
    /// offsets.
    pub fn rescan(&self, view: &str, map: &[(usize, usize)], want: Want) -> Findings {
        self.sc.rescan(
            view,
            map,
            want,
            self.depth.saturating_add(1),
            self.redacting,
        )
    }

    /// Records a finding (dropped past the cap, or when its category is not wanted).
    pub fn add(&mut self, f: Finding) {
        let (list, wanted) = match f.category {
            Category::Secret => (
                &mut self.found.secrets,
                self.want.secrets || self.want.exfil,
            ),
            Category::Injection => (&mut self.found.injections, self.want.injection),
            Category::Exfil => (&mut self.found.exfil, self.want.exfil),
        };
        if !wanted {
            return;
        }
        if list.len() >= MAX_FINDINGS && !(self.redacting && f.category == Category::Secret) {
            self.found.truncated = true;
            return;
        }
        list.push(f);
    }

    /// Records a secret at `start..end`, previewing `keep` leading characters at most.
    #[allow(clippy::too_many_arguments)]
    pub fn secret(
        &mut self,
        family: &'static str,
        severity: Severity,
        confidence: Confidence,
        start: usize,
        end: usize,
        keep: usize,
        note: &'static str,
    ) {
        let preview = if self.redacting {
            String::new()
        } else {
            crate::text::preview(crate::text::slice(self.text, start, end), keep)
        };
        self.add(Finding {
            category: Category::Secret,
            family,
            severity,
            confidence,
            start,
            end,
            preview,
            host: None,
            note,
        });
    }

    /// Records an injection indicator at `start..end`.
    pub fn injection(
        &mut self,
        kind: inject::Kind,
        severity: Severity,
        confidence: Confidence,
        start: usize,
        end: usize,
        note: &'static str,
    ) {
        let preview = crate::text::excerpt(crate::text::slice(self.text, start, end), 80);
        self.add(Finding {
            category: Category::Injection,
            family: kind.family(),
            severity,
            confidence,
            start,
            end,
            preview,
            host: None,
            note,
        });
    }

    /// Moves a trigger's watermark forward: later hits of that trigger before `to` are skipped.
    pub fn mark(&mut self, t: Trigger, to: usize) {
        if let Some(m) = self.marks.get_mut(t as usize) {
            *m = (*m).max(to);
        }
    }

    fn search(&mut self) {
        let sc = self.sc;
        let b = self.b;
        let n = b.len();
        let mut lower = Vec::with_capacity(CHUNK.min(n) + OVERLAP);
        let mut cs = 0;
        while cs < n {
            let ce = cs.saturating_add(CHUNK).min(n);
            let hay = b.get(cs..ce.saturating_add(OVERLAP).min(n)).unwrap_or(&[]);
            for m in sc.exact.find_iter(hay) {
                let pos = cs + m.start();
                if pos >= ce {
                    break;
                }
                if let Some((lit, t)) = EXACT.get(m.pattern().as_usize()) {
                    self.hit(*t, pos, lit.len());
                }
            }
            for m in sc.short.find_iter(hay) {
                let pos = cs + m.start();
                if pos >= ce {
                    break;
                }
                if let Some((lit, t)) = SHORT.get(m.pattern().as_usize()) {
                    self.hit(*t, pos, lit.len());
                }
            }
            lower.clear();
            lower.extend(hay.iter().map(u8::to_ascii_lowercase));
            for m in sc.words.find_iter(&lower) {
                let pos = cs + m.start();
                if pos >= ce {
                    break;
                }
                if let Some((lit, t, shift)) = WORDS.get(m.pattern().as_usize()) {
                    let at = pos.saturating_add_signed(isize::from(*shift));
                    let len = lit.len().saturating_add_signed(-isize::from(*shift));
                    self.hit(*t, at, len);
                }
            }
            cs = ce;
        }
    }

    /// Runs the verifier of trigger `t` at `pos` (`len` bytes of anchor), unless a previous hit
    /// of the same trigger already covered `pos`.
    pub fn hit(&mut self, t: Trigger, pos: usize, len: usize) {
        if !self.want.wants(t) || self.marks.get(t as usize).is_some_and(|m| pos < *m) {
            return;
        }
        let to = match t {
            T::AwsId => secrets::aws_id(self, pos),
            T::GitHub => secrets::github(self, pos),
            T::GitHubPat => secrets::github_pat(self, pos),
            T::GitLab => secrets::gitlab(self, pos),
            T::Slack => secrets::slack(self, pos),
            T::Stripe => secrets::stripe(self, pos),
            T::StripeWebhook => secrets::stripe_webhook(self, pos),
            T::GoogleKey => secrets::google_key(self, pos),
            T::GoogleSecret => secrets::google_secret(self, pos),
            T::GoogleToken => secrets::google_token(self, pos),
            T::Npm => secrets::npm(self, pos),
            T::PyPi => secrets::pypi(self, pos),
            T::Pem => secrets::pem(self, pos),
            T::Jwt => secrets::jwt(self, pos),
            T::SkKey => secrets::sk_key(self, pos),
            T::HuggingFace => secrets::huggingface(self, pos),
            T::SendGrid => secrets::sendgrid(self, pos),
            T::Url => exfil::url(self, pos, false),
            T::UrlEscaped => exfil::url(self, pos, true),
            T::Generic => secrets::assignment(self, pos, len),
            T::Bearer => secrets::bearer(self, pos),
            T::Twilio => secrets::twilio(self, pos),
            T::Discord => secrets::discord(self, pos),
            T::Telegram => secrets::telegram(self, pos),
            T::Azure => secrets::azure(self, pos, len),
            T::Override
            | T::Instru
            | T::RoleWord
            | T::RoleToken
            | T::Urgent
            | T::BeforeYou
            | T::YouMust
            | T::TheUser
            | T::Approved
            | T::Greeting
            | T::Ai => inject::check(self, t, pos, len),
            T::Comment => markup::html_comment(self, pos),
            T::MdComment => markup::md_comment(self, pos),
            T::Style => markup::style(self, pos),
            T::JsonEscape => unicode::json_escapes(self, pos),
        };
        self.mark(t, to.max(pos + 1));
    }

    /// Adds the findings of a rescan, skipping any that repeat one already found.
    pub fn merge(&mut self, found: Findings, severity_floor: Option<Severity>) {
        for mut f in found
            .secrets
            .into_iter()
            .chain(found.injections)
            .chain(found.exfil)
        {
            let list = self.found.of(f.category);
            if list
                .iter()
                .rev()
                .take(64)
                .any(|g| g.family == f.family && g.overlaps(&f))
            {
                continue;
            }
            if let Some(floor) = severity_floor {
                if f.category == Category::Injection {
                    f.severity = f.severity.max(floor);
                    f.confidence = f.confidence.max(Confidence::High);
                }
            }
            self.add(f);
        }
    }

    fn finish(mut self) -> Findings {
        secrets::resolve_overlaps(&mut self.found.secrets);
        if self.want.exfil {
            exfil::finish(&mut self);
        }
        if self.want.injection {
            self.found.injections.sort_by_key(|f| (f.start, f.end));
            markup::finish(&mut self);
        }
        let found = &mut self.found;
        for list in [&mut found.secrets, &mut found.injections, &mut found.exfil] {
            list.sort_by_key(|f| (f.start, f.end));
            list.dedup_by(|a, b| a.family == b.family && a.start == b.start && a.end == b.end);
        }
        if !self.want.secrets {
            found.secrets.clear();
        }
        self.found
    }
}
