//! The monitor's core: records every event, decides every gated one, runs approvals and the
//! kill switch. Every answer is sent only after the records behind it are durable; any failure
//! to record or decide becomes a deny (or an error the hook turns into a block), never an allow.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use warden_action::{Action, Operation, PathEnv};
use warden_adapters::claude::HookPayload;
use warden_adapters::{Format, Lowered};
use warden_audit::{now_ms, Kind, NewRecord};
use warden_policy::{Decision, Policy, SessionFacts, Verdict};

use crate::policy::Policies;
use crate::proto::{Answer, ClientEnv, Response, Scope};
use crate::state::{ApprovalView, Grant, Pending, Resolution, State, ANSWERED_KEPT};
use crate::writer::{StateOp, Writer};

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The state directory (audit database, keys, token, socket by default).
    pub state_dir: PathBuf,
    /// The Unix socket.
    pub socket: PathBuf,
    /// The socket file's mode (0600 by default: only the daemon's user may connect).
    pub socket_mode: u32,
    /// Users (besides the daemon's own) whose hooks may connect.
    pub hook_uids: Vec<u32>,
    /// Users (besides the daemon's own) who may answer approvals and halt sessions.
    pub admin_uids: Vec<u32>,
    /// The loopback address of the HTTP API, if any.
    pub http: Option<std::net::SocketAddr>,
    /// Whether `ask` becomes a pending approval (else the agent's own prompt asks).
    pub approvals: bool,
    /// How long a hook waits for a human.
    pub approval_timeout: Duration,
    /// The decision when no human answered in time (deny, or ask: the agent's own prompt).
    pub on_approval_timeout: Decision,
    /// How often the chain head is signed.
    pub checkpoint_interval: Duration,
    /// Where hooks that fell back to a local decision left their events.
    pub spool_dir: PathBuf,
    /// The protected deployment: the monitor runs as its own user, the agent's uid may only send
    /// hook events, and policy comes only from layers the agent's user cannot write.
    pub protected: bool,
    /// Extra files the witness of each checkpoint goes to (besides `witness.log` and syslog).
    pub witness_file: Option<PathBuf>,
    /// Switch kernel audit on at start when it is off, so that Landlock logs what the sandbox
    /// refuses (needs `CAP_AUDIT_CONTROL`; the protected deployment's unit grants it).
    pub kernel_audit: bool,
    /// Where a person hears that an approval waits.
    pub notify: crate::notify::NotifyConfig,
    /// The agents' home directories whose configuration files are pinned and watched (none:
    /// configuration integrity is off).
    pub watch_homes: Vec<PathBuf>,
    /// Where records are exported as OpenTelemetry (OTLP/HTTP), if anywhere.
    pub otlp: Option<crate::otlp::OtlpConfig>,
    /// Take each hook event's time from its payload's `timestamp` (milliseconds) instead of the
    /// time it was received: for feeding recorded traces, so that they are decided as replayed.
    /// A client that can set it can spread a burst over invented time: never in production.
    pub event_time: bool,
}

impl Config {
    /// Defaults for a state directory: socket `warden.sock` in it, approvals on with a 55 s wait
    /// (under Claude Code's 60 s hook limit), deny on timeout, a checkpoint every 10 s.
    pub fn new(state_dir: PathBuf) -> Self {
        Config {
            socket: state_dir.join(crate::SOCKET_FILE),
            spool_dir: state_dir.join(crate::SPOOL_DIR),
            state_dir,
            socket_mode: 0o600,
            hook_uids: Vec::new(),
            admin_uids: Vec::new(),
            http: None,
            approvals: true,
            approval_timeout: Duration::from_secs(55),
            on_approval_timeout: Decision::Deny,
            checkpoint_interval: Duration::from_secs(10),
            protected: false,
            witness_file: None,
            kernel_audit: false,
            notify: crate::notify::NotifyConfig::default(),
            watch_homes: Vec::new(),
            otlp: None,
            event_time: false,
        }
    }

    /// Refuse a protected configuration that is not: the monitor's own uid, or an admin uid,
    /// among the uids whose hooks it serves (the agent would administer itself).
    pub fn check_protected(&self, own_uid: u32) -> Result<(), String> {
        if !self.protected {
            return Ok(());
        }
        if self.hook_uids.contains(&own_uid) {
            return Err(format!(
                "protected mode: the monitor runs as uid {own_uid}, which is also an agent uid (`--allow-uid`); run it as its own user (`sudo warden install`)"
            ));
        }
        if let Some(u) = self.admin_uids.iter().find(|u| self.hook_uids.contains(u)) {
            return Err(format!(
                "protected mode: uid {u} is both an agent (`--allow-uid`) and an administrator (`--admin-uid`); an agent must not answer its own approvals"
            ));
        }
        if self.hook_uids.contains(&0) {
            return Err("protected mode: root cannot be an agent uid".into());
        }
        Ok(())
    }

