//! Every match field, alone and combined: each test has actions that must fire and neighbours
//! that must not.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use warden_action::{Action, NormPath, Operation};
use warden_policy::SessionFacts;

use super::support::{action, exec, exec_with, fired, fired1, policy};

/// Check which of the policy's rules fire for each action.
fn check(yaml: &str, cases: Vec<(Action, &[&str])>) {
    let p = policy(yaml);
    for (a, want) in cases {
        let got = fired1(&p, a.clone());
        assert_eq!(
            got,
            want.to_vec(),
            "for {}",
            serde_json::to_string(&a).unwrap()
        );
    }
}

fn read(path: &str) -> Action {
    action(json!({ "kind": "file_read", "path": path }))
}

fn write(path: &str) -> Action {
    action(json!({ "kind": "file_write", "path": path }))
}

fn delete(path: &str, recursive: bool) -> Action {
    action(json!({ "kind": "file_delete", "path": path, "recursive": recursive }))
}

fn net(host: &str, url: Option<&str>, sends: bool) -> Action {
    action(json!({ "kind": "network", "host": host, "url": url, "sends_local_data": sends }))
}

fn tool(name: &str, args: Value) -> Action {
    action(json!({ "kind": "tool_call", "name": name, "args": args }))
}

const NONE: &[&str] = &[];

#[test]
fn kind() {
    check(
        "rules:\n  - id: k\n    match: { kind: [file_read, network] }\n    decision: ask\n  - id: one\n    match: { kind: agent_spawn }\n    decision: ask\n",
        vec![
            (read("/x"), &["k"]),
            (net("h.example", None, false), &["k"]),
            (write("/x"), NONE),
            (exec(&["ls"]), NONE),
            (action(json!({ "kind": "agent_spawn", "prompt": "go" })), &["one"]),
        ],
    );
}

#[test]
fn tool_globs_cover_tool_and_mcp_calls_case_insensitively() {
    check(
        r#"
rules:
  - id: gh
    match: { tool: "mcp__github__*" }
    decision: ask
  - id: bash
    match: { tool: [Bash, "Web?etch"] }
    decision: ask
"#,
        vec![
            (
                action(json!({ "kind": "mcp_call", "server": "github", "tool": "create_issue" })),
                &["gh"],
            ),
            (
                action(json!({ "kind": "mcp_call", "server": "gitlab", "tool": "create_issue" })),
                NONE,
            ),
            (tool("mcp__github__x", json!({})), &["gh"]),
            (tool("bash", json!({})), &["bash"]),
            (tool("WebFetch", json!({})), &["bash"]),
            (tool("WebFetcher", json!({})), NONE),
            // A tool rule never fires for other kinds.
            (exec(&["Bash"]), NONE),
        ],
    );
}

#[test]
fn path_globs_home_forms_and_normalised_inputs() {
    check(
        r#"
rules:
  - id: tilde
    match: { path: "~/.ssh/id_*" }
    decision: deny
  - id: dollar-home
    match: { path: "$HOME/.aws/credentials" }
    decision: deny
  - id: absolute
    match: { path: "/etc/*" }
    decision: ask
"#,
        vec![
            (read("~/.ssh/id_rsa"), &["tilde"]),
            (read("$HOME/.ssh/id_ed25519"), &["tilde"]),
            (read("../.ssh/id_ecdsa"), &["tilde"]),
            (read("/home/agent/.ssh/id_rsa"), &["tilde"]),
            (read("~/.ssh/known_hosts"), NONE),
            // `*` does not cross a separator.
            (read("~/.ssh/id_dir/key"), NONE),
            (read("/home/other/.ssh/id_rsa"), NONE),
            (read("~/.aws/credentials"), &["dollar-home"]),
            (read("${HOME}/.aws//credentials"), &["dollar-home"]),
            (read("/etc/passwd"), &["absolute"]),
            (read("/etc/ssl/cert.pem"), NONE),
            (read("/etcetera"), NONE),
        ],
    );
}

