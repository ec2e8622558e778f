//! Pinning of tool, prompt and resource definitions: a canonical hash of everything the model
//! sees per item, the approved hashes per server in one JSON file, and the difference between
//! what a server shows now and what was approved (a rug pull).
//!
//! The store fails closed: a missing file is an empty store (first run), but a file that does
//! not parse, has the wrong version or holds malformed hashes is an error, never "no pins",
//! which would quietly re-approve every server.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::VetError;
use crate::vet::ListMethod;

/// The store's file name inside the directory the caller gives.
pub const STORE_FILE: &str = "mcp-pins.json";

/// The store format this crate reads and writes.
const STORE_VERSION: u32 = 1;

/// Largest store file read, in bytes.
const MAX_STORE_BYTES: u64 = 64 * 1024 * 1024;

/// What kind of definition an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A tool (`tools/list`).
    Tool,
    /// A prompt (`prompts/list`).
    Prompt,
    /// A resource or resource template (`resources/list`, `resources/templates/list`).
    Resource,
}

/// One item of a diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PinItem {
    /// Its kind.
    pub kind: ItemKind,
    /// Its name (tools, prompts) or URI (resources, templates).
    pub name: String,
}

/// The hashes of one server's definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinSet {
    /// The server identity (see [`server_key`]).
    pub server_key: String,
    /// Tool name to definition hash.
    #[serde(default)]
    pub tools: BTreeMap<String, String>,
    /// Prompt name to definition hash.
    #[serde(default)]
    pub prompts: BTreeMap<String, String>,
    /// Resource URI (or URI template) to definition hash.
    #[serde(default)]
    pub resources: BTreeMap<String, String>,
    /// The kinds this set speaks for. A set built from a fresh `tools/list` alone (after
    /// `notifications/tools/list_changed`) says nothing about prompts, so prompts are not
    /// compared and not replaced when it is approved. Resources and resource templates share
    /// one kind: record both lists before comparing.
    #[serde(default)]
    pub recorded: BTreeSet<ItemKind>,
}

impl PinSet {
    /// An empty set for `server_key`.
    pub fn new(server_key: impl Into<String>) -> PinSet {
        PinSet {
            server_key: server_key.into(),
            ..PinSet::default()
        }
    }

    /// Record every definition of one list result (one page; call again for the next page).
    /// Entries without an identifying string are keyed `#<index>` so that they still count.
    pub fn record(&mut self, method: ListMethod, result: &Value) {
        let kind = method.item_kind();
        self.recorded.insert(kind);
        let Some(items) = result.get(method.field()).and_then(Value::as_array) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let name = item
                .get(method.key_field())
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), str::to_string);
            self.insert(kind, name, item);
        }
    }

    /// Record one definition. A name seen twice hashes both definitions together, so neither
    /// can change unnoticed.
    pub fn insert(&mut self, kind: ItemKind, name: impl Into<String>, definition: &Value) {
        self.recorded.insert(kind);
        let hash = definition_hash(definition);
        let map = self.map_mut(kind);
        let name = name.into();
        let combined = match map.get(&name) {
            Some(prev) => {
                let (a, b) = if prev.as_str() <= hash.as_str() {
                    (prev.as_str(), hash.as_str())
                } else {
                    (hash.as_str(), prev.as_str())
                };
                hex::encode(Sha256::digest(format!("{a}\n{b}").as_bytes()))
            }
            None => hash,
        };
        map.insert(name, combined);
    }

    /// The kinds this set speaks for: those recorded, or every kind when none was (a set
    /// filled by hand through the public maps).
    pub fn kinds(&self) -> BTreeSet<ItemKind> {
        if self.recorded.is_empty() {
            BTreeSet::from([ItemKind::Tool, ItemKind::Prompt, ItemKind::Resource])
        } else {
            self.recorded.clone()
        }
    }

    /// The map for `kind`.
    pub fn map(&self, kind: ItemKind) -> &BTreeMap<String, String> {
        match kind {
            ItemKind::Tool => &self.tools,
            ItemKind::Prompt => &self.prompts,
            ItemKind::Resource => &self.resources,
        }
    }

    /// The map for `kind`, mutably.
    fn map_mut(&mut self, kind: ItemKind) -> &mut BTreeMap<String, String> {
        match kind {
            ItemKind::Tool => &mut self.tools,
            ItemKind::Prompt => &mut self.prompts,
            ItemKind::Resource => &mut self.resources,
        }
    }
}

