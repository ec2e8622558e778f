//! What a watched file is (its observed state) and the pin store: the approved state of every
//! watched file, and its content for restoring, in the monitor's state directory.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ConfigError;

/// Largest file whose content is pinned (Claude Code's `~/.claude.json` grows with history).
pub(crate) const MAX_PINNED: u64 = 16 * 1024 * 1024;

/// A file's state as the monitor sees it, without following symlinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Observed {
    /// No file.
    Absent,
    /// A regular file.
    File {
        /// sha256 of its bytes.
        sha256: String,
        /// Its size.
        size: u64,
        /// Its owner.
        uid: u32,
        /// Its group.
        gid: u32,
        /// Its permission bits.
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// Where it points.
        target: String,
        /// Its owner.
        uid: u32,
    },
    /// A directory, a socket, a fifo, or a file too large to pin.
    Other {
        /// What it is.
        what: String,
    },
    /// It could not be read.
    Unreadable {
        /// Why.
        error: String,
    },
}

impl Observed {
    /// The content hash, for regular files.
    pub(crate) fn sha256(&self) -> Option<&str> {
        match self {
            Observed::File { sha256, .. } => Some(sha256),
            _ => None,
        }
    }

    /// A short word for the state.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Observed::Absent => "absent",
            Observed::File { .. } => "file",
            Observed::Symlink { .. } => "symlink",
            Observed::Other { .. } => "other",
            Observed::Unreadable { .. } => "unreadable",
        }
    }
}

/// Look at a path (never following a symlink); the content of a regular file comes with it.
/// Reads with `CAP_DAC_READ_SEARCH` when the monitor holds it (a home of mode 0700).
pub(crate) fn observe(path: &Path) -> (Observed, Option<Vec<u8>>) {
    crate::caps::with_read_search(|| observe_now(path))
}

fn observe_now(path: &Path) -> (Observed, Option<Vec<u8>>) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Observed::Absent, None),
        Err(e) => {
            let error = e.to_string();
            return (Observed::Unreadable { error }, None);
        }
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        return (
            Observed::Symlink {
                target,
                uid: meta.uid(),
            },
            None,
        );
    }
    if !ft.is_file() {
        let what = if ft.is_dir() {
            "directory"
        } else {
            "special file"
        };
        return (Observed::Other { what: what.into() }, None);
    }
    if meta.len() > MAX_PINNED {
        let what = format!("a file of {} bytes (over the pinning limit)", meta.len());
        return (Observed::Other { what }, None);
    }
    let mut bytes = Vec::new();
    let read = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .and_then(|f| f.take(MAX_PINNED + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        let error = e.to_string();
        return (Observed::Unreadable { error }, None);
    }
    let observed = Observed::File {
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        uid: meta.uid(),
        gid: meta.gid(),
        mode: meta.permissions().mode() & 0o7777,
    };
    (observed, Some(bytes))
}

/// One pinned file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pin {
    /// The approved state.
    pub(crate) observed: Observed,
    /// When it was pinned (RFC 3339).
    pub(crate) pinned_at: String,
    /// Who pinned it: `first-use`, or the uid that approved.
    pub(crate) by: String,
}

/// The pins and their contents: `<state>/config-pins/pins.json` and `blobs/<sha256>`.
pub(crate) struct PinStore {
    dir: PathBuf,
    pins: BTreeMap<PathBuf, Pin>,
}

/// The pin store's directory in the state directory.
pub(crate) const PIN_DIR: &str = "config-pins";

fn io(what: String) -> impl FnOnce(std::io::Error) -> ConfigError {
    move |source| ConfigError::Io { what, source }
}

