//! The index is an optimisation only: over thousands of generated rules and hundreds of generated
//! actions, `evaluate` fires exactly the rules that fire when each rule is evaluated alone.

use std::collections::{BTreeMap, BTreeSet};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use warden_action::{Action, Opacity};
use warden_policy::{Policy, SessionFacts};

use super::support::{action, exec_with, policy};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A small number, so generated names collide between rules and actions.
    fn n(&mut self) -> usize {
        self.below(12)
    }
}

const PROGRAMS: &[&str] = &[
    "git", "rm", "curl", "python3", "python", "node", "ls", "cat", "kubectl", "sh", "Git",
];
const SUBCOMMANDS: &[&str] = &["push", "pull", "apply", "status", "rm", "-rf", "x1", "main"];
const FLAGS: &[&str] = &["-f", "-r", "--force", "-x", "--dry-run"];
const TOOLS: &[&str] = &[
    "Bash",
    "bash",
    "WebFetch",
    "send_email",
    "pay",
    "tool_1",
    "tool_12",
    "tool_2",
];

/// One generated rule: its shape (for coverage) and its JSON form.
fn gen_rule(r: &mut Rng, i: usize) -> (&'static str, Value) {
    let n = r.n();
    let (shape, m): (&str, Value) = match r.below(22) {
        0 => (
            "program",
            json!({ "command": { "program": r.pick(&["git", "rm", "curl", "python*", "p?", "*l", "[gk]it", "*", "n*"]) } }),
        ),
        1 => (
            "program+facts",
            json!({ "command": {
                "program": [r.pick(PROGRAMS), r.pick(&["python*", "kube*"])],
                "subcommand": r.pick(SUBCOMMANDS),
                "flags_any": [r.pick(FLAGS)],
            } }),
        ),
        2 => (
            "program+operand",
            json!({ "command": { "program": r.pick(PROGRAMS), "operand": [format!("f{n}*"), "main"], "arg": ["*"] } }),
        ),
        3 => (
            "path-home",
            json!({ "path": r.pick(&["~/d{n}/**", "~/d{n}/", "$HOME/d{n}/x", "~/.ssh/id_*", "~", "~/"]).replace("{n}", &n.to_string()) }),
        ),
        4 => (
            "path-abs",
            json!({ "path": [r.pick(&["/srv/s{n}/*.txt", "/etc/*", "/etc/**", "/srv/s{n}/", "/"]).replace("{n}", &n.to_string())] }),
        ),
        5 => (
            "path-relative",
            json!({ "path": r.pick(&["*.ext{n}", "f{n}.txt", "config/*.yaml", "**/secret{n}", "d{n}/", ".env"]).replace("{n}", &n.to_string()) }),
        ),
        6 => (
            "path+kind",
            json!({ "kind": r.pick(&["file_read", "file_write", "file_delete"]), "path": format!("**/f{n}.*") }),
        ),
        7 => (
            "host",
            json!({ "host": r.pick(&["h{n}.example.com", "*.example.com", "*.d{n}.net", "H{n}.EXAMPLE.COM"]).replace("{n}", &n.to_string()) }),
        ),
        8 => (
            "url",
            json!({ "url": r.pick(&["https://h{n}.example.com/*", "*upload*", "http://*"]).replace("{n}", &n.to_string()) }),
        ),
        9 => (
            "host+sends",
            json!({ "host": format!("*.d{n}.net"), "sends_local_data": r.chance(50) }),
        ),
        10 => (
            "tool",
            json!({ "tool": r.pick(&["Bash", "tool_1*", "mcp__srv{n}__*", "*_email", "pay"]).replace("{n}", &n.to_string()) }),
        ),
        11 => (
            "tool+args",
            json!({ "tool": r.pick(TOOLS), "args": [arg_test(r, n)] }),
        ),
        12 => (
            "args-only",
            json!({ "args": [arg_test(r, n), arg_test(r, n + 1)] }),
        ),
        13 => (
            "subcommand-only",
            json!({ "kind": "exec", "command": { "subcommand": r.pick(SUBCOMMANDS) } }),
        ),
        14 => (
            "workspace",
            json!({ "in_workspace": r.chance(50), "recursive": r.chance(50) }),
        ),
        15 => ("opaque", json!({ "opaque": r.chance(70) })),
        16 => (
            "session",
            json!({ "kind": r.pick(&["exec", "network"]), "session": { "baseline_score": { "gte": n } } }),
        ),
        17 => (
            "any",
            json!({ "any": [
                { "path": format!("~/d{n}/**") },
                { "command": { "program": r.pick(PROGRAMS) } },
                { "host": format!("h{n}.example.com") },
            ] }),
        ),
        18 => (
            "not",
            json!({ "kind": "network", "not": { "host": r.pick(&["*.example.com", "h1.example.com"]) } }),
        ),
        19 => (
            "all",
            json!({ "all": [
                { "command": { "program": r.pick(PROGRAMS) } },
                { "not": { "command": { "flags_all": [r.pick(FLAGS), r.pick(FLAGS)] } } },
            ] }),
        ),
        20 => (
            "message",
            json!({ "channel": r.pick(&["slack", "email", "*"]), "recipient": format!("*@d{n}.example") }),
        ),
        _ => (
            "line",
            json!({ "command": { "line": format!("(?i)f{n}\\b") } }),
        ),
    };
    let decision = r.pick(&["allow", "ask", "deny", "modify"]);
    let mut rule = json!({ "id": format!("g{i}"), "decision": decision, "match": m });
    if decision == "modify" {
        rule["modify"] = json!({ "set": { "/x": i } });
    }
    (shape, rule)
}

