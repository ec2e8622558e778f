//! `warden mcp`: the MCP gateway (see the `warden-mcp` crate).
//!
//! - `warden mcp [OPTIONS] -- COMMAND ARGS...`: a stdio proxy in place of the server; a
//!   client's config changes only its command line. Exits with the server's exit code.
//! - `warden mcp --upstream URL --listen 127.0.0.1:PORT`: the same for a streamable HTTP server.
//! - `warden mcp scan [CONFIG]`: vet the servers of every known client config, offline.
//! - `warden mcp pins list|approve|forget`: the pinned tool definitions.
//! - `warden mcp bench -- COMMAND`: what the proxy adds to a call, and its memory.
//!
//! stdout belongs to the MCP protocol while proxying: every message goes to stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use warden_mcp::gate::LocalPolicy;
use warden_mcp::{DenyAs, Fallback, Hide, Options};

use crate::cli::{
    self, HideArg, McpArgs, McpBenchArgs, McpCommand, McpPinsCommand, McpProxyArgs, McpScanArgs,
    ScanFormat,
};
use crate::exit::Code;
use crate::load;

/// Run `warden mcp ...`; the exit code is the server's when proxying.
pub fn run(args: McpArgs) -> ExitCode {
    let result = match args.command {
        Some(McpCommand::Scan(a)) => scan(&a),
        Some(McpCommand::Pins(c)) => pins(c),
        Some(McpCommand::Bench(b)) => bench(&b),
        None => proxy(&args.proxy),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("warden mcp: {}", load::render(&e));
            Code::Error.into()
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // One thread: a proxy serves one client; a small runtime keeps each session small.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn pins_dir(pins: Option<&Path>) -> PathBuf {
    pins.map_or_else(warden_mcp::default_pins_dir, Path::to_path_buf)
}

fn options(a: &McpProxyArgs, command: String, args: Vec<String>) -> Result<Options> {
    let mut o = Options::new(command, args);
    if let Some(n) = &a.name {
        o.name = n.clone();
    }
    o.socket = Some(a.connect.socket());
    o.timeout = a.connect.timeout;
    o.fallback = match a.fallback {
        cli::Fallback::Block => Fallback::Block,
        cli::Fallback::Local => {
            let cwd = load::current_dir();
            let policy_args = a.policy.clone();
            let local = LocalPolicy::lazy(move || {
                load::policy(&policy_args, Some(Path::new(&cwd))).map_err(|e| load::render(&e))
            });
            // Compiled when first needed: a proxy whose monitor answers never pays for it. With
            // no monitor in sight, compile it now, so a broken policy is reported at start.
            if !a.connect.socket().exists() {
                local.get().map_err(|e| anyhow!(e))?;
            }
            o.spool_dir = Some(a.connect.state_dir().join(warden_daemon::SPOOL_DIR));
            Fallback::Local(local)
        }
    };
    o.deny_as = match a.deny_as {
        cli::DenyAs::Result => DenyAs::Result,
        cli::DenyAs::Error => DenyAs::Error,
    };
    o.hide = match a.hide {
        HideArg::None => Hide::None,
        HideArg::Poisoned => Hide::Poisoned,
        HideArg::Held => Hide::Held,
    };
    o.pins_dir = (!a.no_pins).then(|| a.pins.clone().unwrap_or_else(|| a.connect.state_dir()));
    o.redaction = warden_mcp::results::Redaction::new(!a.no_redact_secrets, &a.redact)?;
    o.session.clone_from(&a.session);
    o.verbose = a.verbose;
    Ok(o)
}

/// The allocator settings a proxy runs with: `warden` links mimalloc for the monitor's many
/// threads, and its eager arena commit and delayed purge cost a single-client proxy some 25 MiB
/// of resident memory per session. mimalloc reads them at its first allocation, before `main`,
/// so the proxy re-executes itself once with them set (same process id, same stdio).
const ALLOCATOR_ENV: [(&str, &str); 2] = [
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    ("MIMALLOC_PURGE_DELAY", "0"),
];

fn lean_allocator() {
    use std::os::unix::process::CommandExt;
    if ALLOCATOR_ENV
        .iter()
        .all(|(k, _)| std::env::var_os(k).is_some())
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1));
    for (k, v) in ALLOCATOR_ENV {
        if std::env::var_os(k).is_none() {
            cmd.env(k, v);
        }
    }
    // Returns only when the exec failed: then go on as we are.
    let _ = cmd.exec();
}

