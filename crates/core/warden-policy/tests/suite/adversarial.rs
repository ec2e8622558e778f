//! Hostile or broken input: oversized files, bytes that are not UTF-8, deep nesting, huge
//! regexes, odd YAML. Each gives a clear, located error or a working policy, never a panic.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_action::{Action, ExecAction, NormPath, Operation};
use warden_policy::{Decision, Layer, Policy, PolicyError, SessionFacts};

use super::support::{action, compile, eval, fired1, locate, policy, render, summary, temp_policy};

const LIMIT: usize = 4 << 20;

fn big_policy(bytes: usize) -> String {
    let mut text = String::from("rules:\n");
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "  - id: r{i}\n    match: {{ path: \"~/dir{i}/**\" }}\n    decision: deny\n"
        ));
        i += 1;
    }
    text
}

#[test]
fn oversized_policy_is_refused_quickly() {
    let text = big_policy(5 << 20);
    let started = std::time::Instant::now();
    let errors = compile(&text).unwrap_err().errors;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "syntax",
            "user.yaml".to_string(),
            1,
            1,
            format!("policy is {} bytes; the limit is {LIMIT}", text.len())
        )]
    );
    // From a real file too, named by its path.
    let t = temp_policy(Layer::Project, "policy.yaml", &text);
    let errors = Policy::compile(std::slice::from_ref(&t.source))
        .unwrap_err()
        .errors;
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}:1:1: policy is {} bytes; the limit is {LIMIT}",
            t.name,
            text.len()
        )
    );
}

#[test]
fn non_utf8_policy_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.yaml");
    std::fs::write(
        &path,
        b"rules:\n  - id: caf\xe9\n    match: { tool: x }\n    decision: deny\n",
    )
    .unwrap();
    let e = warden_policy::PolicySource::read(Layer::User, &path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot read policy `{}`", path.display())
    );
    match &e {
        PolicyError::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
            assert_eq!(source.to_string(), "stream did not contain valid UTF-8");
        }
        other => panic!("{other:?}"),
    }
    assert!(render(&e).contains("cannot read policy"));
}

fn nested_not(depth: usize) -> String {
    format!(
        "rules:\n  - id: deep\n    match: {}{{ tool: x }}{}\n    decision: deny\n",
        "{ not: ".repeat(depth),
        " }".repeat(depth)
    )
}

#[test]
fn nesting_up_to_the_limit_compiles_and_evaluates() {
    // The file, `rules`, the rule and `match` take four levels; 60 `not`s reach the limit of 64.
    let p = policy(&nested_not(60));
    assert_eq!(
        fired1(&p, action(json!({ "kind": "tool_call", "name": "x" }))),
        ["deep"]
    );
    assert_eq!(
        fired1(&p, action(json!({ "kind": "tool_call", "name": "y" }))),
        Vec::<String>::new()
    );
    let p = policy(&nested_not(59));
    assert_eq!(
        fired1(&p, action(json!({ "kind": "tool_call", "name": "x" }))),
        Vec::<String>::new()
    );
    let v = eval(&p, action(json!({ "kind": "tool_call", "name": "y" })));
    assert_eq!(v.decision, Decision::Deny);
}

#[test]
fn nesting_beyond_the_limit_is_a_located_error() {
    let text = nested_not(61);
    let errors = compile(&text).unwrap_err().errors;
    // The 62nd `{` of the match opens the 65th level.
    let (line, col) = locate(&text, "{", 61);
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "syntax",
            "user.yaml".to_string(),
            line,
            col,
            "policy nests deeper than 64 levels".to_string()
        )]
    );
    // Deep JSON values count too.
    let text = format!(
        "rules:\n  - id: deep\n    match: {{ tool: x, args: [{{ pointer: /a, equals: {}1{} }}] }}\n    decision: deny\n",
        "[".repeat(70),
        "]".repeat(70)
    );
    let errors = compile(&text).unwrap_err().errors;
    // `args`, its entry and 59 brackets make 65 levels; the first `[` is the one of `args`.
    let (line, col) = locate(&text, "[", 59);
    assert_eq!(
        errors[0].to_string(),
        format!("user.yaml:{line}:{col}: policy nests deeper than 64 levels")
    );
}

/// Far deeper than any limit, in flow and block style, `any` and `not`: an error, not a stack
/// overflow (which would abort the whole process).
#[test]
fn absurd_nesting_is_an_error_not_a_crash() {
    let flow_any = format!(
        "rules:\n  - id: deep\n    match: {}{{ tool: x }}{}\n    decision: deny\n",
        "{ any: [".repeat(5000),
        "] }".repeat(5000)
    );
    let mut block = String::from("rules:\n  - id: deep\n    decision: deny\n    match:\n");
    for i in 0..2000 {
        block.push_str(&" ".repeat(6 + 2 * i));
        block.push_str("not:\n");
    }
    block.push_str(&" ".repeat(6 + 4000));
    block.push_str("tool: x\n");
    for text in [
        nested_not(100),
        nested_not(130),
        nested_not(20_000),
        flow_any,
        block,
    ] {
        let errors = compile(&text).unwrap_err().errors;
        assert_eq!(errors.len(), 1);
        let message = errors[0].to_string();
        assert!(
            message.contains("policy nests deeper than 64 levels")
                || message.contains("recursion limit exceeded"),
            "{message}"
        );
        assert!(matches!(errors[0], PolicyError::Syntax { .. }));
    }
}

