//! `warden bench-exec`: what the kernel sandbox adds to a command. Times `bash -c true` and a
//! typical command plainly and in the sandbox (in-process, the spec derived once, as a
//! long-running wrapper would), p50 and p95.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::BenchExecArgs;
use crate::exec::prepare;
use crate::exit::Code;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn plain(script: &str, runs: usize) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let s = std::process::Command::new("bash")
            .args(["-c", script])
            .status()
            .context("cannot run bash")?;
        out.push(t.elapsed());
        anyhow::ensure!(s.success(), "`{script}` failed");
    }
    out.sort();
    Ok(out)
}

/// Wall times, and the p50 of each phase (prepare, spawn, run) in milliseconds.
fn sandboxed(
    rt: &tokio::runtime::Runtime,
    req: &warden_sandbox::ExecRequest,
    script: &str,
    runs: usize,
) -> Result<(Vec<Duration>, [f64; 3])> {
    let mut out = Vec::with_capacity(runs);
    let mut phases: [Vec<Duration>; 3] = Default::default();
    for _ in 0..runs {
        let mut r = req.clone();
        r.argv = vec!["bash".into(), "-c".into(), script.into()];
        let t = Instant::now();
        let o = rt.block_on(warden_sandbox::run(r))?;
        out.push(t.elapsed());
        anyhow::ensure!(o.status.success(), "`{script}` failed in the sandbox");
        let tm = o.report.timings;
        for (v, us) in phases
            .iter_mut()
            .zip([tm.prepare_us, tm.spawn_us, tm.run_us])
        {
            v.push(Duration::from_micros(us));
        }
    }
    out.sort();
    let p50 = phases.map(|mut v| {
        v.sort();
        percentile(&v, 0.5)
    });
    Ok((out, p50))
}

/// `warden bench-exec`.
pub fn bench(args: &BenchExecArgs) -> Result<Code> {
    let (cwd, spec) = prepare(&args.policy, None, None)?;
    let req = warden_sandbox::ExecRequest {
        argv: Vec::new(),
        cwd,
        spec,
        env: Vec::new(),
        capture: true,
        ask: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let runs = args.runs.max(1);
    let mut rows = Vec::new();
    for (name, script) in [("bash -c true", "true"), ("typical", args.typical.as_str())] {
        let p = plain(script, runs)?;
        let (s, [prepare_ms, spawn_ms, run_ms]) = sandboxed(&rt, &req, script, runs)?;
        rows.push(json!({
            "phases_p50_ms": {"prepare": prepare_ms, "spawn": spawn_ms, "run": run_ms},
            "command": name, "script": script, "runs": runs,
            "plain_p50_ms": percentile(&p, 0.5), "plain_p95_ms": percentile(&p, 0.95),
            "sandboxed_p50_ms": percentile(&s, 0.5), "sandboxed_p95_ms": percentile(&s, 0.95),
            "added_p50_ms": percentile(&s, 0.5) - percentile(&p, 0.5),
        }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!("command        plain p50/p95 ms   sandboxed p50/p95 ms   added p50 ms   phases p50 ms (prepare / spawn / run)");
        for r in &rows {
            println!(
                "{:<14} {:>7.2} / {:<7.2}    {:>7.2} / {:<7.2}       {:>6.2}         {:.2} / {:.2} / {:.2}",
                r["command"].as_str().unwrap_or_default(),
                r["plain_p50_ms"].as_f64().unwrap_or_default(),
                r["plain_p95_ms"].as_f64().unwrap_or_default(),
                r["sandboxed_p50_ms"].as_f64().unwrap_or_default(),
                r["sandboxed_p95_ms"].as_f64().unwrap_or_default(),
                r["added_p50_ms"].as_f64().unwrap_or_default(),
                r["phases_p50_ms"]["prepare"].as_f64().unwrap_or_default(),
                r["phases_p50_ms"]["spawn"].as_f64().unwrap_or_default(),
                r["phases_p50_ms"]["run"].as_f64().unwrap_or_default(),
            );
        }
    }
    Ok(Code::Ok)
}