/// The difference between an approved set and a current one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PinDiff {
    /// Items the current set has and the approved one does not.
    pub added: Vec<PinItem>,
    /// Items the approved set has and the current one does not.
    pub removed: Vec<PinItem>,
    /// Items whose definition changed.
    pub changed: Vec<PinItem>,
}

impl PinDiff {
    /// Is there no difference?
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Tools that are added or changed: the ones to hold until approved.
    pub fn held_tools(&self) -> BTreeSet<String> {
        self.added
            .iter()
            .chain(&self.changed)
            .filter(|i| i.kind == ItemKind::Tool)
            .map(|i| i.name.clone())
            .collect()
    }
}

/// Compare `new` against the approved `old`, for the kinds `new` speaks for
/// ([`PinSet::kinds`]).
pub fn diff(old: &PinSet, new: &PinSet) -> PinDiff {
    let mut d = PinDiff::default();
    for kind in new.kinds() {
        let (a, b) = (old.map(kind), new.map(kind));
        for (name, hash) in b {
            let item = || PinItem {
                kind,
                name: name.clone(),
            };
            match a.get(name) {
                None => d.added.push(item()),
                Some(h) if h != hash => d.changed.push(item()),
                Some(_) => {}
            }
        }
        for name in a.keys().filter(|n| !b.contains_key(*n)) {
            d.removed.push(PinItem {
                kind,
                name: name.clone(),
            });
        }
    }
    d
}

/// How a server's current definitions compare with its approved pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// Nothing was ever approved for this server.
    FirstSeen,
    /// The definitions match the approved pin.
    Unchanged,
    /// The definitions differ from the approved pin.
    Changed(PinDiff),
}

impl PinStatus {
    /// The tools to hold until approved: every tool of `current` when the server was never
    /// approved, the added and changed ones when it changed, none otherwise.
    pub fn held_tools(&self, current: &PinSet) -> BTreeSet<String> {
        match self {
            PinStatus::FirstSeen => current.tools.keys().cloned().collect(),
            PinStatus::Unchanged => BTreeSet::new(),
            PinStatus::Changed(d) => d.held_tools(),
        }
    }
}

/// The identity of a stdio server: its name in the client config and its command line. A
/// changed command line is a different server, so it is pinned anew. The environment is left
/// out: it holds secrets and changes with them.
pub fn server_key(name: &str, command: &str, args: &[String]) -> String {
    let mut parts = Vec::with_capacity(args.len() + 2);
    parts.push(name);
    parts.push(command);
    parts.extend(args.iter().map(String::as_str));
    format!("stdio:{}", Value::from(parts))
}

/// The identity of a remote server: its name in the client config and its URL.
pub fn server_key_url(name: &str, url: &str) -> String {
    format!("http:{}", Value::from(vec![name, url]))
}

/// SHA-256, in hex, of the canonical JSON of `definition`.
pub fn definition_hash(definition: &Value) -> String {
    let mut s = String::new();
    canonical(definition, &mut s);
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, strings and numbers
/// as serde_json writes them. Sorting is done here rather than trusted to the map type, since
/// serde_json keeps insertion order when a crate in the build enables `preserve_order`.
pub fn canonical_json(v: &Value) -> String {
    let mut s = String::new();
    canonical(v, &mut s);
    s
}

/// Append the canonical form of `v` to `out`.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(x) = o.get(k) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push_str(&v.to_string());
        }
    }
}

