//! What the monitor can learn of a connecting process from `/proc` (readable whatever user the
//! process runs as): whether it runs inside a tool sandbox.
//!
//! `warden exec` runs every tool command in a user namespace of its own. A process cannot leave
//! its user namespace (joining the parent's needs privileges there), and `/proc/<pid>/uid_map`
//! (world-readable) shows the namespace's uid mapping: a peer whose mapping differs from the
//! monitor's own is a process an agent's tool started, however it detached, double-forked or
//! renamed itself. A peer nested in a deeper PID namespace (`NSpid:` in `/proc/<pid>/status`)
//! is treated the same way.

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

/// The uid mapping of `pid`'s user namespace, whitespace-normalised.
pub fn uid_map(pid: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).ok()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether `pid` runs in a tool sandbox: a user namespace other than the monitor's (by its uid
/// mapping), or a PID namespace nested below the monitor's. `None` when that cannot be read
/// (the process is gone): the caller fails closed.
pub fn in_sandbox(pid: i32) -> Option<bool> {
    static OWN: OnceLock<(Option<usize>, Option<String>)> = OnceLock::new();
    let (depth, map) = OWN.get_or_init(|| (pid_namespace_depth("self"), uid_map("self")));
    let p = pid.to_string();
    let deeper = pid_namespace_depth(&p)? > (*depth)?;
    let other_userns = uid_map(&p)? != *map.as_ref()?;
    Some(deeper || other_userns)
}
