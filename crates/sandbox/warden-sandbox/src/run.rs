//! Running one command in the sandbox: prepare every layer in the parent, fork, enter the layers
//! in the child, serve the egress proxy while the command runs, and report what was enforced
//! and what was refused.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;

use serde::Serialize;
use warden_policy::MissingLayer;

use crate::child::{self, ChildPlan, PROXY_PORT};
use crate::error::SandboxError;
use crate::fs_rules;
use crate::proxy::{self, Egress, EgressLog};
use crate::seccomp;
use crate::spec::SandboxSpec;
use crate::tree::{self, PathPattern};

/// One command to run.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// Program and arguments.
    pub argv: Vec<OsString>,
    /// Working directory.
    pub cwd: PathBuf,
    /// What to enforce.
    pub spec: SandboxSpec,
    /// Extra environment for the command.
    pub env: Vec<(OsString, OsString)>,
    /// Capture stdout and stderr instead of inheriting them.
    pub capture: bool,
    /// Who the egress proxy asks about unlisted hosts (when the policy says ask).
    pub ask: Option<crate::proxy::EgressAsk>,
}

/// One layer of the sandbox and whether it is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerReport {
    /// `landlock`, `seccomp`, `namespaces`.
    pub layer: String,
    /// Whether it is in force.
    pub enforced: bool,
    /// What it covers, or what is missing.
    pub detail: String,
}

/// What the sandbox enforced and observed for one command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Each layer.
    pub layers: Vec<LayerReport>,
    /// Things the sandbox could not enforce, in words.
    pub unenforced: Vec<String>,
    /// Paths left unreadable (existing entries the deny patterns matched).
    pub denied_paths: Vec<String>,
    /// What went through the proxy.
    pub egress: EgressLog,
    /// Where the time went, in microseconds.
    pub timings: Timings,
}

/// Where one sandboxed command's time went, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// Splitting the tree along denied paths and building the Landlock ruleset and filters.
    pub prepare_us: u64,
    /// Forking, entering the namespaces and layers, until the child runs.
    pub spawn_us: u64,
    /// The command itself, until it exited and the proxy settled.
    pub run_us: u64,
}

fn micros(since: std::time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Report {
    /// Layers that are not in force.
    pub fn missing(&self) -> Vec<&LayerReport> {
        self.layers.iter().filter(|l| !l.enforced).collect()
    }
}

/// The command's end and the report.
#[derive(Debug)]
pub struct Outcome {
    /// How the command ended.
    pub status: ExitStatus,
    /// What was enforced and refused.
    pub report: Report,
    /// Captured stdout (with `capture`).
    pub stdout: Vec<u8>,
    /// Captured stderr (with `capture`).
    pub stderr: Vec<u8>,
    /// The sandboxed child's process id: the kernel's audit log names the Landlock domain it
    /// created by it.
    pub pid: Option<u32>,
}

/// Landlock flag: log denials of the programs the command executes (ABI 7).
const LOG_NEW_EXEC_ON: u32 = 1 << 1;

fn cstring(p: &Path) -> Result<CString, SandboxError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| SandboxError::BadPath(p.to_path_buf()))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Read and write grants. A writable root that holds denied paths (a workspace at `$HOME`) is
/// split like `/`, so writing never re-opens a read the policy denies.
fn grants(
    spec: &SandboxSpec,
    report: &mut Report,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), SandboxError> {
    let patterns = spec
        .deny_read
        .iter()
        .map(|d| PathPattern::new(&d.glob))
        .collect::<Result<Vec<_>, _>>()?;
    let read = tree::split(Path::new("/"), &patterns);
    if read.truncated {
        report.unenforced.push(
            "the readable tree was too large to split fully; what was not reached is unreadable"
                .into(),
        );
    }
    report.denied_paths = read
        .denied
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    create_caches(spec);
    let mut write = Vec::new();
    for root in spec
        .writable
        .iter()
        .filter(|p| p.exists())
        .map(|p| canonical(p))
    {
        let s = tree::split(&root, &patterns);
        if s.granted.len() != 1 || s.granted.first() != Some(&root) {
            report.unenforced.push(format!(
                "`{}` holds denied paths: only its other entries are writable, new files at its top level are refused",
                root.display()
            ));
        }
        write.extend(s.granted);
    }
    Ok((read.granted, write))
}

