//! Reports from the kernel sandbox (`warden exec`), and what the kernel itself logged.
//!
//! A report names the call (session and tool_use_id, or the command line, matched against the
//! allowed shell calls), the layers in force, the egress proxy's refusals, and the sandboxed
//! child's pid. The kernel's audit log (read by [`warden_sandbox::LandlockLog`] when the
//! monitor may read it) names what Landlock refused in the domain that pid created: once the
//! domain ends, each refused open, write, exec is recorded in the audit chain under the call
//! and becomes the session's `sandbox_denied` fact, so a call whose observed effects went
//! beyond what the analysis allowed raises the session's risk for later rules. A report cannot
//! hide a refusal: only the kernel writes those records. `warden exec` names its child when the
//! child starts, before the command can do anything; refusals of domains no report named (other
//! Landlock users of the machine) are left to the kernel's own audit log.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use warden_audit::{now_ms, Kind};
use warden_sandbox::{LandlockLog, Observed};

use crate::daemon::{clip, record, Daemon};
use crate::proto::EgressQuestion;

/// The agent name sandbox reports are recorded under.
pub const SANDBOX_AGENT: &str = "sandbox";

/// Most refusals taken from one report.
const MAX_DENIED: usize = 64;

/// How often the kernel's records of ended sandboxes are taken into the audit chain.
const SWEEP: Duration = Duration::from_millis(500);
/// How long after a sandbox ended its records are taken (its `warden exec` report, sent when
/// the command started, has arrived by then).
const GRACE: Duration = Duration::from_secs(1);

/// A sandbox report, as received.
pub struct SandboxReport {
    /// The session the client named.
    pub session: Option<String>,
    /// The tool call the client named.
    pub tool_use_id: Option<String>,
    /// What the proxy refused, in words.
    pub denied: Vec<String>,
    /// The report (layers, egress, exit code, pid, command).
    pub report: Value,
}

impl Daemon {
    /// Start reading the kernel's Landlock records; say why not when it cannot. A monitor
    /// that cannot read them still runs: the sandbox still refuses, only the record of each
    /// refusal is missing, and `warden status` / `warden doctor` say so.
    pub fn start_kernel_log(self: &Arc<Self>) {
        let log = LandlockLog::start(self.config.kernel_audit).map_err(|e| e.to_string());
        match &log {
            Ok(_) => tracing::info!("reading the kernel's record of sandbox refusals"),
            Err(e) => {
                tracing::warn!("refused file accesses inside the sandbox are not observed: {e}")
            }
        }
        if let Ok(l) = &log {
            let d = self.clone();
            let l = l.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(SWEEP).await;
                    for (pid, program, obs) in l.unclaimed(GRACE) {
                        // Only the sandboxes reported to this monitor: other Landlock users of
                        // the machine (and other monitors' sandboxes) are not its business.
                        let Some((session, tool_use_id)) =
                            pid.and_then(|p| d.state().sandbox_call(p))
                        else {
                            continue;
                        };
                        let body = json!({"pid": pid, "program": program});
                        if let Err(e) = d.observed(session, tool_use_id, &body, obs).await {
                            tracing::error!("cannot record what the sandbox refused: {e}");
                        }
                    }
                }
            });
        }
        let _ = self.kernel.set(log);
    }

    /// For `warden status`: whether the kernel's refusals are observed.
    pub(crate) fn kernel_status(&self) -> Value {
        match self.kernel.get() {
            Some(Ok(_)) => json!("observed (kernel audit log)"),
            Some(Err(e)) => json!(format!("not observed: {e}")),
            None => json!("not started"),
        }
    }

    /// Record one command's sandbox report; refusals become the `sandbox_denied` fact, and the
    /// kernel's own refusals follow as a second record when it logs them.
    pub async fn sandbox_report(self: &Arc<Self>, r: SandboxReport) -> Result<Value, String> {
        let denied: Vec<String> = r
            .denied
            .iter()
            .take(MAX_DENIED)
            .map(|d| d.chars().take(512).collect())
            .collect();
        let ran = r
            .report
            .get("command")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let pid = r
            .report
            .get("pid")
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok());
        let (session, tool_use_id, attributed) = {
            let mut st = self.state();
            let earlier = pid.and_then(|p| st.sandbox_call(p));
            let known = earlier.is_some();
            let (session, tool_use_id, attributed) = if let Some((s, t)) = earlier {
                (s, t, "earlier report")
            } else if r.tool_use_id.is_none() {
                // A shell prefix names at most the session: the call is found by its command.
                match st.claim_shell(&ran, now_ms(), r.session.as_deref()) {
                    Some(c) => (c.session, c.tool_use_id, "command"),
                    None => (r.session.clone(), None, "client"),
                }
            } else {
                (r.session.clone(), r.tool_use_id.clone(), "client")
            };
            let root = st.root(session.as_deref());
            if let (Some(p), false) = (pid, known) {
                st.remember_sandbox_call(p, root.clone(), tool_use_id.clone());
            }
            (root, tool_use_id, attributed)
        };
        if let (Some(id), false) = (&session, denied.is_empty()) {
            self.engine
                .with_session(id, |s| s.record_sandbox_denied(&denied));
        }
        let started = r.report.get("phase").and_then(Value::as_str) == Some("started");
        let event = match (denied.is_empty(), started) {
            (false, _) => "SandboxDenied",
            (true, true) => "SandboxStarted",
            (true, false) => "SandboxRan",
        };
        let rec = json!({
            "event": event, "agent": SANDBOX_AGENT, "tool_use_id": tool_use_id,
            "attributed_by": attributed, "denied": denied, "details": clip(&r.report, 16384),
        });
        let seqs = self
            .write(vec![record(Kind::Event, session.clone(), &rec)], Vec::new())
            .await?;
        Ok(json!({ "seq": seqs.first() }))
    }

    /// Record what the kernel refused in one ended sandbox, under the call it belongs to.
    async fn observed(
        &self,
        session: Option<String>,
        tool_use_id: Option<String>,
        what: &Value,
        obs: Observed,
    ) -> Result<(), String> {
        let words: Vec<String> = obs
            .refusals
            .iter()
            .take(MAX_DENIED)
            .map(|r| r.describe().chars().take(512).collect())
            .collect();
        if let Some(id) = &session {
            self.engine
                .with_session(id, |s| s.record_sandbox_denied(&words));
        }
        let rec = json!({
            "event": "SandboxObserved", "agent": SANDBOX_AGENT, "tool_use_id": tool_use_id,
            "denied": words, "refusals": obs.refusals, "dropped": obs.dropped,
            "complete": obs.complete, "details": clip(what, 4096),
        });
        self.write(vec![record(Kind::Event, session, &rec)], Vec::new())
            .await
            .map(|_| ())
    }
}

