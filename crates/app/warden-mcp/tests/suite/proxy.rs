//! The stdio proxy as a process, driven line by line: refusals, bad input, batches, the child's
//! exit code and stderr, and a monitor that is down.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{proxied, server, Raw};

#[test]
fn bad_lines_are_answered_with_errors_and_never_forwarded() {
    let mut p = Raw::start(&proxied(&["--fallback", "local"], &server("echo")));
    p.init();
    // Not JSON, with a readable id: answered with that id.
    p.send_bytes(
        b"{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"\n",
    );
    let r = p.recv();
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (json!(41), json!(-32700))
    );
    // Not UTF-8.
    p.send_bytes(b"\xff\xfe{}\n");
    let r = p.recv();
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (json!(null), json!(-32700))
    );
    assert!(r["error"]["message"].as_str().unwrap().contains("UTF-8"));
    // JSON but not JSON-RPC.
    p.send_bytes(b"[1,2]\n");
    assert_eq!(p.recv()["error"]["code"], json!(-32600));
    // A method that is not a string, with an id.
    p.send(&json!({"jsonrpc": "2.0", "id": 42, "method": 7}));
    assert_eq!(p.recv()["error"]["code"], json!(-32600));
    // A tools/call whose arguments are not an object.
    p.send(&json!({"jsonrpc": "2.0", "id": 43, "method": "tools/call", "params": {"name": "echo", "arguments": "x"}}));
    assert_eq!(p.answer(json!(43))["error"]["code"], json!(-32602));
    // Over 16 MiB: refused, and the proxy reads on.
    let mut big = b"{\"jsonrpc\":\"2.0\",\"id\":44,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 17 * 1024 * 1024));
    big.extend(b"\"}}}\n");
    p.send_bytes(&big);
    let r = p.recv();
    assert_eq!(r["error"]["code"], json!(-32600));
    assert!(r["error"]["message"].as_str().unwrap().contains("16 MiB"));
    // Still working.
    let r = p.call(45, "echo", json!({"text": "still here"}));
    assert_eq!(r["result"]["content"][0]["text"], json!("still here"));
    let (code, stderr) = p.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("refused a client line"), "{stderr}");
}

#[test]
fn monitor_down_without_fallback_denies_every_call() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("nothing.sock");
    let mut p = Raw::start(&proxied(
        &["--socket", sock.to_str().unwrap()],
        &server("echo"),
    ));
    p.init();
    for (id, tool) in [(1, "echo"), (2, "add")] {
        let r = p.call(id, tool, json!({"text": "x", "a": "1", "b": "2"}));
        assert_eq!(r["result"]["isError"], json!(true), "{r}");
        let t = r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(t.contains("monitor is not available"), "{t}");
        assert!(
            t.contains("warden serve") && t.contains("--fallback local"),
            "{t}"
        );
    }
    // Everything else still passes: the client can list tools.
    p.send(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}));
    assert_eq!(
        p.answer(json!(3))["result"]["tools"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    p.finish();
}

#[test]
fn deny_as_error_answers_with_a_json_rpc_error() {
    let mut p = Raw::start(&proxied(
        &["--fallback", "local", "--deny-as", "error"],
        &server("echo"),
    ));
    p.init();
    let home = std::env::var("HOME").unwrap();
    let r = p.call(
        1,
        "read_file",
        json!({"path": format!("{home}/.ssh/id_rsa")}),
    );
    assert_eq!(r["error"]["code"], json!(-32001), "{r}");
    assert!(r["error"]["data"]["rules"]
        .as_array()
        .unwrap()
        .contains(&json!("credentials.ssh-private-key")));
    p.finish();
}

#[test]
fn batches_are_gated_member_by_member() {
    let mut p = Raw::start(&proxied(&["--fallback", "local"], &server("echo")));
    p.init();
    let home = std::env::var("HOME").unwrap();
    p.send(&json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "a"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "read_file", "arguments": {"path": format!("{home}/.aws/credentials")}}}
    ]));
    // The refusal comes from the proxy; the allowed member goes to the server, whatever it
    // makes of batches (rmcp answers an error for the batch it does not support, or each).
    let r = p.recv();
    let refusal = if r.is_array() { r[0].clone() } else { r };
    assert_eq!(refusal["id"], json!(2), "{refusal}");
    assert_eq!(refusal["result"]["isError"], json!(true));
    assert!(refusal["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("credentials.cloud"));
    p.finish();
}

#[test]
fn the_childs_exit_code_and_stderr_pass_through() {
    let p = Raw::start(&proxied(
        &["--fallback", "local"],
        &[
            "sh".into(),
            "-c".into(),
            "echo 'server says oops' >&2; exit 7".into(),
        ],
    ));
    let (code, stderr) = p.finish();
    assert_eq!(code, 7);
    assert!(stderr.contains("server says oops"), "{stderr}");
    let p = Raw::start(&proxied(&[], &["/nonexistent/mcp-server".into()]));
    let (code, stderr) = p.finish();
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot start the MCP server"), "{stderr}");
}

#[test]
fn a_server_writing_garbage_is_dropped_not_passed_on() {
    let script = r#"read l; echo 'not json from the server'; echo '{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"sh","version":"1"}}}'; sleep 1"#;
    let mut p = Raw::start(&proxied(
        &["--fallback", "local"],
        &["sh".into(), "-c".into(), script.into()],
    ));
    p.send(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}));
    assert_eq!(p.recv()["id"], json!(0));
    let (_, stderr) = p.finish();
    assert!(stderr.contains("not JSON-RPC"), "{stderr}");
}
