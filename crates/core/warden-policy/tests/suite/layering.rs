//! Layers: baseline < user < project < managed. The user may extend lists and disable rules; a
//! project may only add restrictions; nobody below the managed layer weakens it.

use pretty_assertions::assert_eq;
use serde_json::json;
use warden_action::Action;
use warden_policy::{Decision, Layer, Policy, PolicySource, SessionFacts};

use super::support::{action, fired1, locate, source, summary};

fn upload(host: &str) -> Action {
    action(json!({ "kind": "network", "host": host, "sends_local_data": true }))
}

fn baseline_count() -> usize {
    Policy::compile(&[PolicySource::baseline()])
        .unwrap()
        .rule_count()
}

/// Compile and return each error as (kind, file, line, column, message).
fn errors_of(sources: &[PolicySource]) -> Vec<(&'static str, String, usize, usize, String)> {
    match Policy::compile(sources) {
        Ok(_) => panic!("compiled"),
        Err(e) => e.errors.iter().map(summary).collect(),
    }
}

#[test]
fn user_extends_baseline_lists() {
    let base = Policy::compile(&[PolicySource::baseline()]).unwrap();
    assert_eq!(
        fired1(&base, upload("files.corp.example")),
        ["exfil.local-data-to-untrusted-host"]
    );
    let user = source(
        Layer::User,
        "user.yaml",
        "lists:\n  trusted_hosts: [files.corp.example, \"*.corp.example\"]\n",
    );
    let p = Policy::load(&[PolicySource::baseline(), user]).unwrap();
    assert_eq!(
        fired1(&p, upload("files.corp.example")),
        Vec::<String>::new()
    );
    assert_eq!(fired1(&p, upload("x.corp.example")), Vec::<String>::new());
    // The baseline's own entries are still there.
    assert_eq!(fired1(&p, upload("github.com")), Vec::<String>::new());
    assert_eq!(
        fired1(&p, upload("evil.example")),
        ["exfil.local-data-to-untrusted-host"]
    );
}

#[test]
fn user_lists_are_visible_to_user_rules_and_new_lists_work() {
    let user = source(
        Layer::User,
        "user.yaml",
        "lists:\n  fetchers: [my-fetch]\n  mine: [a.example]\nrules:\n  - id: user.fetch\n    match: { command: { program: $fetchers } }\n    decision: ask\n  - id: user.mine\n    match: { host: $mine }\n    decision: ask\n",
    );
    let p = Policy::load(&[PolicySource::baseline(), user]).unwrap();
    assert_eq!(
        fired1(&p, action(json!({ "kind": "exec", "argv": ["curl"] }))),
        ["user.fetch"]
    );
    assert_eq!(
        fired1(&p, action(json!({ "kind": "exec", "argv": ["my-fetch"] }))),
        ["user.fetch"]
    );
    assert_eq!(
        fired1(
            &p,
            action(json!({ "kind": "network", "host": "a.example" }))
        ),
        ["user.mine"]
    );
}

#[test]
fn user_disables_baseline_rules() {
    let env_read = || action(json!({ "kind": "file_read", "path": ".env" }));
    let base = Policy::compile(&[PolicySource::baseline()]).unwrap();
    assert_eq!(fired1(&base, env_read()), ["credentials.env-files"]);
    let user = source(
        Layer::User,
        "user.yaml",
        "disable: [credentials.env-files, self.config-change]\n",
    );
    let p = Policy::load(&[PolicySource::baseline(), user]).unwrap();
    assert_eq!(p.rule_count(), baseline_count() - 2);
    assert_eq!(fired1(&p, env_read()), Vec::<String>::new());
    assert_eq!(
        p.evaluate(&[env_read()], &SessionFacts::new()).decision,
        Decision::Allow
    );
}

#[test]
fn project_adds_restrictions_and_cannot_weaken() {
    let project = source(
        Layer::Project,
        "project.yaml",
        "mode: enforce\ndefault: allow\nrules:\n  - id: project.no-deploy\n    match: { command: { program: kubectl, subcommand: apply } }\n    decision: deny\n  - id: project.allow-keys\n    match: { path: \"~/.ssh/**\" }\n    decision: allow\n",
    );
    let p = Policy::load(&[PolicySource::baseline(), project]).unwrap();
    let v = p.evaluate(
        &[action(
            json!({ "kind": "exec", "argv": ["kubectl", "apply", "-f", "x"] }),
        )],
        &SessionFacts::new(),
    );
    assert_eq!(
        (v.decision, v.rules[0].layer),
        (Decision::Deny, Layer::Project)
    );
    // An allow rule in the project does not override the baseline's deny.
    let v = p.evaluate(
        &[action(
            json!({ "kind": "file_read", "path": "~/.ssh/id_rsa" }),
        )],
        &SessionFacts::new(),
    );
    assert_eq!(v.decision, Decision::Deny);
    let layers: Vec<(&str, Layer)> = v.rules.iter().map(|m| (m.rule.as_str(), m.layer)).collect();
    assert_eq!(
        layers,
        [
            ("credentials.ssh-private-key", Layer::Baseline),
            ("project.allow-keys", Layer::Project)
        ]
    );
}

