//! The gate: evaluates actions against a compiled policy. Strictest decision wins.
//!
//! Evaluation never fails: a verdict always comes back, naming every rule that fired and the
//! facts that made it fire. Callers cannot mistake an error for an allow because there is none.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use warden_action::{Action, Operation};

use crate::compile::{bit, CompiledTest, Cond, Field, Policy};
use crate::decision::{Decision, Mode, Severity};
use crate::layers::Layer;
use crate::overlap::{Dialect, Shape};

/// Facts about the session an action belongs to (filled by the monitor's session analysis).
pub type SessionFacts = BTreeMap<String, Value>;

/// One rule that fired for one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMatch {
    /// The rule's id.
    pub rule: String,
    /// The layer that defined it.
    pub layer: Layer,
    /// The rule's decision.
    pub decision: Decision,
    /// The rule's severity.
    pub severity: Severity,
    /// Index of the action (in the lowered input) it fired on.
    pub action: usize,
    /// The facts that made it fire.
    pub facts: Vec<String>,
    /// Why, for the human.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the agent should do instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

/// A rewrite of the tool input requested by a `modify` rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Modification {
    /// The rule asking for it.
    pub rule: String,
    /// Pointers to redact, each with the pattern limiting what is replaced.
    pub redact: Vec<(String, Option<String>)>,
    /// Values to set, by pointer.
    pub set: BTreeMap<String, Value>,
}

/// Text that replaces redacted values.
pub const REDACTED: &str = "[REDACTED by warden]";

impl Modification {
    /// Apply to a tool input in place; pointers that do not exist are skipped.
    pub fn apply(&self, input: &mut Value) {
        for (pointer, pattern) in &self.redact {
            let Some(slot) = input.pointer_mut(pointer) else {
                continue;
            };
            match (pattern, slot.as_str()) {
                (Some(p), Some(s)) => {
                    // The policy compiler validated the pattern; should it still not build, the
                    // whole value is withheld rather than passed on unredacted.
                    *slot = Value::String(match regex::Regex::new(p) {
                        Ok(re) => re.replace_all(s, REDACTED).into_owned(),
                        Err(_) => REDACTED.into(),
                    });
                }
                _ => *slot = Value::String(REDACTED.into()),
            }
        }
        for (pointer, value) in &self.set {
            if let Some(slot) = input.pointer_mut(pointer) {
                *slot = value.clone();
            } else if let Some((parent, key)) = pointer.rsplit_once('/') {
                if let Some(Value::Object(map)) = input.pointer_mut(parent) {
                    map.insert(key.replace("~1", "/").replace("~0", "~"), value.clone());
                }
            }
        }
    }
}

/// The gate's answer for one input (all the actions it lowered to).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// What to do: the policy's decision, or allow when the mode is shadow or record.
    pub decision: Decision,
    /// What the policy decided.
    pub policy_decision: Decision,
    /// The mode the decision was made in.
    pub mode: Mode,
    /// Risk score in `[0, 1]`, from the severities of the rules that fired.
    pub risk: f64,
    /// Why, for the human.
    pub reason: String,
    /// What the agent should do instead, when a rule says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Every rule that fired, strictest first.
    pub rules: Vec<RuleMatch>,
    /// Rewrites of the tool input, when the decision is modify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
}

impl Verdict {
    /// `input` after this verdict's rewrites, when the decision is modify and they change it.
    pub fn updated_input(&self, input: Option<&Value>) -> Option<Value> {
        if self.decision != Decision::Modify {
            return None;
        }
        let original = input?;
        let mut input = original.clone();
        for m in &self.modifications {
            m.apply(&mut input);
        }
        // A rewrite that changes nothing is no rewrite.
        (input != *original).then_some(input)
    }

    /// A verdict for input that could not be evaluated: fail closed with `decision`.
    pub fn failed(decision: Decision, reason: impl Into<String>) -> Self {
        Verdict {
            decision,
            policy_decision: decision,
            mode: Mode::Enforce,
            risk: 1.0,
            reason: reason.into(),
            guidance: None,
            rules: Vec::new(),
            modifications: Vec::new(),
        }
    }
}

