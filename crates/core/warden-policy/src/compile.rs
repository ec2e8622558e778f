//! Compiles layered policy files into indexed matchers, once.
//!
//! Every indexable string condition (path, program, host, tool, URL) becomes a predicate whose
//! globs join one `GlobSet` per field. A decision runs each field's set once per action and then
//! evaluates only the rules anchored on a predicate that fired, plus the few rules with no anchor
//! for the action's kind. Cost grows with the rules that could match, not with all rules.

use std::collections::{BTreeMap, BTreeSet};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::Regex;
use regex_automata::meta;
use serde_json::Value;
use warden_action::{ActionKind, ToolEffect};

use crate::decision::{Decision, Mode, Severity};
use crate::error::{PolicyError, PolicyErrors, SourceText};
use crate::layers::{Layer, PolicySource};
use crate::locate::Locator;
use crate::overlap::{Dialect, Shape};
use crate::spec::{MatchSpec, OneOrMany, PolicyFile, TestSpec, ValueTest};

/// Bit mask over [`ActionKind`]s.
pub(crate) type KindMask = u16;

const ALL_KINDS: KindMask = (1 << ActionKind::ALL.len()) - 1;

pub(crate) fn bit(k: ActionKind) -> KindMask {
    1 << k.index()
}

/// A compiled, layered policy, ready to evaluate actions.
#[derive(Debug)]
pub struct Policy {
    pub(crate) rules: Vec<Rule>,
    /// Declared tools, highest layer first.
    pub(crate) tools: Vec<(globset::GlobMatcher, crate::spec::ToolSpec)>,
    pub(crate) mode: Mode,
    pub(crate) default: Decision,
    pub(crate) index: Index,
    pub(crate) files: Vec<LoadedFile>,
    /// Set when one of its regexes could not be built on first use: every later verdict is a
    /// deny (fail closed).
    pub(crate) regex_failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// A parsed policy file kept for self-tests and error locations.
#[derive(Debug)]
pub(crate) struct LoadedFile {
    pub(crate) layer: Layer,
    pub(crate) text: SourceText,
    /// Built on first use: only an error or a self-test report needs positions.
    pub(crate) locator: std::sync::OnceLock<Locator>,
    pub(crate) spec: PolicyFile,
}

impl LoadedFile {
    /// Where each key of the file is.
    pub(crate) fn locator(&self) -> &Locator {
        self.locator.get_or_init(|| Locator::new(&self.text.text))
    }
}

/// One compiled rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) severity: Severity,
    pub(crate) decision: Decision,
    pub(crate) reason: Option<String>,
    pub(crate) guidance: Option<String>,
    pub(crate) layer: Layer,
    pub(crate) kinds: KindMask,
    pub(crate) cond: Cond,
    pub(crate) modify: Option<CompiledModify>,
}

/// A compiled condition tree.
#[derive(Debug)]
pub(crate) enum Cond {
    Kinds(KindMask),
    Pred(u32),
    InWorkspace(bool),
    Recursive(bool),
    SendsLocal(bool),
    Opaque(bool),
    Effect(Vec<ToolEffect>),
    Subcommand(Globs),
    FlagsAny(Vec<String>),
    FlagsAll(Vec<String>),
    Operand(Globs),
    AnyArg(Globs),
    StdinFrom(Globs),
    Via(Globs),
    Line(LazyRegex),
    Arg { pointer: String, test: CompiledTest },
    Channel(Globs),
    Recipient(Globs),
    Target(Globs),
    Extension(Globs),
    Session { name: String, test: CompiledTest },
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

/// A small glob set with its source patterns, for conditions that are not indexed (built on
/// first use, like [`FieldIndex`]).
#[derive(Debug)]
pub(crate) struct Globs {
    set: FieldIndex,
    pub(crate) patterns: Vec<String>,
}

impl Globs {
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.set.is_match(s)
    }
}

impl Cond {
    /// Build every glob set in this condition tree now.
    fn warm(&self) -> Result<(), String> {
        match self {
            Cond::Subcommand(g)
            | Cond::Operand(g)
            | Cond::AnyArg(g)
            | Cond::StdinFrom(g)
            | Cond::Via(g)
            | Cond::Channel(g)
            | Cond::Recipient(g)
            | Cond::Target(g)
            | Cond::Extension(g) => g.set.warm(),
            Cond::All(items) | Cond::Any(items) => {
                items.iter().try_for_each(Cond::warm)?;
            }
            Cond::Not(c) => c.warm()?,
            Cond::Line(re) => re.warm()?,
            Cond::Arg { test, .. } | Cond::Session { test, .. } => {
                if let Some(re) = &test.regex {
                    re.warm()?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The regex engine's compiled-size limit for a policy regex.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// A policy regex built as `regex::Regex` builds one (leftmost-first, UTF-8, the same size
/// limit), with or without its literal prefilter. A process that decides one action matches each
/// regex once, and building the prefilter costs it more than the match (about 0.6 ms of a cold decision's
/// 6 ms went to two baseline regexes); a monitor matching millions of times wants it.
fn build_lean(pattern: &str) -> Result<meta::Regex, Box<meta::BuildError>> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(true)
                .auto_prefilter(false),
        )
        .syntax(regex_automata::util::syntax::Config::new().utf8(true))
        .build(pattern)
        .map_err(Box::new)
}

/// A built policy regex: with its prefilter (the monitor, and layers other than the baseline,
/// built at load) or without (built on first use in a short-lived process).
#[derive(Debug)]
enum Matcher {
    Full(Regex),
    Lean(meta::Regex),
}

impl Matcher {
    fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Full(r) => r.is_match(text),
            Matcher::Lean(r) => r.is_match(text),
        }
    }
}

/// A policy regex: its syntax is checked when the policy compiles (an error points at the
/// file), its matcher built on first use, so a process deciding one action builds only the
/// regexes that action reaches. [`Policy::warm`] builds them all (the monitor, at each load).
/// A regex that parses but is too large to build fails closed: its policy's `regex_failed` is
/// set, and every later verdict of that policy is a deny.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: String,
    re: std::sync::OnceLock<Option<Matcher>>,
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl LazyRegex {
    /// The matcher, built by `build` if it is not built yet.
    fn get_or(&self, build: impl FnOnce(&str) -> Option<Matcher>) -> Option<&Matcher> {
        self.re
            .get_or_init(|| {
                let m = build(&self.pattern);
                if m.is_none() {
                    self.failed.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                m
            })
            .as_ref()
    }

    /// Whether `text` matches (never, when the regex cannot be built: the verdict then fails
    /// closed as a whole).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.get_or(|p| build_lean(p).ok().map(Matcher::Lean))
            .is_some_and(|r| r.is_match(text))
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.pattern
    }

    fn warm(&self) -> Result<(), String> {
        match self.get_or(|p| build_regex(p).ok().map(Matcher::Full)) {
            Some(_) => Ok(()),
            None => Err(format!(
                "regex `{}` is too large to build (limit {} bytes compiled)",
                self.pattern, REGEX_SIZE_LIMIT
            )),
        }
    }
}

/// A compiled [`ValueTest`].
#[derive(Debug)]
pub(crate) struct CompiledTest {
    pub(crate) equals: Option<Value>,
    pub(crate) glob: Option<Globs>,
    pub(crate) regex: Option<LazyRegex>,
    pub(crate) gt: Option<f64>,
    pub(crate) gte: Option<f64>,
    pub(crate) lt: Option<f64>,
    pub(crate) lte: Option<f64>,
    pub(crate) exists: Option<bool>,
}

/// A compiled modification.
#[derive(Debug)]
pub(crate) struct CompiledModify {
    pub(crate) redact: Vec<(String, Option<Regex>)>,
    pub(crate) set: BTreeMap<String, Value>,
}

/// Which action field an indexed predicate looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Path,
    Program,
    Host,
    Tool,
    Url,
}

