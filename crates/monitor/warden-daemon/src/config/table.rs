//! The files that steer agents, as data: one row per location, where it lives (the agent's
//! home, a workspace the monitor has seen, or the system) and how its content is read.

use std::path::{Path, PathBuf};

/// Where a location is rooted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// The agent user's home directory.
    Home,
    /// A workspace (project directory) the monitor has seen in a hook event.
    Workspace,
    /// An absolute system path.
    System,
}

/// How a file's content is understood when classifying a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Format {
    /// Claude Code settings (`settings.json` at any scope).
    ClaudeSettings,
    /// Claude Code's state file with MCP servers (`~/.claude.json`).
    ClaudeState,
    /// A project MCP config (`.mcp.json`).
    McpJson,
    /// An instructions file the model reads (`CLAUDE.md`, `AGENTS.md`).
    Instructions,
    /// Codex `config.toml`.
    CodexToml,
    /// Codex `hooks.json`.
    CodexHooks,
    /// OpenClaw `openclaw.json`.
    OpenClaw,
    /// A file of a skill or plugin directory.
    Skill,
}

/// One watched location.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    /// Where it is rooted.
    pub(crate) root: Root,
    /// Its path under the root (absolute for [`Root::System`]).
    pub(crate) rel: &'static str,
    /// How it is read.
    pub(crate) format: Format,
    /// A directory whose files (recursively) are each watched.
    pub(crate) tree: bool,
}

const fn file(root: Root, rel: &'static str, format: Format) -> Location {
    Location {
        root,
        rel,
        format,
        tree: false,
    }
}

const fn tree(root: Root, rel: &'static str) -> Location {
    Location {
        root,
        rel,
        format: Format::Skill,
        tree: true,
    }
}

use Format::{ClaudeSettings, ClaudeState, CodexHooks, CodexToml, Instructions, McpJson, OpenClaw};
use Root::{Home, System, Workspace};

/// Every location the monitor pins and watches.
pub(crate) const LOCATIONS: &[Location] = &[
    file(Home, ".claude/settings.json", ClaudeSettings),
    file(Home, ".claude/settings.local.json", ClaudeSettings),
    file(Workspace, ".claude/settings.json", ClaudeSettings),
    file(Workspace, ".claude/settings.local.json", ClaudeSettings),
    file(
        System,
        "/etc/claude-code/managed-settings.json",
        ClaudeSettings,
    ),
    file(Home, ".claude/CLAUDE.md", Instructions),
    file(Workspace, "CLAUDE.md", Instructions),
    file(Workspace, "CLAUDE.local.md", Instructions),
    file(Workspace, ".claude/CLAUDE.md", Instructions),
    file(Workspace, "AGENTS.md", Instructions),
    file(Home, ".codex/AGENTS.md", Instructions),
    file(Home, ".claude.json", ClaudeState),
    file(Workspace, ".mcp.json", McpJson),
    file(Home, ".codex/config.toml", CodexToml),
    file(Home, ".codex/hooks.json", CodexHooks),
    file(Workspace, ".codex/config.toml", CodexToml),
    file(Workspace, ".codex/hooks.json", CodexHooks),
    file(Home, ".openclaw/openclaw.json", OpenClaw),
    tree(Home, ".claude/skills"),
    tree(Home, ".claude/plugins"),
    tree(Workspace, ".claude/skills"),
    tree(Home, ".openclaw/skills"),
];

/// Most files watched under one skills or plugins directory.
pub(crate) const MAX_TREE_FILES: usize = 2_000;
/// Deepest level walked under one.
const MAX_TREE_DEPTH: usize = 8;

/// A location made concrete: a file path, or a directory whose files are watched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Target {
    /// The path.
    pub(crate) path: PathBuf,
    /// Whether it is a tree (the path is a directory).
    pub(crate) tree: bool,
}

