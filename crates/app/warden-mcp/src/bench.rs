//! What the stdio proxy costs: the same `tools/call` timed against the server directly and
//! through the proxy (real processes, real pipes), the proxy's own gate decision times (it prints
//! them with `--stats`), and the resident memory of each proxy process.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::error::McpError;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The proxy's command line up to (and including) `--`; the server's follows it.
    pub proxy: Vec<String>,
    /// The server's command line.
    pub server: Vec<String>,
    /// Calls to time.
    pub calls: usize,
    /// The tool to call.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// Proxies run at once for the memory figure.
    pub sessions: usize,
}

/// The figures, in microseconds and kilobytes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchReport {
    /// Calls timed per path.
    pub calls: usize,
    /// Server alone: p50 and p99 of a call's round trip.
    pub direct_us: [f64; 2],
    /// Through the proxy.
    pub proxied_us: [f64; 2],
    /// Proxied minus direct (p50, p99).
    pub added_us: [f64; 2],
    /// The gate decisions inside the proxy (p50, p99), as the proxy measured them.
    pub gate_us: [f64; 2],
    /// How long calls waited for the previous result to be recorded by the monitor (p50, p99):
    /// session provenance is in before the next decision. Zero without a monitor.
    pub report_wait_us: [f64; 2],
    /// What the proxy adds beyond the gate decision (and the report wait): added p50 minus
    /// both p50s.
    pub added_beyond_gate_p50_us: f64,
    /// Resident memory of one proxy process (VmRSS), average over the sessions.
    pub rss_kb: u64,
    /// Its private part (RssAnon): what each further session costs.
    pub rss_anon_kb: u64,
    /// Proxies measured for memory.
    pub sessions: usize,
    /// Calls the proxy refused (should be 0 for a meaningful figure).
    pub refused: usize,
}

impl BenchReport {
    /// The figures in words.
    pub fn text(&self) -> String {
        format!(
            "tools/call round trip, {} calls each (p50 / p99):\n  server directly      {:>8.1} / {:>8.1} µs\n  through warden mcp   {:>8.1} / {:>8.1} µs\n  added by the proxy   {:>8.1} / {:>8.1} µs\n  of which the gate    {:>8.1} / {:>8.1} µs (decision inside the proxy)\n  and the result wait  {:>8.1} / {:>8.1} µs (previous result recorded by the monitor)\n  added beyond them (p50): {:.1} µs (target < 200 µs)\nmemory per proxied session ({} session(s)): VmRSS {} KiB, private (RssAnon) {} KiB (target < 10 MiB)\nrefused calls: {}\n",
            self.calls,
            self.direct_us[0],
            self.direct_us[1],
            self.proxied_us[0],
            self.proxied_us[1],
            self.added_us[0],
            self.added_us[1],
            self.gate_us[0],
            self.gate_us[1],
            self.report_wait_us[0],
            self.report_wait_us[1],
            self.added_beyond_gate_p50_us,
            self.sessions,
            self.rss_kb,
            self.rss_anon_kb,
            self.refused,
        )
    }
}

/// A percentile of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * (sorted.len() - 1) as f64).round();
    let i = usize::try_from(rank as u64)
        .unwrap_or(0)
        .min(sorted.len() - 1);
    sorted.get(i).copied().unwrap_or(0.0)
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Peer {
    fn spawn(cmd: &[String], capture_stderr: bool) -> Result<Peer, McpError> {
        let (prog, args) = cmd
            .split_first()
            .ok_or_else(|| McpError::Config("empty command".into()))?;
        let mut child = Command::new(prog)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if capture_stderr {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| McpError::Spawn {
                command: cmd.join(" "),
                source,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(McpError::Config("pipes missing".into()));
        };
        Ok(Peer {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            next: 1,
        })
    }

    async fn send(&mut self, v: &Value) -> Result<(), McpError> {
        let mut line = serde_json::to_vec(v).unwrap_or_default();
        line.push(b'\n');
        self.stdin
            .write_all(&line)
            .await
            .map_err(McpError::io("writing to the server"))?;
        self.stdin
            .flush()
            .await
            .map_err(McpError::io("writing to the server"))
    }

    async fn request(&mut self, method: &str, params: Value) -> Result<Value, McpError> {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        let mut line = String::new();
        loop {
            line.clear();
            let n = tokio::time::timeout(Duration::from_secs(30), self.stdout.read_line(&mut line))
                .await
                .map_err(|_| McpError::Config(format!("no answer to `{method}` within 30 s")))?
                .map_err(McpError::io("reading from the server"))?;
            if n == 0 {
                return Err(McpError::Config(format!(
                    "the server closed its output during `{method}`"
                )));
            }
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| McpError::Config(format!("the server wrote non-JSON: {e}")))?;
            if v.get("id") == Some(&json!(id)) {
                return Ok(v);
            }
        }
    }

    async fn init(&mut self) -> Result<(), McpError> {
        self.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "warden-mcp-bench", "version": "1"}}),
        )
        .await?;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        self.request("tools/list", json!({})).await?;
        Ok(())
    }

    /// Time `n` calls; the samples in µs and how many came back refused.
    async fn calls(
        &mut self,
        n: usize,
        tool: &str,
        args: &Value,
    ) -> Result<(Vec<f64>, usize), McpError> {
        let mut out = Vec::with_capacity(n);
        let mut refused = 0;
        for _ in 0..n {
            let t = Instant::now();
            let r = self
                .request("tools/call", json!({"name": tool, "arguments": args}))
                .await?;
            out.push(t.elapsed().as_secs_f64() * 1e6);
            if r.pointer("/result/content/0/text")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("Warden:"))
            {
                refused += 1;
            }
        }
        out.sort_by(f64::total_cmp);
        Ok((out, refused))
    }

    /// Close input, wait for the exit, and return what it wrote on stderr.
    async fn finish(mut self) -> String {
        drop(self.stdin);
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), e.read_to_string(&mut err)).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        err
    }
}