#[test]
fn relative_path_patterns_match_at_any_depth() {
    check(
        r#"
rules:
  - id: env
    match: { path: [".env", "*.pem"] }
    decision: ask
  - id: nested
    match: { path: "config/*.yaml" }
    decision: ask
"#,
        vec![
            (read(".env"), &["env"]),
            (read("/home/agent/project/sub/dir/.env"), &["env"]),
            (read("/tmp/.env"), &["env"]),
            (read("/tmp/x.env"), NONE),
            (read("/tmp/.env.example"), NONE),
            (read("certs/server.pem"), &["env"]),
            (read("config/app.yaml"), &["nested"]),
            (read("/srv/a/config/app.yaml"), &["nested"]),
            (read("/srv/a/config/deep/app.yaml"), NONE),
            (read("/srv/a/myconfig/app.yaml"), NONE),
        ],
    );
}

#[test]
fn trailing_slash_means_the_directory_and_everything_under_it() {
    check(
        r#"
rules:
  - id: secrets-dir
    match: { path: "secrets/" }
    decision: deny
  - id: home-dir
    match: { path: "~/.gnupg/" }
    decision: deny
  - id: starstar
    match: { path: "/opt/app/**" }
    decision: ask
"#,
        vec![
            (read("secrets"), &["secrets-dir"]),
            (read("secrets/a/b/c.txt"), &["secrets-dir"]),
            (read("/srv/x/secrets/key"), &["secrets-dir"]),
            (read("secretsfile"), NONE),
            (read("my-secrets/x"), NONE),
            (read("~/.gnupg"), &["home-dir"]),
            (read("$HOME/.gnupg/private-keys-v1.d/k.key"), &["home-dir"]),
            (read("~/.gnupg-other/x"), NONE),
            (read("/opt/app"), &["starstar"]),
            (read("/opt/app/bin/x"), &["starstar"]),
            (read("/opt/application"), NONE),
        ],
    );
}

/// `~` and `~/` both mean the home directory itself, the way `/` means the root itself; neither
/// reaches below it.
#[test]
fn home_and_root_patterns_mean_the_directory_itself() {
    check(
        r#"
rules:
  - id: tilde
    match: { path: "~" }
    decision: deny
  - id: tilde-slash
    match: { path: "~/" }
    decision: deny
  - id: dollar-home-slash
    match: { path: "$HOME/" }
    decision: deny
  - id: root
    match: { path: "/" }
    decision: deny
"#,
        vec![
            (
                delete("~", true),
                &["dollar-home-slash", "tilde", "tilde-slash"],
            ),
            (
                delete("$HOME/", true),
                &["dollar-home-slash", "tilde", "tilde-slash"],
            ),
            (delete("~/x", true), NONE),
            (delete("/", true), &["root"]),
            (delete("/x", true), NONE),
        ],
    );
}

/// A path seen through a symlink matches rules on the link and on its target.
#[test]
fn both_the_resolved_and_the_lexical_path_are_matched() {
    let p = policy(
        r#"
rules:
  - id: target
    match: { path: "~/.ssh/id_*" }
    decision: deny
  - id: link
    match: { path: "/home/agent/project/notes.txt" }
    decision: ask
"#,
    );
    let mut path = NormPath::raw("/home/agent/.ssh/id_rsa");
    path.lexical = Some("/home/agent/project/notes.txt".into());
    path.home = "/home/agent".into();
    path.in_workspace = Some(true);
    let a = Action::new(Operation::FileRead { path });
    assert_eq!(fired1(&p, a.clone()), ["link", "target"]);
    let v = super::support::eval(&p, a);
    let facts: Vec<&str> = v
        .rules
        .iter()
        .flat_map(|m| m.facts.iter().map(String::as_str))
        .collect();
    assert_eq!(
        facts,
        [
            "path `~/.ssh/id_rsa` matches `~/.ssh/id_*`",
            "path `/home/agent/project/notes.txt` matches `/home/agent/project/notes.txt`"
        ]
    );
}

#[test]
fn in_workspace_and_recursive() {
    let mut no_ws = read("/elsewhere/x");
    if let Operation::FileRead { path } = &mut no_ws.op {
        path.in_workspace = None;
    }
    check(
        r#"
rules:
  - id: outside
    match: { in_workspace: false }
    decision: ask
  - id: inside
    match: { in_workspace: true }
    decision: allow
  - id: rec
    match: { recursive: true }
    decision: ask
  - id: flat
    match: { recursive: false, in_workspace: true }
    decision: allow
"#,
        vec![
            (read("src/lib.rs"), &["inside"]),
            (read("/tmp/x"), &["outside"]),
            (read("../sibling/x"), &["outside"]),
            (no_ws, NONE),
            (delete("build", true), &["inside", "rec"]),
            (delete("build", false), &["flat", "inside"]),
            (delete("/tmp/b", true), &["outside", "rec"]),
            // Neither field applies to other kinds.
            (exec(&["rm", "-rf", "/"]), NONE),
        ],
    );
}

