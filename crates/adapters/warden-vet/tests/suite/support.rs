//! Helpers shared by the suite: build list results, vet them, and summarise findings.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use warden_vet::{rule_info, vet_list, Finding, ListMethod, Severity, VetContext};

/// A `tools/list` result holding `tools`.
pub fn tools(tools: Value) -> Value {
    json!({ "tools": tools })
}

/// One tool with a description and string parameters `(name, description)`.
pub fn tool(name: &str, description: &str, params: &[(&str, &str)]) -> Value {
    let mut props = serde_json::Map::new();
    for (p, d) in params {
        props.insert(
            (*p).to_string(),
            json!({ "type": "string", "description": d }),
        );
    }
    json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": props,
            "required": params.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        }
    })
}

/// Vet a `tools/list` result of `server` with no other servers.
pub fn vet_tools(server: &str, result: &Value) -> Vec<Finding> {
    checked(vet_list(
        server,
        ListMethod::Tools,
        result,
        &VetContext::new(),
    ))
}

/// Every finding names a catalogued rule, and nothing it shows carries a raw invisible or
/// control character (evidence must escape them).
pub fn checked(findings: Vec<Finding>) -> Vec<Finding> {
    for f in &findings {
        assert!(rule_info(f.rule).is_some(), "uncatalogued rule {}", f.rule);
        for s in [&f.message, &f.evidence, &f.item] {
            assert!(
                !s.chars().any(|c| c.is_control()
                    || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{E0000}'..='\u{E007F}')),
                "raw invisible character in {f:?}"
            );
        }
        assert!(
            f.location.is_empty() || f.location.starts_with('/'),
            "{f:?}"
        );
    }
    findings
}

/// The worst severity, if any finding.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

/// (item, rule, severity) of every finding, sorted and deduplicated.
pub fn summary(findings: &[Finding]) -> Vec<(String, &'static str, Severity)> {
    let set: BTreeSet<_> = findings
        .iter()
        .map(|f| (f.item.clone(), f.rule, f.severity))
        .collect();
    set.into_iter().collect()
}

/// The findings of `rule`.
pub fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// The worst severity among the findings of `rule`.
pub fn worst_of(findings: &[Finding], rule: &str) -> Option<Severity> {
    of(findings, rule).into_iter().map(|f| f.severity).max()
}

/// Encode ASCII text as invisible Unicode tag characters.
pub fn tag_encode(s: &str) -> String {
    s.chars()
        .filter_map(|c| char::from_u32(0xE0000 + u32::from(c)))
        .collect()
}
