//! Behavioural baselines: per agent and workspace, what normal looks like, and how far the next
//! action strays from it.
//!
//! This module owns the learned [`Profile`]s and the deviation score. It is pure and
//! deterministic: no I/O, no clock (the caller passes timestamps in milliseconds), and the same
//! history always gives the same score. The monitor feeds it the audit history at start-up and
//! every decided action afterwards, exposes [`Deviation::facts`] to rules and
//! [`Baselines::summary`] to `warden status`, and persists [`Baselines`] as JSON.
//!
//! The contract with the caller, per action batch (one tool call lowered into its actions):
//! 1. [`Baselines::score`] *before* the decision, against what was learned so far;
//! 2. [`Baselines::record_score`] with the result, whatever the decision;
//! 3. [`Baselines::observe`] *only when the batch was allowed*. Learning denied actions would let
//!    an attacker "train" the baseline by retrying until its hosts and programs look usual; the
//!    caps below stop it from exhausting memory, not from poisoning what it is allowed to do.
//!
//! What is learned: counts of action kinds and tool names, hosts and their sites (hosts with
//! counts), path areas (a directory two levels below the workspace or home, three below `/`, the
//! build or temp directory itself for those), program names, command bigrams (`git push`, and
//! pipeline pairs `cat | curl`), which credential files were read, and per-minute rates of
//! deletes, writes and network requests (a 60 s sliding window, and a histogram of past minutes
//! for "usual").
//!
//! What is flagged, and when: a profile is *mature* after [`MATURE_ACTIONS`] actions over
//! [`MATURE_SESSIONS`] sessions or [`MATURE_SPAN_MS`]. Before that only the strong signals fire, so
//! a fresh install is quiet: a first read of a credential file, a burst of deletes, and a first
//! host of exfiltration shape (a public raw IP, a paste or tunnel site, or data sent) right after
//! a credential read. After maturity every novelty counts, weighted so that everyday developer
//! work stays near zero: registry and forge hosts, loopback, common programs, everyday subcommands
//! of dev toolchains (a `git` workflow on a new branch) and deletes in build or cache directories
//! (`cargo clean`, `rm -rf node_modules`) are learned but not flagged.
//!
//! Bounded memory: every set is capped ([`MAX_HOSTS`], [`MAX_SITES`], [`MAX_PATH_AREAS`],
//! [`MAX_PROGRAMS`], [`MAX_BIGRAMS`], [`MAX_TOOLS`], [`MAX_CREDENTIALS`]; at most
//! [`MAX_PROFILES`] profiles) and keys are clipped to [`MAX_KEY_BYTES`]. A full set drops its
//! least-used eighth (fewest uses, then oldest) in one pass, so a flood of one-off names cannot
//! push out what the agent really uses, and eviction stays amortised O(1) per insert. The worst
//! case is about 18.7k entries of at most ~200 bytes per profile (under 4 MB, so under 250 MB for
//! [`MAX_PROFILES`] profiles all flooded on purpose); real profiles hold a few hundred entries.

mod baselines;
mod bounded;
mod burst;
mod credentials;
mod deviation;
mod hosts;
mod key;
mod learn;
mod persist;
mod place;
mod profile;
mod programs;
mod rate;
mod score;
mod summary;
#[cfg(test)]
mod tests;

pub use baselines::Baselines;
pub use credentials::is_credential_path;
pub use deviation::Deviation;
pub use key::ProfileKey;
pub use profile::Profile;
pub use summary::{NameCount, ProfileSummary};

/// Most distinct hosts a profile remembers.
pub const MAX_HOSTS: usize = 4096;
/// Most distinct sites (registrable domains) a profile remembers.
pub const MAX_SITES: usize = 4096;
/// Most distinct path areas a profile remembers.
pub const MAX_PATH_AREAS: usize = 4096;
/// Most distinct program names a profile remembers.
pub const MAX_PROGRAMS: usize = 1024;
/// Most distinct command bigrams (`git push`, `cat | curl`) a profile remembers.
pub const MAX_BIGRAMS: usize = 4096;
/// Most distinct tool names a profile remembers.
pub const MAX_TOOLS: usize = 1024;
/// Most distinct credential files a profile remembers having read.
pub const MAX_CREDENTIALS: usize = 256;
/// Most profiles kept; the least recently active one is dropped first.
pub const MAX_PROFILES: usize = 64;
/// Longest key (host, path area, program, tool) stored, in bytes; longer ones are cut.
pub const MAX_KEY_BYTES: usize = 128;
/// Fewest actions before a profile is mature.
pub const MATURE_ACTIONS: u64 = 50;
/// Fewest sessions before a profile is mature (or [`MATURE_SPAN_MS`] of history).
pub const MATURE_SESSIONS: u64 = 2;
/// History span that makes a profile mature without [`MATURE_SESSIONS`] sessions: one day.
pub const MATURE_SPAN_MS: u64 = 24 * 60 * 60 * 1000;
/// Version of the persisted JSON form; a monitor discards a file of another version.
pub const BASELINE_FORMAT_VERSION: u32 = 1;

/// Sessions remembered to tell a new session from a returning one.
const RECENT_SESSIONS: usize = 64;
/// Most reasons kept per deviation: a batch of 1000 new hosts need not print 1000 lines.
const MAX_REASONS: usize = 16;
/// The sliding window for rates, in seconds.
const WINDOW_S: u64 = 60;
/// How long after a credential read a new host counts as "right after" it.
const CRED_EXFIL_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Weighted deletes in a minute that are always a burst (even on a fresh profile).
const DELETE_BURST_MIN: f64 = 20.0;
/// A delete burst is also this many times the usual per-minute rate.
const DELETE_BURST_FACTOR: f64 = 4.0;
/// Writes or requests in a minute that can be a burst (mature profiles only).
const RATE_BURST_MIN: f64 = 60.0;
/// A write or network burst is also this many times the usual per-minute rate.
const RATE_BURST_FACTOR: f64 = 5.0;
/// Past minutes needed before "usual" is trusted.
const MIN_MINUTES: u32 = 10;
/// Minutes counted before the histogram is halved, so old habits fade.
const MINUTES_DECAY_AT: u32 = 20_000;
/// Upper bounds of the per-minute histogram buckets (a last bucket holds anything above).
const RATE_BOUNDS: [f64; 15] = [
    0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0, 50.0, 80.0, 120.0, 200.0, 300.0, 500.0,
];
/// "Usual" reported for the open-ended last bucket.
const RATE_OVERFLOW: f64 = 1000.0;
