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
    /// Answer an agent's hook (reads the payload on stdin) by asking the monitor.
    ///
    /// Exit 2 (the agent blocks) when the monitor is unreachable, slow or answers garbage,
    /// unless `--fallback local`.
    Hook(HookArgs),
    /// Run the monitor daemon: policy, audit log, approvals, kill switch.
    Serve(ServeArgs),
    /// Verify, read and export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// List and answer pending approvals.
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Kill switch: deny every later action of a session (or of all sessions).
    Halt(HaltArgs),
    /// Lift a halt.
    Resume(HaltArgs),
    /// Show the monitor's state.
    Status(StatusArgs),
    /// Install (or remove) Warden's hooks in an agent's settings.
    Init(InitArgs),
    /// Install the protected deployment (Linux, as root): the monitor as its own system user,
    /// root-owned policy and client config, a systemd unit, hooks in Claude Code's managed
    /// settings.
    Install(InstallArgs),
    /// Remove the protected deployment (the audit log stays unless `--purge`).
    Uninstall(InstallArgs),
    /// Configuration integrity: the agent settings, instructions, MCP configs and skills the
    /// monitor pins and watches; review, approve or restore changes.
    #[command(subcommand)]
    Config(crate::cli_config::ConfigCommand),
    /// Vet skills and plugins (Claude Code, OpenClaw) before they load; trust them by hash.
    #[command(subcommand)]
    Skills(SkillsCommand),
    /// Print the policy guide the agent gets in its context at session start.
    Guide(PolicyArgs),
    /// Print a shell completion script (`warden completions bash > /etc/bash_completion.d/warden`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `warden man > warden.1`.
    Man,
    /// Check this machine's protection: monitor, mode, hooks, policy, sandbox; each gap with the
    /// command that fixes it.
    Doctor(DoctorArgs),
    /// Print the login link of the monitor's web console (`--open` opens it with xdg-open).
    Console(ConsoleArgs),
    /// Measure the hook round trip and the monitor's throughput.
    BenchDaemon(BenchArgs),
    /// Measure a cold decision: one `warden check` process per action, without the monitor.
    BenchCheck(BenchCheckArgs),
    /// Run a command in the kernel sandbox derived from the policy (`warden exec -- CMD...`).
    ///
    /// Landlock (no reads of the credentials the policy denies, writes only to the workspace,
    /// temp dirs and build caches), no_new_privs, a seccomp filter, and a network namespace whose
    /// only way out is Warden's egress proxy. Exit code: the command's; 125 when the sandbox
    /// could not be set up (the command does not run), 127 when the command is not found.
    Exec(ExecArgs),
    /// Measure what the sandbox adds to a command's run time.
    BenchExec(BenchExecArgs),
    /// The MCP gateway: proxy an MCP server (`warden mcp -- COMMAND ARGS...`), gating every
    /// tool call, vetting and pinning its tool definitions; vet configured servers; manage pins.
    Mcp(McpArgs),
}

/// The timeout `warden init` gives every Warden hook in the agent's settings, in seconds.
pub const AGENT_HOOK_TIMEOUT_SECS: u64 = 120;

/// Longest a hook may wait for an approval: with the hook's own timeout on top it must stay
/// under [`AGENT_HOOK_TIMEOUT_SECS`], or the agent kills the hook and goes ahead.
pub const MAX_APPROVAL_WAIT: std::time::Duration = std::time::Duration::from_secs(100);

/// Parse an approval wait, at most [`MAX_APPROVAL_WAIT`].
pub fn approval_wait(s: &str) -> Result<std::time::Duration, String> {
    let d = duration(s)?;
    if d > MAX_APPROVAL_WAIT {
        return Err(format!(
            "`{s}` is longer than the {}s a hook may wait: the agent would kill the hook and go ahead",
            MAX_APPROVAL_WAIT.as_secs()
        ));
    }
    Ok(d)
}

/// Parse a duration: `5s`, `500ms`, `2m`, or a number of seconds.
pub fn duration(s: &str) -> Result<std::time::Duration, String> {
    warden_daemon::parse_duration(s)
}