impl Field {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Path => "path",
            Field::Program => "program",
            Field::Host => "host",
            Field::Tool => "tool",
            Field::Url => "url",
        }
    }
}

/// An indexed predicate: "field matches one of these globs".
#[derive(Debug)]
pub(crate) struct Pred {
    pub(crate) field: Field,
    pub(crate) matchers: Vec<(String, LazyGlob)>,
    /// For path predicates: each glob as a shape (and whether it is written from `~`), to
    /// decide whether a path *pattern* can name a file it matches.
    pub(crate) shapes: Vec<(String, bool, LazyShape)>,
}

/// A rule pattern's shape, built on first use: only an action whose path is itself a pattern
/// (`cat ~/.ss?/id_*`) needs it, so a cold process deciding a plain action never builds one.
#[derive(Debug)]
pub(crate) struct LazyShape {
    pattern: String,
    shape: std::sync::OnceLock<Shape>,
}

impl LazyShape {
    fn new(pattern: String) -> Self {
        LazyShape {
            pattern,
            shape: std::sync::OnceLock::new(),
        }
    }

    /// The shape.
    pub(crate) fn get(&self) -> &Shape {
        self.shape
            .get_or_init(|| Shape::new(&self.pattern, Dialect::Rule))
    }
}

/// One glob's own matcher, compiled on first use. The glob set finds candidate predicates; a
/// predicate's own matchers run only when the set hit it, so a cold process deciding one action
/// compiles the few it needs instead of every glob of the policy. Building a matcher from a
/// parsed glob cannot fail, so compiling it late changes no verdict.
#[derive(Debug)]
pub(crate) struct LazyGlob {
    glob: Glob,
    matcher: std::sync::OnceLock<GlobMatcher>,
}

impl LazyGlob {
    fn new(glob: Glob) -> Self {
        LazyGlob {
            glob,
            matcher: std::sync::OnceLock::new(),
        }
    }

    /// Whether `v` matches the glob.
    pub(crate) fn is_match(&self, v: impl AsRef<std::path::Path>) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(v)
    }

    /// Compile now (a long-running monitor pays it at load, not on its first decisions).
    pub(crate) fn warm(&self) {
        let _ = self.matcher.get_or_init(|| self.glob.compile_matcher());
    }
}

/// One field's glob set, mapping each glob back to its predicate. The set is built on first use
/// (a cold process deciding one action builds only the fields that action has); a set that
/// cannot be built (too large for the regex engine) falls back to each glob's own matcher,
/// which gives the same matches, so the verdict never depends on it.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    globs: Vec<LazyGlob>,
    set: std::sync::OnceLock<Option<GlobSet>>,
    pub(crate) pred_of: Vec<u32>,
}

impl FieldIndex {
    fn set(&self) -> Option<&GlobSet> {
        self.set
            .get_or_init(|| {
                let mut b = GlobSetBuilder::new();
                for g in &self.globs {
                    b.add(g.glob.clone());
                }
                b.build().ok()
            })
            .as_ref()
    }

    /// Whether any glob matches `s`.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self.set() {
            Some(set) => set.is_match(s),
            None => self.globs.iter().any(|g| g.is_match(s)),
        }
    }

    /// The indexes of the globs that match `s`, into `into` (cleared first).
    pub(crate) fn matches_into(&self, s: &str, into: &mut Vec<usize>) {
        match self.set() {
            Some(set) => set.matches_into(s, into),
            None => {
                into.clear();
                into.extend(
                    self.globs
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| g.is_match(s))
                        .map(|(i, _)| i),
                );
            }
        }
    }

    fn warm(&self) {
        if self.set().is_none() {
            self.globs.iter().for_each(LazyGlob::warm);
        }
    }
}

/// The indexes built over all rules.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) path_abs: FieldIndex,
    pub(crate) path_home: FieldIndex,
    pub(crate) program: FieldIndex,
    pub(crate) host: FieldIndex,
    pub(crate) tool: FieldIndex,
    pub(crate) url: FieldIndex,
    pub(crate) preds: Vec<Pred>,
    /// Rules whose anchor is this predicate.
    pub(crate) by_pred: Vec<Vec<u32>>,
    /// Rules with no anchor, per action kind.
    pub(crate) unanchored: Vec<Vec<u32>>,
}

