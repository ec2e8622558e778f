//! Rendering of findings: a plain-text table for people and SARIF 2.1.0 for code-scanning
//! tools. Every string that came from a server or a config is escaped before it reaches a
//! terminal, so a tool name cannot carry terminal escape sequences or invisible text into the
//! report that is meant to expose them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::finding::{Finding, Severity, RULES};
use crate::text::{clip, escape};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The SARIF 2.1.0 JSON schema.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Widest server and item columns, in characters; longer names are cut.
const NAME_WIDTH: usize = 28;

/// `findings` sorted worst first, then by server, item and rule.
fn sorted(findings: &[Finding]) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.server.cmp(&b.server))
            .then_with(|| a.item.cmp(&b.item))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.location.cmp(&b.location))
    });
    v
}

/// A plain-text table with one row per finding (severity, server, item, rule, message), worst
/// first, and a count per severity; `no findings` when empty.
pub fn render_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings\n".to_string();
    }
    let header = ["SEVERITY", "SERVER", "ITEM", "RULE", "MESSAGE"];
    let rows: Vec<[String; 5]> = sorted(findings)
        .into_iter()
        .map(|f| {
            [
                f.severity.as_str().to_string(),
                clip(&escape(&f.server), NAME_WIDTH),
                clip(&escape(&f.item), NAME_WIDTH),
                f.rule.to_string(),
                escape(&f.message),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for [severity, server, item, rule, message] in &rows {
        line([severity, server, item, rule, message].map(String::as_str));
    }
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(f.severity).or_default() += 1;
    }
    let summary: Vec<String> = counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    out.push_str(&format!(
        "\n{} finding(s): {}\n",
        findings.len(),
        summary.join(", ")
    ));
    out
}

/// The SARIF level of a severity: critical and high are errors, medium warnings, low notes.
pub fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's numeric severity for a level (0.1–10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// A `file://` URI for an absolute path, or the path with `/` separators for a relative one,
/// percent-encoding what a URI cannot hold (macOS's `Application Support` has a space).
fn artifact_uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut enc = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:@!$&'()*+,;=".contains(&b) {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    if s.starts_with('/') {
        format!("file://{enc}")
    } else {
        enc
    }
}

/// The findings as a SARIF 2.1.0 log: one run of the tool `warden` (at `version`), the rule
/// catalogue, and one result per finding with its level, the config file as the artifact
/// location and the server and item as logical locations.
pub fn render_sarif(findings: &[Finding], version: &str) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.description },
                "fullDescription": { "text": r.description },
                "helpUri": "https://example.invalid/warden/docs/mcp#rules",
                "properties": { "tags": ["security", "mcp"] },
            })
        })
        .collect();
    let results: Vec<Value> = sorted(findings)
        .into_iter()
        .map(|f| {
            // Findings a caller made with its own rule ids still render, without a ruleIndex.
            let rule_index = RULES.iter().position(|r| r.id == f.rule);
            let mut logical = vec![json!({
                "name": f.server,
                "kind": "module",
                "fullyQualifiedName": f.server,
            })];
            if !f.item.is_empty() {
                logical.push(json!({
                    "name": f.item,
                    "kind": "function",
                    "fullyQualifiedName": format!("{}/{}", f.server, f.item),
                    "parentIndex": 0,
                }));
            }
            let mut location = json!({ "logicalLocations": logical });
            if let (Some(path), Some(obj)) = (&f.config, location.as_object_mut()) {
                obj.insert(
                    "physicalLocation".to_string(),
                    json!({ "artifactLocation": { "uri": artifact_uri(path) } }),
                );
            }
            let text = if f.evidence.is_empty() {
                f.message.clone()
            } else {
                format!("{} (evidence: {})", f.message, f.evidence)
            };
            let mut result = json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": [location],
                "partialFingerprints": {
                    "wardenFinding/v1": format!("{}|{}|{}|{}", f.rule, f.server, f.item, f.location),
                },
                "properties": {
                    "severity": f.severity.as_str(),
                    "security-severity": security_severity(f.severity),
                    "server": f.server,
                    "item": f.item,
                    "pointer": f.location,
                    "evidence": f.evidence,
                },
            });
            if let (Some(i), Some(obj)) = (rule_index, result.as_object_mut()) {
                obj.insert("ruleIndex".to_string(), json!(i));
            }
            result
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "warden",
                    "version": version,
                    "informationUri": "https://example.invalid/warden",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_encoded() {
        assert_eq!(
            artifact_uri(Path::new(
                "/Users/me/Library/Application Support/Claude/c.json"
            )),
            "file:///Users/me/Library/Application%20Support/Claude/c.json"
        );
        assert_eq!(artifact_uri(Path::new(".mcp.json")), ".mcp.json");
    }
}
