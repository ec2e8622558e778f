//! `warden mcp scan`: find the MCP servers of every known client config (or of one config),
//! start each stdio server with a real MCP client (rmcp), list its tools, prompts and resources,
//! and vet them, with the configs' own launch specs, offline. A server that does not start or
//! answer in time is reported, not fatal. HTTP servers are vetted from the config only (they are
//! gated and vetted live by `warden mcp --upstream`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rmcp::transport::TokioChildProcess;
use rmcp::ServiceExt;
use serde::Serialize;
use serde_json::{json, Value};
use warden_vet::{
    check_spec, vet_list, Finding, ListMethod, PinSet, PinStatus, PinStore, ServerSpec, Severity,
    Transport, VetContext,
};

use crate::error::McpError;

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// One config file instead of discovery.
    pub config: Option<PathBuf>,
    /// The home directory configs are found in.
    pub home: PathBuf,
    /// The project whose project-scoped configs are read.
    pub project: Option<PathBuf>,
    /// How long each server may take to start and answer.
    pub timeout: Duration,
    /// Pins to compare with.
    pub pins_dir: Option<PathBuf>,
    /// Start no server: vet the configs only.
    pub no_start: bool,
    /// Also start servers declared by the project's own configs (`.mcp.json` in a cloned
    /// repository is written by whoever wrote the repository: by default it is read and vetted,
    /// never run).
    pub start_project: bool,
}

/// How one server went.
#[derive(Debug, Clone, Serialize)]
pub struct ServerResult {
    /// Its name.
    pub name: String,
    /// The client whose config declares it.
    pub client: String,
    /// The config file.
    pub config: PathBuf,
    /// `stdio` or `http`.
    pub transport: &'static str,
    /// `listed`, `failed`, `skipped` or `disabled`.
    pub status: &'static str,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Tools, prompts and resources listed.
    pub counts: [usize; 3],
    /// Against the pins: `first_seen`, `pinned`, `changed`, or `-`.
    pub pins: String,
    /// The highest severity found for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<Severity>,
}

/// The whole scan.
#[derive(Debug, Default, Serialize)]
pub struct ScanReport {
    /// Configs read.
    pub configs: Vec<PathBuf>,
    /// Every server.
    pub servers: Vec<ServerResult>,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// Configs that could not be read.
    pub errors: Vec<String>,
}