/// Where the monitor is.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// The monitor's state directory (default `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`).
    #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The monitor's socket (default `warden.sock` in the state directory).
    #[arg(long, env = "WARDEN_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// How long to wait for the monitor.
    #[arg(long, env = "WARDEN_HOOK_TIMEOUT", value_parser = duration, default_value = "5s")]
    pub timeout: std::time::Duration,
    /// The root-owned client config of the protected deployment (default
    /// `/etc/warden/client.json` when it exists). With one, hooks ignore `--socket`,
    /// `WARDEN_SOCKET` and `--fallback`, and check that the server runs as the monitor's uid.
    #[arg(long, value_name = "PATH")]
    pub client_config: Option<PathBuf>,
}

impl ConnectArgs {
    /// Where hooks send their events (see [`warden_daemon::target::resolve`]).
    pub fn target(&self) -> Result<warden_daemon::target::Target, String> {
        warden_daemon::target::resolve(
            self.client_config.as_deref(),
            self.socket.clone(),
            self.state_dir(),
        )
    }

    /// The state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(warden_daemon::default_state_dir)
    }

    /// The socket path for administrators and tools: `--socket`/`WARDEN_SOCKET`, else the
    /// client config's, else the state directory's.
    pub fn socket(&self) -> PathBuf {
        if let Some(s) = &self.socket {
            return s.clone();
        }
        match self.target() {
            Ok(t) => t.socket,
            Err(_) => self.state_dir().join(warden_daemon::SOCKET_FILE),
        }
    }
}

/// What a hook does when the monitor cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fallback {
    /// Block the action (exit 2).
    Block,
    /// Decide with the local policy, and spool the event for the monitor.
    Local,
}

