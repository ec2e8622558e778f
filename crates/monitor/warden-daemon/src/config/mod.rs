//! Configuration integrity: the monitor pins the files that steer agents (settings at every
//! scope, instructions, MCP configs, skills and plugins, Codex and OpenClaw configs; see
//! [`table::LOCATIONS`]), watches them, and on a change it records, classifies and acts by the
//! policy's `config_integrity:` key (alert, ask, restore).
//!
//! Pins (hash, owner, mode, and the content for restoring) live in the monitor's state
//! directory. The hot path only reads a snapshot ([`ConfigGuard::facts`]); all file work runs
//! on the watcher's thread, at start, for `ConfigChange` events and for admin requests.

mod classify;
mod glue;
pub mod openclaw;
mod pins;
mod table;
pub(crate) mod watch;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use serde::Serialize;
use serde_json::{json, Value};
use warden_policy::{ConfigClass, ConfigIntegrity, IntegrityAction, SessionFacts};

use pins::{observe, restore_one, Observed, PinStore};
use table::Target;

/// Most workspaces whose project files are watched (an agent could report many fake ones).
const MAX_WORKSPACES: usize = 64;

/// What can go wrong with configuration integrity.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The pin store is damaged.
    #[error("the configuration pin store `{}` is damaged: {message}", path.display())]
    Store {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file watcher cannot run.
    #[error("configuration files cannot be watched: {0}")]
    Watch(#[from] notify::Error),
    /// A request that cannot be done, in words.
    #[error("{0}")]
    Refused(String),
}

/// An unapproved change held for a person (the class called for `ask`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Held {
    /// The pending approval, once recorded.
    pub(crate) approval: Option<String>,
    /// What the change touches.
    pub(crate) classes: Vec<ConfigClass>,
    /// The state held.
    pub(crate) observed: Observed,
    /// When it was seen.
    pub(crate) since: String,
}

/// A change the monitor found and what it did.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) path: PathBuf,
    /// `created`, `deleted`, `modified`, `replaced` (the file type changed) or `metadata`.
    pub(crate) change: &'static str,
    pub(crate) classes: Vec<ConfigClass>,
    pub(crate) details: Vec<String>,
    pub(crate) action: IntegrityAction,
    pub(crate) pinned: Observed,
    pub(crate) current: Observed,
    /// For `restore`: whether the pinned state was written back.
    pub(crate) restored: Option<Result<(), String>>,
    /// The approval of an earlier state of the same file, which this change replaces (a person
    /// must not approve a state they did not see).
    pub(crate) superseded: Option<String>,
}

impl Change {
    /// The audit body.
    pub(crate) fn body(&self, source: &str) -> Value {
        let classes: Vec<&str> = self.classes.iter().map(|c| c.as_str()).collect();
        let restored = self.restored.as_ref().map(|r| match r {
            Ok(()) => json!(true),
            Err(e) => json!({"failed": e}),
        });
        json!({
            "event": "config_integrity", "op": "changed", "source": source,
            "path": self.path, "change": self.change, "classes": classes,
            "action": self.action.as_str(), "details": self.details,
            "pinned": self.pinned, "current": self.current, "restored": restored,
        })
    }
}

/// A path written back: whether it worked, and the approval it held.
pub(crate) type Restored = (PathBuf, Result<(), String>, Option<String>);

/// What the hot path reads: the unapproved changes, as facts.
#[derive(Debug, Default)]
struct Tampered {
    classes: Vec<String>,
}

struct Inner {
    store: PinStore,
    workspaces: BTreeSet<PathBuf>,
    targets: Vec<Target>,
    held: BTreeMap<PathBuf, Held>,
    /// The last state handled per path and the action taken, so one state is acted on once.
    last: BTreeMap<PathBuf, (Observed, IntegrityAction)>,
    /// Directories that could not be watched, and why.
    errors: BTreeMap<PathBuf, String>,
    watched: BTreeSet<PathBuf>,
}

/// The monitor's configuration pins and what it knows of their files.
pub(crate) struct ConfigGuard {
    homes: Vec<PathBuf>,
    inner: Mutex<Inner>,
    tampered: ArcSwap<Tampered>,
    seen: Mutex<HashSet<PathBuf>>,
    new_workspaces: Mutex<Option<std::sync::mpsc::Sender<watch::Note>>>,
}

