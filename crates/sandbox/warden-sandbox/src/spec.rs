//! What the sandbox enforces, as plain data derived from the policy: paths that must not be read,
//! paths that may be written, paths that must never be written, and hosts the egress proxy lets
//! through. Pure: no kernel calls here, so it is easy to test and to show to a user.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use warden_action::ActionKind;
use warden_policy::{Decision, MissingLayer, Policy, SandboxMode, UnlistedHosts};

/// A path pattern the sandbox must not let the command read, and the rule behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyPath {
    /// Absolute glob (`~` expanded).
    pub glob: String,
    /// The policy rule that denies it.
    pub rule: String,
}

/// Everything the sandbox enforces for one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSpec {
    /// The user's home directory.
    pub home: PathBuf,
    /// The workspace (writable).
    pub workspace: PathBuf,
    /// Read-denied patterns; everything else is readable.
    pub deny_read: Vec<DenyPath>,
    /// Directories (and files) the command may write; nothing else is writable.
    pub writable: Vec<PathBuf>,
    /// Paths never writable, even inside a writable directory (Warden's and the agent's controls).
    pub protected: Vec<PathBuf>,
    /// Unix sockets that lead out of the sandbox whatever its network (docker, Warden's
    /// monitor): covered with `/dev/null` inside. `$SSH_AUTH_SOCK` is added when set.
    pub hidden: Vec<PathBuf>,
    /// Host globs the egress proxy lets through. A loopback host passes only when listed with
    /// its port (`127.0.0.1:8080`): the host's own services, Warden's monitor among them, are
    /// not for the sandbox.
    pub allowed_hosts: Vec<String>,
    /// Which list each allowed host came from, for refusal reasons.
    pub host_lists: Vec<String>,
    /// Policy paths the kernel layer cannot express (no fixed directory), reported, not ignored.
    pub unenforceable: Vec<String>,
    /// Whether a missing kernel layer refuses the command.
    pub missing_layer: MissingLayer,
    /// The policy's sandbox mode.
    pub mode: SandboxMode,
    /// What the egress proxy does with a host on none of the lists.
    #[serde(default)]
    pub unlisted_hosts: UnlistedHosts,
}

/// Lists whose hosts the egress proxy lets through.
pub const HOST_LISTS: [&str; 2] = ["trusted_hosts", "sandbox_hosts"];

/// Build caches a command may write below the home directory. `~/.cargo/bin` and `~/.rustup`
/// stay read-only: writing them would plant code every later shell runs.
const HOME_CACHES: [&str; 9] = [
    ".cargo/registry",
    ".cargo/git",
    ".npm",
    ".cache",
    ".yarn",
    ".pnpm-store",
    ".m2/repository",
    ".gradle/caches",
    "go/pkg/mod",
];

/// Control files of Warden and of the agents, relative to the home directory.
const HOME_CONTROLS: [&str; 9] = [
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks",
    ".codex",
    ".config/warden",
    ".local/state/warden",
    ".local/share/warden",
    ".config/claude-code",
    ".claude.json",
];

/// Control directories inside a workspace.
const WORKSPACE_CONTROLS: [&str; 3] = [".warden", ".claude", ".codex"];

/// System-wide control directories.
const SYSTEM_CONTROLS: [&str; 4] = [
    "/etc/warden",
    "/etc/claude-code",
    "/etc/codex",
    "/var/lib/warden",
];