    /// The protection this configuration gives, in words for `status`, `doctor` and the log.
    pub fn protection(&self) -> &'static str {
        if self.protected {
            "protected: the monitor runs as its own user; the agent's user can neither stop, rewire nor administer it"
        } else {
            "unprotected: the agent's user can stop or rewire this monitor (per-user mode, for trying Warden out; `sudo warden install` protects it)"
        }
    }
}

/// The running monitor, shared by every connection.
pub struct Daemon {
    /// Its configuration.
    pub config: Config,
    /// The policies.
    pub policies: Policies,
    pub(crate) state: Mutex<State>,
    pub(crate) writer: Writer,
    /// Configuration integrity: pins of the files that steer agents.
    pub(crate) guard: Option<crate::config::ConfigGuard>,
    ids: AtomicU64,
    /// The kernel's record of what sandboxes refused (or why it cannot be read).
    pub(crate) kernel: std::sync::OnceLock<Result<warden_sandbox::LandlockLog, String>>,
    /// Notifications of waiting approvals, when configured.
    pub(crate) notifier: std::sync::OnceLock<Arc<crate::notify::Notifier>>,
    /// The OpenTelemetry exporter's progress, when it runs.
    pub(crate) otlp: std::sync::OnceLock<Arc<std::sync::Mutex<crate::otlp::OtlpStatus>>>,
    /// The decision engine: session analysis, baselines, gate and learning.
    pub(crate) engine: warden_engine::Engine,
}

use crate::follow::text_of;

/// Now, in milliseconds: the time of an event the monitor receives (the engine reads no clock).
pub(crate) fn now_u64() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

pub use warden_engine::message;

/// The fingerprint of an action for approvals: the tool and the normalised actions, without who
/// performs them (so a grant covers the same action, whoever asks again).
pub fn fingerprint(tool: Option<&str>, actions: &[Action]) -> String {
    let mut h = Sha256::new();
    h.update(tool.unwrap_or("").as_bytes());
    h.update([0]);
    for a in actions {
        let mut a = a.clone();
        a.actor = warden_action::Actor::default();
        h.update(serde_json::to_vec(&a).unwrap_or_default());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

/// The path environment of a client's request.
pub fn path_env(env: &ClientEnv, cwd: Option<&str>) -> PathEnv {
    let cwd = cwd
        .filter(|c| c.starts_with('/'))
        .map(str::to_string)
        .or_else(|| env.vars.get("PWD").cloned())
        .unwrap_or_else(|| "/".into());
    let mut vars = env.vars.clone();
    vars.insert("PWD".into(), cwd.clone());
    vars.insert("HOME".into(), env.home.clone());
    PathEnv {
        home: env.home.clone(),
        workspace: Some(env.workspace.clone().unwrap_or_else(|| cwd.clone())),
        cwd,
        vars,
        resolve_symlinks: true,
        scripts: Default::default(),
    }
}

/// The audit body of a decision.
#[derive(serde::Serialize)]
struct DecisionBody<'a> {
    event: &'a str,
    agent: &'a str,
    subagent: Option<&'a str>,
    tool_use_id: Option<&'a str>,
    tool: Option<&'a str>,
    decision: Decision,
    policy_decision: Decision,
    mode: warden_policy::Mode,
    risk: f64,
    reason: &'a str,
    rules: &'a [String],
    #[serde(skip_serializing_if = "str::is_empty")]
    fingerprint: &'a str,
    actions: &'a [Action],
    #[serde(skip_serializing_if = "Option::is_none")]
    grant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_input: Option<&'a Value>,
    /// The skill active in the session when the call was decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    skill: Option<&'a str>,
}

/// Who a gated request comes from.
pub(crate) struct Ctx {
    pub(crate) agent: String,
    pub(crate) event: String,
    pub(crate) session: Option<String>,
    pub(crate) subagent: Option<String>,
    pub(crate) tool_use_id: Option<String>,
    /// The agent's permission mode when it runs one in which its own prompt would approve by
    /// itself (`bypassPermissions`, `acceptEdits`, `dontAsk`...): an ask handed to that prompt
    /// reaches nobody.
    pub(crate) unattended: Option<String>,
    /// When the event happened, in milliseconds: the engine's clock.
    pub(crate) at_ms: u64,
}

impl Ctx {
    /// The engine's view of a call in this context.
    pub(crate) fn call<'a>(
        &'a self,
        lowered: &'a Lowered,
        env: &'a PathEnv,
    ) -> warden_engine::Call<'a> {
        warden_engine::Call {
            session: self.session.as_deref(),
            tool_use_id: self.tool_use_id.as_deref(),
            at_ms: self.at_ms,
            lowered,
            env,
        }
    }
}

/// The permission mode of a hook payload when the agent's own prompt cannot be trusted to
/// reach a person: anything but Claude Code's `default` and `plan` (absent: a client without
/// modes, whose prompt is its own affair).
fn unattended_mode(payload: &Value) -> Option<String> {
    payload
        .get("permission_mode")
        .and_then(Value::as_str)
        .filter(|m| !matches!(*m, "default" | "plan"))
        .map(str::to_string)
}

