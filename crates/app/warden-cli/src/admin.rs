//! `warden approvals`, `warden halt`, `warden resume`, `warden status`: requests to the monitor.

use anyhow::{anyhow, Result};
use serde_json::Value;
use warden_daemon::client;
use warden_daemon::proto::{Request, Response, Scope};

use crate::cli::{ApprovalsCommand, ConnectArgs, HaltArgs, ScopeArg};
use crate::exit::Code;

fn call(c: &ConnectArgs, req: &Request) -> Result<Value> {
    match client::call(&c.socket(), req, c.timeout, |_, _| {})? {
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
        ApprovalsCommand::List { all, connect } => {
            let v = call(&connect, &Request::Approvals { all })?;
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

/// `warden status`.
pub fn status(c: &ConnectArgs) -> Result<Code> {
    print(&call(c, &Request::Status)?)
}