/// The store file's shape.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    version: u32,
    servers: BTreeMap<String, StoredPin>,
}

/// One server's approved pin, as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPin {
    #[serde(default)]
    tools: BTreeMap<String, String>,
    #[serde(default)]
    prompts: BTreeMap<String, String>,
    #[serde(default)]
    resources: BTreeMap<String, String>,
    #[serde(default)]
    recorded: BTreeSet<ItemKind>,
}

impl StoredPin {
    fn into_set(self, key: &str) -> PinSet {
        PinSet {
            server_key: key.to_string(),
            tools: self.tools,
            prompts: self.prompts,
            resources: self.resources,
            recorded: self.recorded,
        }
    }

    fn from_set(set: PinSet) -> StoredPin {
        StoredPin {
            tools: set.tools,
            prompts: set.prompts,
            resources: set.resources,
            recorded: set.recorded,
        }
    }
}

/// The approved pins of every server, persisted as one JSON file.
#[derive(Debug, Clone)]
pub struct PinStore {
    path: PathBuf,
    servers: BTreeMap<String, PinSet>,
}

impl PinStore {
    /// Open the store in `dir` (the file [`STORE_FILE`]). A missing file is an empty store; a
    /// corrupt one is an error.
    pub fn open(dir: &Path) -> Result<PinStore, VetError> {
        let path = dir.join(STORE_FILE);
        let servers = load(&path)?;
        Ok(PinStore { path, servers })
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The approved pin of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&PinSet> {
        self.servers.get(key)
    }

    /// Every server key with an approved pin.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.servers.keys().map(String::as_str)
    }

    /// Compare `current` with the approved pin of `key`.
    pub fn check(&self, key: &str, current: &PinSet) -> PinStatus {
        match self.servers.get(key) {
            None => PinStatus::FirstSeen,
            Some(old) => {
                let d = diff(old, current);
                if d.is_empty() {
                    PinStatus::Unchanged
                } else {
                    PinStatus::Changed(d)
                }
            }
        }
    }

    /// The tools of `current` to hold until approved (see [`PinStatus::held_tools`]).
    pub fn held_tools(&self, key: &str, current: &PinSet) -> BTreeSet<String> {
        self.check(key, current).held_tools(current)
    }

    /// Approve `set` as the pin of `key`, for the kinds it records, and save the store.
    ///
    /// The file is re-read first so that approvals made meanwhile by another process survive;
    /// a corrupt file is an error and is left as it is.
    pub fn approve(&mut self, key: &str, set: PinSet) -> Result<(), VetError> {
        self.update(key, |stored| {
            for kind in set.kinds() {
                let map = set.map(kind).clone();
                *stored.map_mut(kind) = map;
                stored.recorded.insert(kind);
            }
        })
    }

    /// Approve only the tools `names` of `current` (each tool's current definition, or its
    /// removal when `current` no longer has it), leaving other held tools held. Saves the store.
    pub fn approve_tools(
        &mut self,
        key: &str,
        current: &PinSet,
        names: &[String],
    ) -> Result<(), VetError> {
        self.update(key, |stored| {
            for name in names {
                match current.tools.get(name) {
                    Some(h) => {
                        stored.tools.insert(name.clone(), h.clone());
                    }
                    None => {
                        stored.tools.remove(name);
                    }
                }
            }
            stored.recorded.insert(ItemKind::Tool);
        })
    }

    /// Forget the pin of `key` and save the store; the server is first-seen again.
    pub fn remove(&mut self, key: &str) -> Result<(), VetError> {
        let mut servers = load(&self.path)?;
        servers.remove(key);
        save(&self.path, &servers)?;
        self.servers = servers;
        Ok(())
    }

