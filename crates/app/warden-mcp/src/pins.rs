//! `warden mcp pins`: what is pinned, what the proxy holds, and a human's approval of it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use warden_vet::PinStore;

use crate::error::McpError;
use crate::vetting::{read_observed, Observed};

/// One server in the pin directory.
#[derive(Debug, Clone, Serialize)]
pub struct PinView {
    /// Its pin key (name with command line or URL).
    pub key: String,
    /// Its name.
    pub server: String,
    /// Whether anything is pinned for it.
    pub pinned: bool,
    /// How many tools, prompts and resources are pinned.
    pub counts: [usize; 3],
    /// Tools the proxy holds (changed, or poisoned and not approved), with their highest severity.
    pub held: BTreeMap<String, String>,
    /// When the proxy last listed it.
    pub seen: Option<String>,
}

fn pin_err(dir: &Path) -> impl Fn(warden_vet::VetError) -> McpError + '_ {
    move |e| McpError::Pins {
        path: dir.join(warden_vet::pin::STORE_FILE),
        message: e.to_string(),
    }
}

/// The server name inside a pin key (`stdio:["name", ...]`, `http:["name", url]`).
pub fn name_of_key(key: &str) -> String {
    key.split_once(':')
        .and_then(|(_, rest)| serde_json::from_str::<Vec<String>>(rest).ok())
        .and_then(|v| v.into_iter().next())
        .unwrap_or_else(|| key.to_string())
}

/// Every server pinned or seen in `dir`.
pub fn list(dir: &Path) -> Result<Vec<PinView>, McpError> {
    let store = PinStore::open(dir).map_err(pin_err(dir))?;
    let observed = read_observed(dir);
    let mut out: BTreeMap<String, PinView> = BTreeMap::new();
    for key in store.keys() {
        let set = store.get(key);
        out.insert(
            key.to_string(),
            PinView {
                key: key.to_string(),
                server: name_of_key(key),
                pinned: true,
                counts: set.map_or([0; 3], |s| {
                    [s.tools.len(), s.prompts.len(), s.resources.len()]
                }),
                held: BTreeMap::new(),
                seen: None,
            },
        );
    }
    for (key, obs) in observed {
        let v = out.entry(key.clone()).or_insert_with(|| PinView {
            key: key.clone(),
            server: obs.server.clone(),
            pinned: false,
            counts: [0; 3],
            held: BTreeMap::new(),
            seen: None,
        });
        // Held as last seen, less what a human approved since (its pin now matches).
        let pinned = store.get(&key);
        v.held = obs
            .held
            .into_iter()
            .filter(|(tool, _)| {
                let now = obs.current.tools.get(tool);
                now.is_none() || pinned.and_then(|p| p.tools.get(tool)) != now
            })
            .collect();
        v.seen = Some(obs.time);
    }
    Ok(out.into_values().collect())
}

fn matching(dir: &Path, server: &str) -> Result<Vec<(String, Option<Observed>)>, McpError> {
    let observed = read_observed(dir);
    let views = list(dir)?;
    let keys: Vec<(String, Option<Observed>)> = views
        .into_iter()
        .filter(|v| v.server == server || v.key == server)
        .map(|v| {
            let o = observed.get(&v.key).cloned();
            (v.key, o)
        })
        .collect();
    if keys.is_empty() {
        return Err(McpError::Config(format!(
            "no server `{server}` is pinned or was seen by the proxy in `{}` (see `warden mcp pins list`)",
            dir.display()
        )));
    }
    Ok(keys)
}

/// Approve what the proxy last saw of `server`: the tools named, or (none named) everything it
/// listed. Returns the approved tools by pin key.
pub fn approve(
    dir: &Path,
    server: &str,
    tools: &[String],
) -> Result<Vec<(String, Vec<String>)>, McpError> {
    let mut store = PinStore::open(dir).map_err(pin_err(dir))?;
    let mut out = Vec::new();
    for (key, obs) in matching(dir, server)? {
        let Some(obs) = obs else {
            return Err(McpError::Config(format!(
                "the proxy has not listed `{server}` yet: nothing to approve (run it through `warden mcp` first)"
            )));
        };
        if tools.is_empty() {
            let names: Vec<String> = obs.current.tools.keys().cloned().collect();
            store
                .approve(&key, obs.current.clone())
                .map_err(pin_err(dir))?;
            out.push((key, names));
        } else {
            let unknown: Vec<&String> = tools
                .iter()
                .filter(|t| !obs.current.tools.contains_key(*t))
                .collect();
            if !unknown.is_empty() {
                return Err(McpError::Config(format!(
                    "`{server}` did not list {}",
                    unknown
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            store
                .approve_tools(&key, &obs.current, tools)
                .map_err(pin_err(dir))?;
            out.push((key, tools.to_vec()));
        }
    }
    Ok(out)
}

/// Forget the pins of `server`: it is first seen again. Returns the keys forgotten.
pub fn forget(dir: &Path, server: &str) -> Result<Vec<String>, McpError> {
    let mut store = PinStore::open(dir).map_err(pin_err(dir))?;
    let mut out = Vec::new();
    for (key, _) in matching(dir, server)? {
        store.remove(&key).map_err(pin_err(dir))?;
        out.push(key);
    }
    Ok(out)
}

/// The list as a table.
pub fn render(views: &[PinView]) -> String {
    if views.is_empty() {
        return "no MCP server is pinned yet\n".into();
    }
    let mut s = format!(
        "{:<24} {:<7} {:>5} {:>7} {:>9}  {}\n",
        "SERVER", "PINNED", "TOOLS", "PROMPTS", "RESOURCES", "HELD"
    );
    for v in views {
        let held = if v.held.is_empty() {
            "-".to_string()
        } else {
            v.held
                .iter()
                .map(|(t, r)| format!("{t} ({r})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "{:<24} {:<7} {:>5} {:>7} {:>9}  {held}\n",
            v.server,
            if v.pinned { "yes" } else { "no" },
            v.counts[0],
            v.counts[1],
            v.counts[2],
        ));
    }
    s
}

/// The list as JSON.
pub fn to_json(views: &[PinView]) -> Value {
    serde_json::to_value(views).unwrap_or(Value::Null)
}
