//! `warden exec`: run one command in the kernel sandbox derived from the policy, report what it
//! refused to the monitor, and exit with the command's code. A command that cannot start in
//! the sandbox does not run at all (exit 125); nothing falls back to running unsandboxed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;
use warden_daemon::client;
use warden_daemon::proto::{Request, Response};
use warden_policy::SandboxMode;
use warden_sandbox::{ExecRequest, Outcome, SandboxError, SandboxSpec};

use crate::cli::{ExecArgs, PolicyArgs};
use crate::load;

pub use crate::bench_exec::bench;

/// Exit code when the sandbox could not be set up (as `env` and `docker run` use it).
pub const SANDBOX_FAILED: u8 = 125;
/// Exit code when the command is not found.
pub const NOT_FOUND: u8 = 127;

/// The file observations go to when the monitor is unreachable (in the state directory).
pub const OBSERVATIONS_FILE: &str = "sandbox-observations.jsonl";

/// `warden exec`.
pub fn run(args: &ExecArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("warden exec: the command was not run: {}", load::render(&e));
            ExitCode::from(SANDBOX_FAILED)
        }
    }
}

/// The working directory and the sandbox spec for a command, from the policy. With a state
/// directory, specs are cached there by a hash of every policy source and path they depend on
/// (compiling the policy costs more than the sandbox); the state directory is never writable
/// from inside the sandbox, so a command cannot plant a weaker spec.
pub fn prepare(
    policy: &PolicyArgs,
    cwd: Option<&Path>,
    cache: Option<&Path>,
) -> Result<(PathBuf, SandboxSpec)> {
    let cwd = match cwd {
        Some(c) => c.to_path_buf(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let cwd = std::fs::canonicalize(&cwd)
        .with_context(|| format!("cannot use `{}` as the working directory", cwd.display()))?;
    let workspace = policy
        .workspace
        .clone()
        .or_else(|| {
            std::env::var_os("CLAUDE_PROJECT_DIR")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        })
        .unwrap_or_else(|| cwd.clone());
    let workspace = std::fs::canonicalize(&workspace).unwrap_or(workspace);
    let mut tmp = vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
    if let Some(t) = std::env::var_os("TMPDIR").map(PathBuf::from) {
        if t.is_absolute() && !tmp.contains(&t) {
            tmp.push(t);
        }
    }
    let home = load::home();
    // In the protected deployment the sandbox comes from root's layers only (the agent's home
    // policy is not read), and nothing is cached where the agent's user could write.
    let protected = load::protected_here();
    let cache = if protected { None } else { cache };
    let sources = load::sources_for(policy, Some(&workspace), protected)
        .map_err(|e| anyhow::anyhow!(load::render_policy(&e)))?;
    if protected {
        load::check_protected_sources(&sources)?;
    }
    let key = cache_key(&sources, &home, &workspace, &tmp);
    let cached = cache.map(|d| d.join(SPEC_CACHE).join(format!("{key}.json")));
    if let Some(spec) = cached
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<SandboxSpec>(&b).ok())
    {
        return Ok((cwd, spec));
    }
    let compiled = warden_policy::Policy::compile(&sources)
        .map_err(|e| anyhow::anyhow!(load::render_policy(&e)))?;
    let spec = SandboxSpec::from_policy(&compiled, &home, &workspace, &tmp);
    if let Some(p) = cached {
        // A cache that cannot be written costs time, not safety.
        let _ = p
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&p, serde_json::to_vec(&spec).unwrap_or_default()));
    }
    Ok((cwd, spec))
}

/// The spec cache's directory name in the state directory.
pub const SPEC_CACHE: &str = "sandbox-specs";

fn cache_key(
    sources: &[warden_policy::PolicySource],
    home: &Path,
    workspace: &Path,
    tmp: &[PathBuf],
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    load::hash_sources(&mut h, sources);
    for p in std::iter::once(home)
        .chain([workspace])
        .chain(tmp.iter().map(PathBuf::as_path))
    {
        let b = p.as_os_str().as_encoded_bytes();
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    }
    hex::encode(h.finalize())
}

fn run_inner(args: &ExecArgs) -> Result<u8> {
    let state = args.connect.state_dir();
    let (cwd, mut spec) = prepare(&args.policy, args.cwd.as_deref(), Some(&state))?;
    spec.hidden.push(args.connect.socket());
    // The state directory holds the spec cache and the monitor's state: never writable inside.
    spec.protected.push(state.clone());
    let Some((program, rest)) = args.command.split_first() else {
        anyhow::bail!("no command given");
    };
    if spec.mode == SandboxMode::Off {
        eprintln!(
            "warden exec: the policy sets `sandbox: off`: `{}` runs without the kernel sandbox",
            program.to_string_lossy()
        );
        let status = std::process::Command::new(program)
            .args(rest)
            .current_dir(&cwd)
            .status()
            .with_context(|| format!("cannot run `{}`", program.to_string_lossy()))?;
        return Ok(exit_code(status));
    }
    let child = std::sync::Arc::new(std::sync::OnceLock::new());
    let req = ExecRequest {
        argv: args.command.clone(),
        cwd,
        spec,
        env: Vec::new(),
        capture: false,
        ask: Some(egress_ask(args, child.clone())),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    // The monitor hears of the command while it runs (its pid names the Landlock domain whose
    // refusals the kernel logs), so the round trip overlaps the command.
    let mut started = None;
    let result = rt.block_on(warden_sandbox::run_with(req, |pid| {
        let _ = child.set(pid);
        started = Some(tell_started(args, pid));
    }));
    // The start report is done (or failed) by the time the command ends; wait for it so that
    // it is not cut off when this process exits.
    if let Some(h) = started {
        let _ = h.join();
    }
    let outcome = match result {
        Ok(o) => o,
        Err(SandboxError::Spawn { program, source })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            eprintln!("warden exec: `{program}`: command not found");
            return Ok(NOT_FOUND);
        }
        Err(e) => return Err(e.into()),
    };
    tell(&outcome, args.report);
    report_to_monitor(args, &outcome);
    Ok(exit_code(outcome.status))
}

