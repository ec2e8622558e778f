//! # Gate latency benchmarks
//!
//! Decision latency of Warden's gate (`Policy::evaluate`) on the baseline policy over a realistic
//! mix of actions, with 1,000 and 10,000 generated rules, and of the `cedar-policy` crate on
//! equivalent rules, in the same run.
//!
//! ## Running
//!
//! ```text
//! # criterion means (about three minutes on two cores):
//! cargo bench -p warden-bench --bench gate -- --warm-up-time 1 --measurement-time 3
//! # one group only:
//! cargo bench -p warden-bench --bench gate -- --warm-up-time 1 --measurement-time 3 'baseline/'
//! # p50 / p99 / max per scenario, cedar/warden ratios and 1k -> 10k growth:
//! cargo run --release -p warden-bench --bin warden-bench-latency [-- --per-action]
//! ```
//!
//! Criterion reports the mean time of one iteration; every benchmark here makes **one decision
//! per iteration**, going round-robin through the mix (`warden_bench::mix()`, about seventy
//! actions lowered from about fifty inputs), so the figure is the mean per decision over the mix.
//! Shell lowering and path normalisation happen once, before timing: the figures are the gate
//! alone. The target (p50 < 1 µs, p99 < 10 µs on the baseline) is about percentiles, which
//! criterion does not give: the `warden-bench-latency` binary prints them.
//!
//! ## Groups
//!
//! | benchmark | what one iteration does |
//! |-----------|-------------------------|
//! | `baseline/mix` | `policy.evaluate(&[action], &SessionFacts::default())` with the built-in baseline |
//! | `generated/1000`, `generated/10000` | the same, with 1,000 / 10,000 generated rules **layered on top of the baseline** (as the managed layer) |
//! | `cedar/baseline-equivalent/prebuilt` | `Authorizer::is_authorized` on the baseline translated to Cedar, with the request built beforehand |
//! | `cedar/baseline-equivalent/with-request` | the same, building the Cedar `Request` (context from the action's fields) inside the timed loop, as a Cedar-based gate must |
//! | `cedar/baseline-equivalent/sliced` | prebuilt request, with one Cedar policy set per action kind (only the policies whose action scope admits it): hand-made indexing Cedar does not do itself |
//! | `cedar/1000/*`, `cedar/10000/*` | the same three, on the baseline plus the generated rules rendered as Cedar |
//!
//! The generated rules (`warden_bench::generate`) are deterministic: program, path, host and
//! tool globs, argument tests, a share on popular targets (`git`, `mcp__github__*`, `**/*.rs`)
//! and 2 % with no indexable anchor. Both engines agree on every decision of the mix (checked by
//! the crate's tests and printed by `warden-bench-latency`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use warden_action::Action;
use warden_bench::cedar::{CedarGate, CedarRequest};
use warden_bench::{
    cedar_policy_sliced_with, cedar_policy_with, mix, warden_decide, warden_policy_with,
    BenchError, GENERATED_SIZES,
};
use warden_policy::{Policy, SessionFacts};

/// Round-robin over `items`, one per call, continuing where the previous sample stopped so every
/// item is visited about equally however criterion splits iterations into samples.
struct RoundRobin {
    next: usize,
    len: usize,
}

impl RoundRobin {
    fn new(len: usize) -> Self {
        RoundRobin {
            next: 0,
            len: len.max(1),
        }
    }

    fn step(&mut self) -> usize {
        let i = self.next;
        self.next = (self.next + 1) % self.len;
        i
    }
}

fn bench_warden(c: &mut Criterion, group: &str, id: &str, policy: &Policy, mix: &[Action]) {
    let facts = SessionFacts::default();
    let mut g = c.benchmark_group(group);
    let mut rr = RoundRobin::new(mix.len());
    g.bench_function(id, |b| {
        b.iter(|| {
            if let Some(a) = mix.get(rr.step()) {
                black_box(warden_decide(policy, black_box(a), &facts));
            }
        })
    });
    g.finish();
}

fn bench_cedar(
    c: &mut Criterion,
    id: &str,
    full: &CedarGate,
    sliced: &CedarGate,
    mix: &[Action],
    rules: usize,
) -> Result<(), BenchError> {
    let requests: Vec<CedarRequest> = mix
        .iter()
        .map(|a| full.request(a))
        .collect::<Result<_, _>>()?;
    let mut g = c.benchmark_group("cedar");
    // Cedar evaluates every policy on every request: with 1,000 rules a decision takes about a
    // millisecond, with 10,000 tens of milliseconds. Fewer samples keep the run to minutes.
    match rules {
        0..=999 => {}
        1_000..=9_999 => {
            g.sample_size(30);
        }
        _ => {
            g.sample_size(10);
        }
    }
    let mut rr = RoundRobin::new(mix.len());
    g.bench_function(format!("{id}/prebuilt"), |b| {
        b.iter(|| {
            if let Some(r) = requests.get(rr.step()) {
                black_box(full.decide(black_box(r)));
            }
        })
    });
    let mut rr = RoundRobin::new(mix.len());
    g.bench_function(format!("{id}/with-request"), |b| {
        b.iter(|| {
            if let Some(a) = mix.get(rr.step()) {
                black_box(full.decide_action(black_box(a)).ok());
            }
        })
    });
    let mut rr = RoundRobin::new(mix.len());
    g.bench_function(format!("{id}/sliced"), |b| {
        b.iter(|| {
            if let Some(r) = requests.get(rr.step()) {
                black_box(sliced.decide(black_box(r)));
            }
        })
    });
    g.finish();
    Ok(())
}

fn all(c: &mut Criterion) -> Result<(), BenchError> {
    // Everything below is built before any timing starts.
    let mix = mix()?;
    let baseline = warden_policy_with(0)?;
    bench_warden(c, "baseline", "mix", &baseline, &mix);
    for n in GENERATED_SIZES {
        let policy = warden_policy_with(n)?;
        bench_warden(c, "generated", &n.to_string(), &policy, &mix);
    }
    bench_cedar(
        c,
        "baseline-equivalent",
        &cedar_policy_with(0)?,
        &cedar_policy_sliced_with(0)?,
        &mix,
        0,
    )?;
    for n in GENERATED_SIZES {
        let (full, sliced) = (cedar_policy_with(n)?, cedar_policy_sliced_with(n)?);
        bench_cedar(c, &n.to_string(), &full, &sliced, &mix, n)?;
    }
    Ok(())
}

fn gate(c: &mut Criterion) {
    if let Err(e) = all(c) {
        eprintln!("warden-bench: cannot build the fixtures: {e}");
        std::process::exit(1);
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = gate
}
criterion_main!(benches);
