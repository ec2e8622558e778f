//! Skills and plugins: find them, read them, vet the text they put in front of the model, and
//! hand their scripts and hook commands to the caller, which judges them with the same policy
//! and shell lowering as any command an agent runs (no third scanner).
//!
//! A skill is a directory with a `SKILL.md` (Claude Code and OpenClaw); a Claude Code plugin is
//! a directory with `.claude-plugin/plugin.json`, whose `skills/`, `commands/`, `agents/` and
//! `hooks/hooks.json` are read. Every file is hashed, so a skill can be pinned on first trust and
//! a changed one held.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::detect::{scan_text, Field};
use crate::finding::{Finding, Severity};

/// Largest file read (bigger ones are reported, not read).
const MAX_FILE: u64 = 512 * 1024;
/// Most files read in one skill or plugin.
const MAX_FILES: usize = 2_000;
/// Deepest directory level walked.
const MAX_DEPTH: usize = 8;

/// What a file of a skill is to the model and the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Text the model reads as instructions (`SKILL.md`, commands, agents, other markdown).
    Instructions,
    /// A program the skill runs or tells the model to run.
    Script,
    /// A hook configuration: commands run on agent events.
    Hooks,
    /// Anything else (data, images): hashed only.
    Other,
}

/// One file of a skill.
#[derive(Debug, Clone)]
pub struct SkillFile {
    /// Path relative to the skill's root.
    pub rel: String,
    /// What it is.
    pub kind: FileKind,
    /// Its text (empty for unreadable, binary or oversized files).
    pub text: String,
}

/// A skill or plugin, read from disk.
#[derive(Debug, Clone)]
pub struct Skill {
    /// Its name (the directory's).
    pub name: String,
    /// Its root directory.
    pub root: PathBuf,
    /// `skill` or `plugin`.
    pub kind: &'static str,
    /// Its files, in path order.
    pub files: Vec<SkillFile>,
    /// sha256 over every file's path and bytes: what a pin records.
    pub hash: String,
    /// Files that could not be read whole (too big, not UTF-8, too many).
    pub unread: Vec<String>,
}

/// A command the skill makes the agent's machine run: a hook's command or a script's text.
#[derive(Debug, Clone)]
pub struct SkillCommand {
    /// Where it comes from (`hooks/hooks.json#/PreToolUse/0`, `scripts/setup.sh`).
    pub location: String,
    /// The shell text.
    pub command: String,
    /// The agent events that run it (hooks only).
    pub events: Vec<String>,
}

fn kind_of(rel: &str, text: &str) -> FileKind {
    let lower = rel.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    if lower.ends_with("hooks.json") {
        return FileKind::Hooks;
    }
    if matches!(ext, "md" | "mdx" | "txt") {
        return FileKind::Instructions;
    }
    if matches!(
        ext,
        "sh" | "bash" | "zsh" | "py" | "js" | "mjs" | "cjs" | "ts" | "rb" | "pl" | "ps1"
    ) || text.starts_with("#!")
    {
        return FileKind::Script;
    }
    FileKind::Other
}

/// Read the skill or plugin rooted at `root`.
pub fn load(root: &Path) -> Skill {
    let mut paths = Vec::new();
    walk(root, root, 0, &mut paths);
    paths.sort();
    let mut h = Sha256::new();
    let mut files = Vec::new();
    let mut unread = Vec::new();
    for (i, (rel, path)) in paths.iter().enumerate() {
        if i >= MAX_FILES {
            unread.push(format!("{} more files", paths.len() - MAX_FILES));
            break;
        }
        let bytes = match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_FILE => {
                unread.push(format!("{rel} ({} bytes)", m.len()));
                h.update(rel.as_bytes());
                h.update(m.len().to_be_bytes());
                continue;
            }
            Ok(_) => std::fs::read(path).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(&bytes);
        h.update([0]);
        let text = String::from_utf8(bytes).unwrap_or_default();
        let kind = kind_of(rel, &text);
        files.push(SkillFile {
            rel: rel.clone(),
            kind,
            text,
        });
    }
    let kind = if root.join(".claude-plugin").join("plugin.json").is_file() {
        "plugin"
    } else {
        "skill"
    };
    Skill {
        name: root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        root: root.to_path_buf(),
        kind,
        files,
        hash: hex::encode(h.finalize()),
        unread,
    }
}

