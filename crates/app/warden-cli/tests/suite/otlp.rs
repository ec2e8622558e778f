//! OpenTelemetry out: a real `warden serve` exports its audit records to an OTLP/HTTP receiver
//! on loopback. No OpenTelemetry collector is packaged for Debian, npm or PyPI here, so the
//! receiver is a small server in this test that decodes the requests with the official OTLP
//! protobuf messages (`opentelemetry-proto`), as a collector's OTLP/HTTP receiver would; it can
//! refuse with 503 to play a collector that is down.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

use super::daemon::{decision, payload, Monitor};
use super::home;

#[derive(Default)]
struct Collected {
    logs: Vec<LogRecord>,
    spans: Vec<Span>,
    service: BTreeSet<String>,
    content_types: BTreeSet<String>,
}

struct Receiver {
    port: u16,
    got: Arc<Mutex<Collected>>,
    down: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

fn receiver() -> Receiver {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Collected::default()));
    let down = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    let (g, d, r) = (got.clone(), down.clone(), refused.clone());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut rd = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            if rd.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let (mut len, mut ctype) = (0usize, String::new());
            loop {
                line.clear();
                rd.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "content-length" => len = v.trim().parse().unwrap(),
                        "content-type" => ctype = v.trim().to_string(),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; len];
            rd.read_exact(&mut body).unwrap();
            if d.load(Ordering::SeqCst) {
                r.fetch_add(1, Ordering::SeqCst);
                let _ = s.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
                );
                continue;
            }
            let mut c = g.lock().unwrap();
            c.content_types.insert(ctype);
            match path.as_str() {
                "/v1/logs" => {
                    let req = ExportLogsServiceRequest::decode(body.as_slice()).unwrap();
                    for rl in req.resource_logs {
                        c.service
                            .extend(service_name(&rl.resource.unwrap().attributes));
                        for sl in rl.scope_logs {
                            c.logs.extend(sl.log_records);
                        }
                    }
                }
                "/v1/traces" => {
                    let req = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
                    for rs in req.resource_spans {
                        for ss in rs.scope_spans {
                            c.spans.extend(ss.spans);
                        }
                    }
                }
                other => panic!("posted to {other}"),
            }
            drop(c);
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        }
    });
    Receiver {
        port,
        got,
        down,
        refused,
    }
}

fn service_name(attrs: &[KeyValue]) -> Option<String> {
    attrs.iter().find(|k| k.key == "service.name").map(text)
}

fn text(k: &KeyValue) -> String {
    match k.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(n)) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|k| k.key == key).map(text)
}

