//! The JSON Schema for editors: valid JSON, self-contained, and describing the real format.

use std::collections::BTreeSet;

use pretty_assertions::assert_eq;
use serde_json::Value;
use warden_policy::{json_schema, BASELINE_YAML};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[test]
fn schema_is_json_with_the_top_level_properties() {
    let schema = json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, schema);
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        keys(&schema["properties"]),
        set(&[
            "version",
            "name",
            "mode",
            "default",
            "lists",
            "disable",
            "sandbox",
            "sandbox_missing_layer",
            "sandbox_unlisted_hosts",
            "config_integrity",
            "rules",
            "tools"
        ])
    );
    assert_eq!(
        schema["$schema"]
            .as_str()
            .map(|s| s.starts_with("https://json-schema.org/")),
        Some(true)
    );
}

#[test]
fn schema_definitions_cover_rules_and_matches() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    assert_eq!(
        keys(&defs["RuleSpec"]["properties"]),
        set(&[
            "id",
            "description",
            "severity",
            "match",
            "decision",
            "reason",
            "guidance",
            "modify",
            "tests"
        ])
    );
    let required: BTreeSet<String> = defs["RuleSpec"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(required, set(&["id", "match", "decision"]));
    assert_eq!(
        keys(&defs["MatchSpec"]["properties"]),
        set(&[
            "kind",
            "path",
            "file_name",
            "in_workspace",
            "recursive",
            "command",
            "host",
            "url",
            "sends_local_data",
            "tool",
            "effect",
            "args",
            "channel",
            "recipient",
            "target",
            "extension",
            "opaque",
            "session",
            "all",
            "any",
            "not",
        ])
    );
    assert_eq!(
        keys(&defs["CommandSpec"]["properties"]),
        set(&[
            "program",
            "subcommand",
            "flags_any",
            "flags_all",
            "operand",
            "arg",
            "stdin_from",
            "via",
            "line"
        ])
    );
    // Argument tests flatten the value test next to the pointer.
    assert_eq!(
        keys(&defs["ArgTest"]["properties"]),
        set(&["pointer", "equals", "glob", "regex", "gt", "gte", "lt", "lte", "exists"])
    );
    let mut all = Vec::new();
    refs(&schema, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("non-local ref {r}"));
        assert!(defs.get(name).is_some(), "dangling ref {r}");
    }
}

/// Every key the baseline uses is one the schema knows.
#[test]
fn baseline_uses_only_schema_properties() {
    let schema = json_schema();
    let baseline: Value = serde_yaml::from_str(BASELINE_YAML).unwrap();
    assert!(keys(&baseline).is_subset(&keys(&schema["properties"])));
    let rule_keys = keys(&schema["$defs"]["RuleSpec"]["properties"]);
    let match_keys = keys(&schema["$defs"]["MatchSpec"]["properties"]);
    for rule in baseline["rules"].as_array().unwrap() {
        assert!(keys(rule).is_subset(&rule_keys), "{rule}");
        assert!(keys(&rule["match"]).is_subset(&match_keys), "{rule}");
    }
}
