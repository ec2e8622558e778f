//! Which monitor a hook talks to, and how it knows it is the monitor.
//!
//! In the protected deployment (`sudo warden install`) the socket and the monitor's uid come from
//! a root-owned client config (`/etc/warden/client.json`, or the file named by
//! `--client-config` in the hook command that root wrote into the agent's managed settings),
//! never from the environment the agent's tools could influence. The config is trusted only if
//! it and every directory above it are owned by root and writable by nobody else (a sticky
//! root-owned directory such as `/tmp` is allowed above it). Without it the hook runs in the
//! per-user mode: socket from `--socket`/`WARDEN_SOCKET` or the state directory.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The system-wide client config.
pub const CLIENT_CONFIG: &str = "/etc/warden/client.json";

/// The root-owned client config of the protected deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The monitor's socket.
    pub socket: PathBuf,
    /// The uid the monitor runs as: a server on the socket with another uid is an impostor.
    pub monitor_uid: u32,
    /// Where hooks leave events that carry no action while the monitor is unreachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spool_dir: Option<PathBuf>,
}

/// Where a client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The socket.
    pub socket: PathBuf,
    /// The uid the server must run as (`None` in the per-user mode).
    pub monitor_uid: Option<u32>,
    /// Where events without an action are spooled when the monitor is unreachable.
    pub spool_dir: PathBuf,
    /// Whether this is the protected deployment (environment overrides are ignored).
    pub protected: bool,
}

/// Load a client config, refusing one that anybody but root could have written.
pub fn load_trusted(path: &Path) -> Result<ClientConfig, String> {
    let real = std::fs::canonicalize(path)
        .map_err(|e| format!("cannot read the client config `{}`: {e}", path.display()))?;
    check_root_owned(&real)?;
    let mut text = String::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .map_err(|e| format!("cannot read the client config `{}`: {e}", real.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the client config `{}` is not valid: {e}", real.display()))
}

/// `path` and every directory above it: owned by root, not writable by group or others (a
/// directory with the sticky bit, owned by root, may be world-writable: nobody else can
/// replace what root put in it).
pub fn check_root_owned(path: &Path) -> Result<(), String> {
    let mut cur = Some(path);
    let mut first = true;
    while let Some(p) = cur {
        let m = std::fs::metadata(p).map_err(|e| format!("cannot stat `{}`: {e}", p.display()))?;
        let sticky = m.mode() & 0o1000 != 0 && m.is_dir();
        if m.uid() != 0 {
            return Err(format!(
                "`{}` is owned by uid {}, not root, so another user could have written it",
                p.display(),
                m.uid()
            ));
        }
        if m.mode() & 0o022 != 0 && (first || !sticky) {
            return Err(format!(
                "`{}` is writable by other users (mode {:o})",
                p.display(),
                m.mode() & 0o7777
            ));
        }
        first = false;
        cur = p.parent();
    }
    Ok(())
}

/// Resolve the target: an explicit client config (it must load), else the system one if it
/// exists (it must load), else the per-user mode with `socket` (from the command line or the
/// environment) or the socket in `state_dir`.
pub fn resolve(
    explicit: Option<&Path>,
    socket: Option<PathBuf>,
    state_dir: PathBuf,
) -> Result<Target, String> {
    let system = Path::new(CLIENT_CONFIG);
    let config = match explicit {
        Some(p) => Some(load_trusted(p)?),
        None if system.exists() => Some(load_trusted(system)?),
        None => None,
    };
    Ok(match config {
        Some(c) => Target {
            spool_dir: c
                .spool_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("/var/spool/warden")),
            socket: c.socket,
            monitor_uid: Some(c.monitor_uid),
            protected: true,
        },
        None => Target {
            socket: socket.unwrap_or_else(|| state_dir.join(crate::SOCKET_FILE)),
            monitor_uid: None,
            spool_dir: state_dir.join(crate::SPOOL_DIR),
            protected: false,
        },
    })
}

/// Leave one event (a JSON line) in `dir` for the monitor to record when it next starts. In the
/// protected deployment the spool is the monitor's directory (sticky, writable by all, listable
/// by none): the file is made readable so that the monitor, another user, can ingest it.
pub fn spool(dir: &Path, entry: &serde_json::Value, protected: bool) -> Result<PathBuf, String> {
    if !protected {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create the spool `{}`: {e}", dir.display()))?;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("{nanos}-{}.jsonl", std::process::id()));
    let mode = if protected { 0o644 } else { 0o600 };
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(mode)
        .open(&path)
        .map_err(|e| format!("cannot spool to `{}`: {e}", path.display()))?;
    let line = serde_json::to_string(entry).map_err(|e| e.to_string())? + "\n";
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("cannot spool to `{}`: {e}", path.display()))?;
    Ok(path)
}

/// The monitor is unreachable and a hook event carries no action: leave it in the target's
/// spool for the monitor, and say so on stderr. The hook then lets the agent go on.
pub fn spool_no_action(
    target: &Target,
    agent: &str,
    event: &str,
    payload: &serde_json::Value,
    unreachable: &str,
) -> Result<PathBuf, String> {
    let entry = serde_json::json!({
        "agent": agent, "event": event, "session": payload.get("session_id"),
        "payload": payload, "unreachable": unreachable,
    });
    let path = spool(&target.spool_dir, &entry, target.protected)?;
    eprintln!(
        "warden: the monitor is unreachable ({unreachable}); `{event}` carries no action, so it was recorded in `{}` and not blocked",
        path.display()
    );
    Ok(path)
}