#[test]
fn command_program_is_a_case_sensitive_basename_glob() {
    check(
        "rules:\n  - id: py\n    match: { command: { program: [\"python*\", node] } }\n    decision: ask\n",
        vec![
            (exec(&["python3", "x.py"]), &["py"]),
            (exec(&["/usr/bin/python3.12"]), &["py"]),
            (exec(&["\\node", "-e", "1"]), &["py"]),
            (exec(&["ipython"]), NONE),
            (exec(&["Python"]), NONE),
            (exec(&["nodejs"]), NONE),
        ],
    );
}

#[test]
fn command_subcommand_flags_operands_and_args() {
    check(
        r#"
rules:
  - id: sub
    match: { command: { program: git, subcommand: [push, "re*"] } }
    decision: ask
  - id: any-flag
    match: { command: { program: rm, flags_any: ["-r", "--recursive"] } }
    decision: ask
  - id: all-flags
    match: { command: { program: rm, flags_all: ["-r", "-f"] } }
    decision: deny
  - id: operand
    match: { command: { program: git, operand: ["+*", "main"] } }
    decision: ask
  - id: arg
    match: { command: { program: git, arg: ["--upload-pack*"] } }
    decision: deny
"#,
        vec![
            (exec(&["git", "push", "origin", "feature"]), &["sub"]),
            (exec(&["git", "rebase", "-i"]), &["sub"]),
            (exec(&["git", "status"]), NONE),
            // `-C` takes a value: this runs `status` in the directory `push`.
            (exec(&["git", "-C", "push", "status"]), NONE),
            (exec(&["git", "-c", "a=b", "push"]), &["sub"]),
            (
                exec(&["git", "push", "origin", "+main"]),
                &["operand", "sub"],
            ),
            (exec(&["git", "log", "main"]), &["operand"]),
            (exec(&["git", "fetch", "--upload-pack=evil"]), &["arg"]),
            (exec(&["rm", "-r", "x"]), &["any-flag"]),
            (exec(&["rm", "-rf", "x"]), &["all-flags", "any-flag"]),
            (exec(&["rm", "-f", "-r", "x"]), &["all-flags", "any-flag"]),
            (exec(&["rm", "--recursive", "x"]), &["any-flag"]),
            (exec(&["rm", "-f", "x"]), NONE),
            // `-R` is not `-r`: flags compare exactly.
            (exec(&["rm", "-R", "x"]), NONE),
            // Operands after `--` are operands, never flags.
            (exec(&["rm", "--", "-r"]), NONE),
        ],
    );
}

#[test]
fn command_stdin_from_via_and_line() {
    check(
        r#"
rules:
  - id: piped
    match: { command: { program: sh, stdin_from: [curl, "wget*"] } }
    decision: deny
  - id: sudo
    match: { command: { via: [sudo, "bash -c"] } }
    decision: ask
  - id: line
    match: { command: { line: "(?i)drop\\s+table" } }
    decision: ask
"#,
        vec![
            (exec_with(&["sh"], &["curl"], &[]), &["piped"]),
            (exec_with(&["sh"], &["echo", "wget2"], &[]), &["piped"]),
            (exec_with(&["sh"], &["cat"], &[]), NONE),
            (exec_with(&["bash"], &["curl"], &[]), NONE),
            (exec_with(&["rm", "x"], &[], &["sudo"]), &["sudo"]),
            (exec_with(&["rm", "x"], &[], &["BASH -C"]), &["sudo"]),
            (exec_with(&["rm", "x"], &[], &["doas"]), NONE),
            (exec(&["psql", "-c", "DROP  TABLE users"]), &["line"]),
            (exec(&["psql", "-c", "select * from droptable"]), NONE),
        ],
    );
}

