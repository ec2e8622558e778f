//! The audit writer: one thread owns the log, batches whatever is queued into one transaction
//! (one fsync), and only then acknowledges each request. Also signs checkpoints on a timer.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use warden_audit::rusqlite::{params, Transaction};
use warden_audit::{AuditLog, NewRecord};

use crate::DaemonError;

/// Tables of the daemon's own state, in the audit database so that a state change and the
/// record describing it commit together.
pub(crate) const STATE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    session TEXT,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    scope TEXT,
    expires INTEGER,
    answered INTEGER,
    request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    session TEXT,
    expires INTEGER,
    approval TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS halts (
    session TEXT PRIMARY KEY,
    time INTEGER NOT NULL
);
";

/// A state change written with the records that describe it.
#[derive(Debug, Clone)]
pub(crate) enum StateOp {
    /// A new pending approval.
    Approval {
        id: String,
        created: i64,
        session: Option<String>,
        fingerprint: String,
        request: String,
    },
    /// An approval answered (or expired).
    Answered {
        id: String,
        status: &'static str,
        scope: Option<&'static str>,
        expires: Option<i64>,
        time: i64,
    },
    /// A persisted grant.
    Grant {
        id: String,
        fingerprint: String,
        session: Option<String>,
        expires: Option<i64>,
        approval: String,
        created: i64,
    },
    /// A session halted (`*` for all).
    Halt { session: String, time: i64 },
    /// A halt lifted (`None`: all).
    Resume { session: Option<String> },
}

fn apply(tx: &Transaction<'_>, op: &StateOp) -> warden_audit::rusqlite::Result<()> {
    match op {
        StateOp::Approval {
            id,
            created,
            session,
            fingerprint,
            request,
        } => tx
            .execute(
                "INSERT INTO approvals (id, created, session, fingerprint, status, request) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
                params![id, created, session, fingerprint, request],
            )
            .map(drop),
        StateOp::Answered {
            id,
            status,
            scope,
            expires,
            time,
        } => tx
            .execute(
                "UPDATE approvals SET status = ?2, scope = ?3, expires = ?4, answered = ?5 WHERE id = ?1",
                params![id, status, scope, expires, time],
            )
            .map(drop),
        StateOp::Grant {
            id,
            fingerprint,
            session,
            expires,
            approval,
            created,
        } => tx
            .execute(
                "INSERT INTO grants (id, fingerprint, session, expires, approval, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, fingerprint, session, expires, approval, created],
            )
            .map(drop),
        StateOp::Halt { session, time } => tx
            .execute("INSERT OR REPLACE INTO halts (session, time) VALUES (?1, ?2)", params![session, time])
            .map(drop),
        StateOp::Resume { session: Some(s) } => tx.execute("DELETE FROM halts WHERE session = ?1", params![s]).map(drop),
        StateOp::Resume { session: None } => tx.execute("DELETE FROM halts", []).map(drop),
    }
}

/// The result of a write: the records' sequence numbers once durable.
pub(crate) type Ack = Result<Vec<u64>, String>;

struct Job {
    records: Vec<NewRecord>,
    ops: Vec<StateOp>,
    ack: oneshot::Sender<Ack>,
}

enum Msg {
    Job(Job),
    Shutdown(oneshot::Sender<Ack>),
}

