//! The guide for the agent: short, from the active policy, with the user's own rules named.

use warden_policy::{Layer, Policy, PolicySource, GUIDE_MAX_CHARS};

use super::support::source;

#[test]
fn the_baseline_guide_is_short_and_names_each_category() {
    let p = Policy::compile(&[PolicySource::baseline()]).unwrap();
    let g = p.guide();
    assert!(g.chars().count() <= GUIDE_MAX_CHARS, "{}", g.len());
    for words in [
        "reading credentials",
        "destroying data",
        "persistence",
        "outside content",
        "ask the user",
    ] {
        assert!(g.contains(words), "{words} missing from:\n{g}");
    }
}

#[test]
fn user_rules_are_named_and_many_of_them_still_fit() {
    let one = "version: 1\nrules:\n  - id: team.no-prod-db\n    description: Never touch the production database\n    match: { command: { program: psql } }\n    decision: deny\n";
    let p =
        Policy::compile(&[PolicySource::baseline(), source(Layer::User, "u.yaml", one)]).unwrap();
    assert!(
        p.guide()
            .contains("Never touch the production database (denied)"),
        "{}",
        p.guide()
    );
    let mut many = String::from("version: 1\nrules:\n");
    for i in 0..60 {
        many.push_str(&format!("  - id: team.rule-{i}\n    description: A rather long description of team rule number {i} that explains a lot\n    match: {{ command: {{ program: prog{i} }} }}\n    decision: ask\n"));
    }
    let p = Policy::compile(&[
        PolicySource::baseline(),
        source(Layer::Managed, "m.yaml", &many),
    ])
    .unwrap();
    assert!(p.guide().chars().count() <= GUIDE_MAX_CHARS);
}

#[test]
fn shadow_mode_is_said() {
    let p = Policy::compile(&[
        PolicySource::baseline(),
        source(Layer::User, "u.yaml", "version: 1\nmode: shadow\n"),
    ])
    .unwrap();
    assert!(p.guide().contains("not enforced"), "{}", p.guide());
}
