//! Verification: walk the chain, check every hash and link, and hold the chain against every
//! signed checkpoint. Each problem names the record it is about.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use rusqlite::types::ValueRef;
use serde::Serialize;

use crate::log::{AuditReader, Checkpoint};
use crate::record::{Record, GENESIS};
use crate::{key, AuditError, PUBLIC_KEY_FILE};

/// What is wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The record's fields do not hash to its stored hash: it was edited.
    Modified,
    /// Records are missing: the sequence jumps over them.
    Deleted,
    /// The record does not link to the one before it: something was put in or rewritten here.
    Inserted,
    /// The record links to a record other than its predecessor: records were reordered.
    Reordered,
    /// Records the latest checkpoint covers are gone from the end of the log.
    Truncated,
    /// The record's hash is not the one a signed checkpoint recorded: the chain was rewritten.
    Rewritten,
    /// A checkpoint's signature is not the log's key's.
    BadCheckpoint,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// The record it is about (the first missing one for deletions and truncation).
    pub seq: u64,
    /// Explanation for the human.
    pub message: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records read.
    pub records: u64,
    /// The last record's number.
    pub head: u64,
    /// Checkpoints whose signature was checked.
    pub checkpoints: usize,
    /// The highest record a valid checkpoint covers; records after it are not yet sealed.
    pub sealed: u64,
    /// Every problem, in chain order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Things worth knowing that are not damage.
    pub warnings: Vec<String>,
    /// The witnesses read besides the database and the checkpoint file.
    #[serde(default)]
    pub witnesses: Vec<String>,
}

impl VerifyReport {
    /// Whether the log verified.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// At most this many problems are listed.
pub const MAX_PROBLEMS: usize = 1000;

/// Verify the log in the state directory `dir` against its public key (`audit.pub` in `dir`
/// unless `public_key` names another file: pin a copy kept elsewhere for a stronger check).
pub fn verify(dir: &Path, public_key: Option<&Path>) -> Result<VerifyReport, AuditError> {
    verify_with(dir, public_key, &[])
}

/// [`verify`], also holding the log against the checkpoints in `witnesses` (files with witness
/// lines: a copy of `witness.log`, a syslog file). The state directory's `witness.log` and the
/// usual syslog files are always read when readable.
pub fn verify_with(
    dir: &Path,
    public_key: Option<&Path>,
    witnesses: &[PathBuf],
) -> Result<VerifyReport, AuditError> {
    let reader = AuditReader::open(dir)?;
    let key_path = public_key.map_or_else(|| dir.join(PUBLIC_KEY_FILE), Path::to_path_buf);
    let key = key::load_public_key(&key_path)?;
    reader.verify_with(&key, witnesses)
}

/// What walking the chain found: record count, last number, each record's hash.
type Walk = (u64, u64, HashMap<u64, Vec<u8>>);

fn text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Null => String::new(),
    }
}

fn bytes(v: ValueRef<'_>) -> Vec<u8> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
        _ => Vec::new(),
    }
}

impl AuditReader {
    /// Verify the chain and the checkpoints against `key`.
    pub fn verify(&self, key: &VerifyingKey) -> Result<VerifyReport, AuditError> {
        self.verify_with(key, &[])
    }

