//! `warden approvals`, `warden halt`, `warden resume`, `warden status`: requests to the monitor.

use anyhow::{anyhow, Result};
use serde_json::Value;
use warden_daemon::client;
use warden_daemon::proto::{Request, Response, Scope};

use crate::cli::{ApprovalsCommand, ConnectArgs, HaltArgs, ScopeArg, StatusArgs};
use crate::exit::Code;

pub(crate) fn call(c: &ConnectArgs, req: &Request) -> Result<Value> {
    let hint = match c.target() {
        Ok(t) if t.protected => {
            "the protected monitor runs as its own user: `sudo systemctl status warden`"
        }
        _ => "start it with `warden serve`",
    };
    // One line, said once: the error's cause is already in its message.
    let answer = client::call(&c.socket(), req, c.timeout, |_, _| {})
        .map_err(|e| anyhow!("{e} ({hint})"))?;
    match answer {
        Response::Ok { value } => Ok(value),
        Response::Error { message } => Err(anyhow!(message)),
        other => Err(anyhow!("unexpected answer from the monitor: {other:?}")),
    }
}

fn print(v: &Value) -> Result<Code> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(Code::Ok)
}

/// `warden approvals ...`.
pub fn approvals(cmd: ApprovalsCommand) -> Result<Code> {
    match cmd {
        ApprovalsCommand::List { all, json, connect } => {
            let v = call(&connect, &Request::Approvals { all })?;
            if json {
                return print(&v);
            }
            let list = v.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                eprintln!("no {}approvals", if all { "" } else { "pending " });
            }
            for a in &list {
                let req = &a["request"];
                let rules: Vec<&str> = req["rules"]
                    .as_array()
                    .map(|r| r.iter().filter_map(|x| x["rule"].as_str()).collect())
                    .unwrap_or_default();
                println!(
                    "{}  {:<8}  session {}  tool {}  risk {:.2}  rules [{}]  {}",
                    a["id"].as_str().unwrap_or("?"),
                    a["status"].as_str().unwrap_or("?"),
                    a["session"].as_str().unwrap_or("-"),
                    req["tool"].as_str().unwrap_or("-"),
                    req["risk"].as_f64().unwrap_or(0.0),
                    rules.join(", "),
                    req["reason"].as_str().unwrap_or(""),
                );
            }
            Ok(Code::Ok)
        }
        ApprovalsCommand::Show { id, connect } => {
            print(&call(&connect, &Request::ApprovalShow { id })?)
        }
        ApprovalsCommand::Approve(a) => answer(a, true),
        ApprovalsCommand::Deny(a) => answer(a, false),
    }
}

fn answer(a: crate::cli::AnswerArgs, approve: bool) -> Result<Code> {
    let scope = match a.scope {
        ScopeArg::Once => Scope::Once,
        ScopeArg::Session => Scope::Session,
        ScopeArg::Always => Scope::Always,
    };
    let req = Request::Answer {
        id: a.id,
        approve,
        scope,
        expires_secs: a.expires.map(|d| d.as_secs()),
    };
    print(&call(&a.connect, &req)?)
}

/// `warden halt` and `warden resume`.
pub fn halt(a: &HaltArgs, halt: bool) -> Result<Code> {
    let session = if a.all { None } else { a.session.clone() };
    let req = if halt {
        Request::Halt { session }
    } else {
        Request::Resume { session }
    };
    print(&call(&a.connect, &req)?)
}

/// `warden status`: for people, or `--json`.
pub fn status(a: &StatusArgs) -> Result<Code> {
    let v = call(&a.connect, &Request::Status)?;
    if a.json {
        return print(&v);
    }
    let s = |k: &str| v[k].as_str().unwrap_or("?").to_string();
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    println!("monitor    pid {}, {}", n("pid"), s("protection"));
    println!("state      {}  (socket {})", s("state_dir"), s("socket"));
    println!("policy     {} rules", n("rules"));
    let w = &v["witness"];
    println!(
        "witness    {}{}; syslog {}",
        w["file"].as_str().unwrap_or("?"),
        if w["append_only"].as_bool() == Some(true) {
            " (append-only)"
        } else {
            " (not append-only)"
        },
        w["syslog"].as_str().unwrap_or("none")
    );
    let halted: Vec<&str> = v["halted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!(
        "sessions   {} followed; halted: {}",
        n("sessions_followed"),
        if v["halt_all"].as_bool() == Some(true) {
            "ALL".to_string()
        } else if halted.is_empty() {
            "none".to_string()
        } else {
            halted.join(", ")
        }
    );
    println!(
        "approvals  {} pending, {} grants",
        n("pending_approvals"),
        n("grants")
    );
    let c = &v["config_integrity"];
    if c.is_null() {
        println!("config     not watched (`warden serve --watch-home DIR`)");
    } else {
        let k = |key: &str| c[key].as_u64().unwrap_or(0);
        println!(
            "config     {} files pinned, {} changes held, {} directories watched{}{}",
            k("pinned"),
            k("held"),
            k("watched_dirs"),
            match k("unwatched_dirs") {
                0 => String::new(),
                n => format!(", {n} NOT WATCHED (`warden config status`)"),
            },
            match k("unreadable") {
                0 => String::new(),
                n => format!(", {n} UNREADABLE to the monitor"),
            },
        );
    }
    let o = &v["otlp"];
    if !o.is_null() {
        println!(
            "otlp       {}: logs through record {}, spans through {}{}",
            o["endpoint"].as_str().unwrap_or("?"),
            o["logs_seq"].as_u64().unwrap_or(0),
            o["spans_seq"].as_u64().unwrap_or(0),
            match o["last_error"].as_str() {
                Some(e) => format!("; FAILING, retrying: {e}"),
                None => String::new(),
            }
        );
    }
    for b in v["baselines"].as_array().into_iter().flatten() {
        let top = |k: &str| -> String {
            b[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["name"].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "baseline   {} in {}: {} actions, {} sessions{}; tools [{}] programs [{}] hosts [{}]",
            b["agent"].as_str().unwrap_or("?"),
            b["workspace"].as_str().unwrap_or("?"),
            b["actions"].as_u64().unwrap_or(0),
            b["sessions"].as_u64().unwrap_or(0),
            if b["mature"].as_bool() == Some(true) {
                ""
            } else {
                " (learning)"
            },
            top("top_tools"),
            top("top_programs"),
            top("top_hosts"),
        );
    }
    Ok(Code::Ok)
}