/// Every regular file under `dir` (symlinks are not followed: a link to `~/.ssh` is reported
/// as a link, not read).
fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) {
    if depth > MAX_DEPTH || out.len() > MAX_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        let rel = path
            .strip_prefix(root)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if ft.is_dir() {
            if e.file_name() != ".git" && e.file_name() != "node_modules" {
                walk(root, &path, depth + 1, out);
            }
        } else if ft.is_file() {
            out.push((rel, path));
        } else if ft.is_symlink() {
            out.push((format!("{rel} (symlink)"), path));
        }
    }
}

/// Findings about the text the model reads (instructions to it, concealment, hidden unicode,
/// sensitive paths, exfiltration URLs) and about what the skill is made of.
pub fn vet(skill: &Skill) -> Vec<Finding> {
    let mut out = Vec::new();
    let mk =
        |rule: &'static str, severity: Severity, item: &str, message: String, evidence: String| {
            Finding {
                rule,
                severity,
                server: skill.name.clone(),
                item: item.to_string(),
                location: String::new(),
                message,
                evidence,
                config: Some(skill.root.clone()),
            }
        };
    for f in &skill.files {
        if f.rel.ends_with("(symlink)") {
            out.push(mk(
                "skill.symlink",
                Severity::Medium,
                &f.rel,
                "a symlink: it may point the agent at files outside the skill".into(),
                String::new(),
            ));
            continue;
        }
        if f.kind == FileKind::Instructions {
            for sig in scan_text(&f.text, Field::Value) {
                out.push(mk(
                    sig.rule,
                    sig.severity,
                    &f.rel,
                    sig.message,
                    sig.evidence,
                ));
            }
        }
    }
    for u in &skill.unread {
        out.push(mk(
            "skill.unread",
            Severity::Medium,
            u,
            "not read (too large, too many files): it cannot be vouched for".into(),
            String::new(),
        ));
    }
    out
}

/// The commands the skill makes the machine run: shell scripts whole, and hook commands with
/// the events that trigger them.
pub fn commands(skill: &Skill) -> Vec<SkillCommand> {
    let mut out = Vec::new();
    for f in &skill.files {
        match f.kind {
            FileKind::Script => out.push(SkillCommand {
                location: f.rel.clone(),
                command: f.text.clone(),
                events: Vec::new(),
            }),
            FileKind::Hooks => {
                if let Ok(doc) = serde_json::from_str::<Value>(&f.text) {
                    hook_commands(&doc, &f.rel, &mut out);
                }
            }
            FileKind::Instructions | FileKind::Other => {}
        }
        if f.rel.ends_with("plugin.json") {
            if let Ok(doc) = serde_json::from_str::<Value>(&f.text) {
                hook_commands(&doc, &f.rel, &mut out);
            }
        }
    }
    out
}

fn hook_commands(doc: &Value, rel: &str, out: &mut Vec<SkillCommand>) {
    for (event, i, command) in settings_hooks(doc) {
        out.push(SkillCommand {
            location: format!("{rel}#/hooks/{event}/{i}"),
            command,
            events: vec![event],
        });
    }
}

/// Every command hook in a Claude Code-style settings or hooks document (`hooks.EVENT[i].hooks[].command`):
/// the event, the group's index and the command.
pub fn settings_hooks(doc: &Value) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let Some(hooks) = doc.get("hooks").and_then(Value::as_object) else {
        return out;
    };
    for (event, groups) in hooks {
        for (i, g) in groups.as_array().into_iter().flatten().enumerate() {
            let list = g
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for c in list.filter_map(|h| h.get("command").and_then(Value::as_str)) {
                out.push((event.clone(), i, c.to_string()));
            }
        }
    }
    out
}

/// Skill and plugin roots in the usual places: Claude Code's user and project skills, its
/// installed plugins, and OpenClaw's skills.
pub fn discover(home: &Path, project: Option<&Path>) -> Vec<PathBuf> {
    let mut roots = vec![
        home.join(".claude").join("skills"),
        home.join(".claude").join("plugins"),
        home.join(".openclaw").join("skills"),
        home.join(".openclaw").join("workspace").join("skills"),
    ];
    if let Some(p) = project {
        roots.push(p.join(".claude").join("skills"));
        roots.push(p.join("skills"));
    }
    let mut out = Vec::new();
    for r in roots {
        find_roots(&r, 0, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// Skill and plugin roots at or under `dir`.
pub fn discover_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    find_roots(dir, 0, &mut out);
    out
}

fn find_roots(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 4 || !dir.is_dir() {
        return;
    }
    if dir.join("SKILL.md").is_file() || dir.join(".claude-plugin").join("plugin.json").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                find_roots(&e.path(), depth + 1, out);
            }
        }
    }
}