#[test]
fn huge_regexes_hit_the_size_limit() {
    let text = r#"rules:
  - id: line
    match: { command: { line: "(a{1000}){1000}" } }
    decision: deny
  - id: arg
    match: { tool: t, args: [{ pointer: /x, regex: "\\w{5000}\\w{5000}" }] }
    decision: deny
  - id: session
    match: { session: { mcp_server: { regex: "(?:[0-9a-f]{100}){200}" } } }
    decision: deny
  - id: redact
    match: { tool: t }
    decision: modify
    modify: { redact: [{ pointer: /x, pattern: "(x{500}){500}" }] }
"#;
    let errors = compile(text).unwrap_err().errors;
    let got: Vec<(usize, usize, bool)> = errors
        .iter()
        .map(summary)
        .map(|(_, _, line, col, message)| (line, col, message.contains("exceeds size limit")))
        .collect();
    let at = |needle: &str| {
        let (line, col) = locate(text, needle, 0);
        (line, col, true)
    };
    assert_eq!(
        got,
        [
            at("\"(a{1000}"),
            at("\"\\\\w{5000}"),
            at("\"(?:[0-9a-f]"),
            at("\"(x{500}")
        ]
    );
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("lists:\n  a0: [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        text.push_str(&format!(
            "  a{i}: [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text = text.replace("  a0: [", "  a0: &a0 [");
    for i in 1..9 {
        text = text.replace(&format!("  a{i}: ["), &format!("  a{i}: &a{i} ["));
    }
    let errors = compile(&text).unwrap_err().errors;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().contains("repetition limit exceeded"),
        "{}",
        errors[0]
    );
}

#[test]
fn odd_yaml_never_panics() {
    let inputs = [
        "",
        "\n\n",
        "# only a comment\n",
        "---\n",
        "---\n...\n",
        "~\n",
        "[]\n",
        "rules:\n",
        "rules: ~\n",
        "\u{feff}rules: []\n",
        "rules: [\"é",
        "é: é: é",
        "\t",
        ":",
        "- - -",
        "{",
        "}",
        "!!binary x",
        "*alias",
        "&a [*a]",
        "%YAML 1.1\n---\nrules: []\n",
        "---\nrules: []\n---\nrules: []\n",
        "rules: []\0",
        "version: 99999999999999999999\n",
        "version: -1\n",
        "rules: [{}]\n",
        "rules:\n  - id: \"\"\n    match: {}\n    decision: allow\n",
        "lists: { \"\": [] }\nrules: [{ id: a, match: { tool: $ }, decision: deny }]\n",
        "rules: [{ id: a, match: { path: \"\" }, decision: deny }]\n",
        "rules: [{ id: a, match: { tool: \"\\\\\" }, decision: deny }]\n",
        "rules: [{ id: a, match: { path: [] }, decision: deny }]\n",
        "rules: [{ id: a, match: { args: [{ pointer: \"\" }] }, decision: deny }]\n",
        "ü",
    ];
    for text in inputs {
        match compile(text) {
            Ok(p) => {
                let _ = eval(&p, action(json!({ "kind": "tool_call", "name": "a" })));
            }
            Err(e) => {
                for err in &e.errors {
                    let (_, file, line, col, _) = summary(err);
                    assert_eq!(file, "user.yaml");
                    assert!(line >= 1 && col >= 1, "{text:?}: {err}");
                    let _ = render(err);
                }
            }
        }
    }
    // A file that is empty or only comments is an empty policy.
    for text in ["", "# nothing yet\n", "---\n"] {
        assert_eq!(
            compile(text)
                .map(|p| p.rule_count())
                .map_err(|e| e.to_string()),
            Ok(0),
            "{text:?}"
        );
    }
}

#[test]
fn odd_actions_never_panic() {
    let p = Policy::load(&[warden_policy::PolicySource::baseline()]).unwrap();
    let long = "a/".repeat(100_000);
    let mut huge_argv: Vec<String> = vec!["rm".into()];
    huge_argv.extend((0..20_000).map(|i| format!("-{i}x")));
    let mut actions = vec![
        Action::new(Operation::Exec(ExecAction::new(vec![]))),
        Action::new(Operation::Exec(ExecAction::new(vec![String::new()]))),
        Action::new(Operation::Exec(ExecAction::new(huge_argv))),
        Action::new(Operation::FileRead {
            path: NormPath::raw(""),
        }),
        Action::new(Operation::FileRead {
            path: NormPath::raw("\0"),
        }),
        action(json!({ "kind": "file_write", "path": long })),
        action(json!({ "kind": "file_delete", "path": "~/../../../..", "recursive": true })),
        action(json!({ "kind": "network", "host": "" })),
        action(json!({ "kind": "tool_call", "name": "", "args": [1, [2, [3]]] })),
        action(json!({ "kind": "mcp_call", "server": "", "tool": "" })),
        action(json!({ "kind": "message_send", "channel": "" })),
        action(json!({ "kind": "extension_load", "extension": "", "name": "" })),
    ];
    let v = p.evaluate(&actions, &SessionFacts::new());
    assert!((0.0..=1.0).contains(&v.risk));
    // `~/../../../..` is the root: deleting it recursively is denied.
    let root = actions.remove(6);
    assert_eq!(
        p.evaluate(&[root], &SessionFacts::new()).decision,
        Decision::Deny
    );
}
