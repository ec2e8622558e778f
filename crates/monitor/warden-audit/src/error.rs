//! The audit log's errors.

use std::path::PathBuf;

/// What can go wrong with the audit log. Callers treat every error as "not recorded": they must
/// not acknowledge (and so must not allow) what they could not record.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// SQLite failed.
    #[error("audit database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The signing key file is not a key.
    #[error("`{path}` is not an Ed25519 key: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A record body is not JSON.
    #[error("record body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The operating system's random source failed.
    #[error("no randomness for the signing key: {0}")]
    Random(String),
    /// The database file was deleted or replaced while the log had it open.
    #[error("the audit database `{path}` {what}; nothing more is acknowledged")]
    StoreGone {
        /// The file.
        path: PathBuf,
        /// What happened to it.
        what: String,
    },
    /// The log is read-only (opened for verification or queries).
    #[error("the audit log was opened read-only")]
    ReadOnly,
}

impl AuditError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AuditError::Io {
            path: path.into(),
            source,
        }
    }
}
