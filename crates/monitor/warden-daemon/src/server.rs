//! Starting and stopping the daemon, the Unix socket and its connections, policy hot reload.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use warden_audit::{now_ms, AuditLog, Kind, NewRecord};

use crate::daemon::{Config, Daemon};
use crate::policy::{Policies, PolicyLoader};
use crate::proto::{Request, Response, MAX_LINE_BYTES};
use crate::state::{stale_pending, State};
use crate::writer::{StateOp, Writer, STATE_SCHEMA};
use crate::DaemonError;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |e| DaemonError::Io(what, e)
}

/// Run the daemon until SIGTERM or SIGINT; then stop accepting, finish what is in flight, and
/// sign a final checkpoint.
pub async fn serve(config: Config, loader: Arc<dyn PolicyLoader>) -> Result<(), DaemonError> {
    // Before anything touches the database: a second monitor stops here, having changed nothing.
    let _lock = crate::lock::StateLock::acquire(&config.state_dir)?;
    config
        .check_protected(rustix::process::getuid().as_raw())
        .map_err(DaemonError::Other)?;
    if config.protected {
        tracing::info!("{}", config.protection());
    } else {
        tracing::warn!("{}", config.protection());
    }
    let policies = Policies::new(loader).map_err(DaemonError::Policy)?;
    let mut log = AuditLog::open(&config.state_dir)?;
    if let Some(extra) = &config.witness_file {
        let mut w = warden_audit::Witness::new(&config.state_dir);
        w.file = extra.clone();
        log.set_witness(w);
    }
    log.conn()
        .execute_batch(STATE_SCHEMA)
        .map_err(warden_audit::AuditError::from)?;
    let mut state = State::load(log.conn(), now_ms()).map_err(warden_audit::AuditError::from)?;
    // Session analysis and baselines survive a restart: they are rebuilt from the log.
    let engine = warden_engine::Engine::new();
    let mut sessions = std::collections::HashMap::new();
    let rebuilt = crate::follow::rebuild(
        log.conn(),
        now_ms(),
        &mut sessions,
        &mut |key, actions, at| engine.observe_baseline(key, actions, at),
        &state.lineage,
    )
    .map_err(warden_audit::AuditError::from)?;
    for (id, s) in sessions {
        engine.with_session(&id, |x| *x = s);
    }
    tracing::info!(
        records = rebuilt.records,
        sessions = rebuilt.sessions,
        learned = rebuilt.learned,
        "session state rebuilt from the audit log"
    );
    state.rebuilt = Some(rebuilt);
    let stale = stale_pending(log.conn()).map_err(warden_audit::AuditError::from)?;
    let head = log.head();
    let writer = Writer::start(log, config.checkpoint_interval)?;
    let guard = if config.watch_homes.is_empty() {
        None
    } else {
        Some(crate::config::ConfigGuard::open(
            &config.state_dir,
            config.watch_homes.clone(),
        )?)
    };
    let daemon = Arc::new(Daemon::new(
        config.clone(),
        policies,
        state,
        writer,
        guard,
        engine,
    ));
    if config.notify.enabled() {
        let mut notify = config.notify.clone();
        if notify.link_base.is_none() {
            notify.link_base = config.http.map(|a| format!("http://{a}"));
        }
        let n = crate::notify::Notifier::new(notify).map_err(DaemonError::Other)?;
        let _ = daemon.notifier.set(Arc::new(n));
    }

    let rules = daemon.policies.global().rule_count();
    daemon
        .audit(
            Kind::Admin,
            None,
            json!({"op": "start", "pid": std::process::id(), "version": env!("CARGO_PKG_VERSION"), "rules": rules, "head": head.seq}),
        )
        .await
        .map_err(DaemonError::Other)?;
    if !stale.is_empty() {
        let now = now_ms();
        let records = stale
            .iter()
            .map(|id| {
                NewRecord::new(
                    Kind::Approval,
                    None,
                    &json!({"op": "expired", "approval": id, "why": "daemon restarted"}),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DaemonError::Other(e.to_string()))?;
        let ops = stale
            .iter()
            .map(|id| StateOp::Answered {
                id: id.clone(),
                status: "expired",
                scope: None,
                expires: None,
                time: now,
            })
            .collect();
        daemon
            .write(records, ops)
            .await
            .map_err(DaemonError::Other)?;
    }
    match ingest_spool(&daemon).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            events = n,
            "ingested events spooled by hooks while the monitor was down"
        ),
        Err(e) => tracing::error!(error = %e, "cannot ingest the spool"),
    }

    // Pinned and watched before the socket accepts anything; a watcher that cannot run stops
    // the start: a monitor that says it guards configuration must not silently not.
    let _config_watch = crate::config::watch::start(daemon.clone()).await?;
    let listener = bind(&config)?;
    // The address of an earlier run's HTTP API is not this run's: gone until the API listens.
    match std::fs::remove_file(config.state_dir.join(crate::HTTP_ADDR_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(error = %e, "cannot remove the previous HTTP address file")
        }
        _ => {}
    }
    tracing::info!(socket = %config.socket.display(), state_dir = %config.state_dir.display(), rules, "warden monitor listening");
    let http = match config.http {
        Some(addr) => Some(crate::http::start(daemon.clone(), addr).await?),
        None => None,
    };
    let _watcher = watch_policies(daemon.clone());
    daemon.start_kernel_log();
    // Exported from the record before this start: the start record and everything after it.
    let otlp = match &config.otlp {
        Some(o) => {
            let h = crate::otlp::start(config.state_dir.clone(), o.clone(), head.seq)?;
            let _ = daemon.otlp.set(h.status.clone());
            tracing::info!(endpoint = %o.endpoint, "exporting the audit log as OpenTelemetry (OTLP/HTTP)");
            Some(h)
        }
        None => None,
    };

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(io("signal"))?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(io("signal"))?;
    let own = rustix::process::getuid().as_raw();
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let d = daemon.clone();
                    conns.spawn(connection(d, stream, own));
                }
                Err(e) => tracing::warn!(error = %e, "accept failed"),
            },
            _ = term.recv() => break,
            _ = int.recv() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    tracing::info!("stopping: finishing requests in flight");
    drop(listener);
    let _ = std::fs::remove_file(&config.socket);
    if let Some(h) = http {
        h.stop().await;
    }
    // Requests in flight get their answers (an approval wait is cut short by the deadline).
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
    let _ = daemon
        .audit(
            Kind::Admin,
            None,
            json!({"op": "stop", "pid": std::process::id()}),
        )
        .await;
    // The stop record is durable (the writer flushes before answering), so the exporter's
    // last pass includes it; what it cannot post in time is posted at the next start.
    if let Some(o) = otlp {
        o.stop(Duration::from_secs(2)).await;
    }
    let r = daemon.writer.shutdown().await;
    tracing::info!(checkpoint = ?r, "warden monitor stopped");
    Ok(())
}

