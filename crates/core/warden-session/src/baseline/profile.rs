//! A learned profile: what one (agent, workspace) usually does, and its bookkeeping.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use warden_action::ActionKind;

use super::bounded::Bounded;
use super::hosts::{is_paste_host, site_of};
use super::key::clip;
use super::place::{place, Place};
use super::programs::fnv;
use super::rate::Rate;
use super::{
    MATURE_ACTIONS, MATURE_SESSIONS, MATURE_SPAN_MS, MAX_BIGRAMS, MAX_CREDENTIALS, MAX_HOSTS,
    MAX_PATH_AREAS, MAX_PROGRAMS, MAX_SITES, MAX_TOOLS, RECENT_SESSIONS,
};

/// What one (agent, workspace) usually does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Actions learned.
    pub(super) actions: u64,
    /// Distinct sessions seen (a session returning after [`RECENT_SESSIONS`] others counts again).
    pub(super) sessions: u64,
    /// Hashes of recent session ids, oldest first.
    pub(super) recent_sessions: VecDeque<u64>,
    /// Time of the first learned action.
    pub(super) first_ms: Option<u64>,
    /// Time of the last learned action.
    pub(super) last_ms: u64,
    /// The minute (`at_ms / 60000`) rates are being counted in.
    pub(super) minute: u64,
    /// Actions per kind.
    pub(super) kinds: BTreeMap<ActionKind, u64>,
    /// Tool names (`mcp__server__tool` for MCP calls).
    pub(super) tools: Bounded<String, MAX_TOOLS>,
    /// Hosts contacted.
    pub(super) hosts: Bounded<String, MAX_HOSTS>,
    /// Sites (last two labels) of hosts contacted, so a new CDN node of a known site is not new.
    pub(super) sites: Bounded<String, MAX_SITES>,
    /// Path areas touched.
    pub(super) paths: Bounded<String, MAX_PATH_AREAS>,
    /// Programs run.
    pub(super) programs: Bounded<String, MAX_PROGRAMS>,
    /// Stable hashes of `program subcommand` and `upstream | program` pairs.
    pub(super) bigrams: Bounded<u64, MAX_BIGRAMS>,
    /// Credential files read.
    pub(super) credentials: Bounded<String, MAX_CREDENTIALS>,
    /// When a credential file was last read.
    pub(super) last_credential_read_ms: Option<u64>,
    /// Deletes, weighted by where they happen.
    pub(super) deletes: Rate,
    /// Writes, weighted by where they happen.
    pub(super) writes: Rate,
    /// Network requests.
    pub(super) network: Rate,
    /// The last recorded deviation score.
    pub(super) last_score: Option<f64>,
    /// The reasons behind it.
    pub(super) last_reasons: Vec<String>,
}

impl Profile {
    /// Actions learned.
    pub fn actions(&self) -> u64 {
        self.actions
    }

    /// Sessions seen.
    pub fn sessions(&self) -> u64 {
        self.sessions
    }

    /// Whether there is enough history for novelty to be scored.
    pub fn is_mature(&self) -> bool {
        let span = self
            .first_ms
            .map_or(0, |first| self.last_ms.saturating_sub(first));
        self.actions >= MATURE_ACTIONS
            && (self.sessions >= MATURE_SESSIONS || span >= MATURE_SPAN_MS)
    }

    /// Whether `host` (or, for hosts on their own domain, its site) was contacted before.
    pub fn knows_host(&self, host: &str) -> bool {
        let host = clip(host);
        if self.hosts.contains(host) {
            return true;
        }
        // `x.ngrok.io` is not `y.ngrok.io`: paste and tunnel hosts are matched exactly.
        let site = site_of(host);
        site != host && !is_paste_host(host) && self.sites.contains(site)
    }

    /// Learn the area of a path; returns where it lies.
    pub(super) fn touch_area<'a>(
        &mut self,
        p: &'a str,
        ws: &str,
        home: &str,
        at_ms: u64,
    ) -> Place<'a> {
        let place = place(p, ws, home);
        if !place.bucket.is_empty() {
            self.paths.touch(clip(place.bucket), at_ms);
        }
        place
    }

    /// Count a session the first time it shows up among the recent ones.
    pub(super) fn note_session(&mut self, session: Option<&str>) {
        let Some(s) = session else { return };
        let h = fnv(s.as_bytes(), 0, b"");
        // Batches come from one session: the last one seen is the common case.
        if self.recent_sessions.back() == Some(&h) || self.recent_sessions.contains(&h) {
            return;
        }
        self.sessions = self.sessions.saturating_add(1);
        self.recent_sessions.push_back(h);
        while self.recent_sessions.len() > RECENT_SESSIONS {
            self.recent_sessions.pop_front();
        }
    }
}
