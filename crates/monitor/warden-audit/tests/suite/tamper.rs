//! Tamper with the SQLite file each way; verify must name the damaged record.

use pretty_assertions::assert_eq;
use warden_audit::{verify, Kind, NewRecord, ProblemKind};

use super::{log_with, raw};

fn problems(dir: &std::path::Path) -> Vec<(ProblemKind, u64)> {
    let report = verify(dir, None).unwrap();
    report.problems.iter().map(|p| (p.kind, p.seq)).collect()
}

#[test]
fn an_untouched_log_verifies() {
    let (dir, mut log) = log_with(50);
    let report = verify(dir.path(), None).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(
        (
            report.records,
            report.head,
            report.sealed,
            report.checkpoints
        ),
        (50, 50, 50, 1)
    );
    // Appending after the checkpoint is fine, and reported as not yet sealed.
    log.append(&[NewRecord::new(Kind::Admin, None, &serde_json::json!({"op": "x"})).unwrap()])
        .unwrap();
    let report = verify(dir.path(), None).unwrap();
    assert!(report.ok());
    assert!(
        report.warnings[0].contains("51 to 51"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_modified_body_is_named() {
    let (dir, _log) = log_with(20);
    raw(dir.path())
        .execute(
            "UPDATE records SET body = replace(body, 'deny', 'allow') WHERE seq = 9",
            [],
        )
        .unwrap();
    assert_eq!(problems(dir.path()), vec![(ProblemKind::Modified, 9)]);
    let report = verify(dir.path(), None).unwrap();
    assert!(report.problems[0].message.contains("record 9 was modified"));
}

#[test]
fn a_modified_record_with_a_recomputed_hash_breaks_the_next_link_and_the_checkpoint() {
    let (dir, _log) = log_with(20);
    let db = raw(dir.path());
    let (time, kind, session, body, prev): (i64, String, Option<String>, String, Vec<u8>) = db
        .query_row(
            "SELECT time, kind, session, body, prev_hash FROM records WHERE seq = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let forged = body.replace("Bash", "Read");
    let rec = warden_audit::Record {
        seq: 7,
        time,
        kind,
        session,
        body: forged.clone(),
        prev_hash: prev,
        hash: vec![],
    };
    let hash = rec.computed_hash();
    db.execute(
        "UPDATE records SET body = ?1, hash = ?2 WHERE seq = 7",
        rusqlite::params![forged, &hash[..]],
    )
    .unwrap();
    assert_eq!(problems(dir.path()), vec![(ProblemKind::Inserted, 8)]);
}

#[test]
fn a_deleted_record_is_named() {
    let (dir, _log) = log_with(20);
    raw(dir.path())
        .execute("DELETE FROM records WHERE seq = 5", [])
        .unwrap();
    assert_eq!(problems(dir.path()), vec![(ProblemKind::Deleted, 5)]);
    raw(dir.path())
        .execute("DELETE FROM records WHERE seq IN (11, 12, 13)", [])
        .unwrap();
    let report = verify(dir.path(), None).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message == "records 11 to 13 were deleted"),
        "{report:?}"
    );
}

#[test]
fn an_inserted_record_is_named() {
    let (dir, _log) = log_with(20);
    let db = raw(dir.path());
    // Make room at 10 by shifting the tail up by one, then insert a forged record there.
    db.execute("UPDATE records SET seq = seq + 1000 WHERE seq >= 10", [])
        .unwrap();
    db.execute("UPDATE records SET seq = seq - 999 WHERE seq >= 1010", [])
        .unwrap();
    db.execute(
        "INSERT INTO records (seq, time, kind, session, body, prev_hash, hash) SELECT 10, time, kind, session, '{\"decision\":\"allow\"}', hash, hash FROM records WHERE seq = 9",
        [],
    )
    .unwrap();
    let found = problems(dir.path());
    assert!(found.contains(&(ProblemKind::Modified, 10)), "{found:?}");
    assert_eq!(
        found.first(),
        Some(&(ProblemKind::Modified, 10)),
        "{found:?}"
    );
    // Every shifted record no longer hashes to its place.
    assert!(found.contains(&(ProblemKind::Modified, 11)), "{found:?}");
}

#[test]
fn an_appended_forgery_is_named() {
    let (dir, _log) = log_with(20);
    raw(dir.path())
        .execute(
            "INSERT INTO records (seq, time, kind, session, body, prev_hash, hash) VALUES (21, 0, 'decision', 's1', '{}', x'00', x'00')",
            [],
        )
        .unwrap();
    assert_eq!(
        problems(dir.path()),
        vec![(ProblemKind::Modified, 21), (ProblemKind::Inserted, 21)]
    );
}

#[test]
fn reordered_records_are_named() {
    let (dir, _log) = log_with(20);
    let db = raw(dir.path());
    db.execute("UPDATE records SET seq = -1 WHERE seq = 6", [])
        .unwrap();
    db.execute("UPDATE records SET seq = 6 WHERE seq = 7", [])
        .unwrap();
    db.execute("UPDATE records SET seq = 7 WHERE seq = -1", [])
        .unwrap();
    let found = problems(dir.path());
    assert!(found.contains(&(ProblemKind::Reordered, 6)), "{found:?}");
    assert!(
        found.contains(&(ProblemKind::Modified, 6)) && found.contains(&(ProblemKind::Modified, 7)),
        "{found:?}"
    );
}

#[test]
fn truncation_is_caught_by_the_checkpoint_even_when_its_row_goes_too() {
    let (dir, _log) = log_with(20);
    let db = raw(dir.path());
    db.execute("DELETE FROM records WHERE seq > 15", [])
        .unwrap();
    db.execute("DELETE FROM checkpoints", []).unwrap();
    let report = verify(dir.path(), None).unwrap();
    assert_eq!(
        report
            .problems
            .iter()
            .map(|p| (p.kind, p.seq))
            .collect::<Vec<_>>(),
        vec![(ProblemKind::Truncated, 16)]
    );
    assert!(
        report.problems[0]
            .message
            .contains("records 16 to 20 are gone"),
        "{report:?}"
    );
}

#[test]
fn a_rewritten_chain_does_not_match_the_signed_checkpoint() {
    let (dir, _log) = log_with(5);
    // Rewrite the whole chain consistently (an attacker can hash, but cannot sign).
    let db = raw(dir.path());
    let mut prev = warden_audit::GENESIS.to_vec();
    for seq in 1..=5u64 {
        let (time, kind, session, body): (i64, String, Option<String>, String) = db
            .query_row(
                "SELECT time, kind, session, body FROM records WHERE seq = ?1",
                [seq as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        let body = body.replace("deny", "allow");
        let rec = warden_audit::Record {
            seq,
            time,
            kind,
            session,
            body: body.clone(),
            prev_hash: prev.clone(),
            hash: vec![],
        };
        let hash = rec.computed_hash().to_vec();
        db.execute(
            "UPDATE records SET body = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![body, prev, hash, seq as i64],
        )
        .unwrap();
        prev = hash;
    }
    assert_eq!(problems(dir.path()), vec![(ProblemKind::Rewritten, 5)]);
}

#[test]
fn a_forged_checkpoint_is_named() {
    let (dir, _log) = log_with(5);
    raw(dir.path())
        .execute("UPDATE checkpoints SET seq = 99", [])
        .unwrap();
    let found = problems(dir.path());
    assert!(
        found.contains(&(ProblemKind::BadCheckpoint, 99)),
        "{found:?}"
    );
}

#[test]
fn the_key_is_private_and_reused() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, log) = log_with(1);
    let mode = std::fs::metadata(dir.path().join(warden_audit::KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let pk = log.public_key();
    drop(log);
    let again = warden_audit::AuditLog::open(dir.path()).unwrap();
    assert_eq!(again.public_key(), pk);
    // A key others can read is refused.
    std::fs::set_permissions(
        dir.path().join(warden_audit::KEY_FILE),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    drop(again);
    assert!(warden_audit::AuditLog::open(dir.path()).is_err());
}
