//! Test modules and helpers.

mod query;
mod tamper;

use serde_json::json;
use warden_audit::{AuditLog, Kind, NewRecord};

/// A log in a fresh directory with `n` decision records over two sessions, checkpointed at the end.
pub fn log_with(n: u64) -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(dir.path()).unwrap();
    let recs: Vec<NewRecord> = (1..=n)
        .map(|i| {
            let decision = if i % 3 == 0 { "deny" } else { "allow" };
            let rules: Vec<&str> = if i % 3 == 0 {
                vec!["credentials.ssh"]
            } else {
                vec![]
            };
            NewRecord::new(
                Kind::Decision,
                Some(format!("s{}", i % 2)),
                &json!({"decision": decision, "rules": rules, "tool": "Bash", "i": i}),
            )
            .unwrap()
        })
        .collect();
    log.append(&recs).unwrap();
    log.checkpoint().unwrap();
    (dir, log)
}

/// Open the database behind the log's back, as an attacker would.
pub fn raw(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(warden_audit::DB_FILE)).unwrap()
}