fn arg_test(r: &mut Rng, n: usize) -> Value {
    match r.below(6) {
        0 => json!({ "pointer": "/n", "gt": n }),
        1 => json!({ "pointer": "/n", "lte": n }),
        2 => json!({ "pointer": "/to", "glob": format!("*@d{n}.example") }),
        3 => json!({ "pointer": "/flag", "exists": r.chance(50) }),
        4 => json!({ "pointer": "/items/0", "equals": format!("f{n}") }),
        _ => json!({ "pointer": "/to", "regex": format!("^u{n}@") }),
    }
}

fn gen_action(r: &mut Rng) -> Action {
    let n = r.n();
    let mut a = match r.below(9) {
        0 | 1 => {
            let mut argv = vec![r.pick(PROGRAMS).to_string()];
            for _ in 0..r.below(4) {
                argv.push(match r.below(3) {
                    0 => r.pick(SUBCOMMANDS).to_string(),
                    1 => r.pick(FLAGS).to_string(),
                    _ => format!("f{}", r.n()),
                });
            }
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let stdin: &[&str] = if r.chance(20) { &["curl"] } else { &[] };
            exec_with(&argv, stdin, &[])
        }
        2 | 3 => {
            let path = r
                .pick(&[
                    "~/d{n}/x",
                    "~/d{n}",
                    "$HOME/d{n}/x",
                    "~/.ssh/id_rsa",
                    "~",
                    "/etc/passwd",
                    "/etc",
                    "/etc/ssl/c.pem",
                    "/srv/s{n}/a.txt",
                    "/srv/s{n}",
                    "f{n}.txt",
                    "src/f{n}.rs",
                    "config/a.yaml",
                    "x/secret{n}",
                    "d{n}/deep/f",
                    "a.ext{n}",
                    ".env",
                    "/",
                    "../../d{n}/x",
                ])
                .replace("{n}", &n.to_string());
            match r.below(3) {
                0 => action(json!({ "kind": "file_read", "path": path })),
                1 => action(json!({ "kind": "file_write", "path": path })),
                _ => action(
                    json!({ "kind": "file_delete", "path": path, "recursive": r.chance(50) }),
                ),
            }
        }
        4 => {
            let host = r
                .pick(&[
                    "h{n}.example.com",
                    "example.com",
                    "a.d{n}.net",
                    "H{n}.Example.Com",
                ])
                .replace("{n}", &n.to_string());
            let url = r
                .pick(&["https://{h}/upload", "http://{h}/", "https://{h}/x"])
                .replace("{h}", &host);
            action(
                json!({ "kind": "network", "host": host, "url": url, "sends_local_data": r.chance(50) }),
            )
        }
        5 | 6 => {
            let mut args = json!({});
            if r.chance(60) {
                args["n"] = json!(r.below(15));
            }
            if r.chance(60) {
                args["to"] = json!(format!("u{}@d{}.example", r.n(), r.n()));
            }
            if r.chance(40) {
                args["flag"] = json!(true);
            }
            if r.chance(40) {
                args["items"] = json!([format!("f{}", r.n())]);
            }
            if r.chance(30) {
                action(
                    json!({ "kind": "mcp_call", "server": format!("srv{n}"), "tool": "t", "args": args }),
                )
            } else {
                action(json!({ "kind": "tool_call", "name": r.pick(TOOLS), "args": args }))
            }
        }
        7 => action(json!({
            "kind": "message_send",
            "channel": r.pick(&["slack", "email", "sms"]),
            "recipients": [format!("u@d{n}.example")],
        })),
        _ if r.chance(50) => action(json!({ "kind": "config_change", "target": "settings" })),
        _ => action(json!({ "kind": "agent_spawn", "prompt": "go" })),
    };
    if r.chance(10) {
        a.opaque = Some(Opacity {
            reason: "generated".into(),
        });
    }
    a
}