impl Daemon {
    /// Hold the question for a person (a grant from an earlier "for the session" or "always"
    /// answer, or an earlier denial in the session, answers it at once), and record the answer.
    /// Nobody to ask (approvals off) or nobody answering in time: deny.
    pub async fn sandbox_egress(
        self: &Arc<Self>,
        q: EgressQuestion,
        pending: &tokio::sync::mpsc::Sender<crate::proto::Response>,
    ) -> crate::proto::Response {
        use warden_action::{Action, NetworkAction, Operation};
        use warden_policy::{Decision, Verdict};
        let (session, tool_use_id) = {
            let st = self.state();
            match q.pid.and_then(|p| st.sandbox_call(p)) {
                Some(call) => call,
                None => (st.root(q.session.as_deref()), q.tool_use_id.clone()),
            }
        };
        let host: String = q.host.chars().take(253).collect();
        let action = Action::new(Operation::Network(NetworkAction {
            method: Some("CONNECT".into()),
            url: None,
            host: host.clone(),
            port: Some(q.port),
            scheme: Some("tcp".into()),
            sends_local_data: false,
        }));
        let lowered = warden_adapters::Lowered {
            actions: vec![action],
            tool: Some(EGRESS_TOOL.into()),
            tool_input: Some(json!({"host": host, "port": q.port})),
        };
        let reason = format!(
            "a sandboxed command wants to reach `{host}:{}`, which is on none of the policy's host lists ({})",
            q.port, q.reason
        );
        let verdict = Verdict::failed(Decision::Ask, reason.clone());
        let fp = crate::daemon::fingerprint(lowered.tool.as_deref(), &lowered.actions);
        let ctx = crate::daemon::Ctx {
            agent: SANDBOX_AGENT.into(),
            event: "SandboxEgress".into(),
            session: session.clone(),
            subagent: None,
            tool_use_id: tool_use_id.clone(),
            unattended: None,
            at_ms: crate::daemon::now_u64(),
        };
        let (grant, denied) = {
            let st = self.state();
            (
                st.grant_for(session.as_deref(), &fp, now_ms()),
                st.denied.contains(&(session.clone(), fp.clone())),
            )
        };
        let (decision, note, approval) = if let Some(g) = grant {
            (
                Decision::Allow,
                format!("approved earlier: grant {g}"),
                None,
            )
        } else if denied {
            (
                Decision::Deny,
                "a person already denied it in this session".into(),
                None,
            )
        } else if self.config.approvals {
            let (id, d, m) = self
                .ask_human(&ctx, &lowered, &verdict, &fp, Some(pending))
                .await;
            (d, m, Some(id))
        } else {
            (
                Decision::Deny,
                "approvals are off: nobody can be asked".into(),
                None,
            )
        };
        // Only a person's yes lets it through; any other outcome refuses.
        let decision = if decision == Decision::Allow {
            Decision::Allow
        } else {
            Decision::Deny
        };
        let message = format!("{reason}: {note}");
        let rec = json!({
            "event": "SandboxEgress", "agent": SANDBOX_AGENT, "tool_use_id": tool_use_id,
            "tool": EGRESS_TOOL, "decision": decision, "reason": message, "rules": [],
            "fingerprint": fp, "actions": lowered.actions, "approval": approval,
        });
        match self
            .write(vec![record(Kind::Decision, session, &rec)], Vec::new())
            .await
        {
            Ok(seqs) => crate::proto::Response::Answer(crate::proto::Answer {
                decision,
                policy_decision: Decision::Ask,
                message,
                updated_input: None,
                rules: Vec::new(),
                seq: seqs.first().copied().unwrap_or(0),
                approval,
                grant: None,
                gated: true,
                nonce: None,
                context: None,
            }),
            Err(e) => crate::proto::Response::Error {
                message: format!("the answer could not be recorded, so it is refused: {e}"),
            },
        }
    }
}

/// The tool name egress questions are recorded and approved under.
pub const EGRESS_TOOL: &str = "sandbox-egress";
