//! The clap types of `warden config`.

use clap::{Args, Subcommand};

use crate::cli::ConnectArgs;

/// `warden config ...`: requests to the monitor, which holds the pins.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every pinned file and its state: pinned, changed, held (waiting for a person).
    Status {
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
        /// Show every pinned file, not only the ones present or changed.
        #[arg(long)]
        all: bool,
        /// Where the monitor is.
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// A unified diff of the pinned content against the current one.
    Diff(PathArgs),
    /// Pin the current state of a file (or of every changed one): a person approves it. In the
    /// protected deployment only an administrator may.
    Approve(PathArgs),
    /// Put the pinned state of a file (or of every changed one) back.
    Restore(PathArgs),
}

/// A file, or every changed one.
#[derive(Debug, Clone, Args)]
pub struct PathArgs {
    /// The file (default: every changed one).
    pub path: Option<std::path::PathBuf>,
    /// Every changed file (the default when no path is given).
    #[arg(long, conflicts_with = "path")]
    pub all: bool,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
    /// Where the monitor is.
    #[command(flatten)]
    pub connect: ConnectArgs,
}