/// The handle the daemon appends through.
pub(crate) struct Writer {
    tx: Mutex<Option<Sender<Msg>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// At most this many requests go into one transaction.
const MAX_BATCH: usize = 8192;

impl Writer {
    /// Start the writer thread over `log`.
    pub(crate) fn start(log: AuditLog, checkpoint_every: Duration) -> Result<Writer, DaemonError> {
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let thread = std::thread::Builder::new()
            .name("warden-audit".into())
            .spawn(move || run(log, &rx, checkpoint_every))
            .map_err(|e| DaemonError::Io("cannot start the audit writer".into(), e))?;
        Ok(Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn sender(&self) -> Option<Sender<Msg>> {
        self.tx.lock().ok().and_then(|g| g.clone())
    }

    /// Append `records` and apply `ops` in one durable transaction; resolves once on disk.
    pub(crate) async fn write(&self, records: Vec<NewRecord>, ops: Vec<StateOp>) -> Ack {
        let (ack, rx) = oneshot::channel();
        let Some(tx) = self.sender() else {
            return Err("the audit writer has stopped".into());
        };
        tx.send(Msg::Job(Job { records, ops, ack }))
            .map_err(|_| "the audit writer has stopped".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the audit writer has stopped".into()))
    }

    /// Sign a final checkpoint and stop the thread; later writes fail.
    pub(crate) async fn shutdown(&self) -> Ack {
        let (ack, rx) = oneshot::channel();
        let tx = self.tx.lock().ok().and_then(|mut g| g.take());
        let Some(tx) = tx else {
            return Err("already stopped".into());
        };
        if tx.send(Msg::Shutdown(ack)).is_err() {
            return Err("the audit writer has stopped".into());
        }
        drop(tx);
        let out = rx
            .await
            .unwrap_or_else(|_| Err("the audit writer has stopped".into()));
        let handle = self.thread.lock().ok().and_then(|mut g| g.take());
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        out
    }
}

fn run(mut log: AuditLog, rx: &Receiver<Msg>, every: Duration) {
    let mut last_cp = Instant::now();
    // Set once the store is gone: from then on nothing is acknowledged (hooks block).
    let mut broken: Option<String> = None;
    loop {
        let wait = every.saturating_sub(last_cp.elapsed());
        let first = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                checkpoint(&mut log);
                last_cp = Instant::now();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                checkpoint(&mut log);
                return;
            }
        };
        let mut jobs = Vec::new();
        let mut shutdown = None;
        match first {
            Msg::Job(j) => jobs.push(j),
            Msg::Shutdown(a) => shutdown = Some(a),
        }
        while shutdown.is_none() && jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => jobs.push(j),
                Ok(Msg::Shutdown(a)) => shutdown = Some(a),
                Err(_) => break,
            }
        }
        match &broken {
            Some(why) => refuse(jobs, why),
            None => broken = commit(&mut log, jobs),
        }
        if broken.is_none() && last_cp.elapsed() >= every {
            checkpoint(&mut log);
            last_cp = Instant::now();
        }
        if let Some(ack) = shutdown {
            // Whatever is still queued was sent before the shutdown: write it too.
            let rest: Vec<Job> = rx
                .try_iter()
                .filter_map(|m| match m {
                    Msg::Job(j) => Some(j),
                    Msg::Shutdown(_) => None,
                })
                .collect();
            if let Some(why) = &broken {
                refuse(rest, why);
                let _ = ack.send(Err(why.clone()));
                return;
            }
            let _ = commit(&mut log, rest);
            let r = log
                .checkpoint()
                .map(|cp| cp.map(|c| vec![c.seq]).unwrap_or_default());
            let _ = ack.send(r.map_err(|e| e.to_string()));
            return;
        }
    }
}

fn checkpoint(log: &mut AuditLog) {
    match log.checkpoint() {
        Ok(Some(cp)) => tracing::debug!(seq = cp.seq, "checkpoint signed"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "cannot sign a checkpoint"),
    }
}

fn refuse(jobs: Vec<Job>, why: &str) {
    for j in jobs {
        let _ = j.ack.send(Err(why.to_string()));
    }
}

/// The store was deleted or replaced under the monitor: copy what the open database holds into
/// a new file beside it (nothing acknowledged is lost), and say why nothing more is acknowledged.
fn store_lost(log: &AuditLog, e: &warden_audit::AuditError) -> String {
    let to = log
        .dir()
        .join(format!("audit.db.rescued-{}", warden_audit::now_ms()));
    let rescued = match log.rescue(&to) {
        Ok(()) => format!("its records were copied to `{}`", to.display()),
        Err(r) => format!("copying its records out failed too: {r}"),
    };
    let why = format!("{e}; {rescued}; restart the monitor to continue");
    tracing::error!(error = %why, "audit store lost: every request is refused from now on");
    why
}

/// Write every job in one transaction; if that fails, each on its own so one bad job cannot
/// fail the others. Acknowledge only after the commit returned and the store is still the file
/// the log opened. Returns why the store is unusable, when it is.
fn commit(log: &mut AuditLog, jobs: Vec<Job>) -> Option<String> {
    if jobs.is_empty() {
        return None;
    }
    let records: Vec<NewRecord> = jobs
        .iter()
        .flat_map(|j| j.records.iter().cloned())
        .collect();
    let result = log.append_with(&records, |tx, _| {
        for j in &jobs {
            for op in &j.ops {
                apply(tx, op)?;
            }
        }
        Ok(())
    });
    if let Err(e) = log.check_store() {
        let why = store_lost(log, &e);
        refuse(jobs, &why);
        return Some(why);
    }
    match result {
        Ok((seqs, ())) => {
            let mut rest = seqs.as_slice();
            for j in jobs {
                let (mine, tail) = rest.split_at(j.records.len().min(rest.len()));
                rest = tail;
                let _ = j.ack.send(Ok(mine.to_vec()));
            }
        }
        Err(e) if jobs.len() > 1 => {
            tracing::warn!(error = %e, jobs = jobs.len(), "batch failed; writing its requests one by one");
            for j in jobs {
                if let Some(why) = commit(log, vec![j]) {
                    return Some(why);
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "audit append failed");
            for j in jobs {
                let _ = j
                    .ack
                    .send(Err(format!("the audit log could not record this: {e}")));
            }
        }
    }
    None
}
