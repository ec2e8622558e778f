//! Persistence: the serde forms of baselines, profile lists and bounded sets. A loaded file
//! goes through the same caps as live learning, so a hand-edited one cannot lift them.

use std::collections::BTreeMap;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::baselines::evict_profiles;
use super::bounded::{Bounded, Seen};
use super::{Profile, ProfileKey, BASELINE_FORMAT_VERSION, MAX_PROFILES};

/// The current format version, for serde defaults.
pub(super) fn format_version() -> u32 {
    BASELINE_FORMAT_VERSION
}

/// Serde for the profile map as a list of `{key, profile}` (struct keys are not JSON keys).
pub(super) mod profile_list {
    use super::*;

    /// One persisted profile, borrowed.
    #[derive(Serialize)]
    struct EntryRef<'a> {
        key: &'a ProfileKey,
        profile: &'a Profile,
    }

    /// One persisted profile, owned.
    #[derive(Deserialize)]
    struct Entry {
        key: ProfileKey,
        profile: Profile,
    }

    pub(in crate::baseline) fn serialize<S: Serializer>(
        map: &BTreeMap<ProfileKey, Profile>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(key, profile)| EntryRef { key, profile }))
    }

    pub(in crate::baseline) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<ProfileKey, Profile>, D::Error> {
        let entries = Vec::<Entry>::deserialize(d)?;
        let mut map: BTreeMap<ProfileKey, Profile> =
            entries.into_iter().map(|e| (e.key, e.profile)).collect();
        // A hand-edited or foreign file must not lift the cap.
        evict_profiles(&mut map, MAX_PROFILES);
        Ok(map)
    }
}

impl<K: Eq + Hash + Ord + Serialize, const CAP: usize> Serialize for Bounded<K, CAP> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Sorted, so the same profile always persists to the same bytes.
        let sorted: BTreeMap<&K, &Seen> = self.map.iter().collect();
        sorted.serialize(s)
    }
}

impl<'de, K, const CAP: usize> Deserialize<'de> for Bounded<K, CAP>
where
    K: Eq + Hash + Ord + Clone + Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<K, Seen>::deserialize(d)?;
        let mut b = Self {
            map: raw.into_iter().collect(),
        };
        // A hand-edited or foreign file must not lift the cap.
        if b.map.len() > CAP {
            b.evict_to(Self::AFTER_EVICTION);
        }
        Ok(b)
    }
}
