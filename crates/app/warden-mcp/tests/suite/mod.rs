//! Shared helpers: the testkit binary, an in-process monitor on a real socket, an rmcp client
//! that starts the proxy, and a raw line client.

mod bench;
mod http;
mod monitor;
mod npm;
mod proxy;
mod rmcp_client;
mod scan;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};

/// The test servers and proxy front end.
pub fn testkit() -> &'static str {
    env!("CARGO_BIN_EXE_warden-mcp-testkit")
}

/// `testkit server MODE`.
pub fn server(mode: &str) -> Vec<String> {
    vec![testkit().into(), "server".into(), mode.into()]
}

/// `testkit proxy OPTIONS -- SERVER...`.
pub fn proxied(opts: &[&str], server: &[String]) -> Vec<String> {
    let mut v = vec![testkit().to_string(), "proxy".to_string()];
    v.extend(opts.iter().map(|s| s.to_string()));
    v.push("--".into());
    v.extend(server.iter().cloned());
    v
}

/// A real rmcp client over a child process's stdio.
pub async fn client(cmd: &[String]) -> RunningService<RoleClient, ()> {
    let mut c = tokio::process::Command::new(&cmd[0]);
    c.args(&cmd[1..]);
    let (t, _) = TokioChildProcess::builder(c).spawn().unwrap();
    ().serve(t).await.unwrap()
}

/// Call `tool` with `args` through a running client.
pub async fn call(c: &RunningService<RoleClient, ()>, tool: &str, args: Value) -> CallToolResult {
    let p = CallToolRequestParams::new(tool.to_string())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    c.call_tool(p).await.unwrap()
}

/// The text of a tool result.
/// The names of the tools the server lists, in order.
pub async fn tool_names(c: &RunningService<RoleClient, ()>) -> Vec<String> {
    c.list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect()
}

pub fn text(r: &CallToolResult) -> String {
    let v = serde_json::to_value(r).unwrap();
    v["content"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Whether a tool result is an error.
pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

/// A process speaking newline-delimited JSON-RPC on its stdio, driven line by line.
pub struct Raw {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Raw {
    pub fn start(cmd: &[String]) -> Raw {
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Raw {
            child,
            stdin,
            stdout,
        }
    }

    pub fn send_bytes(&mut self, b: &[u8]) {
        let w = self.stdin.as_mut().unwrap();
        w.write_all(b).unwrap();
        w.flush().unwrap();
    }

    pub fn send(&mut self, v: &Value) {
        let mut l = serde_json::to_vec(v).unwrap();
        l.push(b'\n');
        self.send_bytes(&l);
    }

    pub fn recv(&mut self) -> Value {
        let mut l = String::new();
        let n = self.stdout.read_line(&mut l).unwrap();
        assert!(n > 0, "the proxy closed its output");
        serde_json::from_str(&l).unwrap()
    }

    /// Read until the answer with `id`.
    pub fn answer(&mut self, id: Value) -> Value {
        loop {
            let v = self.recv();
            if v.get("id") == Some(&id) && v.get("method").is_none() {
                return v;
            }
        }
    }

    pub fn init(&mut self) {
        self.send(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}));
        self.answer(json!(0));
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    pub fn call(&mut self, id: i64, tool: &str, args: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}}));
        self.answer(json!(id))
    }

    /// Close input and wait: the exit code and stderr.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Loads the baseline only.
struct Baseline;

impl warden_daemon::PolicyLoader for Baseline {
    fn load(&self, _workspace: Option<&Path>) -> Result<warden_policy::Policy, String> {
        warden_policy::Policy::load(&[warden_policy::PolicySource::baseline()])
            .map_err(|e| e.to_string())
    }

    fn watch_paths(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// A monitor (`warden_daemon::serve`, the code `warden serve` runs) on a real socket in a
/// temporary state directory, on its own runtime thread.
pub struct Monitor {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
}

impl Monitor {
    pub fn start() -> Monitor {
        let dir = tempfile::tempdir().unwrap();
        let mut config = warden_daemon::Config::new(dir.path().to_path_buf());
        config.approval_timeout = Duration::from_secs(30);
        let socket = config.socket.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let _ = rt.block_on(warden_daemon::serve(config, Arc::new(Baseline)));
        });
        let t = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "the monitor did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Monitor { dir, socket }
    }

    pub fn socket(&self) -> &str {
        self.socket.to_str().unwrap()
    }

    /// The audit records, as JSON bodies with their kind and session.
    pub fn records(&self) -> Vec<Value> {
        let r = warden_audit::AuditReader::open(self.dir.path()).unwrap();
        r.search(&warden_audit::Filter::default())
            .unwrap()
            .into_iter()
            .map(|rec| {
                let mut b: Value = serde_json::from_str(&rec.body).unwrap();
                b["_kind"] = json!(rec.kind);
                b["_session"] = json!(rec.session);
                b
            })
            .collect()
    }
}