#[test]
fn project_cannot_disable_extend_lists_or_switch_enforcement_off() {
    let text =
        "mode: shadow\nlists:\n  trusted_hosts: [evil.example]\ndisable: [credentials.cloud]\n";
    let errors = errors_of(&[
        PolicySource::baseline(),
        source(Layer::Project, "project.yaml", text),
    ]);
    let at = |needle: &str| locate(text, needle, 0);
    let p = |needle: &str, message: &str| {
        let (line, col) = at(needle);
        (
            "invalid",
            "project.yaml".to_string(),
            line,
            col,
            message.to_string(),
        )
    };
    assert_eq!(
        errors,
        [
            p(
                "[credentials.cloud]",
                "a project policy cannot disable rules"
            ),
            p(
                "trusted_hosts",
                "a project policy cannot extend lists (they are allow lists)"
            ),
            p("shadow", "a project policy cannot switch enforcement off"),
        ]
    );
    let errors = errors_of(&[source(Layer::Project, "project.yaml", "mode: record\n")]);
    assert_eq!(errors.len(), 1);
}

#[test]
fn managed_rules_cannot_be_disabled_below_the_managed_layer() {
    let managed = source(
        Layer::Managed,
        "managed.yaml",
        "disable: [credentials.env-files]\nrules:\n  - id: corp.no-paste\n    match: { host: pastebin.com }\n    decision: deny\n",
    );
    let user_text = "disable:\n  - self.config-change\n  - corp.no-paste\n";
    let project_text = "disable: [corp.no-paste]\n";
    let errors = errors_of(&[
        PolicySource::baseline(),
        managed.clone(),
        source(Layer::User, "user.yaml", user_text),
        source(Layer::Project, "project.yaml", project_text),
    ]);
    let (ul, uc) = locate(user_text, "corp.no-paste", 0);
    let (pl, pc) = locate(project_text, "[corp", 0);
    let (pl2, pc2) = locate(project_text, "corp.no-paste", 0);
    let msg =
        "rule `corp.no-paste` is managed by your organisation and cannot be disabled".to_string();
    assert_eq!(
        errors,
        [
            ("invalid", "user.yaml".to_string(), ul, uc, msg.clone()),
            (
                "invalid",
                "project.yaml".to_string(),
                pl,
                pc,
                "a project policy cannot disable rules".to_string()
            ),
            ("invalid", "project.yaml".to_string(), pl2, pc2, msg),
        ]
    );
    // The managed layer itself may disable lower rules, and its rules stay.
    let p = Policy::load(&[PolicySource::baseline(), managed]).unwrap();
    assert_eq!(p.rule_count(), baseline_count());
    assert_eq!(
        fired1(&p, action(json!({ "kind": "file_read", "path": ".env" }))),
        Vec::<String>::new()
    );
    let v = p.evaluate(
        &[action(json!({ "kind": "network", "host": "pastebin.com" }))],
        &SessionFacts::new(),
    );
    assert_eq!(
        (v.decision, v.rules[0].layer),
        (Decision::Deny, Layer::Managed)
    );
}

#[test]
fn unknown_disable_ids_are_errors() {
    let text = "disable:\n  - credentials.ssh-private-key\n  - credentials.no-such-rule\n";
    let errors = match Policy::compile(&[
        PolicySource::baseline(),
        source(Layer::User, "user.yaml", text),
    ]) {
        Ok(_) => panic!("compiled"),
        Err(e) => e.errors,
    };
    let (line, col) = locate(text, "credentials.no-such-rule", 0);
    assert_eq!(
        errors.iter().map(summary).collect::<Vec<_>>(),
        [(
            "invalid",
            "user.yaml".to_string(),
            line,
            col,
            "`disable` names unknown rule `credentials.no-such-rule`".to_string()
        )]
    );
    let help = match &errors[0] {
        warden_policy::PolicyError::Invalid { help, .. } => help.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        help.as_deref(),
        Some("`warden policy explain --rules` lists every rule id")
    );
}

