//! `warden serve`: the monitor daemon, with policies loaded from the same layers as `check`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use warden_daemon::{Config, PolicyLoader};
use warden_policy::{Decision, Layer, Policy, PolicySource};

use crate::cli::{PolicyArgs, ServeArgs, TimeoutDecision};
use crate::exit::Code;
use crate::load;

/// Loads the policy layers named on the command line and discovered on disk.
struct Loader {
    args: PolicyArgs,
    protected: bool,
}

impl PolicyLoader for Loader {
    fn load(&self, workspace: Option<&Path>) -> Result<Policy, String> {
        load::policy_for(&self.args, workspace, self.protected).map_err(|e| load::render(&e))
    }

    fn watch_paths(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = if self.args.no_discover {
            Vec::new()
        } else {
            PolicySource::default_paths(&load::home(), None)
                .into_iter()
                .filter(|(l, _)| *l != Layer::Project)
                .map(|(l, p)| {
                    if self.protected && l == Layer::User {
                        PathBuf::from(load::SYSTEM_POLICY)
                    } else {
                        p
                    }
                })
                .collect()
        };
        out.extend(self.args.policy.iter().cloned());
        out.extend(self.args.managed_policy.iter().cloned());
        out.extend(self.args.project_policy.iter().cloned());
        // Watch by absolute path: events name absolute paths.
        out.into_iter()
            .map(|p| std::path::absolute(&p).unwrap_or(p))
            .collect()
    }
}

/// Run the daemon until SIGTERM.
pub fn run(args: ServeArgs) -> Result<Code> {
    // Before any thread starts: CAP_DAC_READ_SEARCH (the protected unit grants it, to watch the
    // agent's configuration in a 0700 home) leaves every thread's effective set; only the config
    // watch raises it, around its own reads (see `warden_daemon::caps`).
    let read_search = warden_daemon::caps::confine()
        .context("cannot confine CAP_DAC_READ_SEARCH to the config watch")?;
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(warden_daemon::default_state_dir);
    let state_dir = std::path::absolute(&state_dir).unwrap_or(state_dir);
    let mut config = Config::new(state_dir.clone());
    if let Some(s) = &args.socket {
        config.socket = std::path::absolute(s).unwrap_or_else(|_| s.clone());
    }
    if let Some(s) = &args.spool_dir {
        config.spool_dir = s.clone();
    }
    config.socket_mode = args.socket_mode;
    config.hook_uids = args.allow_uid.clone();
    config.admin_uids = args.admin_uid.clone();
    config.http = match args.http.as_str() {
        "off" | "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("`--http {a}` is not an address like 127.0.0.1:7870"))?,
        ),
    };
    config.approvals = !args.no_approvals;
    config.approval_timeout = args.approval_timeout;
    config.on_approval_timeout = match args.on_approval_timeout {
        TimeoutDecision::Deny => Decision::Deny,
        TimeoutDecision::Ask => Decision::Ask,
    };
    config.checkpoint_interval = args.checkpoint_interval;
    config.protected = args.protected;
    config.witness_file = args.witness_file.clone();
    config.kernel_audit = args.kernel_audit;
    config.notify = warden_daemon::notify::NotifyConfig {
        webhook: args.notify_webhook.clone(),
        secret: match &args.notify_secret_file {
            Some(f) => Some(
                std::fs::read(f)
                    .map(|s| s.trim_ascii().to_vec())
                    .with_context(|| format!("cannot read the webhook secret `{}`", f.display()))?,
            ),
            None => None,
        },
        desktop: args.notify_desktop,
        min_risk: args.notify_min_risk,
        desktop_min_risk: args.notify_desktop_min_risk,
        webhook_min_risk: args.notify_webhook_min_risk,
        link_base: None,
    };
    config.watch_homes = watch_homes(&args)?;
    config.otlp = match &args.otlp_endpoint {
        Some(endpoint) => Some(warden_daemon::otlp::OtlpConfig {
            endpoint: endpoint.clone(),
            headers: match &args.otlp_headers_file {
                Some(f) => {
                    let text = std::fs::read_to_string(f).with_context(|| {
                        format!("cannot read the OTLP headers file `{}`", f.display())
                    })?;
                    warden_daemon::otlp::parse_headers(&text.replace('\n', ","))
                        .map_err(|e| anyhow::anyhow!("in `{}`: {e}", f.display()))?
                }
                None => Vec::new(),
            },
            from_start: args.otlp_from_start,
        }),
        None => None,
    };
    if args.trust_event_time && config.protected {
        anyhow::bail!(
            "--trust-event-time lets a client set the baselines' clock: refused in protected mode"
        );
    }
    config.event_time = args.trust_event_time;
    init_tracing(args.log_json);
    if read_search {
        tracing::info!("CAP_DAC_READ_SEARCH held: the config watch alone uses it, to read the agent's configuration");
    }
    // Every detector is built now: one that cannot be built stops the monitor here instead of
    // leaving a gap later.
    warden_shell::build_detectors();
    warden_scan::scanner()
        .map_err(|e| e.clone())
        .and_then(warden_scan::Scanner::build_all)
        .map_err(|e| anyhow::anyhow!("the content scanner cannot be built: {e}"))?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let loader = Arc::new(Loader {
        args: args.policy,
        protected: args.protected,
    });
    rt.block_on(warden_daemon::serve(config, loader))?;
    Ok(Code::Ok)
}

/// The homes whose agent configuration the monitor watches: as given, else `$HOME` (per-user
/// mode) or the `--allow-uid` users' homes (protected mode).
fn watch_homes(args: &ServeArgs) -> Result<Vec<PathBuf>> {
    if args.no_config_watch {
        return Ok(Vec::new());
    }
    if !args.watch_home.is_empty() {
        return Ok(args
            .watch_home
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect());
    }
    if !args.protected {
        return Ok(vec![load::home()]);
    }
    let mut out = Vec::new();
    for uid in &args.allow_uid {
        match crate::install::passwd(&uid.to_string())? {
            Some((_, _, home)) => out.push(home),
            None => anyhow::bail!("uid {uid} (`--allow-uid`) has no passwd entry: its home cannot be watched (`--watch-home DIR` names it)"),
        }
    }
    Ok(out)
}

/// Logging to stderr, filtered by `WARDEN_LOG` (`warn`, `info,warden_daemon=debug`; default
/// `info`). `Targets`, not `EnvFilter`: its directives need no regex engine, and `EnvFilter`'s
/// pulls in a feature that makes every regex in the process build a full DFA at compile time,
/// which more than doubled the cost of compiling the policy in each cold `check` and hook.
fn init_tracing(json: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let spec = std::env::var("WARDEN_LOG").unwrap_or_default();
    let filter: tracing_subscriber::filter::Targets = spec.parse().unwrap_or_else(|e| {
        eprintln!("warden: WARDEN_LOG=`{spec}` is not a log filter ({e}); using `info`");
        tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
    });
    let filter = if spec.trim().is_empty() {
        tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
    } else {
        filter
    };
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    if json {
        tracing_subscriber::registry()
            .with(fmt.json())
            .with(filter)
            .init();
    } else {
        tracing_subscriber::registry()
            .with(fmt.with_ansi(false))
            .with(filter)
            .init();
    }
}
