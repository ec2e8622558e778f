//! The command line, as clap types only; behaviour lives in the command modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Warden: runtime security for AI agents.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide one action (generic action JSON or a Claude Code / Codex hook payload).
    ///
    /// Prints the decision as JSON. Exit code: 0 allow, 3 ask, 4 deny, 5 modify, 2 error.
    Check(CheckArgs),
    /// Validate, test and explain policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Replay evaluation traces through the gate and report what it stopped.
    Replay(ReplayArgs),
    /// Answer an agent's hook (reads the payload on stdin).
    Hook(HookArgs),
}

/// Where policies come from.
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyArgs {
    /// An extra user-layer policy file (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// A project-layer policy file (instead of `<workspace>/.warden/policy.yaml`).
    #[arg(long, value_name = "FILE")]
    pub project_policy: Option<PathBuf>,
    /// A managed-layer policy file (instead of the system one).
    #[arg(long, value_name = "FILE")]
    pub managed_policy: Option<PathBuf>,
    /// Use only the baseline and files given on the command line, no discovery.
    #[arg(long)]
    pub no_discover: bool,
    /// The workspace root (default: the input's cwd, else the current directory).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Detect from the document.
    Auto,
    /// Claude Code hook payload.
    ClaudeCode,
    /// Codex hook payload.
    Codex,
    /// Warden's generic action JSON.
    Generic,
}

/// `warden check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The input file; `-` or nothing reads stdin.
    pub input: Option<PathBuf>,
    /// The input format.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `warden policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check that policies parse and compile; print what was loaded.
    Lint(LintArgs),
    /// Run every rule's own tests.
    Test(LintArgs),
    /// Show which rules fire for an action, and the facts that made them fire.
    Explain(CheckArgs),
    /// Print the JSON Schema of the policy format (or of actions with `--actions`).
    Schema {
        /// The schema of Warden's generic action JSON instead.
        #[arg(long)]
        actions: bool,
    },
    /// Print the built-in baseline policy.
    Baseline,
}

/// `warden policy lint|test`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy files to check as user-layer files (in addition to discovered ones).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `warden replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace files (JSONL, the `../shared/eval` format).
    #[arg(required = true, value_name = "FILE.jsonl")]
    pub files: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write every decision (session, step, tool, decision, rules) as JSONL to this file.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// Agents with hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Agent {
    /// Claude Code (`PreToolUse`, `PermissionRequest`).
    ClaudeCode,
    /// OpenAI Codex (`PreToolUse`).
    Codex,
}

/// `warden hook`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent calling.
    #[arg(value_enum)]
    pub agent: Agent,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}