struct Eval<'a> {
    policy: &'a Policy,
    action: &'a Action,
    fired: &'a [u32],
    /// Path predicates a path *pattern* may satisfy (it can name a file they match).
    may: &'a [u32],
    /// Whether `may` counts: only where a match makes the rule fire (outside `not`), and only
    /// for rules stricter than allow (a pattern that may name a file proves nothing allowed).
    may_on: std::cell::Cell<bool>,
    session: &'a SessionFacts,
}

impl Policy {
    /// Decide on the actions one input lowered to. Never fails.
    pub fn evaluate(&self, actions: &[Action], session: &SessionFacts) -> Verdict {
        let mut hits: Vec<(u32, usize)> = Vec::new();
        let mut fired: Vec<u32> = Vec::new();
        let mut may: Vec<u32> = Vec::new();
        let mut scratch: Vec<usize> = Vec::new();
        for (ai, action) in actions.iter().enumerate() {
            fired.clear();
            may.clear();
            self.fire(action, &mut fired, &mut scratch);
            self.may_fire(action, &mut may);
            let kind = action.kind();
            let kb = bit(kind);
            let ev = Eval {
                policy: self,
                action,
                fired: &fired,
                may: &may,
                may_on: std::cell::Cell::new(false),
                session,
            };
            let unanchored = self
                .index
                .unanchored
                .get(kind.index())
                .map_or(&[][..], Vec::as_slice);
            let anchored = fired.iter().chain(&may).flat_map(|p| {
                self.index
                    .by_pred
                    .get(*p as usize)
                    .map_or(&[][..], Vec::as_slice)
            });
            for &ri in unanchored.iter().chain(anchored) {
                if let Some(rule) = self.rules.get(ri as usize) {
                    ev.may_on.set(rule.decision > Decision::Allow);
                    if rule.kinds & kb != 0 && ev.eval(&rule.cond) {
                        hits.push((ri, ai));
                    }
                }
            }
        }
        if self.regex_failed.load(std::sync::atomic::Ordering::SeqCst) {
            return Verdict::failed(
                Decision::Deny,
                "a regex of the policy is too large to build, so the policy cannot be evaluated (fail closed); `warden policy check` names it",
            );
        }
        self.verdict(actions, session, &hits)
    }

    /// Path predicates whose globs a path pattern of `action` can name a file of, sorted.
    fn may_fire(&self, action: &Action, may: &mut Vec<u32>) {
        let Some(path) = pattern_path(action) else {
            return;
        };
        let forms: Vec<(Shape, Option<Shape>)> = path
            .forms()
            .filter(|f| crate::overlap::is_pattern(f))
            .map(|f| {
                let home = path.home_relative(f).map(|h| Shape::new(&h, Dialect::Word));
                (Shape::new(f, Dialect::Word), home)
            })
            .collect();
        for (id, pred) in self.index.preds.iter().enumerate() {
            let hit = pred.shapes.iter().any(|(_, home, rule)| {
                forms.iter().any(|(abs, rel)| match (home, rel) {
                    (false, _) => abs.overlaps(rule.get()),
                    (true, Some(rel)) => rel.overlaps(rule.get()),
                    (true, None) => false,
                })
            });
            if hit {
                may.push(id as u32);
            }
        }
    }

    /// Predicates that hold for `action`, sorted and without duplicates.
    fn fire(&self, action: &Action, fired: &mut Vec<u32>, scratch: &mut Vec<usize>) {
        let ix = &self.index;
        let mut run = |fi: &crate::compile::FieldIndex, s: &str, fired: &mut Vec<u32>| {
            if fi.pred_of.is_empty() {
                return;
            }
            fi.matches_into(s, scratch);
            fired.extend(scratch.iter().filter_map(|g| fi.pred_of.get(*g).copied()));
        };
        match &action.op {
            Operation::FileRead { path }
            | Operation::FileWrite { path }
            | Operation::FileDelete { path, .. } => {
                for form in path.forms() {
                    run(&ix.path_abs, form, fired);
                    if let Some(h) = path.home_relative(form) {
                        run(&ix.path_home, &h, fired);
                    }
                }
            }
            Operation::Exec(e) => run(&ix.program, &e.program, fired),
            Operation::Network(n) => {
                run(&ix.host, &n.host, fired);
                if let Some(u) = &n.url {
                    run(&ix.url, u, fired);
                }
            }
            Operation::ToolCall { name, .. } => run(&ix.tool, name, fired),
            Operation::McpCall { .. } => {
                if let Some(name) = action.op.tool_name() {
                    run(&ix.tool, &name, fired);
                }
            }
            Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => {}
        }
        fired.sort_unstable();
        fired.dedup();
    }