/// Cut long strings inside a value so one tool output cannot bloat the log.
pub(crate) fn clip(v: &Value, max: usize) -> Value {
    match v {
        Value::String(s) if s.len() > max => {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Value::String(format!("{}... [{} bytes cut]", &s[..end], s.len() - end))
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| clip(x, max)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), clip(x, max))).collect())
        }
        other => other.clone(),
    }
}

pub(crate) fn record(kind: Kind, session: Option<String>, body: &Value) -> NewRecord {
    // Serialising a `Value` cannot fail (its keys are strings); an empty object is the fallback.
    NewRecord::new(kind, session.clone(), body).unwrap_or(NewRecord {
        kind,
        session,
        body: "{}".into(),
    })
}

impl Daemon {
    pub(crate) fn new(
        config: Config,
        policies: Policies,
        state: State,
        writer: Writer,
        guard: Option<crate::config::ConfigGuard>,
        engine: warden_engine::Engine,
    ) -> Self {
        Daemon {
            engine,
            config,
            policies,
            state: Mutex::new(state),
            writer,
            guard,
            ids: AtomicU64::new(0),
            kernel: std::sync::OnceLock::new(),
            notifier: std::sync::OnceLock::new(),
            otlp: std::sync::OnceLock::new(),
        }
    }

    /// When a hook event happened: when the monitor received it, or, when configured to trust
    /// the client's clock (`--event-time`, for feeding recorded traces), the payload's
    /// `timestamp` in milliseconds. Off by default: a client that sets the clock could spread a
    /// burst over invented hours.
    fn event_time(&self, payload: &Value) -> u64 {
        let now = now_u64();
        if !self.config.event_time {
            return now;
        }
        payload
            .get("timestamp")
            .and_then(Value::as_u64)
            .unwrap_or(now)
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed in a way that
        // allows more: every change is a single insert or remove. Keep going with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn new_id(&self) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let mut h = Sha256::new();
        h.update(now_ms().to_be_bytes());
        h.update(n.to_be_bytes());
        h.update(std::process::id().to_be_bytes());
        hex::encode(&h.finalize()[..6])
    }

    /// Append records (and state changes) durably; the sequence numbers, or why not.
    pub(crate) async fn write(
        &self,
        records: Vec<NewRecord>,
        ops: Vec<StateOp>,
    ) -> Result<Vec<u64>, String> {
        self.writer.write(records, ops).await
    }

    /// Record an admin or approval event and return its sequence number.
    pub(crate) async fn audit(
        &self,
        kind: Kind,
        session: Option<String>,
        body: Value,
    ) -> Result<u64, String> {
        let seqs = self
            .write(vec![record(kind, session, &body)], Vec::new())
            .await?;
        seqs.first()
            .copied()
            .ok_or_else(|| "nothing recorded".to_string())
    }

