//! Baselines of every (agent, workspace): the entry points the monitor calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use warden_action::Action;

use super::persist::{format_version, profile_list};
use super::{Deviation, Profile, ProfileKey, BASELINE_FORMAT_VERSION, MAX_PROFILES, MAX_REASONS};

/// Baselines of every (agent, workspace) seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// Format version of the persisted form.
    #[serde(default = "format_version")]
    version: u32,
    /// Profiles by key; persisted as a list because JSON object keys must be strings.
    #[serde(default, with = "profile_list")]
    profiles: BTreeMap<ProfileKey, Profile>,
}

impl Default for Baselines {
    fn default() -> Self {
        Self {
            version: BASELINE_FORMAT_VERSION,
            profiles: BTreeMap::new(),
        }
    }
}

impl Baselines {
    /// No history yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The format version this value was built or loaded with.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Learn an allowed batch of actions done at `at_ms` (never feed denied actions: see module doc).
    pub fn observe(&mut self, key: &ProfileKey, actions: &[Action], at_ms: u64) {
        if actions.is_empty() {
            return;
        }
        if let Some(p) = self.profile_mut(key) {
            p.observe(&key.workspace, actions, at_ms);
        }
    }

    /// How far a batch strays from what `key` learned so far (call before [`Self::observe`]).
    pub fn score(&self, key: &ProfileKey, actions: &[Action], at_ms: u64) -> Deviation {
        match self.profiles.get(key) {
            Some(p) => p.score(&key.workspace, actions, at_ms),
            // Allocation-free: empty maps and deques do not allocate.
            None => Profile::default().score(&key.workspace, actions, at_ms),
        }
    }

    /// Remember the last deviation of `key`, for `warden status` (whatever the decision was).
    pub fn record_score(&mut self, key: &ProfileKey, deviation: &Deviation) {
        if let Some(p) = self.profile_mut(key) {
            p.last_score = Some(deviation.score);
            p.last_reasons.clear();
            p.last_reasons
                .extend(deviation.reasons.iter().take(MAX_REASONS).cloned());
        }
    }

    /// The profile of `key`, if anything was learned or recorded for it.
    pub fn profile(&self, key: &ProfileKey) -> Option<&Profile> {
        self.profiles.get(key)
    }

    /// Every key with a profile, in order.
    pub fn keys(&self) -> impl Iterator<Item = &ProfileKey> {
        self.profiles.keys()
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether there are no profiles.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// The profile of `key`, created (dropping the least recently active one if full) if absent.
    fn profile_mut(&mut self, key: &ProfileKey) -> Option<&mut Profile> {
        if !self.profiles.contains_key(key) {
            evict_profiles(&mut self.profiles, MAX_PROFILES - 1);
            self.profiles.insert(key.clone(), Profile::default());
        }
        // Not `entry(key.clone())`: that would clone the key on every call, in the hot path.
        self.profiles.get_mut(key)
    }
}

/// Drop the least recently active profiles until at most `keep` remain.
pub(super) fn evict_profiles(profiles: &mut BTreeMap<ProfileKey, Profile>, keep: usize) {
    while profiles.len() > keep {
        let oldest = profiles
            .iter()
            .min_by_key(|(k, p)| (p.last_ms, *k))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => profiles.remove(&k),
            None => break,
        };
    }
}
