//! Modes: enforce answers with the policy's decision; shadow and record allow but still report
//! what the policy decided and why. The strongest layer that sets a mode decides it.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_policy::{Decision, Layer, Mode, Policy, PolicySource};

use super::support::{action, eval, source};

fn with_mode(mode: &str) -> Policy {
    Policy::compile(&[source(
        Layer::User,
        "user.yaml",
        &format!("mode: {mode}\nrules:\n  - id: r\n    severity: high\n    match: {{ tool: t }}\n    decision: deny\n    reason: no t\n"),
    )])
    .unwrap()
}

#[test]
fn enforce_shadow_and_record() {
    for (mode, want_mode, want_decision) in [
        ("enforce", Mode::Enforce, Decision::Deny),
        ("shadow", Mode::Shadow, Decision::Allow),
        ("record", Mode::Record, Decision::Allow),
    ] {
        let p = with_mode(mode);
        assert_eq!(p.mode(), want_mode);
        let v = eval(&p, action(json!({ "kind": "tool_call", "name": "t" })));
        let got = (
            v.decision,
            v.policy_decision,
            v.mode,
            v.risk,
            v.reason.as_str(),
            v.rules.len(),
        );
        assert_eq!(
            got,
            (want_decision, Decision::Deny, want_mode, 0.8, "no t", 1),
            "mode {mode}"
        );
    }
}

#[test]
fn mode_defaults_to_enforce() {
    let p = Policy::compile(&[PolicySource::baseline()]).unwrap();
    assert_eq!(p.mode(), Mode::Enforce);
}

#[test]
fn strongest_layer_setting_a_mode_decides() {
    let cases = [
        (
            vec![(Layer::Baseline, "shadow"), (Layer::User, "record")],
            Mode::Record,
        ),
        (
            vec![(Layer::User, "shadow"), (Layer::Project, "enforce")],
            Mode::Shadow,
        ),
        (
            vec![(Layer::User, "shadow"), (Layer::Managed, "enforce")],
            Mode::Enforce,
        ),
        (
            vec![(Layer::Managed, "shadow"), (Layer::User, "enforce")],
            Mode::Shadow,
        ),
        (vec![(Layer::Baseline, "shadow")], Mode::Shadow),
    ];
    for (layers, want) in cases {
        let sources: Vec<PolicySource> = layers
            .iter()
            .map(|(l, m)| source(*l, &format!("{}.yaml", l.as_str()), &format!("mode: {m}\n")))
            .collect();
        assert_eq!(
            Policy::compile(&sources).unwrap().mode(),
            want,
            "{layers:?}"
        );
    }
}
