//! Landlock grants access by subtree and cannot subtract. "Everything but `~/.ssh`" is therefore
//! built by walking down from `/` along the denied patterns: a subtree that no pattern can reach
//! is granted whole; a directory a pattern may reach into is split into its children; an entry a
//! pattern matches is left out. New files later created in a split directory are not readable
//! (fail closed); a symlink is granted only when its target is not denied.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::SandboxError;

/// Most directory entries the walk visits before it stops granting (fail closed).
const MAX_ENTRIES: usize = 20_000;
/// Deepest split.
const MAX_DEPTH: usize = 24;

/// One segment of a path pattern.
#[derive(Debug, Clone)]
enum Seg {
    /// `**`: any number of segments.
    Any,
    /// One segment equal to this (lowercase) name: most segments, compared without a regex.
    Lit(String),
    /// One segment matching this glob.
    One(GlobMatcher),
}

impl Seg {
    /// Whether `name` (lowercase) matches.
    fn is_match(&self, name: &str) -> bool {
        match self {
            Seg::Any => true,
            Seg::Lit(l) => l == name,
            Seg::One(g) => g.is_match(name),
        }
    }
}

/// A compiled absolute path pattern, matched segment by segment.
#[derive(Debug, Clone)]
pub struct PathPattern {
    segs: Vec<Seg>,
    text: String,
}

impl PathPattern {
    /// Compile an absolute glob (`/home/u/.ssh/id_*`, `/root/**`).
    pub fn new(glob: &str) -> Result<Self, SandboxError> {
        let mut segs = Vec::new();
        for s in glob.split('/').filter(|s| !s.is_empty() && *s != ".") {
            if s == "**" {
                segs.push(Seg::Any);
                continue;
            }
            if !s.contains(['*', '?', '[', '{', '\\']) {
                segs.push(Seg::Lit(s.to_lowercase()));
                continue;
            }
            let g = GlobBuilder::new(s)
                .literal_separator(true)
                .backslash_escape(true)
                .case_insensitive(true)
                .build()
                .map_err(|e| SandboxError::Pattern {
                    pattern: glob.to_string(),
                    message: e.to_string(),
                })?;
            segs.push(Seg::One(g.compile_matcher()));
        }
        Ok(PathPattern {
            segs,
            text: glob.to_string(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `path` itself matches.
    pub fn matches(&self, path: &Path) -> bool {
        full(&self.segs, &names(path))
    }

    /// Whether some path strictly below `path` could match.
    pub fn may_reach_below(&self, path: &Path) -> bool {
        below(&self.segs, &names(path))
    }
}

/// A path's names, lowercase (patterns match case-insensitively: denying more, never less).
fn names(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().to_lowercase()),
            Component::RootDir
            | Component::CurDir
            | Component::ParentDir
            | Component::Prefix(_) => None,
        })
        .collect()
}

fn full(p: &[Seg], s: &[String]) -> bool {
    match (p.split_first(), s.split_first()) {
        (None, _) => s.is_empty(),
        (Some((Seg::Any, rest)), _) => {
            full(rest, s) || s.split_first().is_some_and(|(_, tail)| full(p, tail))
        }
        (Some(_), None) => false,
        (Some((seg, rest)), Some((head, tail))) => seg.is_match(head) && full(rest, tail),
    }
}

fn below(p: &[Seg], s: &[String]) -> bool {
    match (p.split_first(), s.split_first()) {
        (None, _) => false,
        (Some((Seg::Any, _)), _) | (Some(_), None) => true,
        (Some((seg, rest)), Some((head, tail))) => seg.is_match(head) && below(rest, tail),
    }
}

/// The result of splitting the tree: subtrees to grant, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Granted subtrees (directories) and files.
    pub granted: Vec<PathBuf>,
    /// Entries a pattern matched, with the pattern.
    pub denied: Vec<(PathBuf, String)>,
    /// Whether the walk stopped early (limits); what it did not reach is not granted.
    pub truncated: bool,
}

/// Grant everything below `root` except what `patterns` match.
pub fn split(root: &Path, patterns: &[PathPattern]) -> Split {
    let mut out = Split::default();
    let mut budget = MAX_ENTRIES;
    if let Some(p) = patterns.iter().find(|p| p.matches(root)) {
        out.denied
            .push((root.to_path_buf(), p.as_str().to_string()));
    } else if patterns.iter().any(|p| p.may_reach_below(root)) {
        walk(root, patterns, 0, &mut budget, &mut out);
    } else {
        out.granted.push(root.to_path_buf());
    }
    out
}

fn walk(dir: &Path, patterns: &[PathPattern], depth: usize, budget: &mut usize, out: &mut Split) {
    if depth >= MAX_DEPTH {
        out.truncated = true;
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    // The entry's type comes from the directory listing (no extra stat per entry).
    let mut children: Vec<(PathBuf, std::fs::FileType)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_type().ok().map(|t| (e.path(), t)))
        .collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (child, kind) in children {
        if *budget == 0 {
            out.truncated = true;
            return;
        }
        *budget -= 1;
        let child_names = names(&child);
        if let Some(p) = patterns.iter().find(|p| full(&p.segs, &child_names)) {
            out.denied.push((child, p.as_str().to_string()));
            continue;
        }
        if kind.is_symlink() {
            // Never granted: Landlock checks an access through a link against where the link
            // leads, which the walk grants (or not) under its own name. Granting the link would
            // grant its target, and a writable directory could swap the target in between.
            continue;
        }
        if kind.is_dir() && patterns.iter().any(|p| below(&p.segs, &child_names)) {
            walk(&child, patterns, depth + 1, budget, out);
        } else {
            out.granted.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> PathPattern {
        PathPattern::new(s).unwrap()
    }

    #[test]
    fn full_and_below() {
        let p = pat("/h/.ssh/id_*");
        assert!(p.matches(Path::new("/h/.ssh/id_rsa")));
        assert!(!p.matches(Path::new("/h/.ssh")));
        assert!(p.may_reach_below(Path::new("/h/.ssh")));
        assert!(p.may_reach_below(Path::new("/")));
        assert!(!p.may_reach_below(Path::new("/h/.cargo")));
        let r = pat("/root/**");
        assert!(r.matches(Path::new("/root")));
        assert!(r.matches(Path::new("/root/a/b")));
        assert!(!r.matches(Path::new("/rootx")));
        let braces = pat("/h/.ssh/**/\\{\\}");
        assert!(braces.matches(Path::new("/h/.ssh/{}")));
        assert!(!braces.matches(Path::new("/h/.ssh/id")));
    }

    #[test]
    fn split_leaves_out_denied_and_keeps_neighbours() {
        let d = tempfile::tempdir().unwrap();
        let home = d.path();
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/id_rsa"), "k").unwrap();
        std::fs::write(home.join(".ssh/known_hosts"), "h").unwrap();
        std::fs::create_dir_all(home.join("src/deep")).unwrap();
        std::os::unix::fs::symlink(home.join(".ssh"), home.join("keys")).unwrap();
        std::os::unix::fs::symlink(home.join("src"), home.join("code")).unwrap();
        let pats = [pat(&format!("{}/.ssh/id_*", home.display()))];
        let s = split(home, &pats);
        let mut granted = s.granted.clone();
        granted.sort();
        // Links get no rule: access through `keys` or `code` follows their targets.
        assert_eq!(
            granted,
            vec![home.join(".ssh/known_hosts"), home.join("src")]
        );
        assert_eq!(
            s.denied,
            vec![(home.join(".ssh/id_rsa"), pats[0].as_str().to_string())]
        );
        assert!(!s.truncated);
    }
}