fn proxy(a: &McpProxyArgs) -> Result<ExitCode> {
    lean_allocator();
    if let (Some(url), Some(listen)) = (&a.upstream, &a.listen) {
        if !a.server.is_empty() {
            return Err(anyhow!(
                "give either a command after `--` or `--upstream`, not both"
            ));
        }
        let addr = warden_mcp::http::listen_addr(listen, a.allow_remote)?;
        let mut o = options(a, String::new(), Vec::new())?;
        o.url = Some(url.clone());
        if a.name.is_none() {
            o.name = url
                .split("://")
                .nth(1)
                .and_then(|r| r.split(['/', ':']).next())
                .unwrap_or("http")
                .to_string();
        }
        let rt = runtime()?;
        rt.block_on(async {
            let engine = o.engine();
            warden_mcp::http::run(engine, url, addr).await
        })?;
        return Ok(Code::Ok.into());
    }
    let Some((command, rest)) = a.server.split_first() else {
        return Err(anyhow!(
            "give the server's command after `--` (`warden mcp -- npx -y @modelcontextprotocol/server-filesystem DIR`), or `--upstream URL --listen 127.0.0.1:PORT`"
        ));
    };
    let server = server_command(a, command, rest)?;
    let Some((command, rest)) = server.split_first() else {
        return Err(anyhow!("the server's command line is empty"));
    };
    let o = options(a, command.clone(), rest.to_vec())?;
    let rt = runtime()?;
    let code = rt.block_on(async {
        let engine = o.engine();
        let code = warden_mcp::stdio::run(
            Arc::clone(&engine),
            &o.child(),
            tokio::io::stdin(),
            tokio::io::stdout(),
        )
        .await;
        if a.stats {
            eprintln!(
                "{}",
                warden_mcp::bench::stats_line(
                    &o.name,
                    &engine.gate_times_us(),
                    &engine.report_wait_us()
                )
            );
        }
        code
    })?;
    Ok(ExitCode::from(
        u8::try_from(code.clamp(0, 255)).unwrap_or(1),
    ))
}

/// The server's command line. With `sandbox: all` in the policy the server is started by
/// `warden exec`, in the kernel sandbox a shell command of the same workspace gets (same spec,
/// same refusals reported to the monitor): a server that reads credentials or sends data on its
/// own, outside any tool call the gate sees, is refused by the kernel. A server that cannot
/// start in the sandbox does not start; nothing falls back to running it plainly.
fn server_command(a: &McpProxyArgs, command: &str, rest: &[String]) -> Result<Vec<String>> {
    let plain = || std::iter::once(command.to_string()).chain(rest.iter().cloned());
    let state = a.connect.state_dir();
    let (_, spec) = crate::exec::prepare(&a.policy, None, Some(&state))
        .context("cannot derive the sandbox for the server from the policy")?;
    if spec.mode != warden_policy::SandboxMode::All {
        return Ok(plain().collect());
    }
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let mut argv = vec![exe.display().to_string(), "exec".to_string()];
    let mut flag = |name: &str, value: &Path| {
        argv.push(name.to_string());
        argv.push(value.display().to_string());
    };
    for p in &a.policy.policy {
        flag("--policy", p);
    }
    if let Some(p) = &a.policy.project_policy {
        flag("--project-policy", p);
    }
    if let Some(p) = &a.policy.managed_policy {
        flag("--managed-policy", p);
    }
    if let Some(p) = &a.policy.workspace {
        flag("--workspace", p);
    }
    flag("--state-dir", &state);
    if let Some(p) = &a.connect.socket {
        flag("--socket", p);
    }
    if let Some(p) = &a.connect.client_config {
        flag("--client-config", p);
    }
    if a.policy.no_discover {
        argv.push("--no-discover".to_string());
    }
    if let Some(s) = &a.session {
        argv.extend(["--session".to_string(), s.clone()]);
    }
    argv.push("--".to_string());
    argv.extend(plain());
    Ok(argv)
}