struct IndexBuilder {
    path_abs: (Vec<LazyGlob>, Vec<u32>),
    path_home: (Vec<LazyGlob>, Vec<u32>),
    program: (Vec<LazyGlob>, Vec<u32>),
    host: (Vec<LazyGlob>, Vec<u32>),
    tool: (Vec<LazyGlob>, Vec<u32>),
    url: (Vec<LazyGlob>, Vec<u32>),
    preds: Vec<Pred>,
}

/// Build a glob with Warden's options for a field.
fn glob(pattern: &str, field: Option<Field>) -> Result<Glob, globset::Error> {
    let (case_insensitive, literal_separator) = match field {
        Some(Field::Path) => (cfg!(target_os = "macos"), true),
        Some(Field::Program) => (false, false),
        Some(Field::Host) | Some(Field::Tool) | None => (true, false),
        Some(Field::Url) => (true, false),
    };
    GlobBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .literal_separator(literal_separator)
        .backslash_escape(true)
        .build()
}

/// Rewrite a path pattern into the form matched: `$HOME` as `~`, relative ones anywhere.
fn path_pattern(p: &str) -> String {
    let p = if let Some(rest) = p.strip_prefix("$HOME") {
        format!("~{rest}")
    } else {
        p.to_string()
    };
    // `dir/` means everything under dir; the root itself stays `/`, and the home itself `~`.
    if p == "~/" {
        return "~".into();
    }
    let p = if p.ends_with('/') && p != "/" {
        format!("{p}**")
    } else {
        p
    };
    if p.starts_with('/') || p.starts_with("~/") || p == "~" || p.starts_with("**") {
        p
    } else {
        format!("**/{p}")
    }
}