    /// Re-read, change the pin of `key`, save, and adopt the saved state.
    fn update(&mut self, key: &str, change: impl FnOnce(&mut PinSet)) -> Result<(), VetError> {
        let mut servers = load(&self.path)?;
        let stored = servers
            .entry(key.to_string())
            .or_insert_with(|| PinSet::new(key));
        change(stored);
        stored.server_key = key.to_string();
        save(&self.path, &servers)?;
        self.servers = servers;
        Ok(())
    }
}

/// The error for a corrupt store at `path`.
fn corrupt(path: &Path, message: impl Into<String>) -> VetError {
    VetError::CorruptStore {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Read the store at `path`; a missing file is empty, anything unreadable is an error.
fn load(path: &Path) -> Result<BTreeMap<String, PinSet>, VetError> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(VetError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_STORE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| VetError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_STORE_BYTES {
        return Err(VetError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_STORE_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        // An empty file is what a crash between create and write leaves: not "no pins".
        return Err(corrupt(path, "the file is empty"));
    }
    let file: StoreFile = serde_json::from_slice(&bytes).map_err(|e| {
        corrupt(
            path,
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    if file.version != STORE_VERSION {
        return Err(corrupt(
            path,
            format!(
                "store version {} (this Warden reads version {STORE_VERSION})",
                file.version
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, pin) in file.servers {
        for (kind, map) in [
            ("tools", &pin.tools),
            ("prompts", &pin.prompts),
            ("resources", &pin.resources),
        ] {
            if let Some((name, _)) = map.iter().find(|(_, h)| !is_hash(h)) {
                return Err(corrupt(
                    path,
                    format!("server `{key}`: {kind} `{name}` has no valid sha256 hash"),
                ));
            }
        }
        let set = pin.into_set(&key);
        out.insert(key, set);
    }
    Ok(out)
}

/// Is `h` a lowercase hex SHA-256?
fn is_hash(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Write the store atomically: a private temp file in the same directory, synced, then renamed
/// over the old one, so a reader sees the old store or the new one, never half of either.
fn save(path: &Path, servers: &BTreeMap<String, PinSet>) -> Result<(), VetError> {
    let write_err = |source| VetError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        create_private_dir(dir).map_err(write_err)?;
    }
    let file = StoreFile {
        version: STORE_VERSION,
        servers: servers
            .iter()
            .map(|(k, v)| (k.clone(), StoredPin::from_set(v.clone())))
            .collect(),
    };
    let mut text =
        serde_json::to_string_pretty(&file).map_err(|e| write_err(std::io::Error::other(e)))?;
    text.push('\n');
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".mcp-pins.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_err)?;
    tmp.write_all(text.as_bytes()).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    set_private(tmp.path()).map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    // Make the rename durable; a failure here leaves a correct file that may not survive a
    // power cut, which is not worth failing the approval for.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Create `dir` (and parents) readable by the owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Make `path` readable and writable by the owner only.
fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"d": [1, {"z": 0, "y": "é"}], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"d":[1,{"y":"é","z":0}]},"b":1}"#
        );
    }

    #[test]
    fn hash_is_stable_under_key_order() {
        let a: Value = serde_json::from_str(r#"{"name":"x","description":"d"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"description":"d","name":"x"}"#).unwrap();
        assert_eq!(definition_hash(&a), definition_hash(&b));
        assert!(is_hash(&definition_hash(&a)));
    }

    #[test]
    fn server_keys_cannot_be_confused_by_spaces() {
        assert_ne!(
            server_key("a", "npx", &["b c".into()]),
            server_key("a", "npx", &["b".into(), "c".into()])
        );
        assert_eq!(
            server_key("gh", "npx", &["-y".into(), "pkg@1.0.0".into()]),
            r#"stdio:["gh","npx","-y","pkg@1.0.0"]"#
        );
        assert_eq!(
            server_key_url("r", "https://mcp.example.com/sse"),
            r#"http:["r","https://mcp.example.com/sse"]"#
        );
    }
}
