//! `warden audit call TOOL_USE_ID`: one tool call, declared against observed. The decision
//! record holds what the analysis lowered the call to and what it decided; the sandbox records
//! hold what ran, what the egress proxy refused, and what the kernel refused. A refusal is an
//! effect the analysis did not allow for: the command tried more than it declared.

use std::path::Path;

use anyhow::Result;
use serde_json::{json, Value};
use warden_audit::{AuditReader, Filter, Record};

use crate::exit::Code;

/// Keys that name an action's object, in the order they are shown.
const OBJECT_KEYS: [&str; 8] = [
    "path", "program", "url", "host", "tool", "server", "target", "name",
];

/// One action in a line: its kind and its object.
fn action_line(a: &Value) -> String {
    let kind = a.get("kind").and_then(Value::as_str).unwrap_or("action");
    let object = OBJECT_KEYS
        .iter()
        .find_map(|k| a.get(*k).filter(|v| !v.is_null()))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let mut line = match object {
        Some(o) => format!("{kind} {o}"),
        None => {
            let mut rest = a.clone();
            if let Some(m) = rest.as_object_mut() {
                for k in ["kind", "actor", "env"] {
                    m.remove(k);
                }
            }
            format!("{kind} {rest}")
        }
    };
    if a.get("opaque").is_some_and(|o| !o.is_null()) {
        line.push_str(" (not understood)");
    }
    line.chars().take(200).collect()
}

fn body(r: &Record) -> Value {
    serde_json::from_str(&r.body).unwrap_or_default()
}

/// The records of one call, split into the decision(s) and the sandbox's records.
fn collect(reader: &AuditReader, id: &str, session: Option<String>) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let flt = Filter {
        session,
        ..Filter::default()
    };
    reader.for_each(&flt, |r| {
        if body(&r).get("tool_use_id").and_then(Value::as_str) == Some(id) {
            out.push(r);
        }
        Ok(())
    })?;
    Ok(out)
}

/// `warden audit call`.
pub fn show(state: &Path, id: &str, session: Option<String>, as_json: bool) -> Result<Code> {
    let reader = AuditReader::open(state)?;
    let records = collect(&reader, id, session)?;
    if records.is_empty() {
        eprintln!("warden: no record names tool call `{id}`");
        return Ok(Code::Failed);
    }
    let mut declared = Vec::new();
    let mut observed = Vec::new();
    for r in &records {
        let b = body(r);
        if b.get("decision").is_some() {
            declared.push(json!({
                "seq": r.seq, "session": r.session, "event": b["event"], "tool": b["tool"],
                "decision": b["decision"], "rules": b["rules"], "reason": b["reason"],
                "actions": b["actions"].as_array().map(|a| a.iter().map(action_line).collect::<Vec<_>>()),
            }));
        } else if b.get("agent").and_then(Value::as_str) == Some(warden_daemon::SANDBOX_AGENT) {
            observed.push(json!({
                "seq": r.seq, "event": b["event"], "denied": b["denied"],
                "command": b["details"]["command"], "attributed_by": b["attributed_by"],
                "egress": b["details"]["report"]["egress"],
            }));
        }
    }
    let beyond: Vec<&Value> = observed
        .iter()
        .filter_map(|o| o["denied"].as_array())
        .flatten()
        .collect();
    if as_json {
        let v = json!({"tool_use_id": id, "declared": declared, "observed": observed, "beyond_declared": beyond});
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Code::Ok);
    }
    println!("tool call {id}");
    println!("declared (what the analysis saw and decided):");
    for d in &declared {
        println!(
            "  #{} {} {}: {} {}",
            d["seq"],
            d["event"].as_str().unwrap_or("-"),
            d["tool"].as_str().unwrap_or("-"),
            d["decision"].as_str().unwrap_or("-"),
            d["rules"]
                .as_array()
                .filter(|a| !a.is_empty())
                .map(|a| format!(
                    "[{}]",
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .unwrap_or_default()
        );
        for a in d["actions"].as_array().into_iter().flatten() {
            println!("      {}", a.as_str().unwrap_or_default());
        }
    }
    if declared.is_empty() {
        println!("  (no decision recorded under this id)");
    }
    println!("observed (what its sandbox ran and refused):");
    for o in &observed {
        let event = o["event"].as_str().unwrap_or("-");
        match o["command"].as_array() {
            Some(c) if event != "SandboxObserved" => println!(
                "  #{} {event}: {}",
                o["seq"],
                c.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            _ => println!("  #{} {event}", o["seq"]),
        }
        for d in o["denied"].as_array().into_iter().flatten() {
            println!("      refused: {}", d.as_str().unwrap_or_default());
        }
    }
    if observed.is_empty() {
        println!("  (no sandbox record: the command did not run in `warden exec`, or no monitor heard it)");
    }
    if beyond.is_empty() {
        println!("nothing observed beyond what was declared");
    } else {
        println!(
            "{} effect(s) beyond what was declared: the sandbox refused them",
            beyond.len()
        );
    }
    Ok(Code::Ok)
}
