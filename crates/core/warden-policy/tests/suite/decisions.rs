//! Combining rules: strictest decision wins, the verdict names every rule with its facts, reason,
//! guidance and a risk score, and the policy default decides when nothing fires.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_policy::{Decision, Layer, Mode, Policy, RuleMatch, SessionFacts, Severity, Verdict};

use super::support::{action, eval, policy, source};

fn send_email() -> warden_action::Action {
    action(json!({ "kind": "tool_call", "name": "send_email", "args": { "to": "a@b.example" } }))
}

const FOUR: &str = r#"
rules:
  - id: r.allow
    severity: info
    match: { tool: send_email }
    decision: allow
    reason: allowed for logging
  - id: r.modify
    severity: low
    match: { tool: "send_*" }
    decision: modify
    modify: { set: { /bcc: audit@corp.example } }
    reason: copy audit
    guidance: expect a bcc
  - id: r.ask
    severity: medium
    match: { tool: "*_email" }
    decision: ask
    reason: mail goes out
    guidance: confirm the recipient
  - id: r.deny
    severity: high
    match:
      tool: send_email
      args: [{ pointer: /to, glob: "*@b.example" }]
    decision: deny
    reason: b.example is blocked
    guidance: use another domain
"#;

fn rule_match(
    rule: &str,
    decision: Decision,
    severity: Severity,
    facts: &[&str],
    reason: &str,
    guidance: Option<&str>,
) -> RuleMatch {
    RuleMatch {
        rule: rule.into(),
        layer: Layer::User,
        decision,
        severity,
        action: 0,
        facts: facts.iter().map(|s| s.to_string()).collect(),
        reason: Some(reason.into()),
        guidance: guidance.map(str::to_string),
    }
}

#[test]
fn strictest_wins_and_verdict_lists_every_rule() {
    let v = eval(&policy(FOUR), send_email());
    let expected = Verdict {
        decision: Decision::Deny,
        policy_decision: Decision::Deny,
        mode: Mode::Enforce,
        // 1 - (1 - 0.8) * (1 - 0.5 * 0.6) * (1 - 0.2 * 0.3) * (1 - 0.05 * 0)
        risk: 0.868,
        reason: "b.example is blocked".into(),
        guidance: Some("use another domain".into()),
        rules: vec![
            rule_match(
                "r.deny",
                Decision::Deny,
                Severity::High,
                &[
                    "tool `send_email` matches `send_email`",
                    "argument `/to` = \"a@b.example\"",
                ],
                "b.example is blocked",
                Some("use another domain"),
            ),
            rule_match(
                "r.ask",
                Decision::Ask,
                Severity::Medium,
                &["tool `send_email` matches `*_email`"],
                "mail goes out",
                Some("confirm the recipient"),
            ),
            rule_match(
                "r.modify",
                Decision::Modify,
                Severity::Low,
                &["tool `send_email` matches `send_*`"],
                "copy audit",
                Some("expect a bcc"),
            ),
            rule_match(
                "r.allow",
                Decision::Allow,
                Severity::Info,
                &["tool `send_email` matches `send_email`"],
                "allowed for logging",
                None,
            ),
        ],
        modifications: vec![],
    };
    assert_eq!(v, expected);
}

