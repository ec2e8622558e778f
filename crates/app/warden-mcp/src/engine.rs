//! The proxy's core, independent of the transport: what to do with each message from the client
//! and from the server.
//!
//! Client to server: `tools/call` requests (and notifications: a call without an id still runs)
//! are gated; list requests are remembered so their answers can be vetted; everything else
//! passes untouched. Server to client: answers to gated calls are scanned and reported; list
//! answers are vetted and pinned; `notifications/tools/list_changed` makes the proxy list the
//! tools itself, so a rug pull is seen even when the client does not ask again. Server requests
//! (sampling, elicitation, roots) and every other message pass untouched.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, watch};
use warden_daemon::proto::Request;
use warden_policy::Decision;
use warden_vet::ListMethod;

use crate::error::McpError;
use crate::gate::{Call, Gate, GateAnswer};
use crate::jsonrpc;
use crate::results::{self, Redaction};
use crate::vetting::{Hide, Vetting};

/// How a refused call is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyAs {
    /// A tool result with `isError: true` and the reason: the model reads it and adapts.
    Result,
    /// A JSON-RPC error.
    Error,
}

/// The proxy's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's name (in rules: `mcp__<name>__<tool>`).
    pub server: String,
    /// The server's pin identity (command line or URL).
    pub server_key: String,
    /// How refusals are answered.
    pub deny_as: DenyAs,
    /// How results are rewritten.
    pub redaction: Redaction,
    /// Which list items are hidden from the client.
    pub hide: Hide,
    /// Where pins live (`None`: no pins, every server is first seen).
    pub pins_dir: Option<std::path::PathBuf>,
    /// How long the proxy waits for its own `tools/list`.
    pub relist_timeout: Duration,
    /// Log each decision to stderr, not only refusals.
    pub verbose: bool,
}

/// Where the proxy's own requests go (its re-lists after `list_changed`).
pub trait Upstream: Send + Sync {
    /// Send one message to the server; its answer comes back through
    /// [`Engine::from_server`].
    fn send(&self, msg: Value) -> Pin<Box<dyn Future<Output = Result<(), McpError>> + Send + '_>>;
}

/// What to do with one message from the client.
#[derive(Debug, Default)]
pub struct ClientOutcome {
    /// What to send to the server (the message, possibly with rewritten arguments).
    pub to_server: Option<Value>,
    /// Answers the proxy gives the client itself (refusals, errors).
    pub to_client: Vec<Value>,
}

/// A request whose answer the proxy looks at.
#[derive(Debug, Clone)]
enum Pending {
    Call {
        tool: String,
    },
    List {
        method: ListMethod,
        first_page: bool,
    },
}

struct Inner {
    pending: HashMap<String, Pending>,
    gating: HashSet<String>,
    cancelled: HashSet<String>,
    /// The params of the client's last `tools/list` (its `_meta` is reused for re-lists).
    list_params: Option<Value>,
    /// Gate decision times, in microseconds (for `--stats` and the benchmark).
    gate_us: Vec<u32>,
    /// Time each call waited for earlier result reports to reach the monitor, in microseconds.
    report_us: Vec<u32>,
}

/// Results and events sent to the monitor in order, off the call's path; a later gate decision
/// waits until the reports before it are in, so session provenance is never behind.
struct Reporter {
    tx: mpsc::UnboundedSender<(u64, Request)>,
    next: AtomicU64,
    done: watch::Receiver<u64>,
}

/// The proxy core of one session.
pub struct Engine {
    settings: Settings,
    gate: Gate,
    /// The decision engine of local decisions (the monitor's engine, on this proxy's session).
    decider: warden_engine::Engine,
    vetting: Mutex<Vetting>,
    inner: Mutex<Inner>,
    upstream: OnceLock<Arc<dyn Upstream>>,
    waiters: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    own_prefix: String,
    own_seq: AtomicU64,
    relisting: AtomicBool,
    reporter: Option<Reporter>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.settings.server)
            .finish()
    }
}

/// Most gate times kept for statistics.
const GATE_SAMPLES: usize = 1_000_000;

