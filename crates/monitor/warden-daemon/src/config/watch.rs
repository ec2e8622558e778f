//! The watcher: `notify` on the parent directory of every watched file (editors replace files
//! by rename) and on every skills directory, feeding a thread of its own that lets a burst of
//! events settle, then examines the touched paths. Hook decisions never wait for it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::Watcher;

use super::ConfigError;
use crate::daemon::Daemon;

/// Quiet time after the last event before a burst is examined.
const SETTLE: Duration = Duration::from_millis(60);
/// Longest a burst is held before it is examined anyway (rapid edits cannot starve it).
const MAX_HOLD: Duration = Duration::from_millis(300);

/// What the watcher's thread is told.
#[derive(Debug)]
pub(crate) enum Note {
    /// Something happened to these paths.
    Paths(Vec<PathBuf>),
    /// Events were lost (the kernel's queue overflowed): look at everything.
    Rescan,
    /// A workspace was seen: watch its project files.
    Workspace(PathBuf),
    /// The watcher failed.
    Error(String),
}

/// The running watcher; dropping it stops the thread acting (the monitor is stopping).
pub(crate) struct ConfigWatch {
    stop: Arc<AtomicBool>,
    _thread: std::thread::JoinHandle<()>,
}

impl Drop for ConfigWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Start watching: the watcher first (so nothing between the scan and the watch is missed),
/// then pin on first use and examine every file (changes made while the monitor was down),
/// then the thread. A watcher that cannot be created stops the monitor's start.
pub(crate) async fn start(d: Arc<Daemon>) -> Result<Option<ConfigWatch>, ConfigError> {
    let Some(guard) = d.guard.as_ref() else {
        return Ok(None);
    };
    let (tx, rx) = channel::<Note>();
    let events = tx.clone();
    // The watcher's own thread (inotify) starts with CAP_DAC_READ_SEARCH when the monitor holds
    // it, so it can watch a home of mode 0700 (see `crate::caps`).
    let mut watcher = crate::caps::with_read_search(|| {
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let note = match res {
                Ok(ev) if ev.need_rescan() => Note::Rescan,
                // Reading a file (opening, listing, closing unwritten) changes nothing; closing a
                // file opened for writing is kept.
                Ok(ev) if matches!(ev.kind, notify::EventKind::Access(a) if a != notify::event::AccessKind::Close(notify::event::AccessMode::Write)) => {
                    return
                }
                Ok(ev) => Note::Paths(ev.paths),
                Err(e) => Note::Error(e.to_string()),
            };
            let _ = events.send(note);
        })
    })?;
    add_dirs(guard, &mut watcher);
    let paths = guard.start()?;
    d.examine_paths(&paths, "start").await;
    *guard
        .new_workspaces
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(tx);
    let handle = tokio::runtime::Handle::current();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::Builder::new()
        .name("warden-config-watch".into())
        .spawn(move || run(&d, &handle, watcher, &rx, &stopped))
        .map_err(|source| ConfigError::Io {
            what: "cannot start the configuration watcher's thread".into(),
            source,
        })?;
    Ok(Some(ConfigWatch {
        stop,
        _thread: thread,
    }))
}

fn add_dirs(guard: &super::ConfigGuard, watcher: &mut notify::RecommendedWatcher) {
    for dir in guard.unwatched_dirs() {
        let r = watcher
            .watch(&dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| e.to_string());
        if let Err(e) = &r {
            tracing::error!(dir = %dir.display(), error = %e, "configuration directory not watched");
        }
        guard.watching(&dir, r);
    }
}

fn run(
    d: &Arc<Daemon>,
    rt: &tokio::runtime::Handle,
    mut watcher: notify::RecommendedWatcher,
    rx: &Receiver<Note>,
    stop: &AtomicBool,
) {
    let Some(guard) = d.guard.as_ref() else {
        return;
    };
    while let Ok(first) = rx.recv() {
        let mut touched = BTreeSet::new();
        let mut workspaces = Vec::new();
        let mut rescan = false;
        let started = Instant::now();
        let mut note = Some(first);
        while let Some(n) = note.take() {
            match n {
                Note::Paths(p) => touched.extend(p),
                Note::Rescan => rescan = true,
                Note::Workspace(w) => workspaces.push(w),
                Note::Error(e) => {
                    tracing::error!(error = %e, "configuration watcher error");
                }
            }
            let left = MAX_HOLD.saturating_sub(started.elapsed());
            match rx.recv_timeout(SETTLE.min(left)) {
                Ok(n) => note = Some(n),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let mut paths = if rescan {
            tracing::warn!("configuration events were lost: every watched file is examined");
            guard.all_paths()
        } else {
            guard.expand(&touched)
        };
        for w in workspaces {
            match guard.add_workspace(&w) {
                Ok(p) => paths.extend(p),
                Err(e) => {
                    tracing::error!(workspace = %w.display(), error = %e, "cannot pin a workspace's configuration")
                }
            }
        }
        // New directories (a `.claude` created, a skill installed) are watched from now on.
        add_dirs(guard, &mut watcher);
        paths.sort();
        paths.dedup();
        if !paths.is_empty() {
            rt.block_on(d.examine_paths(&paths, "watch"));
        }
    }
}