    fn verdict(
        &self,
        actions: &[Action],
        session: &SessionFacts,
        hits: &[(u32, usize)],
    ) -> Verdict {
        let mut rules: Vec<RuleMatch> = Vec::with_capacity(hits.len());
        let mut scratch = Vec::new();
        for &(ri, ai) in hits {
            let (Some(rule), Some(action)) = (self.rules.get(ri as usize), actions.get(ai)) else {
                continue;
            };
            let mut fired = Vec::new();
            let mut may = Vec::new();
            self.fire(action, &mut fired, &mut scratch);
            self.may_fire(action, &mut may);
            let ev = Eval {
                policy: self,
                action,
                fired: &fired,
                may: &may,
                may_on: std::cell::Cell::new(rule.decision > Decision::Allow),
                session,
            };
            let mut facts = Vec::new();
            ev.explain(&rule.cond, &mut facts);
            if let Some(o) = &action.opaque {
                facts.push(format!("not fully understood: {}", o.reason));
            }
            rules.push(RuleMatch {
                rule: rule.id.clone(),
                layer: rule.layer,
                decision: rule.decision,
                severity: rule.severity,
                action: ai,
                facts,
                reason: rule
                    .reason
                    .clone()
                    .or_else(|| (!rule.description.is_empty()).then(|| rule.description.clone())),
                guidance: rule.guidance.clone(),
            });
        }
        rules.sort_by(|a, b| {
            b.decision
                .cmp(&a.decision)
                .then(b.severity.cmp(&a.severity))
        });
        let policy_decision = rules
            .first()
            .map_or(self.default, |m| m.decision.max(self.default));
        let mut keep = 1.0_f64;
        for m in &rules {
            let factor = match m.decision {
                Decision::Deny => 1.0,
                Decision::Ask => 0.6,
                Decision::Modify => 0.3,
                Decision::Allow => 0.0,
            };
            keep *= 1.0 - m.severity.weight() * factor;
        }
        if actions.iter().any(|a| a.opaque.is_some()) {
            keep *= 0.7;
        }
        let risk = ((1.0 - keep) * 1000.0).round() / 1000.0;
        let top: Vec<&RuleMatch> = rules
            .iter()
            .filter(|m| m.decision == policy_decision)
            .collect();
        let reason = match top.first() {
            None if rules.is_empty() => format!(
                "no rule matched; the policy default is {}",
                self.default.as_str()
            ),
            None => format!(
                "the policy default ({}) is stricter than every rule that matched",
                self.default.as_str()
            ),
            Some(m) => {
                let base = m
                    .reason
                    .clone()
                    .unwrap_or_else(|| format!("rule `{}` matched", m.rule));
                if top.len() > 1 {
                    format!(
                        "{base} (and {} more rule(s): {})",
                        top.len() - 1,
                        top[1..]
                            .iter()
                            .map(|m| m.rule.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    base
                }
            }
        };
        let mut guidance: Vec<&str> = Vec::new();
        for m in &top {
            if let Some(g) = m.guidance.as_deref() {
                if !guidance.contains(&g) {
                    guidance.push(g);
                }
            }
        }
        let modifications = if policy_decision == Decision::Modify {
            top.iter()
                .filter_map(|m| {
                    let rule = self.rules.iter().find(|r| r.id == m.rule)?;
                    let cm = rule.modify.as_ref()?;
                    Some(Modification {
                        rule: m.rule.clone(),
                        redact: cm
                            .redact
                            .iter()
                            .map(|(p, re)| (p.clone(), re.as_ref().map(|r| r.as_str().to_string())))
                            .collect(),
                        set: cm.set.clone(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let decision = match self.mode {
            Mode::Enforce => policy_decision,
            Mode::Shadow | Mode::Record => Decision::Allow,
        };
        Verdict {
            decision,
            policy_decision,
            mode: self.mode,
            risk,
            reason,
            guidance: (!guidance.is_empty()).then(|| guidance.join(" ")),
            rules,
            modifications,
        }
    }
}

/// The path of a file action when it is written as a pattern (`~/.ss?/id_*`).
fn pattern_path(action: &Action) -> Option<&warden_action::NormPath> {
    match &action.op {
        Operation::FileRead { path }
        | Operation::FileWrite { path }
        | Operation::FileDelete { path, .. } => {
            path.forms().any(crate::overlap::is_pattern).then_some(path)
        }
        _ => None,
    }
}

fn any_glob(g: &crate::compile::Globs, items: &[String]) -> bool {
    items.iter().any(|s| g.is_match(s))
}

impl Eval<'_> {
    fn eval(&self, c: &Cond) -> bool {
        let op = &self.action.op;
        let exec = match op {
            Operation::Exec(e) => Some(e),
            _ => None,
        };
        match c {
            Cond::Kinds(mask) => mask & bit(self.action.kind()) != 0,
            Cond::Pred(p) => {
                self.fired.binary_search(p).is_ok()
                    || (self.may_on.get() && self.may.binary_search(p).is_ok())
            }
            Cond::InWorkspace(b) => op.path().and_then(|p| p.in_workspace) == Some(*b),
            Cond::Recursive(b) => {
                matches!(op, Operation::FileDelete { recursive, .. } if recursive == b)
            }
            Cond::SendsLocal(b) => matches!(op, Operation::Network(n) if n.sends_local_data == *b),
            Cond::Opaque(b) => self.action.opaque.is_some() == *b,
            Cond::Effect(effects) => {
                matches!(op, Operation::ToolCall { effect, .. } if effects.contains(effect))
            }
            Cond::Subcommand(g) => exec
                .and_then(|e| e.facts.subcommand.as_deref())
                .is_some_and(|s| g.is_match(s)),
            Cond::FlagsAny(flags) => {
                exec.is_some_and(|e| flags.iter().any(|f| e.facts.flags.contains(f)))
            }
            Cond::FlagsAll(flags) => {
                exec.is_some_and(|e| flags.iter().all(|f| e.facts.flags.contains(f)))
            }
            Cond::Operand(g) => exec.is_some_and(|e| any_glob(g, &e.facts.operands)),
            Cond::AnyArg(g) => exec.is_some_and(|e| any_glob(g, e.argv.get(1..).unwrap_or(&[]))),
            Cond::StdinFrom(g) => exec.is_some_and(|e| any_glob(g, &e.facts.stdin_from)),
            Cond::Via(g) => exec.is_some_and(|e| any_glob(g, &e.facts.via)),
            Cond::Line(re) => exec.is_some_and(|e| re.is_match(&e.argv.join(" "))),
            Cond::Arg { pointer, test } => {
                op.args().is_some_and(|a| test.holds(arg_at(a, pointer)))
            }
            Cond::Channel(g) => {
                matches!(op, Operation::MessageSend { channel, .. } if g.is_match(channel))
            }
            Cond::Recipient(g) => {
                matches!(op, Operation::MessageSend { recipients, .. } if any_glob(g, recipients))
            }
            Cond::Target(g) => {
                matches!(op, Operation::ConfigChange { target } if g.is_match(target))
            }
            Cond::Extension(g) => {
                matches!(op, Operation::ExtensionLoad { extension, .. } if g.is_match(extension))
            }
            Cond::Session { name, test } => test.holds(self.session.get(name)),
            Cond::All(items) => items.iter().all(|c| self.eval(c)),
            Cond::Any(items) => items.iter().any(|c| self.eval(c)),
            Cond::Not(inner) => {
                // Under `not`, a pattern that merely may name an excluded file does not
                // exclude it: `~/.ssh/*` is not `~/.ssh/*.pub`.
                let was = self.may_on.replace(false);
                let holds = self.eval(inner);
                self.may_on.set(was);
                !holds
            }
        }
    }

    /// Describe the facts behind a condition that holds.
    fn explain(&self, c: &Cond, out: &mut Vec<String>) {
        let op = &self.action.op;
        match c {
            Cond::All(items) => items.iter().for_each(|c| self.explain(c, out)),
            Cond::Any(items) => {
                if let Some(c) = items.iter().find(|c| self.eval(c)) {
                    self.explain(c, out);
                }
            }
            Cond::Not(inner) => out.push(format!("not ({})", self.describe(inner))),
            Cond::Kinds(_) => out.push(format!("action is {}", self.action.kind().as_str())),
            Cond::Pred(p) => {
                let Some(pred) = self.policy.index.preds.get(*p as usize) else {
                    return;
                };
                let values: Vec<String> = match (pred.field, op) {
                    (Field::Path, _) => op.path().map_or(Vec::new(), |np| {
                        np.forms()
                            .flat_map(|f| {
                                std::iter::once(f.to_string())
                                    .chain(np.home_relative(f).map(|h| h.into_owned()))
                            })
                            .collect()
                    }),
                    (Field::Program, Operation::Exec(e)) => vec![e.program.clone()],
                    (Field::Host, Operation::Network(n)) => vec![n.host.clone()],
                    (Field::Url, Operation::Network(n)) => n.url.iter().cloned().collect(),
                    (Field::Tool, _) => op.tool_name().into_iter().collect(),
                    _ => Vec::new(),
                };
                for v in &values {
                    if let Some((pat, _)) = pred.matchers.iter().find(|(_, m)| m.is_match(v)) {
                        out.push(format!("{} `{v}` matches `{pat}`", pred.field.name()));
                        return;
                    }
                }
                if self.may.binary_search(p).is_ok() {
                    let shown = values.first().map_or("", String::as_str);
                    let pat = pred.shapes.first().map_or("", |(raw, _, _)| raw.as_str());
                    out.push(format!(
                        "path pattern `{shown}` can name a file matching `{pat}`"
                    ));
                }
            }
            other => out.push(self.describe(other)),
        }
    }

    /// A short description of a leaf condition with the action's value.
    fn describe(&self, c: &Cond) -> String {
        let op = &self.action.op;
        let exec = match op {
            Operation::Exec(e) => Some(e),
            _ => None,
        };
        match c {
            Cond::InWorkspace(b) => format!(
                "path is {}the workspace",
                if *b { "inside " } else { "outside " }
            ),
            Cond::Recursive(b) => format!("delete is {}recursive", if *b { "" } else { "not " }),
            Cond::SendsLocal(b) => format!(
                "request {} local data",
                if *b { "sends" } else { "does not send" }
            ),
            Cond::Opaque(b) => {
                format!("action is {}fully understood", if *b { "not " } else { "" })
            }
            Cond::Effect(_) => match op {
                Operation::ToolCall { effect, .. } => format!("tool effect is {effect:?}"),
                _ => "tool effect".into(),
            },
            Cond::Subcommand(g) => format!(
                "subcommand `{}` is one of {:?}",
                exec.and_then(|e| e.facts.subcommand.clone())
                    .unwrap_or_default(),
                g.patterns
            ),
            Cond::FlagsAny(f) | Cond::FlagsAll(f) => format!(
                "flags {:?} include {f:?}",
                exec.map(|e| e.facts.flags.clone()).unwrap_or_default()
            ),
            Cond::Operand(g) => format!("an operand matches {:?}", g.patterns),
            Cond::AnyArg(g) => format!("an argument matches {:?}", g.patterns),
            Cond::StdinFrom(g) => format!(
                "input is piped from {:?} (one of {:?})",
                exec.map(|e| e.facts.stdin_from.clone()).unwrap_or_default(),
                g.patterns
            ),
            Cond::Via(g) => format!(
                "runs via {:?} (one of {:?})",
                exec.map(|e| e.facts.via.clone()).unwrap_or_default(),
                g.patterns
            ),
            Cond::Line(re) => format!("command line matches /{}/", re.as_str()),
            Cond::Arg { pointer, .. } => format!(
                "argument `{pointer}` = {}",
                op.args()
                    .and_then(|a| a.pointer(pointer))
                    .map_or("(absent)".into(), |v| v.to_string())
            ),
            Cond::Channel(g) => format!("channel matches {:?}", g.patterns),
            Cond::Recipient(g) => format!("a recipient matches {:?}", g.patterns),
            Cond::Target(g) => format!("config target matches {:?}", g.patterns),
            Cond::Extension(g) => format!("extension type matches {:?}", g.patterns),
            Cond::Session { name, .. } => format!(
                "session fact `{name}` = {}",
                self.session
                    .get(name)
                    .map_or("(absent)".into(), |v| v.to_string())
            ),
            Cond::Kinds(_) => format!("action is {}", self.action.kind().as_str()),
            Cond::Pred(p) => {
                let pred = self.policy.index.preds.get(*p as usize);
                format!(
                    "{} matches one of {:?}",
                    pred.map_or("value", |p| p.field.name()),
                    pred.map(|p| p
                        .matchers
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>())
                        .unwrap_or_default()
                )
            }
            Cond::All(items) | Cond::Any(items) => items
                .iter()
                .map(|c| self.describe(c))
                .collect::<Vec<_>>()
                .join(", "),
            Cond::Not(inner) => format!("not ({})", self.describe(inner)),
        }
    }
}

impl CompiledTest {
    /// Whether the value (absent when `None`) passes every given test; arrays pass when any element does.
    pub(crate) fn holds(&self, v: Option<&Value>) -> bool {
        if let Some(want) = self.exists {
            if want != v.is_some_and(|v| !v.is_null()) {
                return false;
            }
            if !want {
                return true;
            }
        }
        let Some(v) = v else {
            return false;
        };
        if let Value::Array(items) = v {
            if self.equals.as_ref() == Some(v) {
                return true;
            }
            // An empty array has no element to pass; it is still present for `exists`.
            if items.is_empty() {
                return self.holds_scalar(v);
            }
            return items.iter().any(|i| self.holds_scalar(i));
        }
        self.holds_scalar(v)
    }

    fn holds_scalar(&self, v: &Value) -> bool {
        if let Some(eq) = &self.equals {
            if eq != v && !loose_eq(eq, v) {
                return false;
            }
        }
        let text = match v {
            Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b {
                "true"
            } else {
                "false"
            })),
            _ => None,
        };
        if let Some(g) = &self.glob {
            if !text.as_deref().is_some_and(|t| g.is_match(t)) {
                return false;
            }
        }
        if let Some(re) = &self.regex {
            if !text.as_deref().is_some_and(|t| re.is_match(t)) {
                return false;
            }
        }
        if self.gt.is_some() || self.gte.is_some() || self.lt.is_some() || self.lte.is_some() {
            // Tools pass amounts as strings too; "1,000.50" and "$500" read as numbers.
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s
                    .trim()
                    .trim_start_matches(['$', '€', '£'])
                    .replace(',', "")
                    .parse::<f64>()
                    .ok(),
                _ => None,
            };
            // "NaN" parses, and compares false both ways: it would pass every bound.
            let n = n.filter(|n| !n.is_nan());
            let Some(n) = n else {
                return false;
            };
            if self.gt.is_some_and(|x| n <= x)
                || self.gte.is_some_and(|x| n < x)
                || self.lt.is_some_and(|x| n >= x)
                || self.lte.is_some_and(|x| n > x)
            {
                return false;
            }
        }
        true
    }
}

/// `"5"` equals `5`, `5.0` equals `5`, and strings compare case-insensitively.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(x), Value::String(y)) | (Value::String(y), Value::Number(x)) => {
            y.trim().parse::<f64>().ok() == x.as_f64()
        }
        _ => false,
    }
}

/// `Value::pointer` without its per-token allocations (it unescapes every token with `replace`):
/// the same lookup, borrowing tokens that hold no `~` escape. Rules test arguments on every
/// candidate tool call, so this is on the hot path.
fn arg_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut target = value;
    for raw in rest.split('/') {
        let token = if raw.contains('~') {
            std::borrow::Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
        target = match target {
            Value::Object(map) => map.get(token.as_ref())?,
            Value::Array(list) => {
                // As RFC 6901 and serde_json: decimal digits, no leading zero, no sign.
                if token.is_empty()
                    || (token.len() > 1 && token.starts_with('0'))
                    || !token.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                list.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(target)
}

#[cfg(test)]
mod arg_at_tests {
    use super::arg_at;

    #[test]
    fn agrees_with_serde_json_pointer() {
        let v =
            serde_json::json!({"a": {"b/c": [1, {"d~e": "x"}], "": 2, "0": 3}, "list": [10, 20]});
        for p in [
            "",
            "/",
            "/a",
            "/a/b~1c",
            "/a/b~1c/0",
            "/a/b~1c/1/d~0e",
            "/a/",
            "/a/0",
            "/list/1",
            "/list/01",
            "/list/+1",
            "/list/-1",
            "/list/2",
            "/list/",
            "a",
            "/nope",
            "/a/b~1c/1/d~0e/z",
        ] {
            assert_eq!(arg_at(&v, p), v.pointer(p), "{p}");
        }
    }
}
