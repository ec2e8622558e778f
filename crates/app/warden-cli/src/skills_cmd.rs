//! `warden skills scan | trust`: vet Claude Code and OpenClaw skills and Claude Code plugins
//! before they load. The text the model reads goes through warden-vet's poisoning detector; every
//! script and hook command is lowered and judged by the same policy as any command the agent
//! runs, and scanned for secrets and exfiltration channels by warden-scan. A skill is pinned
//! (hash of every file) when a person trusts it; a new or changed one is reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;
use warden_policy::{Decision, Policy, SessionFacts};
use warden_vet::skills::{self, Skill};
use warden_vet::{Finding, Severity};

use crate::cli::{ScanFormat, SkillsCommand};
use crate::exit::Code;
use crate::load;

/// The pin file of trusted skills in the state directory.
const PINS: &str = "skills.json";

fn pins_path(state: Option<&Path>) -> PathBuf {
    state
        .map(Path::to_path_buf)
        .unwrap_or_else(warden_daemon::default_state_dir)
        .join(PINS)
}

fn read_pins(path: &Path) -> Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t)
            .with_context(|| format!("`{}` is not a pin file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

fn key(s: &Skill) -> String {
    std::fs::canonicalize(&s.root)
        .unwrap_or_else(|_| s.root.clone())
        .display()
        .to_string()
}

/// The interpreter tool a script's text is lowered as.
fn tool_for(location: &str, text: &str) -> &'static str {
    let l = location.to_ascii_lowercase();
    if l.ends_with(".py")
        || text.starts_with("#!/usr/bin/env python")
        || text.starts_with("#!/usr/bin/python")
    {
        "run_python"
    } else if [".js", ".mjs", ".cjs", ".ts"]
        .iter()
        .any(|x| l.ends_with(x))
        || text.starts_with("#!/usr/bin/env node")
    {
        "run_javascript"
    } else {
        "shell"
    }
}

/// Judge one command of a skill with the policy, and scan its text.
fn judge(policy: &Policy, skill: &Skill, c: &skills::SkillCommand, out: &mut Vec<Finding>) {
    let mk = |rule: &'static str, severity: Severity, message: String, evidence: String| Finding {
        rule,
        severity,
        server: skill.name.clone(),
        item: c.location.clone(),
        location: String::new(),
        message,
        evidence,
        config: Some(skill.root.clone()),
    };
    if !c.events.is_empty() {
        out.push(mk(
            "skill.hook.command",
            Severity::Medium,
            format!("runs a command on every {} event", c.events.join(", ")),
            c.command.chars().take(160).collect(),
        ));
    }
    let tool = tool_for(&c.location, &c.command);
    let arg = if tool == "shell" { "command" } else { "code" };
    let doc = json!({"version": 1, "tool": tool, "args": {arg: c.command}});
    let cwd = skill.root.display().to_string();
    let env = warden_adapters::host_env(&cwd, Some(&cwd));
    match warden_adapters::lower(&doc, None, &env) {
        Ok(lowered) => {
            let v = policy.evaluate(&lowered.actions, &SessionFacts::new());
            let rules: Vec<String> = v
                .rules
                .iter()
                .filter(|r| r.decision == v.policy_decision)
                .map(|r| r.rule.clone())
                .collect();
            match v.policy_decision {
                Decision::Deny => out.push(mk(
                    "skill.script.denied",
                    Severity::High,
                    format!("{} [{}]", v.reason, rules.join(", ")),
                    String::new(),
                )),
                Decision::Ask => out.push(mk(
                    "skill.script.held",
                    Severity::Medium,
                    format!("{} [{}]", v.reason, rules.join(", ")),
                    String::new(),
                )),
                Decision::Allow | Decision::Modify => {}
            }
        }
        Err(e) => out.push(mk(
            "skill.script.held",
            Severity::Medium,
            format!("cannot be read: {e}"),
            String::new(),
        )),
    }
    let found = warden_scan::scan(&c.command);
    for f in found
        .secrets
        .iter()
        .filter(|f| f.severity >= warden_scan::Severity::Medium)
    {
        out.push(mk(
            "skill.script.secret",
            Severity::High,
            format!("{} ({})", f.family, f.note),
            f.preview.clone(),
        ));
    }
    for f in found
        .exfil
        .iter()
        .filter(|f| f.severity >= warden_scan::Severity::Medium)
    {
        out.push(mk(
            "skill.script.exfil",
            Severity::High,
            format!("{} ({})", f.family, f.note),
            f.preview.clone(),
        ));
    }
}

