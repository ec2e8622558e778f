//! Path normalisation: every path a rule sees is absolute, lexically clean, with `~` and
//! environment variables expanded and symlinks resolved where the file exists.
//!
//! A rule can then be written once as `~/.ssh/id_*` and still catch `$HOME/.ssh/id_rsa`,
//! `../../.ssh/id_rsa` from a project directory, or a symlink `./notes -> ~/.ssh/id_rsa`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// The environment a path is interpreted in: home, working directory, workspace and variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathEnv {
    /// The user's home directory, absolute.
    pub home: String,
    /// The working directory relative paths are joined to, absolute.
    pub cwd: String,
    /// The workspace (project) root, absolute, when known.
    pub workspace: Option<String>,
    /// Environment variables available for `$VAR` expansion (`HOME` always maps to `home`).
    pub vars: BTreeMap<String, String>,
    /// Whether to resolve symlinks through the real filesystem.
    pub resolve_symlinks: bool,
    /// Scripts written earlier in the session, for commands that run them.
    pub scripts: crate::ScriptMemory,
}

impl PathEnv {
    /// An environment with the given home and cwd, no variables and no filesystem access.
    pub fn synthetic(home: &str, cwd: &str, workspace: Option<&str>) -> Self {
        Self {
            home: home.to_string(),
            cwd: cwd.to_string(),
            workspace: workspace.map(str::to_string),
            vars: BTreeMap::new(),
            resolve_symlinks: false,
            scripts: crate::ScriptMemory::default(),
        }
    }
}

/// A normalised path: what the agent wrote, and the absolute forms rules match against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct NormPath {
    /// The path exactly as it appeared in the input.
    pub raw: String,
    /// Absolute, lexically clean, symlinks resolved where they exist.
    pub path: String,
    /// The lexically clean absolute path before symlink resolution, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lexical: Option<String>,
    /// Whether expansion met a variable it could not resolve (`$UNSET/x`): the real target is unknown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unresolved: bool,
    /// Whether the path lies inside the workspace root (`None` when there is no workspace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_workspace: Option<bool>,
    /// The home directory the path was normalised against, for `~/` rule patterns.
    #[serde(skip)]
    pub home: String,
}

impl NormPath {
    /// A path taken as already absolute and clean (used for input that was normalised before).
    pub fn raw(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        Self {
            path: raw.clone(),
            raw,
            ..Self::default()
        }
    }

    /// Every absolute form of the path a rule should be checked against.
    pub fn forms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.lexical.as_deref())
    }

    /// `~/rest` for a form inside the home directory, for rules written with `~/`.
    pub fn home_relative<'a>(&self, form: &'a str) -> Option<Cow<'a, str>> {
        if self.home.is_empty() || self.home == "/" {
            return None;
        }
        let rest = form.strip_prefix(self.home.as_str())?;
        if rest.is_empty() {
            Some(Cow::Borrowed("~"))
        } else if rest.starts_with('/') {
            Some(Cow::Owned(format!("~{rest}")))
        } else {
            None
        }
    }
}

impl<'de> Deserialize<'de> for NormPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Plain(String),
            Full { raw: String },
        }
        Ok(match Repr::deserialize(d)? {
            Repr::Plain(raw) | Repr::Full { raw } => NormPath::raw(raw),
        })
    }
}

impl JsonSchema for NormPath {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Path")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A file path; `~`, `$VAR` and relative paths are normalised before rules see it"
        })
    }
}

