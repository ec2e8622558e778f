//! The proxy's options, as the command line and the tests give them, and the engine they build.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use warden_daemon::proto::ClientEnv;

use crate::engine::{DenyAs, Engine, Settings};
use crate::gate::{Fallback, Gate};
use crate::monitor::Monitor;
use crate::results::Redaction;
use crate::stdio::ChildSpec;
use crate::vetting::Hide;

/// Everything that configures one proxied session.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's name (rules see `mcp__<name>__<tool>`).
    pub name: String,
    /// The server's program (stdio).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment for the server.
    pub env: Vec<(String, String)>,
    /// The upstream URL (streamable HTTP) instead of a command.
    pub url: Option<String>,
    /// The monitor's socket; `None` decides without a monitor.
    pub socket: Option<PathBuf>,
    /// How long to wait for the monitor.
    pub timeout: Duration,
    /// What to do when the monitor cannot answer.
    pub fallback: Fallback,
    /// How refusals are answered.
    pub deny_as: DenyAs,
    /// Which list items are hidden.
    pub hide: Hide,
    /// Where pins live; `None` pins nothing.
    pub pins_dir: Option<PathBuf>,
    /// How results are rewritten.
    pub redaction: Redaction,
    /// The session id (default: one per proxy process).
    pub session: Option<String>,
    /// Where local decisions are spooled for the monitor.
    pub spool_dir: Option<PathBuf>,
    /// Log every decision, not only refusals and findings.
    pub verbose: bool,
}

impl Options {
    /// Defaults for a stdio server: named after its command, no monitor, block without one,
    /// refusals as tool results, poisoned items hidden, secrets redacted, nothing pinned.
    pub fn new(command: String, args: Vec<String>) -> Options {
        Options {
            name: default_server_name(&command, &args),
            command,
            args,
            env: Vec::new(),
            url: None,
            socket: None,
            timeout: Duration::from_secs(5),
            fallback: Fallback::Block,
            deny_as: DenyAs::Result,
            hide: Hide::Poisoned,
            pins_dir: None,
            redaction: Redaction {
                secrets: true,
                patterns: Vec::new(),
            },
            session: None,
            spool_dir: None,
            verbose: false,
        }
    }

    /// The server's pin identity: its name with its command line, or with its URL.
    pub fn server_key(&self) -> String {
        match &self.url {
            Some(u) => warden_vet::server_key_url(&self.name, u),
            None => warden_vet::server_key(&self.name, &self.command, &self.args),
        }
    }

    /// The child to start.
    pub fn child(&self) -> ChildSpec {
        ChildSpec {
            command: self.command.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
        }
    }

    /// The session id calls are recorded under.
    pub fn session_id(&self) -> String {
        self.session.clone().unwrap_or_else(|| {
            let ms = warden_audit::now_ms();
            format!("mcp-{}-{}-{ms:x}", self.name, std::process::id())
        })
    }

    /// Build the engine (inside a Tokio runtime).
    pub fn engine(&self) -> Arc<Engine> {
        let cwd =
            std::env::current_dir().map_or_else(|_| "/".to_string(), |p| p.display().to_string());
        let mut env = ClientEnv::from_process();
        if env.workspace.is_none() {
            env.workspace = Some(cwd.clone());
        }
        env.vars.insert("PWD".into(), cwd.clone());
        let gate = Gate {
            monitor: self.socket.clone().map(|s| Monitor::new(s, self.timeout)),
            fallback: self.fallback.clone(),
            session: self.session_id(),
            path_env: warden_adapters::host_env(&cwd, env.workspace.as_deref()),
            env,
            spool_dir: self.spool_dir.clone(),
            down_until: std::sync::Mutex::new(None),
        };
        let settings = Settings {
            server: self.name.clone(),
            server_key: self.server_key(),
            deny_as: self.deny_as,
            redaction: self.redaction.clone(),
            hide: self.hide,
            pins_dir: self.pins_dir.clone(),
            relist_timeout: Duration::from_secs(10),
            verbose: self.verbose,
        };
        Engine::new(settings, gate)
    }
}

/// Programs that run a server given as their first operand (`npx -y @scope/server-x`).
const RUNNERS: &[&str] = &[
    "node", "nodejs", "npx", "bunx", "bun", "deno", "python", "python3", "uv", "uvx", "pipx",
    "docker", "podman", "java", "ruby", "sh", "bash", "cargo",
];

/// A name for a server from its command line: the command's file name, or for a runner
/// (`npx`, `node`, `uvx`, `docker run`) the first operand's, without scope or extension.
pub fn default_server_name(command: &str, args: &[String]) -> String {
    let base = |s: &str| -> String {
        let s = s.rsplit('/').next().unwrap_or(s);
        let s = s.split('@').find(|p| !p.is_empty()).unwrap_or(s);
        let s = s
            .strip_suffix(".js")
            .or_else(|| s.strip_suffix(".mjs"))
            .or_else(|| s.strip_suffix(".py"))
            .unwrap_or(s);
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let prog = base(command);
    if RUNNERS.contains(&prog.as_str()) {
        let skip = ["run", "exec", "x", "dlx", "-m", "tool"];
        if let Some(op) = args
            .iter()
            .find(|a| !a.starts_with('-') && !skip.contains(&a.as_str()))
        {
            let name = base(op);
            if !name.is_empty() {
                return name;
            }
        }
    }
    if prog.is_empty() {
        "server".into()
    } else {
        prog
    }
}

/// The default pin directory: the Warden state directory.
pub fn default_pins_dir() -> PathBuf {
    warden_daemon::default_state_dir()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn server_names() {
        let a = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            default_server_name(
                "npx",
                &a(&["-y", "@modelcontextprotocol/server-filesystem", "/tmp"])
            ),
            "server-filesystem"
        );
        assert_eq!(
            default_server_name("/usr/bin/node", &a(&["dist/index.js"])),
            "index"
        );
        assert_eq!(
            default_server_name("/opt/mcp/github-server", &a(&[])),
            "github-server"
        );
        assert_eq!(
            default_server_name("uvx", &a(&["mcp-server-fetch"])),
            "mcp-server-fetch"
        );
    }
}