/// Every subset of the four rules: the decision is the strictest of those present.
#[test]
fn strictest_wins_for_every_subset() {
    let rules: Vec<&str> = FOUR.split("  - id: ").skip(1).collect();
    let decisions = [
        Decision::Allow,
        Decision::Modify,
        Decision::Ask,
        Decision::Deny,
    ];
    for mask in 0u32..16 {
        let mut text = String::from("rules:\n");
        if mask == 0 {
            text = "rules: []\n".into();
        }
        let mut want = Decision::Allow;
        for (i, r) in rules.iter().enumerate() {
            if mask & (1 << i) != 0 {
                text.push_str("  - id: ");
                text.push_str(r);
                want = want.max(decisions[i]);
            }
        }
        let v = eval(&policy(&text), send_email());
        assert_eq!(v.policy_decision, want, "mask {mask:04b}");
        assert_eq!(v.decision, want, "mask {mask:04b}");
        assert_eq!(v.rules.len(), mask.count_ones() as usize, "mask {mask:04b}");
        assert_eq!(
            v.rules.first().map(|m| m.decision),
            (mask != 0).then_some(want),
            "mask {mask:04b}"
        );
        assert!(
            (0.0..=1.0).contains(&v.risk),
            "risk {} for mask {mask:04b}",
            v.risk
        );
        assert_eq!(
            v.modifications.is_empty(),
            want != Decision::Modify,
            "mask {mask:04b}"
        );
    }
}

#[test]
fn nothing_fires_gives_the_default() {
    let p = policy(
        "default: ask\nrules:\n  - id: other\n    match: { tool: other }\n    decision: deny\n",
    );
    assert_eq!(
        eval(&p, send_email()),
        Verdict {
            decision: Decision::Ask,
            policy_decision: Decision::Ask,
            mode: Mode::Enforce,
            risk: 0.0,
            reason: "no rule matched; the policy default is ask".into(),
            guidance: None,
            rules: vec![],
            modifications: vec![],
        }
    );
    // Without a `default:` it is allow, and no actions at all also give the default.
    let p = policy("rules: []\n");
    let v = p.evaluate(&[], &SessionFacts::new());
    assert_eq!(
        (v.decision, v.reason.as_str()),
        (
            Decision::Allow,
            "no rule matched; the policy default is allow"
        )
    );
}

#[test]
fn default_stricter_than_every_fired_rule() {
    let p = policy(
        "default: ask\nrules:\n  - id: ok\n    match: { tool: send_email }\n    decision: allow\n",
    );
    let v = eval(&p, send_email());
    assert_eq!(v.policy_decision, Decision::Ask);
    assert_eq!(
        v.reason,
        "the policy default (ask) is stricter than every rule that matched"
    );
    assert_eq!(
        v.rules.iter().map(|m| m.rule.as_str()).collect::<Vec<_>>(),
        ["ok"]
    );
}

#[test]
fn defaults_combine_to_the_strictest_layer() {
    let p = Policy::compile(&[
        source(Layer::User, "user.yaml", "default: ask\n"),
        source(Layer::Project, "project.yaml", "default: allow\n"),
    ])
    .unwrap();
    assert_eq!(eval(&p, send_email()).decision, Decision::Ask);
    let p = Policy::compile(&[
        source(Layer::User, "user.yaml", "default: allow\n"),
        source(Layer::Project, "project.yaml", "default: deny\n"),
    ])
    .unwrap();
    assert_eq!(eval(&p, send_email()).decision, Decision::Deny);
}

#[test]
fn reason_falls_back_to_description_then_id_and_counts_ties() {
    let p = policy(
        r#"
rules:
  - id: a
    description: described
    match: { tool: t }
    decision: ask
    guidance: same advice
  - id: b
    match: { tool: t }
    decision: ask
    guidance: same advice
  - id: c
    match: { tool: t }
    decision: ask
    guidance: other advice
"#,
    );
    let v = eval(&p, action(json!({ "kind": "tool_call", "name": "t" })));
    assert_eq!(v.reason, "described (and 2 more rule(s): b, c)");
    assert_eq!(v.guidance.as_deref(), Some("same advice other advice"));
    let reasons: Vec<Option<&str>> = v.rules.iter().map(|m| m.reason.as_deref()).collect();
    assert_eq!(reasons, [Some("described"), None, None]);
    let p = policy("rules:\n  - id: bare\n    match: { tool: t }\n    decision: deny\n");
    let v = eval(&p, action(json!({ "kind": "tool_call", "name": "t" })));
    assert_eq!(v.reason, "rule `bare` matched");
    assert_eq!(v.guidance, None);
}

