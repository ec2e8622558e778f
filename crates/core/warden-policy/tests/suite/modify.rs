//! `modify` rules: the verdict carries the rewrites, and `Modification::apply` performs them on a
//! real tool input.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_policy::{Decision, Modification};

use super::support::{action, eval, policy};

const POLICY: &str = r#"
rules:
  - id: mask-password
    match: { tool: login }
    decision: modify
    modify:
      redact:
        - pointer: /password
        - pointer: /note
          pattern: "sk-[A-Za-z0-9]{8,}"
  - id: force-dry-run
    match: { tool: login }
    decision: modify
    modify:
      set:
        /options/dry_run: true
        /options/a~1b: escaped
        /mode: safe
"#;

fn login_input() -> serde_json::Value {
    json!({
        "user": "dev",
        "password": "hunter2",
        "note": "keys sk-ABCDEFGH12 and sk-ZZZZZZZZZZ, not sk-short",
        "mode": "live",
        "options": { "verbose": true }
    })
}

#[test]
fn verdict_carries_every_modification_of_the_deciding_rules() {
    let v = eval(
        &policy(POLICY),
        action(json!({ "kind": "tool_call", "name": "login", "args": login_input() })),
    );
    assert_eq!(v.decision, Decision::Modify);
    assert_eq!(
        v.modifications,
        vec![
            Modification {
                rule: "mask-password".into(),
                redact: vec![
                    ("/password".into(), None),
                    ("/note".into(), Some("sk-[A-Za-z0-9]{8,}".into())),
                ],
                set: BTreeMap::new(),
            },
            Modification {
                rule: "force-dry-run".into(),
                redact: vec![],
                set: BTreeMap::from([
                    ("/mode".to_string(), json!("safe")),
                    ("/options/a~1b".to_string(), json!("escaped")),
                    ("/options/dry_run".to_string(), json!(true)),
                ]),
            },
        ]
    );
}

#[test]
fn apply_redacts_whole_values_and_patterns_and_sets_values() {
    let v = eval(
        &policy(POLICY),
        action(json!({ "kind": "tool_call", "name": "login", "args": login_input() })),
    );
    let mut input = login_input();
    for m in &v.modifications {
        m.apply(&mut input);
    }
    assert_eq!(
        input,
        json!({
            "user": "dev",
            "password": "[REDACTED by warden]",
            "note": "keys [REDACTED by warden] and [REDACTED by warden], not sk-short",
            "mode": "safe",
            "options": { "verbose": true, "dry_run": true, "a/b": "escaped" }
        })
    );
}

#[test]
fn apply_skips_missing_pointers_and_redacts_non_strings_whole() {
    let m = Modification {
        rule: "r".into(),
        redact: vec![
            ("/missing".into(), None),
            ("/count".into(), Some("\\d".into())),
            ("/list/1".into(), None),
        ],
        set: BTreeMap::from([
            ("/nowhere/deep".to_string(), json!(1)),
            ("/list/0".to_string(), json!("first")),
        ]),
    };
    let mut input = json!({ "count": 42, "list": ["a", "b", "c"] });
    m.apply(&mut input);
    assert_eq!(
        input,
        json!({ "count": "[REDACTED by warden]", "list": ["first", "[REDACTED by warden]", "c"] })
    );
    // Applying twice gives the same result.
    let once = input.clone();
    m.apply(&mut input);
    assert_eq!(input, once);
}

#[test]
fn modifications_are_dropped_when_a_stricter_rule_wins() {
    let text =
        format!("{POLICY}  - id: no-login\n    match: {{ tool: login }}\n    decision: ask\n");
    let v = eval(
        &policy(&text),
        action(json!({ "kind": "tool_call", "name": "login", "args": login_input() })),
    );
    assert_eq!(v.decision, Decision::Ask);
    assert_eq!(v.modifications, vec![]);
    assert_eq!(v.rules.len(), 3);
}

#[test]
fn a_modify_rule_that_does_not_fire_modifies_nothing() {
    let v = eval(
        &policy(POLICY),
        action(json!({ "kind": "tool_call", "name": "logout" })),
    );
    assert_eq!((v.decision, v.modifications), (Decision::Allow, vec![]));
}
