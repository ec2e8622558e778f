//! The streamable HTTP transport: `warden mcp --upstream URL --listen 127.0.0.1:PORT`.
//!
//! Every request to the listener goes to the upstream MCP endpoint with its headers
//! (`Mcp-Session-Id`, `MCP-Protocol-Version`, `Authorization`) and comes back the same way. A
//! POSTed message goes through the [`Engine`] first: a refused `tools/call` is answered by the
//! proxy and never reaches the server. Answers are JSON or `text/event-stream`: SSE events are
//! parsed as they arrive, each JSON-RPC message inside goes through the engine (results
//! scanned, lists vetted), and the event is re-emitted. GET streams (server-initiated messages)
//! are parsed the same way. Other paths (OAuth discovery) pass through untouched.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::Value;

use crate::engine::{Engine, Upstream};
use crate::error::McpError;
use crate::jsonrpc;

type HttpClient = warden_daemon::https::HttpsClient;

/// Headers that belong to one hop and are not forwarded.
const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Check a listen address: loopback only, unless `allow_remote`.
pub fn listen_addr(s: &str, allow_remote: bool) -> Result<SocketAddr, McpError> {
    let addr: SocketAddr = s.parse().map_err(|e| {
        McpError::Config(format!("`{s}` is not an address like 127.0.0.1:8931: {e}"))
    })?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(McpError::Config(format!(
            "refusing to listen on `{addr}`: anyone who can reach it could use the MCP server through Warden's approvals; listen on 127.0.0.1, or pass --allow-remote"
        )));
    }
    Ok(addr)
}

struct Shared {
    engine: Arc<Engine>,
    client: HttpClient,
    upstream: Uri,
    /// The client's session headers, reused for the proxy's own requests.
    session_headers: Mutex<HeaderMap>,
}

/// The proxy's own requests go to the upstream as POSTs with the client's session headers;
/// their answers are read back through the engine.
struct HttpUpstream {
    shared: std::sync::Weak<Shared>,
}

impl Upstream for HttpUpstream {
    fn send(&self, msg: Value) -> Pin<Box<dyn Future<Output = Result<(), McpError>> + Send + '_>> {
        Box::pin(async move {
            let shared = self
                .shared
                .upgrade()
                .ok_or_else(|| McpError::Http("the proxy is shutting down".into()))?;
            let mut headers = shared
                .session_headers
                .lock()
                .map(|h| h.clone())
                .unwrap_or_default();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            headers.insert(
                "accept",
                HeaderValue::from_static("application/json, text/event-stream"),
            );
            let body = Bytes::from(serde_json::to_vec(&msg).unwrap_or_default());
            let resp = send(
                &shared,
                Method::POST,
                shared.upstream.clone(),
                &headers,
                body,
            )
            .await?;
            // The answer is read in the background: an SSE answer may stay open after it.
            let engine = Arc::clone(&shared.engine);
            tokio::spawn(async move {
                let is_sse = content_type(resp.headers()).starts_with("text/event-stream");
                let mut body = resp.into_body();
                let mut parser = SseParser::default();
                let mut json = Vec::new();
                let read = async {
                    while let Some(Ok(frame)) = body.frame().await {
                        let Ok(data) = frame.into_data() else {
                            continue;
                        };
                        if is_sse {
                            parser.push(&data);
                            for ev in parser.take_events() {
                                if let Some(m) =
                                    ev.data.and_then(|d| jsonrpc::parse(d.as_bytes()).ok())
                                {
                                    let _ = engine.from_server(m);
                                }
                            }
                        } else if json.len() + data.len() <= jsonrpc::MAX_LINE_BYTES {
                            json.extend_from_slice(&data);
                        }
                    }
                    parser.push(b"\n\n");
                    let last = parser
                        .take_events()
                        .into_iter()
                        .filter_map(|ev| ev.data.and_then(|d| jsonrpc::parse(d.as_bytes()).ok()));
                    for m in last.chain(jsonrpc::parse(&json).ok()) {
                        let _ = engine.from_server(m);
                    }
                };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(60), read).await;
            });
            Ok(())
        })
    }
}