/// Say on stderr what was not enforced and what was refused.
fn tell(o: &Outcome, json: bool) {
    for l in &o.report.layers {
        if !l.enforced {
            eprintln!(
                "warden exec: sandbox layer `{}` is not in force: {}",
                l.layer, l.detail
            );
        } else if l.detail.contains("not enforced") {
            eprintln!("warden exec: sandbox layer `{}`: {}", l.layer, l.detail);
        }
    }
    for r in &o.report.egress.refused {
        eprintln!(
            "warden exec: refused connection to `{}:{}`: {}",
            r.host, r.port, r.reason
        );
    }
    if json {
        if let Ok(s) = serde_json::to_string_pretty(&o.report) {
            eprintln!("{s}");
        }
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(255),
        (None, None) => 1,
    }
}

/// The egress proxy's questions about unlisted hosts go to the monitor, which holds them for a
/// person; no monitor, no answer in time, or any error: refused.
fn egress_ask(
    args: &ExecArgs,
    child: std::sync::Arc<std::sync::OnceLock<u32>>,
) -> warden_sandbox::EgressAsk {
    let socket = args.connect.socket();
    let timeout = args.connect.timeout.min(std::time::Duration::from_secs(5));
    let (session, tool_use_id) = (args.session.clone(), args.tool_use_id.clone());
    warden_sandbox::EgressAsk(std::sync::Arc::new(move |host, port, reason| {
        let req = Request::SandboxEgress(warden_daemon::proto::EgressQuestion {
            session: session.clone(),
            tool_use_id: tool_use_id.clone(),
            pid: child.get().copied(),
            host,
            port,
            reason,
        });
        let socket = socket.clone();
        Box::pin(async move {
            let asked = tokio::task::spawn_blocking(move || {
                client::call(&socket, &req, timeout, |id, wait_ms| {
                    eprintln!(
                        "warden exec: waiting up to {} s for a person to answer approval {id} (`warden approvals approve {id}`)",
                        wait_ms / 1000
                    );
                })
            })
            .await;
            match asked {
                Ok(Ok(Response::Answer(a))) if a.decision == warden_policy::Decision::Allow => {
                    Ok(())
                }
                Ok(Ok(Response::Answer(a))) => Err(a.message),
                Ok(Ok(other)) => Err(format!("the monitor did not answer: {other:?}")),
                Ok(Err(e)) => Err(format!("nobody could be asked: {e}")),
                Err(e) => Err(format!("nobody could be asked: {e}")),
            }
        })
    }))
}

/// Tell the monitor a command started (its pid and command line) on a thread of its own. No
/// monitor: nothing to tell (the kernel's refusals are only read by a monitor).
fn tell_started(args: &ExecArgs, pid: u32) -> std::thread::JoinHandle<()> {
    let req = Request::SandboxReport {
        session: args.session.clone(),
        tool_use_id: args.tool_use_id.clone(),
        denied: Vec::new(),
        report: json!({
            "phase": "started", "pid": pid,
            "command": args.command.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
        }),
    };
    let socket = args.connect.socket();
    let timeout = args.connect.timeout.min(std::time::Duration::from_secs(2));
    std::thread::spawn(move || {
        let _ = client::call(&socket, &req, timeout, |_, _| {});
    })
}

/// Send the report to the monitor under the call's session and tool_use_id; when the monitor
/// is unreachable, append it to the observations file in the state directory. When the proxy
/// refused nothing there is nothing more to say.
fn report_to_monitor(args: &ExecArgs, o: &Outcome) {
    let denied: Vec<String> = o
        .report
        .egress
        .refused
        .iter()
        .map(|r| format!("connect {}:{}", r.host, r.port))
        .collect();
    // Nothing refused: the start report said all there is (and with no monitor to hear it,
    // nothing is worth keeping).
    if denied.is_empty() {
        return;
    }
    let report = json!({
        "phase": "ended",
        "pid": o.pid,
        "command": args.command.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
        "exit": exit_code(o.status),
        "report": o.report,
    });
    let req = Request::SandboxReport {
        session: args.session.clone(),
        tool_use_id: args.tool_use_id.clone(),
        denied,
        report,
    };
    let timeout = args.connect.timeout.min(std::time::Duration::from_secs(2));
    match client::call(&args.connect.socket(), &req, timeout, |_, _| {}) {
        Ok(Response::Ok { .. }) => {}
        Ok(other) => spool(args, &req, &format!("{other:?}")),
        Err(e) => spool(args, &req, &e.to_string()),
    }
}

fn spool(args: &ExecArgs, req: &Request, why: &str) {
    let path = args.connect.state_dir().join(OBSERVATIONS_FILE);
    let line = serde_json::to_string(req).unwrap_or_default();
    let written = std::fs::create_dir_all(args.connect.state_dir())
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .and_then(|mut f| writeln!(f, "{line}"));
    match written {
        Ok(()) => eprintln!(
            "warden exec: the monitor did not take the report ({why}); kept in `{}`",
            path.display()
        ),
        Err(e) => eprintln!("warden exec: the report is lost: {why}; {e}"),
    }
}
