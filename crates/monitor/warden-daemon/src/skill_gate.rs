//! Facts for a tool call beyond the session's own: unapproved configuration changes, and for
//! Claude Code's `Skill` tool, the skill against its pin (`warden skills trust`, the pins in
//! `<state>/skills.json`) and warden-vet's skill scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use warden_action::PathEnv;
use warden_adapters::claude::HookPayload;
use warden_policy::SessionFacts;
use warden_vet::skills;

use crate::daemon::Daemon;

/// The pin file of trusted skills in the state directory (written by `warden skills trust`).
pub const SKILL_PINS: &str = "skills.json";

/// The skill a `Skill` call names (`pdf`, `/pdf`, `plugin:skill`): the plugin, then the skill.
fn skill_name(input: &Value) -> Option<(Option<String>, String)> {
    let raw = ["skill", "command", "name"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str))?;
    let raw = raw.trim().trim_start_matches('/');
    let raw = raw.split_whitespace().next().unwrap_or(raw);
    Some(match raw.split_once(':') {
        Some((plugin, skill)) => (Some(plugin.to_string()), skill.to_string()),
        None => (None, raw.to_string()),
    })
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The root of the skill (or plugin) named, in the agent's home and workspace.
fn find(
    home: &Path,
    workspace: Option<&Path>,
    plugin: Option<&str>,
    name: &str,
) -> Option<PathBuf> {
    let roots = skills::discover(home, workspace);
    let want = plugin.unwrap_or(name);
    roots.into_iter().find(|r| dir_name(r) == want)
}

/// The `skill_*` facts of a `Skill` call (file work: only for this one tool).
pub(crate) fn skill_facts(
    state_dir: &Path,
    home: &Path,
    workspace: Option<&Path>,
    input: &Value,
) -> SessionFacts {
    let mut f = SessionFacts::new();
    let Some((plugin, name)) = skill_name(input) else {
        f.insert("skill_status".into(), json!("unknown"));
        return f;
    };
    let Some(root) = find(home, workspace, plugin.as_deref(), &name) else {
        f.insert("skill_status".into(), json!("unknown"));
        f.insert("skill_risk".into(), json!("none"));
        return f;
    };
    let skill = skills::load(&root);
    let findings = skills::vet(&skill);
    let pins: BTreeMap<String, String> = std::fs::read_to_string(state_dir.join(SKILL_PINS))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let key = std::fs::canonicalize(&root)
        .unwrap_or_else(|_| root.clone())
        .display()
        .to_string();
    let status = match pins.get(&key) {
        Some(h) if *h == skill.hash => "trusted",
        Some(_) => "changed",
        None => "new",
    };
    let risk = findings
        .iter()
        .map(|x| x.severity)
        .max()
        .map_or("none", |s| s.as_str());
    let list: Vec<String> = findings
        .iter()
        .map(|x| {
            format!(
                "{} {}: {} ({})",
                x.severity.as_str(),
                x.rule,
                x.message,
                x.item
            )
        })
        .collect();
    f.insert("skill_status".into(), json!(status));
    f.insert("skill_risk".into(), json!(risk));
    f.insert("skill_findings".into(), json!(list));
    f
}

/// Most sessions with an active skill remembered.
const ACTIVE_SKILLS: usize = 10_000;

impl Daemon {
    /// An allowed `Skill` call makes its skill the session's active one until the turn ends.
    pub(crate) fn note_skill(
        &self,
        session: Option<&str>,
        tool: Option<&str>,
        input: Option<&Value>,
    ) {
        let (Some(session), Some("Skill"), Some(input)) = (session, tool, input) else {
            return;
        };
        let Some((plugin, name)) = skill_name(input) else {
            return;
        };
        let full = match plugin {
            Some(p) => format!("{p}:{name}"),
            None => name,
        };
        let mut st = self.state();
        if st.active_skill.len() >= ACTIVE_SKILLS {
            st.active_skill.clear();
        }
        st.active_skill.insert(session.to_string(), full);
    }

    /// The user's next prompt ends the turn, and with it the skill's activity.
    pub(crate) fn end_turn(&self, session: &str) {
        self.state().active_skill.remove(session);
    }

    /// The skill active in `session`, if any.
    pub(crate) fn active_skill(&self, session: Option<&str>) -> Option<String> {
        let session = session?;
        self.state().active_skill.get(session).cloned()
    }

    /// The facts a tool call gets from outside its session (see the module doc).
    pub(crate) async fn tool_facts(
        &self,
        p: &HookPayload,
        penv: &PathEnv,
        workspace: Option<&str>,
    ) -> SessionFacts {
        let mut f = self
            .guard
            .as_ref()
            .map(crate::config::ConfigGuard::facts)
            .unwrap_or_default();
        if p.tool_name.as_deref() == Some("Skill") {
            let state = self.config.state_dir.clone();
            let home = PathBuf::from(&penv.home);
            let ws = workspace.map(PathBuf::from);
            let input = p.tool_input.clone().unwrap_or(Value::Null);
            let skill = tokio::task::spawn_blocking(move || {
                skill_facts(&state, &home, ws.as_deref(), &input)
            })
            .await
            .unwrap_or_else(|_| {
                let mut f = SessionFacts::new();
                f.insert("skill_status".into(), json!("unknown"));
                f
            });
            f.extend(skill);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_names_are_read_in_every_spelling() {
        assert_eq!(
            skill_name(&json!({"skill": "pdf"})),
            Some((None, "pdf".into()))
        );
        assert_eq!(
            skill_name(&json!({"command": "/tools:lint now"})),
            Some((Some("tools".into()), "lint".into()))
        );
        assert_eq!(skill_name(&json!({})), None);
    }
}
