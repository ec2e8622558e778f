//! The built-in baseline compiles and every one of its rule self-tests passes.

use warden_policy::{Policy, PolicySource};

#[test]
fn baseline_rule_tests_pass() {
    let policy = Policy::compile(&[PolicySource::baseline()]).expect("baseline compiles");
    let report = policy.run_tests();
    for f in &report.failures {
        eprintln!("{}\n", f.message);
    }
    assert!(report.failures.is_empty(), "{} baseline tests failed", report.failures.len());
    assert!(report.passed >= 100, "only {} baseline tests", report.passed);
}
