//! MCP calls through `warden mcp`: the proxy hands each `tools/call` to the monitor, which lowers
//! it, decides it with the session's facts (plus the proxy's `mcp_*` facts), records it and asks
//! a human when the policy says ask. Results come back as outside content for session analysis;
//! vetting findings and changed definitions are recorded as events.

use serde_json::{json, Value};
use tokio::sync::mpsc;
use warden_action::Actor;
use warden_adapters::Lowered;
use warden_audit::Kind;
use warden_policy::SessionFacts;

use crate::daemon::{clip, path_env, record, Ctx, Daemon};
use crate::proto::{ClientEnv, Response};

/// The agent name MCP proxy events are recorded under.
pub const MCP_AGENT: &str = "mcp";

/// The text of an MCP tool result, as the model reads it: every text item, resource text and
/// the structured content.
pub fn result_text(result: &Value) -> String {
    let mut out = String::new();
    if let Some(items) = result.get("content").and_then(Value::as_array) {
        for item in items {
            let text = item.get("text").and_then(Value::as_str).or_else(|| {
                item.get("resource")
                    .and_then(|r| r.get("text"))
                    .and_then(Value::as_str)
            });
            if let Some(t) = text {
                out.push_str(t);
                out.push('\n');
            }
        }
    }
    if let Some(s) = result.get("structuredContent").filter(|v| !v.is_null()) {
        out.push_str(&s.to_string());
    }
    out
}

/// One MCP call to decide.
pub struct McpCall {
    /// The session it belongs to.
    pub session: Option<String>,
    /// The server's name.
    pub server: String,
    /// The tool's name.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// The tool's annotations from the server's list.
    pub annotations: Option<Value>,
    /// The proxy's facts.
    pub facts: SessionFacts,
    /// The proxy's environment.
    pub env: ClientEnv,
}

impl Daemon {
    /// Decide an MCP tool call; `pending` receives the approval notice when a human is asked.
    pub async fn mcp_call(
        &self,
        mut call: McpCall,
        pending: Option<&mpsc::Sender<Response>>,
    ) -> Response {
        // The proxy speaks only for what it vetted: facts of the session analysis are the
        // monitor's own and cannot be supplied.
        call.facts.retain(|k, _| k.starts_with("mcp_"));
        let session = self.state().root(call.session.as_deref());
        let penv = path_env(&call.env, None);
        let mut actions = warden_adapters::tools::lower_mcp_call(
            &call.server,
            &call.tool,
            &call.args,
            call.annotations.as_ref(),
            &penv,
        );
        for a in &mut actions {
            a.actor = Actor {
                agent: Some(MCP_AGENT.into()),
                session: session.clone(),
                subagent: None,
            };
            a.normalize(&penv);
        }
        let lowered = Lowered {
            actions,
            tool: Some(format!("mcp__{}__{}", call.server, call.tool)),
            tool_input: Some(call.args),
        };
        let ctx = Ctx {
            agent: MCP_AGENT.into(),
            event: "McpCall".into(),
            session,
            subagent: None,
            tool_use_id: None,
            unattended: None,
            at_ms: crate::daemon::now_u64(),
        };
        let policy = self.policies.for_workspace(penv.workspace.as_deref());
        self.gate_with(&ctx, Ok(lowered), policy, pending, &call.facts, &penv)
            .await
    }

    /// Record an MCP tool result and read it into the session as outside content.
    pub async fn mcp_result(
        &self,
        session: Option<String>,
        server: &str,
        tool: &str,
        content: &Value,
        findings: &[Value],
    ) -> Result<Value, String> {
        let session = self.state().root(session.as_deref());
        if let Some(id) = session.clone() {
            let text = result_text(content);
            self.engine.result(&id, None, Some(&text));
        }
        let body = json!({
            "event": "McpResult", "agent": MCP_AGENT, "server": server, "tool": mcp_tool(server, tool),
            "tool_response": clip(content, 16384), "findings": findings,
        });
        let seq = self.audit(Kind::Event, session, body).await?;
        Ok(json!({ "seq": seq }))
    }

    /// Record something the MCP proxy saw (vetting findings, changed definitions).
    pub async fn mcp_event(
        &self,
        session: Option<String>,
        server: &str,
        event: &str,
        body: &Value,
    ) -> Result<Value, String> {
        let session = self.state().root(session.as_deref());
        let rec = json!({
            "event": format!("Mcp{}", capitalise(event)), "agent": MCP_AGENT, "server": server,
            "details": clip(body, 16384),
        });
        let seqs = self
            .write(vec![record(Kind::Event, session, &rec)], Vec::new())
            .await?;
        Ok(json!({ "seq": seqs.first() }))
    }
}

/// The name MCP tools go by in rules and records: `mcp__<server>__<tool>`.
fn mcp_tool(server: &str, tool: &str) -> String {
    format!("mcp__{server}__{tool}")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn result_text_reads_what_the_model_reads() {
        let r = json!({"content": [
            {"type": "text", "text": "one"},
            {"type": "image", "data": "AAAA", "mimeType": "image/png"},
            {"type": "resource", "resource": {"uri": "file:///x", "text": "two"}}
        ], "structuredContent": {"k": "v"}});
        assert_eq!(result_text(&r), "one\ntwo\n{\"k\":\"v\"}");
        assert_eq!(capitalise("vetted"), "Vetted");
    }
}