/// `warden serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The state directory (default `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`).
    #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The socket (default `warden.sock` in the state directory).
    #[arg(long, env = "WARDEN_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// The socket's mode, octal (0600: only this user; 0666 with `--allow-uid` for agents running
    /// as other users).
    #[arg(long, default_value = "600", value_parser = octal)]
    pub socket_mode: u32,
    /// Another user whose hooks may connect (repeatable).
    #[arg(long = "allow-uid", value_name = "UID")]
    pub allow_uid: Vec<u32>,
    /// Another user who may answer approvals and halt sessions (repeatable).
    #[arg(long = "admin-uid", value_name = "UID")]
    pub admin_uid: Vec<u32>,
    /// The loopback address of the HTTP API, or `off`.
    #[arg(long, default_value = "127.0.0.1:7870")]
    pub http: String,
    /// Let the agent's own prompt ask instead of holding the hook for `warden approvals`.
    #[arg(long)]
    pub no_approvals: bool,
    /// How long a hook waits for a human to answer an approval.
    #[arg(long, value_parser = approval_wait, default_value = "55s")]
    pub approval_timeout: std::time::Duration,
    /// The decision when nobody answers in time.
    #[arg(long, value_enum, default_value_t = TimeoutDecision::Deny)]
    pub on_approval_timeout: TimeoutDecision,
    /// How often the audit chain's head is signed.
    #[arg(long, value_parser = duration, default_value = "10s")]
    pub checkpoint_interval: std::time::Duration,
    /// Where hooks spool events decided locally (default `spool` in the state directory).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The protected deployment (`sudo warden install` sets it): refuse to start as an agent's
    /// uid or with an agent uid among the administrators; load policy only from root-owned files
    /// (`/etc/warden/policy.yaml` as the user layer, `/etc/warden/managed.yaml`), never from the
    /// agent user's home.
    #[arg(long)]
    pub protected: bool,
    /// Also witness every checkpoint in this file (besides `witness.log` and syslog).
    #[arg(long, value_name = "PATH")]
    pub witness_file: Option<PathBuf>,
    /// Switch kernel audit on when it is off, so that Landlock logs what each sandbox refuses
    /// and the monitor records it under the call (needs CAP_AUDIT_CONTROL; reading the log
    /// needs CAP_AUDIT_READ, which the protected deployment's unit grants).
    #[arg(long)]
    pub kernel_audit: bool,
    /// Post each new approval to this webhook (Slack-compatible JSON: `text`, plus a `warden`
    /// object with the approval id, tool, session, risk, reason and a link).
    #[arg(long, env = "WARDEN_NOTIFY_WEBHOOK", value_name = "URL")]
    pub notify_webhook: Option<String>,
    /// Sign webhook posts with the secret in this file: header `x-warden-signature:
    /// sha256=<hex HMAC-SHA256 of "<x-warden-timestamp>.<body>">`. A file, not an argument, so
    /// that other users cannot read it from the process list.
    #[arg(long, value_name = "FILE")]
    pub notify_secret_file: Option<PathBuf>,
    /// Show each new approval as a desktop notification (`notify-send`).
    #[arg(long)]
    pub notify_desktop: bool,
    /// Notify only approvals at or above this risk (0 to 1).
    #[arg(long, default_value_t = 0.0, value_name = "RISK", value_parser = risk)]
    pub notify_min_risk: f64,
    /// The desktop's own threshold (default: `--notify-min-risk`), e.g. every ask on the
    /// desktop and only the risky ones to the team's webhook.
    #[arg(long, value_name = "RISK", value_parser = risk)]
    pub notify_desktop_min_risk: Option<f64>,
    /// The webhook's own threshold (default: `--notify-min-risk`).
    #[arg(long, value_name = "RISK", value_parser = risk)]
    pub notify_webhook_min_risk: Option<f64>,
    /// Export every audit record to this OpenTelemetry collector (OTLP/HTTP base URL, like
    /// `http://127.0.0.1:4318`): records as logs to `/v1/logs`, gate decisions as spans to
    /// `/v1/traces`. The audit log is the buffer: nothing is lost while the collector is down.
    #[arg(long, env = "WARDEN_OTLP_ENDPOINT", value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Headers for the collector (an API key), one `name=value` per line or comma-separated;
    /// a file, so that other users cannot read them from the process list.
    #[arg(long, value_name = "FILE", requires = "otlp_endpoint")]
    pub otlp_headers_file: Option<PathBuf>,
    /// The first time, export the whole audit log (default: from this start on).
    #[arg(long, requires = "otlp_endpoint")]
    pub otlp_from_start: bool,
    /// An agent's home whose configuration files are pinned and watched (`warden config`);
    /// repeatable. Default: `$HOME`, or in protected mode the homes of the `--allow-uid` users.
    #[arg(long = "watch-home", value_name = "DIR")]
    pub watch_home: Vec<PathBuf>,
    /// Do not pin or watch agent configuration files.
    #[arg(
        long,
        env = "WARDEN_NO_CONFIG_WATCH",
        value_parser = clap::builder::BoolishValueParser::new(),
        conflicts_with = "watch_home"
    )]
    pub no_config_watch: bool,
    /// Take each hook event's time from its payload's `timestamp` (ms) instead of the time it
    /// arrives: for feeding recorded traces (the replay == live test). Refused in protected mode.
    #[arg(long, hide = true)]
    pub trust_event_time: bool,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

fn octal(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .map_err(|e| format!("`{s}` is not an octal mode: {e}"))
}

/// What an approval nobody answered becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeoutDecision {
    /// Deny it.
    Deny,
    /// Let the agent's own prompt ask.
    Ask,
}

/// Which records.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only this session.
    #[arg(long)]
    pub session: Option<String>,
    /// Only records naming this rule.
    #[arg(long)]
    pub rule: Option<String>,
    /// Only this decision (allow, deny, ask, modify).
    #[arg(long)]
    pub decision: Option<String>,
    /// Only this kind (event, decision, approval, admin).
    #[arg(long)]
    pub kind: Option<String>,
    /// From this time: RFC 3339 (`2026-01-01T00:00:00Z`) or a duration ago (`1h`).
    #[arg(long)]
    pub since: Option<String>,
    /// Before this time (same forms).
    #[arg(long)]
    pub until: Option<String>,
}

