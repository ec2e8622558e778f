//! OpenTelemetry out: audit records as OTLP logs, and each gate decision as a span, in the
//! official OTLP protobuf messages (`opentelemetry-proto`), ready to post to an OTLP/HTTP
//! collector's `/v1/logs` and `/v1/traces`.
//!
//! - Every record is one log record: its time, a severity from what it says (a deny or a kernel
//!   refusal is `WARN`), an `event_name` (`warden.decision`, `warden.approval.answered`,
//!   `warden.sandbox.observed`...), the body exactly as hashed (so a consumer can re-check the
//!   chain hash), and attributes a query needs without parsing it (`warden.seq`, `warden.hash`,
//!   `session.id`, `warden.decision`, `warden.rules`, `warden.risk`, `warden.tool`...).
//! - Every decision record (a gated tool call) is also a span named `gate <tool>`: status
//!   `ERROR` when it was denied.
//! - Records of one agent session share one trace id (derived from the session id), so a
//!   collector groups a session's calls, approvals and sandbox observations; a decision's log
//!   record carries its span's id.
//!
//! This module only maps: sending, retries and the export cursor are the monitor's.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use prost::Message;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::record::Record;

/// The instrumentation scope every record is exported under.
pub const OTLP_SCOPE: &str = "warden.audit";

/// What the exported resource says about the monitor that wrote the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpResource {
    /// `service.name` (default `warden`).
    pub service_name: String,
    /// `service.version`.
    pub service_version: String,
    /// `host.name`, when known.
    pub host_name: Option<String>,
}

/// One batch of records, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpBatch {
    /// An `ExportLogsServiceRequest`, protobuf-encoded (empty when no record is in the batch).
    pub logs: Vec<u8>,
    /// How many log records it holds.
    pub log_count: usize,
    /// An `ExportTraceServiceRequest`, protobuf-encoded (empty when no decision is in it).
    pub spans: Vec<u8>,
    /// How many spans it holds.
    pub span_count: usize,
}

/// The trace id of a session's records (16 bytes), or of a record outside any session.
pub fn trace_id(r: &Record) -> Vec<u8> {
    match &r.session {
        Some(s) => digest(&[b"warden/trace", s.as_bytes()], 16),
        None => digest(&[b"warden/record-trace", &r.hash], 16),
    }
}

/// The span id of a decision record (8 bytes).
pub fn span_id(r: &Record) -> Vec<u8> {
    digest(&[b"warden/span", &r.hash], 8)
}

fn digest(parts: &[&[u8]], len: usize) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let mut out = h.finalize()[..len].to_vec();
    // An all-zero id is invalid in OTLP; a hash that starts with len zero bytes is not going to
    // happen, but an id must never be invalid.
    if out.iter().all(|b| *b == 0) {
        out[0] = 1;
    }
    out
}

