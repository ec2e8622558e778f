//! `warden bench-daemon`: start a monitor on a temporary state directory, then measure
//! (1) the hook round trip: spawn `warden hook claude-code`, the monitor decides and records,
//! the hook answers; and (2) throughput: decisions per second over the socket, several pipelined
//! connections, each decision durable in the audit log before its answer.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};

use crate::cli::BenchArgs;
use crate::exit::Code;

/// A daemon started for the benchmark, stopped (SIGTERM) on drop.
struct Monitor {
    child: Child,
    socket: PathBuf,
}

impl Monitor {
    fn start(exe: &Path, dir: &Path) -> Result<Monitor> {
        let socket = dir.join(warden_daemon::SOCKET_FILE);
        let child = Command::new(exe)
            // Asks go back to the agent: nobody answers approvals during a benchmark.
            .args([
                "serve",
                "--http",
                "off",
                "--no-discover",
                "--no-approvals",
                "--state-dir",
            ])
            .arg(dir)
            .env("WARDEN_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start `warden serve`")?;
        let start = Instant::now();
        while UnixStream::connect(&socket).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err(anyhow!("the monitor did not start within 20 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Monitor { child, socket })
    }

    fn stop(&mut self) {
        if let Some(pid) = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let _ = self.child.wait();
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A mix of hook payloads: reads, builds, listings, and a credential read that is denied.
pub fn payloads(cwd: &str) -> Vec<Value> {
    let mk = |i: usize, tool: &str, input: Value| {
        json!({
            "session_id": format!("bench-{}", i % 8), "transcript_path": "/tmp/t.jsonl", "cwd": cwd,
            "permission_mode": "default", "hook_event_name": "PreToolUse",
            "tool_name": tool, "tool_input": input, "tool_use_id": format!("toolu_{i}")
        })
    };
    vec![
        mk(0, "Bash", json!({"command": "cargo test --workspace"})),
        mk(1, "Read", json!({"file_path": "src/main.rs"})),
        mk(2, "Bash", json!({"command": "ls -la src | head -20"})),
        mk(3, "Read", json!({"file_path": "~/.ssh/id_rsa"})),
        mk(
            4,
            "Write",
            json!({"file_path": "src/lib.rs", "content": "fn main() {}"}),
        ),
        mk(5, "Grep", json!({"pattern": "TODO", "path": "."})),
        mk(6, "Bash", json!({"command": "git status"})),
        mk(
            7,
            "Edit",
            json!({"file_path": "README.md", "old_string": "a", "new_string": "b"}),
        ),
    ]
}

/// The `p` quantile of sorted samples (NaN when there are none).
pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i.min(sorted.len() - 1))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Run the benchmark.
pub fn run(args: &BenchArgs) -> Result<Code> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let tmp = std::env::temp_dir().join(format!("warden-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let dir = tmp.join("state");
    let cwd = tmp.display().to_string();
    let mut mon = Monitor::start(&exe, &dir)?;
    let payloads = payloads(&cwd);

    // 1. Hook round trip: process spawn, connect, decide, record durably, answer, exit. Timed for
    // the slim `warden-hook` (what `warden init` installs when it is there) and `warden hook`.
    let slim = exe
        .parent()
        .map(|d| d.join("warden-hook"))
        .filter(|p| p.is_file());
    // As root, the hooks authenticate the monitor as in the protected deployment: a root-owned
    // client config, the server's uid checked with SO_PEERCRED, the nonce echoed.
    let client_config = if rustix::process::geteuid().is_root() {
        let cfg = tmp.join("client.json");
        let c = warden_daemon::target::ClientConfig {
            socket: mon.socket.clone(),
            monitor_uid: 0,
            spool_dir: None,
        };
        std::fs::write(&cfg, serde_json::to_string(&c)?)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        Some(cfg)
    } else {
        None
    };
    let time_hook = |program: &std::path::Path, full: bool| -> Result<Vec<f64>> {
        let mut rtt = Vec::with_capacity(args.round_trips);
        for i in 0..args.round_trips {
            let body =
                serde_json::to_vec(payloads.get(i % payloads.len()).unwrap_or(&Value::Null))?;
            let t = Instant::now();
            let mut cmd = Command::new(program);
            if full {
                cmd.args(["hook", "claude-code", "--state-dir"]).arg(&dir);
            } else {
                cmd.arg("claude-code").env("WARDEN_STATE_DIR", &dir);
            }
            if let Some(cfg) = &client_config {
                cmd.arg("--client-config").arg(cfg);
            }
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            if let Some(mut s) = child.stdin.take() {
                s.write_all(&body)?;
            }
            let status = child.wait()?;
            rtt.push(t.elapsed().as_secs_f64() * 1000.0);
            if status.code() != Some(0) {
                return Err(anyhow!(
                    "hook run {i} of `{}` exited {status}",
                    program.display()
                ));
            }
        }
        rtt.sort_by(f64::total_cmp);
        Ok(rtt)
    };
    let full_rtt = time_hook(&exe, true)?;
    let slim_rtt = match &slim {
        Some(p) => Some(time_hook(p, false)?),
        None => None,
    };
    let mut rtt = slim_rtt.clone().unwrap_or_else(|| full_rtt.clone());
    rtt.sort_by(f64::total_cmp);

    // 2. Throughput: pipelined connections.
    let lines: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| {
            let mut l = serde_json::to_vec(&json!({"op": "hook", "agent": "claude-code", "payload": p, "env": {"home": "/root", "vars": {}}}))
                .unwrap_or_default();
            l.push(b'\n');
            l
        })
        .collect();
    let per = args.decisions / args.clients.max(1);
    let t = Instant::now();
    let handles: Vec<_> = (0..args.clients.max(1))
        .map(|_| {
            let socket = mon.socket.clone();
            let lines = lines.clone();
            let window = args.window.max(1);
            std::thread::spawn(move || stream(&socket, &lines, per, window))
        })
        .collect();
    let mut answered = 0usize;
    for h in handles {
        answered += h
            .join()
            .map_err(|_| anyhow!("a client thread panicked"))??;
    }
    let secs = t.elapsed().as_secs_f64();
    mon.stop();
    let report = warden_audit::verify(&dir, None)?;
    let out = json!({
        "hook_round_trip_ms": {"binary": if slim_rtt.is_some() { "warden-hook" } else { "warden hook" }, "monitor_authenticated": client_config.is_some(), "n": rtt.len(), "p50": pct(&rtt, 0.5), "p95": pct(&rtt, 0.95), "p99": pct(&rtt, 0.99)},
        "full_hook_round_trip_ms": {"n": full_rtt.len(), "p50": pct(&full_rtt, 0.5), "p95": pct(&full_rtt, 0.95), "p99": pct(&full_rtt, 0.99)},
        "throughput": {"decisions": answered, "seconds": secs, "decisions_per_second": answered as f64 / secs,
                        "clients": args.clients, "window": args.window},
        "audit": {"records": report.records, "verified": report.ok(), "sealed": report.sealed},
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    });
    let _ = std::fs::remove_dir_all(&tmp);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if slim_rtt.is_some() {
            println!(
                "hook round trip (spawn `warden-hook`, decide, durable audit, answer), n={}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
                rtt.len(),
                pct(&rtt, 0.5),
                pct(&rtt, 0.95),
                pct(&rtt, 0.99)
            );
        }
        println!(
            "hook round trip (spawn `warden hook`, decide, durable audit, answer), n={}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
            full_rtt.len(),
            pct(&full_rtt, 0.5),
            pct(&full_rtt, 0.95),
            pct(&full_rtt, 0.99)
        );
        println!(
            "throughput over the socket, {} connections x window {}: {} decisions in {:.2} s = {:.0} decisions/s (durable audit, batched fsync)",
            args.clients,
            args.window,
            answered,
            secs,
            answered as f64 / secs
        );
        println!(
            "audit verify: {} ({} records)",
            if report.ok() { "ok" } else { "FAILED" },
            report.records
        );
    }
    Ok(Code::Ok)
}

/// Send `n` requests over one connection with at most `window` unanswered; returns answers read.
pub fn stream(socket: &Path, lines: &[Vec<u8>], n: usize, window: usize) -> Result<usize> {
    let s = UnixStream::connect(socket)?;
    let w = s.try_clone()?;
    let (tokens_tx, tokens_rx) = std::sync::mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        tokens_tx.send(())?;
    }
    let lines = lines.to_vec();
    let writer = std::thread::spawn(move || -> Result<()> {
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, w);
        for i in 0..n {
            if tokens_rx.try_recv().is_err() {
                w.flush()?;
                tokens_rx.recv()?;
            }
            w.write_all(
                lines
                    .get(i % lines.len().max(1))
                    .map_or(&b"\n"[..], Vec::as_slice),
            )?;
        }
        w.flush()?;
        Ok(())
    });
    let mut r = BufReader::with_capacity(256 * 1024, s);
    let mut buf = String::new();
    let mut got = 0;
    while got < n {
        buf.clear();
        if r.read_line(&mut buf)? == 0 {
            break;
        }
        if !buf.starts_with("{\"type\":\"answer\"") {
            return Err(anyhow!("unexpected answer: {}", buf.trim_end()));
        }
        got += 1;
        let _ = tokens_tx.try_send(());
    }
    writer.join().map_err(|_| anyhow!("writer panicked"))??;
    Ok(got)
}