/// (rule id, action index) pairs that fire, sorted.
fn pairs(p: &Policy, actions: &[Action], session: &SessionFacts) -> BTreeSet<(String, usize)> {
    p.evaluate(actions, session)
        .rules
        .into_iter()
        .map(|m| (m.rule, m.action))
        .collect()
}

#[test]
fn index_fires_exactly_the_rules_a_naive_check_fires() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let rules: Vec<(&str, Value)> = (0..2000).map(|i| gen_rule(&mut r, i)).collect();
    let actions: Vec<Action> = (0..400).map(|_| gen_action(&mut r)).collect();
    let mut session = SessionFacts::new();
    session.insert("baseline_score".into(), json!(5));

    let text = |rs: &[&Value]| {
        let mut t = String::from("rules:\n");
        for rule in rs {
            t.push_str("  - ");
            t.push_str(&serde_json::to_string(rule).unwrap());
            t.push('\n');
        }
        t
    };
    let all: Vec<&Value> = rules.iter().map(|(_, v)| v).collect();
    let full = policy(&text(&all));
    assert_eq!(full.rule_count(), 2000);

    let mut expected = BTreeSet::new();
    let mut shape_hits: BTreeMap<&str, usize> = BTreeMap::new();
    for (shape, rule) in &rules {
        let alone = policy(&text(&[rule]));
        let fired = pairs(&alone, &actions, &session);
        *shape_hits.entry(shape).or_default() += fired.len();
        expected.extend(fired);
    }
    // Every shape fires somewhere, so the comparison is not vacuous.
    let silent: Vec<&&str> = shape_hits
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(s, _)| s)
        .collect();
    assert!(silent.is_empty(), "shapes that never fired: {silent:?}");
    assert!(expected.len() > 10_000, "only {} firings", expected.len());

    let got = pairs(&full, &actions, &session);
    // Differences only: a diff of the whole sets would be tens of thousands of lines.
    let missing: Vec<_> = expected.difference(&got).take(20).collect();
    let extra: Vec<_> = got.difference(&expected).take(20).collect();
    assert_eq!(
        (missing, extra),
        (vec![], vec![]),
        "(missing, extra) among {} firings",
        expected.len()
    );
    // One action at a time gives the same.
    for (ai, a) in actions.iter().enumerate() {
        let got: BTreeSet<(String, usize)> = pairs(&full, std::slice::from_ref(a), &session)
            .into_iter()
            .map(|(id, _)| (id, ai))
            .collect();
        let want: BTreeSet<(String, usize)> =
            expected.iter().filter(|(_, i)| *i == ai).cloned().collect();
        assert_eq!(
            got,
            want,
            "action {ai}: {}",
            serde_json::to_string(a).unwrap()
        );
    }
}
