//! The spec derived from the policy.

use super::helpers::{user_layer, Sandbox};

#[test]
fn deny_read_comes_from_the_credential_rules() {
    let sb = Sandbox::new();
    let spec = sb.spec();
    let home = sb.home.display().to_string();
    let has = |g: &str, rule: &str| {
        spec.deny_read
            .iter()
            .any(|d| d.glob == g.replace('~', &home) && d.rule == rule)
    };
    assert!(has("~/.ssh/id_*", "credentials.ssh-private-key"));
    assert!(has("~/.ssh", "credentials.ssh-directory"));
    assert!(has("~/.aws/credentials", "credentials.cloud"));
    assert!(has("~/.netrc", "credentials.token-files"));
    assert!(!spec
        .deny_read
        .iter()
        .any(|d| d.glob == "/" || d.glob == home));
    assert!(
        spec.unenforceable.iter().any(|u| u.contains("*.kdbx")),
        "{:?}",
        spec.unenforceable
    );
    assert!(spec.writable.contains(&sb.ws));
    assert!(spec.writable.contains(&sb.home.join(".cargo/registry")));
    assert!(!spec.writable.contains(&sb.home.join(".cargo")));
    for p in [".claude/settings.json", ".config/warden", ".codex"] {
        assert!(spec.protected.contains(&sb.home.join(p)), "{p}");
    }
    assert!(spec.protected.contains(&sb.ws.join(".warden")));
    assert!(spec
        .allowed_hosts
        .contains(&"registry.npmjs.org".to_string()));
}

#[test]
fn a_rule_covering_the_home_is_reported_not_applied() {
    let sb = Sandbox::new();
    let spec = sb.spec_with(&format!(
        "{}rules:\n  - id: t.home\n    match: {{ path: [\"{}/**\"] }}\n    decision: deny\n",
        user_layer(&[]),
        sb.home.display()
    ));
    assert!(!spec.deny_read.iter().any(|d| d.rule == "t.home"));
    assert!(spec.unenforceable.iter().any(|u| u.contains("t.home")));
}

#[test]
fn the_report_names_every_layer() {
    let sb = Sandbox::new();
    let r = sb.sh("true");
    assert_eq!(r.code, 0);
    let layers: Vec<(&str, bool)> = r
        .report
        .layers
        .iter()
        .map(|l| (l.layer.as_str(), l.enforced))
        .collect();
    assert_eq!(
        layers,
        vec![("landlock", true), ("seccomp", true), ("namespaces", true)]
    );
    assert!(
        r.report.denied_paths.iter().any(|p| p.ends_with("/.ssh")),
        "{:?}",
        r.report.denied_paths
    );
}
