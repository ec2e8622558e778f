//! Warden's policy language and gate.
//!
//! Policy files (YAML) are parsed into [`spec`] types, layered (baseline < user < project <
//! managed), compiled once into indexed matchers, and evaluated by [`Policy::evaluate`]: strictest
//! decision wins, and the [`Verdict`] names every rule that fired and the facts behind it.
//! This crate knows the action model and nothing of adapters, daemons or front ends.

mod compile;
mod decision;
mod error;
mod gate;
mod guide;
mod hints;
mod layers;
mod locate;
mod overlap;
mod selftest;
pub mod spec;

pub use compile::Policy;
pub use decision::{Decision, Mode, Severity};
pub use error::{PolicyError, PolicyErrors};
pub use gate::{Modification, RuleMatch, SessionFacts, Verdict};
pub use guide::GUIDE_MAX_CHARS;
pub use hints::{PathRule, SandboxSettings};
pub use layers::{Layer, PolicySource, BASELINE_YAML};
pub use selftest::{test_env, TestFailure, TestReport, TEST_HOME, TEST_WORKSPACE};
pub use spec::{MissingLayer, SandboxMode, ToolSpec};

/// The JSON Schema of the policy file format, for editors.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(spec::PolicyFile)).unwrap_or_default()
}
