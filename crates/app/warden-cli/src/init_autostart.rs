//! `warden init ... --autostart`: start the per-user monitor at login, for the unprotected
//! mode (the protected deployment has its own system unit, `sudo warden install`). Linux: a
//! systemd user unit, enabled when a user manager runs; macOS: a launchd agent.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::InitArgs;

/// The unit's (or agent's) name.
pub const UNIT: &str = "warden.service";
/// The launchd label.
pub const LABEL: &str = "dev.warden.monitor";

/// Where the autostart file goes on this system.
pub fn path() -> PathBuf {
    if cfg!(target_os = "macos") {
        crate::load::home()
            .join("Library/LaunchAgents")
            .join(format!("{LABEL}.plist"))
    } else {
        crate::load::config_home().join("systemd/user").join(UNIT)
    }
}

/// The systemd user unit for `warden`.
pub fn systemd_unit(warden: &str) -> String {
    format!(
        "# Written by `warden init --autostart`; `warden init --autostart --uninstall` removes it.\n\
         # Per-user mode: unprotected (the agent's user can stop it); `sudo warden install` is the\n\
         # protected deployment.\n\
         [Unit]\n\
         Description=Warden monitor (per-user, unprotected)\n\n\
         [Service]\n\
         Type=simple\n\
         ExecStart=\"{warden}\" serve\n\
         Restart=on-failure\n\
         RestartSec=1\n\n\
         [Install]\n\
         WantedBy=default.target\n"
    )
}

/// The launchd agent for `warden`.
pub fn launchd_plist(warden: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         <key>Label</key><string>{LABEL}</string>\n\
         <key>ProgramArguments</key><array><string>{warden}</string><string>serve</string></array>\n\
         <key>RunAtLoad</key><true/>\n<key>KeepAlive</key><true/>\n\
         </dict>\n</plist>\n"
    )
}

/// Run the user manager's command; `false` when there is none (no session bus, no systemd).
fn systemctl(args: &[&str]) -> bool {
    std::process::Command::new("systemctl")
        .arg("--user")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Install (or with `--uninstall` remove) the autostart file, and tell the user manager.
pub fn apply(args: &InitArgs) -> Result<()> {
    let file = path();
    let mac = cfg!(target_os = "macos");
    if args.uninstall {
        if !mac {
            systemctl(&["disable", "--now", UNIT]);
        }
        match std::fs::remove_file(&file) {
            Ok(()) => eprintln!("removed the autostart `{}`", file.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove `{}`", file.display())),
        }
        return Ok(());
    }
    let warden = std::env::current_exe().context("cannot tell where this binary is")?;
    let warden = warden.display().to_string();
    let text = if mac {
        launchd_plist(&warden)
    } else {
        systemd_unit(&warden)
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    std::fs::write(&file, text).with_context(|| format!("cannot write `{}`", file.display()))?;
    if mac {
        eprintln!(
            "autostart: `{}`; load it now with `launchctl load {}`",
            file.display(),
            file.display()
        );
    } else if systemctl(&["daemon-reload"]) && systemctl(&["enable", "--now", UNIT]) {
        eprintln!("autostart: `{}`, enabled and started", file.display());
    } else {
        eprintln!(
            "autostart: `{}` written; no systemd user manager answered here: start it with `systemctl --user enable --now {UNIT}` in a login session, or run `warden serve &`",
            file.display()
        );
    }
    Ok(())
}
