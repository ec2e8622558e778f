//! The stdio transport: the real server runs as a child; the client's lines come on our stdin
//! (or any reader), the server's go to our stdout (or any writer). The child's stderr is ours.
//!
//! Lines are newline-delimited JSON-RPC, at most [`jsonrpc::MAX_LINE_BYTES`]. A line from the
//! client that is not JSON-RPC is never forwarded: it is answered with a JSON-RPC error (with its
//! id when one can be read from it). A line from the server that is not JSON-RPC is dropped and
//! reported on stderr (a server logging to stdout would otherwise break the client).

use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

use crate::engine::{Engine, Upstream};
use crate::error::McpError;
use crate::jsonrpc::{self, Line};

/// A server started as a child process.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The program.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl ChildSpec {
    /// The command line, for messages.
    pub fn display(&self) -> String {
        std::iter::once(self.command.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How long the server may take to exit after the client went away.
const EXIT_GRACE: Duration = Duration::from_secs(5);

struct StdioUpstream {
    tx: mpsc::Sender<Vec<u8>>,
}

impl Upstream for StdioUpstream {
    fn send(&self, msg: Value) -> Pin<Box<dyn Future<Output = Result<(), McpError>> + Send + '_>> {
        Box::pin(async move {
            self.tx
                .send(jsonrpc::to_line(&msg))
                .await
                .map_err(|_| McpError::Config("the server's input is closed".into()))
        })
    }
}

/// Proxy between a client (`client_in`, `client_out`) and the server `spec` started as a child,
/// until the child exits; its exit code (128 + signal when killed by one).
pub async fn run<R, W>(
    engine: Arc<Engine>,
    spec: &ChildSpec,
    client_in: R,
    client_out: W,
) -> Result<i32, McpError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut child = Command::new(&spec.command)
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| McpError::Spawn {
            command: spec.display(),
            source,
        })?;
    let (Some(mut child_in), Some(child_out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(McpError::Config("the server's pipes are missing".into()));
    };

    let (to_server, mut server_rx) = mpsc::channel::<Vec<u8>>(1024);
    let (to_client, mut client_rx) = mpsc::channel::<Vec<u8>>(1024);
    let (close_tx, mut close_rx) = watch::channel(false);
    engine.set_upstream(Arc::new(StdioUpstream {
        tx: to_server.clone(),
    }));

    // Server input: queued lines, flushed when the queue is empty; closed when the client goes.
    let server_writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                m = server_rx.recv() => {
                    let Some(line) = m else { break };
                    if child_in.write_all(&line).await.is_err() {
                        break;
                    }
                    if server_rx.is_empty() && child_in.flush().await.is_err() {
                        break;
                    }
                }
                _ = close_rx.changed() => break,
            }
        }
        let _ = child_in.shutdown().await;
    });

    // Client output.
    let mut client_out = client_out;
    let client_writer = tokio::spawn(async move {
        while let Some(line) = client_rx.recv().await {
            if client_out.write_all(&line).await.is_err() {
                return;
            }
            if client_rx.is_empty() && client_out.flush().await.is_err() {
                return;
            }
        }
        let _ = client_out.flush().await;
    });

    // Server output.
    let eng = Arc::clone(&engine);
    let to_client_s = to_client.clone();
    let server_reader = tokio::spawn(async move {
        let mut r = BufReader::with_capacity(64 * 1024, child_out);
        let mut buf = Vec::new();
        loop {
            match jsonrpc::read_line(&mut r, &mut buf, jsonrpc::MAX_LINE_BYTES).await {
                Ok(Line::Eof) | Err(_) => break,
                Ok(Line::TooLong(n)) => eng_log(
                    &eng,
                    &format!("the server sent a line of {n} bytes, over the 16 MiB limit: dropped"),
                ),
                Ok(Line::Line) => {
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match jsonrpc::parse(&buf) {
                        Ok(msg) => {
                            if let Some(out) = eng.from_server(msg) {
                                if to_client_s.send(jsonrpc::to_line(&out)).await.is_err() {
                                    break;
                                }
                            }
                        }
                        Err(e) => eng_log(
                            &eng,
                            &format!("the server wrote something that is not JSON-RPC ({e}): dropped: {}", preview(&buf)),
                        ),
                    }
                }
            }
        }
    });

    // Client input.
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<()>();
    let eng = Arc::clone(&engine);
    let to_server_c = to_server.clone();
    let to_client_c = to_client.clone();
    let client_reader = tokio::spawn(async move {
        let mut r = BufReader::with_capacity(64 * 1024, client_in);
        let mut buf = Vec::new();
        loop {
            match jsonrpc::read_line(&mut r, &mut buf, jsonrpc::MAX_LINE_BYTES).await {
                Ok(Line::Eof) | Err(_) => break,
                Ok(Line::TooLong(n)) => {
                    eng_log(
                        &eng,
                        &format!("refused a client message of {n} bytes (over 16 MiB)"),
                    );
                    let err = jsonrpc::error(
                        Value::Null,
                        jsonrpc::INVALID_REQUEST,
                        &format!("Warden: message of {n} bytes refused: the limit is 16 MiB"),
                    );
                    let _ = to_client_c.send(jsonrpc::to_line(&err)).await;
                }
                Ok(Line::Line) => {
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match jsonrpc::parse(&buf) {
                        Ok(msg) => {
                            let gated = Engine::needs_gate(&msg);
                            let eng2 = Arc::clone(&eng);
                            let ts = to_server_c.clone();
                            let tc = to_client_c.clone();
                            let work = async move {
                                let out = eng2.from_client(msg).await;
                                for m in out.to_client {
                                    let _ = tc.send(jsonrpc::to_line(&m)).await;
                                }
                                if let Some(m) = out.to_server {
                                    let _ = ts.send(jsonrpc::to_line(&m)).await;
                                }
                            };
                            if gated {
                                // A decision may wait for a human: never hold up other messages.
                                tokio::spawn(work);
                            } else {
                                work.await;
                            }
                        }
                        Err(e) => {
                            eng_log(
                                &eng,
                                &format!("refused a client line: {e}: {}", preview(&buf)),
                            );
                            let id = salvage_id(&buf).unwrap_or(Value::Null);
                            let code = match e {
                                jsonrpc::BadLine::NotJsonRpc => jsonrpc::INVALID_REQUEST,
                                jsonrpc::BadLine::NotUtf8(_) | jsonrpc::BadLine::NotJson(_) => {
                                    jsonrpc::PARSE_ERROR
                                }
                            };
                            let err =
                                jsonrpc::error(id, code, &format!("Warden: {e}; not forwarded"));
                            let _ = to_client_c.send(jsonrpc::to_line(&err)).await;
                        }
                    }
                }
            }
        }
        let _ = gone_tx.send(());
    });
    drop(to_server);

    let status = tokio::select! {
        s = child.wait() => s,
        _ = gone_rx => {
            // The client went away: close the server's input and give it time to exit.
            let _ = close_tx.send(true);
            match tokio::time::timeout(EXIT_GRACE, child.wait()).await {
                Ok(s) => s,
                Err(_) => {
                    let _ = child.kill().await;
                    child.wait().await
                }
            }
        }
    }
    .map_err(McpError::io("cannot wait for the server"))?;
    let _ = close_tx.send(true);
    // Pass on what the server wrote before it exited, then stop.
    let _ = tokio::time::timeout(Duration::from_secs(2), server_reader).await;
    client_reader.abort();
    server_writer.abort();
    drop(to_client);
    let _ = tokio::time::timeout(Duration::from_secs(2), client_writer).await;
    Ok(exit_code(status))
}