#[test]
fn host_url_and_sends_local_data() {
    check(
        r#"
rules:
  - id: sub
    match: { host: "*.example.com" }
    decision: ask
  - id: exact
    match: { host: Example.COM }
    decision: ask
  - id: upload
    match: { url: "https://*/upload*" }
    decision: ask
  - id: exfil
    match: { sends_local_data: true, not: { host: [github.com] } }
    decision: deny
"#,
        vec![
            (net("api.example.com", None, false), &["sub"]),
            (net("API.Example.Com.", None, false), &["sub"]),
            (net("example.com", None, false), &["exact"]),
            (net("example.com.evil.net", None, false), NONE),
            (
                net(
                    "x.example.com",
                    Some("HTTPS://x.example.com/Upload/1"),
                    false,
                ),
                &["sub", "upload"],
            ),
            (
                net("x.example.org", Some("http://x.example.org/upload"), false),
                NONE,
            ),
            (net("evil.net", None, true), &["exfil"]),
            (net("github.com", None, true), NONE),
            (net("evil.net", None, false), NONE),
        ],
    );
}

#[test]
fn args_equals_glob_regex_and_exists() {
    check(
        r#"
rules:
  - id: eq-num
    match: { args: [{ pointer: /n, equals: 5 }] }
    decision: ask
  - id: eq-str
    match: { args: [{ pointer: /to, equals: Boss@Corp.example }] }
    decision: ask
  - id: glob
    match: { args: [{ pointer: /to, glob: ["*@evil.example", "*@*.evil.example"] }] }
    decision: deny
  - id: regex
    match: { args: [{ pointer: /body, regex: "(?i)password" }] }
    decision: ask
  - id: has-cc
    match: { args: [{ pointer: /cc, exists: true }] }
    decision: ask
  - id: no-subject
    match: { tool: mail, args: [{ pointer: /subject, exists: false }] }
    decision: ask
  - id: nested
    match: { args: [{ pointer: /items/1/sku, equals: X-1 }] }
    decision: ask
"#,
        vec![
            (tool("t", json!({ "n": 5 })), &["eq-num"]),
            (tool("t", json!({ "n": "5" })), &["eq-num"]),
            (tool("t", json!({ "n": 5.0 })), &["eq-num"]),
            (tool("t", json!({ "n": 6 })), NONE),
            (tool("t", json!({ "n": [1, 5] })), &["eq-num"]),
            (tool("t", json!({ "to": "boss@corp.example" })), &["eq-str"]),
            (tool("t", json!({ "to": "a@EVIL.example" })), &["glob"]),
            (
                tool(
                    "t",
                    json!({ "to": ["ok@corp.example", "x@mx.evil.example"] }),
                ),
                &["glob"],
            ),
            (tool("t", json!({ "to": "a@notevil.example" })), NONE),
            (tool("t", json!({ "body": "my PassWord is" })), &["regex"]),
            (tool("t", json!({ "body": 12 })), NONE),
            (tool("t", json!({ "cc": "x" })), &["has-cc"]),
            (tool("t", json!({ "cc": null })), NONE),
            (tool("t", json!({ "cc": [] })), &["has-cc"]),
            (tool("mail", json!({ "subject": "hi" })), NONE),
            (tool("mail", json!({})), &["no-subject"]),
            (tool("mail", json!(null)), &["no-subject"]),
            (
                tool("t", json!({ "items": [{ "sku": "A" }, { "sku": "x-1" }] })),
                &["nested"],
            ),
            (tool("t", json!({ "items": [{ "sku": "X-1" }] })), NONE),
            // Argument tests never fire for actions without arguments.
            (exec(&["t"]), NONE),
        ],
    );
}

#[test]
fn args_numeric_bounds() {
    check(
        r#"
rules:
  - id: gt
    match: { args: [{ pointer: /amount, gt: 100 }] }
    decision: ask
  - id: gte
    match: { args: [{ pointer: /amount, gte: 100 }] }
    decision: ask
  - id: lt
    match: { args: [{ pointer: /amount, lt: 10 }] }
    decision: ask
  - id: lte
    match: { args: [{ pointer: /amount, lte: 10 }] }
    decision: ask
  - id: band
    match: { args: [{ pointer: /amount, gt: 10, lt: 100 }] }
    decision: ask
"#,
        vec![
            (tool("pay", json!({ "amount": 100 })), &["gte"]),
            (tool("pay", json!({ "amount": 100.5 })), &["gt", "gte"]),
            (
                tool("pay", json!({ "amount": "$1,500.00" })),
                &["gt", "gte"],
            ),
            (tool("pay", json!({ "amount": " €250 " })), &["gt", "gte"]),
            (tool("pay", json!({ "amount": 10 })), &["lte"]),
            (tool("pay", json!({ "amount": -3 })), &["lt", "lte"]),
            (tool("pay", json!({ "amount": 50 })), &["band"]),
            (
                tool("pay", json!({ "amount": [5, 500] })),
                &["gt", "gte", "lt", "lte"],
            ),
            (tool("pay", json!({ "amount": "lots" })), NONE),
            (tool("pay", json!({ "amount": true })), NONE),
            (tool("pay", json!({})), NONE),
            // "NaN" parses as a float but is no number: it must not pass every bound at once.
            (tool("pay", json!({ "amount": "NaN" })), NONE),
        ],
    );
}