    /// Handle a hook event from `agent`. `pending` receives the approval notice when a human
    /// is asked.
    pub async fn hook(
        &self,
        agent: &str,
        payload: Value,
        env: ClientEnv,
        pending: Option<&mpsc::Sender<Response>>,
    ) -> Response {
        // OpenClaw's plugin sends its own event envelope: made into a hook payload first.
        let parsed = if agent == warden_adapters::openclaw::AGENT {
            warden_adapters::openclaw::hook_payload(&payload)
        } else {
            Ok(payload)
        };
        let (payload, p) = match parsed.and_then(|v| HookPayload::from_value(&v).map(|p| (v, p))) {
            Ok(x) => x,
            Err(e) => {
                let msg = format!("hook payload not understood: {e}");
                let _ = self
                    .audit(
                        Kind::Event,
                        None,
                        json!({"event": "invalid", "agent": agent, "error": msg}),
                    )
                    .await;
                return Response::Error { message: msg };
            }
        };
        let event = p.hook_event_name.clone();
        let subagent = p.agent_id.clone().or_else(|| p.agent_type.clone());
        let session = {
            let mut st = self.state();
            if event == "SubagentStart" {
                if let (Some(child), Some(parent)) = (p.agent_id.clone(), p.session_id.clone()) {
                    if child != parent {
                        st.lineage.insert(child, parent);
                    }
                }
            }
            // A child that reports its own session id still belongs to its parent.
            if let Some(parent) = payload.get("parent_session_id").and_then(Value::as_str) {
                if let Some(s) = p.session_id.clone().filter(|s| s != parent) {
                    st.lineage.insert(s, parent.to_string());
                }
            }
            st.root(p.session_id.as_deref())
        };
        let ctx = Ctx {
            agent: agent.to_string(),
            event: event.clone(),
            session,
            subagent,
            tool_use_id: p.tool_use_id.clone(),
            unattended: unattended_mode(&payload),
            at_ms: self.event_time(&payload),
        };
        let workspace = env.workspace.clone().or_else(|| p.cwd.clone());
        if let (Some(g), Some(w)) = (self.guard.as_ref(), workspace.as_deref()) {
            g.saw_workspace(w);
        }
        match event.as_str() {
            "PreToolUse" | "PermissionRequest" => {
                let format = match agent {
                    "codex" => Format::Codex,
                    warden_adapters::openclaw::AGENT => Format::OpenClaw,
                    _ => Format::ClaudeCode,
                };
                let base = path_env(&env, p.cwd.as_deref());
                // Scripts the session wrote are judged by what they hold.
                let penv = self
                    .engine
                    .path_env(ctx.session.as_deref(), &base)
                    .unwrap_or(base);
                let lowered = warden_adapters::lower(&payload, Some(format), &penv)
                    .map_err(|e| e.to_string());
                let policy = self.policies.for_workspace(workspace.as_deref());
                let extra = self.tool_facts(&p, &penv, workspace.as_deref()).await;
                self.gate_with(&ctx, lowered, policy, pending, &extra, &penv)
                    .await
            }
            "ConfigChange" => {
                let target = ["file_path", "config_path", "path", "source", "scope"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(Value::as_str))
                    .unwrap_or("unknown")
                    .to_string();
                let penv = path_env(&env, p.cwd.as_deref());
                let mut action = Action::new(Operation::ConfigChange { target });
                action.actor = warden_action::Actor {
                    agent: Some(agent.to_string()),
                    session: ctx.session.clone(),
                    subagent: ctx.subagent.clone(),
                };
                action.normalize(&penv);
                let facts = match crate::config::changed_path(&payload, &penv) {
                    Some(path) => self.config_change_facts(&path).await,
                    None => SessionFacts::new(),
                };
                let lowered = Lowered {
                    actions: vec![action],
                    tool: None,
                    tool_input: None,
                };
                let policy = self.policies.for_workspace(workspace.as_deref());
                self.gate_with(&ctx, Ok(lowered), policy, pending, &facts, &penv)
                    .await
            }
            _ => {
                let halted = self.state().is_halted(ctx.session.as_deref());
                let mut body = json!({"event": event, "agent": agent, "subagent": ctx.subagent});
                // Feed session analysis: the user's words are the task, tool output is outside content.
                if let Some(session) = ctx.session.clone() {
                    let text = match event.as_str() {
                        "UserPromptSubmit" => payload.get("prompt").map(text_of),
                        "PostToolUse" => payload
                            .get("tool_response")
                            .or_else(|| payload.get("tool_output"))
                            .map(text_of),
                        _ => None,
                    };
                    if event == "UserPromptSubmit" {
                        self.end_turn(&session);
                    }
                    if event == "UserPromptSubmit" {
                        if let Some(text) = &text {
                            self.engine.prompt(&session, text);
                        }
                    } else if event == "PostToolUse" {
                        // The call ran: the engine learns it (if it had not been allowed) and
                        // the outside content it returned.
                        self.engine
                            .result(&session, p.tool_use_id.as_deref(), text.as_deref());
                    }
                }
                match event.as_str() {
                    "UserPromptSubmit" => {
                        body["prompt"] = clip(payload.get("prompt").unwrap_or(&Value::Null), 65536)
                    }
                    "PostToolUse" | "PostToolUseFailure" => {
                        body["tool"] = json!(p.tool_name);
                        body["tool_use_id"] = json!(p.tool_use_id);
                        body["tool_input"] =
                            clip(p.tool_input.as_ref().unwrap_or(&Value::Null), 4096);
                        let out = payload
                            .get("tool_response")
                            .or_else(|| payload.get("tool_output"));
                        body["tool_response"] = clip(out.unwrap_or(&Value::Null), 16384);
                    }
                    "SubagentStart" | "SubagentStop" => {
                        body["agent_id"] = json!(p.agent_id);
                        body["agent_type"] = json!(p.agent_type);
                        body["parent_session"] = json!(ctx.session);
                    }
                    _ => {
                        body["payload"] = clip(&payload, 4096);
                    }
                }
                if !warden_adapters::claude::KNOWN_EVENTS.contains(&event.as_str()) {
                    body["unknown_event"] = json!(true);
                }
                // A halted session cannot start new work: its prompts are blocked too.
                let block = halted && event == "UserPromptSubmit";
                if block {
                    body["decision"] = json!("deny");
                    body["reason"] = json!("session halted by an operator");
                }
                match self
                    .write(
                        vec![record(Kind::Event, ctx.session.clone(), &body)],
                        Vec::new(),
                    )
                    .await
                {
                    Ok(seqs) => Response::Answer(Answer {
                        decision: if block {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        },
                        policy_decision: if block {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        },
                        message: if block {
                            "Warden: this session was halted by an operator (`warden resume` lifts it)".into()
                        } else {
                            String::new()
                        },
                        updated_input: None,
                        rules: Vec::new(),
                        seq: seqs.first().copied().unwrap_or(0),
                        approval: None,
                        grant: None,
                        gated: block,
                        nonce: None,
                        context: (event == "SessionStart").then(|| {
                            self.policies
                                .for_workspace(workspace.as_deref())
                                .unwrap_or_else(|_| self.policies.global())
                                .guide()
                        }),
                    }),
                    Err(e) => Response::Error { message: e },
                }
            }
        }
    }