/// `warden audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every hash, link and signed checkpoint; name any damaged record. Exit 1 if damaged.
    Verify {
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Verify against this public key instead of `audit.pub` (a copy kept elsewhere).
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Also hold the log against the checkpoints in this witness file (a copy of
        /// `witness.log`, a syslog file; repeatable). `witness.log` and the usual syslog files
        /// are always read.
        #[arg(long, value_name = "FILE")]
        witness: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The latest records.
    Tail {
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// How many.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// Keep printing new records.
        #[arg(short, long)]
        follow: bool,
        /// Which records.
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Records matching filters, as JSON lines.
    Search {
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// At most this many (the first ones).
        #[arg(long)]
        limit: Option<usize>,
        /// Which records.
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// One tool call, declared against observed: what the analysis saw and decided, beside what
    /// its kernel sandbox ran and refused (the monitor records both under the call's
    /// tool_use_id).
    Call {
        /// The call's tool_use_id.
        tool_use_id: String,
        /// Only in this session (tool_use_ids are unique per client, not across clients).
        #[arg(long)]
        session: Option<String>,
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export records for a SIEM.
    Export {
        /// The state directory.
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// The format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Which records.
        #[command(flatten)]
        filter: FilterArgs,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Warden's records, one JSON object a line.
    Jsonl,
    /// OCSF 1.3 API Activity events, one a line.
    Ocsf,
}

/// `warden approvals ...`.
#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Pending approvals.
    List {
        /// Include the ones answered since the monitor started.
        #[arg(long)]
        all: bool,
        /// Print the approvals as JSON.
        #[arg(long)]
        json: bool,
        /// Where the monitor is.
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// One approval with its full request.
    Show {
        /// The approval's id.
        id: String,
        /// Where the monitor is.
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Approve.
    Approve(AnswerArgs),
    /// Deny.
    Deny(AnswerArgs),
}

/// `warden approvals approve|deny`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The approval's id.
    pub id: String,
    /// How far the answer reaches: this request, this session, or always (a persisted grant).
    #[arg(long, value_enum, default_value_t = ScopeArg::Once)]
    pub scope: ScopeArg,
    /// When a session or always grant expires (`8h`, `7d`).
    #[arg(long, value_parser = duration)]
    pub expires: Option<std::time::Duration>,
    /// Where the monitor is.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Approval scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// This request.
    Once,
    /// This session.
    Session,
    /// Every session, until `--expires`.
    Always,
}

/// `warden halt|resume`.
#[derive(Debug, Args)]
pub struct HaltArgs {
    /// The session.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub session: Option<String>,
    /// Every session.
    #[arg(long)]
    pub all: bool,
    /// Where the monitor is.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `warden init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The agent.
    #[arg(value_enum)]
    pub agent: Agent,
    /// Claude Code: the user's settings or the project's.
    #[arg(long, value_enum, default_value_t = InitScope::User)]
    pub scope: InitScope,
    /// Remove Warden's hooks instead.
    #[arg(long)]
    pub uninstall: bool,
    /// The command the hooks run (default: this binary).
    #[arg(long, value_name = "PATH")]
    pub command: Option<PathBuf>,
    /// The project directory for `--scope project` (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Claude Code: also run every Bash command in the kernel sandbox (`warden exec`), through
    /// the `CLAUDE_CODE_SHELL_PREFIX` setting and a wrapper script in Warden's config directory.
    #[arg(long)]
    pub sandbox: bool,
    /// Also start the per-user monitor at login (a systemd user unit; a launchd agent on
    /// macOS). With `--uninstall`, remove it.
    #[arg(long)]
    pub autostart: bool,
    /// The protected deployment's client config, passed to every hook command (`warden
    /// install` runs `init` as the agent's user with it).
    #[arg(long, value_name = "PATH")]
    pub client_config: Option<PathBuf>,
    /// OpenClaw: load the plugin from this existing directory (root-owned in the protected
    /// deployment) instead of writing its files into Warden's config directory.
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// OpenClaw: the monitor's socket, written into the plugin's config.
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

/// `warden skills ...`.
#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// Vet skills and plugins: the given directories, else the usual places (`~/.claude/skills`,
    /// `~/.claude/plugins`, `.claude/skills`, `~/.openclaw/skills`). Exit 1 on a high finding.
    Scan {
        /// Skill or plugin directories (or directories holding them).
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
        format: ScanFormat,
        /// Where trusted skills are pinned (default: the state directory).
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Policies (scripts and hook commands are judged with them).
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Trust skills as they are now: pin the hash of every file.
    Trust {
        /// Skill or plugin directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Where trusted skills are pinned (default: the state directory).
        #[arg(long, env = "WARDEN_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

/// Arguments of `warden status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Print the monitor's state as JSON.
    #[arg(long)]
    pub json: bool,
    /// The monitor.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Arguments of `warden console`.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Open the link in the desktop's browser (xdg-open).
    #[arg(long)]
    pub open: bool,
    /// Leave the API token out of the link (paste it into the login form instead).
    #[arg(long)]
    pub no_token: bool,
    /// The monitor.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Arguments of `warden doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
    /// The monitor.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// Arguments of `warden install` and `warden uninstall`.
#[derive(Debug, Clone, Args)]
pub struct InstallArgs {
    /// The user the agents run as (default: the user who ran sudo).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The system user the monitor runs as (created if missing).
    #[arg(long, value_name = "NAME", default_value = "warden")]
    pub monitor_user: String,
    /// Install every file under this directory instead of `/` (packaging, tests); systemd is
    /// then left alone.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also install Codex hooks (in the agent user's `~/.codex/hooks.json`).
    #[arg(long)]
    pub codex: bool,
    /// Also install Warden's OpenClaw plugin: its files root-owned under
    /// `/usr/local/lib/warden/openclaw-plugin`, loaded by the agent user's
    /// `~/.openclaw/openclaw.json`.
    #[arg(long)]
    pub openclaw: bool,
    /// `uninstall`: also remove the state directory (audit log, key).
    #[arg(long)]
    pub purge: bool,
    /// Do not run Claude Code's Bash commands in the kernel sandbox (`warden exec`). Without
    /// the sandbox a tool command can also run the hook with a forged payload.
    #[arg(long)]
    pub no_sandbox: bool,
}

/// Where `init` installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitScope {
    /// `~/.claude/settings.json`.
    User,
    /// `<project>/.claude/settings.json`.
    Project,
}

/// `warden bench-daemon`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Hook round trips to time.
    #[arg(long, default_value_t = 300)]
    pub round_trips: usize,
    /// Decisions to send for the throughput run.
    #[arg(long, default_value_t = 200_000)]
    pub decisions: usize,
    /// Concurrent connections for the throughput run.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 256)]
    pub window: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `warden exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The agent session the command belongs to (for the monitor's report).
    #[arg(long, env = "WARDEN_SESSION")]
    pub session: Option<String>,
    /// The tool call the command belongs to.
    #[arg(long, env = "WARDEN_TOOL_USE_ID")]
    pub tool_use_id: Option<String>,
    /// The working directory (default: the current one).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Print the sandbox's report (layers, refusals, bytes sent) as JSON on stderr.
    #[arg(long)]
    pub report: bool,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Where to send the report.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The command and its arguments.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// `warden bench-check`.
#[derive(Debug, Args)]
pub struct BenchCheckArgs {
    /// Timed runs (after one untimed run that warms the page cache and marks the policy tested).
    #[arg(long, default_value_t = 300)]
    pub runs: usize,
    /// The shell command decided.
    #[arg(long, default_value = "ls")]
    pub command: String,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `warden bench-exec`.
#[derive(Debug, Args)]
pub struct BenchExecArgs {
    /// Runs per command.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// The typical command to time besides `true`.
    #[arg(long, default_value = "git --version >/dev/null && ls -la >/dev/null")]
    pub typical: String,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Policies.
    #[command(flatten)]
    pub policy: PolicyArgs,
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
    /// An OpenClaw event from Warden's OpenClaw plugin.
    Openclaw,
    /// Warden's generic action JSON.
    Generic,
}

/// `warden check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The input file; `-` or nothing reads stdin. Anything that is not a file is decided as a
    /// shell command: `warden check 'rm -rf ~'`.
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
    /// OpenClaw: a plugin that talks to the monitor (`warden init openclaw`), not a hook.
    Openclaw,
}

/// `warden hook`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent calling.
    #[arg(value_enum)]
    pub agent: Agent,
    /// Where the monitor is, and how long to wait for it.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// When the monitor cannot answer: block (exit 2), or decide locally and spool the event.
    #[arg(long, env = "WARDEN_FALLBACK", value_enum, default_value_t = Fallback::Block)]
    pub fallback: Fallback,
    /// Where a local fallback spools events (default `spool` in the state directory).
    #[arg(long, env = "WARDEN_SPOOL_DIR", value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Policies (for the local fallback).
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `warden mcp`: a proxy in place of an MCP server, or one of its subcommands.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  warden mcp -- npx -y @modelcontextprotocol/server-filesystem ~/notes\n  warden mcp --upstream https://mcp.example.com/mcp --listen 127.0.0.1:8931\n  warden mcp scan\n  warden mcp pins approve filesystem"
)]
pub struct McpArgs {
    /// A subcommand; without one, proxy the server given after `--` (or `--upstream`).
    #[command(subcommand)]
    pub command: Option<McpCommand>,
    /// The proxy.
    #[command(flatten)]
    pub proxy: McpProxyArgs,
}

/// `warden mcp scan|pins|bench`.
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Find the MCP configs of common clients (or read CONFIG), start every server, list its
    /// tools, prompts and resources with a real MCP client, and vet them offline.
    ///
    /// Exit 1 when anything high or critical is found.
    Scan(McpScanArgs),
    /// List, approve or forget pinned tool definitions.
    #[command(subcommand)]
    Pins(McpPinsCommand),
    /// Measure what the stdio proxy adds to a `tools/call` and its memory per session.
    Bench(McpBenchArgs),
}

/// How a refused call is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DenyAs {
    /// A tool result with `isError: true` and the reason (the model reads it and adapts).
    Result,
    /// A JSON-RPC error.
    Error,
}

/// Which list items the proxy hides from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HideArg {
    /// Nothing: every definition reaches the model.
    None,
    /// Tools, prompts and resources with high or critical findings no human approved.
    Poisoned,
    /// Also changed definitions, until approved.
    Held,
}

/// The proxy's options.
#[derive(Debug, Args)]
pub struct McpProxyArgs {
    /// The server's name, as rules see it (`mcp__NAME__TOOL`) (default: from the command).
    #[arg(long, value_name = "SERVER_NAME")]
    pub name: Option<String>,
    /// When the monitor cannot answer: block every call, or decide with the local policy.
    #[arg(long, env = "WARDEN_FALLBACK", value_enum, default_value_t = Fallback::Block)]
    pub fallback: Fallback,
    /// How a refused call is answered.
    #[arg(long, value_enum, default_value_t = DenyAs::Result)]
    pub deny_as: DenyAs,
    /// Which list items are hidden from the client.
    #[arg(long, value_enum, default_value_t = HideArg::Poisoned)]
    pub hide: HideArg,
    /// Where pinned definitions live (default: the state directory).
    #[arg(long, env = "WARDEN_MCP_PINS", value_name = "DIR")]
    pub pins: Option<PathBuf>,
    /// Pin nothing: every server is first seen, every session.
    #[arg(long)]
    pub no_pins: bool,
    /// The session id the calls are recorded under (default: one per proxy).
    #[arg(long, env = "WARDEN_SESSION")]
    pub session: Option<String>,
    /// Also replace what this regex matches in tool results (repeatable).
    #[arg(long = "redact", value_name = "REGEX")]
    pub redact: Vec<String>,
    /// Pass secrets in tool results through instead of redacting them.
    #[arg(long)]
    pub no_redact_secrets: bool,
    /// A streamable HTTP server to proxy instead of a command.
    #[arg(long, value_name = "URL", requires = "listen")]
    pub upstream: Option<String>,
    /// Where the HTTP proxy listens (loopback only, unless `--allow-remote`).
    #[arg(long, value_name = "ADDR", requires = "upstream")]
    pub listen: Option<String>,
    /// Let the HTTP proxy listen on a non-loopback address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Log every decision to stderr, not only refusals and findings.
    #[arg(short, long)]
    pub verbose: bool,
    /// Print gate decision times to stderr when the proxy exits.
    #[arg(long)]
    pub stats: bool,
    /// Where the monitor is.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Policies (for the local fallback).
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The server's command line.
    #[arg(last = true, value_name = "COMMAND")]
    pub server: Vec<String>,
}

/// Report formats of `warden mcp scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A table of servers and one of findings.
    Table,
    /// SARIF 2.1.0 (for code scanning).
    Sarif,
    /// JSON.
    Json,
}