/// Errors found while compiling one file, with a way to locate them.
struct Ctx<'a> {
    file: &'a LoadedFile,
    lists: &'a BTreeMap<String, Vec<String>>,
    errors: &'a mut Vec<PolicyError>,
    regex_failed: &'a std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Ctx<'_> {
    fn err(&mut self, at: &str, message: String, help: Option<String>) {
        let span = self.file.locator().span(at);
        self.errors
            .push(self.file.text.invalid(span, message, help));
    }

    /// Expand `$list` references in a string list.
    fn strings(&mut self, v: &OneOrMany<String>, at: &str) -> Vec<String> {
        self.items(v, at).into_iter().map(|(_, s)| s).collect()
    }

    /// Expand `$list` references, keeping for each string the index of the entry it came from.
    fn items(&mut self, v: &OneOrMany<String>, at: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, s) in v.as_slice().iter().enumerate() {
            match s.strip_prefix('$').filter(|n| !n.starts_with("HOME")) {
                Some(name) => match self.lists.get(name) {
                    Some(items) => out.extend(items.iter().map(|item| (i, item.clone()))),
                    None => self.err(
                        &format!("{at}[{i}]"),
                        format!("unknown list `${name}`"),
                        Some(format!(
                            "declare it under `lists:`; known lists: {}",
                            self.lists.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    ),
                },
                None => out.push((i, s.clone())),
            }
        }
        out
    }

    fn globs(&mut self, v: &OneOrMany<String>, at: &str) -> Globs {
        let items = self.items(v, at);
        let mut globs = Vec::new();
        for (i, p) in &items {
            match glob(p, None) {
                Ok(g) => globs.push(LazyGlob::new(g)),
                Err(e) => self.err(&format!("{at}[{i}]"), format!("bad glob `{p}`: {e}"), None),
            }
        }
        let patterns = items.into_iter().map(|(_, p)| p).collect();
        Globs {
            set: FieldIndex {
                globs,
                set: std::sync::OnceLock::new(),
                pred_of: Vec::new(),
            },
            patterns,
        }
    }

    /// A regex for a condition. The embedded baseline's regexes (a test builds each one) are
    /// checked now and built on first use ([`LazyRegex`]); every other layer's are built now, so
    /// a regex too large to build is an error at its `file:line:column`.
    fn lazy_regex(&mut self, r: &str, at: &str) -> Option<LazyRegex> {
        let re = std::sync::OnceLock::new();
        if self.file.layer == Layer::Baseline {
            if let Err(e) = regex_syntax::ParserBuilder::new().build().parse(r) {
                self.err(at, format!("bad regex `{r}`: {e}"), None);
                return None;
            }
        } else {
            let built = self.regex(r, at)?;
            let _ = re.set(Some(Matcher::Full(built)));
        }
        Some(LazyRegex {
            pattern: r.to_string(),
            re,
            failed: std::sync::Arc::clone(self.regex_failed),
        })
    }

    fn regex(&mut self, r: &str, at: &str) -> Option<Regex> {
        match build_regex(r) {
            Ok(re) => Some(re),
            Err(e) => {
                self.err(at, format!("bad regex `{r}`: {e}"), None);
                None
            }
        }
    }

    fn value_test(&mut self, t: &ValueTest, at: &str) -> CompiledTest {
        CompiledTest {
            equals: t.equals.clone(),
            glob: t
                .glob
                .as_ref()
                .map(|g| self.globs(g, &format!("{at}.glob"))),
            regex: t
                .regex
                .as_ref()
                .and_then(|r| self.lazy_regex(r, &format!("{at}.regex"))),
            gt: t.gt,
            gte: t.gte,
            lt: t.lt,
            lte: t.lte,
            exists: t.exists,
        }
    }
}

impl Default for IndexBuilder {
    fn default() -> Self {
        let f = || (Vec::new(), Vec::new());
        Self {
            path_abs: f(),
            path_home: f(),
            program: f(),
            host: f(),
            tool: f(),
            url: f(),
            preds: Vec::new(),
        }
    }
}

impl IndexBuilder {
    /// Add an indexed predicate over `patterns`; returns its id.
    fn pred(&mut self, ctx: &mut Ctx<'_>, field: Field, v: &OneOrMany<String>, at: &str) -> u32 {
        let id = self.preds.len() as u32;
        let mut matchers = Vec::new();
        let mut shapes = Vec::new();
        let mut expanded = Vec::new();
        for (i, raw) in ctx.items(v, at) {
            let pattern = match field {
                Field::Path => path_pattern(&raw),
                Field::Host => raw.to_ascii_lowercase(),
                Field::Program | Field::Tool | Field::Url => raw.clone(),
            };
            // `dir/**` also covers `dir` itself: reading or archiving the directory reaches
            // everything under it.
            if field == Field::Path {
                if let Some(dir) = pattern
                    .strip_suffix("/**")
                    .filter(|d| !d.is_empty() && *d != "~")
                {
                    expanded.push((i, raw.clone(), dir.to_string()));
                }
            }
            expanded.push((i, raw, pattern));
        }
        for (i, raw, pattern) in expanded {
            let g = match glob(&pattern, Some(field)) {
                Ok(g) => g,
                Err(e) => {
                    ctx.err(
                        &format!("{at}[{i}]"),
                        format!("bad glob `{raw}`: {e}"),
                        None,
                    );
                    continue;
                }
            };
            if field == Field::Path {
                let home = pattern.starts_with('~');
                shapes.push((raw.clone(), home, LazyShape::new(pattern.clone())));
            }
            matchers.push((raw, LazyGlob::new(g.clone())));
            let slot = match field {
                Field::Path if pattern.starts_with('~') => &mut self.path_home,
                Field::Path => &mut self.path_abs,
                Field::Program => &mut self.program,
                Field::Host => &mut self.host,
                Field::Tool => &mut self.tool,
                Field::Url => &mut self.url,
            };
            slot.0.push(LazyGlob::new(g));
            slot.1.push(id);
        }
        self.preds.push(Pred {
            field,
            matchers,
            shapes,
        });
        id
    }

    fn finish(self, rules: &[Rule]) -> Result<Index, globset::Error> {
        fn fi(p: (Vec<LazyGlob>, Vec<u32>)) -> Result<FieldIndex, globset::Error> {
            Ok(FieldIndex {
                globs: p.0,
                set: std::sync::OnceLock::new(),
                pred_of: p.1,
            })
        }
        let mut by_pred = vec![Vec::new(); self.preds.len()];
        let mut unanchored = vec![Vec::new(); ActionKind::ALL.len()];
        for (ri, rule) in rules.iter().enumerate() {
            match anchor(&rule.cond) {
                Some(p) => {
                    if let Some(list) = by_pred.get_mut(p as usize) {
                        list.push(ri as u32);
                    }
                }
                None => {
                    for k in ActionKind::ALL {
                        if rule.kinds & bit(k) != 0 {
                            if let Some(list) = unanchored.get_mut(k.index()) {
                                list.push(ri as u32);
                            }
                        }
                    }
                }
            }
        }
        Ok(Index {
            path_abs: fi(self.path_abs)?,
            path_home: fi(self.path_home)?,
            program: fi(self.program)?,
            host: fi(self.host)?,
            tool: fi(self.tool)?,
            url: fi(self.url)?,
            preds: self.preds,
            by_pred,
            unanchored,
        })
    }
}

/// A predicate that must hold for `cond` to hold, if one is found in its top-level conjunction.
fn anchor(cond: &Cond) -> Option<u32> {
    match cond {
        Cond::Pred(p) => Some(*p),
        Cond::All(items) => items.iter().find_map(anchor),
        _ => None,
    }
}

/// The kinds a match can apply to, from its own fields (not from `any`/`not`).
fn inferred_kinds(m: &MatchSpec) -> KindMask {
    let file = bit(ActionKind::FileRead) | bit(ActionKind::FileWrite) | bit(ActionKind::FileDelete);
    let tool = bit(ActionKind::ToolCall) | bit(ActionKind::McpCall);
    let mut mask = ALL_KINDS;
    let mut narrow = |present: bool, kinds: KindMask| {
        if present {
            mask &= kinds;
        }
    };
    narrow(
        m.path.is_some() || m.file_name.is_some() || m.in_workspace.is_some(),
        file,
    );
    narrow(m.recursive.is_some(), bit(ActionKind::FileDelete));
    narrow(m.command.is_some(), bit(ActionKind::Exec));
    narrow(
        m.host.is_some() || m.url.is_some() || m.sends_local_data.is_some(),
        bit(ActionKind::Network),
    );
    narrow(m.tool.is_some() || !m.args.is_empty(), tool);
    narrow(m.effect.is_some(), bit(ActionKind::ToolCall));
    narrow(
        m.channel.is_some() || m.recipient.is_some(),
        bit(ActionKind::MessageSend),
    );
    narrow(m.target.is_some(), bit(ActionKind::ConfigChange));
    narrow(m.extension.is_some(), bit(ActionKind::ExtensionLoad));
    mask
}

fn compile_match(ib: &mut IndexBuilder, ctx: &mut Ctx<'_>, m: &MatchSpec, at: &str) -> Cond {
    let mut c = Vec::new();
    if let Some(k) = &m.kind {
        c.push(Cond::Kinds(
            k.as_slice().iter().fold(0, |acc, k| acc | bit(*k)),
        ));
    }
    if let Some(p) = &m.path {
        c.push(Cond::Pred(ib.pred(
            ctx,
            Field::Path,
            p,
            &format!("{at}.path"),
        )));
    }
    if let Some(p) = &m.file_name {
        let id = ib.pred(ctx, Field::Path, p, &format!("{at}.file_name"));
        // Literal only: no shapes, so a wildcard word never reaches it by overlap.
        if let Some(pred) = ib.preds.get_mut(id as usize) {
            pred.shapes.clear();
        }
        c.push(Cond::Pred(id));
    }
    if let Some(cmd) = &m.command {
        let at = format!("{at}.command");
        if let Some(p) = &cmd.program {
            c.push(Cond::Pred(ib.pred(
                ctx,
                Field::Program,
                p,
                &format!("{at}.program"),
            )));
        }
        if let Some(s) = &cmd.subcommand {
            c.push(Cond::Subcommand(ctx.globs(s, &format!("{at}.subcommand"))));
        }
        if let Some(f) = &cmd.flags_any {
            c.push(Cond::FlagsAny(ctx.strings(f, &format!("{at}.flags_any"))));
        }
        if let Some(f) = &cmd.flags_all {
            c.push(Cond::FlagsAll(ctx.strings(f, &format!("{at}.flags_all"))));
        }
        if let Some(o) = &cmd.operand {
            c.push(Cond::Operand(ctx.globs(o, &format!("{at}.operand"))));
        }
        if let Some(o) = &cmd.arg {
            c.push(Cond::AnyArg(ctx.globs(o, &format!("{at}.arg"))));
        }
        if let Some(s) = &cmd.stdin_from {
            c.push(Cond::StdinFrom(ctx.globs(s, &format!("{at}.stdin_from"))));
        }
        if let Some(v) = &cmd.via {
            c.push(Cond::Via(ctx.globs(v, &format!("{at}.via"))));
        }
        if let Some(l) = &cmd.line {
            if let Some(re) = ctx.lazy_regex(l, &format!("{at}.line")) {
                c.push(Cond::Line(re));
            }
        }
    }
    if let Some(h) = &m.host {
        c.push(Cond::Pred(ib.pred(
            ctx,
            Field::Host,
            h,
            &format!("{at}.host"),
        )));
    }
    if let Some(t) = &m.tool {
        c.push(Cond::Pred(ib.pred(
            ctx,
            Field::Tool,
            t,
            &format!("{at}.tool"),
        )));
    }
    if let Some(u) = &m.url {
        c.push(Cond::Pred(ib.pred(
            ctx,
            Field::Url,
            u,
            &format!("{at}.url"),
        )));
    }
    if let Some(b) = m.in_workspace {
        c.push(Cond::InWorkspace(b));
    }
    if let Some(b) = m.recursive {
        c.push(Cond::Recursive(b));
    }
    if let Some(b) = m.sends_local_data {
        c.push(Cond::SendsLocal(b));
    }
    if let Some(b) = m.opaque {
        c.push(Cond::Opaque(b));
    }
    if let Some(e) = &m.effect {
        c.push(Cond::Effect(e.as_slice().to_vec()));
    }
    for (i, a) in m.args.iter().enumerate() {
        let at = format!("{at}.args[{i}]");
        check_pointer(ctx, &a.pointer, &format!("{at}.pointer"));
        c.push(Cond::Arg {
            pointer: a.pointer.clone(),
            test: ctx.value_test(&a.test, &at),
        });
    }
    if let Some(g) = &m.channel {
        c.push(Cond::Channel(ctx.globs(g, &format!("{at}.channel"))));
    }
    if let Some(g) = &m.recipient {
        c.push(Cond::Recipient(ctx.globs(g, &format!("{at}.recipient"))));
    }
    if let Some(g) = &m.target {
        c.push(Cond::Target(ctx.globs(g, &format!("{at}.target"))));
    }
    if let Some(g) = &m.extension {
        c.push(Cond::Extension(ctx.globs(g, &format!("{at}.extension"))));
    }
    for (name, t) in &m.session {
        let here = format!("{at}.session.{name}");
        match crate::facts::fact_info(name) {
            None => ctx.err(
                &here,
                format!("unknown session fact `{name}`"),
                Some(match crate::facts::closest(name) {
                    Some(c) => {
                        format!("did you mean `{c}`? (`warden policy schema` lists every fact)")
                    }
                    None => "`warden policy schema` lists every session fact".into(),
                }),
            ),
            Some(f) => {
                if let Some(why) = crate::facts::type_error(f.ty, t) {
                    ctx.err(
                        &here,
                        format!("this test on `{name}` can never hold: {why}"),
                        None,
                    );
                }
            }
        }
        c.push(Cond::Session {
            name: name.clone(),
            test: ctx.value_test(t, &here),
        });
    }
    for (i, sub) in m.all.iter().enumerate() {
        c.push(compile_match(ib, ctx, sub, &format!("{at}.all[{i}]")));
    }
    if !m.any.is_empty() {
        let subs = m
            .any
            .iter()
            .enumerate()
            .map(|(i, sub)| compile_match(ib, ctx, sub, &format!("{at}.any[{i}]")))
            .collect();
        c.push(Cond::Any(subs));
    }
    if let Some(sub) = &m.not {
        c.push(Cond::Not(Box::new(compile_match(
            ib,
            ctx,
            sub,
            &format!("{at}.not"),
        ))));
    }
    Cond::All(c)
}

/// The largest policy file accepted, in bytes. Policies are written by hand; this bounds load time.
pub(crate) const MAX_POLICY_BYTES: usize = 4 << 20;

/// The deepest nesting of YAML collections accepted. The typed parse recurses once per level, and
/// a deeper document could exhaust a thread's stack.
pub(crate) const MAX_NESTING: usize = 64;

/// A serde_yaml error as a located syntax error.
fn yaml_error(text: &SourceText, locator: Option<&Locator>, e: &serde_yaml::Error) -> PolicyError {
    let mut offset = e.location().map_or(0, |l| l.index());
    let mut message = e.to_string();
    if let Some(l) = e.location() {
        // The location is reported separately; drop serde_yaml's copy of it.
        let suffix = format!(" at line {} column {}", l.line(), l.column());
        if let Some(m) = message.strip_suffix(&suffix) {
            message = m.to_string();
        }
    }
    // serde_yaml places an unknown field at the mapping holding it; point at the field itself.
    if let (Some(locator), Some((path, name))) = (locator, unknown_field(&message)) {
        if let Some((start, _)) = locator.key_span(path, name) {
            offset = start;
        }
    }
    text.syntax(offset, message)
}

/// The document path and name in an "unknown field" message (`rules[0].match: unknown field `x`, ...`).
fn unknown_field(message: &str) -> Option<(&str, &str)> {
    let (path, rest) = match message.split_once(": unknown field `") {
        Some((path, rest)) => (path, rest),
        None => ("", message.strip_prefix("unknown field `")?),
    };
    let name = rest.split('`').next()?;
    Some((path, name))
}

/// Parse one source into a [`LoadedFile`].
#[expect(
    clippy::result_large_err,
    reason = "errors carry the file text for miette; they are rare and cold"
)]
pub(crate) fn parse(source: &PolicySource) -> Result<LoadedFile, PolicyError> {
    let text = SourceText {
        name: source.name.clone(),
        text: source.text.clone(),
    };
    if source.text.len() > MAX_POLICY_BYTES {
        return Err(text.syntax(
            0,
            format!(
                "policy is {} bytes; the limit is {MAX_POLICY_BYTES}",
                source.text.len()
            ),
        ));
    }
    let locator = std::sync::OnceLock::new();
    let spec: PolicyFile = if source.text.trim().is_empty() {
        // `PolicyFile::default()` has version 0; an empty file is an empty version-1 policy.
        PolicyFile {
            version: 1,
            ..PolicyFile::default()
        }
    } else if source.layer == Layer::Baseline && source.text == crate::layers::BASELINE_YAML {
        // The embedded baseline is ours and tested to parse: one typed parse of its JSON form
        // (made from the YAML at build time), no depth guard; the YAML if that ever fails.
        match serde_json::from_str(crate::layers::BASELINE_JSON) {
            Ok(spec) => spec,
            Err(_) => {
                serde_yaml::from_str(&source.text).map_err(|e| yaml_error(&text, None, &e))?
            }
        }
    } else {
        // A generic parse first: its frames are small and serde_yaml stops it at 128 levels, so a
        // deeply nested document is refused before the typed parse could overflow the stack.
        serde_yaml::from_str::<serde_yaml::Value>(&source.text)
            .map_err(|e| yaml_error(&text, None, &e))?;
        let l = locator.get_or_init(|| Locator::new(&source.text));
        if let Some(at) = l.too_deep(MAX_NESTING) {
            return Err(text.syntax(at, format!("policy nests deeper than {MAX_NESTING} levels")));
        }
        serde_yaml::from_str(&source.text).map_err(|e| yaml_error(&text, Some(l), &e))?
    };
    Ok(LoadedFile {
        layer: source.layer,
        text,
        locator,
        spec,
    })
}