/// Build caches that do not exist yet cannot be granted: create `~/.cache` and `~/.npm`, and
/// a nested cache (`~/.cargo/registry`) when its tool's directory exists.
fn create_caches(spec: &SandboxSpec) {
    for p in spec
        .writable
        .iter()
        .filter(|p| p.starts_with(&spec.home) && !p.exists())
    {
        let top = p.parent() == Some(spec.home.as_path());
        let named = p.file_name().is_some_and(|n| n == ".cache" || n == ".npm");
        let tool_present = p.parent().is_some_and(|d| d != spec.home && d.is_dir());
        if (top && named) || tool_present {
            // Best effort: a cache that cannot be created is simply not writable.
            let _ = std::fs::create_dir_all(p);
        }
    }
}

/// Control paths inside writable roots: bound read-only. Those missing are reported.
fn read_only_binds(
    spec: &SandboxSpec,
    write: &[PathBuf],
    report: &mut Report,
) -> Result<Vec<CString>, SandboxError> {
    let roots: Vec<PathBuf> = spec.writable.iter().map(|p| canonical(p)).collect();
    let mut out = Vec::new();
    for p in &spec.protected {
        let c = canonical(p);
        let inside = roots
            .iter()
            .chain(write)
            .any(|r| c.starts_with(r) && c != *r);
        if !inside {
            continue;
        }
        // A missing control directory at the workspace's top (`.claude`, `.warden`) is created
        // empty (git does not track empty directories) so that it can be bound read-only:
        // otherwise the command could create the agent's project settings and their hooks.
        // Only directories (`.claude`, `.codex`): a missing control *file* (`.claude.json`) is
        // not made a directory, which would break the client that reads it; it is reported.
        let is_dir_name = c.extension().is_none();
        if !c.exists() && is_dir_name && c.parent() == Some(canonical(&spec.workspace).as_path()) {
            let _ = std::fs::create_dir(&c);
        }
        if c.exists() {
            out.push(cstring(&c)?);
        } else {
            report.unenforced.push(format!(
                "`{}` does not exist inside a writable directory: the command could create it",
                p.display()
            ));
        }
    }
    Ok(out)
}

/// Sockets that lead out of the sandbox whatever the network namespace: covered.
fn hidden(spec: &SandboxSpec) -> Result<Vec<CString>, SandboxError> {
    let mut candidates = spec.hidden.clone();
    if let Some(s) = std::env::var_os("SSH_AUTH_SOCK") {
        candidates.push(s.into());
    }
    candidates
        .iter()
        .map(|p| canonical(p))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()))
        .map(|p| cstring(&p))
        .collect()
}

/// Prepared layers, ready to fork.
struct Prepared {
    landlock: fs_rules::Built,
    filters: seccomp::Filters,
    read_only: Vec<CString>,
    hidden: Vec<CString>,
    report: Report,
}

fn prepare(spec: &SandboxSpec) -> Result<Prepared, SandboxError> {
    let mut report = Report {
        unenforced: spec.unenforceable.clone(),
        ..Report::default()
    };
    let (read, write) = grants(spec, &mut report)?;
    let landlock = fs_rules::build(&read, &write)?;
    report.layers.push(LayerReport {
        layer: "landlock".into(),
        enforced: landlock.fd.is_some(),
        detail: if landlock.missing.is_empty() {
            format!("ABI {}, {} rules", landlock.abi, landlock.rules)
        } else {
            format!(
                "ABI {}, {} rules; not enforced: {}",
                landlock.abi,
                landlock.rules,
                landlock.missing.join(", ")
            )
        },
    });
    report.unenforced.extend(landlock.missing.iter().cloned());
    let filters = seccomp::filters()?;
    report.layers.push(LayerReport {
        layer: "seccomp".into(),
        enforced: true,
        detail: format!(
            "{} escape-hatch syscalls refused, new user namespaces and raw sockets refused",
            seccomp::DENIED.len()
        ),
    });
    let read_only = read_only_binds(spec, &write, &mut report)?;
    let hidden = hidden(spec)?;
    Ok(Prepared {
        landlock,
        filters,
        read_only,
        hidden,
        report,
    })
}

/// Run `req` in the sandbox. Fails (and runs nothing) when a layer cannot be set up, or when a
/// layer is missing and the policy says `sandbox_missing_layer: refuse`.
pub async fn run(req: ExecRequest) -> Result<Outcome, SandboxError> {
    run_with(req, |_| {}).await
}

