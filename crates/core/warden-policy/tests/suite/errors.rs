//! Load errors: each names its file and the line and column of the offending text (computed here
//! from the fixture), and miette's rendering shows that text.

use pretty_assertions::assert_eq;
use warden_policy::{Layer, Policy, PolicyError, PolicySource};

use super::support::{locate, render, summary, temp_policy};

/// One expected error: kind, `needle` whose `nth` occurrence is where it points, message.
struct Want<'a> {
    kind: &'static str,
    needle: &'a str,
    nth: usize,
    message: &'a str,
}

fn want<'a>(kind: &'static str, needle: &'a str, nth: usize, message: &'a str) -> Want<'a> {
    Want {
        kind,
        needle,
        nth,
        message,
    }
}

/// Compile `text` from a real file and check every error, and that each rendering shows the
/// file name, the position and the offending line.
fn check_errors(text: &str, wants: &[Want<'_>]) -> Vec<PolicyError> {
    let t = temp_policy(Layer::User, "policy.yaml", text);
    let (name, source) = (t.name.clone(), t.source.clone());
    let errors = match Policy::load(&[source]) {
        Ok(_) => panic!("policy loaded:\n{text}"),
        Err(e) => e.errors,
    };
    let got: Vec<_> = errors.iter().map(summary).collect();
    let expected: Vec<_> = wants
        .iter()
        .map(|w| {
            let (line, col) = locate(text, w.needle, w.nth);
            (w.kind, name.clone(), line, col, w.message.to_string())
        })
        .collect();
    assert_eq!(got, expected);
    for (e, w) in errors.iter().zip(wants) {
        let (line, col) = locate(text, w.needle, w.nth);
        let shown = render(e);
        let offending = text.lines().nth(line - 1).unwrap().trim();
        assert!(shown.contains(&format!("{name}:{line}:{col}")), "{shown}");
        assert!(
            shown.contains(offending),
            "rendering lacks `{offending}`:\n{shown}"
        );
        assert_eq!(e.to_string(), format!("{name}:{line}:{col}: {}", w.message));
    }
    errors
}

#[test]
fn yaml_syntax_errors() {
    check_errors(
        "rules:\n  - id: a: b\n    match: { tool: x }\n    decision: deny\n",
        &[want(
            "syntax",
            ": b",
            0,
            "mapping values are not allowed in this context",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n    match: { tool: x }\n    decision: deny\n   extra: 1\n",
        &[want(
            "syntax",
            "extra",
            0,
            "did not find expected '-' indicator at line 5 column 4, while parsing a block collection at line 2 column 3",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n\tmatch: { tool: x }\n",
        &[want(
            "syntax",
            "\tmatch",
            0,
            "found a tab character that violates indentation at line 3 column 1, while scanning a plain scalar at line 2 column 9",
        )],
    );
}

#[test]
fn unknown_fields_point_at_the_field() {
    let fields = "`kind`, `path`, `file_name`, `in_workspace`, `recursive`, `command`, `host`, `url`, `sends_local_data`, `tool`, `effect`, `args`, `channel`, `recipient`, `target`, `extension`, `opaque`, `session`, `all`, `any`, `not`";
    // Block style, not the first key of its mapping.
    check_errors(
        "rules:\n  - id: a\n    match:\n      tool: x\n      toool: y\n    decision: deny\n",
        &[want(
            "syntax",
            "toool",
            0,
            &format!("rules[0].match: unknown field `toool`, expected one of {fields}"),
        )],
    );
    // Flow style.
    check_errors(
        "rules:\n  - id: a\n    match: { tool: x, pathh: y }\n    decision: deny\n",
        &[want(
            "syntax",
            "pathh",
            0,
            &format!("rules[0].match: unknown field `pathh`, expected one of {fields}"),
        )],
    );
    // Inside a flattened argument test.
    check_errors(
        "rules:\n  - id: a\n    match:\n      tool: x\n      args:\n        - pointer: /x\n          equal: 5\n    decision: deny\n",
        &[want("syntax", "equal", 0, "rules[0].match.args[0]: unknown field `equal`")],
    );
    // At the top level.
    check_errors(
        "version: 1\nrule: []\n",
        &[want(
            "syntax",
            "rule:",
            0,
            "unknown field `rule`, expected one of `version`, `name`, `mode`, `default`, `lists`, `disable`, `sandbox`, `sandbox_missing_layer`, `sandbox_unlisted_hosts`, `config_integrity`, `rules`, `tools`",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n    match: { command: { program: x, flag_any: [-f] } }\n    decision: deny\n",
        &[want(
            "syntax",
            "flag_any",
            0,
            "rules[0].match.command: unknown field `flag_any`, expected one of `program`, `subcommand`, `flags_any`, `flags_all`, `operand`, `arg`, `stdin_from`, `via`, `line`",
        )],
    );
}

#[test]
fn wrong_values_point_at_the_value() {
    check_errors(
        "rules:\n  - id: a\n    match: { tool: x }\n    decision: dny\n",
        &[want(
            "syntax",
            "dny",
            0,
            "rules[0].decision: unknown variant `dny`, expected one of `allow`, `modify`, `ask`, `deny`",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n    match: { kind: [exec, flie_read] }\n    decision: deny\n",
        &[want(
            "syntax",
            "flie_read",
            0,
            "rules[0].match.kind[1]: unknown variant `flie_read`, expected one of `exec`, `file_read`, `file_write`, `file_delete`, `network`, `tool_call`, `mcp_call`, `message_send`, `agent_spawn`, `config_change`, `extension_load`",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n    match:\n      tool: t\n      effect: read_only\n      kind: tool_cal\n    decision: deny\n",
        &[want(
            "syntax",
            "tool_cal",
            0,
            "rules[0].match.kind: unknown variant `tool_cal`, expected one of `exec`, `file_read`, `file_write`, `file_delete`, `network`, `tool_call`, `mcp_call`, `message_send`, `agent_spawn`, `config_change`, `extension_load`",
        )],
    );
    check_errors(
        "rules:\n  - id: a\n    match:\n      kind: file_read\n      path: [a, { b: c }]\n    decision: deny\n",
        &[want("syntax", "{ b", 0, "rules[0].match.path[1]: invalid type: map, expected a string")],
    );
    check_errors(
        "rules:\n  - id: a\n    match:\n      session:\n        n: { gt: many }\n    decision: deny\n",
        &[want("syntax", "many", 0, "rules[0].match.session.n.gt: invalid type: string \"many\", expected f64")],
    );
    check_errors(
        "rules:\n  - id: a\n    decision: deny\n",
        &[want("syntax", "id", 0, "rules[0]: missing field `match`")],
    );
    check_errors(
        "version: 2\n",
        &[want(
            "invalid",
            "2",
            0,
            "policy format version 2 is not supported",
        )],
    );
}

#[test]
fn bad_globs_and_regexes() {
    let text = r#"rules:
  - id: a
    match:
      path: ["~/ok", "~/[bad"]
    decision: deny
  - id: b
    match:
      command: { program: git, operand: ["x", "{unclosed"], line: "(open" }
    decision: deny
  - id: c
    match:
      tool: t
      args: [{ pointer: /x, regex: "[z-a]" }]
    decision: modify
    modify:
      redact: [{ pointer: /y, pattern: "a{99999999}" }]
"#;
    let errors = check_errors(
        text,
        &[
            want(
                "invalid",
                "\"~/[bad\"",
                0,
                "bad glob `~/[bad`: error parsing glob '~/[bad': unclosed character class; missing ']'",
            ),
            want(
                "invalid",
                "\"{unclosed\"",
                0,
                "bad glob `{unclosed`: error parsing glob '{unclosed': unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)",
            ),
            want("invalid", "\"(open\"", 0, &regex_error("(open")),
            want("invalid", "\"[z-a]\"", 0, &regex_error("[z-a]")),
            want("invalid", "\"a{99999999}\"", 0, &regex_error("a{99999999}")),
        ],
    );
    assert_eq!(errors.len(), 5);
}

/// The message the regex crate gives, as the policy reports it.
fn regex_error(re: &str) -> String {
    let e = regex::RegexBuilder::new(re)
        .size_limit(1 << 20)
        .build()
        .unwrap_err();
    format!("bad regex `{re}`: {e}")
}

/// A bad glob after a `$list` reference points at its own entry, not at the entry with the same
/// index in the expanded list.
#[test]
fn bad_glob_after_a_list_points_at_its_entry() {
    let text = "lists:\n  l: [a, b]\nrules:\n  - id: a\n    match:\n      path: [$l, ok, \"[bad\", x]\n    decision: deny\n  - id: b\n    match:\n      command: { operand: [$l, ok, \"[bad\", x] }\n    decision: deny\n";
    check_errors(
        text,
        &[
            want("invalid", "\"[bad\"", 0, "bad glob `[bad`: error parsing glob '**/[bad': unclosed character class; missing ']'"),
            want("invalid", "\"[bad\"", 1, "bad glob `[bad`: error parsing glob '[bad': unclosed character class; missing ']'"),
        ],
    );
}

#[test]
fn unknown_lists() {
    let text = "lists:\n  hosts: [a.example]\n  more: []\nrules:\n  - id: a\n    match: { host: [ok.example, $hostz] }\n    decision: deny\n  - id: b\n    match: { command: { program: $progs } }\n    decision: deny\n";
    let errors = check_errors(
        text,
        &[
            want("invalid", "$hostz", 0, "unknown list `$hostz`"),
            want("invalid", "$progs", 0, "unknown list `$progs`"),
        ],
    );
    let help = match &errors[0] {
        PolicyError::Invalid { help, .. } => help.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        help.as_deref(),
        Some("declare it under `lists:`; known lists: hosts, more")
    );
    assert!(render(&errors[0]).contains("known lists: hosts, more"));
}

#[test]
fn json_pointers_must_start_with_a_slash() {
    let text = "rules:\n  - id: a\n    match: { tool: t, args: [{ pointer: amount, gt: 5 }] }\n    decision: deny\n  - id: b\n    match: { tool: t }\n    decision: modify\n    modify:\n      redact: [{ pointer: password }]\n      set: { mode: safe, /ok: 1 }\n";
    check_errors(
        text,
        &[
            want(
                "invalid",
                "amount",
                0,
                "JSON pointer `amount` must start with `/`",
            ),
            want(
                "invalid",
                "password",
                0,
                "JSON pointer `password` must start with `/`",
            ),
            want(
                "invalid",
                "mode",
                0,
                "JSON pointer `mode` must start with `/`",
            ),
        ],
    );
}

#[test]
fn rule_shape_errors() {
    let text = "rules:\n  - id: never\n    match:\n      kind: exec\n      path: x\n    decision: deny\n  - id: no-block\n    match: { tool: t }\n    decision: modify\n  - id: stray-block\n    match: { tool: t }\n    decision: ask\n    modify: { set: { /a: 1 } }\n";
    check_errors(
        text,
        &[
            want(
                "invalid",
                "kind: exec",
                0,
                "rule `never` can never match: its fields belong to no common action kind",
            ),
            want(
                "invalid",
                "modify\n",
                0,
                "rule `no-block` decides `modify` but has no `modify:` block",
            ),
            want(
                "invalid",
                "set: { /a",
                0,
                "rule `stray-block` has a `modify:` block but decides `ask`",
            ),
        ],
    );
}

#[test]
fn duplicate_ids_in_one_file_and_across_files() {
    let text = "rules:\n  - id: same\n    match: { tool: a }\n    decision: deny\n  - id: same\n    match: { tool: b }\n    decision: deny\n";
    let t = temp_policy(Layer::User, "user.yaml", text);
    let (name, source) = (t.name.clone(), t.source.clone());
    let errors = Policy::compile(&[source]).unwrap_err().errors;
    let (line, col) = locate(text, "same", 1);
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "invalid",
            name.clone(),
            line,
            col,
            format!("rule id `same` is already defined in `{name}`")
        )]
    );
    // Across layers, given in any order: the stronger layer's copy is the duplicate.
    let user = temp_policy(
        Layer::User,
        "user.yaml",
        "rules:\n  - id: x\n    match: { tool: a }\n    decision: deny\n",
    );
    let project_text = "rules:\n  - id: x\n    match: { tool: b }\n    decision: ask\n";
    let project = temp_policy(Layer::Project, "project.yaml", project_text);
    let errors = Policy::compile(&[project.source.clone(), user.source.clone()])
        .unwrap_err()
        .errors;
    let (line, col) = locate(project_text, "x", 0);
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "invalid",
            project.name.clone(),
            line,
            col,
            format!("rule id `x` is already defined in `{}`", user.name)
        )]
    );
    // A baseline id reused by the user.
    let errors = Policy::compile(&[PolicySource::baseline(), user_rule("credentials.cloud")])
        .unwrap_err()
        .errors;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .ends_with("rule id `credentials.cloud` is already defined in `<baseline>`"),
        "{}",
        errors[0]
    );
}

fn user_rule(id: &str) -> PolicySource {
    super::support::source(
        Layer::User,
        "user.yaml",
        &format!("rules:\n  - id: {id}\n    match: {{ tool: t }}\n    decision: deny\n"),
    )
}

#[test]
fn failing_rule_tests_point_at_the_test() {
    let text = r#"rules:
  - id: no-rm
    match: { command: { program: rm } }
    decision: deny
    tests:
      - { command: "rm -rf x", expect: deny }
      - { command: "rmdir x", expect: deny }
      - action: { kind: file_read, path: "/x" }
        expect: ask
      - { expect: allow }
      - { action: { kind: teleport }, expect: allow }
"#;
    let errors = check_errors(
        text,
        &[
            want("test", "command: \"rmdir", 0, "test 1 of rule `no-rm` expected deny, got allow (rules fired: none)"),
            want("test", "action: { kind: file_read", 0, "test 2 of rule `no-rm` expected ask, got allow (rules fired: none)"),
            want("test", "expect: allow", 0, "test 3 of rule `no-rm` expected allow, got a test needs exactly one of `action` or `command`"),
            want(
                "test",
                "action: { kind: teleport",
                0,
                "test 4 of rule `no-rm` expected allow, got bad test action: unknown variant `teleport`, expected one of `exec`, `file_read`, `file_write`, `file_delete`, `network`, `tool_call`, `mcp_call`, `message_send`, `agent_spawn`, `config_change`, `extension_load`",
            ),
        ],
    );
    assert!(render(&errors[0]).contains("this test"));
    // `compile` does not run the tests, and `run_tests` reports them.
    let t = temp_policy(Layer::User, "policy.yaml", text);
    let policy = Policy::compile(std::slice::from_ref(&t.source)).unwrap();
    let report = policy.run_tests();
    assert_eq!(report.passed, 1);
    let failures: Vec<(&str, usize, Option<warden_policy::Decision>, Vec<String>)> = report
        .failures
        .iter()
        .map(|f| (f.rule.as_str(), f.index, f.got, f.fired.clone()))
        .collect();
    use warden_policy::Decision::Allow;
    assert_eq!(
        failures,
        [
            ("no-rm", 1, Some(Allow), vec![]),
            ("no-rm", 2, Some(Allow), vec![]),
            ("no-rm", 3, None, vec![]),
            ("no-rm", 4, None, vec![])
        ]
    );
}

/// Rule tests run for every file, including one that disables rules of another layer.
#[test]
fn a_file_that_disables_rules_still_runs_its_tests() {
    let text = "disable: [credentials.cloud]\nrules:\n  - id: mine\n    match: { tool: x }\n    decision: deny\n    tests:\n      - { action: { kind: tool_call, name: x }, expect: allow }\n";
    let user = temp_policy(Layer::User, "user.yaml", text);
    let errors = Policy::load(&[PolicySource::baseline(), user.source.clone()])
        .unwrap_err()
        .errors;
    let (line, col) = locate(text, "action: { kind: tool_call", 0);
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "test",
            user.name.clone(),
            line,
            col,
            "test 0 of rule `mine` expected allow, got deny (rules fired: mine)".to_string()
        )]
    );
}

#[test]
fn positions_count_characters_not_bytes() {
    let text = "# Richtlinie für Größen: ✓\nrules:\n  - id: ünïcode\n    description: \"日本語\"\n    match: { path: [\"~/ü\", \"~/日本/[\"] }\n    decision: deny\n";
    check_errors(
        text,
        &[want("invalid", "\"~/日本/[\"", 0, "bad glob `~/日本/[`: error parsing glob '~/日本/[': unclosed character class; missing ']'")],
    );
    let (line, col) = locate(text, "\"~/日本/[\"", 0);
    assert_eq!((line, col), (5, 28));
}

#[test]
fn every_error_in_every_file_is_reported_together() {
    let a = temp_policy(
        Layer::User,
        "a.yaml",
        "rules:\n  - id: a\n    match: { tool: \"[\" }\n    decision: deny\n",
    );
    let b = temp_policy(Layer::Project, "b.yaml", "rules: [\n");
    let c = temp_policy(Layer::Managed, "c.yaml", "default: maybe\n");
    let errors =
        Policy::compile(&[a.source.clone(), b.source.clone(), c.source.clone()]).unwrap_err();
    // Parse errors stop compilation before the compile errors of other files.
    let files: Vec<(&str, String)> = errors
        .errors
        .iter()
        .map(summary)
        .map(|s| (s.0, s.1))
        .collect();
    assert_eq!(
        files,
        [("syntax", b.name.clone()), ("syntax", c.name.clone())]
    );
    assert_eq!(
        errors.to_string(),
        format!("policy has 2 error(s): {}", errors.errors[0])
    );
    let shown = render(&errors);
    assert!(
        shown.contains(&b.name) && shown.contains(&c.name),
        "{shown}"
    );
}

#[test]
fn unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let e = PolicySource::read(Layer::User, &missing).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot read policy `{}`", missing.display())
    );
    assert!(
        matches!(&e, PolicyError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
}

#[test]
fn session_facts_are_typed() {
    // A misspelt fact is an error, not a rule that can never fire.
    let errors = check_errors(
        "version: 1\nrules:\n  - id: t.a\n    match: { session: { injection_seeen: { equals: true } } }\n    decision: deny\n",
        &[want("invalid", "equals: true", 0, "unknown session fact `injection_seeen`")],
    );
    assert!(render(&errors[0]).contains("did you mean `injection_seen`"));
    // Tests a fact's type can never satisfy.
    check_errors(
        "version: 1\nrules:\n  - id: t.b\n    match: { session: { drift: { glob: high } } }\n    decision: ask\n  - id: t.c\n    match: { session: { args_from: { equals: untrusted_instructions } } }\n    decision: deny\n  - id: t.d\n    match: { session: { side_effect: { gt: 0.5 } } }\n    decision: deny\n",
        &[
            want("invalid", "glob: high", 0, "this test on `drift` can never hold: it is a number: test it with `gt`, `gte`, `lt`, `lte` or `equals`"),
            want("invalid", "equals: untrusted_instructions", 0, "this test on `args_from` can never hold: it is one of task, untrusted, untrusted_instruction, never `untrusted_instructions`"),
            want("invalid", "gt: 0.5", 0, "this test on `side_effect` can never hold: it is a boolean: test it with `true`, `false` or `exists`"),
        ],
    );
    // The facts a rule's own test runs with are checked too.
    check_errors(
        "version: 1\nrules:\n  - id: t.e\n    match: { session: { untrusted_seen: { equals: true } } }\n    decision: ask\n    tests:\n      - { command: ls, session: { untrusted_sen: true }, expect: ask }\n",
        &[want("invalid", "true }, expect", 0, "unknown session fact `untrusted_sen`")],
    );
}

/// The embedded baseline's regexes are built on first use: every one of them builds, and a
/// policy warmed up builds them all.
#[test]
fn every_baseline_regex_builds() {
    let p = Policy::load(&[PolicySource::baseline()]).unwrap();
    p.warm().unwrap();
}

/// A regex of a user's policy that parses but is too large to build is still an error at its
/// place, when the policy compiles (not at the first decision).
#[test]
fn a_user_regex_too_large_to_build_is_a_load_error() {
    let text = "rules:\n  - id: a\n    match: { command: { line: \"(?:\\\\w{60}){60}\" } }\n    decision: deny\n";
    let t = temp_policy(Layer::User, "policy.yaml", text);
    let errors = Policy::load(std::slice::from_ref(&t.source))
        .unwrap_err()
        .errors;
    assert_eq!(errors.len(), 1);
    assert!(
        summary(&errors[0]).4.contains("bad regex"),
        "{:?}",
        summary(&errors[0])
    );
}

/// A baseline-layer regex is built on first use; if it cannot be built then, the policy fails
/// closed: that verdict and every later one is a deny naming the cause, and `warm` reports it.
#[test]
fn a_baseline_regex_that_cannot_be_built_fails_closed() {
    let text = "version: 1\nrules:\n  - id: t.big\n    match: { command: { program: ls, line: \"(?:\\\\w{60}){60}\" } }\n    decision: ask\n    reason: never reached\n";
    let src = PolicySource {
        layer: Layer::Baseline,
        name: "big.yaml".into(),
        text: text.into(),
    };
    let p = Policy::compile(&[src]).unwrap();
    let ls = super::support::exec(&["ls", "-la"]);
    let v = p.evaluate(
        std::slice::from_ref(&ls),
        &warden_policy::SessionFacts::new(),
    );
    assert_eq!(v.decision, warden_policy::Decision::Deny, "{v:?}");
    assert!(v.reason.contains("too large to build"), "{}", v.reason);
    let other = super::support::exec(&["pwd"]);
    let v = p.evaluate(&[other], &warden_policy::SessionFacts::new());
    assert_eq!(v.decision, warden_policy::Decision::Deny);
    assert!(p.warm().unwrap_err().contains("too large to build"));
}
