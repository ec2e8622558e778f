//! The same decisions made with the `cedar-policy` crate, for comparison.
//!
//! An [`Action`] becomes a Cedar request: principal `Agent::"agent"`, action
//! `Action::"<kind>"` (`Action::"exec"`, `Action::"file_read"`...), resource
//! `Resource::"input"`, and a context holding the action's fields:
//!
//! | kind | context |
//! |------|---------|
//! | exec | `program`, `subcommand` (`""` when none), `flags`, `operands`, `argv`, `stdin_from`, `via` (sets of strings), `line` (argv joined by spaces) |
//! | file_read / file_write / file_delete | `path` (absolute), `home_path` (`~/...` or `""`), `in_workspace`, `recursive` |
//! | network | `host`, `url`, `sends_local_data` |
//! | tool_call / mcp_call | `tool` (`mcp__server__tool` for MCP), `effect`, `args` (the JSON arguments as a record) |
//! | message_send | `channel`, `recipients` |
//! | config_change | `target` |
//! | extension_load | `extension`, `name` |
//!
//! and `opaque` for every kind. Entities are empty: Warden's rules test the action, not a
//! hierarchy. Cedar allows or denies; the Warden decision (deny > ask > allow) is read from the
//! `@decision` annotation of the `forbid` policies that determined a deny.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Entities, EntityUid, PolicyId, PolicySet, Request,
    RestrictedExpression,
};
use serde_json::Value;
use warden_action::{Action, ActionKind, Operation};
use warden_policy::Decision;

use crate::BenchError;

/// Warden's baseline policy written as Cedar policies (hand-translated; see the file's header
/// for the approximations Cedar's language forces).
pub const BASELINE_CEDAR: &str = include_str!("baseline.cedar");

/// A compiled Cedar policy set with what is needed to ask it about Warden actions.
///
/// Cedar's authorizer evaluates every policy of the set on every request (it has no index), so
/// [`CedarGate::sliced`] also offers what a careful integrator would do by hand: one policy set
/// per action kind, holding only the policies whose action scope admits that kind.
pub struct CedarGate {
    authorizer: Authorizer,
    /// One set for all kinds, or one per [`ActionKind::index`] when sliced.
    sets: Vec<PolicySet>,
    entities: Entities,
    /// The Warden decision of each `forbid` policy, from its `@decision` annotation.
    decisions: HashMap<PolicyId, Decision>,
    principal: EntityUid,
    resource: EntityUid,
    /// `Action::"<kind>"` per [`ActionKind::index`].
    actions: Vec<EntityUid>,
    /// Number of distinct policies.
    count: usize,
}

/// A Cedar request for one action, with the action's kind (to pick a sliced policy set).
#[derive(Debug, Clone)]
pub struct CedarRequest {
    kind: usize,
    request: Request,
}

impl std::fmt::Debug for CedarGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarGate")
            .field("sets", &self.sets.len())
            .field("policies", &self.policy_count())
            .finish_non_exhaustive()
    }
}

fn parse_decision(s: Option<&str>) -> Decision {
    match s {
        Some("deny") => Decision::Deny,
        Some("ask") => Decision::Ask,
        Some("modify") => Decision::Modify,
        _ => Decision::Allow,
    }
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_string())
}

fn set<'a>(items: impl IntoIterator<Item = &'a String>) -> RestrictedExpression {
    RestrictedExpression::new_set(items.into_iter().map(|i| s(i)))
}

/// A JSON value as a Cedar restricted expression; `None` for what Cedar cannot hold (null,
/// fractional numbers).
fn json(v: &Value) -> Option<RestrictedExpression> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(RestrictedExpression::new_bool(*b)),
        Value::Number(n) => n.as_i64().map(RestrictedExpression::new_long),
        Value::String(t) => Some(s(t)),
        Value::Array(items) => Some(RestrictedExpression::new_set(items.iter().filter_map(json))),
        Value::Object(map) => RestrictedExpression::new_record(
            map.iter().filter_map(|(k, v)| Some((k.clone(), json(v)?))),
        )
        .ok(),
    }
}