#[test]
fn sources_in_any_order_give_the_same_policy() {
    let user = source(
        Layer::User,
        "user.yaml",
        "mode: shadow\nrules:\n  - id: u\n    match: { tool: t }\n    decision: ask\n",
    );
    let managed = source(
        Layer::Managed,
        "managed.yaml",
        "rules:\n  - id: m\n    match: { tool: t }\n    decision: deny\n",
    );
    let forward =
        Policy::compile(&[PolicySource::baseline(), user.clone(), managed.clone()]).unwrap();
    let backward = Policy::compile(&[managed, user, PolicySource::baseline()]).unwrap();
    let t = action(json!({ "kind": "tool_call", "name": "t" }));
    let a = forward.evaluate(std::slice::from_ref(&t), &SessionFacts::new());
    let b = backward.evaluate(&[t], &SessionFacts::new());
    assert_eq!(a, b);
    let layers: Vec<(&str, Layer)> = a.rules.iter().map(|m| (m.rule.as_str(), m.layer)).collect();
    assert_eq!(layers, [("m", Layer::Managed), ("u", Layer::User)]);
    assert_eq!(
        (a.decision, a.policy_decision),
        (Decision::Allow, Decision::Deny)
    );
}

#[test]
fn discover_reads_the_user_and_project_files() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    // `default_paths` honours an absolute XDG_CONFIG_HOME; derive the user path the same way.
    let user_path = PolicySource::default_paths(home.path(), Some(ws.path()))
        .into_iter()
        .find(|(l, _)| *l == Layer::User)
        .map(|(_, p)| p)
        .unwrap();
    assert_eq!(
        PolicySource::default_paths(home.path(), Some(ws.path()))
            .into_iter()
            .filter(|(l, _)| *l == Layer::Project)
            .map(|(_, p)| p)
            .collect::<Vec<_>>(),
        [ws.path().join(".warden").join("policy.yaml")]
    );
    std::fs::create_dir_all(ws.path().join(".warden")).unwrap();
    std::fs::write(ws.path().join(".warden/policy.yaml"), "rules: []\n").unwrap();
    let found = PolicySource::discover(home.path(), Some(ws.path())).unwrap();
    let layers: Vec<Layer> = found.iter().map(|s| s.layer).collect();
    let mut want = vec![Layer::Baseline];
    if user_path.is_file() {
        want.push(Layer::User);
    }
    want.push(Layer::Project);
    if PolicySource::default_paths(home.path(), None)
        .iter()
        .any(|(l, p)| *l == Layer::Managed && p.is_file())
    {
        want.push(Layer::Managed);
    }
    assert_eq!(layers, want);
}

#[test]
fn sandbox_settings_come_from_the_highest_layer_and_a_project_cannot_weaken_them() {
    use warden_policy::{MissingLayer, Policy, SandboxMode, SandboxSettings, UnlistedHosts};
    let load = |srcs: &[PolicySource]| Policy::compile(srcs).unwrap().sandbox_settings();
    assert_eq!(
        load(&[PolicySource::baseline()]),
        SandboxSettings::default()
    );
    assert_eq!(
        load(&[
            PolicySource::baseline(),
            source(Layer::User, "user.yaml", "sandbox: off\n"),
            source(
                Layer::Project,
                "project.yaml",
                "sandbox: all\nsandbox_missing_layer: refuse\nsandbox_unlisted_hosts: deny\n"
            ),
        ]),
        SandboxSettings {
            mode: SandboxMode::Off,
            missing_layer: MissingLayer::Refuse,
            unlisted_hosts: UnlistedHosts::Deny,
        }
    );
    // The strictest layer wins (the project's `deny` above stands whatever the user says), and the
    // default is `ask`.
    assert_eq!(
        load(&[PolicySource::baseline()]).unlisted_hosts,
        UnlistedHosts::Ask
    );
    for text in ["sandbox: off\n", "sandbox_missing_layer: run\n"] {
        let errors = errors_of(&[source(Layer::Project, "project.yaml", text)]);
        assert_eq!(errors.len(), 1, "{text}");
        assert_eq!(errors[0].4, "a project policy cannot weaken the sandbox");
    }
}

#[test]
fn config_integrity_comes_per_class_from_the_highest_layer_and_a_project_cannot_set_it() {
    use warden_policy::{ConfigClass as C, IntegrityAction as A, Policy};
    let load = |srcs: &[PolicySource]| Policy::compile(srcs).unwrap().config_integrity();
    let base = load(&[PolicySource::baseline()]);
    assert_eq!(base.action(C::WardenRemoved), A::Restore);
    assert_eq!(base.action(C::Permissions), A::Ask);
    assert_eq!(base.action(C::Instructions), A::Alert);
    assert_eq!(base.action_for(&[C::Other, C::Hooks]), A::Ask);
    assert_eq!(base.action_for(&[]), A::Alert);
    let user = load(&[
        PolicySource::baseline(),
        source(
            Layer::User,
            "user.yaml",
            "config_integrity: { instructions: ask, hooks: restore }\n",
        ),
    ]);
    assert_eq!(user.action(C::Instructions), A::Ask);
    assert_eq!(user.action(C::Hooks), A::Restore);
    assert_eq!(user.action(C::Other), A::Alert);
    let errors = errors_of(&[source(
        Layer::Project,
        "project.yaml",
        "config_integrity: { default: alert }\n",
    )]);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].4,
        "a project policy cannot set `config_integrity`"
    );
}
