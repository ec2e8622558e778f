//! Why a config or the pin store could not be read or written. A pin store error never means
//! "no pins": callers must treat it as "cannot vouch for any server".

use std::path::PathBuf;

/// An error reading a client config or reading or writing the pin store.
#[derive(Debug, thiserror::Error)]
pub enum VetError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than any config or pin store should be.
    #[error("`{}` is {size} bytes, over the {limit}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file does not parse in its format.
    #[error("`{}`:{line}:{column}: invalid {format}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// `JSON`, `YAML` or `TOML`.
        format: &'static str,
        /// Line of the error, from 1 (0 when the parser did not say).
        line: usize,
        /// Column of the error, from 1 (0 when the parser did not say).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The file parses but an entry does not have the shape the client defines.
    #[error("`{}`: `{pointer}`: {message}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// JSON pointer of the entry.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// The file is not an MCP config of any client this crate knows.
    #[error("`{}` is not an MCP client config (no `mcpServers`, `servers`, `mcp_servers` or `extensions`)", path.display())]
    NotMcpConfig {
        /// The file.
        path: PathBuf,
    },
    /// The pin store exists but cannot be trusted: truncated, edited by hand, or written by a
    /// newer Warden. It is never treated as empty, which would approve every server anew.
    #[error("pin store `{}` is corrupt: {message} (fix or remove it; until then no server is trusted)", path.display())]
    CorruptStore {
        /// The store file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The pin store could not be written.
    #[error("cannot write pin store `{}`: {source}", path.display())]
    Write {
        /// The store file (or its directory).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