/// Serve the proxy on `listen` for the MCP endpoint `upstream`, until the process ends.
pub async fn run(engine: Arc<Engine>, upstream: &str, listen: SocketAddr) -> Result<(), McpError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(McpError::io(format!("cannot listen on `{listen}`")))?;
    serve(engine, upstream, listener).await
}

/// [`run`] on a listener already bound.
pub async fn serve(
    engine: Arc<Engine>,
    upstream: &str,
    listener: tokio::net::TcpListener,
) -> Result<(), McpError> {
    let uri: Uri = upstream
        .parse()
        .map_err(|e| McpError::Config(format!("`{upstream}` is not a URL: {e}")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(McpError::Config(format!(
            "`{upstream}` is not an http:// or https:// URL"
        )));
    }
    let client = http_client()?;
    let shared = Arc::new(Shared {
        engine: Arc::clone(&engine),
        client,
        upstream: uri,
        session_headers: Mutex::new(HeaderMap::new()),
    });
    engine.set_upstream(Arc::new(HttpUpstream {
        shared: Arc::downgrade(&shared),
    }));
    let app = axum::Router::new().fallback(handle).with_state(shared);
    if let Ok(a) = listener.local_addr() {
        eprintln!(
            "warden mcp [{}]: proxying {upstream} on http://{a}",
            engine.settings().server
        );
    }
    axum::serve(listener, app)
        .await
        .map_err(McpError::io("the HTTP proxy stopped"))
}

/// An HTTP/1 client for http and https (the monitor's, with the system's root certificates).
fn http_client() -> Result<HttpClient, McpError> {
    let (client, roots) = warden_daemon::https::client().map_err(McpError::Http)?;
    if roots == 0 {
        eprintln!(
            "warden mcp: no system root certificates found; https upstreams will fail to verify"
        );
    }
    Ok(client)
}

fn content_type(h: &HeaderMap) -> String {
    h.get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn plain(status: StatusCode, msg: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(msg.to_string()));
    *r.status_mut() = status;
    r
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// The upstream URI for a request to `path`: the MCP endpoint itself for `/` and the endpoint's
/// own path, else the same path on the upstream's origin (OAuth discovery and the like).
fn target(upstream: &Uri, uri: &Uri) -> Uri {
    let path = uri.path();
    if path == "/" || path == upstream.path() {
        return upstream.clone();
    }
    let mut parts = upstream.clone().into_parts();
    parts.path_and_query = uri.path_and_query().cloned();
    Uri::from_parts(parts).unwrap_or_else(|_| upstream.clone())
}

async fn send(
    shared: &Shared,
    method: Method,
    uri: Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response<hyper::body::Incoming>, McpError> {
    let mut req = hyper::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        if !HOP.contains(&k.as_str()) {
            req = req.header(k, v);
        }
    }
    let req = req
        .body(Full::new(body))
        .map_err(|e| McpError::Http(e.to_string()))?;
    shared
        .client
        .request(req)
        .await
        .map_err(|e| McpError::Http(format!("the upstream MCP server is not reachable: {e}")))
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response<Body> {
    match handle_inner(&shared, req).await {
        Ok(r) => r,
        Err(e) => plain(StatusCode::BAD_GATEWAY, &format!("Warden: {e}")),
    }
}

async fn handle_inner(
    shared: &Arc<Shared>,
    req: Request<Body>,
) -> Result<Response<Body>, McpError> {
    let (parts, body) = req.into_parts();
    let uri = target(&shared.upstream, &parts.uri);
    let is_endpoint = uri == shared.upstream;
    let body = match Limited::new(body, jsonrpc::MAX_LINE_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &jsonrpc::error(
                    Value::Null,
                    jsonrpc::INVALID_REQUEST,
                    "Warden: message over the 16 MiB limit refused",
                ),
            ))
        }
    };
    if !is_endpoint {
        let resp = send(shared, parts.method, uri, &parts.headers, body).await?;
        return Ok(passthrough(resp));
    }
    // Remember the session headers for the proxy's own requests.
    if let Ok(mut h) = shared.session_headers.lock() {
        for name in ["mcp-session-id", "mcp-protocol-version", "authorization"] {
            if let Some(v) = parts.headers.get(name) {
                h.insert(HeaderName::from_static(name), v.clone());
            }
        }
    }
    let mut refusals = Vec::new();
    let mut body_out = body;
    if parts.method == Method::POST {
        let msg = match jsonrpc::parse(&body_out) {
            Ok(m) => m,
            Err(e) => {
                return Ok(json_response(
                    StatusCode::BAD_REQUEST,
                    &jsonrpc::error(
                        Value::Null,
                        jsonrpc::PARSE_ERROR,
                        &format!("Warden: {e}; not forwarded"),
                    ),
                ))
            }
        };
        let was_batch = msg.is_array();
        let out = shared.engine.from_client(msg).await;
        refusals = out.to_client;
        match out.to_server {
            Some(m) => body_out = Bytes::from(serde_json::to_vec(&m).unwrap_or_default()),
            None => {
                return Ok(match (refusals.len(), was_batch) {
                    (0, _) => {
                        let mut r = Response::new(Body::empty());
                        *r.status_mut() = StatusCode::ACCEPTED;
                        r
                    }
                    (1, false) => {
                        json_response(StatusCode::OK, refusals.first().unwrap_or(&Value::Null))
                    }
                    _ => json_response(StatusCode::OK, &Value::Array(refusals)),
                });
            }
        }
    }
    let resp = send(shared, parts.method, uri, &parts.headers, body_out).await?;
    let ct = content_type(resp.headers());
    if ct.starts_with("text/event-stream") {
        return Ok(sse_response(Arc::clone(shared), resp, refusals));
    }
    if ct.starts_with("application/json") {
        let (rparts, rbody) = resp.into_parts();
        let bytes = Limited::new(rbody, jsonrpc::MAX_LINE_BYTES)
            .collect()
            .await
            .map_err(|e| McpError::Http(format!("reading the upstream's answer: {e}")))?
            .to_bytes();
        let out = match jsonrpc::parse(&bytes) {
            Ok(m) => {
                let processed = shared.engine.from_server(m);
                match (processed, refusals.is_empty()) {
                    (Some(p), true) => p,
                    (p, _) => {
                        let mut all = refusals;
                        match p {
                            Some(Value::Array(items)) => all.extend(items),
                            Some(v) => all.push(v),
                            None => {}
                        }
                        Value::Array(all)
                    }
                }
            }
            // Not JSON-RPC: the client sees what the server sent.
            Err(_) => return Ok(rebuild(rparts, Body::from(bytes))),
        };
        return Ok(rebuild(
            rparts,
            Body::from(serde_json::to_vec(&out).unwrap_or_default()),
        ));
    }
    Ok(passthrough(resp))
}

