//! `warden policy lint | test | explain | schema | baseline`.

use anyhow::Result;
use serde_json::json;
use warden_policy::{Policy, PolicySource};

use crate::cli::{LintArgs, PolicyCommand};
use crate::exit::Code;
use crate::{check, load};

/// Run a policy subcommand.
pub fn run(cmd: PolicyCommand) -> Result<Code> {
    match cmd {
        PolicyCommand::Lint(args) => lint(&args, false),
        PolicyCommand::Test(args) => lint(&args, true),
        PolicyCommand::Explain(args) => check::run(&args, true),
        PolicyCommand::Schema { actions } => {
            let schema = if actions {
                serde_json::to_value(schemars_for_actions())?
            } else {
                warden_policy::json_schema()
            };
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(Code::Ok)
        }
        PolicyCommand::Baseline => {
            print!("{}", warden_policy::BASELINE_YAML);
            Ok(Code::Ok)
        }
    }
}

fn schemars_for_actions() -> serde_json::Value {
    warden_action::action_schema()
}

fn lint(args: &LintArgs, test: bool) -> Result<Code> {
    let mut pargs = args.policy.clone();
    pargs.policy.extend(args.files.iter().cloned());
    let cwd = load::current_dir();
    let ws = check::workspace_for(pargs.workspace.as_deref(), &cwd);
    let sources = match load::sources(&pargs, Some(std::path::Path::new(&ws))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", load::render_policy(&e));
            return Ok(Code::Failed);
        }
    };
    let policy = match Policy::compile(&sources) {
        Ok(p) => p,
        Err(e) => {
            if args.json {
                let errs: Vec<String> = e.errors.iter().map(ToString::to_string).collect();
                println!("{}", json!({"ok": false, "errors": errs}));
            }
            eprintln!("{}", load::render_policy(&e));
            return Ok(Code::Failed);
        }
    };
    let files: Vec<String> = sources
        .iter()
        .map(|s: &PolicySource| format!("{} ({})", s.name, s.layer.as_str()))
        .collect();
    let report = policy.run_tests();
    let ok = report.failures.is_empty() || !test;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "ok": ok && (test || report.failures.is_empty()),
                "files": files,
                "rules": policy.rule_count(),
                "mode": policy.mode(),
                "tests": {"passed": report.passed, "failed": report.failures.len()},
                "failures": report.failures,
            }))?
        );
    } else {
        for f in &files {
            eprintln!("loaded {f}");
        }
        for f in &report.failures {
            eprintln!("FAIL {}", f.message);
        }
        eprintln!(
            "{} rule(s), mode {:?}; rule tests: {} passed, {} failed",
            policy.rule_count(),
            policy.mode(),
            report.passed,
            report.failures.len()
        );
    }
    Ok(if report.failures.is_empty() {
        Code::Ok
    } else {
        Code::Failed
    })
}