impl Policy {
    /// Compile layered sources (any order; layers are sorted) without running rule self-tests.
    pub fn compile(sources: &[PolicySource]) -> Result<Policy, PolicyErrors> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for s in sources {
            match parse(s) {
                Ok(f) => files.push(f),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(PolicyErrors { errors });
        }
        files.sort_by_key(|f| f.layer);
        Self::from_files(files, None)
    }

    /// Compile parsed files; `lists` overrides the merged lists (used to test one file alone).
    pub(crate) fn from_files(
        files: Vec<LoadedFile>,
        lists: Option<&BTreeMap<String, Vec<String>>>,
    ) -> Result<Policy, PolicyErrors> {
        let mut errors = Vec::new();
        check_layers(&files, &mut errors);
        let merged;
        let lists = match lists {
            Some(l) => l,
            None => {
                merged = merge_lists(&files.iter().collect::<Vec<_>>());
                &merged
            }
        };
        let disabled: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.layer == Layer::User || f.layer == Layer::Managed)
            .flat_map(|f| f.spec.disable.iter().map(String::as_str))
            .collect();
        let mut ib = IndexBuilder::default();
        let mut rules = Vec::new();
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let regex_failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        for file in &files {
            for (i, r) in file.spec.rules.iter().enumerate() {
                let at = format!("rules[{i}]");
                let mut ctx = Ctx {
                    file,
                    lists,
                    errors: &mut errors,
                    regex_failed: &regex_failed,
                };
                if let Some(prev) = seen.insert(r.id.as_str(), file.text.name.as_str()) {
                    ctx.err(
                        &format!("{at}.id"),
                        format!("rule id `{}` is already defined in `{prev}`", r.id),
                        Some(
                            "give the rule a new id, or `disable:` the old one in your user policy"
                                .into(),
                        ),
                    );
                }
                if disabled.contains(r.id.as_str()) && file.layer != Layer::Managed {
                    continue;
                }
                let cond = compile_match(&mut ib, &mut ctx, &r.matcher, &format!("{at}.match"));
                let explicit = r.matcher.kind.as_ref().map_or(ALL_KINDS, |k| {
                    k.as_slice().iter().fold(0, |a, k| a | bit(*k))
                });
                let kinds = explicit & inferred_kinds(&r.matcher);
                if kinds == 0 {
                    ctx.err(
                        &format!("{at}.match"),
                        format!("rule `{}` can never match: its fields belong to no common action kind", r.id),
                        Some("a `path` applies to file actions, `command` to exec, `host` to network".into()),
                    );
                }
                let modify = compile_modify(&mut ctx, r, &at);
                rules.push(Rule {
                    id: r.id.clone(),
                    description: r.description.clone(),
                    severity: r.severity,
                    decision: r.decision,
                    reason: r.reason.clone(),
                    guidance: r.guidance.clone(),
                    layer: file.layer,
                    kinds,
                    cond,
                    modify,
                });
            }
        }
        let index = match ib.finish(&rules) {
            Ok(i) => i,
            Err(e) => {
                if let Some(f) = files.first() {
                    errors.push(f.text.invalid(
                        (0, 0),
                        format!("cannot build glob index: {e}"),
                        None,
                    ));
                }
                Index::default()
            }
        };
        if !errors.is_empty() {
            return Err(PolicyErrors { errors });
        }
        let mode = [Layer::Managed, Layer::User, Layer::Project, Layer::Baseline]
            .iter()
            .find_map(|l| {
                files
                    .iter()
                    .filter(|f| f.layer == *l)
                    .find_map(|f| f.spec.mode)
            })
            .unwrap_or_default();
        let default = files
            .iter()
            .filter_map(|f| f.spec.default)
            .max()
            .unwrap_or(Decision::Allow);
        let mut tools = Vec::new();
        for file in files.iter().rev() {
            for (i, t) in file.spec.tools.iter().enumerate() {
                match globset::GlobBuilder::new(&t.name)
                    .case_insensitive(true)
                    .build()
                {
                    Ok(g) => tools.push((g.compile_matcher(), t.clone())),
                    Err(e) => errors.push(file.text.invalid(
                        file.locator().span(&format!("tools[{i}].name")),
                        format!("bad tool glob `{}`: {e}", t.name),
                        None,
                    )),
                }
            }
        }
        if !errors.is_empty() {
            return Err(PolicyErrors { errors });
        }
        Ok(Policy {
            rules,
            tools,
            mode,
            default,
            index,
            files,
            regex_failed,
        })
    }

    /// The declaration of tool `name`, from the highest layer that declares it.
    pub fn tool(&self, name: &str) -> Option<&crate::spec::ToolSpec> {
        self.tools
            .iter()
            .find(|(g, _)| g.is_match(name))
            .map(|(_, t)| t)
    }

    /// Apply the tool declarations to lowered actions: a declared effect replaces the one
    /// inferred from the name.
    pub fn classify(&self, actions: &mut [warden_action::Action]) {
        if self.tools.is_empty() {
            return;
        }
        for a in actions.iter_mut() {
            let Some(name) = a.op.tool_name() else {
                continue;
            };
            let Some(declared) = self.tool(&name).and_then(|t| t.effect) else {
                continue;
            };
            match &mut a.op {
                warden_action::Operation::ToolCall { effect, .. }
                | warden_action::Operation::McpCall { effect, .. } => *effect = declared,
                _ => {}
            }
        }
    }

    /// The effective mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Compile everything that is otherwise compiled on first use (each glob's own matcher,
    /// each regex): a long-running monitor calls it once per load, so no decision pays it. An
    /// error names a regex too large to build (the policy then fails closed: every verdict is
    /// a deny).
    pub fn warm(&self) -> Result<(), String> {
        let ix = &self.index;
        for f in [
            &ix.path_abs,
            &ix.path_home,
            &ix.program,
            &ix.host,
            &ix.tool,
            &ix.url,
        ] {
            f.warm();
        }
        for p in &self.index.preds {
            for (_, m) in &p.matchers {
                m.warm();
            }
            for (_, _, shape) in &p.shapes {
                shape.get();
            }
        }
        for r in &self.rules {
            r.cond.warm()?;
        }
        Ok(())
    }

    /// Number of active rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Tests declared by active rules' files: (file index, rule index in file, test index, test).
    pub(crate) fn declared_tests(&self) -> impl Iterator<Item = (usize, usize, usize, &TestSpec)> {
        self.files.iter().enumerate().flat_map(|(fi, f)| {
            f.spec.rules.iter().enumerate().flat_map(move |(ri, r)| {
                r.tests
                    .iter()
                    .enumerate()
                    .map(move |(ti, t)| (fi, ri, ti, t))
            })
        })
    }
}

