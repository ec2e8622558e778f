//! The state directory's exclusive lock: taken before anything touches the database, held for
//! the monitor's lifetime. A second monitor on the same directory refuses to start and changes
//! nothing (it would otherwise write records the running one does not know of, and the running
//! one would then fail every append).

use std::fs::File;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use rustix::fs::{flock, FlockOperation};

use crate::DaemonError;

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "monitor.lock";

/// An exclusive `flock` on `<state>/monitor.lock` and on the directory itself; released when
/// dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct StateLock {
    _dir: File,
    _file: File,
}

impl StateLock {
    /// Create the state directory if needed (0700) and lock it, without waiting.
    pub fn acquire(dir: &Path) -> Result<StateLock, DaemonError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| DaemonError::Io(format!("cannot create `{}`", dir.display()), e))?;
        let busy = || {
            DaemonError::Other(format!(
                "another Warden monitor holds the state directory `{}`; stop it first (nothing was changed)",
                dir.display()
            ))
        };
        // The directory itself: deleting or replacing the lock file cannot free it.
        let d = File::open(dir)
            .map_err(|e| DaemonError::Io(format!("cannot open `{}`", dir.display()), e))?;
        flock(&d, FlockOperation::NonBlockingLockExclusive).map_err(|_| busy())?;
        let path = dir.join(LOCK_FILE);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DaemonError::Io(format!("cannot open `{}`", path.display()), e))?;
        flock(&f, FlockOperation::NonBlockingLockExclusive).map_err(|_| busy())?;
        let _ = f.set_len(0);
        let _ = std::io::Write::write_all(&mut &f, format!("{}\n", std::process::id()).as_bytes());
        Ok(StateLock { _dir: d, _file: f })
    }
}
