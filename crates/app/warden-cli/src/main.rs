//! The `warden` binary: the front end over the adapters, the policy and the gate.
//!
//! stdout carries data (decisions, reports, hook answers); stderr carries messages. Exit codes are
//! mapped in one place, [`exit`].

mod check;
mod cli;
mod exit;
mod hook;
mod load;
mod policy_cmd;
mod replay;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args, false),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Replay(args) => replay::run(&args),
        Command::Hook(args) => return hook::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("warden: {}", load::render(&e));
            exit::Code::Error.into()
        }
    }
}
