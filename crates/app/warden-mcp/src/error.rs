//! Errors of the MCP gateway.

use std::path::PathBuf;

/// What can stop the proxy or the scanner.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// The server could not be started.
    #[error("cannot start the MCP server `{command}`: {source}")]
    Spawn {
        /// The command.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading or writing a stream or file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The monitor gave no usable answer.
    #[error("{0}")]
    Monitor(String),
    /// The pin store could not be read or written.
    #[error("the pin store `{path}`: {message}")]
    Pins {
        /// The store.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An HTTP upstream or listener failed.
    #[error("{0}")]
    Http(String),
    /// The configuration is not usable.
    #[error("{0}")]
    Config(String),
}

impl McpError {
    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> McpError {
        let what = what.into();
        move |source| McpError::Io { what, source }
    }
}