/// Scan skills; the worst finding decides the exit code (1 on high or critical).
fn scan(
    paths: &[PathBuf],
    format: ScanFormat,
    state: Option<&Path>,
    policy: &Policy,
) -> Result<Code> {
    let roots = if paths.is_empty() {
        skills::discover(&load::home(), std::env::current_dir().ok().as_deref())
    } else {
        let mut r = Vec::new();
        for p in paths {
            let found = skills::discover_under(p);
            if found.is_empty() {
                r.push(p.clone());
            } else {
                r.extend(found);
            }
        }
        r
    };
    let pins = read_pins(&pins_path(state))?;
    let mut findings = Vec::new();
    let mut summary = Vec::new();
    for root in &roots {
        let skill = skills::load(root);
        let mut f = skills::vet(&skill);
        for c in skills::commands(&skill) {
            judge(policy, &skill, &c, &mut f);
        }
        let status = match pins.get(&key(&skill)) {
            Some(h) if *h == skill.hash => "trusted",
            Some(_) => "changed",
            None => "new",
        };
        if status != "trusted" {
            f.push(Finding {
                rule: "skill.changed",
                severity: if status == "changed" {
                    Severity::High
                } else {
                    Severity::Low
                },
                server: skill.name.clone(),
                item: String::new(),
                location: String::new(),
                message: if status == "changed" {
                    "changed since it was trusted: review it, then `warden skills trust`".into()
                } else {
                    "never trusted: review it, then `warden skills trust`".into()
                },
                evidence: skill.hash.chars().take(16).collect(),
                config: Some(skill.root.clone()),
            });
        }
        let worst = f.iter().map(|x| x.severity).max();
        summary.push(json!({"skill": skill.name, "kind": skill.kind, "root": skill.root, "hash": skill.hash, "status": status, "files": skill.files.len(), "worst": worst.map(|s| s.as_str())}));
        findings.extend(f);
    }
    match format {
        ScanFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"skills": summary, "findings": findings}))?
        ),
        ScanFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&warden_vet::render_sarif(
                &findings,
                env!("CARGO_PKG_VERSION")
            ))?
        ),
        ScanFormat::Table => {
            for s in &summary {
                println!(
                    "{:<8} {:<7} {:<24} {}",
                    s["status"].as_str().unwrap_or(""),
                    s["kind"].as_str().unwrap_or(""),
                    s["skill"].as_str().unwrap_or(""),
                    s["root"].as_str().unwrap_or("")
                );
            }
            if roots.is_empty() {
                eprintln!("no skills or plugins found");
            }
            print!("{}", warden_vet::render_table(&findings));
        }
    }
    let bad = findings.iter().any(|f| f.severity >= Severity::High);
    Ok(if bad { Code::Failed } else { Code::Ok })
}

/// Pin each skill's current hash: a person has read it and trusts it as it is.
fn trust(paths: &[PathBuf], state: Option<&Path>) -> Result<Code> {
    let path = pins_path(state);
    let mut pins = read_pins(&path)?;
    for p in paths {
        let skill = skills::load(p);
        eprintln!(
            "trusted `{}` ({} files, {})",
            skill.name,
            skill.files.len(),
            &skill.hash[..16]
        );
        pins.insert(key(&skill), skill.hash);
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&pins)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(Code::Ok)
}

/// Run `warden skills ...`.
pub fn run(cmd: SkillsCommand) -> Result<Code> {
    match cmd {
        SkillsCommand::Scan {
            paths,
            format,
            state_dir,
            policy,
        } => {
            let p = load::policy(&policy, None)?;
            scan(&paths, format, state_dir.as_deref(), &p)
        }
        SkillsCommand::Trust { paths, state_dir } => trust(&paths, state_dir.as_deref()),
    }
}
