//! A read-only listing of the active rules, for the console and reports.

use serde::Serialize;

use crate::{Decision, Policy, Severity};

/// One active rule as shown to a person.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    /// The rule's id.
    pub id: String,
    /// The layer that defined it (`baseline`, `user`, `project`, `managed`).
    pub layer: &'static str,
    /// Its decision.
    pub decision: Decision,
    /// Its severity.
    pub severity: Severity,
    /// What it is for.
    pub description: String,
    /// Why it decides as it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Policy {
    /// Every active rule, in evaluation order.
    pub fn rule_summaries(&self) -> Vec<RuleSummary> {
        self.rules
            .iter()
            .map(|r| RuleSummary {
                id: r.id.clone(),
                layer: r.layer.as_str(),
                decision: r.decision,
                severity: r.severity,
                description: r.description.clone(),
                reason: r.reason.clone(),
            })
            .collect()
    }
}