/// Map `records` to OTLP logs (every record) and spans (every decision record).
pub fn otlp_batch(records: &[Record], resource: &OtlpResource) -> OtlpBatch {
    let mut logs = Vec::with_capacity(records.len());
    let mut spans = Vec::new();
    for r in records {
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        let attributes = attributes(r, &body);
        let is_decision = r.kind == "decision";
        let (severity, text) = severity(r, &body);
        logs.push(LogRecord {
            time_unix_nano: nanos(r.time),
            observed_time_unix_nano: nanos(r.time),
            severity_number: severity as i32,
            severity_text: text.into(),
            body: Some(string(r.body.clone())),
            attributes: attributes.clone(),
            flags: 1,
            trace_id: trace_id(r),
            span_id: if is_decision { span_id(r) } else { Vec::new() },
            event_name: event_name(r, &body),
            ..Default::default()
        });
        if is_decision {
            spans.push(decision_span(r, &body, attributes));
        }
    }
    let res = Some(resource_of(resource));
    let scope = Some(InstrumentationScope {
        name: OTLP_SCOPE.into(),
        version: resource.service_version.clone(),
        ..Default::default()
    });
    let (log_count, span_count) = (logs.len(), spans.len());
    let logs = if logs.is_empty() {
        Vec::new()
    } else {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: res.clone(),
                scope_logs: vec![ScopeLogs {
                    scope: scope.clone(),
                    log_records: logs,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    };
    let spans = if spans.is_empty() {
        Vec::new()
    } else {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: res,
                scope_spans: vec![ScopeSpans {
                    scope,
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    };
    OtlpBatch {
        logs,
        log_count,
        spans,
        span_count,
    }
}

fn decision_span(r: &Record, body: &Value, attributes: Vec<KeyValue>) -> Span {
    let decision = str_at(body, "decision").unwrap_or("");
    let tool = str_at(body, "tool").unwrap_or("unknown tool");
    let status = if decision == "deny" {
        Status {
            code: status::StatusCode::Error as i32,
            message: str_at(body, "reason").unwrap_or("denied").into(),
        }
    } else {
        Status::default()
    };
    Span {
        trace_id: trace_id(r),
        span_id: span_id(r),
        name: format!("gate {tool}"),
        kind: span::SpanKind::Internal as i32,
        start_time_unix_nano: nanos(r.time),
        end_time_unix_nano: nanos(r.time),
        attributes,
        status: Some(status),
        flags: 1,
        ..Default::default()
    }
}

fn resource_of(r: &OtlpResource) -> Resource {
    let mut attributes = vec![
        kv("service.name", string(r.service_name.clone())),
        kv("service.version", string(r.service_version.clone())),
    ];
    if let Some(h) = &r.host_name {
        attributes.push(kv("host.name", string(h.clone())));
    }
    Resource {
        attributes,
        ..Default::default()
    }
}

fn nanos(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

fn str_at<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn string(s: String) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(s)),
    }
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        ..Default::default()
    }
}

/// What a record is, for `event_name`.
fn event_name(r: &Record, body: &Value) -> String {
    match r.kind.as_str() {
        "decision" => "warden.decision".into(),
        "approval" => format!("warden.approval.{}", str_at(body, "op").unwrap_or("other")),
        "admin" => format!("warden.admin.{}", str_at(body, "op").unwrap_or("other")),
        _ => match str_at(body, "event") {
            Some("SandboxObserved") => "warden.sandbox.observed".into(),
            Some("SandboxDenied") => "warden.sandbox.denied".into(),
            Some(e) => format!("warden.event.{e}"),
            None => "warden.event".into(),
        },
    }
}

fn severity(r: &Record, body: &Value) -> (SeverityNumber, &'static str) {
    let warn = (SeverityNumber::Warn, "WARN");
    match (
        r.kind.as_str(),
        str_at(body, "decision"),
        str_at(body, "op"),
    ) {
        ("decision", Some("deny"), _) => warn,
        ("decision", Some("ask"), _) => (SeverityNumber::Info2, "INFO2"),
        ("approval", Some("deny"), _) => warn,
        ("admin", _, Some("halt")) => warn,
        ("event", _, _) if event_name(r, body).starts_with("warden.sandbox.") => {
            let refused = body
                .get("denied")
                .and_then(Value::as_array)
                .is_some_and(|d| !d.is_empty());
            if refused {
                warn
            } else {
                (SeverityNumber::Info, "INFO")
            }
        }
        _ => (SeverityNumber::Info, "INFO"),
    }
}

fn attributes(r: &Record, body: &Value) -> Vec<KeyValue> {
    let int = |n: i64| AnyValue {
        value: Some(any_value::Value::IntValue(n)),
    };
    let mut out = vec![
        kv("warden.seq", int(i64::try_from(r.seq).unwrap_or(i64::MAX))),
        kv("warden.kind", string(r.kind.clone())),
        kv("warden.hash", string(hex::encode(&r.hash))),
        kv("warden.prev_hash", string(hex::encode(&r.prev_hash))),
    ];
    if let Some(s) = &r.session {
        out.push(kv("session.id", string(s.clone())));
    }
    for (key, field) in [
        ("warden.event", "event"),
        ("warden.agent", "agent"),
        ("warden.subagent", "subagent"),
        ("warden.tool", "tool"),
        ("warden.tool_use_id", "tool_use_id"),
        ("warden.decision", "decision"),
        ("warden.policy_decision", "policy_decision"),
        ("warden.reason", "reason"),
        ("warden.approval.id", "approval"),
        ("warden.approval.scope", "scope"),
        ("warden.answered_by", "by"),
        ("warden.op", "op"),
        ("warden.skill", "skill"),
    ] {
        if let Some(v) = str_at(body, field) {
            out.push(kv(key, string(v.to_string())));
        }
    }
    if let Some(risk) = body.get("risk").and_then(Value::as_f64) {
        out.push(kv(
            "warden.risk",
            AnyValue {
                value: Some(any_value::Value::DoubleValue(risk)),
            },
        ));
    }
    for (key, field) in [("warden.rules", "rules"), ("warden.denied", "denied")] {
        if let Some(list) = body.get(field).and_then(Value::as_array) {
            let values = list
                .iter()
                .filter_map(Value::as_str)
                .map(|s| string(s.to_string()))
                .collect();
            out.push(kv(
                key,
                AnyValue {
                    value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest as Logs;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Traces;

    fn rec(seq: u64, kind: &str, session: Option<&str>, body: &str) -> Record {
        Record {
            seq,
            time: 1_700_000_000_123,
            kind: kind.into(),
            session: session.map(str::to_string),
            body: body.into(),
            prev_hash: vec![seq as u8; 32],
            hash: vec![seq as u8 + 1; 32],
        }
    }

    fn res() -> OtlpResource {
        OtlpResource {
            service_name: "warden".into(),
            service_version: "0.1.0".into(),
            host_name: Some("h".into()),
        }
    }

    #[test]
    fn decisions_become_logs_and_spans_that_share_the_session_trace() {
        let deny = rec(
            7,
            "decision",
            Some("s1"),
            r#"{"event":"PreToolUse","agent":"claude-code","tool":"Bash","tool_use_id":"t1","decision":"deny","risk":0.9,"reason":"reads an SSH key","rules":["credentials.ssh-private-key"]}"#,
        );
        let ev = rec(
            8,
            "event",
            Some("s1"),
            r#"{"event":"SandboxObserved","tool_use_id":"t1","denied":["read /home/u/.ssh/id_rsa (by /usr/bin/cat)"]}"#,
        );
        let b = otlp_batch(&[deny.clone(), ev.clone()], &res());
        assert_eq!((b.log_count, b.span_count), (2, 1));
        let logs = Logs::decode(b.logs.as_slice()).unwrap();
        let recs = &logs.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(recs[0].event_name, "warden.decision");
        assert_eq!(recs[0].severity_text, "WARN");
        assert_eq!(recs[0].body, Some(string(deny.body.clone())));
        assert_eq!(recs[0].time_unix_nano, 1_700_000_000_123_000_000);
        assert_eq!(recs[1].event_name, "warden.sandbox.observed");
        assert_eq!(recs[1].severity_text, "WARN");
        assert_eq!(recs[0].trace_id, recs[1].trace_id, "one session, one trace");
        assert_eq!(recs[0].trace_id.len(), 16);
        let rules = recs[0]
            .attributes
            .iter()
            .find(|k| k.key == "warden.rules")
            .unwrap();
        assert_eq!(
            rules.value,
            Some(AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue {
                    values: vec![string("credentials.ssh-private-key".into())]
                }))
            })
        );
        let spans = Traces::decode(b.spans.as_slice()).unwrap();
        let s = &spans.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(s.name, "gate Bash");
        assert_eq!(s.span_id, recs[0].span_id);
        assert_eq!(s.span_id.len(), 8);
        assert_eq!(
            s.status.as_ref().unwrap().code,
            status::StatusCode::Error as i32
        );
    }

    #[test]
    fn records_that_are_not_json_still_export_with_their_text() {
        let r = rec(1, "event", None, "not json \u{0}\u{7f}");
        let b = otlp_batch(&[r], &res());
        assert_eq!((b.log_count, b.span_count), (1, 0));
        assert!(b.spans.is_empty());
        let logs = Logs::decode(b.logs.as_slice()).unwrap();
        let l = &logs.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(l.event_name, "warden.event");
        assert_eq!(l.trace_id.len(), 16);
        assert!(l.span_id.is_empty());
    }

    #[test]
    fn an_empty_batch_encodes_nothing() {
        let b = otlp_batch(&[], &res());
        assert!(b.logs.is_empty() && b.spans.is_empty());
    }
}