/// Bind the socket with owner-only permissions (then the configured mode). A live daemon on the
/// same socket is an error; a stale socket file is replaced.
fn bind(config: &Config) -> Result<UnixListener, DaemonError> {
    let path = &config.socket;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create `{}`", dir.display())))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(DaemonError::Other(format!(
                "another Warden monitor is already listening on `{}`",
                path.display()
            )));
        }
        std::fs::remove_file(path).map_err(io(format!(
            "cannot remove the stale socket `{}`",
            path.display()
        )))?;
    }
    // Nobody else may connect between bind and chmod.
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let listener = UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = listener.map_err(io(format!("cannot listen on `{}`", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.socket_mode))
        .map_err(io(format!("cannot set the mode of `{}`", path.display())))?;
    Ok(listener)
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone, Copy)]
struct Peer {
    uid: u32,
    pid: Option<i32>,
    hook: bool,
    admin: bool,
    /// The peer runs inside a tool sandbox (another user namespace, or a deeper PID namespace,
    /// than the monitor's): a process an agent's tool started, which must not speak as the
    /// agent runtime.
    sandboxed: bool,
}

fn peer(d: &Daemon, stream: &UnixStream, own: u32) -> Option<Peer> {
    let cred = stream.peer_cred().ok()?;
    let uid = cred.uid();
    let pid = cred.pid();
    // Root can do anything to the monitor's files anyway; it administers.
    let admin = uid == own || uid == 0 || d.config.admin_uids.contains(&uid);
    let hook = admin || d.config.hook_uids.contains(&uid);
    let sandboxed = match pid {
        Some(p) => crate::peer::in_sandbox(p).unwrap_or(true),
        None => false,
    };
    Some(Peer {
        uid,
        pid,
        hook,
        admin,
        sandboxed,
    })
}

