//! Warden's policy language and gate.
//!
//! Policy files (YAML) are parsed into [`spec`] types, layered (baseline < user < project <
//! managed), compiled once into indexed matchers, and evaluated by [`Policy::evaluate`]: strictest
//! decision wins, and the [`Verdict`] names every rule that fired and the facts behind it.
//! This crate knows the action model and nothing of adapters, daemons or front ends.

mod compile;
mod decision;
mod error;
mod facts;
mod gate;
mod guide;
mod hints;
mod integrity;
mod layers;
mod listing;
mod locate;
mod overlap;
mod selftest;
pub mod spec;

pub use compile::Policy;
pub use decision::{Decision, Mode, Severity};
pub use error::{PolicyError, PolicyErrors};
pub use facts::{fact_info, FactInfo, FactType, FACTS};
pub use gate::{Modification, RuleMatch, SessionFacts, Verdict};
pub use guide::GUIDE_MAX_CHARS;
pub use hints::{PathRule, SandboxSettings};
pub use integrity::{ConfigClass, ConfigIntegrity, ConfigIntegritySpec, IntegrityAction};
pub use layers::{Layer, PolicySource, BASELINE_YAML};
pub use listing::RuleSummary;
pub use selftest::{test_env, TestFailure, TestReport, TEST_HOME, TEST_WORKSPACE};
pub use spec::{MissingLayer, SandboxMode, ToolSpec, UnlistedHosts};

/// The JSON Schema of the policy file format, for editors.
pub fn json_schema() -> serde_json::Value {
    let mut v = serde_json::to_value(schemars::schema_for!(spec::PolicyFile)).unwrap_or_default();
    // `match.session` names typed facts: list them, with what each holds.
    if let Some(session) = v.pointer_mut("/$defs/MatchSpec/properties/session") {
        let each = session
            .get("additionalProperties")
            .cloned()
            .unwrap_or(serde_json::Value::Bool(true));
        let props: serde_json::Map<String, serde_json::Value> = FACTS
            .iter()
            .map(|f| {
                let mut s = each.clone();
                if let Some(o) = s.as_object_mut() {
                    o.insert(
                        "description".into(),
                        format!("{} ({})", f.description, f.ty.describe()).into(),
                    );
                }
                (f.name.to_string(), s)
            })
            .collect();
        session["properties"] = serde_json::Value::Object(props);
        session["additionalProperties"] = serde_json::Value::Bool(false);
    }
    v
}
