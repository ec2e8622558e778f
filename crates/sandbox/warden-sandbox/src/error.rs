//! The sandbox's errors. Every one of them stops the command: nothing runs unsandboxed by accident.

use std::path::PathBuf;

/// Why a command could not be started in the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// No command was given.
    #[error("no command to run")]
    NoCommand,
    /// A deny or allow pattern is not a valid glob.
    #[error("bad sandbox pattern `{pattern}`: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// The Landlock ruleset could not be built.
    #[error("cannot build the Landlock ruleset: {0}")]
    Landlock(String),
    /// The seccomp filter could not be compiled.
    #[error("cannot compile the seccomp filter: {0}")]
    Seccomp(String),
    /// A path in the plan holds a NUL byte.
    #[error("path `{}` cannot be passed to the kernel", .0.display())]
    BadPath(PathBuf),
    /// A kernel layer the policy requires is missing (`sandbox_missing_layer: refuse`).
    #[error("the kernel lacks sandbox layers the policy requires: {0}")]
    MissingLayer(String),
    /// The command could not be started inside the sandbox.
    #[error("cannot start `{program}` in the sandbox: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Setting up the egress proxy failed.
    #[error("cannot set up the egress proxy: {0}")]
    Proxy(std::io::Error),
    /// Waiting for the command failed.
    #[error("cannot wait for the sandboxed command: {0}")]
    Wait(std::io::Error),
}