impl ScanReport {
    /// Whether anything high or critical was found.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity >= Severity::High)
    }

    /// The report as tables.
    pub fn table(&self) -> String {
        let mut s = String::new();
        if self.configs.is_empty() {
            s.push_str("no MCP client config found\n");
        }
        for c in &self.configs {
            s.push_str(&format!("config: {}\n", c.display()));
        }
        for e in &self.errors {
            s.push_str(&format!("error: {e}\n"));
        }
        if !self.servers.is_empty() {
            s.push_str(&format!(
                "\n{:<22} {:<15} {:<6} {:<9} {:>5} {:>7} {:>9} {:<10} {}\n",
                "SERVER",
                "CLIENT",
                "KIND",
                "STATUS",
                "TOOLS",
                "PROMPTS",
                "RESOURCES",
                "PINS",
                "WORST"
            ));
            for r in &self.servers {
                s.push_str(&format!(
                    "{:<22} {:<15} {:<6} {:<9} {:>5} {:>7} {:>9} {:<10} {}{}\n",
                    r.name,
                    r.client,
                    r.transport,
                    r.status,
                    r.counts[0],
                    r.counts[1],
                    r.counts[2],
                    r.pins,
                    r.worst.map_or("-", Severity::as_str),
                    r.error
                        .as_ref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default(),
                ));
            }
            s.push('\n');
        }
        s.push_str(&warden_vet::render_table(&self.findings));
        s
    }

    /// The findings as SARIF 2.1.0.
    pub fn sarif(&self) -> Value {
        warden_vet::render_sarif(&self.findings, env!("CARGO_PKG_VERSION"))
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The lists of one server.
#[derive(Debug, Default)]
struct Lists {
    tools: Value,
    prompts: Option<Value>,
    resources: Option<Value>,
    templates: Option<Value>,
}

/// Run the scan.
pub async fn run(opts: &ScanOptions) -> Result<ScanReport, McpError> {
    let discovery = match &opts.config {
        Some(c) => warden_vet::parse_config(c).map_err(|e| McpError::Config(e.to_string()))?,
        None => warden_vet::discover(&opts.home, opts.project.as_deref()),
    };
    // Configs the user named or that live at user level may be started; the others came with
    // the project.
    let user_level: Vec<PathBuf> = match &opts.config {
        Some(c) => vec![c.clone()],
        None => warden_vet::discover(&opts.home, None).configs,
    };
    let mut report = ScanReport {
        configs: discovery.configs.clone(),
        errors: discovery.errors.iter().map(ToString::to_string).collect(),
        ..ScanReport::default()
    };
    let mut listed: Vec<(ServerSpec, Result<Lists, String>)> = Vec::new();
    for spec in discovery.servers {
        let res = match (&spec.transport, spec.disabled, opts.no_start) {
            (_, true, _) => Err("disabled in its config".to_string()),
            (_, _, true) => Err("not started (--no-start)".to_string()),
            _ if !opts.start_project && !user_level.contains(&spec.config_path) => Err(
                "not started: declared by the project's own config (read and vetted only; \
                 `--start-project` starts it)"
                    .to_string(),
            ),
            (Transport::Http { .. }, _, _) => Err(
                "HTTP server: vetted from its config only; `warden mcp --upstream` vets it live"
                    .to_string(),
            ),
            (Transport::Stdio { command, args, env }, _, _) => {
                let env: Vec<(String, String)> = env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect();
                match tokio::time::timeout(opts.timeout, list(command, args, &env)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!(
                        "did not start and answer within {} s",
                        opts.timeout.as_secs()
                    )),
                }
            }
        };
        listed.push((spec, res));
    }
    // Vet with every server's tool names known, so shadowing across servers is seen.
    let mut ctx = VetContext::new();
    for (spec, res) in &listed {
        if let Ok(l) = res {
            ctx.add_server_tools(
                &spec.name,
                warden_vet::list_names(ListMethod::Tools, &l.tools),
            );
        }
    }
    let store = opts
        .pins_dir
        .as_deref()
        .map(PinStore::open)
        .transpose()
        .map_err(|e| McpError::Config(e.to_string()));
    for (spec, res) in listed {
        let mut findings: Vec<Finding> = check_spec(&spec);
        let mut result = ServerResult {
            name: spec.name.clone(),
            client: spec.client.as_str().to_string(),
            config: spec.config_path.clone(),
            transport: match spec.transport {
                Transport::Stdio { .. } => "stdio",
                Transport::Http { .. } => "http",
            },
            status: "listed",
            error: None,
            counts: [0; 3],
            pins: "-".into(),
            worst: None,
        };
        match res {
            Ok(l) => {
                let mut set = PinSet::new(spec.key());
                let lists = [
                    (ListMethod::Tools, Some(&l.tools)),
                    (ListMethod::Prompts, l.prompts.as_ref()),
                    (ListMethod::Resources, l.resources.as_ref()),
                    (ListMethod::ResourceTemplates, l.templates.as_ref()),
                ];
                for (method, v) in lists {
                    let Some(v) = v else { continue };
                    findings.extend(vet_list(&spec.name, method, v, &ctx));
                    set.record(method, v);
                }
                result.counts = [set.tools.len(), set.prompts.len(), set.resources.len()];
                result.pins = match &store {
                    Ok(Some(s)) => match s.check(&spec.key(), &set) {
                        PinStatus::FirstSeen => "first_seen".into(),
                        PinStatus::Unchanged => "pinned".into(),
                        PinStatus::Changed(d) => format!(
                            "changed ({})",
                            d.changed
                                .iter()
                                .chain(&d.added)
                                .map(|i| i.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                    Ok(None) => "-".into(),
                    Err(e) => format!("unreadable: {e}"),
                };
            }
            Err(e) => {
                result.status = if spec.disabled {
                    "disabled"
                } else if e.starts_with("HTTP") || e.starts_with("not started") {
                    "skipped"
                } else {
                    "failed"
                };
                result.error = Some(e);
            }
        }
        let findings: Vec<Finding> = findings
            .into_iter()
            .map(|f| f.with_config(&spec.config_path))
            .collect();
        result.worst = findings.iter().map(|f| f.severity).max();
        report.findings.extend(findings);
        report.servers.push(result);
    }
    Ok(report)
}

/// Start one stdio server, list everything it offers, stop it.
async fn list(command: &str, args: &[String], env: &[(String, String)]) -> Result<Lists, String> {
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let client = ().serve(transport).await.map_err(|e| format!("MCP initialisation failed: {e}"))?;
    let caps = client.peer_info().map(|i| i.capabilities.clone());
    let to_json = |v: Result<Value, serde_json::Error>| v.map_err(|e| e.to_string());
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list failed: {e}"))?;
    let mut lists = Lists {
        tools: json!({ "tools": to_json(serde_json::to_value(tools))? }),
        ..Lists::default()
    };
    if caps.as_ref().is_some_and(|c| c.prompts.is_some()) {
        if let Ok(p) = client.list_all_prompts().await {
            lists.prompts = Some(json!({ "prompts": to_json(serde_json::to_value(p))? }));
        }
    }
    if caps.as_ref().is_some_and(|c| c.resources.is_some()) {
        if let Ok(r) = client.list_all_resources().await {
            lists.resources = Some(json!({ "resources": to_json(serde_json::to_value(r))? }));
        }
        if let Ok(t) = client.list_all_resource_templates().await {
            lists.templates =
                Some(json!({ "resourceTemplates": to_json(serde_json::to_value(t))? }));
        }
    }
    let _ = client.cancel().await;
    Ok(lists)
}

/// The default home: `$HOME`.
pub fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}
