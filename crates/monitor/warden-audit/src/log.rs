//! The log itself: opening the database, batched appends, signed checkpoints, read-only access.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::record::{chain_hash, NewRecord, Record, GENESIS};
use crate::{key, now_ms, AuditError};

/// The database file in the state directory.
pub const DB_FILE: &str = "audit.db";
/// The copy of every checkpoint outside the database (JSON lines), so cutting records and
/// checkpoints out of the database together is still seen.
pub const CHECKPOINT_FILE: &str = "checkpoints.jsonl";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    session TEXT,
    body TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_session ON records(session, seq);
CREATE INDEX IF NOT EXISTS records_time ON records(time);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL,
    time INTEGER NOT NULL,
    signature BLOB NOT NULL
);
";

/// The head of the chain: the last record's number and hash (0 and [`GENESIS`] when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last record's sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// A signed statement that the chain had `hash` at record `seq` at `time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The record the checkpoint covers (and every one before it).
    pub seq: u64,
    /// That record's hash, hex.
    pub hash: String,
    /// When it was signed, in milliseconds since the epoch.
    pub time: i64,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The bytes that are signed.
    pub fn message(seq: u64, hash: &[u8], time: i64) -> Vec<u8> {
        let mut m = b"warden-audit-checkpoint-v1\0".to_vec();
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&time.to_be_bytes());
        m
    }

    /// Whether the signature is `key`'s.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let (Ok(hash), Ok(sig)) = (hex::decode(&self.hash), hex::decode(&self.signature)) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&sig) else {
            return false;
        };
        key.verify(&Self::message(self.seq, &hash, self.time), &sig)
            .is_ok()
    }
}