impl Engine {
    /// A proxy core deciding with `gate`. Must be called inside a Tokio runtime (the monitor
    /// reporter is a task).
    pub fn new(settings: Settings, gate: Gate) -> Arc<Engine> {
        let vetting = Vetting::new(
            &settings.server,
            settings.server_key.clone(),
            settings.pins_dir.clone(),
            settings.hide,
        );
        let reporter = gate.monitor.as_ref().map(|_| {
            let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Request)>();
            let (done_tx, done) = watch::channel(0u64);
            let monitor = gate.monitor.as_ref().map(|m| {
                crate::monitor::Monitor::new(m.socket().to_path_buf(), Duration::from_secs(5))
            });
            tokio::spawn(async move {
                while let Some((seq, req)) = rx.recv().await {
                    if let Some(m) = &monitor {
                        // A report that cannot be delivered is not retried: the decision path
                        // does not depend on it, and the monitor's absence is reported there.
                        let _ = m.call(&req, |_, _| {}).await;
                    }
                    let _ = done_tx.send(seq);
                }
            });
            Reporter {
                tx,
                next: AtomicU64::new(0),
                done,
            }
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Arc::new(Engine {
            own_prefix: format!("warden-{}-{nanos:x}-", std::process::id()),
            settings,
            gate,
            decider: warden_engine::Engine::new(),
            vetting: Mutex::new(vetting),
            inner: Mutex::new(Inner {
                pending: HashMap::new(),
                gating: HashSet::new(),
                cancelled: HashSet::new(),
                list_params: None,
                gate_us: Vec::new(),
                report_us: Vec::new(),
            }),
            upstream: OnceLock::new(),
            waiters: Mutex::new(HashMap::new()),
            own_seq: AtomicU64::new(0),
            relisting: AtomicBool::new(false),
            reporter,
        })
    }

    /// Where the proxy's own requests go; set once by the transport.
    pub fn set_upstream(&self, up: Arc<dyn Upstream>) {
        let _ = self.upstream.set(up);
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Every change under the lock is a single insert or remove: a panic elsewhere cannot
        // leave it half-changed in a way that allows more.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn vetting(&self) -> MutexGuard<'_, Vetting> {
        self.vetting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Gate decision times so far, in microseconds.
    pub fn gate_times_us(&self) -> Vec<u32> {
        self.inner().gate_us.clone()
    }

    /// How long each call waited for earlier result reports to reach the monitor, in µs.
    pub fn report_wait_us(&self) -> Vec<u32> {
        self.inner().report_us.clone()
    }

    fn log(&self, msg: &str) {
        eprintln!("warden mcp [{}]: {msg}", self.settings.server);
    }

    fn report(&self, req: Request) {
        if self.gate.monitor_down() {
            // Nobody to tell; the local decisions are spooled.
            return;
        }
        if let Some(r) = &self.reporter {
            let seq = r.next.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = r.tx.send((seq, req));
        }
    }

    /// Wait (bounded) until every report sent so far reached the monitor.
    async fn reports_in(&self) {
        if let Some(r) = &self.reporter {
            let target = r.next.load(Ordering::SeqCst);
            let mut done = r.done.clone();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d >= target)).await;
        }
    }

    /// Whether a message (or a batch) holds a `tools/call`: such messages are decided off the
    /// reading loop, since a decision may wait for a human.
    pub fn needs_gate(msg: &Value) -> bool {
        match msg {
            Value::Array(items) => items.iter().any(Self::needs_gate),
            other => jsonrpc::method(other) == Some("tools/call"),
        }
    }

    /// Decide what to do with one message (or batch) from the client.
    pub async fn from_client(&self, msg: Value) -> ClientOutcome {
        match msg {
            Value::Array(items) => {
                // A batch (protocol 2025-03-26): each member is handled alone; the members that
                // go on are sent as one batch, refusals are answered at once.
                let mut out = ClientOutcome::default();
                let mut forward = Vec::new();
                for item in items {
                    let o = Box::pin(self.from_client(item)).await;
                    forward.extend(o.to_server);
                    out.to_client.extend(o.to_client);
                }
                if !forward.is_empty() {
                    out.to_server = Some(Value::Array(forward));
                }
                out
            }
            msg => self.one_from_client(msg).await,
        }
    }

