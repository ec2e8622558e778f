//! Decisions, severities and modes, ordered so that combining is `max()`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use warden_action::Decision;

/// How bad it is when a rule's target happens; feeds the risk score.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    #[default]
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The weight of this severity in the risk score, in `[0, 1]`.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Info => 0.05,
            Severity::Low => 0.2,
            Severity::Medium => 0.5,
            Severity::High => 0.8,
            Severity::Critical => 0.95,
        }
    }
}

/// Whether a policy's decisions are enforced.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Record actions only; every action is allowed and no rule is reported as enforced.
    Record,
    /// Decide and log, but allow: for trying a policy out.
    Shadow,
    /// Decide and enforce.
    #[default]
    Enforce,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_is_max() {
        let all = [
            Decision::Allow,
            Decision::Deny,
            Decision::Modify,
            Decision::Ask,
        ];
        assert_eq!(all.iter().copied().max(), Some(Decision::Deny));
        assert!(Decision::Ask > Decision::Modify && Decision::Modify > Decision::Allow);
        assert!(Mode::Enforce > Mode::Shadow && Mode::Shadow > Mode::Record);
    }
}