fn rebuild(mut parts: axum::http::response::Parts, body: Body) -> Response<Body> {
    for h in HOP {
        parts.headers.remove(*h);
    }
    Response::from_parts(parts, body)
}

fn passthrough(resp: Response<hyper::body::Incoming>) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    rebuild(parts, Body::new(body))
}

/// Re-emit an SSE answer event by event, each JSON-RPC message through the engine; refusals of
/// a batch's members come first.
fn sse_response(
    shared: Arc<Shared>,
    resp: Response<hyper::body::Incoming>,
    refusals: Vec<Value>,
) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    let first: Vec<u8> = refusals
        .iter()
        .flat_map(|r| format!("event: message\ndata: {r}\n\n").into_bytes())
        .collect();
    struct St {
        body: hyper::body::Incoming,
        parser: SseParser,
        shared: Arc<Shared>,
        first: Option<Vec<u8>>,
        done: bool,
    }
    let st = St {
        body,
        parser: SseParser::default(),
        shared,
        first: (!first.is_empty()).then_some(first),
        done: false,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if let Some(f) = st.first.take() {
            return Some((Ok::<Bytes, std::io::Error>(Bytes::from(f)), st));
        }
        loop {
            if st.done {
                return None;
            }
            match st.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        st.parser.push(&data);
                    }
                }
                Some(Err(e)) => {
                    return Some((
                        Err(std::io::Error::other(e.to_string())),
                        St { done: true, ..st },
                    ));
                }
                None => {
                    st.done = true;
                    st.parser.push(b"\n\n");
                }
            }
            let mut out = Vec::new();
            for ev in st.parser.take_events() {
                out.extend(process_event(&st.shared.engine, ev));
            }
            if !out.is_empty() {
                return Some((Ok(Bytes::from(out)), st));
            }
        }
    });
    rebuild(parts, Body::from_stream(stream))
}