fn eng_log(e: &Engine, msg: &str) {
    eprintln!("warden mcp [{}]: {msg}", e.settings().server);
}

/// The exit code of a finished process: its code, or 128 + the signal that ended it.
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// The start of a bad line, for messages.
fn preview(buf: &[u8]) -> String {
    let s = String::from_utf8_lossy(buf.get(..buf.len().min(120)).unwrap_or_default());
    format!("`{}`", s.escape_debug())
}

/// The pattern of a JSON-RPC id, a fixed literal built by the `salvage_id_pattern_builds` test.
#[expect(
    clippy::expect_used,
    reason = "a fixed pattern literal, built by the `salvage_id_pattern_builds` test"
)]
fn id_pattern() -> regex::bytes::Regex {
    regex::bytes::Regex::new(r#""id"\s*:\s*(-?[0-9]{1,18}|"(?:[^"\\]|\\.){0,200}")"#)
        .expect("fixed pattern compiles")
}

/// The id of a line that does not parse, when one can be read from it, so the client's request
/// is answered instead of waiting forever.
fn salvage_id(buf: &[u8]) -> Option<Value> {
    static ID: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(id_pattern);
    let re = &*ID;
    let m = re.captures(buf)?.get(1)?;
    serde_json::from_slice(m.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn salvage_id_pattern_builds() {
        let _ = id_pattern();
    }

    #[test]
    fn ids_are_salvaged_from_broken_lines() {
        assert_eq!(
            salvage_id(br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","#),
            Some(json!(7))
        );
        assert_eq!(
            salvage_id(br#"{"id": "a\"b", "method": x}"#),
            Some(json!("a\"b"))
        );
        assert_eq!(salvage_id(b"garbage"), None);
    }
}
