//! State split into shards by key: each shard has its own lock, so calls of different sessions
//! (or profiles) rarely wait for each other, and none waits on one global lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, MutexGuard};

/// How many shards: a power of two well above the cores a monitor runs on.
const SHARDS: usize = 64;

/// A map split into [`SHARDS`] locked maps, each holding at most `cap / SHARDS` entries.
#[derive(Debug)]
pub(crate) struct Shards<K, V> {
    shards: Box<[Mutex<HashMap<K, V>>]>,
    hasher: RandomState,
    per_shard: usize,
}

impl<K: Hash + Eq + Clone, V: Default> Shards<K, V> {
    /// Empty shards holding at most about `cap` entries in all.
    pub(crate) fn new(cap: usize) -> Self {
        Shards {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            per_shard: (cap / SHARDS).max(1),
        }
    }

    fn shard<Q>(&self, key: &Q) -> MutexGuard<'_, HashMap<K, V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + ?Sized,
    {
        let i = usize::try_from(self.hasher.hash_one(key)).unwrap_or(0) % SHARDS;
        let m = match self.shards.get(i) {
            Some(m) => m,
            // `i < SHARDS` and there are SHARDS shards: unreachable, but not a panic.
            None => &self.shards[0],
        };
        // A panic while holding the lock leaves an entry as a whole: keep going with it.
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Run `f` on the entry of `key`, created if new. Beyond the cap another entry of the shard
    /// is dropped first.
    pub(crate) fn with<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> R
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut m = self.shard(key);
        if let Some(v) = m.get_mut(key) {
            return f(v);
        }
        if m.len() >= self.per_shard {
            if let Some(k) = m.keys().next().cloned() {
                m.remove::<K>(&k);
            }
        }
        f(m.entry(key.to_owned()).or_default())
    }

    /// Run `f` on the entry of `key`, if there is one.
    pub(crate) fn peek<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shard(key).get(key).map(f)
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|m| {
                m.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }

    /// Run `f` on every entry, one shard at a time.
    pub(crate) fn each(&self, mut f: impl FnMut(&K, &V)) {
        for m in self.shards.iter() {
            let m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (k, v) in m.iter() {
                f(k, v);
            }
        }
    }
}
