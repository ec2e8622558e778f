//! Export for SIEMs: one JSON object per record, as Warden's own JSON or as OCSF.
//!
//! OCSF class: **API Activity** (`class_uid` 6003, category 6, Application Activity), with the
//! Security Control profile. An agent's tool call is an API call made by an actor (the agent, in a
//! session) against resources (files, hosts, tools); the class carries the actor and session, the
//! operation (`api.operation` = the tool), the resources, and with the profile the disposition
//! (allowed, blocked) and the policy that decided. Process, File System and Network Activity each
//! cover one kind of action only, and Detection Finding describes an alert, not an allowed call.

use serde_json::{json, Value};

use crate::record::Record;

/// The OCSF schema version the export follows.
pub const OCSF_VERSION: &str = "1.3.0";
/// OCSF API Activity.
pub const OCSF_CLASS_UID: u32 = 6003;

fn activity_of(body: &Value) -> (u32, &'static str) {
    let kinds: Vec<&str> = body
        .get("actions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("kind").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if kinds.contains(&"file_delete") {
        (4, "Delete")
    } else if kinds.contains(&"file_write") {
        (3, "Update")
    } else if !kinds.is_empty() && kinds.iter().all(|k| *k == "file_read" || *k == "tool_call") {
        (2, "Read")
    } else {
        (99, "Other")
    }
}

fn severity_of(risk: f64) -> (u32, &'static str) {
    match risk {
        r if r >= 0.8 => (5, "Critical"),
        r if r >= 0.6 => (4, "High"),
        r if r >= 0.4 => (3, "Medium"),
        r if r >= 0.2 => (2, "Low"),
        _ => (1, "Informational"),
    }
}

fn resources(body: &Value) -> Vec<Value> {
    let Some(actions) = body.get("actions").and_then(Value::as_array) else {
        return Vec::new();
    };
    actions
        .iter()
        .filter_map(|a| {
            let kind = a.get("kind").and_then(Value::as_str)?;
            let name = a
                .get("path")
                .and_then(|p| p.get("path").or(Some(p)))
                .and_then(Value::as_str)
                .or_else(|| a.get("host").and_then(Value::as_str))
                .or_else(|| a.get("program").and_then(Value::as_str))
                .or_else(|| a.get("name").and_then(Value::as_str))
                .or_else(|| a.get("tool").and_then(Value::as_str))
                .or_else(|| a.get("target").and_then(Value::as_str))
                .unwrap_or(kind);
            Some(json!({"type": kind, "name": name}))
        })
        .collect()
}

/// One record as an OCSF 1.3 API Activity event.
pub fn ocsf_event(r: &Record) -> Value {
    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    let (activity_id, activity) = activity_of(&body);
    let risk = body.get("risk").and_then(Value::as_f64).unwrap_or(0.0);
    let (severity_id, severity) = severity_of(risk);
    let agent = body
        .get("agent")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let operation = body
        .get("tool")
        .and_then(Value::as_str)
        .or_else(|| body.get("event").and_then(Value::as_str))
        .or_else(|| body.get("op").and_then(Value::as_str))
        .unwrap_or(r.kind.as_str());
    let mut ev = json!({
        "category_uid": 6,
        "category_name": "Application Activity",
        "class_uid": OCSF_CLASS_UID,
        "class_name": "API Activity",
        "activity_id": activity_id,
        "activity_name": activity,
        "type_uid": OCSF_CLASS_UID * 100 + activity_id,
        "time": r.time,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "Success",
        "message": body.get("reason").and_then(Value::as_str).unwrap_or(r.kind.as_str()),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "Warden", "vendor_name": "Warden", "version": env!("CARGO_PKG_VERSION")},
            "log_name": "warden-audit",
            "uid": hex::encode(&r.hash),
            "sequence": r.seq,
            "profiles": ["security_control"],
        },
        "actor": {
            "app_name": agent,
            "session": {"uid": r.session},
        },
        "api": {
            "operation": operation,
            "service": {"name": agent},
        },
        "src_endpoint": {"hostname": "localhost"},
        "resources": resources(&body),
        "unmapped": {"warden": {"kind": r.kind, "body": body.clone()}},
    });
    if let Some(d) = body.get("decision").and_then(Value::as_str) {
        let (id, name) = match d {
            "allow" => (1, "Allowed"),
            "deny" => (2, "Blocked"),
            "modify" => (99, "Modified"),
            "ask" => (99, "Approval required"),
            _ => (0, "Unknown"),
        };
        ev["disposition_id"] = json!(id);
        ev["disposition"] = json!(name);
        let rules: Vec<&str> = body
            .get("rules")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !rules.is_empty() {
            ev["policy"] =
                json!({"name": "warden", "uid": rules.join(","), "desc": body.get("reason")});
        }
    }
    ev
}
