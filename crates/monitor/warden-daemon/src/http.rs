//! The loopback HTTP API, for tools that cannot use the Unix socket. Every route needs the bearer
//! token from `api.token` in the state directory (created 0600 on first start).
//!
//! - `POST /v1/check`: body is a hook envelope `{"agent": ..., "payload": ...}` or generic action
//!   JSON; answers the decision (recorded like any other).
//! - `GET /v1/approvals`: pending approvals (`?all=1` for answered ones too).
//! - `POST /v1/approvals/{id}`: `{"approve": true, "scope": "once|session|always", "expires_secs": N}`.
//! - `POST /v1/halt`: `{"session": "ID"}` or `{"all": true}`; `"resume": true` lifts the halt.
//!
//! The web console (module `console`) is served on the same listener under `/console`.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::daemon::Daemon;
use crate::proto::{ClientEnv, Response, Scope};
use crate::{DaemonError, HTTP_ADDR_FILE, TOKEN_FILE};

/// A running HTTP API.
pub struct HttpHandle {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl HttpHandle {
    /// Stop serving (requests in flight finish).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[derive(Clone)]
struct App {
    d: Arc<Daemon>,
    token: Arc<String>,
}

/// The API token in `dir`, created (32 random bytes, hex, mode 0600) when absent.
pub fn load_or_create_token(dir: &Path) -> Result<String, DaemonError> {
    let path = dir.join(TOKEN_FILE);
    if let Ok(t) = std::fs::read_to_string(&path) {
        if !t.trim().is_empty() {
            return Ok(t.trim().to_string());
        }
    }
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .map_err(|e| DaemonError::Io("no randomness for the API token".into(), e))?;
    let token = hex::encode(seed);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| DaemonError::Io(format!("cannot write `{}`", path.display()), e))?;
    f.write_all(token.as_bytes())
        .map_err(|e| DaemonError::Io(format!("cannot write `{}`", path.display()), e))?;
    Ok(token)
}

/// Serve the API on `addr`, which must be a loopback address.
pub async fn start(d: Arc<Daemon>, addr: SocketAddr) -> Result<HttpHandle, DaemonError> {
    if !addr.ip().is_loopback() {
        return Err(DaemonError::Other(format!(
            "the HTTP API listens on loopback only, not `{addr}`"
        )));
    }
    let token = load_or_create_token(&d.config.state_dir)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| DaemonError::Io(format!("cannot listen on `{addr}`"), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| DaemonError::Io("no local address".into(), e))?;
    let addr_file = d.config.state_dir.join(HTTP_ADDR_FILE);
    // Written whole and renamed into place: a reader sees no file or the complete address.
    let tmp = addr_file.with_extension("addr.tmp");
    std::fs::write(&tmp, bound.to_string())
        .and_then(|()| std::fs::rename(&tmp, &addr_file))
        .map_err(|e| DaemonError::Io(format!("cannot write `{}`", addr_file.display()), e))?;
    let token = Arc::new(token);
    let console = crate::console::router(d.clone(), token.clone());
    let app = App { d, token };
    let router = Router::new()
        .route("/v1/check", post(check))
        .route("/v1/approvals", get(approvals))
        .route("/v1/approvals/{id}", post(answer))
        .route("/v1/halt", post(halt))
        .with_state(app)
        .merge(console);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let r = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "HTTP API stopped");
        }
    });
    tracing::info!(addr = %bound, "HTTP API listening");
    Ok(HttpHandle {
        stop,
        task,
        addr: bound,
    })
}

/// Compare without leaking where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(app: &App, headers: &HeaderMap) -> Result<(), Box<HttpResponse>> {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if same(given.as_bytes(), app.token.as_bytes()) {
        Ok(())
    } else {
        Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "missing or wrong bearer token"})),
            )
                .into_response(),
        ))
    }
}

fn reply(r: Response) -> HttpResponse {
    let status = match &r {
        Response::Error { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    (status, Json(r)).into_response()
}

fn result(r: Result<Value, String>) -> HttpResponse {
    match r {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

async fn check(
    State(app): State<App>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> HttpResponse {
    if let Err(r) = authorized(&app, &headers) {
        return *r;
    }
    let env = body
        .get("env_vars")
        .and_then(|e| serde_json::from_value::<ClientEnv>(e.clone()).ok())
        .unwrap_or_else(ClientEnv::from_process);
    match (
        body.get("agent").and_then(Value::as_str),
        body.get("payload"),
    ) {
        (Some(agent), Some(payload)) => reply(app.d.hook(agent, payload.clone(), env, None).await),
        _ => reply(app.d.check(body, env).await),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: Option<String>,
}

async fn approvals(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> HttpResponse {
    if let Err(r) = authorized(&app, &headers) {
        return *r;
    }
    let all = q.all.is_some_and(|v| v != "0" && v != "false");
    result(serde_json::to_value(app.d.approvals(all)).map_err(|e| e.to_string()))
}

#[derive(Deserialize)]
struct AnswerBody {
    approve: bool,
    #[serde(default)]
    scope: Scope,
    #[serde(default)]
    expires_secs: Option<u64>,
}

async fn answer(
    State(app): State<App>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Json(b): Json<AnswerBody>,
) -> HttpResponse {
    if let Err(r) = authorized(&app, &headers) {
        return *r;
    }
    let expires = b.expires_secs.map(std::time::Duration::from_secs);
    result(app.d.answer(&id, b.approve, b.scope, expires, "http").await)
}

#[derive(Deserialize)]
struct HaltBody {
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    resume: bool,
}

async fn halt(State(app): State<App>, headers: HeaderMap, Json(b): Json<HaltBody>) -> HttpResponse {
    if let Err(r) = authorized(&app, &headers) {
        return *r;
    }
    if b.session.is_none() && !b.all {
        return result(Err("name a `session` or set `all`".into()));
    }
    result(
        app.d
            .halt(if b.all { None } else { b.session }, !b.resume, "http")
            .await,
    )
}
