//! `warden check` and `warden policy explain`: one input, one decision.

use anyhow::Result;
use serde_json::{json, Value};
use warden_adapters::{Format, Lowered};
use warden_policy::{Decision, Policy, Verdict};

use crate::cli::{CheckArgs, InputFormat};
use crate::exit::Code;
use crate::load;

/// The cwd an input says it runs in: `cwd` of a hook payload, `env.cwd` of generic JSON.
pub fn input_cwd(v: &Value) -> Option<String> {
    v.get("cwd")
        .or_else(|| v.get("env").and_then(|e| e.get("cwd")))
        .and_then(Value::as_str)
        .filter(|c| c.starts_with('/'))
        .map(str::to_string)
}

/// The workspace for an input: `--workspace`, `CLAUDE_PROJECT_DIR`, else its cwd.
pub fn workspace_for(args_ws: Option<&std::path::Path>, cwd: &str) -> String {
    args_ws
        .map(|p| p.display().to_string())
        .or_else(|| {
            std::env::var("CLAUDE_PROJECT_DIR")
                .ok()
                .filter(|d| d.starts_with('/'))
        })
        .unwrap_or_else(|| cwd.to_string())
}

fn format_of(f: InputFormat) -> Option<Format> {
    match f {
        InputFormat::Auto => None,
        InputFormat::ClaudeCode => Some(Format::ClaudeCode),
        InputFormat::Codex => Some(Format::Codex),
        InputFormat::Openclaw => Some(Format::OpenClaw),
        InputFormat::Generic => Some(Format::Generic),
    }
}

/// Run `check` (or `explain`, which adds the lowered actions and prints for humans).
pub fn run(args: &CheckArgs, explain: bool) -> Result<Code> {
    let bytes = match args.input.as_deref() {
        // Not a file: a shell command to decide (`warden check 'rm -rf ~'`).
        Some(p) if p != std::path::Path::new("-") && !p.exists() => {
            let command = p.to_string_lossy();
            eprintln!("warden: no file `{command}`: deciding it as a shell command");
            serde_json::to_vec(
                &json!({"version": 1, "tool": "shell", "args": {"command": command}}),
            )?
        }
        other => load::read_input(other)?,
    };
    let doc = match warden_adapters::parse_json(&bytes) {
        Ok(v) => v,
        Err(e) => return Ok(fail_closed(&e.to_string())),
    };
    let cwd = input_cwd(&doc).unwrap_or_else(load::current_dir);
    let workspace = workspace_for(args.policy.workspace.as_deref(), &cwd);
    let policy: Policy = load::policy(&args.policy, Some(std::path::Path::new(&workspace)))?;
    let env = warden_adapters::host_env(&cwd, Some(&workspace));
    let mut lowered = match warden_adapters::lower(&doc, format_of(args.format), &env) {
        Ok(l) => l,
        Err(e) => return Ok(fail_closed(&e.to_string())),
    };
    // The same engine as the monitor's, on a session that has seen nothing yet.
    let at_ms = u64::try_from(warden_audit::now_ms()).unwrap_or(0);
    let verdict = warden_engine::decide_once(&policy, &mut lowered, &env, None, at_ms).verdict;
    let mut out = serde_json::to_value(&verdict)?;
    if let Some(input) = verdict.updated_input(lowered.tool_input.as_ref()) {
        out["updated_input"] = input;
    }
    if explain {
        out["actions"] = serde_json::to_value(&lowered.actions)?;
        print_explanation(&lowered, &verdict);
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(Code::of(verdict.decision))
}

/// An input that cannot be understood is denied: print the decision, exit with the error code.
fn fail_closed(reason: &str) -> Code {
    let v = Verdict::failed(Decision::Deny, format!("input not understood: {reason}"));
    let out = serde_json::to_string_pretty(&v)
        .unwrap_or_else(|_| json!({"decision": "deny"}).to_string());
    println!("{out}");
    eprintln!("warden: input not understood: {reason}");
    Code::Error
}

fn print_explanation(lowered: &Lowered, v: &Verdict) {
    eprintln!("input lowered to {} action(s):", lowered.actions.len());
    for (i, a) in lowered.actions.iter().enumerate() {
        let what = match (a.op.path(), a.op.tool_name()) {
            (Some(p), _) => p.path.clone(),
            (None, Some(t)) => t,
            (None, None) => match &a.op {
                warden_action::Operation::Exec(e) => e.argv.join(" "),
                warden_action::Operation::Network(n) => {
                    n.url.clone().unwrap_or_else(|| n.host.clone())
                }
                _ => String::new(),
            },
        };
        let opaque = a
            .opaque
            .as_ref()
            .map(|o| format!("  (opaque: {})", o.reason))
            .unwrap_or_default();
        eprintln!("  [{i}] {} {what}{opaque}", a.kind().as_str());
    }
    if v.rules.is_empty() {
        eprintln!(
            "no rule fired; default decision: {}",
            v.policy_decision.as_str()
        );
    }
    for r in &v.rules {
        eprintln!(
            "rule `{}` ({} layer) -> {} on action [{}]",
            r.rule,
            r.layer.as_str(),
            r.decision.as_str(),
            r.action
        );
        for f in &r.facts {
            eprintln!("    because {f}");
        }
    }
    eprintln!("decision: {} (risk {:.2})", v.decision.as_str(), v.risk);
}
