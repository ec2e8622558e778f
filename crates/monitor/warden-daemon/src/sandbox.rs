//! Reports from the kernel sandbox (`warden exec`): what a command's sandbox refused is recorded
//! in the audit chain under the call's session and tool_use_id, and becomes the session's
//! `sandbox_denied` fact, so a call whose observed effects went beyond what the analysis
//! allowed raises the session's risk for later rules.

use serde_json::{json, Value};
use warden_audit::Kind;

use crate::daemon::{clip, record, Daemon};

/// The agent name sandbox reports are recorded under.
pub const SANDBOX_AGENT: &str = "sandbox";

/// Most refusals taken from one report.
const MAX_DENIED: usize = 64;

impl Daemon {
    /// Record one command's sandbox report; refusals become the `sandbox_denied` fact.
    pub async fn sandbox_report(
        &self,
        session: Option<String>,
        tool_use_id: Option<String>,
        denied: &[String],
        report: &Value,
    ) -> Result<Value, String> {
        let denied: Vec<String> = denied
            .iter()
            .take(MAX_DENIED)
            .map(|d| d.chars().take(512).collect())
            .collect();
        let session = {
            let mut st = self.state();
            let root = st.root(session.as_deref());
            if let Some(id) = &root {
                if !denied.is_empty() {
                    st.session_mut(id.clone()).record_sandbox_denied(&denied);
                }
            }
            root
        };
        let event = if denied.is_empty() {
            "SandboxRan"
        } else {
            "SandboxDenied"
        };
        let rec = json!({
            "event": event, "agent": SANDBOX_AGENT, "tool_use_id": tool_use_id,
            "denied": denied, "details": clip(report, 16384),
        });
        let seqs = self
            .write(vec![record(Kind::Event, session, &rec)], Vec::new())
            .await?;
        Ok(json!({ "seq": seqs.first() }))
    }
}
