//! Warden's audit trail: an append-only, hash-chained log in SQLite with signed checkpoints.
//!
//! Every record (an event, a decision, an approval, an admin action) is chained to the one before
//! it: its hash covers its sequence number, time, kind, session, JSON body and the previous hash.
//! The chain head is signed with an Ed25519 key at intervals ([`AuditLog::checkpoint`]), so
//! [`verify`] can name a record that was modified, deleted, inserted or moved, and can tell that
//! the tail was cut off. Appends are batched: one transaction, one fsync, then the acknowledgement.
//! This crate knows nothing of policies, adapters or the daemon.

mod error;
mod export;
mod key;
mod log;
mod otlp;
mod query;
mod record;
mod verify;
mod witness;

pub use error::AuditError;
pub use export::{ocsf_event, OCSF_CLASS_UID, OCSF_VERSION};
pub use key::{load_or_create_key, load_public_key, KEY_FILE, PUBLIC_KEY_FILE};
pub use log::{AuditLog, AuditReader, Checkpoint, Head, CHECKPOINT_FILE, DB_FILE};
pub use otlp::{otlp_batch, span_id, trace_id, OtlpBatch, OtlpResource, OTLP_SCOPE};
pub use query::Filter;
pub use record::{Kind, NewRecord, Record, GENESIS};
pub use rusqlite;
pub use verify::{verify, verify_with, Problem, ProblemKind, VerifyReport};
pub use witness::{make_append_only, Witness, WITNESS_FILE};

/// Milliseconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 text (UTC, milliseconds) for a time in milliseconds since the epoch.
pub fn format_time(ms: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}
