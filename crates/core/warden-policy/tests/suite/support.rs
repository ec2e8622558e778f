//! Helpers shared by the suite: compile a policy from text, build normalised actions, evaluate.

use serde_json::{json, Value};
use warden_action::{Action, ExecAction, Operation};
use warden_policy::{
    test_env, Layer, Policy, PolicyError, PolicyErrors, PolicySource, SessionFacts, Verdict,
};

/// A source for `layer` named `name`.
pub fn source(layer: Layer, name: &str, text: &str) -> PolicySource {
    PolicySource {
        layer,
        name: name.to_string(),
        text: text.to_string(),
    }
}

/// Compile one user-layer policy file.
pub fn compile(text: &str) -> Result<Policy, PolicyErrors> {
    Policy::compile(&[source(Layer::User, "user.yaml", text)])
}

/// Compile one user-layer policy file that must be valid.
pub fn policy(text: &str) -> Policy {
    match compile(text) {
        Ok(p) => p,
        Err(e) => panic!("policy does not compile: {e}\n{:#?}", e.errors),
    }
}

/// An action from generic action JSON, normalised in the self-test environment.
pub fn action(v: Value) -> Action {
    let mut a: Action =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad action {v}: {e}"));
    a.normalize(&test_env());
    a
}

/// An exec of `argv`.
pub fn exec(argv: &[&str]) -> Action {
    action(json!({ "kind": "exec", "argv": argv }))
}

/// An exec of `argv` fed by `stdin_from` and wrapped in `via`.
pub fn exec_with(argv: &[&str], stdin_from: &[&str], via: &[&str]) -> Action {
    let mut a = exec(argv);
    if let Operation::Exec(ExecAction { facts, .. }) = &mut a.op {
        facts.stdin_from = stdin_from.iter().map(|s| s.to_string()).collect();
        facts.via = via.iter().map(|s| s.to_string()).collect();
    }
    a
}

/// Evaluate one action with no session facts.
pub fn eval(p: &Policy, a: Action) -> Verdict {
    p.evaluate(&[a], &SessionFacts::new())
}

/// The ids of the rules that fired, sorted.
pub fn fired(p: &Policy, actions: &[Action], session: &SessionFacts) -> Vec<String> {
    let mut ids: Vec<String> = p
        .evaluate(actions, session)
        .rules
        .into_iter()
        .map(|m| m.rule)
        .collect();
    ids.sort();
    ids
}

/// The ids of the rules that fired for one action without session facts.
pub fn fired1(p: &Policy, a: Action) -> Vec<String> {
    fired(p, &[a], &SessionFacts::new())
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Line and column of the `nth` (0-based) occurrence of `needle` in `text`.
pub fn locate(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` occurs fewer than {} times in fixture", nth + 1));
    line_col(text, offset)
}

/// Render a diagnostic as miette draws it, without colours.
pub fn render(d: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(200);
    handler.render_report(&mut out, d).unwrap();
    out
}

/// The kind, file, line, column and message of a policy error.
pub fn summary(e: &PolicyError) -> (&'static str, String, usize, usize, String) {
    match e {
        PolicyError::Io { path, source } => ("io", path.clone(), 0, 0, source.to_string()),
        PolicyError::Syntax {
            file,
            line,
            column,
            message,
            ..
        } => ("syntax", file.clone(), *line, *column, message.clone()),
        PolicyError::Invalid {
            file,
            line,
            column,
            message,
            ..
        } => ("invalid", file.clone(), *line, *column, message.clone()),
        PolicyError::TestFailed {
            file,
            line,
            column,
            rule,
            index,
            expected,
            got,
            ..
        } => (
            "test",
            file.clone(),
            *line,
            *column,
            format!("test {index} of rule `{rule}` expected {expected}, got {got}"),
        ),
    }
}

/// A policy file written to a temporary directory, read back with `PolicySource::read`.
pub struct TempPolicy {
    _dir: tempfile::TempDir,
    /// The file's path as `PolicySource::read` names it.
    pub name: String,
    /// The source read back.
    pub source: PolicySource,
}

/// Write `text` as `<tmp>/<file>` and read it for `layer`.
pub fn temp_policy(layer: Layer, file: &str, text: impl AsRef<[u8]>) -> TempPolicy {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, text).unwrap();
    let source = PolicySource::read(layer, &path).unwrap();
    TempPolicy {
        name: path.display().to_string(),
        _dir: dir,
        source,
    }
}