fn scan(a: &McpScanArgs) -> Result<ExitCode> {
    let opts = warden_mcp::scan::ScanOptions {
        config: a.config.clone(),
        home: a.home.clone().unwrap_or_else(warden_mcp::scan::home),
        project: Some(
            a.project
                .clone()
                .unwrap_or_else(|| PathBuf::from(load::current_dir())),
        ),
        timeout: a.timeout,
        pins_dir: Some(pins_dir(a.pins.as_deref())).filter(|d| d.exists()),
        no_start: a.no_start,
        start_project: a.start_project,
    };
    let report = runtime()?.block_on(warden_mcp::scan::run(&opts))?;
    match a.format {
        ScanFormat::Table => print!("{}", report.table()),
        ScanFormat::Sarif => println!("{}", serde_json::to_string_pretty(&report.sarif())?),
        ScanFormat::Json => println!("{}", serde_json::to_string_pretty(&report.json())?),
    }
    Ok(if report.failed() {
        Code::Failed.into()
    } else {
        Code::Ok.into()
    })
}

fn pins(c: McpPinsCommand) -> Result<ExitCode> {
    match c {
        McpPinsCommand::List { pins, json } => {
            let views = warden_mcp::pins::list(&pins_dir(pins.as_deref()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&warden_mcp::pins::to_json(&views))?
                );
            } else {
                print!("{}", warden_mcp::pins::render(&views));
            }
        }
        McpPinsCommand::Approve {
            server,
            tools,
            pins,
        } => {
            for (key, names) in
                warden_mcp::pins::approve(&pins_dir(pins.as_deref()), &server, &tools)?
            {
                eprintln!(
                    "warden mcp: approved {} of `{}` ({key}); a running proxy uses it from its next tools/list",
                    if names.is_empty() {
                        "its definitions".to_string()
                    } else {
                        names.join(", ")
                    },
                    warden_mcp::pins::name_of_key(&key)
                );
            }
        }
        McpPinsCommand::Forget { server, pins } => {
            for key in warden_mcp::pins::forget(&pins_dir(pins.as_deref()), &server)? {
                eprintln!("warden mcp: forgot the pins of {key}");
            }
        }
    }
    Ok(Code::Ok.into())
}

fn bench(b: &McpBenchArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the warden binary")?;
    let exe = exe.display().to_string();
    let tmp = std::env::temp_dir().join(format!("warden-mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
    let mut monitor = None;
    let mut proxy = vec![
        exe.clone(),
        "mcp".into(),
        "--stats".into(),
        "--no-pins".into(),
    ];
    if b.monitor {
        let child = std::process::Command::new(&exe)
            .args([
                "serve",
                "--http",
                "off",
                "--no-discover",
                "--no-approvals",
                "--state-dir",
            ])
            .arg(&tmp)
            .env("WARDEN_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .spawn()
            .context("cannot start `warden serve`")?;
        let sock = tmp.join(warden_daemon::SOCKET_FILE);
        let start = std::time::Instant::now();
        while std::os::unix::net::UnixStream::connect(&sock).is_err() {
            if start.elapsed() > std::time::Duration::from_secs(20) {
                return Err(anyhow!("the monitor did not start within 20 s"));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        monitor = Some(child);
        proxy.extend(["--state-dir".into(), tmp.display().to_string()]);
    } else {
        // No monitor: the proxy decides with the baseline (the failed connect is part of the
        // gate time it reports).
        proxy.extend([
            "--fallback".into(),
            "local".into(),
            "--no-discover".into(),
            "--state-dir".into(),
            tmp.display().to_string(),
        ]);
    }
    proxy.push("--".into());
    let args: serde_json::Value = serde_json::from_str(&b.args).context("--args is not JSON")?;
    let opts = warden_mcp::bench::BenchOptions {
        proxy,
        server: b.server.clone(),
        calls: b.calls,
        tool: b.tool.clone(),
        args,
        sessions: b.sessions,
    };
    let report = runtime()?.block_on(warden_mcp::bench::run(&opts));
    if let Some(mut m) = monitor {
        if let Some(pid) = i32::try_from(m.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let _ = m.wait();
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let report = report?;
    if b.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(Code::Ok.into())
}