impl SandboxSpec {
    /// Derive the sandbox for a command run in `workspace` by a user whose home is `home`.
    pub fn from_policy(policy: &Policy, home: &Path, workspace: &Path, tmp: &[PathBuf]) -> Self {
        let mut deny_read = Vec::new();
        let mut unenforceable = Vec::new();
        let mut protected: Vec<PathBuf> = Vec::new();
        for rule in policy.path_rules() {
            let denies = rule.decision == Decision::Deny;
            let reads = denies && rule.applies_to(ActionKind::FileRead);
            let writes = rule.decision >= Decision::Ask
                && (rule.applies_to(ActionKind::FileWrite)
                    || rule.applies_to(ActionKind::FileDelete));
            for p in &rule.paths {
                match absolute(p, home, workspace) {
                    Some(glob) if reads && covers_home(&glob, home) => unenforceable.push(format!(
                        "`{p}` (rule `{}`) covers the whole home directory; the kernel layer keeps the home's credential paths unreadable instead",
                        rule.id
                    )),
                    Some(glob) => {
                        if reads {
                            deny_read.push(DenyPath { glob: glob.clone(), rule: rule.id.clone() });
                        }
                        if writes && denies {
                            if let Some(fixed) = fixed_prefix(&glob) {
                                protected.push(fixed);
                            }
                        }
                    }
                    None if reads => unenforceable.push(format!(
                        "`{p}` (rule `{}`) names no fixed directory: the kernel layer cannot refuse it, only the analysis does",
                        rule.id
                    )),
                    None => {}
                }
            }
        }
        protected.extend(HOME_CONTROLS.iter().map(|c| home.join(c)));
        protected.extend(WORKSPACE_CONTROLS.iter().map(|c| workspace.join(c)));
        protected.extend(SYSTEM_CONTROLS.iter().map(PathBuf::from));
        protected.sort();
        protected.dedup();
        let mut writable = vec![workspace.to_path_buf()];
        writable.extend(tmp.iter().cloned());
        writable.extend(HOME_CACHES.iter().map(|c| home.join(c)));
        writable.dedup();
        let lists = policy.lists();
        let mut allowed_hosts = Vec::new();
        let mut host_lists = Vec::new();
        for name in HOST_LISTS {
            for h in lists.get(name).into_iter().flatten() {
                allowed_hosts.push(h.to_ascii_lowercase());
                host_lists.push(name.to_string());
            }
        }
        let settings = policy.sandbox_settings();
        SandboxSpec {
            home: home.to_path_buf(),
            workspace: workspace.to_path_buf(),
            deny_read,
            writable,
            protected,
            hidden: vec![
                PathBuf::from("/var/run/docker.sock"),
                PathBuf::from("/run/docker.sock"),
                home.join(".local/state/warden/warden.sock"),
            ],
            allowed_hosts,
            host_lists,
            unenforceable,
            missing_layer: settings.missing_layer,
            mode: settings.mode,
            unlisted_hosts: settings.unlisted_hosts,
        }
    }
}

/// `~/x`, `$HOME/x` and `/x` as an absolute glob; workspace-relative paths (`./x`, `.warden/**`)
/// under the workspace; bare patterns that match at any depth (`*.kdbx`, `.env`): `None`.
fn absolute(p: &str, home: &Path, workspace: &Path) -> Option<String> {
    let home = home.display().to_string();
    if p == "~" || p == "$HOME" {
        return Some(home);
    }
    if let Some(rest) = p.strip_prefix("~/").or_else(|| p.strip_prefix("$HOME/")) {
        return Some(format!("{}/{rest}", home.trim_end_matches('/')));
    }
    if p.starts_with('/') {
        return Some(p.to_string());
    }
    if let Some(rest) = p.strip_prefix("./") {
        return Some(format!("{}/{rest}", workspace.display()));
    }
    None
}

/// Whether `glob` matches the home directory itself or one of its ancestors (`/root/**` for
/// root): denying it would deny the user's whole world, toolchains included.
fn covers_home(glob: &str, home: &Path) -> bool {
    crate::tree::PathPattern::new(glob).is_ok_and(|p| {
        home.ancestors()
            .filter(|a| *a != Path::new("/"))
            .any(|a| p.matches(a))
    })
}

/// The longest leading part of `glob` without glob characters, when it names more than `/`.
pub fn fixed_prefix(glob: &str) -> Option<PathBuf> {
    let mut out = PathBuf::from("/");
    for seg in glob.split('/').filter(|s| !s.is_empty()) {
        if seg.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        out.push(seg);
    }
    (out != Path::new("/")).then_some(out)
}