/// Report a JSON pointer that does not start with `/` (it would never find anything).
fn check_pointer(ctx: &mut Ctx<'_>, pointer: &str, at: &str) {
    if !(pointer.is_empty() || pointer.starts_with('/')) {
        ctx.err(
            at,
            format!("JSON pointer `{pointer}` must start with `/`"),
            Some("for the `amount` argument write `/amount`".into()),
        );
    }
}

fn compile_modify(
    ctx: &mut Ctx<'_>,
    r: &crate::spec::RuleSpec,
    at: &str,
) -> Option<CompiledModify> {
    match (&r.modify, r.decision) {
        (Some(m), Decision::Modify) => {
            for (i, rs) in m.redact.iter().enumerate() {
                check_pointer(
                    ctx,
                    &rs.pointer,
                    &format!("{at}.modify.redact[{i}].pointer"),
                );
            }
            for pointer in m.set.keys() {
                check_pointer(ctx, pointer, &format!("{at}.modify.set.{pointer}#key"));
            }
            let redact =
                m.redact
                    .iter()
                    .enumerate()
                    .map(|(i, rs)| {
                        let re = rs.pattern.as_ref().and_then(|p| {
                            ctx.regex(p, &format!("{at}.modify.redact[{i}].pattern"))
                        });
                        (rs.pointer.clone(), re)
                    })
                    .collect();
            Some(CompiledModify {
                redact,
                set: m.set.clone(),
            })
        }
        (None, Decision::Modify) => {
            ctx.err(
                &format!("{at}.decision"),
                format!(
                    "rule `{}` decides `modify` but has no `modify:` block",
                    r.id
                ),
                Some("add `modify: {redact: [{pointer: /field}]}` or `set:`".into()),
            );
            None
        }
        (Some(_), _) => {
            ctx.err(
                &format!("{at}.modify"),
                format!(
                    "rule `{}` has a `modify:` block but decides `{}`",
                    r.id,
                    r.decision.as_str()
                ),
                Some("set `decision: modify`".into()),
            );
            None
        }
        (None, _) => None,
    }
}

