//! One decision engine for every front end: "event in, decision out".
//!
//! The monitor, `warden replay`, the MCP gateway and the local decisions all hand their events
//! here, so that a figure measured by replay is a figure of the product. The engine owns what a
//! decision depends on besides the policy: each session's analysis (the user's task, outside
//! content read, scripts written, the calls that ran), the behavioural baselines, the gate that
//! combines them with the policy, and what is learned once a call is allowed or ran.
//!
//! Time always comes from the caller (the event's timestamp, the replay's clock or the time the
//! monitor received the event): the engine never reads a clock, so a replay at any speed decides
//! as live. State is sharded (sessions by id, baselines by profile): two sessions never wait for
//! each other on one lock.
//!
//! Layers: it needs the core crates and the adapters' types; it knows no transport, storage
//! or UI.

mod shard;

use std::collections::VecDeque;

use warden_action::{Action, PathEnv};
use warden_adapters::Lowered;
use warden_policy::{Decision, Policy, SessionFacts, Verdict};
use warden_session::baseline::{Baselines, ProfileKey, ProfileSummary};
use warden_session::{CallHints, Session};

use crate::shard::Shards;

/// How many sessions' analysis state is kept in all; beyond it the oldest-looking is dropped, so
/// a flood of session ids cannot exhaust memory.
pub const SESSIONS_KEPT: usize = 10_000;

/// Calls not allowed at the gate that a session remembers, in case they run after all (a person
/// approved them in the agent's own prompt, or a trace goes on as recorded).
const HELD_CALLS: usize = 16;

/// One call to decide: who makes it, when, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The (root) session, if known.
    pub session: Option<&'a str>,
    /// The client's id of the call, which its result names.
    pub tool_use_id: Option<&'a str>,
    /// When it happens, in milliseconds (from the event, never from a clock inside the engine).
    pub at_ms: u64,
    /// The lowered call; its actions already classified by the policy ([`Engine::classify`]).
    pub lowered: &'a Lowered,
    /// The path environment it was lowered in (scripts written are resolved in it).
    pub env: &'a PathEnv,
}

/// What the gate decided, and the facts it decided on.
#[derive(Debug, Clone)]
pub struct Gated {
    /// The policy's verdict.
    pub verdict: Verdict,
    /// The session facts the verdict was computed with.
    pub facts: SessionFacts,
}

/// A call that was not allowed at the gate, kept until its result shows it ran.
#[derive(Debug, Clone)]
struct Held {
    tool_use_id: String,
    tool: Option<String>,
    actions: Vec<Action>,
    private: bool,
    written: Vec<warden_adapters::scripts::Written>,
}

/// One session as the engine follows it.
#[derive(Debug, Clone, Default)]
struct Followed {
    session: Session,
    held: VecDeque<Held>,
}

/// The decision engine. Shared by reference between threads.
#[derive(Debug)]
pub struct Engine {
    sessions: Shards<String, Followed>,
    baselines: Shards<ProfileKey, Baselines>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An engine that has seen nothing.
    pub fn new() -> Self {
        Engine {
            sessions: Shards::new(SESSIONS_KEPT),
            baselines: Shards::new(usize::MAX),
        }
    }

    /// The user's words in `session`: the task calls are judged against.
    pub fn prompt(&self, session: &str, text: &str) {
        self.sessions.with(session, |f| f.session.user_prompt(text));
    }

    /// A tool returned in `session`. The call it answers (by `tool_use_id`) ran: if the gate had
    /// not allowed it, the session learns it now. `text` is the outside content it returned.
    pub fn result(&self, session: &str, tool_use_id: Option<&str>, text: Option<&str>) {
        self.sessions.with(session, |f| {
            if let Some(id) = tool_use_id {
                if let Some(i) = f.held.iter().position(|h| h.tool_use_id == id) {
                    if let Some(h) = f.held.remove(i) {
                        ran(&mut f.session, h);
                    }
                }
            }
            if let Some(text) = text {
                f.session.tool_result(text);
            }
        });
    }

    /// Change a session's analysis directly (the monitor's sandbox reports, its rebuild at
    /// start).
    pub fn with_session<R>(&self, session: &str, f: impl FnOnce(&mut Session) -> R) -> R {
        self.sessions.with(session, |x| f(&mut x.session))
    }

    /// `base` with the scripts `session` wrote, when it wrote any: calls are lowered in it, so
    /// `sh run.sh` is judged by what `run.sh` holds.
    pub fn path_env(&self, session: Option<&str>, base: &PathEnv) -> Option<PathEnv> {
        let id = session?;
        let scripts = self.sessions.peek(id, |f| {
            (!f.session.scripts().is_empty()).then(|| f.session.scripts().clone())
        })??;
        Some(PathEnv {
            scripts,
            ..base.clone()
        })
    }

    /// What the user declared about a tool beats what its name suggests.
    pub fn classify(policy: &Policy, lowered: &mut Lowered) {
        policy.classify(&mut lowered.actions);
    }

    /// Gate a call: the session's facts and the baseline's deviation, over the facts the client
    /// supplied (`extra`, which the engine's own facts override), evaluated by `policy`.
    pub fn gate(&self, policy: &Policy, call: &Call<'_>, extra: &SessionFacts) -> Gated {
        let facts = self.facts(policy, call, extra);
        let verdict = policy.evaluate(&call.lowered.actions, &facts);
        Gated { verdict, facts }
    }