/// Normalise `raw` in `env`: expand `~` and variables, make absolute, clean `.`/`..`, resolve symlinks.
pub fn normalize_path(raw: &str, env: &PathEnv) -> NormPath {
    let (expanded, mut unresolved) = expand(raw, env);
    let absolute = if expanded.starts_with('/') {
        expanded
    } else {
        format!("{}/{}", env.cwd.trim_end_matches('/'), expanded)
    };
    let (absolute, proc_unknown) = through_proc(&absolute, env);
    unresolved |= proc_unknown;
    let lexical = clean(&absolute);
    // The agent's own descriptors and process links (`/dev/fd/N`, `/dev/stdout`, `/proc/...`
    // left after `through_proc`) are not walked on this process's filesystem view: here they
    // would name the deciding process's own files (`/proc/<our pid>/fd/N`), not the agent's.
    let own_links = [
        "/dev/fd/",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/proc/",
    ]
    .iter()
    .any(|p| lexical.starts_with(p));
    let resolved = if env.resolve_symlinks && !own_links {
        match walk(&absolute) {
            Some(p) => p,
            None => {
                unresolved = true;
                lexical.clone()
            }
        }
    } else {
        lexical.clone()
    };
    let in_workspace = env.workspace.as_deref().map(|ws| {
        let ws = clean(ws);
        is_within(&resolved, &ws) || is_within(&lexical, &ws)
    });
    NormPath {
        raw: raw.to_string(),
        lexical: (resolved != lexical).then_some(lexical),
        path: resolved,
        unresolved,
        in_workspace,
        home: env.home.clone(),
    }
}