/// What each layer may do: the project layer only adds restrictions, nobody disables managed rules.
fn check_layers(files: &[LoadedFile], errors: &mut Vec<PolicyError>) {
    let managed: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.layer == Layer::Managed)
        .flat_map(|f| f.spec.rules.iter().map(|r| r.id.as_str()))
        .collect();
    let all_ids: BTreeSet<&str> = files
        .iter()
        .flat_map(|f| f.spec.rules.iter().map(|r| r.id.as_str()))
        .collect();
    for f in files {
        if f.spec.version != 1 {
            errors.push(f.text.invalid(
                f.locator().span("version"),
                format!("policy format version {} is not supported", f.spec.version),
                Some("this Warden reads `version: 1`".into()),
            ));
        }
        // The facts a rule test runs with must be real facts of the right type.
        for (ri, r) in f.spec.rules.iter().enumerate() {
            for (ti, t) in r.tests.iter().enumerate() {
                for (name, v) in &t.session {
                    let at = format!("rules[{ri}].tests[{ti}].session.{name}");
                    let why = match crate::facts::fact_info(name) {
                        None => Some(format!("unknown session fact `{name}`")),
                        Some(info) => {
                            let test = crate::spec::ValueTest {
                                equals: Some(v.clone()),
                                ..Default::default()
                            };
                            crate::facts::type_error(info.ty, &test)
                                .map(|w| format!("`{name}` cannot be `{v}`: {w}"))
                        }
                    };
                    if let Some(message) = why {
                        errors.push(f.text.invalid(f.locator().span(&at), message, None));
                    }
                }
            }
        }
        if f.layer == Layer::Project {
            if !f.spec.disable.is_empty() {
                errors.push(f.text.invalid(
                    f.locator().span("disable"),
                    "a project policy cannot disable rules".into(),
                    Some("a repository must not loosen your policy; put `disable:` in your user policy".into()),
                ));
            }
            if !f.spec.lists.is_empty() {
                errors.push(f.text.invalid(
                    f.locator().span("lists"),
                    "a project policy cannot extend lists (they are allow lists)".into(),
                    Some("add hosts or paths to lists in your user policy".into()),
                ));
            }
            if f.spec.sandbox == Some(crate::spec::SandboxMode::Off)
                || f.spec.sandbox_missing_layer == Some(crate::spec::MissingLayer::Run)
            {
                errors.push(f.text.invalid(
                    f.locator().span("sandbox"),
                    "a project policy cannot weaken the sandbox".into(),
                    Some("set `sandbox:` in your user policy".into()),
                ));
            }
            if f.spec.config_integrity.is_some() {
                errors.push(f.text.invalid(
                    f.locator().span("config_integrity"),
                    "a project policy cannot set `config_integrity`".into(),
                    Some("a repository must not decide how changes to agent settings are handled; set it in your user policy".into()),
                ));
            }
            if matches!(f.spec.mode, Some(m) if m != Mode::Enforce) {
                errors.push(f.text.invalid(
                    f.locator().span("mode"),
                    "a project policy cannot switch enforcement off".into(),
                    Some("set `mode:` in your user policy".into()),
                ));
            }
            // A repository that declares its tool read-only would exempt it from session judging.
            for (i, t) in f.spec.tools.iter().enumerate() {
                if t.effect == Some(warden_action::ToolEffect::ReadOnly) {
                    errors.push(f.text.invalid(
                        f.locator().span(&format!("tools[{i}].effect")),
                        "a project policy cannot declare a tool read-only".into(),
                        Some("declare read-only tools in your user policy".into()),
                    ));
                }
            }
            // A repository that may rewrite tool input could turn any call into its own.
            for (i, r) in f.spec.rules.iter().enumerate() {
                if r.decision == Decision::Modify {
                    errors.push(f.text.invalid(
                        f.locator().span(&format!("rules[{i}].decision")),
                        "a project policy cannot rewrite tool input (`decision: modify`)".into(),
                        Some("a repository may only add restrictions (deny, ask); put modify rules in your user policy".into()),
                    ));
                }
            }
        }
        for (i, id) in f.spec.disable.iter().enumerate() {
            let at = format!("disable[{i}]");
            if managed.contains(id.as_str()) && f.layer != Layer::Managed {
                errors.push(f.text.invalid(
                    f.locator().span(&at),
                    format!("rule `{id}` is managed by your organisation and cannot be disabled"),
                    None,
                ));
            } else if !all_ids.contains(id.as_str()) {
                errors.push(f.text.invalid(
                    f.locator().span(&at),
                    format!("`disable` names unknown rule `{id}`"),
                    Some("`warden policy explain --rules` lists every rule id".into()),
                ));
            }
        }
    }
}