    /// Verify the chain against `key` and against every checkpoint the database, the checkpoint
    /// file and the witnesses hold.
    pub fn verify_with(
        &self,
        key: &VerifyingKey,
        witnesses: &[PathBuf],
    ) -> Result<VerifyReport, AuditError> {
        let mut problems = Vec::new();
        let mut push = |p: Problem| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(p);
            }
        };
        // One read transaction: a consistent snapshot while the daemon appends.
        self.conn.execute_batch("BEGIN")?;
        let result = (|| -> Result<Walk, AuditError> {
            let mut stmt = self.conn.prepare(
                "SELECT seq, time, kind, session, body, prev_hash, hash FROM records ORDER BY seq",
            )?;
            let mut rows = stmt.query([])?;
            let mut by_hash: HashMap<Vec<u8>, u64> = HashMap::new();
            let mut hashes: HashMap<u64, Vec<u8>> = HashMap::new();
            let mut prev_seq = 0u64;
            let mut prev_hash = GENESIS.to_vec();
            let mut count = 0u64;
            // Records whose link is checked once the whole chain is known (reordering).
            let mut unlinked: Vec<(u64, Vec<u8>)> = Vec::new();
            while let Some(r) = rows.next()? {
                let rec = Record {
                    seq: r
                        .get_ref(0)?
                        .as_i64()
                        .map_or(0, |s| u64::try_from(s).unwrap_or(0)),
                    time: r.get_ref(1)?.as_i64().unwrap_or(i64::MIN),
                    kind: text(r.get_ref(2)?),
                    session: match r.get_ref(3)? {
                        ValueRef::Null => None,
                        v => Some(text(v)),
                    },
                    body: text(r.get_ref(4)?),
                    prev_hash: bytes(r.get_ref(5)?),
                    hash: bytes(r.get_ref(6)?),
                };
                count += 1;
                let seq = rec.seq;
                if rec.computed_hash()[..] != rec.hash[..] {
                    push(Problem {
                        kind: ProblemKind::Modified,
                        seq,
                        message: format!(
                            "record {seq} was modified: its fields do not match its hash"
                        ),
                    });
                }
                if seq != prev_seq + 1 {
                    let (from, to) = (prev_seq + 1, seq.saturating_sub(1));
                    push(Problem {
                        kind: ProblemKind::Deleted,
                        seq: from,
                        message: if from == to {
                            format!("record {from} was deleted")
                        } else {
                            format!("records {from} to {to} were deleted")
                        },
                    });
                } else if rec.prev_hash != prev_hash {
                    unlinked.push((seq, rec.prev_hash.clone()));
                }
                by_hash.insert(rec.hash.clone(), seq);
                hashes.insert(seq, rec.hash.clone());
                prev_seq = seq;
                prev_hash = rec.hash;
            }
            for (seq, link) in unlinked {
                match by_hash.get(&link) {
                    Some(&orig) if orig != seq => push(Problem {
                        kind: ProblemKind::Reordered,
                        seq,
                        message: format!(
                            "the record at position {seq} was moved: it was written right after the record now at position {orig}, not after record {}",
                            seq - 1
                        ),
                    }),
                    _ => push(Problem {
                        kind: ProblemKind::Inserted,
                        seq,
                        message: format!(
                            "record {seq} does not link to record {}: a record was inserted or replaced here",
                            seq - 1
                        ),
                    }),
                }
            }
            Ok((count, prev_seq, hashes))
        })();
        self.conn.execute_batch("COMMIT")?;
        let (records, head, hashes) = result?;
        let mut checkpoints = self.checkpoints()?;
        let (witnessed, seen) =
            crate::witness::read_all(&self.dir.join(crate::WITNESS_FILE), witnesses);
        for cp in witnessed {
            if !checkpoints.contains(&cp) {
                checkpoints.push(cp);
            }
        }
        let mut sealed = 0u64;
        let mut checked = 0usize;
        let mut latest: Option<&Checkpoint> = None;
        for cp in &checkpoints {
            checked += 1;
            if !cp.verify(key) {
                push(Problem {
                    kind: ProblemKind::BadCheckpoint,
                    seq: cp.seq,
                    message: format!(
                        "the checkpoint of record {} is not signed by the log's key",
                        cp.seq
                    ),
                });
                continue;
            }
            if latest.is_none_or(|l| cp.seq > l.seq) {
                latest = Some(cp);
            }
            match hashes.get(&cp.seq) {
                Some(h) if hex::encode(h) == cp.hash => sealed = sealed.max(cp.seq),
                Some(_) => push(Problem {
                    kind: ProblemKind::Rewritten,
                    seq: cp.seq,
                    message: format!(
                        "record {} is not the one signed at {}: the chain up to it was rewritten",
                        cp.seq,
                        crate::format_time(cp.time)
                    ),
                }),
                // Missing inside the chain: already reported as deleted; past the end: truncation.
                None => {}
            }
        }
        if let Some(cp) = latest.filter(|cp| cp.seq > head) {
            push(Problem {
                kind: ProblemKind::Truncated,
                seq: head + 1,
                message: format!(
                    "the log was truncated: it ends at record {head}, but a checkpoint signed at {} covers records up to {}; records {} to {} are gone",
                    crate::format_time(cp.time),
                    cp.seq,
                    head + 1,
                    cp.seq
                ),
            });
        }
        let mut warnings = Vec::new();
        if checked == 0 && records > 0 {
            warnings.push(
                "no checkpoint: truncation cannot be detected until the daemon signs one"
                    .to_string(),
            );
        } else if head > sealed {
            warnings.push(format!(
                "records {} to {head} are after the latest checkpoint (not yet sealed by a signature)",
                sealed + 1
            ));
        }
        if seen.is_empty() && checked > 0 {
            warnings.push(
                "no witness was readable (witness.log, syslog): a cut of the database and the checkpoint file together would not be seen"
                    .to_string(),
            );
        }
        problems.sort_by_key(|p| p.seq);
        Ok(VerifyReport {
            records,
            head,
            checkpoints: checked,
            sealed,
            problems,
            warnings,
            witnesses: seen,
        })
    }
}