/// The writable log. One writer per database: the daemon owns it on one thread.
pub struct AuditLog {
    conn: Connection,
    dir: PathBuf,
    key: SigningKey,
    head: Head,
    last_checkpoint: u64,
    /// The database file's device and inode when opened: a file deleted or replaced under the
    /// log is noticed before anything more is acknowledged.
    identity: Option<(u64, u64)>,
    /// Where checkpoints are also written, outside the database and the checkpoint file.
    witness: crate::witness::Witness,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signing key is never printed.
        f.debug_struct("AuditLog")
            .field("dir", &self.dir)
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// Create `dir` if needed and make it private to its owner (0700).
pub(crate) fn private_dir(dir: &Path) -> Result<(), AuditError> {
    std::fs::create_dir_all(dir).map_err(|e| AuditError::io(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| AuditError::io(dir, e))
}

impl AuditLog {
    /// Open (or create) the log in the state directory `dir`, with its signing key.
    pub fn open(dir: &Path) -> Result<Self, AuditError> {
        private_dir(dir)?;
        let key = key::load_or_create_key(dir)?;
        let path = dir.join(DB_FILE);
        // Create the file with owner-only permissions before SQLite opens it.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| AuditError::io(&path, e))?;
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit returns only once the WAL is fsynced; that is what "durable" means.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let head = read_head(&conn)?;
        let last_checkpoint = conn
            .query_row("SELECT MAX(seq) FROM checkpoints", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .map_or(0, |s| u64::try_from(s).unwrap_or(0));
        let identity = file_identity(&path);
        Ok(AuditLog {
            conn,
            dir: dir.to_path_buf(),
            key,
            head,
            last_checkpoint,
            identity,
            witness: crate::witness::Witness::new(dir),
        })
    }

    /// Send every checkpoint also to `witness` (replacing the default: the append-only
    /// `witness.log` in the state directory, and syslog where it runs).
    pub fn set_witness(&mut self, witness: crate::witness::Witness) {
        self.witness = witness;
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The witness checkpoints go to.
    pub fn witness(&self) -> &crate::witness::Witness {
        &self.witness
    }

    /// Whether the database file is still the one this log opened. An error when it was deleted,
    /// renamed or replaced: what is written now would be lost with the open file.
    pub fn check_store(&self) -> Result<(), AuditError> {
        let path = self.dir.join(DB_FILE);
        match (self.identity, file_identity(&path)) {
            (Some(a), Some(b)) if a == b => Ok(()),
            (_, None) => Err(AuditError::StoreGone {
                path,
                what: "was deleted".into(),
            }),
            _ => Err(AuditError::StoreGone {
                path,
                what: "was replaced by another file".into(),
            }),
        }
    }

    /// Copy everything the open database holds (through the open connection, so a deleted file
    /// is still read whole) into a new file `to`.
    pub fn rescue(&self, to: &Path) -> Result<(), AuditError> {
        if let Some(dir) = to.parent() {
            private_dir(dir)?;
        }
        self.conn
            .execute("VACUUM INTO ?1", [to.display().to_string()])?;
        Ok(())
    }

    /// The chain head.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The public half of the signing key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The database, for reads by the owner of the log.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Append records in one transaction (one fsync); returns their sequence numbers.
    pub fn append(&mut self, records: &[NewRecord]) -> Result<Vec<u64>, AuditError> {
        self.append_with(records, |_, _| Ok(()))
            .map(|(seqs, ())| seqs)
    }

    /// Append records and run `extra` writes (state the records describe) in the same
    /// transaction: both are durable, or neither is.
    pub fn append_with<T>(
        &mut self,
        records: &[NewRecord],
        extra: impl FnOnce(&Transaction<'_>, &[u64]) -> rusqlite::Result<T>,
    ) -> Result<(Vec<u64>, T), AuditError> {
        let tx = self.conn.transaction()?;
        let mut head = self.head;
        let mut seqs = Vec::with_capacity(records.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO records (seq, time, kind, session, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let time = now_ms();
            for r in records {
                let seq = head.seq + 1;
                let kind = r.kind.as_str();
                let hash = chain_hash(seq, time, kind, r.session.as_deref(), &r.body, &head.hash);
                stmt.execute(params![
                    seq as i64,
                    time,
                    kind,
                    r.session,
                    r.body,
                    &head.hash[..],
                    &hash[..]
                ])?;
                head = Head { seq, hash };
                seqs.push(seq);
            }
        }
        let out = extra(&tx, &seqs)?;
        tx.commit()?;
        self.head = head;
        Ok((seqs, out))
    }

    /// Sign the chain head, store the checkpoint in the database and in the checkpoint file.
    /// Returns `None` when nothing was appended since the last checkpoint.
    pub fn checkpoint(&mut self) -> Result<Option<Checkpoint>, AuditError> {
        if self.head.seq == 0 || self.head.seq == self.last_checkpoint {
            return Ok(None);
        }
        let time = now_ms();
        let sig = self
            .key
            .sign(&Checkpoint::message(self.head.seq, &self.head.hash, time));
        let cp = Checkpoint {
            seq: self.head.seq,
            hash: hex::encode(self.head.hash),
            time,
            signature: hex::encode(sig.to_bytes()),
        };
        self.conn.execute(
            "INSERT INTO checkpoints (seq, hash, time, signature) VALUES (?1, ?2, ?3, ?4)",
            params![
                cp.seq as i64,
                &self.head.hash[..],
                time,
                &sig.to_bytes()[..]
            ],
        )?;
        let path = self.dir.join(CHECKPOINT_FILE);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| AuditError::io(&path, e))?;
        let line = serde_json::to_string(&cp)? + "\n";
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_data())
            .map_err(|e| AuditError::io(&path, e))?;
        self.witness.record(&cp)?;
        self.last_checkpoint = cp.seq;
        Ok(Some(cp))
    }
}

/// A file's device and inode.
pub(crate) fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn read_head(conn: &Connection) -> Result<Head, AuditError> {
    let row = conn
        .query_row(
            "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((seq, hash)) => Head {
            seq: u64::try_from(seq).unwrap_or(0),
            hash: hash.try_into().unwrap_or(GENESIS),
        },
        None => Head {
            seq: 0,
            hash: GENESIS,
        },
    })
}

/// Read access to a log (verification, queries, export) while the daemon may be writing.
#[derive(Debug)]
pub struct AuditReader {
    pub(crate) conn: Connection,
    pub(crate) dir: PathBuf,
}

impl AuditReader {
    /// Open the log in `dir` for reading. The database must exist.
    pub fn open(dir: &Path) -> Result<Self, AuditError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(AuditError::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no audit log here"),
            ));
        }
        // Read-write without create, so a WAL left by a killed daemon is recovered; nothing is written.
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .or_else(|_| Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(AuditReader {
            conn,
            dir: dir.to_path_buf(),
        })
    }

    /// The database.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The record numbered `seq`.
    pub fn get(&self, seq: u64) -> Result<Option<Record>, AuditError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, time, kind, session, body, prev_hash, hash FROM records WHERE seq = ?1",
                [seq as i64],
                row_to_record,
            )
            .optional()?)
    }

    /// Every checkpoint, from the database and the checkpoint file (duplicates removed).
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, AuditError> {
        let mut out: Vec<Checkpoint> = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, hash, time, signature FROM checkpoints ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(Checkpoint {
                seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                hash: hex::encode(r.get::<_, Vec<u8>>(1)?),
                time: r.get(2)?,
                signature: hex::encode(r.get::<_, Vec<u8>>(3)?),
            })
        })?;
        for cp in rows {
            out.push(cp?);
        }
        let path = self.dir.join(CHECKPOINT_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                // A torn last line (crash mid-write) is skipped; its database copy remains.
                if let Ok(cp) = serde_json::from_str::<Checkpoint>(line) {
                    if !out.contains(&cp) {
                        out.push(cp);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A row of `records` as a [`Record`].
pub(crate) fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        time: r.get(1)?,
        kind: r.get(2)?,
        session: r.get(3)?,
        body: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
    })
}
