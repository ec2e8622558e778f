//! Fixtures for measuring the latency of Warden's gate, and of `cedar-policy` on equivalent rules.
//!
//! Everything here is built once, outside any timed loop:
//!
//! - [`mix()`]: a realistic mix of about seventy actions from about fifty inputs (shell commands
//!   lowered with [`warden_shell::lower`], file reads and writes, network requests, tool and MCP
//!   calls, and a few credential reads and exfiltration attempts the baseline denies), normalised in
//!   [`warden_policy::test_env`] (home `/home/agent`, workspace `/home/agent/project`).
//! - [`generate`]: a deterministic generator of N policy rules, rendered as a Warden policy file
//!   and as the equivalent Cedar policies.
//! - [`cedar`]: the Cedar side: the baseline hand-translated to Cedar, and the mapping from a
//!   Warden [`Action`] to a Cedar request.
//! - [`warden_policy_with`] / [`cedar_policy_with`]: the policies of each scenario. Generated
//!   rules are layered **on top of the baseline** (as the managed layer), on both engines, so the
//!   1,000 and 10,000 scenarios are the baseline plus that many rules.
//! - [`Percentiles`]: p50 / p99 / max over per-decision timings.
//!
//! The benchmark (`benches/gate.rs`) and the percentile printer (`warden-bench-latency`) use these.

pub mod cedar;
pub mod generate;
pub mod mix;

pub use mix::{label, lowered_inputs, mix};

use warden_action::Action;
use warden_policy::{Layer, Policy, PolicySource, SessionFacts, Verdict};

/// Errors building fixtures.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Seed of the rule generator; fixed so every run measures the same rules.
pub const SEED: u64 = 0x5741_5244_454e; // "WARDEN"

/// Rule counts of the generated scenarios.
pub const GENERATED_SIZES: [usize; 2] = [1_000, 10_000];

/// The generated rules of a scenario as a Warden policy source (managed layer).
pub fn generated_source(n: usize) -> PolicySource {
    PolicySource {
        layer: Layer::Managed,
        name: format!("<generated-{n}>"),
        text: generate::to_yaml(&generate::rules(n, SEED)),
    }
}

/// The Warden policy of a scenario: the baseline, plus `generated` rules when non-zero.
pub fn warden_policy_with(generated: usize) -> Result<Policy, BenchError> {
    let mut sources = vec![PolicySource::baseline()];
    if generated > 0 {
        sources.push(generated_source(generated));
    }
    Policy::compile(&sources).map_err(|e| e.to_string().into())
}

/// The generated rules alone, without the baseline (for reference).
pub fn warden_generated_only(n: usize) -> Result<Policy, BenchError> {
    Policy::compile(&[generated_source(n)]).map_err(|e| e.to_string().into())
}

/// The Cedar text of a scenario: the baseline translation, plus `generated` rules when non-zero.
pub fn cedar_text_with(generated: usize) -> String {
    let mut text = cedar::BASELINE_CEDAR.to_string();
    if generated > 0 {
        text.push('\n');
        text.push_str(&generate::to_cedar(&generate::rules(generated, SEED)));
    }
    text
}

/// The Cedar gate of a scenario (see [`cedar_text_with`]).
pub fn cedar_policy_with(generated: usize) -> Result<cedar::CedarGate, BenchError> {
    cedar::CedarGate::new(&cedar_text_with(generated))
}

/// The Cedar gate of a scenario with one policy set per action kind ([`cedar::CedarGate::sliced`]).
pub fn cedar_policy_sliced_with(generated: usize) -> Result<cedar::CedarGate, BenchError> {
    cedar::CedarGate::sliced(&cedar_text_with(generated))
}

/// One Warden decision: the gate on a single action, as the benchmarks time it.
#[inline]
pub fn warden_decide(policy: &Policy, action: &Action, session: &SessionFacts) -> Verdict {
    policy.evaluate(std::slice::from_ref(action), session)
}

/// Percentiles of per-decision timings, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl Percentiles {
    /// Compute from samples (sorted in place); `None` when there are none.
    pub fn of(samples: &mut [u64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(i).copied().unwrap_or(0)
        };
        let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
        Some(Percentiles {
            count: samples.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: samples.last().copied().unwrap_or(0),
            mean: sum as f64 / samples.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_policy::Decision;

    #[test]
    fn mix_is_realistic_and_the_baseline_decides_as_expected() {
        let mix = mix().unwrap();
        assert!((40..=70).contains(&mix.len()), "{} actions", mix.len());
        let policy = warden_policy_with(0).unwrap();
        let facts = SessionFacts::default();
        let decisions: Vec<Decision> = mix
            .iter()
            .map(|a| warden_decide(&policy, a, &facts).decision)
            .collect();
        assert!(decisions.contains(&Decision::Deny));
        assert!(decisions.contains(&Decision::Ask));
        assert!(decisions.iter().filter(|d| **d == Decision::Allow).count() > mix.len() / 2);
    }

    #[test]
    fn generated_policies_compile_on_both_engines_and_agree_on_the_mix() {
        let mix = mix().unwrap();
        let facts = SessionFacts::default();
        for n in [0, 300] {
            let w = warden_policy_with(n).unwrap();
            assert_eq!(
                w.rule_count(),
                warden_policy_with(0).unwrap().rule_count() + n
            );
            for c in [
                cedar_policy_with(n).unwrap(),
                cedar_policy_sliced_with(n).unwrap(),
            ] {
                for a in &mix {
                    let req = c.request(a).unwrap();
                    assert!(
                        c.errors(&req).is_empty(),
                        "{}: {:?}",
                        label(a),
                        c.errors(&req)
                    );
                    assert_eq!(
                        warden_decide(&w, a, &facts).decision,
                        c.decide(&req),
                        "{} with {n} generated rules",
                        label(a)
                    );
                }
            }
        }
    }

    #[test]
    fn generator_is_deterministic() {
        assert_eq!(generate::rules(50, SEED), generate::rules(50, SEED));
        assert_ne!(generate::rules(50, SEED), generate::rules(50, SEED + 1));
    }

    #[test]
    fn percentiles() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&mut v).unwrap();
        assert_eq!((p.p50, p.p99, p.max, p.count), (51, 99, 100, 100));
        assert!(Percentiles::of(&mut []).is_none());
    }
}