/// `VmRSS` and `RssAnon` of a process, in KiB.
pub fn rss_kb(pid: u32) -> Option<(u64, u64)> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("RssAnon:").unwrap_or(0)))
}

/// Parse what a proxy printed with `--stats`: the gate's and the report wait's p50 and p99.
fn proxy_stats(stderr: &str) -> Option<([f64; 2], [f64; 2])> {
    let line = stderr.lines().rev().find(|l| l.contains("gate_us"))?;
    let get = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some((
        [get("gate_p50=")?, get("gate_p99=")?],
        [get("report_p50=")?, get("report_p99=")?],
    ))
}

fn sorted(samples: &[u32]) -> Vec<f64> {
    let mut s: Vec<f64> = samples.iter().map(|u| f64::from(*u)).collect();
    s.sort_by(f64::total_cmp);
    s
}

/// The line a proxy prints with `--stats`: its gate decision times and the time calls waited
/// for earlier results to reach the monitor (µs).
pub fn stats_line(server: &str, gate: &[u32], report: &[u32]) -> String {
    let (g, r) = (sorted(gate), sorted(report));
    format!(
        "warden mcp [{server}]: gate_us n={} gate_p50={:.1} gate_p99={:.1} report_p50={:.1} report_p99={:.1}",
        g.len(),
        percentile(&g, 0.50),
        percentile(&g, 0.99),
        percentile(&r, 0.50),
        percentile(&r, 0.99)
    )
}

/// Run the benchmark.
pub async fn run(opts: &BenchOptions) -> Result<BenchReport, McpError> {
    let warm = (opts.calls / 10).clamp(10, 200);
    // The server alone.
    let mut direct = Peer::spawn(&opts.server, false)?;
    direct.init().await?;
    direct.calls(warm, &opts.tool, &opts.args).await?;
    let (d, _) = direct.calls(opts.calls, &opts.tool, &opts.args).await?;
    direct.finish().await;

    // Through the proxy.
    let mut cmd = opts.proxy.clone();
    cmd.extend(opts.server.iter().cloned());
    let mut proxied = Peer::spawn(&cmd, true)?;
    proxied.init().await?;
    proxied.calls(warm, &opts.tool, &opts.args).await?;
    let (p, refused) = proxied.calls(opts.calls, &opts.tool, &opts.args).await?;
    let mut rss = Vec::new();
    if let Some(pid) = proxied.child.id() {
        rss.extend(rss_kb(pid));
    }
    // More sessions at once, for the memory figure.
    let mut others = Vec::new();
    for _ in 1..opts.sessions.max(1) {
        let mut s = Peer::spawn(&cmd, false)?;
        s.init().await?;
        s.calls(warm, &opts.tool, &opts.args).await?;
        others.push(s);
    }
    for s in &others {
        if let Some(pid) = s.child.id() {
            rss.extend(rss_kb(pid));
        }
    }
    for s in others {
        s.finish().await;
    }
    let stderr = proxied.finish().await;
    let (gate, report_wait) = proxy_stats(&stderr).unwrap_or(([0.0; 2], [0.0; 2]));
    let n = u64::try_from(rss.len().max(1)).unwrap_or(1);
    let direct_us = [percentile(&d, 0.50), percentile(&d, 0.99)];
    let proxied_us = [percentile(&p, 0.50), percentile(&p, 0.99)];
    let added_us = [proxied_us[0] - direct_us[0], proxied_us[1] - direct_us[1]];
    Ok(BenchReport {
        calls: opts.calls,
        direct_us,
        proxied_us,
        added_us,
        gate_us: gate,
        report_wait_us: report_wait,
        added_beyond_gate_p50_us: added_us[0] - gate[0] - report_wait[0],
        rss_kb: rss.iter().map(|r| r.0).sum::<u64>() / n,
        rss_anon_kb: rss.iter().map(|r| r.1).sum::<u64>() / n,
        sessions: rss.len(),
        refused,
    })
}
