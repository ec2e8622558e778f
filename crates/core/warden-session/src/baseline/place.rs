//! Where a path lies (workspace, build or temp directory, home, elsewhere), and the directory it
//! is counted under.

use warden_action::{Action, NormPath};

/// Where a path lies, for delete weights and areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Area {
    /// Inside the workspace (source, mostly under version control).
    Workspace,
    /// A build output or cache directory (`target/`, `node_modules/`, `~/.cache`).
    Build,
    /// A temporary directory (`/tmp`).
    Temp,
    /// The home directory, outside the workspace.
    Home,
    /// Anywhere else.
    System,
}

/// A path's area, its bucket (a prefix of the path) and the length of its home prefix.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place<'a> {
    /// Where it lies.
    pub(super) area: Area,
    /// The directory it is counted under: a prefix of the path, so no allocation.
    pub(super) bucket: &'a str,
    /// Length of the home directory prefix, when the path is under home.
    pub(super) home_len: Option<usize>,
}

/// Temporary directories: one bucket each, since their subdirectories are random names.
const TEMP_ROOTS: [&str; 6] = [
    "/tmp",
    "/var/tmp",
    "/private/tmp",
    "/private/var/folders",
    "/var/folders",
    "/dev/shm",
];

/// Classify `p` (absolute, normalised) given the workspace root and the home directory.
pub(super) fn place<'a>(p: &'a str, ws: &str, home_hint: &str) -> Place<'a> {
    let home_len = home_len(p, home_hint);
    let ws = ws.trim_end_matches('/');
    let (base, area, depth) = if !ws.is_empty() && is_under(p, ws) {
        (ws.len(), Area::Workspace, 2)
    } else if let Some(t) = TEMP_ROOTS.iter().find(|t| is_under(p, t)) {
        let bucket = p.get(..t.len()).unwrap_or("");
        return Place {
            area: Area::Temp,
            bucket,
            home_len,
        };
    } else if let Some(h) = home_len {
        (h, Area::Home, 2)
    } else {
        (0, Area::System, 3)
    };
    if let Some(end) = build_dir_end(p, base) {
        return Place {
            area: Area::Build,
            bucket: p.get(..end).unwrap_or(""),
            home_len,
        };
    }
    Place {
        area,
        bucket: p.get(..bucket_end(p, base, depth)).unwrap_or(""),
        home_len,
    }
}

/// Whether `p` is `dir` or below it.
fn is_under(p: &str, dir: &str) -> bool {
    p.starts_with(dir) && (p.len() == dir.len() || p.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// Length of the home directory prefix of `p`: the known home, `~`, or a usual home layout
/// (the home is not persisted with paths, so a replayed action may not carry it).
fn home_len(p: &str, hint: &str) -> Option<usize> {
    let hint = hint.trim_end_matches('/');
    if !hint.is_empty() && is_under(p, hint) {
        return Some(hint.len());
    }
    if is_under(p, "~") {
        return Some(1);
    }
    for root in ["/home/", "/Users/"] {
        if let Some(rest) = p.strip_prefix(root) {
            let user = rest.find('/').unwrap_or(rest.len());
            if user > 0 {
                return Some(root.len() + user);
            }
        }
    }
    is_under(p, "/root").then_some("/root".len())
}

/// End of the first build or cache directory component below `base`, if any.
fn build_dir_end(p: &str, base: usize) -> Option<usize> {
    let rest = p.get(base..)?;
    let mut end = base;
    for comp in rest.split('/') {
        end += comp.len();
        if is_build_dir(comp) {
            return Some(end);
        }
        end += 1;
    }
    None
}

/// End of the bucket: `base` plus up to `depth` directory components of the parent directory.
fn bucket_end(p: &str, base: usize, depth: usize) -> usize {
    let Some(parent) = p.rfind('/') else {
        // A bare relative name: no directory to count it under.
        return 0;
    };
    let mut slashes = 0;
    let mut cut = p.len();
    for (i, b) in p.bytes().enumerate().skip(base) {
        if b == b'/' {
            if slashes == depth {
                cut = i;
                break;
            }
            slashes += 1;
        }
    }
    let end = cut.min(parent).max(base);
    if end == 0 && p.starts_with('/') {
        1
    } else {
        end
    }
}

/// `~/rest` for a path under home, for reasons people read.
pub(super) fn display_path(p: &str, home_len: Option<usize>) -> String {
    match home_len.and_then(|n| p.get(n..)) {
        Some(rest) if !p.starts_with('~') => format!("~{rest}"),
        _ => p.to_string(),
    }
}

/// The path rules see: normalised, or as written when it was never normalised.
pub(super) fn path_str(p: &NormPath) -> &str {
    if p.path.is_empty() {
        &p.raw
    } else {
        &p.path
    }
}

/// The workspace an action runs in: its own, else the profile's.
pub(super) fn action_workspace<'a>(a: &'a Action, key_ws: &'a str) -> &'a str {
    a.env
        .workspace
        .as_deref()
        .filter(|w| !w.is_empty())
        .unwrap_or(key_ws)
}

/// Build output and cache directory names: deleting them is routine.
fn is_build_dir(name: &str) -> bool {
    matches!(
        name,
        "target"
            | "node_modules"
            | "dist"
            | "build"
            | ".cache"
            | "__pycache__"
            | ".next"
            | ".nuxt"
            | ".turbo"
            | ".gradle"
            | ".pytest_cache"
            | ".mypy_cache"
            | ".ruff_cache"
            | ".tox"
            | ".venv"
            | "venv"
            | ".parcel-cache"
            | ".svelte-kit"
            | "coverage"
            | ".terraform"
            | ".npm"
            | ".pnpm-store"
    )
}
