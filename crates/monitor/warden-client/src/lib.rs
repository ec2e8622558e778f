//! The client side of the Warden monitor: the protocol ([`proto`]), the blocking socket client
//! ([`client`]), which monitor a hook talks to ([`target`]) and how an answer is rendered in an
//! agent's hook format ([`hook`]). It depends on the action model only, so the slim hook client
//! (`warden-hook`) starts without the monitor, the policy engine or the shell parser.

pub mod client;
pub mod hook;
pub mod proto;
pub mod target;

use std::path::PathBuf;

/// The socket's file name in the state directory.
pub const SOCKET_FILE: &str = "warden.sock";

/// Parse a duration: `5s`, `500ms`, `2m`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(secs)
            .map_err(|e| format!("`{s}` is not a usable number of seconds ({e})"));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration ({e}); try `5s` or `500ms`"))
}
/// The spool directory's name in the state directory (events decided locally while the daemon
/// was unreachable).
pub const SPOOL_DIR: &str = "spool";

/// The default state directory: `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`.
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map_or_else(|| PathBuf::from("/"), PathBuf::from)
                .join(".local")
                .join("state")
        })
        .join("warden")
}
