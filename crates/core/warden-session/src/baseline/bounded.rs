//! Use-counted sets of at most a fixed number of keys, and their eviction.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::NameCount;

/// How often a key was used, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Seen {
    /// Uses.
    count: u64,
    /// Time of the last use, in ms.
    last_ms: u64,
}

/// A use-counted set of at most `CAP` keys.
///
/// A `HashMap` with the standard keyed hasher: the keys are attacker-influenced (hosts, paths),
/// so a fixed hash would invite collision floods. Iteration order never leaks out: eviction
/// and serialisation both sort, so behaviour and persisted bytes are deterministic.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bounded<K: Eq + Hash, const CAP: usize> {
    /// Key to uses.
    pub(super) map: HashMap<K, Seen>,
}

impl<K: Eq + Hash, const CAP: usize> Default for Bounded<K, CAP> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Ord + Clone, const CAP: usize> Bounded<K, CAP> {
    /// Size after an eviction: a full set drops its least-used eighth at once.
    pub(super) const AFTER_EVICTION: usize = CAP - CAP / 8;

    /// Whether `key` is known.
    pub(super) fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(key)
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Count one use of `key` at `at_ms` (allocates only for a key not seen before).
    pub(super) fn touch<Q>(&mut self, key: &Q, at_ms: u64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(s) = self.map.get_mut(key) {
            s.count = s.count.saturating_add(1);
            s.last_ms = s.last_ms.max(at_ms);
            return;
        }
        if self.map.len() >= CAP {
            self.evict_to(Self::AFTER_EVICTION);
        }
        self.map.insert(
            key.to_owned(),
            Seen {
                count: 1,
                last_ms: at_ms,
            },
        );
    }

    /// Drop the least-used keys (fewest uses, then oldest, then smallest) until `keep` remain.
    pub(super) fn evict_to(&mut self, keep: usize) {
        let excess = self.map.len().saturating_sub(keep);
        if excess == 0 {
            return;
        }
        let mut order: Vec<(u64, u64, &K)> = self
            .map
            .iter()
            .map(|(k, s)| (s.count, s.last_ms, k))
            .collect();
        // O(n) selection, not a sort: only the `excess` smallest matter, in any order.
        order.select_nth_unstable(excess - 1);
        let drop: Vec<K> = order
            .iter()
            .take(excess)
            .map(|(_, _, k)| (*k).clone())
            .collect();
        for k in drop {
            self.map.remove(&k);
        }
    }

    /// The `n` most used keys, most used first (ties by key).
    pub(super) fn top(&self, n: usize) -> Vec<NameCount>
    where
        K: ToString,
    {
        let mut all: Vec<(&K, u64)> = self.map.iter().map(|(k, s)| (k, s.count)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.into_iter()
            .take(n)
            .map(|(k, count)| NameCount {
                name: k.to_string(),
                count,
            })
            .collect()
    }
}
