//! Deciding one `tools/call`: through the monitor when it runs (audit, approvals, session
//! state), else with the local policy when the proxy was told to (`--fallback local`), else
//! denied with the reason. Nothing here ever turns a failure into an allow.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use warden_action::{Actor, PathEnv};
use warden_daemon::proto::{Answer, ClientEnv, Request, Response};
use warden_policy::{Decision, Policy, SessionFacts};

use crate::monitor::{Monitor, MonitorError};

/// What to do when the monitor cannot answer.
#[derive(Debug, Clone)]
pub enum Fallback {
    /// Deny every call, saying the monitor is down.
    Block,
    /// Decide with this policy (ask becomes deny: nobody can be asked).
    Local(LocalPolicy),
}

/// A loader of the local policy.
type Loader = dyn Fn() -> Result<Policy, String> + Send + Sync;

/// The local policy, compiled on first use: a proxy whose monitor answers never pays the
/// memory and time of compiling it.
#[derive(Clone)]
pub struct LocalPolicy {
    cell: Arc<OnceLock<Result<Arc<Policy>, String>>>,
    load: Arc<Loader>,
}

impl std::fmt::Debug for LocalPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.cell.get().is_some() {
            "LocalPolicy(loaded)"
        } else {
            "LocalPolicy(not loaded)"
        })
    }
}

impl LocalPolicy {
    /// A policy already compiled.
    pub fn new(policy: Policy) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(Arc::new(policy)));
        LocalPolicy {
            cell: Arc::new(cell),
            load: Arc::new(|| Err("unreachable: the policy is loaded".to_string())),
        }
    }

    /// A policy `load` compiles when first needed.
    pub fn lazy(load: impl Fn() -> Result<Policy, String> + Send + Sync + 'static) -> Self {
        LocalPolicy {
            cell: Arc::new(OnceLock::new()),
            load: Arc::new(load),
        }
    }

    /// The policy, compiling it now if needed; why not when it does not load.
    pub fn get(&self) -> Result<Arc<Policy>, String> {
        self.cell
            .get_or_init(|| (self.load)().map(Arc::new))
            .clone()
    }
}

/// How long a monitor that refused a connection is not asked again: calls in that window are
/// decided by the fallback without paying for a failed connect each.
const MONITOR_RETRY: Duration = Duration::from_secs(1);

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// The monitor.
    Monitor,
    /// The local policy (the monitor was unreachable).
    Local,
    /// Nobody: the monitor was unreachable and no fallback was allowed.
    Blocked,
}

/// The decision on one call.
#[derive(Debug, Clone)]
pub struct GateAnswer {
    /// Allow, deny or modify (ask is resolved: a human answered, or it became deny).
    pub decision: Decision,
    /// The text for the model: reason, rules, guidance.
    pub message: String,
    /// The rewritten arguments, for modify.
    pub updated_args: Option<Value>,
    /// The rules that fired.
    pub rules: Vec<String>,
    /// Whether a human approved it (an approval or a grant).
    pub human_approved: bool,
    /// Who decided.
    pub by: DecidedBy,
    /// How long the decision took.
    pub took: Duration,
}

/// One call to decide.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The server's name.
    pub server: &'a str,
    /// The tool.
    pub tool: &'a str,
    /// Its arguments.
    pub args: &'a Value,
    /// The tool's annotations from the latest list.
    pub annotations: Option<&'a Value>,
    /// The proxy's facts (`mcp_*`).
    pub facts: &'a SessionFacts,
}

/// Local decisions so far in this process (their ids).
static LOCAL_CALLS: AtomicU64 = AtomicU64::new(0);

/// The gate of one proxied session.
#[derive(Debug)]
pub struct Gate {
    /// The monitor, if one is expected.
    pub monitor: Option<Monitor>,
    /// What to do without it.
    pub fallback: Fallback,
    /// The session id calls are recorded under.
    pub session: String,
    /// The environment sent to the monitor.
    pub env: ClientEnv,
    /// The path environment of local decisions.
    pub path_env: PathEnv,
    /// Where local decisions are spooled for the monitor, if anywhere.
    pub spool_dir: Option<PathBuf>,
    /// Until when the monitor is taken to be down (it refused a connection).
    pub down_until: Mutex<Option<Instant>>,
}

impl Gate {
    /// Decide `call`; `local` is the proxy's own decision engine for a local decision (the
    /// monitor runs the same engine on its own state).
    pub async fn decide(&self, call: &Call<'_>, local: &warden_engine::Engine) -> GateAnswer {
        let start = Instant::now();
        let mut unreachable = None;
        let down = self.monitor_down();
        if down {
            unreachable = Some(MonitorError::Unreachable(
                self.monitor
                    .as_ref()
                    .map(|m| m.socket().display().to_string())
                    .unwrap_or_default(),
                "it refused a connection less than a second ago".into(),
            ));
        }
        if let Some(m) = self.monitor.as_ref().filter(|_| !down) {
            let req = Request::McpCall {
                session: Some(self.session.clone()),
                server: call.server.to_string(),
                tool: call.tool.to_string(),
                args: call.args.clone(),
                annotations: call.annotations.cloned(),
                facts: call.facts.clone(),
                env: self.env.clone(),
            };
            let server = call.server.to_string();
            let tool = call.tool.to_string();
            let answer = m
                .call(&req, |id, wait| {
                    eprintln!(
                        "warden mcp [{server}]: `{tool}` waits up to {} s for a human: `warden approvals approve {id}` or `warden approvals deny {id}`",
                        wait / 1000
                    );
                })
                .await;
            match answer {
                Ok(Response::Answer(a)) => return from_answer(a, start),
                Ok(Response::Error { message }) => {
                    return refuse(
                        format!("Warden: the monitor refused to decide this call: {message}"),
                        DecidedBy::Monitor,
                        start,
                    )
                }
                Ok(other) => {
                    unreachable = Some(MonitorError::Broken(format!("unexpected answer {other:?}")))
                }
                Err(e) => {
                    if matches!(e, MonitorError::Unreachable(..)) {
                        if let Ok(mut d) = self.down_until.lock() {
                            *d = Some(Instant::now() + MONITOR_RETRY);
                        }
                    }
                    unreachable = Some(e);
                }
            }
        }
        let why = unreachable
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no monitor is configured".into());
        match &self.fallback {
            Fallback::Block => refuse(
                format!(
                    "Warden: this MCP call was blocked because the Warden monitor is not available ({why}). \
                     Nothing runs unchecked: ask the user to start it with `warden serve`, or to run the proxy \
                     with `--fallback local` to decide with the local policy."
                ),
                DecidedBy::Blocked,
                start,
            ),
            Fallback::Local(policy) => match policy.get() {
                Ok(policy) => {
                    let answer = self.local(&policy, call, local, start);
                    self.spool(call, &answer, &why);
                    answer
                }
                Err(e) => refuse(
                    format!("Warden: this MCP call was blocked: the monitor is not available ({why}) and the local policy does not load: {e}"),
                    DecidedBy::Blocked,
                    start,
                ),
            },
        }
    }