/// The Cedar context for an action (see the module documentation for the fields).
pub fn context(a: &Action) -> Result<Context, BenchError> {
    let mut pairs: Vec<(String, RestrictedExpression)> = Vec::with_capacity(10);
    let mut put = |k: &str, v: RestrictedExpression| pairs.push((k.to_string(), v));
    put("opaque", RestrictedExpression::new_bool(a.opaque.is_some()));
    match &a.op {
        Operation::Exec(e) => {
            put("program", s(&e.program));
            put("subcommand", s(e.facts.subcommand.as_deref().unwrap_or("")));
            put("flags", set(&e.facts.flags));
            put("operands", set(&e.facts.operands));
            put("argv", set(e.argv.get(1..).unwrap_or(&[])));
            put("stdin_from", set(&e.facts.stdin_from));
            put("via", set(&e.facts.via));
            put("line", s(&e.argv.join(" ")));
        }
        Operation::FileRead { path }
        | Operation::FileWrite { path }
        | Operation::FileDelete { path, .. } => {
            put("path", s(&path.path));
            put(
                "home_path",
                s(&path.home_relative(&path.path).unwrap_or_default()),
            );
            put(
                "in_workspace",
                RestrictedExpression::new_bool(path.in_workspace == Some(true)),
            );
            let recursive = matches!(
                a.op,
                Operation::FileDelete {
                    recursive: true,
                    ..
                }
            );
            put("recursive", RestrictedExpression::new_bool(recursive));
        }
        Operation::Network(n) => {
            put("host", s(&n.host));
            put("url", s(n.url.as_deref().unwrap_or("")));
            put(
                "sends_local_data",
                RestrictedExpression::new_bool(n.sends_local_data),
            );
        }
        Operation::ToolCall { name, args, effect } => {
            put("tool", s(name));
            let effect = match effect {
                warden_action::ToolEffect::ReadOnly => "read_only",
                warden_action::ToolEffect::SideEffect => "side_effect",
                warden_action::ToolEffect::Unknown => "unknown",
            };
            put("effect", s(effect));
            put("args", args_record(args)?);
        }
        Operation::McpCall { args, .. } => {
            put("tool", s(&a.op.tool_name().unwrap_or_default()));
            put("args", args_record(args)?);
        }
        Operation::MessageSend {
            channel,
            recipients,
        } => {
            put("channel", s(channel));
            put("recipients", set(recipients));
        }
        Operation::ConfigChange { target } => put("target", s(target)),
        Operation::ExtensionLoad {
            extension, name, ..
        } => {
            put("extension", s(extension));
            put("name", s(name));
        }
        Operation::AgentSpawn { .. } => {}
    }
    Ok(Context::from_pairs(pairs)?)
}

fn args_record(args: &Value) -> Result<RestrictedExpression, BenchError> {
    match args {
        Value::Object(_) => json(args).ok_or_else(|| "tool arguments Cedar cannot hold".into()),
        _ => Ok(RestrictedExpression::new_record(std::iter::empty())?),
    }
}

impl CedarGate {
    /// Parse a Cedar policy set (such as [`BASELINE_CEDAR`] followed by generated policies).
    pub fn new(policy_text: &str) -> Result<Self, BenchError> {
        Self::build(policy_text, false)
    }

    /// Like [`CedarGate::new`], but with one policy set per action kind, each holding only the
    /// policies whose action scope admits that kind.
    pub fn sliced(policy_text: &str) -> Result<Self, BenchError> {
        Self::build(policy_text, true)
    }

