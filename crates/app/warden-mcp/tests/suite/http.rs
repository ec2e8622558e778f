//! The streamable HTTP proxy in front of an rmcp streamable HTTP server (SSE answers), driven
//! with plain HTTP requests as a client sends them.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pretty_assertions::assert_eq;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::tower::StreamableHttpService;
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

#[derive(Clone)]
struct Echo;

impl ServerHandler for Echo {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _r: Option<PaginatedRequestParams>,
        _c: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = json!({"type": "object", "properties": {"text": {"type": "string"}, "path": {"type": "string"}}});
        let schema = Arc::new(schema.as_object().unwrap().clone());
        Ok(ListToolsResult {
            tools: vec![
                Tool::new("echo", "Echo the text.", schema.clone()),
                Tool::new("read_file", "Read a file.", schema),
            ],
            ..Default::default()
        })
    }

    async fn call_tool(
        &self,
        r: CallToolRequestParams,
        _c: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = r.arguments.unwrap_or_default();
        let t = args
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Ok(CallToolResult::success(vec![ContentBlock::text(format!("echo: {t}"))]).into())
    }
}

/// The JSON-RPC messages of an answer, JSON or SSE.
fn messages(content_type: &str, body: &[u8]) -> Vec<Value> {
    if content_type.starts_with("text/event-stream") {
        let mut p = warden_mcp::http::SseParser::default();
        p.push(body);
        p.push(b"\n\n");
        p.take_events()
            .into_iter()
            .filter_map(|e| e.data)
            .filter(|d| !d.is_empty())
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect()
    } else if body.is_empty() {
        Vec::new()
    } else {
        vec![serde_json::from_slice(body).unwrap()]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_calls_are_gated_and_sse_answers_scanned() {
    // The upstream: rmcp's streamable HTTP server, answering with SSE.
    let service: StreamableHttpService<Echo, LocalSessionManager> = StreamableHttpService::new(
        || Ok(Echo),
        Default::default(),
        StreamableHttpServerConfig::default().with_sse_keep_alive(None),
    );
    let up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up_addr = up.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(up, axum::Router::new().nest_service("/mcp", service)).await;
    });
    // The proxy.
    let mut o = warden_mcp::Options::new(String::new(), Vec::new());
    o.name = "echo-http".into();
    o.url = Some(format!("http://{up_addr}/mcp"));
    o.fallback = warden_mcp::Fallback::Local(warden_mcp::gate::LocalPolicy::new(
        warden_policy::Policy::load(&[warden_policy::PolicySource::baseline()]).unwrap(),
    ));
    let engine = o.engine();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{up_addr}/mcp");
    tokio::spawn(async move {
        let _ = warden_mcp::http::serve(engine, &url, listener).await;
    });

    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut session: Option<String> = None;
    let mut post = async |msg: Value| -> (u16, Vec<Value>) {
        let mut req = hyper::Request::post(format!("http://{addr}/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18");
        if let Some(s) = &session {
            req = req.header("mcp-session-id", s);
        }
        let resp = client
            .request(req.body(Full::new(Bytes::from(msg.to_string()))).unwrap())
            .await
            .unwrap();
        if let Some(s) = resp.headers().get("mcp-session-id") {
            session = Some(s.to_str().unwrap().to_string());
        }
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, messages(&ct, &body))
    };
    let (status, init) = post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})).await;
    assert_eq!(status, 200, "{init:?}");
    assert_eq!(init[0]["id"], json!(1));
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    // A call before any list: the proxy lists the tools itself (its own POST) to vet them first.
    let (_, r) = post(json!({"jsonrpc": "2.0", "id": 20, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "early"}}})).await;
    assert_eq!(
        r[0]["result"]["content"][0]["text"],
        json!("echo: early"),
        "{r:?}"
    );
    let (_, list) = post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await;
    assert_eq!(
        list[0]["result"]["tools"].as_array().unwrap().len(),
        2,
        "{list:?}"
    );
    let (_, r) = post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "hi"}}})).await;
    assert_eq!(
        r[0]["result"]["content"][0]["text"],
        json!("echo: hi"),
        "{r:?}"
    );
    let home = std::env::var("HOME").unwrap();
    let (status, r) = post(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "read_file", "arguments": {"path": format!("{home}/.ssh/id_rsa")}}})).await;
    assert_eq!(status, 200);
    assert_eq!(r[0]["id"], json!(4));
    assert_eq!(r[0]["result"]["isError"], json!(true));
    assert!(r[0]["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("credentials.ssh-private-key"));
    let (status, r) = post(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo", "arguments": "not an object"}})).await;
    assert_eq!(
        (status, r[0]["error"]["code"].clone()),
        (200, json!(-32602))
    );
}