/// One event re-emitted after its message went through the engine (nothing for the proxy's own
/// answers; comments and non-JSON data as they were).
fn process_event(engine: &Arc<Engine>, ev: SseEvent) -> Vec<u8> {
    let Some(data) = &ev.data else {
        return ev.raw;
    };
    let Ok(msg) = jsonrpc::parse(data.as_bytes()) else {
        return ev.raw;
    };
    let Some(out) = engine.from_server(msg) else {
        return Vec::new();
    };
    let mut s = String::new();
    for l in &ev.other {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("data: ");
    s.push_str(&out.to_string());
    s.push_str("\n\n");
    s.into_bytes()
}

/// One server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The joined `data:` lines, if any.
    pub data: Option<String>,
    /// The other field lines (`event:`, `id:`, `retry:`, comments), as sent.
    pub other: Vec<String>,
    /// The event as it came.
    pub raw: Vec<u8>,
}

/// An incremental `text/event-stream` parser.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    cur: SseEvent,
    events: Vec<SseEvent>,
}

impl SseParser {
    /// Feed bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n' || *b == b'\r') {
            // `\r\n` counts as one line end; a lone `\r` at the end of the buffer waits.
            let len = match (self.buf.get(end), self.buf.get(end + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\r'), None) => break,
                _ => 1,
            };
            let line: Vec<u8> = self.buf.drain(..end + len).collect();
            let text = String::from_utf8_lossy(line.get(..end).unwrap_or_default()).into_owned();
            self.cur.raw.extend_from_slice(&line);
            if text.is_empty() {
                let ev = std::mem::take(&mut self.cur);
                if ev.data.is_some() || !ev.other.is_empty() {
                    self.events.push(ev);
                }
                continue;
            }
            match text.strip_prefix("data:") {
                Some(d) => {
                    let d = d.strip_prefix(' ').unwrap_or(d);
                    match &mut self.cur.data {
                        Some(prev) => {
                            prev.push('\n');
                            prev.push_str(d);
                        }
                        None => self.cur.data = Some(d.to_string()),
                    }
                }
                None => self.cur.other.push(text),
            }
        }
    }

    /// The events complete so far.
    pub fn take_events(&mut self) -> Vec<SseEvent> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn sse_events_are_parsed_across_chunks() {
        let mut p = SseParser::default();
        p.push(b"id: 1\r\nevent: message\r\ndata: {\"a\":");
        assert_eq!(p.take_events(), vec![]);
        p.push(b"1}\r\n\r\n: keep-alive\n\ndata: x\ndata: y\n\n");
        let ev = p.take_events();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].data.as_deref(), Some("{\"a\":1}"));
        assert_eq!(
            ev[0].other,
            vec!["id: 1".to_string(), "event: message".to_string()]
        );
        assert_eq!(ev[1].data, None);
        assert_eq!(ev[2].data.as_deref(), Some("x\ny"));
    }

    #[test]
    fn listen_is_loopback_only() {
        assert!(listen_addr("127.0.0.1:0", false).is_ok());
        assert!(listen_addr("0.0.0.0:8080", false).is_err());
        assert!(listen_addr("0.0.0.0:8080", true).is_ok());
        let up: Uri = "http://127.0.0.1:9/mcp".parse().unwrap();
        assert_eq!(target(&up, &"/".parse().unwrap()), up);
        assert_eq!(
            target(
                &up,
                &"/.well-known/oauth-protected-resource".parse().unwrap()
            )
            .to_string(),
            "http://127.0.0.1:9/.well-known/oauth-protected-resource"
        );
    }
}