/// Whether `path` is `dir` or below it (both absolute and clean).
fn is_within(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Expand a leading `~` / `~user` and `$VAR` / `${VAR}`; report whether any variable was unknown.
fn expand(raw: &str, env: &PathEnv) -> (String, bool) {
    let mut out = String::with_capacity(raw.len() + env.home.len());
    let mut unresolved = false;
    let mut rest = raw;
    if let Some(after) = rest.strip_prefix('~') {
        let end = after.find('/').unwrap_or(after.len());
        let (user, tail) = after.split_at(end);
        if user.is_empty() {
            out.push_str(&env.home);
        } else if user == "root" {
            out.push_str("/root");
        } else if user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            // `~alice`: the sibling of our own home, which is right on Linux and macOS layouts.
            let parent = Path::new(&env.home)
                .parent()
                .map_or("/home".into(), |p| p.to_string_lossy().into_owned());
            out.push_str(&parent);
            out.push('/');
            out.push_str(user);
        } else {
            out.push('~');
            out.push_str(user);
        }
        rest = tail;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < rest.len() {
        let c = bytes.get(i).copied().unwrap_or(0);
        if c == b'$' {
            let (name, consumed) = var_name(&rest[i + 1..]);
            if let Some(name) = name {
                match lookup(name, env) {
                    Some(v) => out.push_str(&v),
                    None => {
                        unresolved = true;
                        out.push_str(&rest[i..i + 1 + consumed]);
                    }
                }
                i += 1 + consumed;
                continue;
            }
        }
        let ch_len = rest[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[i..i + ch_len]);
        i += ch_len;
    }
    (out, unresolved)
}

/// Parse a variable name after `$`: `NAME` or `{NAME}`; returns the name and bytes consumed.
fn var_name(s: &str) -> (Option<&str>, usize) {
    if let Some(inner) = s.strip_prefix('{') {
        if let Some(end) = inner.find('}') {
            let name = &inner[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return (Some(name), end + 2);
            }
        }
        return (None, 0);
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    if end == 0 {
        (None, 0)
    } else {
        (Some(&s[..end]), end)
    }
}

fn lookup(name: &str, env: &PathEnv) -> Option<String> {
    if name == "HOME" {
        return Some(env.home.clone());
    }
    if name == "PWD" {
        return Some(env.cwd.clone());
    }
    env.vars.get(name).cloned()
}

/// Lexically clean an absolute path: drop `.`, apply `..`, collapse separators.
fn clean(abs: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in abs.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        "/".to_string()
    } else {
        let mut s = String::with_capacity(abs.len());
        for p in parts {
            s.push('/');
            s.push_str(p);
        }
        s
    }
}

/// Most symlinks followed in one path, as the kernel's `ELOOP` limit.
const MAX_LINK_HOPS: usize = 40;

/// `/proc/self/...` and `/proc/<pid>/...` as the kernel reads them for the agent's process:
/// `cwd` is the working directory, `root` the root; an open descriptor (`fd/N`, `map_files`,
/// `exe`, or another process's `cwd`) names a file that cannot be known here. `/dev/fd/N` and
/// `/dev/std*` are the same links. Returns the rewritten path and whether its target is unknown.
fn through_proc(abs: &str, env: &PathEnv) -> (String, bool) {
    let parts: Vec<&str> = abs.split('/').filter(|p| !p.is_empty()).collect();
    let rest = |from: usize| parts.get(from..).map_or(String::new(), |r| r.join("/"));
    match parts.as_slice() {
        ["dev", "fd", n, ..] | ["proc", "self" | "thread-self", "fd", n, ..] => {
            (abs.to_string(), !matches!(*n, "0" | "1" | "2"))
        }
        ["proc", "self" | "thread-self", "cwd", ..] => (
            format!("{}/{}", env.cwd.trim_end_matches('/'), rest(3)),
            false,
        ),
        ["proc", pid, "root", ..] if is_pid(pid) => (format!("/{}", rest(3)), false),
        ["proc", pid, "cwd" | "exe" | "map_files" | "fd", ..] if is_pid(pid) => {
            (abs.to_string(), true)
        }
        _ => (abs.to_string(), false),
    }
}

/// `self`, `thread-self` or a number.
fn is_pid(s: &str) -> bool {
    s == "self" || s == "thread-self" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Resolve `abs` as the kernel walks it: component by component, following each symlink where
/// it stands (so `link/..` is the parent of the link's target, not the link's directory).
/// Components after the first that does not exist are taken as written. `None` after too many
/// links (a loop).
fn walk(abs: &str) -> Option<String> {
    let mut todo: std::collections::VecDeque<String> = abs
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let mut out = PathBuf::from("/");
    let mut hops = 0usize;
    let mut exists = true;
    while let Some(part) = todo.pop_front() {
        match part.as_str() {
            "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => out.push(&part),
        }
        if !exists {
            continue;
        }
        match std::fs::symlink_metadata(&out) {
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                let Ok(target) = std::fs::read_link(&out) else {
                    continue;
                };
                out.pop();
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    out = PathBuf::from("/");
                }
                for c in target.split('/').rev().filter(|c| !c.is_empty()) {
                    todo.push_front(c.to_string());
                }
            }
            Ok(_) => {}
            Err(_) => exists = false,
        }
    }
    Some(clean(&out.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn env() -> PathEnv {
        let mut e = PathEnv::synthetic("/home/dev", "/home/dev/proj/src", Some("/home/dev/proj"));
        e.vars.insert("XDG".into(), "/home/dev/.config".into());
        e
    }

    #[test]
    fn expands_tilde_vars_relative_and_dotdot() {
        let e = env();
        assert_eq!(
            normalize_path("~/.ssh/id_rsa", &e).path,
            "/home/dev/.ssh/id_rsa"
        );
        assert_eq!(
            normalize_path("$HOME/.ssh/id_rsa", &e).path,
            "/home/dev/.ssh/id_rsa"
        );
        assert_eq!(
            normalize_path("${HOME}/.aws//credentials", &e).path,
            "/home/dev/.aws/credentials"
        );
        assert_eq!(
            normalize_path("../../.ssh/./id_rsa", &e).path,
            "/home/dev/.ssh/id_rsa"
        );
        assert_eq!(
            normalize_path("$XDG/gh/hosts.yml", &e).path,
            "/home/dev/.config/gh/hosts.yml"
        );
        assert_eq!(normalize_path("~root/.bashrc", &e).path, "/root/.bashrc");
        assert_eq!(normalize_path("~alice/x", &e).path, "/home/alice/x");
        assert_eq!(normalize_path("/../../etc/passwd", &e).path, "/etc/passwd");
    }

    #[test]
    fn unknown_variable_is_marked_unresolved() {
        let p = normalize_path("$NOPE/id_rsa", &env());
        assert!(p.unresolved);
        assert_eq!(p.path, "/home/dev/proj/src/$NOPE/id_rsa");
    }

    #[test]
    fn workspace_membership() {
        let e = env();
        assert_eq!(normalize_path("main.rs", &e).in_workspace, Some(true));
        assert_eq!(
            normalize_path("../../proj-other/x", &e).in_workspace,
            Some(false)
        );
        assert_eq!(
            normalize_path("/home/dev/project2", &e).in_workspace,
            Some(false)
        );
    }

    #[test]
    fn home_relative_form() {
        let p = normalize_path("~/.ssh/id_rsa", &env());
        assert_eq!(p.home_relative(&p.path).as_deref(), Some("~/.ssh/id_rsa"));
        let q = normalize_path("/home/devil/x", &env());
        assert_eq!(q.home_relative(&q.path), None);
    }

    #[test]
    fn symlink_is_resolved_and_lexical_kept() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "k").unwrap();
        let link = dir.path().join("innocent.txt");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let mut e = env();
        e.resolve_symlinks = true;
        e.cwd = dir.path().to_string_lossy().into_owned();
        let p = normalize_path("innocent.txt", &e);
        let real_secret = std::fs::canonicalize(&secret).unwrap();
        assert_eq!(p.path, real_secret.to_string_lossy());
        assert!(p.lexical.as_deref().unwrap().ends_with("innocent.txt"));
        // A path below a missing file keeps its tail.
        let q = normalize_path("missing/dir/file", &e);
        assert!(q.path.ends_with("missing/dir/file"));
    }

    #[test]
    fn links_are_walked_as_the_kernel_walks_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/secret"), "k").unwrap();
        std::os::unix::fs::symlink(root.join("a/b"), root.join("link")).unwrap();
        std::os::unix::fs::symlink("loop2", root.join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", root.join("loop2")).unwrap();
        let mut e = env();
        e.resolve_symlinks = true;
        e.cwd = root.to_string_lossy().into_owned();
        // `link/..` is the parent of the link's target, not of the link.
        let p = normalize_path("link/../secret", &e);
        assert_eq!(p.path, root.join("a/secret").to_string_lossy());
        assert_eq!(
            p.lexical.as_deref(),
            Some(&*root.join("secret").to_string_lossy())
        );
        // A loop is not followed forever: the target is unknown.
        assert!(normalize_path("loop1/x", &e).unresolved);
    }

    /// Resolving on the live filesystem must not turn the agent's descriptors into the deciding
    /// process's own (`/dev/fd` -> `/proc/self/fd` -> `/proc/<our pid>/fd`): the same path live
    /// and in a replay.
    #[test]
    fn the_agents_descriptors_are_not_resolved_through_our_own_proc() {
        let live = PathEnv {
            resolve_symlinks: true,
            ..PathEnv::synthetic("/home/dev", "/home/dev/w", Some("/home/dev/w"))
        };
        let replay = PathEnv::synthetic("/home/dev", "/home/dev/w", Some("/home/dev/w"));
        for p in [
            "/dev/fd/gzip",
            "/dev/fd/1",
            "/dev/stdout",
            "/proc/self/fd/7",
            "/proc/self/status",
        ] {
            let (a, b) = (normalize_path(p, &live), normalize_path(p, &replay));
            assert_eq!((&a.path, a.unresolved), (&b.path, b.unresolved), "{p}");
            assert!(
                !a.path.contains(&std::process::id().to_string()),
                "{}",
                a.path
            );
        }
    }

    #[test]
    fn proc_links_name_what_the_kernel_would() {
        let e = env();
        assert_eq!(
            normalize_path("/proc/self/cwd/../../.ssh/id_rsa", &e).path,
            "/home/dev/.ssh/id_rsa"
        );
        assert_eq!(
            normalize_path("/proc/self/root/home/dev/.aws/credentials", &e).path,
            "/home/dev/.aws/credentials"
        );
        assert_eq!(
            normalize_path("/proc/1234/root/etc/shadow", &e).path,
            "/etc/shadow"
        );
        assert!(normalize_path("/proc/self/fd/7", &e).unresolved);
        assert!(normalize_path("/dev/fd/5", &e).unresolved);
        assert!(normalize_path("/proc/99/cwd/.env", &e).unresolved);
        // Standard streams and ordinary /proc files are what they say.
        assert!(!normalize_path("/dev/fd/1", &e).unresolved);
        assert!(!normalize_path("/proc/cpuinfo", &e).unresolved);
        assert!(!normalize_path("/proc/self/status", &e).unresolved);
    }

    #[test]
    fn non_ascii_and_odd_input_do_not_panic() {
        let e = env();
        for raw in [
            "",
            "$",
            "${",
            "${}",
            "~",
            "~/",
            "é/$é/ü",
            "$ {HOME}",
            "\u{0}",
        ] {
            let _ = normalize_path(raw, &e);
        }
        assert_eq!(normalize_path("~", &e).path, "/home/dev");
    }
}