async fn connection(d: Arc<Daemon>, stream: UnixStream, own: u32) {
    let Some(who) = peer(&d, &stream, own).filter(|p| p.hook) else {
        tracing::warn!(peer = ?stream.peer_cred().ok().map(|c| c.uid()), "connection refused: uid not allowed");
        let body = json!({"op": "refused", "why": "uid not allowed", "uid": stream.peer_cred().ok().map(|c| c.uid()), "pid": stream.peer_cred().ok().and_then(|c| c.pid())});
        let _ = d.audit(Kind::Admin, None, body).await;
        let mut s = stream;
        let msg = Response::Error {
            message: "this user may not talk to the Warden monitor".into(),
        };
        let _ = s.write_all(&line(&msg)).await;
        return;
    };
    let (r, w) = stream.into_split();
    let (qtx, mut qrx) = mpsc::channel::<mpsc::Receiver<Response>>(4096);
    let out = tokio::spawn(async move {
        let mut w = BufWriter::with_capacity(64 * 1024, w);
        while let Some(mut rx) = qrx.recv().await {
            while let Some(resp) = rx.recv().await {
                let pending = matches!(resp, Response::Pending { .. });
                if w.write_all(&line(&resp)).await.is_err() {
                    return;
                }
                if (pending || qrx.is_empty()) && w.flush().await.is_err() {
                    return;
                }
            }
        }
        let _ = w.flush().await;
    });
    let mut reader = BufReader::with_capacity(64 * 1024, r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
        match (&mut reader).take(limit).read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let (tx, rx) = mpsc::channel(2);
        if qtx.send(rx).await.is_err() {
            break;
        }
        if buf.last() != Some(&b'\n') && buf.len() >= MAX_LINE_BYTES {
            let _ = tx
                .send(Response::Error {
                    message: format!("request larger than {MAX_LINE_BYTES} bytes"),
                })
                .await;
            break;
        }
        let req: Result<Request, _> = serde_json::from_slice(&buf);
        let d = d.clone();
        tokio::spawn(async move {
            let resp = match req {
                Ok(req) => handle(&d, req, who, &tx).await,
                Err(e) => Response::Error {
                    message: format!("request not understood: {e}"),
                },
            };
            let _ = tx.send(resp).await;
        });
    }
    drop(qtx);
    let _ = out.await;
}

