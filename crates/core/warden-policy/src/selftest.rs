//! Rule self-tests: each rule's `tests` run against the file that declares it.
//!
//! A test runs in a fixed environment so results do not depend on the machine: home is
//! `/home/agent`, and the working directory and workspace are `/home/agent/project`.

use serde::Serialize;
use warden_action::{Action, PathEnv};

use crate::compile::{merge_lists, parse, LoadedFile, Policy};
use crate::decision::Decision;
use crate::error::{PolicyError, PolicyErrors};
use crate::gate::SessionFacts;
use crate::layers::PolicySource;
use crate::spec::TestSpec;

/// Home directory in rule self-tests.
pub const TEST_HOME: &str = "/home/agent";
/// Working directory and workspace in rule self-tests.
pub const TEST_WORKSPACE: &str = "/home/agent/project";

/// One failed rule self-test.
#[derive(Debug, Serialize)]
pub struct TestFailure {
    /// The rule.
    pub rule: String,
    /// The file.
    pub file: String,
    /// Test position.
    pub index: usize,
    /// The expected decision.
    pub expected: Decision,
    /// The decision the file's policy gave, or `None` when the test input was invalid.
    pub got: Option<Decision>,
    /// Rules that fired.
    pub fired: Vec<String>,
    /// The message, with location.
    pub message: String,
}

/// Outcome of every rule self-test.
#[derive(Debug, Default, Serialize)]
pub struct TestReport {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failures: Vec<TestFailure>,
}

/// The environment rule self-tests run in.
pub fn test_env() -> PathEnv {
    PathEnv::synthetic(TEST_HOME, TEST_WORKSPACE, Some(TEST_WORKSPACE))
}

/// Lower a test's input to actions.
fn test_actions(t: &TestSpec, env: &PathEnv) -> Result<Vec<Action>, String> {
    match (&t.action, &t.command) {
        (Some(a), None) => {
            let mut action: Action =
                serde_json::from_value(a.clone()).map_err(|e| format!("bad test action: {e}"))?;
            action.normalize(env);
            Ok(vec![action])
        }
        (None, Some(cmd)) => Ok(warden_shell::lower(cmd, env)),
        _ => Err("a test needs exactly one of `action` or `command`".into()),
    }
}

impl Policy {
    /// Compile and run every rule self-test; fails when any test fails.
    pub fn load(sources: &[PolicySource]) -> Result<Policy, PolicyErrors> {
        let policy = Policy::compile(sources)?;
        let (_, errors) = policy.run_tests_inner();
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyErrors { errors })
        }
    }

    /// Run every rule self-test and report.
    pub fn run_tests(&self) -> TestReport {
        self.run_tests_inner().0
    }

    fn run_tests_inner(&self) -> (TestReport, Vec<PolicyError>) {
        let env = test_env();
        let mut report = TestReport::default();
        let mut errors = Vec::new();
        let mut per_file: Vec<Option<Policy>> = Vec::new();
        for f in &self.files {
            // A file's tests see a list as its own and lower layers declare it: a user extending an
            // allow list must not make the baseline's own tests fail. Lists only higher layers
            // declare are taken whole.
            let below: Vec<&LoadedFile> =
                self.files.iter().filter(|g| g.layer <= f.layer).collect();
            let mut lists = merge_lists(&self.files.iter().collect::<Vec<_>>());
            lists.extend(merge_lists(&below));
            let alone = parse(&PolicySource {
                layer: f.layer,
                name: f.text.name.clone(),
                text: f.text.text.clone(),
            })
            .ok()
            .and_then(|mut lf: LoadedFile| {
                // Alone, the rules a file disables are not there to find; the whole policy checked them.
                lf.spec.disable.clear();
                Policy::from_files(vec![lf], Some(&lists)).ok()
            });
            per_file.push(alone);
        }
        for (fi, ri, ti, test) in self.declared_tests() {
            let (Some(file), Some(Some(policy))) = (self.files.get(fi), per_file.get(fi)) else {
                continue;
            };
            let rule_id = file.spec.rules.get(ri).map_or("", |r| r.id.as_str());
            let span = file.locator().span(&format!("rules[{ri}].tests[{ti}]"));
            let session: SessionFacts = test.session.clone().into_iter().collect();
            let (got, fired, message) = match test_actions(test, &env) {
                Ok(actions) => {
                    let v = policy.evaluate(&actions, &session);
                    let fired: Vec<String> = v.rules.iter().map(|m| m.rule.clone()).collect();
                    (Some(v.policy_decision), fired, None)
                }
                Err(e) => (None, Vec::new(), Some(e)),
            };
            if got == Some(test.expect) {
                report.passed += 1;
                continue;
            }
            let got_text = match (&got, &message) {
                (Some(d), _) => format!(
                    "{} (rules fired: {})",
                    d.as_str(),
                    if fired.is_empty() {
                        "none".to_string()
                    } else {
                        fired.join(", ")
                    }
                ),
                (None, Some(m)) => m.clone(),
                (None, None) => "nothing".into(),
            };
            let err =
                file.text
                    .test_failed(span, rule_id, ti, test.expect.as_str().into(), got_text);
            report.failures.push(TestFailure {
                rule: rule_id.to_string(),
                file: file.text.name.clone(),
                index: ti,
                expected: test.expect,
                got,
                fired,
                message: err.to_string(),
            });
            errors.push(err);
        }
        (report, errors)
    }
}
