//! `warden console [--open]`: the login link of the running monitor's web console.

use std::path::Path;

use anyhow::{anyhow, Result};

use crate::cli::ConsoleArgs;
use crate::exit::Code;

/// The console's URL on the monitor at `addr`; with the token in the fragment (never sent to
/// the server, read by the login page's script and wiped from the address bar) when given.
pub fn login_url(addr: &str, token: Option<&str>) -> String {
    match token {
        Some(t) => format!("http://{addr}/console/login#token={t}"),
        None => format!("http://{addr}/console/login"),
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Print (and with `--open` open) the login link.
pub fn run(a: &ConsoleArgs) -> Result<Code> {
    let dir = a.connect.state_dir();
    let addr = read_trimmed(&dir.join(warden_daemon::HTTP_ADDR_FILE)).ok_or_else(|| {
        anyhow!(
            "no monitor HTTP listener recorded in `{}`: start the monitor with `warden serve` (its HTTP listener is on unless `--http off`)",
            dir.join(warden_daemon::HTTP_ADDR_FILE).display()
        )
    })?;
    let token = read_trimmed(&dir.join(warden_daemon::TOKEN_FILE));
    if token.is_none() {
        eprintln!(
            "note: the API token (`{}`) is not readable by this user; log in with it from an account that may read it",
            dir.join(warden_daemon::TOKEN_FILE).display()
        );
    }
    let url = login_url(&addr, token.as_deref().filter(|_| !a.no_token));
    println!("{url}");
    if a.open {
        match std::process::Command::new("xdg-open").arg(&url).spawn() {
            Ok(_) => {}
            Err(e) => eprintln!("note: cannot run xdg-open ({e}); open the link by hand"),
        }
    }
    Ok(Code::Ok)
}