    /// Whether the monitor refused a connection within the last second.
    pub fn monitor_down(&self) -> bool {
        self.down_until
            .lock()
            .ok()
            .and_then(|d| *d)
            .is_some_and(|t| Instant::now() < t)
    }

    fn local(
        &self,
        policy: &Policy,
        call: &Call<'_>,
        engine: &warden_engine::Engine,
        start: Instant,
    ) -> GateAnswer {
        let mut actions = warden_adapters::tools::lower_mcp_call(
            call.server,
            call.tool,
            call.args,
            call.annotations,
            &self.path_env,
        );
        for a in &mut actions {
            a.actor = Actor {
                agent: Some(warden_daemon::mcp::MCP_AGENT.into()),
                session: Some(self.session.clone()),
                subagent: None,
            };
            a.normalize(&self.path_env);
        }
        // Lowered as the monitor lowers an MCP call, and decided by the same engine.
        let mut lowered = warden_adapters::Lowered {
            actions,
            tool: Some(format!("mcp__{}__{}", call.server, call.tool)),
            tool_input: Some(call.args.clone()),
        };
        warden_engine::Engine::classify(policy, &mut lowered);
        // Each call its own id: a refused call is held, not taken as run.
        let use_id = format!("local-{}", LOCAL_CALLS.fetch_add(1, Ordering::Relaxed));
        let at_ms = u64::try_from(warden_audit::now_ms()).unwrap_or(0);
        let decided = warden_engine::Call {
            session: Some(&self.session),
            tool_use_id: Some(&use_id),
            at_ms,
            lowered: &lowered,
            env: &self.path_env,
        };
        let verdict = engine.gate(policy, &decided, call.facts).verdict;
        engine.learn(policy, &decided, verdict.decision);
        let mut message = warden_daemon::message(&verdict);
        let decision = match verdict.decision {
            Decision::Ask => {
                message.push_str(
                    " (a human must approve this call, but the Warden monitor is not running, so nobody can be asked: denied)",
                );
                Decision::Deny
            }
            d => d,
        };
        GateAnswer {
            decision,
            updated_args: verdict.updated_input(Some(call.args)),
            message,
            rules: verdict.rules.iter().map(|r| r.rule.clone()).collect(),
            human_approved: false,
            by: DecidedBy::Local,
            took: start.elapsed(),
        }
    }

    /// Leave a local decision in the spool for the monitor to record when it starts.
    fn spool(&self, call: &Call<'_>, a: &GateAnswer, why: &str) {
        let Some(dir) = &self.spool_dir else {
            return;
        };
        let entry = json!({
            "time": warden_audit::format_time(warden_audit::now_ms()),
            "agent": warden_daemon::mcp::MCP_AGENT, "session": self.session, "event": "McpCall",
            "tool": format!("mcp__{}__{}", call.server, call.tool), "tool_input": call.args,
            "facts": call.facts, "decision": a.decision, "rules": a.rules, "reason": a.message,
            "monitor": why,
        });
        if let Err(e) = write_spool(dir, &entry) {
            eprintln!(
                "warden mcp [{}]: cannot spool a local decision: {e}",
                call.server
            );
        }
    }
}

fn write_spool(dir: &std::path::Path, entry: &Value) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("{nanos}-{}-mcp.jsonl", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    f.write_all(&line)
}

fn from_answer(a: Answer, start: Instant) -> GateAnswer {
    let human_approved =
        a.decision == Decision::Allow && (a.approval.is_some() || a.grant.is_some());
    let decision = match a.decision {
        // The monitor resolves ask when approvals are on; when they are off it hands ask back
        // for the agent's own prompt, which an MCP client does not have: refuse.
        Decision::Ask => Decision::Deny,
        d => d,
    };
    let mut message = a.message;
    if a.decision == Decision::Ask {
        message.push_str(
            " (a human must approve this call and the monitor does not hold approvals: denied)",
        );
    }
    GateAnswer {
        decision,
        message,
        updated_args: a.updated_input,
        rules: a.rules,
        human_approved,
        by: DecidedBy::Monitor,
        took: start.elapsed(),
    }
}

fn refuse(message: String, by: DecidedBy, start: Instant) -> GateAnswer {
    GateAnswer {
        decision: Decision::Deny,
        message,
        updated_args: None,
        rules: Vec::new(),
        human_approved: false,
        by,
        took: start.elapsed(),
    }
}