    async fn one_from_client(&self, msg: Value) -> ClientOutcome {
        let id = jsonrpc::id(&msg).cloned();
        let method = match msg.get("method") {
            Some(Value::String(m)) => Some(m.clone()),
            Some(_) => {
                return self.refuse_invalid(id, "`method` is not a string");
            }
            None => None,
        };
        let Some(method) = method else {
            if jsonrpc::is_response(&msg) {
                // The client answering a server request (sampling, elicitation, roots).
                return forward(msg);
            }
            return self.refuse_invalid(id, "neither a request, a notification nor a response");
        };
        match method.as_str() {
            "tools/call" => self.call(id, msg).await,
            "notifications/cancelled" => {
                if let Some(rid) = msg.pointer("/params/requestId") {
                    let key = jsonrpc::id_key(rid);
                    let mut inner = self.inner();
                    if inner.gating.contains(&key) {
                        inner.cancelled.insert(key);
                    }
                }
                forward(msg)
            }
            m => {
                if let (Some(id), Some(list)) = (&id, ListMethod::from_method(m)) {
                    let params = msg.get("params");
                    let first_page = params
                        .and_then(|p| p.get("cursor"))
                        .is_none_or(Value::is_null);
                    let mut inner = self.inner();
                    if list == ListMethod::Tools {
                        inner.list_params = params.cloned();
                    }
                    inner.pending.insert(
                        jsonrpc::id_key(id),
                        Pending::List {
                            method: list,
                            first_page,
                        },
                    );
                }
                forward(msg)
            }
        }
    }

    fn refuse_invalid(&self, id: Option<Value>, why: &str) -> ClientOutcome {
        self.log(&format!("refused a message from the client: {why}"));
        ClientOutcome {
            to_server: None,
            to_client: id
                .map(|id| {
                    jsonrpc::error(
                        id,
                        jsonrpc::INVALID_REQUEST,
                        &format!("Warden: invalid JSON-RPC message: {why}"),
                    )
                })
                .into_iter()
                .collect(),
        }
    }

    /// Gate one `tools/call`.
    async fn call(&self, id: Option<Value>, mut msg: Value) -> ClientOutcome {
        let Some(tool) = msg
            .pointer("/params/name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return self.invalid_params(id, "`params.name` is missing or not a string");
        };
        let args = match msg.pointer("/params/arguments") {
            None | Some(Value::Null) => json!({}),
            Some(a @ Value::Object(_)) => a.clone(),
            Some(_) => return self.invalid_params(id, "`params.arguments` is not an object"),
        };
        let key = id.as_ref().map(jsonrpc::id_key);
        if let Some(k) = &key {
            self.inner().gating.insert(k.clone());
        }
        if self.relisting.load(Ordering::SeqCst) {
            // The server said its tools changed: decide on the new definitions.
            self.relist_done().await;
        }
        // A tool the proxy never saw listed: list once more before deciding, so a client that
        // skipped the list (or a server that added a tool silently) is vetted all the same.
        if self.vetting().tool(&tool).is_none() {
            self.relist().await;
        }
        let (facts, annotations, held) = {
            let v = self.vetting();
            let e = v.tool(&tool);
            (
                v.facts(&tool),
                e.and_then(|e| e.definition.get("annotations").cloned()),
                e.is_some_and(crate::vetting::Entry::held),
            )
        };
        let waited = std::time::Instant::now();
        self.reports_in().await;
        let waited = waited.elapsed();
        let answer = self
            .gate
            .decide(
                &Call {
                    server: &self.settings.server,
                    tool: &tool,
                    args: &args,
                    annotations: annotations.as_ref(),
                    facts: &facts,
                },
                &self.decider,
            )
            .await;
        let cancelled = {
            let mut inner = self.inner();
            if inner.gate_us.len() < GATE_SAMPLES {
                let us = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
                inner.gate_us.push(us(answer.took));
                inner.report_us.push(us(waited));
            }
            match &key {
                Some(k) => {
                    inner.gating.remove(k);
                    inner.cancelled.remove(k)
                }
                None => false,
            }
        };
        match answer.decision {
            Decision::Allow | Decision::Modify => {
                if held && answer.human_approved {
                    match self.vetting().approve_tool(&tool) {
                        Ok(()) => {
                            self.log(&format!(
                                "`{tool}`: a human approved its new definition; pinned"
                            ));
                            self.report(Request::McpEvent {
                                session: Some(self.gate.session.clone()),
                                server: self.settings.server.clone(),
                                event: "pinned".into(),
                                body: json!({"tool": tool, "by": "approval"}),
                            });
                        }
                        Err(e) => self.log(&format!("`{tool}`: cannot pin: {e}")),
                    }
                }
                if let (Decision::Modify, Some(updated)) = (answer.decision, &answer.updated_args) {
                    if let Some(slot) = msg.pointer_mut("/params/arguments") {
                        *slot = updated.clone();
                    } else if let Some(Value::Object(p)) = msg.get_mut("params") {
                        p.insert("arguments".into(), updated.clone());
                    }
                    self.log(&format!(
                        "`{tool}`: arguments rewritten ({})",
                        answer.message
                    ));
                } else if self.settings.verbose {
                    self.log(&format!("`{tool}`: allowed"));
                }
                if cancelled {
                    return ClientOutcome::default();
                }
                if let Some(k) = key {
                    self.inner().pending.insert(k, Pending::Call { tool });
                }
                forward(msg)
            }
            Decision::Deny | Decision::Ask => {
                self.log(&format!("`{tool}`: refused: {}", answer.message));
                if cancelled {
                    return ClientOutcome::default();
                }
                ClientOutcome {
                    to_server: None,
                    to_client: id.map(|id| self.refusal(id, &answer)).into_iter().collect(),
                }
            }
        }
    }