#[test]
fn effect() {
    check(
        "rules:\n  - id: side\n    match: { effect: [side_effect, unknown] }\n    decision: ask\n",
        vec![
            (
                action(json!({ "kind": "tool_call", "name": "t", "effect": "side_effect" })),
                &["side"],
            ),
            (
                action(json!({ "kind": "tool_call", "name": "t" })),
                &["side"],
            ),
            (
                action(json!({ "kind": "tool_call", "name": "t", "effect": "read_only" })),
                NONE,
            ),
            (
                action(json!({ "kind": "mcp_call", "server": "s", "tool": "t" })),
                NONE,
            ),
        ],
    );
}

#[test]
fn channel_recipient_target_and_extension() {
    check(
        r#"
rules:
  - id: chat
    match: { channel: ["slack", "teams*"] }
    decision: ask
  - id: outside
    match: { recipient: ["*@*", "!*"], not: { recipient: "*@corp.example" } }
    decision: ask
  - id: settings
    match: { target: ["*settings*"] }
    decision: ask
  - id: mcp
    match: { extension: [mcp_server, plugin] }
    decision: ask
"#,
        vec![
            (
                action(json!({ "kind": "message_send", "channel": "Slack", "recipients": [] })),
                &["chat"],
            ),
            (
                action(
                    json!({ "kind": "message_send", "channel": "teams-dm", "recipients": ["a@x.example"] }),
                ),
                &["chat", "outside"],
            ),
            (
                action(
                    json!({ "kind": "message_send", "channel": "email", "recipients": ["a@corp.example"] }),
                ),
                NONE,
            ),
            (
                action(
                    json!({ "kind": "message_send", "channel": "email", "recipients": ["a@corp.example", "b@gmail.example"] }),
                ),
                NONE,
            ),
            (
                action(json!({ "kind": "message_send", "channel": "sms", "recipients": ["!x"] })),
                &["outside"],
            ),
            (
                action(json!({ "kind": "config_change", "target": "user_settings" })),
                &["settings"],
            ),
            (
                action(json!({ "kind": "config_change", "target": "hooks" })),
                NONE,
            ),
            (
                action(json!({ "kind": "extension_load", "extension": "MCP_SERVER", "name": "x" })),
                &["mcp"],
            ),
            (
                action(json!({ "kind": "extension_load", "extension": "skill", "name": "x" })),
                NONE,
            ),
        ],
    );
}

#[test]
fn opaque() {
    let p = policy(
        "rules:\n  - id: opaque\n    match: { kind: exec, opaque: true }\n    decision: ask\n  - id: clear\n    match: { kind: exec, opaque: false }\n    decision: allow\n",
    );
    let mut a = exec(&["$CMD"]);
    a.opaque = Some(warden_action::Opacity {
        reason: "variable program".into(),
    });
    assert_eq!(fired1(&p, a), ["opaque"]);
    assert_eq!(fired1(&p, exec(&["ls"])), ["clear"]);
    // A path with an unknown variable is marked opaque when normalised.
    let p = policy("rules:\n  - id: opaque\n    match: { opaque: true }\n    decision: ask\n");
    assert_eq!(fired1(&p, read("$NOPE/id_rsa")), ["opaque"]);
    assert_eq!(fired1(&p, read("$HOME/id_rsa")), NONE);
}

