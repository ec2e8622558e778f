//! `warden bench-check`: what a decision costs a process that decides without the monitor
//! (`warden check`, a hook's local fallback): process start, policy load and compile, lowering,
//! the verdict, the answer, exit. One `warden check --no-discover FILE` process per run, on the
//! embedded baseline, in a temporary home and state directory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use serde_json::json;

use crate::bench::pct;
use crate::cli::BenchCheckArgs;
use crate::exit::Code;

/// One cold `warden check` of `input`; its wall time in milliseconds.
fn once(exe: &Path, home: &Path, input: &Path) -> Result<f64> {
    let t = Instant::now();
    let status = Command::new(exe)
        .args(["check", "--no-discover"])
        .arg(input)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("WARDEN_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run `warden check`")?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if status.code() == Some(Code::Error as i32) || status.code().is_none() {
        return Err(anyhow!("`warden check` failed ({status})"));
    }
    Ok(ms)
}

/// Run the benchmark.
pub fn run(args: &BenchCheckArgs) -> Result<Code> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let dir = std::env::temp_dir().join(format!("warden-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("cannot create a temporary home")?;
    let result = measure(args, &exe, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(args: &BenchCheckArgs, exe: &Path, home: &Path) -> Result<Code> {
    let input = home.join("action.json");
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({"tool": "shell", "args": {"command": args.command}}))?,
    )?;
    // Untimed: the binary into the page cache, and the policy's self-tests run and marked, as
    // on any machine after the first decision.
    once(exe, home, &input)?;
    let mut ms = (0..args.runs.max(1))
        .map(|_| once(exe, home, &input))
        .collect::<Result<Vec<f64>>>()?;
    ms.sort_by(f64::total_cmp);
    let (p50, p95, p99) = (pct(&ms, 0.5), pct(&ms, 0.95), pct(&ms, 0.99));
    if args.json {
        let out = json!({"command": args.command, "runs": ms.len(), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "cold `warden check` of `{}` (process start to exit, no monitor), n={}: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms",
            args.command,
            ms.len()
        );
    }
    Ok(Code::Ok)
}