fn line(r: &Response) -> Vec<u8> {
    let mut v = serde_json::to_vec(r)
        .unwrap_or_else(|_| br#"{"type":"error","message":"unserialisable response"}"#.to_vec());
    v.push(b'\n');
    v
}

fn ok(v: Result<Value, String>) -> Response {
    match v {
        Ok(value) => Response::Ok { value },
        Err(message) => Response::Error { message },
    }
}

/// Refuse a request, and record the attempt.
async fn refuse(d: &Daemon, req: &Request, who: Peer, why: &str, message: String) -> Response {
    let op = serde_json::to_value(req)
        .ok()
        .and_then(|v| v.get("op").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    tracing::warn!(uid = who.uid, pid = ?who.pid, op, why, "request refused");
    let body = json!({"op": "refused", "request": op, "why": why, "uid": who.uid, "pid": who.pid});
    if let Err(e) = d.audit(Kind::Admin, None, body).await {
        return Response::Error {
            message: format!("{message} (and the attempt could not be recorded: {e})"),
        };
    }
    Response::Error { message }
}

async fn handle(
    d: &Arc<Daemon>,
    req: Request,
    who: Peer,
    pending: &mpsc::Sender<Response>,
) -> Response {
    let by = format!("uid:{}", who.uid);
    // A process inside a tool sandbox may ask for a decision, nothing else: it must not speak
    // as the agent runtime (forged prompts or tool calls) nor as the MCP gateway.
    if who.sandboxed && !matches!(req, Request::Check { .. }) {
        let msg = "this process runs inside a tool sandbox: it may not send agent events to the Warden monitor".to_string();
        return refuse(d, &req, who, "sandboxed process", msg).await;
    }
    if !who.admin && !is_agent_request(&req) {
        let msg = format!(
            "not an administrator: uid {} may send hook events but not administer the monitor",
            who.uid
        );
        return refuse(d, &req, who, "not an administrator", msg).await;
    }
    match req {
        Request::Hook {
            agent,
            payload,
            env,
            nonce,
        } => echo(d.hook(&agent, payload, env, Some(pending)).await, nonce),
        Request::Check { input, env, nonce } => echo(d.check(input, env).await, nonce),
        Request::McpCall {
            session,
            server,
            tool,
            args,
            annotations,
            facts,
            env,
        } => {
            let call = crate::mcp::McpCall {
                session,
                server,
                tool,
                args,
                annotations,
                facts,
                env,
            };
            d.mcp_call(call, Some(pending)).await
        }
        Request::McpResult {
            session,
            server,
            tool,
            content,
            findings,
        } => ok(d
            .mcp_result(session, &server, &tool, &content, &findings)
            .await),
        Request::McpEvent {
            session,
            server,
            event,
            body,
        } => ok(d.mcp_event(session, &server, &event, &body).await),
        Request::SandboxReport {
            session,
            tool_use_id,
            denied,
            report,
        } => ok(d
            .sandbox_report(crate::sandbox::SandboxReport {
                session,
                tool_use_id,
                denied,
                report,
            })
            .await),
        Request::SandboxEgress(q) => d.sandbox_egress(q, pending).await,
        Request::Approvals { all } => {
            ok(serde_json::to_value(d.approvals(all)).map_err(|e| e.to_string()))
        }
        Request::ApprovalShow { id } => ok(d
            .approval(&id)
            .ok_or_else(|| format!("no approval `{id}`"))
            .and_then(|a| serde_json::to_value(a).map_err(|e| e.to_string()))),
        Request::Answer {
            id,
            approve,
            scope,
            expires_secs,
        } => ok(d
            .answer(
                &id,
                approve,
                scope,
                expires_secs.map(Duration::from_secs),
                &by,
            )
            .await),
        Request::Halt { session } => ok(d.halt(session, true, &by).await),
        Request::Resume { session } => ok(d.halt(session, false, &by).await),
        Request::Status => Response::Ok { value: d.status() },
        Request::ConfigStatus => ok(d.config_status()),
        Request::ConfigDiff { path } => ok(d.config_diff(path.as_deref().map(Path::new))),
        Request::ConfigApprove { path } => ok(d
            .config_approve(path.as_deref().map(Path::new), &by, true)
            .await),
        Request::ConfigRestore { path } => ok(d
            .config_restore(path.as_deref().map(Path::new), &by, true)
            .await),
    }
}

/// Put the request's nonce into its answer.
fn echo(r: Response, nonce: Option<String>) -> Response {
    match r {
        Response::Answer(mut a) => {
            a.nonce = nonce;
            Response::Answer(a)
        }
        other => other,
    }
}

/// The requests an agent's side (hooks, the MCP gateway, `warden check`) may send.
fn is_agent_request(req: &Request) -> bool {
    match req {
        Request::Hook { .. }
        | Request::Check { .. }
        | Request::McpCall { .. }
        | Request::McpResult { .. }
        | Request::McpEvent { .. }
        | Request::SandboxReport { .. }
        | Request::SandboxEgress(_) => true,
        Request::Approvals { .. }
        | Request::ApprovalShow { .. }
        | Request::Answer { .. }
        | Request::Halt { .. }
        | Request::Resume { .. }
        | Request::Status
        | Request::ConfigStatus
        | Request::ConfigDiff { .. }
        | Request::ConfigApprove { .. }
        | Request::ConfigRestore { .. } => false,
    }
}

/// Record the events hooks spooled while the monitor was unreachable, then remove their files.
/// Returns how many were ingested.
pub async fn ingest_spool(d: &Daemon) -> Result<usize, DaemonError> {
    let dir = &d.config.spool_dir;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    // The spool may be writable by the agent's user: regular files only (no symlink to the
    // monitor's own files), bounded in number and size.
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))
        .take(10_000)
        .collect();
    files.sort();
    let mut records = Vec::new();
    for f in &files {
        let mut text = String::new();
        {
            use std::io::Read;
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
                .open(f)
                .and_then(|h| h.take(1 << 20).read_to_string(&mut text))
                .map_err(io(format!("cannot read `{}`", f.display())))?;
        }
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|_| Value::String(l.to_string()));
            let session = v.get("session").and_then(Value::as_str).map(str::to_string);
            let body = json!({"event": "spooled", "file": file_name(f), "spooled": v, "note": "decided by the hook's local fallback; reported by the agent's side"});
            records.push(
                NewRecord::new(Kind::Event, session, &body)
                    .map_err(|e| DaemonError::Other(e.to_string()))?,
            );
        }
    }
    let n = records.len();
    if n > 0 {
        d.write(records, Vec::new())
            .await
            .map_err(DaemonError::Other)?;
    }
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
    Ok(n)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Watch the policy files; on change, reload and swap (requests in flight keep the old policy).
/// A policy that no longer loads is refused: the current one stays, and the failure is audited.
fn watch_policies(d: Arc<Daemon>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let paths = d.policies.watch_paths();
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let wanted = paths.clone();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            if ev.paths.iter().any(|p| {
                wanted
                    .iter()
                    .any(|w| w == p || w.file_name() == p.file_name())
            }) {
                let _ = tx.try_send(());
            }
        }
    })
    .map_err(|e| tracing::warn!(error = %e, "policy files are not watched: reload needs a restart"))
    .ok()?;
    let mut dirs: Vec<&Path> = paths
        .iter()
        .filter_map(|p| p.parent())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch");
        }
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Editors write in several steps: let them finish.
            tokio::time::sleep(Duration::from_millis(150)).await;
            while rx.try_recv().is_ok() {}
            let body = match d.policies.reload() {
                Ok(rules) => {
                    tracing::info!(rules, "policy reloaded");
                    json!({"op": "policy_reload", "ok": true, "rules": rules})
                }
                Err(e) => {
                    tracing::error!(error = %e, "policy change refused: the previous policy stays");
                    json!({"op": "policy_reload", "ok": false, "error": e})
                }
            };
            let _ = d.audit(Kind::Admin, None, body).await;
        }
    });
    Some(watcher)
}