    /// Decide Warden's generic action JSON (or a hook payload, detected) without a session.
    pub async fn check(&self, input: Value, env: ClientEnv) -> Response {
        let cwd = input
            .get("cwd")
            .or_else(|| input.get("env").and_then(|e| e.get("cwd")))
            .and_then(Value::as_str)
            .map(str::to_string);
        let penv = path_env(&env, cwd.as_deref());
        let lowered = warden_adapters::lower(&input, None, &penv).map_err(|e| e.to_string());
        let session = lowered
            .as_ref()
            .ok()
            .and_then(|l| l.actions.first())
            .and_then(|a| a.actor.session.clone());
        let ctx = Ctx {
            agent: "api".into(),
            event: "Check".into(),
            session: self.state().root(session.as_deref()),
            subagent: None,
            unattended: None,
            tool_use_id: None,
            at_ms: now_u64(),
        };
        let policy = self.policies.for_workspace(penv.workspace.as_deref());
        self.gate_with(&ctx, lowered, policy, None, &SessionFacts::new(), &penv)
            .await
    }

    /// [`Self::gate`] with facts the client supplies (the MCP proxy's `mcp_*` facts); the
    /// session's own facts win over them.
    pub(crate) async fn gate_with(
        &self,
        ctx: &Ctx,
        lowered: Result<Lowered, String>,
        policy: Result<Arc<Policy>, String>,
        pending: Option<&mpsc::Sender<Response>>,
        extra: &SessionFacts,
        penv: &PathEnv,
    ) -> Response {
        let base = json!({
            "event": ctx.event, "agent": ctx.agent, "subagent": ctx.subagent, "tool_use_id": ctx.tool_use_id,
        });
        let lowered = match lowered {
            Ok(mut l) => {
                // What the user declared about a tool beats what its name suggests.
                if let Ok(p) = &policy {
                    warden_engine::Engine::classify(p, &mut l);
                }
                l
            }
            Err(e) => {
                let message = format!("input not understood: {e}");
                let mut body = base;
                body["decision"] = json!("deny");
                body["reason"] = json!(message);
                body["rules"] = json!([]);
                // Recorded, then refused: the hook blocks with the reason.
                return match self
                    .write(
                        vec![record(Kind::Decision, ctx.session.clone(), &body)],
                        Vec::new(),
                    )
                    .await
                {
                    Ok(_) => Response::Error { message },
                    Err(w) => Response::Error {
                        message: format!("{message}; {w}"),
                    },
                };
            }
        };
        let halted = self.state().is_halted(ctx.session.as_deref());
        let verdict = if halted {
            Verdict::failed(
                Decision::Deny,
                "this session was halted by an operator (`warden resume` lifts it)",
            )
        } else {
            match &policy {
                Ok(p) => {
                    let call = ctx.call(&lowered, penv);
                    self.engine.gate(p, &call, extra).verdict
                }
                Err(e) => Verdict::failed(
                    Decision::Deny,
                    format!("the project policy does not load: {e}"),
                ),
            }
        };
        // Only asks need the fingerprint (grants, approvals): skip the work otherwise.
        let fp = if verdict.decision == Decision::Ask {
            fingerprint(lowered.tool.as_deref(), &lowered.actions)
        } else {
            String::new()
        };
        let mut decision = verdict.decision;
        let mut msg = message(&verdict);
        let mut grant = None;
        let mut approval = None;
        if decision == Decision::Ask {
            let now = now_ms();
            let (g, denied) = {
                let st = self.state();
                (
                    st.grant_for(ctx.session.as_deref(), &fp, now),
                    st.denied.contains(&(ctx.session.clone(), fp.clone())),
                )
            };
            if let Some(g) = g {
                decision = Decision::Allow;
                msg = format!("{msg} (approved earlier by a human: grant {g})");
                grant = Some(g);
            } else if denied {
                decision = Decision::Deny;
                msg = format!("{msg} (a human already denied this action in this session)");
            } else if self.config.approvals {
                let (id, d, m) = self.ask_human(ctx, &lowered, &verdict, &fp, pending).await;
                approval = Some(id);
                decision = d;
                msg = format!("{msg} ({m})");
            }
        }
        // An ask handed back to the agent's own prompt must reach a person, or it is a deny.
        if let (Decision::Ask, Some(mode)) = (decision, ctx.unattended.as_deref()) {
            decision = Decision::Deny;
            msg = format!(
                "{msg} (this needs a person's approval, and the agent runs in `{mode}` mode, where its own prompt would approve it by itself: denied; a person can approve it with `warden approvals`, or run the agent in its default mode)"
            );
        }
        let updated = match (decision, &policy) {
            (Decision::Modify, _) => verdict.updated_input(lowered.tool_input.as_ref()),
            (Decision::Allow, Ok(p)) => match codex_sandboxed(ctx, &lowered, p) {
                Ok(u) => u,
                Err(why) => {
                    decision = Decision::Deny;
                    msg = format!("{msg} ({why}: refused)");
                    None
                }
            },
            _ => None,
        };
        let rules: Vec<String> = verdict.rules.iter().map(|r| r.rule.clone()).collect();
        let skill = self.active_skill(ctx.session.as_deref());
        // Serialised straight from borrowed fields: no intermediate JSON tree on the hot path.
        let body = DecisionBody {
            event: &ctx.event,
            agent: &ctx.agent,
            subagent: ctx.subagent.as_deref(),
            tool_use_id: ctx.tool_use_id.as_deref(),
            tool: lowered.tool.as_deref(),
            decision,
            policy_decision: verdict.policy_decision,
            mode: verdict.mode,
            risk: verdict.risk,
            reason: &msg,
            rules: &rules,
            fingerprint: &fp,
            actions: &lowered.actions,
            grant: grant.as_deref(),
            approval: approval.as_deref(),
            updated_input: updated.as_ref(),
            skill: skill.as_deref(),
        };
        let rec = NewRecord::new(Kind::Decision, ctx.session.clone(), &body).unwrap_or(NewRecord {
            kind: Kind::Decision,
            session: ctx.session.clone(),
            body: "{}".into(),
        });
        let written = self.write(vec![rec], Vec::new()).await;
        if written.is_ok() {
            self.learn(ctx, &lowered, policy.as_ref().ok(), decision, penv);
        }
        match written {
            Ok(seqs) => Response::Answer(Answer {
                decision,
                policy_decision: verdict.policy_decision,
                message: msg,
                updated_input: updated,
                rules,
                seq: seqs.first().copied().unwrap_or(0),
                approval,
                grant,
                gated: true,
                nonce: None,
                context: None,
            }),
            Err(e) => Response::Error {
                message: format!("the decision could not be recorded, so it is refused: {e}"),
            },
        }
    }

