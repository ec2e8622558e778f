//! `warden policy lint | test | schema`.

use pretty_assertions::assert_eq;

use super::{home, warden};

#[test]
fn lint_points_at_file_line_and_column() {
    let h = home();
    let f = h.path().join("p.yaml");
    std::fs::write(&f, "version: 1\nrules:\n  - id: a\n    match:\n      host: [\"ok.example\", $nolist]\n    decision: deny\n").unwrap();
    let r = warden(
        h.path(),
        &["policy", "lint", "--no-discover", f.to_str().unwrap()],
        b"",
    );
    assert_eq!(r.code, 1);
    let loc = format!("{}:5:28", f.display());
    assert!(r.stderr.contains(&loc), "want {loc} in:\n{}", r.stderr);
    assert!(r.stderr.contains("unknown list `$nolist`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("host: [\"ok.example\", $nolist]"),
        "shows the text:\n{}",
        r.stderr
    );
}

#[test]
fn test_reports_failing_rule_tests() {
    let h = home();
    let f = h.path().join("p.yaml");
    std::fs::write(
        &f,
        "version: 1\nrules:\n  - id: no-make\n    match: { command: { program: make } }\n    decision: ask\n    tests:\n      - { command: \"make all\", expect: ask }\n      - { command: \"make clean\", expect: allow }\n",
    )
    .unwrap();
    let r = warden(
        h.path(),
        &[
            "policy",
            "test",
            "--no-discover",
            "--json",
            f.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["tests"]["failed"], 1);
    assert_eq!(v["failures"][0]["rule"], "no-make");
    assert!(v["tests"]["passed"].as_u64().unwrap() > 100);

    let r = warden(h.path(), &["policy", "test", "--no-discover"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn schema_is_published_and_fresh() {
    let h = home();
    let r = warden(h.path(), &["policy", "schema"], b"");
    assert_eq!(r.code, 0);
    let live = r.json();
    assert!(live["properties"]["rules"].is_object());
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../schema/policy.schema.json"
        ))
        .expect("schema/policy.schema.json exists"),
    )
    .unwrap();
    assert!(committed == live, "schema/policy.schema.json is stale: run `cargo run -p warden-cli -- policy schema > schema/policy.schema.json`");
    let r = warden(h.path(), &["policy", "schema", "--actions"], b"");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../schema/action.schema.json"
        ))
        .expect("schema/action.schema.json exists"),
    )
    .unwrap();
    assert!(committed == r.json(), "schema/action.schema.json is stale: run `cargo run -p warden-cli -- policy schema --actions > schema/action.schema.json`");
}
