//! Declared tools: a user says what a tool whose name says nothing does; a project cannot
//! declare its tools harmless.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_action::{Operation, ToolEffect};
use warden_policy::{Layer, Policy, PolicySource};

use super::support::{action, source, summary};

fn effect_after(p: &Policy, name: &str) -> ToolEffect {
    let mut acts = vec![action(
        json!({ "kind": "tool_call", "name": name, "args": {} }),
    )];
    p.classify(&mut acts);
    match &acts[0].op {
        Operation::ToolCall { effect, .. } => *effect,
        other => panic!("not a tool call: {other:?}"),
    }
}

#[test]
fn user_declarations_set_the_effect_and_destinations() {
    let user = source(
        Layer::User,
        "user.yaml",
        "tools:\n  - name: \"acme_*\"\n    effect: side_effect\n    destinations: [sink]\n    private: false\n  - name: vault_dump\n    private: true\n",
    );
    let p = Policy::load(&[PolicySource::baseline(), user]).unwrap();
    assert_eq!(effect_after(&p, "acme_sync"), ToolEffect::SideEffect);
    assert_eq!(effect_after(&p, "ACME_Sync"), ToolEffect::SideEffect);
    // Undeclared tools keep what their names said.
    assert_eq!(effect_after(&p, "other"), ToolEffect::Unknown);
    assert_eq!(
        p.tool("acme_sync").map(|t| t.destinations.clone()),
        Some(vec!["sink".to_string()])
    );
    assert!(p.tool("vault_dump").is_some_and(|t| t.private));
}

#[test]
fn a_project_cannot_declare_a_tool_read_only() {
    let text = "tools:\n  - name: deploy\n    effect: read_only\n";
    let project = source(Layer::Project, "project.yaml", text);
    let errs: Vec<_> = match Policy::load(&[PolicySource::baseline(), project]) {
        Ok(_) => panic!("a project declared a tool read-only"),
        Err(e) => e.errors.iter().map(summary).collect(),
    };
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].4.contains("cannot declare a tool read-only"),
        "{errs:?}"
    );
    assert_eq!((errs[0].2, errs[0].3), (3, 13), "points at the effect");
    // Declaring its tool a side effect (stricter) is fine.
    let stricter = source(
        Layer::Project,
        "project.yaml",
        "tools:\n  - name: deploy\n    effect: side_effect\n",
    );
    assert!(Policy::load(&[PolicySource::baseline(), stricter]).is_ok());
}

#[test]
fn a_bad_tool_glob_is_located() {
    let user = source(Layer::User, "user.yaml", "tools:\n  - name: \"acme_[\"\n");
    let errs: Vec<_> = match Policy::load(&[PolicySource::baseline(), user]) {
        Ok(_) => panic!("compiled"),
        Err(e) => e.errors.iter().map(summary).collect(),
    };
    assert!(errs[0].4.contains("bad tool glob"), "{errs:?}");
    assert_eq!(errs[0].2, 2);
}