    /// A call was decided (and the decision recorded): the engine learns from it (only allowed
    /// calls teach the baseline; a call not allowed is held until its result shows it ran).
    fn learn(
        &self,
        ctx: &Ctx,
        lowered: &Lowered,
        policy: Option<&Arc<Policy>>,
        decision: Decision,
        penv: &PathEnv,
    ) {
        if let Some(p) = policy {
            self.engine.learn(p, &ctx.call(lowered, penv), decision);
        }
        if !matches!(decision, Decision::Allow | Decision::Modify) {
            return;
        }
        self.note_skill(
            ctx.session.as_deref(),
            lowered.tool.as_deref(),
            lowered.tool_input.as_ref(),
        );
        if let Some(cmd) = lowered
            .tool_input
            .as_ref()
            .and_then(|i| i.get("command"))
            .and_then(Value::as_str)
        {
            self.state().remember_shell(
                ctx.session.clone(),
                ctx.tool_use_id.clone(),
                cmd,
                now_ms(),
            );
        }
    }

    /// Ask a human (or join the identical pending question): the approval id, the decision and
    /// a note on how it was reached.
    pub(crate) async fn ask_human(
        &self,
        ctx: &Ctx,
        lowered: &Lowered,
        verdict: &Verdict,
        fp: &str,
        pending: Option<&mpsc::Sender<Response>>,
    ) -> (String, Decision, String) {
        let key = (ctx.session.clone(), fp.to_string());
        let created_at = now_ms();
        let (id, mut rx, created, request) = {
            let mut st = self.state();
            match st.by_key.get(&key).and_then(|id| st.pending.get(id)) {
                Some(p) => (p.view.id.clone(), p.tx.subscribe(), false, Value::Null),
                None => {
                    let id = self.new_id();
                    let request = json!({
                        "agent": ctx.agent, "event": ctx.event, "session": ctx.session, "subagent": ctx.subagent,
                        "tool": lowered.tool, "tool_input": lowered.tool_input, "risk": verdict.risk,
                        "reason": verdict.reason, "guidance": verdict.guidance, "rules": verdict.rules,
                        "actions": lowered.actions,
                    });
                    let (tx, rx) = watch::channel(None);
                    st.pending.insert(
                        id.clone(),
                        Pending {
                            view: ApprovalView {
                                id: id.clone(),
                                status: "pending".into(),
                                session: ctx.session.clone(),
                                fingerprint: fp.to_string(),
                                created: warden_audit::format_time(created_at),
                                scope: None,
                                request: request.clone(),
                            },
                            tx,
                        },
                    );
                    st.by_key.insert(key.clone(), id.clone());
                    (id, rx, true, request)
                }
            }
        };
        if created {
            let rec = record(
                Kind::Approval,
                ctx.session.clone(),
                &json!({"op": "requested", "approval": id, "fingerprint": fp, "request": request}),
            );
            let op = StateOp::Approval {
                id: id.clone(),
                created: created_at,
                session: ctx.session.clone(),
                fingerprint: fp.to_string(),
                request: request.to_string(),
            };
            if let Err(e) = self.write(vec![rec], vec![op]).await {
                self.forget_pending(&id, &key);
                return (
                    id,
                    Decision::Deny,
                    format!("the approval could not be recorded: {e}"),
                );
            }
            tracing::info!(approval = %id, session = ?ctx.session, tool = ?lowered.tool, "approval requested");
            if let Some(n) = self.notifier.get() {
                n.approval_requested(&id, &request);
            }
        }
        let wait = self.config.approval_timeout;
        if let Some(tx) = pending {
            let _ = tx
                .send(Response::Pending {
                    approval: id.clone(),
                    wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                })
                .await;
        }
        let resolution = match tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await {
            Ok(Ok(r)) => r.clone(),
            _ => None,
        };
        match resolution {
            Some(Resolution {
                approve: true,
                scope,
                ..
            }) => (
                id,
                Decision::Allow,
                format!("approved by a human, scope {}", scope.as_str()),
            ),
            Some(Resolution {
                approve: false,
                note,
                ..
            }) => (
                id,
                Decision::Deny,
                note.map_or_else(
                    || "denied by a human".into(),
                    |n| format!("denied by a human: {n}"),
                ),
            ),
            None => {
                if created {
                    self.expire(&id, &key).await;
                }
                let d = self.config.on_approval_timeout;
                (
                    id,
                    d,
                    format!("no human answered within {} s", wait.as_secs()),
                )
            }
        }
    }

