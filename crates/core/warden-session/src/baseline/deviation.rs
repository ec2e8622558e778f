//! The deviation of a batch: its flags, its reasons, and how their weights combine into a score.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MAX_REASONS;

/// How far a batch of actions strays from its profile, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deviation {
    /// 0.0 (usual) to 1.0 (never seen anything like it): the noisy-or of the reasons' weights.
    pub score: f64,
    /// Why, one line each (`first_host: evil.example`), strongest signals first in batch order.
    pub reasons: Vec<String>,
    /// Whether the profile had enough history for novelty to count.
    pub mature: bool,
    /// A host never contacted before (and not a registry, forge or loopback host).
    pub first_host: bool,
    /// Deletes well above the usual per-minute rate (build and cache directories weigh little).
    pub delete_burst: bool,
    /// A credential file read for the first time by this profile (once per file).
    pub first_credential_read: bool,
    /// Any credential file read, first or not.
    pub credential_read: bool,
    /// A program never run before (common shell and dev tools excepted).
    pub new_program: bool,
    /// A tool, MCP tool or rare action kind (message, agent spawn, config, extension) never used.
    pub unusual_tool: bool,
    /// A write or delete in a directory outside the workspace never touched before.
    pub new_path_area: bool,
    /// Writes or network requests well above the usual per-minute rate.
    pub rate_burst: bool,
}

impl Deviation {
    /// The deviation as session facts rules can match (`baseline_score`, `first_host`, ...).
    pub fn facts(&self) -> BTreeMap<String, Value> {
        let mut f = BTreeMap::new();
        let score = serde_json::Number::from_f64(self.score).map_or(Value::Null, Value::Number);
        f.insert("baseline_score".into(), score);
        f.insert(
            "baseline_reasons".into(),
            Value::Array(self.reasons.iter().cloned().map(Value::String).collect()),
        );
        let flags = [
            ("baseline_mature", self.mature),
            ("first_host", self.first_host),
            ("delete_burst", self.delete_burst),
            ("first_credential_read", self.first_credential_read),
            ("credential_read", self.credential_read),
            ("new_program", self.new_program),
            ("unusual_tool", self.unusual_tool),
            ("new_path_area", self.new_path_area),
            ("rate_burst", self.rate_burst),
        ];
        for (name, on) in flags {
            f.insert(name.into(), Value::Bool(on));
        }
        f
    }
}

/// Collects reasons and combines their weights.
pub(super) struct Acc {
    /// The deviation being built.
    pub(super) dev: Deviation,
    /// Product of (1 - weight): the chance nothing is wrong, for the noisy-or.
    keep: f64,
    /// Whether a delete burst fired.
    pub(super) delete_burst: bool,
    /// Whether a write or network burst fired.
    pub(super) rate_burst: bool,
}

impl Acc {
    /// Nothing flagged yet.
    pub(super) fn new(mature: bool) -> Self {
        Self {
            dev: Deviation {
                mature,
                ..Deviation::default()
            },
            keep: 1.0,
            delete_burst: false,
            rate_burst: false,
        }
    }

    /// Add a reason of `weight` (built only when new: the hot path allocates nothing).
    pub(super) fn add(&mut self, weight: f64, reason: impl FnOnce() -> String) {
        let r = reason();
        // The same new host twice in one batch is one deviation, not two.
        if self.dev.reasons.contains(&r) {
            return;
        }
        self.keep *= 1.0 - weight.clamp(0.0, 1.0);
        if self.dev.reasons.len() < MAX_REASONS {
            self.dev.reasons.push(r);
        }
    }

    /// Add an unusual tool or action kind.
    pub(super) fn unusual_tool(&mut self, weight: f64, reason: impl FnOnce() -> String) {
        self.dev.unusual_tool = true;
        self.add(weight, reason);
    }

    /// The deviation, score rounded to three decimals so facts and logs are stable.
    pub(super) fn finish(mut self) -> Deviation {
        self.dev.delete_burst = self.delete_burst;
        self.dev.rate_burst = self.rate_burst;
        self.dev.score = ((1.0 - self.keep) * 1000.0).round() / 1000.0;
        self.dev.score = self.dev.score.clamp(0.0, 1.0);
        self.dev
    }
}