/// Wait until `f` holds for what was received.
fn wait_for(r: &Receiver, what: &str, f: impl Fn(&Collected) -> bool) {
    let t = Instant::now();
    while !f(&r.got.lock().unwrap()) {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "never received {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_command(c: &Collected, needle: &str) -> bool {
    c.logs
        .iter()
        .any(|l| l.event_name == "warden.decision" && format!("{:?}", l.body).contains(needle))
}

#[test]
fn decisions_reach_a_collector_as_logs_and_spans_and_an_outage_loses_nothing() {
    let h = home();
    let r = receiver();
    let url = format!("http://127.0.0.1:{}", r.port);
    let mut m = Monitor::start(h.path(), &["--otlp-endpoint", &url]);
    let cwd = h.path().join("project");
    std::fs::create_dir_all(&cwd).unwrap();
    let ok = m.hook(&payload("s1", "Bash", json!({"command": "ls -la"}), &cwd));
    assert_eq!(decision(&ok), "allow", "{}", ok.stdout);
    let no = m.hook(&payload(
        "s1",
        "Bash",
        json!({"command": "cat ~/.ssh/id_rsa"}),
        &cwd,
    ));
    assert_eq!(decision(&no), "deny", "{}", no.stdout);

    wait_for(&r, "both decisions and their spans", |c| {
        has_command(c, "ls -la") && has_command(c, "id_rsa") && c.spans.len() >= 2
    });
    {
        let c = r.got.lock().unwrap();
        assert!(c.service.contains("warden"), "{:?}", c.service);
        assert_eq!(
            c.content_types,
            BTreeSet::from(["application/x-protobuf".to_string()])
        );
        let deny = c
            .logs
            .iter()
            .find(|l| {
                l.event_name == "warden.decision" && format!("{:?}", l.body).contains("id_rsa")
            })
            .unwrap();
        assert_eq!(deny.severity_text, "WARN");
        assert_eq!(
            attr(&deny.attributes, "warden.decision").as_deref(),
            Some("deny")
        );
        assert_eq!(attr(&deny.attributes, "session.id").as_deref(), Some("s1"));
        assert_eq!(
            attr(&deny.attributes, "warden.tool").as_deref(),
            Some("Bash")
        );
        // The log carries its record's chain hash and its span's id.
        assert_eq!(
            attr(&deny.attributes, "warden.hash").map(|h| h.len()),
            Some(64)
        );
        let span = c.spans.iter().find(|s| s.span_id == deny.span_id).unwrap();
        assert_eq!(span.name, "gate Bash");
        assert_eq!(span.trace_id, deny.trace_id);
        assert_eq!(
            span.status.as_ref().unwrap().code,
            2,
            "a deny is an error status"
        );
        // One session, one trace.
        let traces: BTreeSet<&Vec<u8>> = c.spans.iter().map(|s| &s.trace_id).collect();
        assert_eq!(traces.len(), 1);
    }

    // The collector goes down: the monitor keeps deciding, and the records wait in the log.
    r.down.store(true, Ordering::SeqCst);
    let during = m.hook(&payload(
        "s2",
        "Bash",
        json!({"command": "echo outage-marker"}),
        &cwd,
    ));
    assert_eq!(decision(&during), "allow", "{}", during.stdout);
    let t = Instant::now();
    while r.refused.load(Ordering::SeqCst) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the exporter never retried"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = m.warden(&["status", "--json"], b"");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let st = status.json();
    assert!(
        st["otlp"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("503"),
        "{st}"
    );
    assert!(!has_command(&r.got.lock().unwrap(), "outage-marker"));
    r.down.store(false, Ordering::SeqCst);
    wait_for(&r, "the decision made during the outage", |c| {
        has_command(c, "outage-marker")
    });

    // A restart resumes from the cursor: the stop and the new start arrive, nothing twice.
    m.terminate();
    m.restart();
    let after = m.hook(&payload(
        "s3",
        "Bash",
        json!({"command": "echo after-restart"}),
        &cwd,
    ));
    assert_eq!(decision(&after), "allow", "{}", after.stdout);
    wait_for(&r, "the decision after the restart", |c| {
        has_command(c, "after-restart")
    });
    let c = r.got.lock().unwrap();
    let seqs: Vec<i64> = c
        .logs
        .iter()
        .map(|l| attr(&l.attributes, "warden.seq").unwrap().parse().unwrap())
        .collect();
    let unique: BTreeSet<i64> = seqs.iter().copied().collect();
    assert_eq!(
        seqs.len(),
        unique.len(),
        "a record was exported twice: {seqs:?}"
    );
    let first = *unique.first().unwrap();
    let last = *unique.last().unwrap();
    assert_eq!(
        unique.len() as i64,
        last - first + 1,
        "a record is missing between {first} and {last}: {unique:?}"
    );
    let events: BTreeSet<&str> = c.logs.iter().map(|l| l.event_name.as_str()).collect();
    assert!(events.contains("warden.admin.stop"), "{events:?}");
    assert!(events.contains("warden.admin.start"), "{events:?}");
}

#[test]
fn a_bad_endpoint_stops_the_monitor_at_start_with_a_clear_error() {
    let h = home();
    let r = super::warden(
        h.path(),
        &[
            "serve",
            "--no-discover",
            "--http",
            "off",
            "--otlp-endpoint",
            "localhost:4318",
            "--state-dir",
            h.path().join("state").to_str().unwrap(),
        ],
        b"",
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("OTLP endpoint"), "{}", r.stderr);
}

#[test]
fn approvals_are_exported_with_who_answered() {
    let h = home();
    let pol = h.path().join("ask.yaml");
    std::fs::write(&pol, super::daemon::ASK_POLICY).unwrap();
    let r = receiver();
    let url = format!("http://127.0.0.1:{}", r.port);
    let m = Monitor::start(
        h.path(),
        &["--policy", pol.to_str().unwrap(), "--otlp-endpoint", &url],
    );
    let cwd = h.path().join("project");
    std::fs::create_dir_all(&cwd).unwrap();
    let p = payload("s1", "Bash", json!({"command": "deploy prod"}), &cwd);
    let answer = std::thread::scope(|s| {
        let call = s.spawn(|| m.hook(&p));
        wait_for(&r, "the approval request", |c| {
            c.logs
                .iter()
                .any(|l| l.event_name == "warden.approval.requested")
        });
        let id = {
            let c = r.got.lock().unwrap();
            let l = c
                .logs
                .iter()
                .find(|l| l.event_name == "warden.approval.requested")
                .unwrap();
            attr(&l.attributes, "warden.approval.id").unwrap()
        };
        let a = m.warden(&["approvals", "approve", &id], b"");
        assert_eq!(a.code, 0, "{}", a.stderr);
        call.join().unwrap()
    });
    assert_eq!(decision(&answer), "allow", "{}", answer.stdout);
    wait_for(&r, "the answer and the decision", |c| {
        c.logs
            .iter()
            .any(|l| l.event_name == "warden.approval.answered")
            && has_command(c, "deploy prod")
    });
    let c = r.got.lock().unwrap();
    let answered = c
        .logs
        .iter()
        .find(|l| l.event_name == "warden.approval.answered")
        .unwrap();
    assert_eq!(
        attr(&answered.attributes, "warden.decision").as_deref(),
        Some("allow")
    );
    assert!(
        attr(&answered.attributes, "warden.answered_by").is_some(),
        "{:?}",
        answered.attributes
    );
}