    fn forget_pending(&self, id: &str, key: &(Option<String>, String)) -> Option<Pending> {
        let mut st = self.state();
        st.by_key.remove(key);
        st.pending.remove(id)
    }

    async fn expire(&self, id: &str, key: &(Option<String>, String)) {
        let Some(p) = self.forget_pending(id, key) else {
            return;
        };
        let now = now_ms();
        let rec = record(
            Kind::Approval,
            p.view.session.clone(),
            &json!({"op": "expired", "approval": id}),
        );
        let op = StateOp::Answered {
            id: id.to_string(),
            status: "expired",
            scope: None,
            expires: None,
            time: now,
        };
        if let Err(e) = self.write(vec![rec], vec![op]).await {
            tracing::error!(approval = %id, error = %e, "cannot record an expired approval");
        }
        let mut view = p.view;
        view.status = "expired".into();
        self.keep_answered(view);
    }

    pub(crate) fn keep_answered(&self, view: ApprovalView) {
        let mut st = self.state();
        st.answered.push(view);
        if st.answered.len() > ANSWERED_KEPT {
            st.answered.remove(0);
        }
    }

    /// Approvals: pending ones, and with `all` the ones answered since the daemon started.
    pub fn approvals(&self, all: bool) -> Vec<ApprovalView> {
        let st = self.state();
        let mut out: Vec<ApprovalView> = st.pending.values().map(|p| p.view.clone()).collect();
        out.sort_by(|a, b| a.created.cmp(&b.created));
        if all {
            out.extend(st.answered.iter().cloned());
        }
        out
    }

    /// One approval by id.
    pub fn approval(&self, id: &str) -> Option<ApprovalView> {
        let st = self.state();
        st.pending
            .get(id)
            .map(|p| p.view.clone())
            .or_else(|| st.answered.iter().rev().find(|a| a.id == id).cloned())
    }

    /// Answer a pending approval; `by` names who answered (for the audit trail). A held
    /// configuration change is then approved (re-pinned) or restored.
    pub async fn answer(
        &self,
        id: &str,
        approve: bool,
        scope: Scope,
        expires: Option<Duration>,
        by: &str,
    ) -> Result<Value, String> {
        self.answer_noted(id, approve, scope, expires, by, None)
            .await
    }

    /// [`Self::answer`] with a note for the agent (given with a denial, and audited).
    pub async fn answer_noted(
        &self,
        id: &str,
        approve: bool,
        scope: Scope,
        expires: Option<Duration>,
        by: &str,
        note: Option<String>,
    ) -> Result<Value, String> {
        let v = self
            .answer_only(id, approve, scope, expires, by, note)
            .await?;
        self.config_answered(id, approve, by).await;
        Ok(v)
    }

