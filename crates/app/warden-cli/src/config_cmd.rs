//! `warden config status | diff | approve | restore`: the monitor's configuration pins. Every
//! verb goes to the monitor over its socket, which holds the pins in its state directory and
//! refuses the changing verbs to anyone but an administrator.

use anyhow::Result;
use serde_json::Value;
use warden_daemon::proto::Request;

use crate::admin::call;
use crate::cli_config::{ConfigCommand, PathArgs};
use crate::exit::Code;

fn path_of(a: &PathArgs) -> Option<String> {
    a.path
        .as_ref()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .map(|p| p.display().to_string())
}

fn short(v: &Value) -> String {
    match v["type"].as_str() {
        Some("file") => format!(
            "{} {:o} uid {}",
            v["sha256"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(12)
                .collect::<String>(),
            v["mode"].as_u64().unwrap_or(0),
            v["uid"].as_u64().unwrap_or(0)
        ),
        Some("symlink") => format!("symlink -> {}", v["target"].as_str().unwrap_or("?")),
        Some(t) => t.to_string(),
        None => "?".into(),
    }
}

fn status(v: &Value, all: bool) {
    let files = v["files"].as_array().cloned().unwrap_or_default();
    println!("{:<8} {:<28} {:<28} PATH", "STATE", "PINNED", "CURRENT");
    let mut hidden = 0;
    for f in &files {
        let state = f["state"].as_str().unwrap_or("?");
        let absent = f["current"]["type"] == "absent" && f["pinned"]["type"] == "absent";
        if absent && !all {
            hidden += 1;
            continue;
        }
        println!(
            "{:<8} {:<28} {:<28} {}",
            state,
            short(&f["pinned"]),
            short(&f["current"]),
            f["path"].as_str().unwrap_or("?")
        );
        if let Some(h) = f["held"].as_object() {
            let classes: Vec<&str> = h["classes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            println!(
                "         held since {} ({}), approval {}",
                h["since"].as_str().unwrap_or("?"),
                classes.join(", "),
                h["approval"].as_str().unwrap_or("-")
            );
        }
    }
    if hidden > 0 {
        eprintln!("{hidden} watched locations have no file (`--all` lists them)");
    }
    for e in v["unwatched"].as_array().into_iter().flatten() {
        eprintln!(
            "NOT WATCHED: {}: {}",
            e["dir"].as_str().unwrap_or("?"),
            e["error"].as_str().unwrap_or("?")
        );
    }
    if v["protected"].as_bool() != Some(true) {
        eprintln!(
            "unprotected: the pins live in {} and the agent's user can edit them",
            v["store"].as_str().unwrap_or("the state directory")
        );
    }
}

/// Run `warden config ...`.
pub fn run(cmd: ConfigCommand) -> Result<Code> {
    match cmd {
        ConfigCommand::Status { json, all, connect } => {
            let v = call(&connect, &Request::ConfigStatus)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                status(&v, all);
            }
            Ok(Code::Ok)
        }
        ConfigCommand::Diff(a) => {
            let v = call(&a.connect, &Request::ConfigDiff { path: path_of(&a) })?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(Code::Ok);
            }
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                eprintln!("every watched file matches its pin");
            }
            for d in &list {
                print!("{}", d["diff"].as_str().unwrap_or(""));
                if d["pinned"]["type"] != d["current"]["type"]
                    || d["pinned"]["mode"] != d["current"]["mode"]
                {
                    println!(
                        "# {}: pinned {}, now {}",
                        d["path"].as_str().unwrap_or("?"),
                        short(&d["pinned"]),
                        short(&d["current"])
                    );
                }
            }
            Ok(Code::Ok)
        }
        ConfigCommand::Approve(a) => {
            let v = call(&a.connect, &Request::ConfigApprove { path: path_of(&a) })?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(Code::Ok)
        }
        ConfigCommand::Restore(a) => {
            let v = call(&a.connect, &Request::ConfigRestore { path: path_of(&a) })?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            let failed = v["restored"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["restored"] != Value::Bool(true));
            Ok(if failed { Code::Failed } else { Code::Ok })
        }
    }
}