/// The concrete targets for some homes and workspaces.
pub(crate) fn targets(homes: &[PathBuf], workspaces: &[PathBuf]) -> Vec<Target> {
    let mut out = Vec::new();
    for loc in LOCATIONS {
        let bases: Vec<&Path> = match loc.root {
            Root::Home => homes.iter().map(PathBuf::as_path).collect(),
            Root::Workspace => workspaces.iter().map(PathBuf::as_path).collect(),
            Root::System => vec![Path::new("/")],
        };
        for b in bases {
            out.push(Target {
                path: b.join(loc.rel.trim_start_matches('/')),
                tree: loc.tree,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// How a watched file is read: its format by the table, for files under a tree `Skill`.
pub(crate) fn format_of(path: &Path, targets: &[Target]) -> Option<Format> {
    if targets
        .iter()
        .any(|t| t.tree && path.starts_with(&t.path) && path != t.path)
    {
        return Some(Format::Skill);
    }
    let name = path.to_string_lossy();
    LOCATIONS
        .iter()
        .filter(|l| !l.tree)
        .find(|l| {
            let rel = l.rel.trim_start_matches('/');
            name.ends_with(&format!("/{rel}")) || name == l.rel
        })
        .map(|l| l.format)
}

/// Whether a path is one the table covers (a file, or anything under a tree).
pub(crate) fn covers(path: &Path, targets: &[Target]) -> bool {
    targets.iter().any(|t| {
        if t.tree {
            path.starts_with(&t.path) && path != t.path
        } else {
            t.path == path
        }
    })
}

/// Every regular file and symlink under a tree, bounded.
pub(crate) fn tree_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    crate::caps::with_read_search(|| walk(dir, 0, &mut out));
    out.sort();
    out
}

/// Directories under a watched tree that hold no configuration: version control, dependency
/// caches, and Claude Code's own plugin key-value store (`~/.claude/plugins/store/`, which the
/// client rewrites during every session with usage bookkeeping, not instructions or code).
fn not_config(dir: &Path) -> bool {
    let name = dir.file_name();
    name.is_some_and(|n| n == ".git" || n == "node_modules")
        || (name.is_some_and(|n| n == "store")
            && dir
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "plugins"))
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_TREE_DEPTH || out.len() >= MAX_TREE_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if out.len() >= MAX_TREE_FILES {
            return;
        }
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            // Version control and dependency caches inside plugins are not what the model reads.
            let skip = not_config(&p);
            if !skip {
                walk(&p, depth + 1, out);
            }
        } else {
            out.push(p);
        }
    }
}

/// The directories to watch (non-recursively) so that a replace-by-rename of any target is
/// seen: each file's parent, each tree's directories, and each root's nearest existing
/// ancestor (so a directory created later is noticed and added).
pub(crate) fn watch_dirs(targets: &[Target]) -> Vec<PathBuf> {
    crate::caps::with_read_search(|| watch_dirs_now(targets))
}

fn watch_dirs_now(targets: &[Target]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for t in targets {
        if t.tree && t.path.is_dir() {
            out.push(t.path.clone());
            let mut dirs = Vec::new();
            subdirs(&t.path, 0, &mut dirs);
            out.extend(dirs);
        }
        let mut p = t.path.parent();
        while let Some(dir) = p {
            if dir.is_dir() {
                out.push(dir.to_path_buf());
                break;
            }
            p = dir.parent();
        }
    }
    out.sort();
    out.dedup();
    out
}

fn subdirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_TREE_DEPTH || out.len() >= MAX_TREE_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            let p = e.path();
            if not_config(&p) {
                continue;
            }
            out.push(p.clone());
            subdirs(&p, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_cover_home_workspace_and_system_rows() {
        let t = targets(&[PathBuf::from("/h")], &[PathBuf::from("/w")]);
        let has = |p: &str| t.iter().any(|x| x.path == Path::new(p));
        assert!(has("/h/.claude/settings.json"));
        assert!(has("/w/.claude/settings.local.json"));
        assert!(has("/etc/claude-code/managed-settings.json"));
        assert!(has("/h/.codex/hooks.json"));
        assert!(covers(Path::new("/h/.claude/skills/pdf/SKILL.md"), &t));
        assert!(!covers(Path::new("/h/.claude/other.json"), &t));
        assert_eq!(
            format_of(Path::new("/h/.claude/skills/pdf/SKILL.md"), &t),
            Some(Format::Skill)
        );
        assert_eq!(
            format_of(Path::new("/w/AGENTS.md"), &t),
            Some(Format::Instructions)
        );
    }
}
