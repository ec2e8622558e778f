//! What `warden status` shows about a profile.

use serde::{Deserialize, Serialize};

use super::{Baselines, Profile, ProfileKey};

/// A name and how often it was seen, for `warden status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameCount {
    /// The name (tool, program, host, action kind).
    pub name: String,
    /// How many actions used it.
    pub count: u64,
}

/// What `warden status` shows about one profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// The agent product.
    pub agent: String,
    /// The workspace root.
    pub workspace: String,
    /// Actions learned.
    pub actions: u64,
    /// Sessions seen.
    pub sessions: u64,
    /// Whether novelty is scored yet.
    pub mature: bool,
    /// Time of the first learned action, in ms.
    pub first_seen_ms: Option<u64>,
    /// Time of the last learned action, in ms.
    pub last_seen_ms: Option<u64>,
    /// Action kinds, most used first.
    pub kinds: Vec<NameCount>,
    /// Tool and MCP tool names, most used first (at most five).
    pub top_tools: Vec<NameCount>,
    /// Programs, most used first (at most five).
    pub top_programs: Vec<NameCount>,
    /// Hosts, most used first (at most five).
    pub top_hosts: Vec<NameCount>,
    /// Distinct hosts known.
    pub hosts_known: usize,
    /// Distinct path areas known.
    pub path_areas_known: usize,
    /// Distinct programs known.
    pub programs_known: usize,
    /// Distinct credential files read.
    pub credentials_known: usize,
    /// The last recorded deviation score.
    pub last_score: Option<f64>,
    /// The reasons behind it.
    pub last_reasons: Vec<String>,
}

impl Baselines {
    /// What `warden status` shows for `key` (an empty summary when nothing was learned).
    pub fn summary(&self, key: &ProfileKey) -> ProfileSummary {
        let mut s = match self.profile(key) {
            Some(p) => p.summary(),
            None => ProfileSummary::default(),
        };
        s.agent.clone_from(&key.agent);
        s.workspace.clone_from(&key.workspace);
        s
    }
}

impl Profile {
    /// What `warden status` shows.
    pub(super) fn summary(&self) -> ProfileSummary {
        let mut kinds: Vec<NameCount> = self
            .kinds
            .iter()
            .map(|(k, n)| NameCount {
                name: k.as_str().into(),
                count: *n,
            })
            .collect();
        kinds.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        ProfileSummary {
            agent: String::new(),
            workspace: String::new(),
            actions: self.actions,
            sessions: self.sessions,
            mature: self.is_mature(),
            first_seen_ms: self.first_ms,
            last_seen_ms: self.first_ms.map(|_| self.last_ms),
            kinds,
            top_tools: self.tools.top(5),
            top_programs: self.programs.top(5),
            top_hosts: self.hosts.top(5),
            hosts_known: self.hosts.len(),
            path_areas_known: self.paths.len(),
            programs_known: self.programs.len(),
            credentials_known: self.credentials.len(),
            last_score: self.last_score,
            last_reasons: self.last_reasons.clone(),
        }
    }
}