    /// The facts a call is gated on.
    pub fn facts(&self, policy: &Policy, call: &Call<'_>, extra: &SessionFacts) -> SessionFacts {
        let l = call.lowered;
        let decl = l.tool.as_deref().and_then(|t| policy.tool(t));
        let hints = CallHints {
            destinations: decl.map(|d| d.destinations.as_slice()).unwrap_or_default(),
            private: decl.is_some_and(|d| d.private),
        };
        // A call outside any session (or the first of one) is judged as in a fresh session.
        let of = |s: &Session| s.facts_with(l.tool_input.as_ref(), &l.actions, &hints);
        let mut own = match call.session {
            Some(id) => self.sessions.with(id, |f| of(&f.session)),
            None => of(&Session::new()),
        };
        if let Some(first) = l.actions.first() {
            let key = ProfileKey::of(first);
            let dev = self.baselines.with(&key, |b| {
                let dev = b.score(&key, &l.actions, call.at_ms);
                // Shown by `warden status` whatever the decision.
                b.record_score(&key, &dev);
                dev
            });
            own.extend(dev.facts());
        }
        own.retain(|_, v| !v.is_null());
        if extra.is_empty() {
            return own;
        }
        let mut f = extra.clone();
        f.extend(own);
        f
    }

    /// The call was decided `decision`. Allowed (or rewritten), it ran: the session learns what
    /// it read and wrote. Allowed as asked, the baseline learns what this agent does here (only
    /// allowed calls teach, so denied retries cannot train it; a rewritten call did not run as
    /// lowered). Otherwise the session holds it until a result shows it ran after all.
    pub fn learn(&self, policy: &Policy, call: &Call<'_>, decision: Decision) {
        let l = call.lowered;
        let private = l
            .tool
            .as_deref()
            .and_then(|t| policy.tool(t))
            .is_some_and(|d| d.private);
        let allowed = matches!(decision, Decision::Allow | Decision::Modify);
        if decision == Decision::Allow {
            if let Some(first) = l.actions.first() {
                let key = ProfileKey::of(first);
                self.baselines
                    .with(&key, |b| b.observe(&key, &l.actions, call.at_ms));
            }
        }
        let Some(session) = call.session else {
            return;
        };
        let held = Held {
            tool_use_id: call.tool_use_id.unwrap_or_default().to_string(),
            tool: l.tool.clone(),
            actions: l.actions.clone(),
            private,
            written: written(l, call.env),
        };
        self.sessions.with(session, |f| {
            if allowed || call.tool_use_id.is_none() {
                ran(&mut f.session, held);
            } else {
                if f.held.len() >= HELD_CALLS {
                    f.held.pop_front();
                }
                f.held.push_back(held);
            }
        });
    }

    /// Teach the baseline actions allowed earlier (the monitor's rebuild from its log).
    pub fn observe_baseline(&self, key: &ProfileKey, actions: &[Action], at_ms: u64) {
        self.baselines.with(key, |b| b.observe(key, actions, at_ms));
    }

    /// How many sessions are followed.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// A summary of every behavioural profile, for `warden status`.
    pub fn baselines(&self) -> Vec<ProfileSummary> {
        let mut out = Vec::new();
        self.baselines.each(|_, b| {
            out.extend(b.keys().map(|k| b.summary(k)));
        });
        out
    }
}

/// A call ran: the session takes it in, and the scripts it wrote.
fn ran(s: &mut Session, h: Held) {
    let hints = CallHints {
        destinations: &[],
        private: h.private,
    };
    s.observe_call_with(h.tool.as_deref(), &h.actions, &hints);
    for w in h.written {
        match w {
            warden_adapters::scripts::Written::Whole { path, text } => {
                s.remember_script(&path, &text);
            }
            warden_adapters::scripts::Written::Edit {
                path,
                old,
                new,
                all,
            } => s.edit_script(&path, &old, &new, all),
        }
    }
}

/// The whole texts (or edits) of files a call writes.
fn written(l: &Lowered, env: &PathEnv) -> Vec<warden_adapters::scripts::Written> {
    match (l.tool.as_deref(), l.tool_input.as_ref()) {
        (Some(tool), Some(args)) => warden_adapters::scripts::written(tool, args, env),
        _ => Vec::new(),
    }
}

/// Decide one call with no session behind it (`warden check`, a hook's local fallback): a
/// fresh engine, so the call is judged exactly as the first call of a session in the monitor.
pub fn decide_once(
    policy: &Policy,
    lowered: &mut Lowered,
    env: &PathEnv,
    session: Option<&str>,
    at_ms: u64,
) -> Gated {
    Engine::classify(policy, lowered);
    let engine = Engine::new();
    let call = Call {
        session,
        tool_use_id: None,
        at_ms,
        lowered,
        env,
    };
    engine.gate(policy, &call, &SessionFacts::new())
}

/// The text the agent is shown: the reason, the rules, and what to do instead.
pub fn message(v: &Verdict) -> String {
    let rules: Vec<&str> = v
        .rules
        .iter()
        .filter(|r| r.decision == v.policy_decision)
        .map(|r| r.rule.as_str())
        .collect();
    let mut s = format!("Warden: {}", v.reason);
    if !rules.is_empty() {
        s.push_str(&format!(" [{}]", rules.join(", ")));
    }
    if let Some(g) = &v.guidance {
        s.push_str(&format!(". {g}"));
    }
    s
}