/// `warden mcp scan`.
#[derive(Debug, Args)]
pub struct McpScanArgs {
    /// An MCP client config to read instead of finding the known ones.
    #[arg(value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// The report format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// The home directory the client configs are found in (default: `$HOME`).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The project whose configs (`.mcp.json`, `.cursor/mcp.json`, ...) are read too (default:
    /// the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// How long each server may take to start and answer.
    #[arg(long, value_parser = duration, default_value = "20s")]
    pub timeout: std::time::Duration,
    /// Compare with the pins in this directory (default: the state directory).
    #[arg(long, env = "WARDEN_MCP_PINS", value_name = "DIR")]
    pub pins: Option<PathBuf>,
    /// Vet the configs only; start no server.
    #[arg(long)]
    pub no_start: bool,
    /// Also start the servers of the project's own configs (`.mcp.json`, `.cursor/mcp.json`,
    /// ...). Without it they are read and vetted, never run: a cloned repository chooses them.
    #[arg(long)]
    pub start_project: bool,
}

/// `warden mcp pins ...`.
#[derive(Debug, Subcommand)]
pub enum McpPinsCommand {
    /// Pinned servers, and the tools the proxy holds for each.
    List {
        /// The pin directory (default: the state directory).
        #[arg(long, env = "WARDEN_MCP_PINS", value_name = "DIR")]
        pins: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve what the proxy last saw of a server: every held tool, or the ones named.
    Approve {
        /// The server's name (or its pin key).
        server: String,
        /// Only this tool (repeatable).
        #[arg(long = "tool", value_name = "TOOL")]
        tools: Vec<String>,
        /// The pin directory (default: the state directory).
        #[arg(long, env = "WARDEN_MCP_PINS", value_name = "DIR")]
        pins: Option<PathBuf>,
    },
    /// Forget a server's pins: it is first seen again.
    Forget {
        /// The server's name (or its pin key).
        server: String,
        /// The pin directory (default: the state directory).
        #[arg(long, env = "WARDEN_MCP_PINS", value_name = "DIR")]
        pins: Option<PathBuf>,
    },
}

/// `warden mcp bench`.
#[derive(Debug, Args)]
pub struct McpBenchArgs {
    /// Calls to time (after a warm-up).
    #[arg(long, default_value_t = 2000)]
    pub calls: usize,
    /// Concurrent proxied sessions for the memory figure.
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Decide through a monitor started for the benchmark instead of the local policy.
    #[arg(long)]
    pub monitor: bool,
    /// The tool to call, and its arguments as JSON.
    #[arg(long, default_value = "echo")]
    pub tool: String,
    /// The tool's arguments (JSON).
    #[arg(long, default_value = r#"{"text":"hello"}"#)]
    pub args: String,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// The server to call, directly and through the proxy.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub server: Vec<String>,
}

/// A risk threshold: a number from 0 to 1, or just above 1 to turn a channel off.
fn risk(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("not a number: {e}"))?;
    if (0.0..=1.01).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a risk from 0 to 1"))
    }
}
