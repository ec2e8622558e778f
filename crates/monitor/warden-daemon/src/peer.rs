//! What the monitor can learn of a connecting process from `/proc` (readable whatever user the
//! process runs as): whether it runs inside a tool sandbox.
//!
//! `warden exec` runs every tool command in a new PID namespace. A process cannot leave its PID
//! namespace, and `/proc/<pid>/status` (world-readable) lists its pid in every namespace it is
//! nested in (`NSpid:`), so a peer whose list is longer than the monitor's own is a process an
//! agent's tool started, however it detached, double-forked or renamed itself.

use std::sync::OnceLock;

/// How many PID namespaces `pid` is nested in (1 at the top), from `/proc/<pid>/status`.
/// `None` when the process is gone or the kernel does not say.
pub fn pid_namespace_depth(pid: &str) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|rest| rest.split_whitespace().count())
}

/// Whether `pid` runs in a PID namespace nested below the monitor's own. An error (`None`)
/// when that cannot be read: the process is gone, so the caller fails closed.
pub fn in_deeper_pid_namespace(pid: i32) -> Option<bool> {
    static OWN: OnceLock<Option<usize>> = OnceLock::new();
    let own = (*OWN.get_or_init(|| pid_namespace_depth("self")))?;
    let theirs = pid_namespace_depth(&pid.to_string())?;
    Some(theirs > own)
}