/// [`run`], calling `on_start` with the child's pid once it runs (to tell the monitor while the
/// command runs, rather than after).
pub async fn run_with(
    req: ExecRequest,
    on_start: impl FnOnce(u32),
) -> Result<Outcome, SandboxError> {
    let Some((program, args)) = req.argv.split_first() else {
        return Err(SandboxError::NoCommand);
    };
    let t = std::time::Instant::now();
    let mut prepared = prepare(&req.spec)?;
    prepared.report.timings.prepare_us = micros(t);
    let t = std::time::Instant::now();
    if req.spec.missing_layer == MissingLayer::Refuse && !prepared.report.missing().is_empty() {
        let names: Vec<String> = prepared
            .report
            .missing()
            .iter()
            .map(|l| l.layer.clone())
            .collect();
        return Err(SandboxError::MissingLayer(names.join(", ")));
    }
    let spawned = match spawn(program, args, &req, &prepared, true) {
        Ok(s) => Ok(s),
        Err(e) if req.spec.missing_layer == MissingLayer::Run && namespace_error(&e) => {
            prepared.report.unenforced.push(format!(
                "no network isolation and no read-only control paths: namespaces could not be created ({e})"
            ));
            spawn(program, args, &req, &prepared, false)
        }
        Err(e) => Err(e),
    };
    let (child, listener) = spawned.map_err(|source| SandboxError::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    })?;
    prepared.report.layers.push(LayerReport {
        layer: "namespaces".into(),
        enforced: listener.is_some(),
        detail: match listener {
            Some(_) => format!("user, network and mount namespaces; egress only through the proxy on 127.0.0.1:{PROXY_PORT}"),
            None => "not created: the network is not isolated".into(),
        },
    });
    let egress = Arc::new(Egress::new(&req.spec, req.ask.clone()));
    let server = match listener {
        Some(l) => {
            l.set_nonblocking(true).map_err(SandboxError::Proxy)?;
            let l = tokio::net::TcpListener::from_std(l).map_err(SandboxError::Proxy)?;
            Some(tokio::spawn(proxy::serve(l, egress.clone())))
        }
        None => None,
    };
    prepared.report.timings.spawn_us = micros(t);
    let t = std::time::Instant::now();
    let pid = child.id();
    if let Some(p) = pid {
        on_start(p);
    }
    let out = child.wait_with_output().await.map_err(SandboxError::Wait)?;
    egress.settle(std::time::Duration::from_millis(500)).await;
    if let Some(s) = server {
        s.abort();
    }
    prepared.report.egress = egress.log();
    prepared.report.timings.run_us = micros(t);
    Ok(Outcome {
        status: out.status,
        report: prepared.report,
        stdout: out.stdout,
        stderr: out.stderr,
        pid,
    })
}

fn namespace_error(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPERM | libc::EINVAL | libc::ENOSPC | libc::EUSERS)
    )
}

type Spawned = (tokio::process::Child, Option<std::net::TcpListener>);

fn spawn(
    program: &OsString,
    args: &[OsString],
    req: &ExecRequest,
    p: &Prepared,
    namespaces: bool,
) -> std::io::Result<Spawned> {
    use std::os::fd::AsRawFd;
    let (parent_end, child_end) = child::socket_pair()?;
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    let plan = ChildPlan {
        namespaces,
        uid_map: format!("{uid} {uid} 1").into_bytes(),
        gid_map: format!("{gid} {gid} 1").into_bytes(),
        read_only: p.read_only.clone(),
        hidden: p.hidden.clone(),
        fd_channel: namespaces.then(|| child_end.as_raw_fd()),
        landlock_fd: p.landlock.fd.as_ref().map(AsRawFd::as_raw_fd),
        landlock_flags: if p.landlock.abi >= 7 {
            LOG_NEW_EXEC_ON
        } else {
            0
        },
        filters: Some(p.filters.clone()),
    };
    let proxy = format!("http://127.0.0.1:{PROXY_PORT}");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(&req.cwd)
        .env_remove("SSH_AUTH_SOCK")
        .envs(req.env.iter().map(|(k, v)| (k, v)));
    if req.capture {
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
    }
    if namespaces {
        for k in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env(k, &proxy);
        }
        for k in ["NO_PROXY", "no_proxy"] {
            cmd.env(k, "localhost,127.0.0.1,::1");
        }
    }
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the forked child before exec and only makes raw system calls
    // on memory prepared here (see `child::enter`); it does not allocate.
    unsafe {
        cmd.pre_exec(move || child::enter(&plan));
    }
    let child = cmd.spawn()?;
    drop(child_end);
    let listener = if namespaces {
        Some(std::net::TcpListener::from(child::recv_fd(&parent_end)?))
    } else {
        None
    };
    Ok((child, listener))
}