    /// [`Self::answer`] without its effect on configuration pins.
    pub(crate) async fn answer_only(
        &self,
        id: &str,
        approve: bool,
        scope: Scope,
        expires: Option<Duration>,
        by: &str,
        note: Option<String>,
    ) -> Result<Value, String> {
        let view = self
            .state()
            .pending
            .get(id)
            .map(|p| p.view.clone())
            .ok_or_else(|| format!("no pending approval `{id}`"))?;
        let now = now_ms();
        let expires_at =
            expires.map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
        let status = if approve { "approved" } else { "denied" };
        let mut ops = vec![StateOp::Answered {
            id: id.to_string(),
            status,
            scope: Some(scope.as_str()),
            expires: expires_at,
            time: now,
        }];
        // A session grant needs a session: without one it would hold for every session.
        let sessionless = scope == Scope::Session && view.session.is_none();
        let grant = (approve && scope != Scope::Once && !sessionless).then(|| Grant {
            id: format!("g{}", self.new_id()),
            fingerprint: view.fingerprint.clone(),
            session: if scope == Scope::Session {
                view.session.clone()
            } else {
                None
            },
            expires: expires_at,
        });
        if let Some(g) = &grant {
            ops.push(StateOp::Grant {
                id: g.id.clone(),
                fingerprint: g.fingerprint.clone(),
                session: g.session.clone(),
                expires: g.expires,
                approval: id.to_string(),
                created: now,
            });
        }
        let body = json!({
            "op": "answered", "approval": id, "decision": if approve { "allow" } else { "deny" },
            "scope": scope, "expires": expires_at.map(warden_audit::format_time), "grant": grant.as_ref().map(|g| g.id.clone()),
            "by": by, "fingerprint": view.fingerprint,
        });
        let mut body = body;
        if let Some(n) = &note {
            body["note"] = json!(n);
        }
        let seqs = self
            .write(
                vec![record(Kind::Approval, view.session.clone(), &body)],
                ops,
            )
            .await?;
        let key = (view.session.clone(), view.fingerprint.clone());
        let p = self.forget_pending(id, &key);
        {
            let mut st = self.state();
            if !approve {
                st.denied.insert(key);
            }
            if let Some(g) = &grant {
                st.grants.push(g.clone());
            }
        }
        if let Some(p) = p {
            let _ = p.tx.send(Some(Resolution {
                approve,
                scope,
                grant: grant.as_ref().map(|g| g.id.clone()),
                note,
            }));
            let mut v = p.view;
            v.status = status.into();
            v.scope = Some(scope.as_str().into());
            self.keep_answered(v);
        }
        tracing::info!(approval = %id, status, scope = scope.as_str(), by, "approval answered");
        Ok(
            json!({"approval": id, "status": status, "scope": scope, "grant": grant.map(|g| g.id), "seq": seqs.first()}),
        )
    }

    /// Halt a session (or every session) or lift the halt; audited before it takes effect.
    pub async fn halt(
        &self,
        session: Option<String>,
        halt: bool,
        by: &str,
    ) -> Result<Value, String> {
        let now = now_ms();
        let op = if halt {
            StateOp::Halt {
                session: session.clone().unwrap_or_else(|| "*".into()),
                time: now,
            }
        } else {
            StateOp::Resume {
                session: session.clone(),
            }
        };
        let body = json!({"op": if halt { "halt" } else { "resume" }, "session": session.clone().unwrap_or_else(|| "*".into()), "by": by});
        let seqs = self
            .write(vec![record(Kind::Admin, session.clone(), &body)], vec![op])
            .await?;
        {
            let mut st = self.state();
            match (halt, &session) {
                (true, Some(s)) => {
                    st.halted.insert(s.clone());
                }
                (true, None) => st.halt_all = true,
                (false, Some(s)) => {
                    st.halted.remove(s);
                }
                (false, None) => {
                    st.halted.clear();
                    st.halt_all = false;
                }
            }
        }
        tracing::warn!(session = ?session, halt, by, "kill switch");
        Ok(
            json!({"op": if halt { "halt" } else { "resume" }, "session": session, "seq": seqs.first()}),
        )
    }

    fn witness_status(&self) -> Value {
        let w = warden_audit::Witness::new(&self.config.state_dir);
        json!({
            "file": w.file,
            "append_only": w.append_only(),
            "syslog": w.syslog,
            "extra": self.config.witness_file,
        })
    }

    /// The daemon's state for `warden status`.
    pub fn status(&self) -> Value {
        let st = self.state();
        let mut halted: Vec<&String> = st.halted.iter().collect();
        halted.sort();
        json!({
            "pid": std::process::id(),
            "protected": self.config.protected,
            "protection": self.config.protection(),
            "witness": self.witness_status(),
            "state_dir": self.config.state_dir,
            "socket": self.config.socket,
            "rules": self.policies.global().rule_count(),
            "halt_all": st.halt_all,
            "halted": halted,
            "pending_approvals": st.pending.len(),
            "config_integrity": self.guard.as_ref().map(crate::config::ConfigGuard::summary),
            "grants": st.grants.len(),
            "sessions_followed": self.engine.sessions(),
            "kernel_refusals": self.kernel_status(),
            "otlp": self.otlp.get().map(|s| crate::otlp::status_json(s)),
            "rebuilt_from_log": st.rebuilt,
            "baselines": self.engine.baselines(),
        })
    }
}

/// An allowed Codex shell command rewritten to run in the kernel sandbox (see
/// [`crate::codex_wrap`]), by this monitor's own binary.
fn codex_sandboxed(ctx: &Ctx, lowered: &Lowered, policy: &Policy) -> Result<Option<Value>, String> {
    if ctx.agent != "codex" {
        return Ok(None);
    }
    let call = crate::codex_wrap::CodexCall {
        agent: &ctx.agent,
        event: &ctx.event,
        unattended: ctx.unattended.as_deref(),
        tool: lowered.tool.as_deref(),
        input: lowered.tool_input.as_ref(),
        session: ctx.session.as_deref(),
        tool_use_id: ctx.tool_use_id.as_deref(),
    };
    crate::codex_wrap::sandboxed_input(
        &call,
        Decision::Allow,
        policy,
        crate::codex_wrap::own_binary(),
    )
}