#[test]
fn ties_sort_by_severity_and_lower_decisions_do_not_lend_guidance() {
    let p = policy(
        r#"
rules:
  - id: low
    severity: low
    match: { tool: t }
    decision: ask
  - id: crit
    severity: critical
    match: { tool: t }
    decision: ask
  - id: modest
    severity: critical
    match: { tool: t }
    decision: allow
    guidance: never shown
"#,
    );
    let v = eval(&p, action(json!({ "kind": "tool_call", "name": "t" })));
    let order: Vec<(&str, Severity)> = v
        .rules
        .iter()
        .map(|m| (m.rule.as_str(), m.severity))
        .collect();
    assert_eq!(
        order,
        [
            ("crit", Severity::Critical),
            ("low", Severity::Low),
            ("modest", Severity::Critical)
        ]
    );
    assert_eq!(v.guidance, None);
}

#[test]
fn several_actions_each_report_their_index() {
    let p = policy(
        r#"
rules:
  - id: read-secret
    match: { kind: file_read, path: "~/secret" }
    decision: ask
  - id: curl
    match: { command: { program: curl } }
    decision: deny
"#,
    );
    let actions = [
        action(json!({ "kind": "exec", "argv": ["curl", "x.example"] })),
        action(json!({ "kind": "file_read", "path": "~/notes" })),
        action(json!({ "kind": "file_read", "path": "/home/agent/secret" })),
    ];
    let v = p.evaluate(&actions, &SessionFacts::new());
    let got: Vec<(&str, usize, Vec<String>)> = v
        .rules
        .iter()
        .map(|m| (m.rule.as_str(), m.action, m.facts.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("curl", 0, vec!["program `curl` matches `curl`".to_string()]),
            (
                "read-secret",
                2,
                vec![
                    "action is file_read".to_string(),
                    "path `~/secret` matches `~/secret`".to_string()
                ]
            ),
        ]
    );
    assert_eq!(v.decision, Decision::Deny);
}

#[test]
fn opaque_actions_raise_risk_and_say_why() {
    let p = policy("rules:\n  - id: any-exec\n    severity: info\n    match: { kind: exec }\n    decision: allow\n");
    let mut a = action(json!({ "kind": "exec", "argv": ["$CMD"] }));
    a.opaque = Some(warden_action::Opacity {
        reason: "program is a variable".into(),
    });
    let v = eval(&p, a);
    assert_eq!(v.risk, 0.3);
    assert_eq!(
        v.rules[0].facts,
        [
            "action is exec".to_string(),
            "not fully understood: program is a variable".to_string()
        ]
    );
}

#[test]
fn risk_stays_within_bounds() {
    let mut text = String::from("rules:\n");
    for i in 0..60 {
        text.push_str(&format!(
            "  - id: r{i}\n    severity: critical\n    match: {{ tool: t }}\n    decision: deny\n"
        ));
    }
    let v = eval(
        &policy(&text),
        action(json!({ "kind": "tool_call", "name": "t" })),
    );
    assert_eq!(v.rules.len(), 60);
    assert_eq!(v.risk, 1.0);
    // One critical deny alone.
    let v = eval(
        &policy("rules:\n  - id: r\n    severity: critical\n    match: { tool: t }\n    decision: deny\n"),
        action(json!({ "kind": "tool_call", "name": "t" })),
    );
    assert_eq!(v.risk, 0.95);
    let v = Verdict::failed(Decision::Deny, "input did not parse");
    assert_eq!(
        (v.decision, v.risk, v.rules.len()),
        (Decision::Deny, 1.0, 0)
    );
}

#[test]
fn verdict_serialises_with_snake_case_names() {
    let v = eval(&policy(FOUR), send_email());
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["decision"], "deny");
    assert_eq!(j["mode"], "enforce");
    assert_eq!(j["rules"][0]["layer"], "user");
    assert_eq!(j["rules"][0]["severity"], "high");
    assert!(j.get("modifications").is_none());
}
