//! The `warden` binary: the front end over the adapters, the policy, the gate and the monitor.
//!
//! stdout carries data (decisions, reports, hook answers); stderr carries messages. Exit codes are
//! mapped in one place, [`exit`].

mod admin;
mod audit_call;
mod audit_cmd;
mod bench;
mod bench_check;
mod bench_exec;
mod check;
mod cli;
mod cli_config;
mod config_cmd;
mod console_cmd;
mod doctor;
mod exec;
mod exit;
mod hook;
mod init;
mod init_autostart;
mod init_codex;
mod init_openclaw;
mod init_sandbox;
mod install;
mod load;
mod mcp_cmd;
mod policy_cmd;
mod replay;
mod serve;
mod skills_cmd;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// The monitor allocates per request from several threads; mimalloc keeps that cheap.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A cold decision (`check`, `hook`) runs for milliseconds: transparent huge pages only cost it
/// (the kernel zeroes 2 MiB on the first touch of each of mimalloc's fresh regions, about a
/// sixth of a cold `warden check`). Turned off for the process before it allocates much; a
/// kernel without the switch changes nothing. Not for commands that start others (`exec`,
/// `mcp`): the setting is inherited across fork and exec, and a build run by them may want them.
fn short_lived_memory() {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|c| c == "check" || c == "hook")
    {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

fn main() -> ExitCode {
    short_lived_memory();
    // An agent treats any exit code but 2 as "go ahead"; a panic exits 101. In a hook, every
    // failure must block, so a panic ends the process with 2 and the reason.
    if std::env::args().nth(1).as_deref() == Some("hook") {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("warden blocked this action because it failed while checking it: {info}");
            std::process::exit(exit::Code::Error as i32);
        }));
    } else {
        // Output into a closed pipe (`warden ... | head`) ends quietly, as other tools do.
        std::panic::set_hook(Box::new(|info| {
            if info.to_string().contains("Broken pipe") {
                std::process::exit(141);
            }
            eprintln!("warden: internal error: {info}");
            std::process::exit(exit::Code::Error as i32);
        }));
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args, false),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Replay(args) => replay::run(&args),
        Command::Hook(args) => return hook::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::Audit(cmd) => audit_cmd::run(cmd),
        Command::Approvals(cmd) => admin::approvals(cmd),
        Command::Halt(args) => admin::halt(&args, true),
        Command::Resume(args) => admin::halt(&args, false),
        Command::Status(args) => admin::status(&args),
        Command::Init(args) => init::run(&args),
        Command::Install(args) => install::install(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Console(args) => console_cmd::run(&args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into memory first: the generator panics on a closed pipe.
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "warden", &mut buf);
            std::io::Write::write_all(&mut std::io::stdout(), &buf)
                .map(|()| exit::Code::Ok)
                .map_err(anyhow::Error::from)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map(|()| exit::Code::Ok)
                .map_err(anyhow::Error::from)
        }
        Command::Skills(cmd) => skills_cmd::run(cmd),
        Command::Config(cmd) => config_cmd::run(cmd),
        Command::Guide(args) => load::policy(&args, None).map(|p| {
            print!("{}", p.guide());
            exit::Code::Ok
        }),
        Command::Uninstall(args) => install::uninstall(&args),
        Command::BenchDaemon(args) => bench::run(&args),
        Command::BenchCheck(args) => bench_check::run(&args),
        Command::Mcp(args) => return mcp_cmd::run(args),
        Command::Exec(args) => return exec::run(&args),
        Command::BenchExec(args) => exec::bench(&args),
    };
    match result {
        Ok(code) => code.into(),
        // Output into a closed pipe (`warden completions bash | head`) ends quietly.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::from(141)
        }
        Err(e) => {
            eprintln!("warden: {}", load::render(&e));
            exit::Code::Error.into()
        }
    }
}