impl PinStore {
    /// Open (or create, mode 0700) the store in the state directory.
    pub(crate) fn open(state_dir: &Path) -> Result<PinStore, ConfigError> {
        let dir = state_dir.join(PIN_DIR);
        let blobs = dir.join("blobs");
        std::fs::create_dir_all(&blobs)
            .map_err(io(format!("cannot create `{}`", blobs.display())))?;
        for d in [&dir, &blobs] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
                .map_err(io(format!("cannot set the mode of `{}`", d.display())))?;
        }
        let file = dir.join("pins.json");
        let pins = match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| ConfigError::Store {
                path: file.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io(format!("cannot read `{}`", file.display()))(e)),
        };
        Ok(PinStore { dir, pins })
    }

    /// The pin of a path.
    pub(crate) fn get(&self, path: &Path) -> Option<&Pin> {
        self.pins.get(path)
    }

    /// Every pin.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&PathBuf, &Pin)> {
        self.pins.iter()
    }

    /// Pin a state (its content kept for restoring); call [`Self::save`] after a batch.
    pub(crate) fn pin(
        &mut self,
        path: &Path,
        observed: Observed,
        content: Option<&[u8]>,
        by: &str,
    ) -> Result<(), ConfigError> {
        if let (Some(sha), Some(bytes)) = (observed.sha256(), content) {
            let blob = self.dir.join("blobs").join(sha);
            if !blob.exists() {
                write_atomic(&blob, bytes, 0o600)?;
            }
        }
        let pin = Pin {
            observed,
            pinned_at: warden_audit::format_time(warden_audit::now_ms()),
            by: by.to_string(),
        };
        self.pins.insert(path.to_path_buf(), pin);
        Ok(())
    }

    /// The pinned content of a regular file.
    pub(crate) fn content(&self, sha256: &str) -> Result<Vec<u8>, ConfigError> {
        let blob = self.dir.join("blobs").join(sha256);
        let bytes = std::fs::read(&blob).map_err(io(format!(
            "the pinned content `{}` is gone",
            blob.display()
        )))?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(ConfigError::Store {
                path: blob,
                message: "the pinned content does not match its hash".into(),
            });
        }
        Ok(bytes)
    }

    /// Write the pins durably, and drop contents no pin refers to.
    pub(crate) fn save(&self) -> Result<(), ConfigError> {
        let text = serde_json::to_vec_pretty(&self.pins).map_err(|e| ConfigError::Store {
            path: self.dir.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join("pins.json"), &text, 0o600)?;
        let used: std::collections::BTreeSet<&str> = self
            .pins
            .values()
            .filter_map(|p| p.observed.sha256())
            .collect();
        if let Ok(entries) = std::fs::read_dir(self.dir.join("blobs")) {
            for e in entries.flatten() {
                let name = e.file_name();
                if !used.contains(name.to_string_lossy().as_ref()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }
}

/// Write a file by a temporary file in the same directory and a rename, with a mode.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ConfigError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.warden-{}.tmp", std::process::id()));
    let what = format!("cannot write `{}`", path.display());
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io(what))
}

/// Put the pinned state back: the content with its mode (and owner, when the monitor may set
/// it), written to a temporary file and renamed over whatever is there now (a symlink is
/// replaced, never followed); an absent pin removes the file.
pub(crate) fn restore_one(
    store: &PinStore,
    path: &Path,
    pinned: &Observed,
) -> Result<(), ConfigError> {
    match pinned {
        Observed::File {
            sha256,
            uid,
            gid,
            mode,
            ..
        } => {
            let bytes = store.content(sha256)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io {
                    what: format!("cannot create `{}`", dir.display()),
                    source,
                })?;
            }
            write_atomic(path, &bytes, *mode)?;
            let (cur_uid, cur_gid) = match observe(path).0 {
                Observed::File { uid, gid, .. } => (uid, gid),
                _ => (*uid, *gid),
            };
            if (cur_uid, cur_gid) != (*uid, *gid) {
                std::os::unix::fs::lchown(path, Some(*uid), Some(*gid)).map_err(|source| {
                    ConfigError::Io {
                        what: format!("cannot give `{}` back to uid {uid}", path.display()),
                        source,
                    }
                })?;
            }
            Ok(())
        }
        Observed::Absent => match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => Err(ConfigError::Refused(format!(
                "`{}` is now a directory; not removed",
                path.display()
            ))),
            Ok(_) => std::fs::remove_file(path).map_err(|source| ConfigError::Io {
                what: format!("cannot remove `{}`", path.display()),
                source,
            }),
            Err(_) => Ok(()),
        },
        Observed::Symlink { target, .. } => {
            let tmp = path.with_extension("warden-restore-link");
            let _ = std::fs::remove_file(&tmp);
            std::os::unix::fs::symlink(target, &tmp)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|source| ConfigError::Io {
                    what: format!("cannot restore the symlink `{}`", path.display()),
                    source,
                })
        }
        Observed::Other { what } | Observed::Unreadable { error: what } => Err(
            ConfigError::Refused(format!("the pinned state ({what}) cannot be written back")),
        ),
    }
}
