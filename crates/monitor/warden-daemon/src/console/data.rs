//! What the console reads from the audit log: a session's context, the live feed, searches and
//! the chain's verification. Read-only, on a reader of its own (never the writer's connection).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use warden_audit::{AuditReader, Filter, Kind, Record};

/// One audit record, summarised for a table row.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub seq: u64,
    pub time: String,
    pub kind: String,
    pub session: Option<String>,
    pub decision: Option<String>,
    pub tool: Option<String>,
    pub text: String,
}

/// A session's recent context, shown with an approval.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// The session's first user prompt: the task.
    pub task: Option<String>,
    /// The latest records of the session, newest last.
    pub recent: Vec<Line>,
}

/// One session in the live feed.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub session: String,
    pub last: String,
    pub records: usize,
    pub last_decision: Option<String>,
}

fn body(r: &Record) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// At most `n` characters of `s`.
pub(crate) fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s.get(..i).unwrap_or(s)),
        None => s.to_string(),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A record as a row: what it was, in words.
pub(crate) fn line(r: &Record) -> Line {
    let b = body(r);
    let mut parts: Vec<String> = Vec::new();
    for k in ["event", "op"] {
        if let Some(v) = str_of(&b, k) {
            parts.push(v.to_string());
        }
    }
    if let Some(p) = b.get("prompt") {
        parts.push(format!("task: {}", clip(&text_of(p), 300)));
    }
    if let Some(out) = b.get("tool_response") {
        parts.push(format!("outside content: {}", clip(&text_of(out), 300)));
    }
    if let Some(rules) = b.get("rules").and_then(Value::as_array) {
        let ids: Vec<&str> = rules
            .iter()
            .filter_map(|x| x.as_str().or_else(|| str_of(x, "rule")))
            .collect();
        if !ids.is_empty() {
            parts.push(format!("rules: {}", ids.join(", ")));
        }
    }
    for k in ["reason", "by", "note", "approval"] {
        if let Some(v) = str_of(&b, k) {
            parts.push(format!("{k}: {}", clip(v, 300)));
        }
    }
    if parts.is_empty() {
        parts.push(clip(&r.body, 300));
    }
    Line {
        seq: r.seq,
        time: warden_audit::format_time(r.time),
        kind: r.kind.clone(),
        session: r.session.clone(),
        decision: str_of(&b, "decision").map(str::to_string),
        tool: str_of(&b, "tool").map(str::to_string),
        text: parts.join(" · "),
    }
}

/// The task and the latest `n` records of `session`.
pub(crate) fn context(dir: &Path, session: &str, n: usize) -> Result<Context, String> {
    let reader = AuditReader::open(dir).map_err(|e| e.to_string())?;
    let first = reader
        .search(&Filter {
            session: Some(session.to_string()),
            kind: Some(Kind::Event),
            limit: Some(500),
            ..Filter::default()
        })
        .map_err(|e| e.to_string())?;
    let task = first
        .iter()
        .map(body)
        .find(|b| str_of(b, "event") == Some("UserPromptSubmit"))
        .and_then(|b| b.get("prompt").map(text_of));
    let recent = reader
        .search(&Filter {
            session: Some(session.to_string()),
            limit: Some(n),
            latest: true,
            ..Filter::default()
        })
        .map_err(|e| e.to_string())?;
    Ok(Context {
        task,
        recent: recent.iter().map(line).collect(),
    })
}

/// Sessions seen in the latest records (most recent first) and the latest decisions.
pub(crate) fn feed(dir: &Path) -> Result<(Vec<SessionRow>, Vec<Line>), String> {
    let reader = AuditReader::open(dir).map_err(|e| e.to_string())?;
    let recent = reader
        .search(&Filter {
            limit: Some(2000),
            latest: true,
            ..Filter::default()
        })
        .map_err(|e| e.to_string())?;
    let mut sessions: BTreeMap<String, SessionRow> = BTreeMap::new();
    let mut decisions = Vec::new();
    for r in &recent {
        let l = line(r);
        if let Some(s) = &r.session {
            let row = sessions.entry(s.clone()).or_insert_with(|| SessionRow {
                session: s.clone(),
                last: String::new(),
                records: 0,
                last_decision: None,
            });
            row.records += 1;
            row.last = l.time.clone();
            if r.kind == Kind::Decision.as_str() {
                row.last_decision = l.decision.clone();
            }
        }
        if r.kind == Kind::Decision.as_str() || r.kind == Kind::Approval.as_str() {
            decisions.push(l);
        }
    }
    let mut rows: Vec<SessionRow> = sessions.into_values().collect();
    rows.sort_by(|a, b| b.last.cmp(&a.last));
    decisions.reverse();
    decisions.truncate(40);
    Ok((rows, decisions))
}

/// What the audit search form asks for.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct Search {
    #[serde(default)]
    pub session: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub q: String,
}

fn nonempty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The latest records (at most 200) matching the search, newest first.
pub(crate) fn search(dir: &Path, s: &Search) -> Result<Vec<Line>, String> {
    let reader = AuditReader::open(dir).map_err(|e| e.to_string())?;
    let tool = nonempty(&s.tool);
    let q = nonempty(&s.q).map(|q| q.to_lowercase());
    let mut out = Vec::new();
    reader
        .for_each(
            &Filter {
                session: nonempty(&s.session),
                decision: nonempty(&s.decision),
                ..Filter::default()
            },
            |r| {
                let b = body(&r);
                let tool_ok = tool
                    .as_deref()
                    .is_none_or(|t| str_of(&b, "tool") == Some(t));
                let text_ok = q
                    .as_deref()
                    .is_none_or(|q| r.body.to_lowercase().contains(q));
                if tool_ok && text_ok {
                    out.push(line(&r));
                    if out.len() > 400 {
                        out.drain(..200);
                    }
                }
                Ok(())
            },
        )
        .map_err(|e| e.to_string())?;
    out.reverse();
    out.truncate(200);
    Ok(out)
}

/// The chain's verification, in one sentence, and whether it holds.
pub(crate) fn verification(dir: &Path) -> (bool, String) {
    match warden_audit::verify_with(dir, None, &[]) {
        Ok(r) => (
            r.ok(),
            format!(
                "{}: {} records, head {}, {} checkpoint(s), sealed up to {}{}",
                if r.ok() {
                    "chain verified"
                } else {
                    "chain DAMAGED"
                },
                r.records,
                r.head,
                r.checkpoints,
                r.sealed,
                r.problems
                    .first()
                    .map(|p| format!("; first problem at record {}: {}", p.seq, p.message))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => (false, format!("cannot verify the chain: {e}")),
    }
}
