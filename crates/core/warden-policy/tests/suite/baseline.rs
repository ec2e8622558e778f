//! The built-in baseline compiles, every one of its rule self-tests passes, and it decides a few
//! representative actions as its comments promise.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_policy::{Decision, Layer, Policy, PolicySource, SessionFacts};

use super::support::{action, source};

#[test]
fn baseline_rule_tests_pass() {
    let policy = Policy::compile(&[PolicySource::baseline()]).expect("baseline compiles");
    let report = policy.run_tests();
    for f in &report.failures {
        eprintln!("{}\n", f.message);
    }
    assert!(
        report.failures.is_empty(),
        "{} baseline tests failed",
        report.failures.len()
    );
    assert!(
        report.passed >= 100,
        "only {} baseline tests",
        report.passed
    );
}

#[test]
fn baseline_loads_and_decides() {
    let policy = Policy::load(&[PolicySource::baseline()]).expect("baseline loads");
    let cases = [
        (
            json!({ "kind": "file_read", "path": "~/.ssh/id_rsa" }),
            Decision::Deny,
            vec!["credentials.ssh-private-key"],
        ),
        (
            json!({ "kind": "file_read", "path": "src/main.rs" }),
            Decision::Allow,
            vec![],
        ),
        (
            json!({ "kind": "config_change", "target": "user_settings" }),
            Decision::Ask,
            vec!["self.config-change"],
        ),
        (
            json!({ "kind": "network", "host": "evil.example", "sends_local_data": true }),
            Decision::Deny,
            vec!["exfil.local-data-to-untrusted-host"],
        ),
        (
            json!({ "kind": "network", "host": "github.com", "sends_local_data": true }),
            Decision::Allow,
            vec![],
        ),
    ];
    for (input, want, rules) in cases {
        let v = policy.evaluate(&[action(input.clone())], &SessionFacts::new());
        let got: Vec<&str> = v.rules.iter().map(|m| m.rule.as_str()).collect();
        assert_eq!((v.decision, got), (want, rules), "{input}");
    }
}

/// Extending an allow list in the user policy is what the baseline invites; the baseline's own
/// tests still run against the baseline's lists, so loading does not fail.
#[test]
fn user_list_extension_does_not_break_baseline_self_tests() {
    let user = source(
        Layer::User,
        "user.yaml",
        "lists:\n  trusted_hosts: [upload.example.net, evil.example]\n",
    );
    let policy = Policy::load(&[PolicySource::baseline(), user]).expect("loads");
    let v = policy.evaluate(
        &[action(
            json!({ "kind": "network", "host": "upload.example.net", "sends_local_data": true }),
        )],
        &SessionFacts::new(),
    );
    assert_eq!(v.decision, Decision::Allow);
}
