//! Witnesses: every signed checkpoint also goes somewhere that cutting the database and the
//! checkpoint file does not reach. `witness.log` is opened append-only and, in the protected
//! deployment, carries the kernel's append-only attribute (set by root at install: not even the
//! monitor's own user can truncate it); syslog, where a daemon listens on `/dev/log`, keeps a copy
//! the agent's user cannot rewrite. `verify` holds the log against every witness it can read.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::log::Checkpoint;
use crate::AuditError;

/// The witness file's name in the state directory.
pub const WITNESS_FILE: &str = "witness.log";

/// The tag witness lines carry (in the file and in syslog), followed by the checkpoint's JSON.
const TAG: &str = "warden-audit-checkpoint ";

/// Where checkpoints are witnessed.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The append-only file.
    pub file: PathBuf,
    /// The syslog socket, when one exists.
    pub syslog: Option<PathBuf>,
}

impl Witness {
    /// The default witnesses for a state directory: `witness.log` in it, syslog if `/dev/log`
    /// exists.
    pub fn new(dir: &Path) -> Self {
        let syslog = Path::new("/dev/log");
        Witness {
            file: dir.join(WITNESS_FILE),
            syslog: syslog.exists().then(|| syslog.to_path_buf()),
        }
    }

    /// Write `cp` to every witness. The file must take it (an error otherwise); syslog is best
    /// effort (a datagram socket with nobody reading is not an error worth stopping for).
    pub fn record(&self, cp: &Checkpoint) -> Result<(), AuditError> {
        let line = format!("{TAG}{}\n", serde_json::to_string(cp)?);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.file)
            .map_err(|e| AuditError::io(&self.file, e))?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_data())
            .map_err(|e| AuditError::io(&self.file, e))?;
        if let Some(sock) = &self.syslog {
            // facility auth (4), severity notice (5): <37>.
            let msg = format!("<37>warden-audit: {}", line.trim_end());
            if let Ok(s) = std::os::unix::net::UnixDatagram::unbound() {
                let _ = s.send_to(msg.as_bytes(), sock);
            }
        }
        Ok(())
    }

    /// Whether the witness file carries the kernel's append-only attribute.
    pub fn append_only(&self) -> bool {
        std::fs::File::open(&self.file)
            .ok()
            .and_then(|f| rustix::fs::ioctl_getflags(&f).ok())
            .is_some_and(|fl| fl.contains(rustix::fs::IFlags::APPEND))
    }
}

/// Give `path` (created if missing, mode 0600) the kernel's append-only attribute: from then on
/// it can only be appended to, by anyone, until root removes the attribute. Needs root
/// (`CAP_LINUX_IMMUTABLE`) and a filesystem that supports it.
pub fn make_append_only(path: &Path) -> Result<(), AuditError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuditError::io(path, e))?;
    let flags = rustix::fs::ioctl_getflags(&f).map_err(|e| AuditError::io(path, e.into()))?;
    rustix::fs::ioctl_setflags(&f, flags | rustix::fs::IFlags::APPEND)
        .map_err(|e| AuditError::io(path, e.into()))
}

/// Every checkpoint in a witness text (the witness file, or a syslog file: any line with the tag).
pub fn parse(text: &str) -> Vec<Checkpoint> {
    text.lines()
        .filter_map(|l| l.find(TAG).map(|i| &l[i + TAG.len()..]))
        .filter_map(|j| serde_json::from_str::<Checkpoint>(j.trim()).ok())
        .collect()
}

/// The checkpoints every readable witness holds: the witness file, the given extra files, and
/// the usual syslog files.
pub fn read_all(file: &Path, extra: &[PathBuf]) -> (Vec<Checkpoint>, Vec<String>) {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let syslogs = ["/var/log/syslog", "/var/log/messages", "/var/log/auth.log"];
    let candidates = std::iter::once(file.to_path_buf())
        .chain(extra.iter().cloned())
        .chain(syslogs.iter().map(PathBuf::from));
    for p in candidates {
        if let Ok(text) = std::fs::read_to_string(&p) {
            let cps = parse(&text);
            if !cps.is_empty() {
                seen.push(format!("{} ({} checkpoints)", p.display(), cps.len()));
            }
            out.extend(cps);
        }
    }
    (out, seen)
}