    fn build(policy_text: &str, sliced: bool) -> Result<Self, BenchError> {
        let all = PolicySet::from_str(policy_text)?;
        let decisions = all
            .policies()
            .filter(|p| p.effect() == cedar_policy::Effect::Forbid)
            .map(|p| (p.id().clone(), parse_decision(p.annotation("decision"))))
            .collect();
        let actions = ActionKind::ALL
            .iter()
            .map(|k| {
                EntityUid::from_str(&format!("Action::\"{}\"", k.as_str()))
                    .map_err(BenchError::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let count = all.policies().count();
        let sets = if sliced {
            let mut sets = vec![PolicySet::new(); actions.len()];
            for p in all.policies() {
                for (set, action) in sets.iter_mut().zip(&actions) {
                    let admits = match p.action_constraint() {
                        ActionConstraint::Any => true,
                        ActionConstraint::Eq(a) => a == *action,
                        ActionConstraint::In(list) => list.contains(action),
                    };
                    if admits {
                        set.add(p.clone())?;
                    }
                }
            }
            sets
        } else {
            vec![all]
        };
        Ok(CedarGate {
            authorizer: Authorizer::new(),
            sets,
            entities: Entities::empty(),
            decisions,
            principal: EntityUid::from_str("Agent::\"agent\"")?,
            resource: EntityUid::from_str("Resource::\"input\"")?,
            actions,
            count,
        })
    }

    /// Number of distinct Cedar policies.
    pub fn policy_count(&self) -> usize {
        self.count
    }

    /// Number of policies the authorizer evaluates for an action of this kind.
    pub fn policies_for(&self, kind: ActionKind) -> usize {
        self.set(kind.index()).map_or(0, |s| s.policies().count())
    }

    fn set(&self, kind: usize) -> Option<&PolicySet> {
        if self.sets.len() == 1 {
            self.sets.first()
        } else {
            self.sets.get(kind)
        }
    }

    /// Build the Cedar request for an action (what a Cedar-based gate has to do per decision).
    pub fn request(&self, a: &Action) -> Result<CedarRequest, BenchError> {
        let kind = a.kind().index();
        let action = self
            .actions
            .get(kind)
            .cloned()
            .ok_or("no Cedar action for this kind")?;
        let request = Request::new(
            self.principal.clone(),
            action,
            self.resource.clone(),
            context(a)?,
            None,
        )?;
        Ok(CedarRequest { kind, request })
    }

    fn response(&self, req: &CedarRequest) -> Option<cedar_policy::Response> {
        let set = self.set(req.kind)?;
        Some(
            self.authorizer
                .is_authorized(&req.request, set, &self.entities),
        )
    }

    /// Decide on a prepared request: Cedar's answer mapped to Warden's decision.
    pub fn decide(&self, req: &CedarRequest) -> Decision {
        let Some(response) = self.response(req) else {
            return Decision::Deny;
        };
        match response.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => {
                let strictest = response
                    .diagnostics()
                    .reason()
                    .filter_map(|id| self.decisions.get(id).copied())
                    .max();
                // A deny with no forbid in the reasons means no policy permitted: Cedar's default.
                strictest.unwrap_or(Decision::Deny)
            }
        }
    }

    /// Build the request and decide: the full per-action cost of using Cedar as the gate.
    pub fn decide_action(&self, a: &Action) -> Result<Decision, BenchError> {
        Ok(self.decide(&self.request(a)?))
    }

    /// Every rule (`@rule` annotation) whose `forbid` fired on a prepared request.
    pub fn fired(&self, req: &CedarRequest) -> Vec<String> {
        let (Some(response), Some(set)) = (self.response(req), self.set(req.kind)) else {
            return Vec::new();
        };
        let mut out: Vec<String> = response
            .diagnostics()
            .reason()
            .filter_map(|id| set.policy(id)?.annotation("rule").map(str::to_string))
            .filter(|r| r != "default")
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Errors Cedar met evaluating policies on a request (should be none for well-formed input).
    pub fn errors(&self, req: &CedarRequest) -> Vec<String> {
        self.response(req)
            .map(|r| r.diagnostics().errors().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }
}