impl ConfigGuard {
    /// Open the pin store in the state directory for the agents' homes.
    pub(crate) fn open(state_dir: &Path, homes: Vec<PathBuf>) -> Result<ConfigGuard, ConfigError> {
        let store = PinStore::open(state_dir)?;
        let targets = table::targets(&homes, &[]);
        Ok(ConfigGuard {
            homes,
            inner: Mutex::new(Inner {
                store,
                workspaces: BTreeSet::new(),
                targets,
                held: BTreeMap::new(),
                last: BTreeMap::new(),
                errors: BTreeMap::new(),
                watched: BTreeSet::new(),
            }),
            tampered: ArcSwap::from_pointee(Tampered::default()),
            seen: Mutex::new(HashSet::new()),
            new_workspaces: Mutex::new(None),
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Every change to `Inner` is a single insert or remove: a panic leaves it usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The session facts of unapproved changes (hot path: one atomic load).
    pub(crate) fn facts(&self) -> SessionFacts {
        let t = self.tampered.load();
        let mut f = SessionFacts::new();
        if !t.classes.is_empty() {
            f.insert("config_tampered".into(), json!(true));
            f.insert("config_tampered_classes".into(), json!(t.classes));
        }
        f
    }

    /// A workspace seen in a hook event: its project files are watched from now on (hot path:
    /// a set lookup and a message to the watcher's thread).
    pub(crate) fn saw_workspace(&self, dir: &str) {
        if !dir.starts_with('/') {
            return;
        }
        let path = PathBuf::from(dir);
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if seen.len() >= MAX_WORKSPACES || !seen.insert(path.clone()) {
                return;
            }
        }
        let tx = self
            .new_workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = tx.as_ref() {
            let _ = tx.send(watch::Note::Workspace(path));
        }
    }

    fn publish(&self, inner: &Inner) {
        let mut classes: Vec<String> = inner
            .held
            .values()
            .flat_map(|h| h.classes.iter().map(|c| c.as_str().to_string()))
            .collect();
        classes.sort();
        classes.dedup();
        self.tampered.store(Arc::new(Tampered { classes }));
    }

    /// Every path to look at now: each file target, each file under a tree, and each pinned
    /// path (a file deleted since).
    fn paths(inner: &Inner) -> Vec<PathBuf> {
        let mut out: BTreeSet<PathBuf> = BTreeSet::new();
        for t in &inner.targets {
            out.insert(t.path.clone());
            if t.tree {
                out.extend(table::tree_files(&t.path));
            }
        }
        out.extend(inner.store.iter().map(|(p, _)| p.clone()));
        out.into_iter().collect()
    }

    /// Add a workspace's targets; pin its files on first use. The paths to examine.
    pub(crate) fn add_workspace(&self, dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut inner = self.inner();
        if !inner.workspaces.insert(dir.to_path_buf()) {
            return Ok(Vec::new());
        }
        let ws: Vec<PathBuf> = inner.workspaces.iter().cloned().collect();
        inner.targets = table::targets(&self.homes, &ws);
        let fresh: Vec<Target> = table::targets(&[], &[dir.to_path_buf()]);
        let mut paths = Vec::new();
        for t in &fresh {
            paths.push(t.path.clone());
            if t.tree {
                paths.extend(table::tree_files(&t.path));
            }
        }
        Self::first_use(&mut inner, &paths)?;
        Ok(paths)
    }

    /// Pin on first use: targets never pinned (and files under a tree never pinned, when the
    /// tree itself was not pinned either).
    fn first_use(inner: &mut Inner, paths: &[PathBuf]) -> Result<(), ConfigError> {
        let mut changed = false;
        let trees: Vec<PathBuf> = inner
            .targets
            .iter()
            .filter(|t| t.tree)
            .map(|t| t.path.clone())
            .collect();
        let new_trees: BTreeSet<PathBuf> = trees
            .iter()
            .filter(|t| inner.store.get(t).is_none())
            .cloned()
            .collect();
        for p in paths {
            if inner.store.get(p).is_some() {
                continue;
            }
            let under_known_tree = trees
                .iter()
                .any(|t| p.starts_with(t) && p != t && !new_trees.contains(t));
            if under_known_tree {
                continue;
            }
            let (obs, content) = observe(p);
            inner.store.pin(p, obs, content.as_deref(), "first-use")?;
            changed = true;
        }
        if changed {
            inner.store.save()?;
        }
        Ok(())
    }

    /// Pin on first use everything never pinned; the paths to examine (all of them).
    pub(crate) fn start(&self) -> Result<Vec<PathBuf>, ConfigError> {
        let mut inner = self.inner();
        let paths = Self::paths(&inner);
        Self::first_use(&mut inner, &paths)?;
        Ok(paths)
    }

    /// Every path, for a rescan (the kernel's event queue overflowed).
    pub(crate) fn all_paths(&self) -> Vec<PathBuf> {
        Self::paths(&self.inner())
    }

    /// The paths to examine after events on `touched`: the covered ones, files under touched
    /// directories, and pinned paths under them (deleted since).
    pub(crate) fn expand(&self, touched: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
        let inner = self.inner();
        let mut out = BTreeSet::new();
        for p in touched {
            // A directory inside a tree is not a file to pin: its files are (below). A pinned
            // file that became a directory is examined (the pinned paths under `p`, below).
            if table::covers(p, &inner.targets) && !p.is_dir() {
                out.insert(p.clone());
            }
            if p.is_dir() && table::covers(&p.join("x"), &inner.targets) {
                out.extend(table::tree_files(p));
            }
            for (pinned, _) in inner.store.iter() {
                if pinned.starts_with(p) {
                    out.insert(pinned.clone());
                }
            }
        }
        out.into_iter()
            .filter(|p| table::covers(p, &inner.targets))
            .collect()
    }

    /// The directories to watch that are not watched yet.
    pub(crate) fn unwatched_dirs(&self) -> Vec<PathBuf> {
        let inner = self.inner();
        table::watch_dirs(&inner.targets)
            .into_iter()
            .filter(|d| !inner.watched.contains(d))
            .collect()
    }

    /// Note that a directory is watched, or why it cannot be.
    pub(crate) fn watching(&self, dir: &Path, result: Result<(), String>) {
        let mut inner = self.inner();
        match result {
            Ok(()) => {
                inner.watched.insert(dir.to_path_buf());
                inner.errors.remove(dir);
            }
            Err(e) => {
                inner.errors.insert(dir.to_path_buf(), e);
            }
        }
    }

    /// Look at one path against its pin; act (restore, hold) by `integrity`. `None`: nothing
    /// new to record.
    pub(crate) fn examine(&self, path: &Path, integrity: &ConfigIntegrity) -> Option<Change> {
        let mut inner = self.inner();
        if inner.targets.iter().any(|t| t.tree && t.path == path) {
            return None;
        }
        let format = table::format_of(path, &inner.targets)?;
        let pinned = inner
            .store
            .get(path)
            .map_or(Observed::Absent, |p| p.observed.clone());
        let (current, content) = observe(path);
        if current == pinned {
            inner.last.remove(path);
            if inner.held.remove(path).is_some() {
                self.publish(&inner);
            }
            return None;
        }
        if inner.last.get(path).is_some_and(|(o, _)| *o == current) {
            return None;
        }
        let old = pinned
            .sha256()
            .and_then(|sha| inner.store.content(sha).ok());
        let c = classify::classify(
            format,
            (&pinned, old.as_deref()),
            (&current, content.as_deref()),
        );
        if c.classes.is_empty() {
            // A change of nothing that steers the agent (`~/.claude.json` counters): re-pinned.
            let _ = inner
                .store
                .pin(
                    path,
                    current,
                    content.as_deref(),
                    "auto: no setting changed",
                )
                .and_then(|()| inner.store.save());
            return None;
        }
        let mut change = Change {
            path: path.to_path_buf(),
            change: change_word(&pinned, &current),
            action: integrity.action_for(&c.classes),
            classes: c.classes,
            details: c.details,
            pinned,
            current: current.clone(),
            restored: None,
            superseded: None,
        };
        self.act(&mut inner, &mut change);
        inner
            .last
            .insert(path.to_path_buf(), (current, change.action));
        Some(change)
    }

    /// Restore or hold a change, as its action says (a failed restore is held).
    fn act(&self, inner: &mut Inner, change: &mut Change) {
        let path = change.path.clone();
        let path = path.as_path();
        if change.action == IntegrityAction::Restore {
            let r = restore_one(&inner.store, path, &change.pinned);
            if let Err(e) = &r {
                // Not put back: a person must look at it.
                change
                    .details
                    .push(format!("restore failed ({e}): held for a person"));
            }
            change.restored = Some(r.map_err(|e| e.to_string()));
        }
        let hold = change.action == IntegrityAction::Ask || matches!(change.restored, Some(Err(_)));
        if hold {
            change.superseded = inner.held.get(path).and_then(|h| h.approval.clone());
            inner.held.insert(
                path.to_path_buf(),
                Held {
                    approval: None,
                    classes: change.classes.clone(),
                    observed: change.current.clone(),
                    since: warden_audit::format_time(warden_audit::now_ms()),
                },
            );
            self.publish(inner);
        }
    }

    /// The held approval of a path, and the path's held state.
    pub(crate) fn held(&self, path: &Path) -> Option<Held> {
        self.inner().held.get(path).cloned()
    }

    /// Record the approval id of a held change.
    pub(crate) fn set_approval(&self, path: &Path, id: &str) {
        if let Some(h) = self.inner().held.get_mut(path) {
            h.approval = Some(id.to_string());
        }
    }

    /// The path a held approval belongs to.
    pub(crate) fn path_of_approval(&self, id: &str) -> Option<PathBuf> {
        self.inner()
            .held
            .iter()
            .find(|(_, h)| h.approval.as_deref() == Some(id))
            .map(|(p, _)| p.clone())
    }

    /// For a `ConfigChange` event: the action the file's state calls for (`none` when it
    /// matches its pin), or `None` for a file the table does not cover.
    pub(crate) fn action_now(&self, path: &Path) -> Option<&'static str> {
        let inner = self.inner();
        if !table::covers(path, &inner.targets) {
            return None;
        }
        if inner.held.contains_key(path) {
            return Some(IntegrityAction::Ask.as_str());
        }
        let pinned = inner.store.get(path).map(|p| p.observed.clone());
        let (current, _) = observe(path);
        match (pinned, inner.last.get(path)) {
            (Some(p), _) if p == current => Some("none"),
            (_, Some((o, a))) if *o == current => Some(a.as_str()),
            _ => Some("ask"),
        }
    }

    /// The paths that differ from their pins (held or not), or just `path`.
    fn selected(inner: &Inner, path: Option<&Path>) -> Result<Vec<PathBuf>, ConfigError> {
        if let Some(p) = path {
            if inner.store.get(p).is_none() && !table::covers(p, &inner.targets) {
                return Err(ConfigError::Refused(format!(
                    "`{}` is not a watched configuration file (`warden config status` lists them)",
                    p.display()
                )));
            }
            return Ok(vec![p.to_path_buf()]);
        }
        let mut out: BTreeSet<PathBuf> = inner.held.keys().cloned().collect();
        for (p, pin) in inner.store.iter() {
            if observe(p).0 != pin.observed {
                out.insert(p.clone());
            }
        }
        for p in Self::paths(inner) {
            if inner.store.get(&p).is_none() && observe(&p).0 != Observed::Absent {
                out.insert(p);
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Re-pin the current state of `path` (or of every changed file): a person approved it.
    /// The approved paths, with the approval each held.
    pub(crate) fn approve(
        &self,
        path: Option<&Path>,
        by: &str,
    ) -> Result<Vec<(PathBuf, Observed, Option<String>)>, ConfigError> {
        let mut inner = self.inner();
        let paths = Self::selected(&inner, path)?;
        let mut out = Vec::new();
        for p in paths {
            let (obs, content) = observe(&p);
            let same = inner.store.get(&p).is_some_and(|pin| pin.observed == obs);
            let held = inner.held.remove(&p);
            inner.last.remove(&p);
            if same && held.is_none() {
                continue;
            }
            inner.store.pin(&p, obs.clone(), content.as_deref(), by)?;
            out.push((p, obs, held.and_then(|h| h.approval)));
        }
        inner.store.save()?;
        self.publish(&inner);
        Ok(out)
    }

    /// Write the pinned state of `path` (or of every changed file) back.
    pub(crate) fn restore(&self, path: Option<&Path>) -> Result<Vec<Restored>, ConfigError> {
        let mut inner = self.inner();
        let paths = Self::selected(&inner, path)?;
        let mut out = Vec::new();
        for p in paths {
            let pinned = inner
                .store
                .get(&p)
                .map_or(Observed::Absent, |x| x.observed.clone());
            if observe(&p).0 == pinned && !inner.held.contains_key(&p) {
                continue;
            }
            let r = restore_one(&inner.store, &p, &pinned).map_err(|e| e.to_string());
            let approval = if r.is_ok() {
                inner.last.remove(&p);
                inner.held.remove(&p).and_then(|h| h.approval)
            } else {
                None
            };
            out.push((p, r, approval));
        }
        self.publish(&inner);
        Ok(out)
    }

    /// A summary for `warden status`: files pinned, changes held, directories not watched,
    /// files the monitor cannot read.
    pub(crate) fn summary(&self) -> Value {
        let inner = self.inner();
        let unreadable = inner
            .store
            .iter()
            .filter(|(_, p)| matches!(p.observed, Observed::Unreadable { .. }))
            .count();
        json!({
            "pinned": inner.store.iter().count(), "held": inner.held.len(),
            "watched_dirs": inner.watched.len(), "unwatched_dirs": inner.errors.len(),
            "unreadable": unreadable,
        })
    }

    /// Every pinned file and its state, for `warden config status`.
    pub(crate) fn status(&self) -> Value {
        let inner = self.inner();
        let files: Vec<Value> = inner
            .store
            .iter()
            .filter(|(p, _)| !inner.targets.iter().any(|t| t.tree && t.path == **p))
            .map(|(p, pin)| {
                let (current, _) = observe(p);
                let held = inner.held.get(p);
                let state = if held.is_some() {
                    "held"
                } else if matches!(current, Observed::Unreadable { .. }) {
                    "unreadable"
                } else if current == pin.observed {
                    "pinned"
                } else {
                    "changed"
                };
                json!({
                    "path": p, "state": state, "pinned": pin.observed, "current": current,
                    "pinned_at": pin.pinned_at, "by": pin.by,
                    "held": held,
                })
            })
            .collect();
        let errors: Vec<Value> = inner
            .errors
            .iter()
            .map(|(d, e)| json!({"dir": d, "error": e}))
            .collect();
        json!({
            "homes": self.homes, "workspaces": inner.workspaces,
            "watched_dirs": inner.watched.len(), "unwatched": errors,
            "held": inner.held.len(), "files": files,
        })
    }

    /// Unified diffs of pinned against current content, for `path` or every changed file.
    pub(crate) fn diff(&self, path: Option<&Path>) -> Result<Value, ConfigError> {
        let inner = self.inner();
        let paths = Self::selected(&inner, path)?;
        let mut out = Vec::new();
        for p in paths {
            let pinned = inner.store.get(&p).map(|x| x.observed.clone());
            let old = pinned
                .as_ref()
                .and_then(Observed::sha256)
                .and_then(|s| inner.store.content(s).ok())
                .unwrap_or_default();
            let (current, content) = observe(&p);
            let new = content.unwrap_or_default();
            let (a, b) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&new));
            let name = p.display().to_string();
            let text = similar::TextDiff::from_lines(a.as_ref(), b.as_ref())
                .unified_diff()
                .context_radius(3)
                .header(&format!("{name} (pinned)"), &format!("{name} (current)"))
                .to_string();
            out.push(json!({"path": p, "pinned": pinned, "current": current, "diff": text}));
        }
        Ok(Value::Array(out))
    }
}

fn change_word(pinned: &Observed, current: &Observed) -> &'static str {
    match (pinned, current) {
        (Observed::Absent, _) => "created",
        (_, Observed::Absent) => "deleted",
        (Observed::File { sha256: a, .. }, Observed::File { sha256: b, .. }) => {
            if a == b {
                "metadata"
            } else {
                "modified"
            }
        }
        _ => "replaced",
    }
}

/// The file a `ConfigChange` event names: its path, or the settings file of its `source`.
pub(crate) fn changed_path(payload: &Value, env: &warden_action::PathEnv) -> Option<PathBuf> {
    let explicit = ["file_path", "config_path", "path"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .filter(|p| p.starts_with('/'));
    if let Some(p) = explicit {
        return Some(PathBuf::from(p));
    }
    let home = Path::new(&env.home);
    let ws = Path::new(env.workspace.as_deref().unwrap_or(&env.cwd));
    match payload.get("source").and_then(Value::as_str)? {
        "user_settings" => Some(home.join(".claude/settings.json")),
        "project_settings" => Some(ws.join(".claude/settings.json")),
        "local_settings" => Some(ws.join(".claude/settings.local.json")),
        "policy_settings" => Some(PathBuf::from("/etc/claude-code/managed-settings.json")),
        _ => None,
    }
}
