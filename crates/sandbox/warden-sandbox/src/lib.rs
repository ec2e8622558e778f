//! Warden's kernel sandbox for one tool call: what static analysis misses, the kernel refuses.
//!
//! A [`SandboxSpec`] is derived from the active policy (credential paths it denies, the
//! workspace, temp and build caches that may be written, control files never writable, hosts
//! allowed out). [`run`] starts a command under Landlock, `no_new_privs`, a seccomp filter and
//! its own user, network and mount namespaces, whose only way out is Warden's egress proxy, and
//! returns a [`Report`] of what was enforced and refused. Nothing falls back to running
//! unsandboxed: a layer that cannot be set up is an error, and a layer the kernel lacks is
//! reported (or refuses the command, as the policy says).
//!
//! This is the only Warden crate with `unsafe` code (fork-time system calls, fd passing).

mod child;
mod error;
mod fs_rules;
mod observe;
mod proxy;
mod run;
mod seccomp;
mod spec;
mod tree;

pub use child::PROXY_PORT;
pub use error::SandboxError;
pub use fs_rules::{kernel_abi, missing_rights};
pub use observe::{KernelRefusal, LandlockLog, ObserveError, Observed};
pub use proxy::{AskFn, EgressAsk, EgressLog, Refusal};
pub use run::{run, run_with, ExecRequest, LayerReport, Outcome, Report, Timings};
pub use seccomp::DENIED as DENIED_SYSCALLS;
pub use spec::{fixed_prefix, DenyPath, SandboxSpec, HOST_LISTS};
pub use tree::{split, PathPattern, Split};