/// Union of every layer's lists, in layer order, without duplicates.
pub(crate) fn merge_lists(files: &[&LoadedFile]) -> BTreeMap<String, Vec<String>> {
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        for (name, items) in &f.spec.lists {
            let entry = lists.entry(name.clone()).or_default();
            for item in items {
                if !entry.contains(item) {
                    entry.push(item.clone());
                }
            }
        }
    }
    lists
}

#[cfg(test)]
mod baseline_json_tests {
    #![allow(clippy::unwrap_used)]
    use super::PolicyFile;

    /// The JSON form a cold process parses is the YAML baseline, field for field.
    #[test]
    fn the_baseline_json_parses_to_the_same_policy_as_its_yaml() {
        let from_json: PolicyFile = serde_json::from_str(crate::layers::BASELINE_JSON).unwrap();
        let from_yaml: PolicyFile = serde_yaml::from_str(crate::layers::BASELINE_YAML).unwrap();
        assert_eq!(format!("{from_json:?}"), format!("{from_yaml:?}"));
        assert!(!from_yaml.rules.is_empty());
    }
}

#[cfg(test)]
mod lean_regex_tests {
    #![allow(clippy::unwrap_used)]
    use super::{build_lean, build_regex};

    /// Built without its prefilter (a cold process) or with it (the monitor), a regex matches
    /// the same texts: the prefilter only skips work.
    #[test]
    fn lean_and_full_regexes_match_the_same_texts() {
        let patterns = [
            r"(?i)\b(drop\s+(database|schema|table)|truncate\s+table|flushall)\b",
            r"(?i)\bpyxhook\b|\bkeyboard\.(?:on_press|hook)\b|GetAsyncKeyState",
            r"^\S*kill\s+(?:(?:-s|--signal)\s+\S+\s+|-\S+\s+)*(?:--\s+)?-1$",
            r"^(?:invoke|approve)$",
            r"é\w+ß",
        ];
        let texts = [
            "",
            "ls -la",
            "psql -c 'DROP TABLE users'",
            "psql -c 'drop  database x'",
            "dropdb x",
            "echo truncated table",
            "redis-cli FLUSHALL",
            "python -c 'import pyxhook'",
            "keyboard.on_press(f)",
            "kill -9 -1",
            "kill -s KILL -1",
            "kill 1",
            "invoke",
            "invoker",
            "éte ß",
            "éteß",
            "DRÖP TABLE",
        ];
        for p in patterns {
            let (full, lean) = (build_regex(p).unwrap(), build_lean(p).unwrap());
            for t in texts {
                assert_eq!(full.is_match(t), lean.is_match(t), "`{p}` on `{t}`");
            }
        }
        // The same size limit: what one cannot build, neither can the other.
        let huge = r"\w{1000}\w{1000}\w{1000}";
        assert!(build_regex(huge).is_err());
        assert!(build_lean(huge).is_err());
    }
}