#[test]
fn session_facts() {
    let p = policy(
        r#"
rules:
  - id: tainted
    match: { kind: network, session: { private_read: { equals: true } } }
    decision: deny
  - id: busy
    match: { session: { baseline_score: { gte: 0.9 } } }
    decision: ask
  - id: anonymous
    match: { kind: exec, session: { mcp_server: { exists: false } } }
    decision: ask
"#,
    );
    let mut s = SessionFacts::new();
    let n = net("h.example", None, false);
    assert_eq!(fired(&p, std::slice::from_ref(&n), &s), NONE);
    s.insert("private_read".into(), json!(true));
    assert_eq!(fired(&p, std::slice::from_ref(&n), &s), ["tainted"]);
    s.insert("baseline_score".into(), json!(0.95));
    assert_eq!(fired(&p, std::slice::from_ref(&n), &s), ["busy", "tainted"]);
    s.insert("private_read".into(), json!(false));
    assert_eq!(fired(&p, &[n], &s), ["busy"]);
    assert_eq!(fired(&p, &[exec(&["ls"])], &s), ["anonymous", "busy"]);
    s.insert("mcp_server".into(), json!("dev"));
    assert_eq!(fired(&p, &[exec(&["ls"])], &s), ["busy"]);
    let v = p.evaluate(&[exec(&["ls"])], &s);
    assert_eq!(v.rules[0].facts, ["session fact `baseline_score` = 0.95"]);
}

#[test]
fn all_any_not_combinators() {
    check(
        r#"
rules:
  - id: all
    match:
      all:
        - { command: { program: curl } }
        - { command: { arg: ["-d*", "--data*"] } }
    decision: ask
  - id: any
    match:
      kind: file_read
      any:
        - { path: "~/.netrc" }
        - { path: "~/.npmrc" }
    decision: deny
  - id: not
    match:
      command: { program: rm }
      not: { command: { operand: ["/tmp/*"] } }
    decision: ask
  - id: nested
    match:
      any:
        - all:
            - { kind: file_write }
            - not: { in_workspace: true }
        - { kind: file_delete, not: { any: [ { path: "/tmp/**" }, { recursive: false } ] } }
    decision: ask
"#,
        vec![
            (exec(&["curl", "-d", "x", "h"]), &["all"]),
            (exec(&["curl", "h"]), NONE),
            (read("~/.netrc"), &["any"]),
            (read("~/.npmrc"), &["any"]),
            (read("~/.bashrc"), NONE),
            (write("~/.netrc"), &["nested"]),
            (exec(&["rm", "/tmp/a"]), NONE),
            (exec(&["rm", "/tmp/a", "/etc/b"]), NONE),
            (exec(&["rm", "./a"]), &["not"]),
            (write("src/x.rs"), NONE),
            (delete("/srv/data", true), &["nested"]),
            (delete("/srv/data", false), NONE),
            (delete("/tmp/data", true), NONE),
        ],
    );
}

#[test]
fn lists_expand_in_every_string_field() {
    check(
        r#"
lists:
  fetchers: [curl, "wget*"]
  hosts: ["*.evil.example", evil.example]
  flags: ["-f", "--force"]
  branches: [main, "release/*"]
  paths: ["~/.netrc", "secrets/"]
  tools: [Bash, "mcp__*"]
rules:
  - id: fetch
    match: { command: { program: $fetchers } }
    decision: ask
  - id: host
    match: { host: [$hosts, other.example] }
    decision: deny
  - id: force
    match: { command: { program: git, flags_any: $flags, operand: $branches } }
    decision: deny
  - id: path
    match: { path: $paths }
    decision: deny
  - id: tool
    match: { tool: $tools }
    decision: ask
"#,
        vec![
            (exec(&["curl"]), &["fetch"]),
            (exec(&["wget2"]), &["fetch"]),
            (
                exec(&["git", "push", "--force", "origin", "release/1"]),
                &["force"],
            ),
            (exec(&["git", "push", "--force", "origin", "feature"]), NONE),
            (net("a.evil.example", None, false), &["host"]),
            (net("evil.example", None, false), &["host"]),
            (net("other.example", None, false), &["host"]),
            (net("good.example", None, false), NONE),
            (read("~/.netrc"), &["path"]),
            (read("secrets/x"), &["path"]),
            (tool("Bash", json!({})), &["tool"]),
            (
                action(json!({ "kind": "mcp_call", "server": "s", "tool": "t" })),
                &["tool"],
            ),
        ],
    );
}

#[test]
fn an_empty_match_fires_for_every_kind() {
    let p = policy("rules:\n  - id: everything\n    match: {}\n    decision: allow\n");
    for a in [
        read("/x"),
        exec(&["ls"]),
        net("h", None, false),
        tool("t", json!({})),
    ] {
        assert_eq!(fired1(&p, a), ["everything"]);
    }
}