    fn invalid_params(&self, id: Option<Value>, why: &str) -> ClientOutcome {
        self.log(&format!("refused a tools/call: {why}"));
        ClientOutcome {
            to_server: None,
            to_client: id
                .map(|id| jsonrpc::error(id, -32602, &format!("Warden: invalid tools/call: {why}")))
                .into_iter()
                .collect(),
        }
    }

    /// The answer to a refused call.
    fn refusal(&self, id: Value, a: &GateAnswer) -> Value {
        match self.settings.deny_as {
            DenyAs::Result => jsonrpc::result(
                id,
                json!({"content": [{"type": "text", "text": a.message}], "isError": true}),
            ),
            DenyAs::Error => json!({
                "jsonrpc": "2.0", "id": id,
                "error": {"code": jsonrpc::DENIED, "message": a.message, "data": {"rules": a.rules}},
            }),
        }
    }

    /// Handle one message (or batch) from the server; what to pass on to the client, if anything.
    pub fn from_server(self: &Arc<Self>, msg: Value) -> Option<Value> {
        match msg {
            Value::Array(items) => {
                let out: Vec<Value> = items
                    .into_iter()
                    .filter_map(|m| self.one_from_server(m))
                    .collect();
                (!out.is_empty()).then_some(Value::Array(out))
            }
            msg => self.one_from_server(msg),
        }
    }

    fn one_from_server(self: &Arc<Self>, mut msg: Value) -> Option<Value> {
        if jsonrpc::is_response(&msg) {
            let key = jsonrpc::id_key(msg.get("id").unwrap_or(&Value::Null));
            let waiter = self.waiters.lock().ok().and_then(|mut w| w.remove(&key));
            if let Some(w) = waiter {
                let _ = w.send(msg);
                return None;
            }
            let pending = self.inner().pending.remove(&key);
            match pending {
                Some(Pending::Call { tool }) => {
                    if let Some(result) = msg.get_mut("result") {
                        self.on_result(&tool, result);
                    }
                }
                Some(Pending::List { method, first_page }) => {
                    if let Some(result) = msg.get_mut("result") {
                        self.on_list(method, result, first_page);
                    }
                }
                None => {}
            }
            return Some(msg);
        }
        if jsonrpc::method(&msg) == Some("notifications/tools/list_changed") {
            self.log("the server says its tools changed: listing them again");
            // Marked before the notification reaches the client: a call it sends after hearing
            // of the change waits for the new definitions to be vetted.
            if !self.relisting.swap(true, Ordering::SeqCst) {
                let me = Arc::clone(self);
                tokio::spawn(async move { me.relist_marked().await });
            }
        }
        Some(msg)
    }

    fn on_result(&self, tool: &str, result: &mut Value) {
        let scan = results::scan(result, &self.settings.redaction);
        self.decider
            .result(&self.gate.session, None, Some(&scan.text));
        if !scan.findings.is_empty() {
            let kinds: Vec<String> = scan
                .findings
                .iter()
                .filter_map(|f| f["kind"].as_str().map(str::to_string))
                .collect();
            self.log(&format!("`{tool}` result: {}", kinds.join(", ")));
        }
        if self.reporter.is_some() {
            self.report(Request::McpResult {
                session: Some(self.gate.session.clone()),
                server: self.settings.server.clone(),
                tool: tool.to_string(),
                content: result.clone(),
                findings: scan.findings,
            });
        }
    }

    fn on_list(&self, method: ListMethod, result: &mut Value, first_page: bool) {
        let report = self.vetting().on_list(method, result, first_page);
        for f in &report.findings {
            self.log(&format!(
                "{} `{}`: {} {}: {}",
                method.method(),
                f.item,
                f.severity,
                f.rule,
                f.message
            ));
        }
        if !report.changed.is_empty() {
            self.log(&format!(
                "definitions changed since pinned (held until approved): {}",
                report.changed.join(", ")
            ));
        }
        if !report.pinned.is_empty() && self.settings.verbose {
            self.log(&format!(
                "pinned on first use: {}",
                report.pinned.join(", ")
            ));
        }
        if !report.hidden.is_empty() {
            self.log(&format!(
                "hidden from the client: {}",
                report.hidden.join(", ")
            ));
        }
        if let Some(e) = &report.store_error {
            self.log(&format!("pin store: {e} (every definition is held)"));
        }
        if !report.findings.is_empty()
            || !report.changed.is_empty()
            || !report.pinned.is_empty()
            || report.store_error.is_some()
        {
            self.report(Request::McpEvent {
                session: Some(self.gate.session.clone()),
                server: self.settings.server.clone(),
                event: "vetted".into(),
                body: report.to_json(method),
            });
        }
    }

    /// List the server's tools (every page) and vet them, as the client would; when a re-list
    /// is already running, wait for it instead.
    pub async fn relist(&self) {
        if self.relisting.swap(true, Ordering::SeqCst) {
            self.relist_done().await;
        } else {
            self.relist_marked().await;
        }
    }

    /// Wait (bounded) until a running re-list is done.
    async fn relist_done(&self) {
        let deadline = tokio::time::Instant::now() + self.settings.relist_timeout;
        while self.relisting.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The re-list itself, `relisting` already set; clears it.
    async fn relist_marked(&self) {
        if let Some(up) = self.upstream.get().cloned() {
            self.relist_pages(up.as_ref()).await;
        }
        self.relisting.store(false, Ordering::SeqCst);
    }

    async fn relist_pages(&self, up: &dyn Upstream) {
        let mut cursor: Option<Value> = None;
        for page in 0..100 {
            let n = self.own_seq.fetch_add(1, Ordering::Relaxed);
            let id = Value::String(format!("{}{n}", self.own_prefix));
            let mut params = self
                .inner()
                .list_params
                .clone()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            if let Some(p) = params.as_object_mut() {
                p.remove("cursor");
                if let Some(c) = &cursor {
                    p.insert("cursor".into(), c.clone());
                }
            }
            let (tx, rx) = oneshot::channel();
            if let Ok(mut w) = self.waiters.lock() {
                w.insert(jsonrpc::id_key(&id), tx);
            }
            let req = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params});
            if let Err(e) = up.send(req).await {
                self.log(&format!("cannot list the tools: {e}"));
                break;
            }
            let answer = tokio::time::timeout(self.settings.relist_timeout, rx).await;
            let Ok(Ok(mut answer)) = answer else {
                if let Ok(mut w) = self.waiters.lock() {
                    w.remove(&jsonrpc::id_key(&id));
                }
                self.log("the server did not answer the proxy's tools/list in time");
                break;
            };
            let Some(result) = answer.get_mut("result") else {
                break;
            };
            self.on_list(ListMethod::Tools, result, page == 0);
            cursor = result.get("nextCursor").filter(|c| !c.is_null()).cloned();
            if cursor.is_none() {
                break;
            }
        }
    }
}

fn forward(msg: Value) -> ClientOutcome {
    ClientOutcome {
        to_server: Some(msg),
        to_client: Vec::new(),
    }
}
