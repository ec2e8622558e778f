//! Prints per-decision latency percentiles (p50 / p90 / p99 / max) of Warden's gate and of
//! `cedar-policy` on equivalent rules, for the baseline policy and with 1,000 and 10,000
//! generated rules layered on top of it. Criterion reports means; this reports the tail.
//!
//! ```text
//! cargo run --release -p warden-bench --bin warden-bench-latency [-- --per-action] [--budget-ms 1500]
//! ```
//!
//! Every decision is timed on its own with `std::time::Instant` (the timer's own overhead,
//! printed first, is included in every sample). Shell lowering and normalisation happen before
//! timing. Cedar is timed three ways: request prebuilt, request built per decision (what a
//! Cedar-based gate must do), and request prebuilt with one policy set per action kind.
//! Before timing, both engines' decisions and fired rules are compared on the whole mix.

use std::hint::black_box;
use std::time::{Duration, Instant};

use warden_action::{Action, ActionKind};
use warden_bench::cedar::CedarGate;
use warden_bench::{
    cedar_policy_sliced_with, cedar_policy_with, label, lowered_inputs, mix, warden_decide,
    warden_generated_only, warden_policy_with, BenchError, Percentiles, GENERATED_SIZES,
};
use warden_policy::{Policy, SessionFacts};

struct Options {
    per_action: bool,
    budget: Duration,
    /// `--spin warden|cedar N SECONDS`: only loop decisions of one scenario, for a profiler.
    spin: Option<(String, usize, u64)>,
}

fn options() -> Result<Options, BenchError> {
    let mut o = Options {
        per_action: false,
        budget: Duration::from_millis(1500),
        spin: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--per-action" => o.per_action = true,
            "--budget-ms" => {
                let v = args.next().ok_or("--budget-ms needs a value")?;
                o.budget = Duration::from_millis(v.parse()?);
            }
            "--spin" => {
                let engine = args.next().ok_or("--spin needs ENGINE RULES SECONDS")?;
                let rules = args
                    .next()
                    .ok_or("--spin needs ENGINE RULES SECONDS")?
                    .parse()?;
                let secs = args
                    .next()
                    .ok_or("--spin needs ENGINE RULES SECONDS")?
                    .parse()?;
                o.spin = Some((engine, rules, secs));
            }
            "-h" | "--help" => {
                println!("usage: warden-bench-latency [--per-action] [--budget-ms N] [--spin warden|cedar GENERATED SECONDS]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    Ok(o)
}

/// Time `decide(i)` for every item of a round, for as many rounds as fit in `budget` (at least
/// 20), after one warm-up round. Returns all samples and the per-item samples.
fn measure(
    items: usize,
    budget: Duration,
    mut decide: impl FnMut(usize),
) -> (Vec<u64>, Vec<Vec<u64>>) {
    let start = Instant::now();
    for i in 0..items {
        decide(i);
    }
    let round = start.elapsed().max(Duration::from_nanos(1));
    let rounds = (budget.as_nanos() / round.as_nanos()).clamp(20, 20_000) as usize;
    let mut all = Vec::with_capacity(rounds * items);
    let mut per_item = vec![Vec::with_capacity(rounds); items];
    for _ in 0..rounds {
        for (i, slot) in per_item.iter_mut().enumerate() {
            let t = Instant::now();
            decide(i);
            let ns = t.elapsed().as_nanos() as u64;
            all.push(ns);
            slot.push(ns);
        }
    }
    (all, per_item)
}

struct Row {
    name: String,
    p: Percentiles,
    per_item: Vec<Vec<u64>>,
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn print_row(r: &Row) {
    println!(
        "{:<44} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        r.name,
        r.p.count,
        fmt_ns(r.p.mean),
        fmt_ns(r.p.p50 as f64),
        fmt_ns(r.p.p90 as f64),
        fmt_ns(r.p.p99 as f64),
        fmt_ns(r.p.max as f64),
    );
}

fn run(
    name: &str,
    items: usize,
    budget: Duration,
    decide: impl FnMut(usize),
) -> Result<Row, BenchError> {
    let (mut all, per_item) = measure(items, budget, decide);
    let p = Percentiles::of(&mut all).ok_or("no samples")?;
    let row = Row {
        name: name.to_string(),
        p,
        per_item,
    };
    print_row(&row);
    Ok(row)
}

fn warden_row(
    name: &str,
    policy: &Policy,
    mix: &[Action],
    budget: Duration,
) -> Result<Row, BenchError> {
    let facts = SessionFacts::default();
    run(name, mix.len(), budget, |i| {
        if let Some(a) = mix.get(i) {
            black_box(warden_decide(policy, black_box(a), &facts));
        }
    })
}

/// Cedar timings of one scenario: request prebuilt, request built per decision, and (prebuilt)
/// with one policy set per action kind.
struct CedarRows {
    prebuilt: Row,
    built: Row,
    sliced: Row,
}

fn cedar_rows(
    size: &str,
    gate: &CedarGate,
    sliced: &CedarGate,
    mix: &[Action],
    budget: Duration,
) -> Result<CedarRows, BenchError> {
    let requests = mix
        .iter()
        .map(|a| gate.request(a))
        .collect::<Result<Vec<_>, _>>()?;
    let prebuilt = run(
        &format!("cedar {size} (request prebuilt)"),
        mix.len(),
        budget,
        |i| {
            if let Some(r) = requests.get(i) {
                black_box(gate.decide(black_box(r)));
            }
        },
    )?;
    let built = run(
        &format!("cedar {size} (request built per decision)"),
        mix.len(),
        budget,
        |i| {
            if let Some(a) = mix.get(i) {
                black_box(gate.decide_action(black_box(a)).ok());
            }
        },
    )?;
    let sliced = run(
        &format!("cedar {size} (sliced by kind, prebuilt)"),
        mix.len(),
        budget,
        |i| {
            if let Some(r) = requests.get(i) {
                black_box(sliced.decide(black_box(r)));
            }
        },
    )?;
    Ok(CedarRows {
        prebuilt,
        built,
        sliced,
    })
}

/// What the generator put in a policy of `n` rules that the index cannot skip for some actions.
fn composition(n: usize) {
    use std::collections::BTreeMap;
    use warden_bench::generate::{rules, GenMatch};
    let mut families: BTreeMap<&str, usize> = BTreeMap::new();
    let mut popular: BTreeMap<String, usize> = BTreeMap::new();
    for r in rules(n, warden_bench::SEED) {
        let family = match &r.matcher {
            GenMatch::Program { .. } => "program",
            GenMatch::Path { .. } => "path",
            GenMatch::Host { .. } => "host",
            GenMatch::Tool { .. } => "tool",
            GenMatch::Subcommand(_) => "unanchored exec",
            GenMatch::ToolArg(_) => "unanchored tool/mcp",
            GenMatch::Channel(_) => "unanchored message",
            GenMatch::Target(_) => "unanchored config",
        };
        *families.entry(family).or_default() += 1;
        let target = match &r.matcher {
            GenMatch::Program { program, .. }
                if !program.contains("tool") && !program.contains("helper") =>
            {
                Some(program.clone())
            }
            GenMatch::Tool {
                tool,
                arg: Some(warden_bench::generate::ArgTest::Glob { pointer, .. }),
            } if pointer == "/repo" => Some(tool.clone()),
            GenMatch::Host { host, .. } if !host.contains("example") => Some(host.clone()),
            GenMatch::Path {
                in_workspace: Some(_),
                globs,
                ..
            } => globs.first().cloned(),
            _ => None,
        };
        if let Some(t) = target {
            *popular.entry(t).or_default() += 1;
        }
    }
    let f: Vec<String> = families.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let p: Vec<String> = popular.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("  {n} generated: {}", f.join(", "));
    println!(
        "    rules on popular targets (each evaluated when its target fires): {}",
        p.join(", ")
    );
}

/// Compare both engines' decisions and fired rules on the mix; print disagreements.
fn check_agreement(
    scenario: &str,
    policy: &Policy,
    gates: &[&CedarGate],
    mix: &[Action],
) -> Result<(), BenchError> {
    let facts = SessionFacts::default();
    let (mut same_decision, mut same_rules) = (0, 0);
    for a in mix {
        let v = warden_decide(policy, a, &facts);
        let mut w_rules: Vec<String> = v
            .rules
            .iter()
            .filter(|m| m.decision != warden_policy::Decision::Allow)
            .map(|m| m.rule.clone())
            .collect();
        w_rules.sort();
        w_rules.dedup();
        for gate in gates {
            let req = gate.request(a)?;
            let c_decision = gate.decide(&req);
            let c_rules = gate.fired(&req);
            same_decision += usize::from(v.decision == c_decision);
            same_rules += usize::from(w_rules == c_rules);
            if v.decision != c_decision || w_rules != c_rules {
                println!(
                    "  ! {scenario}: {}: warden {} {:?}, cedar {} {:?}",
                    label(a),
                    v.decision.as_str(),
                    w_rules,
                    c_decision.as_str(),
                    c_rules
                );
            }
            let errors = gate.errors(&req);
            if !errors.is_empty() {
                println!("  ! {scenario}: cedar errors on {}: {errors:?}", label(a));
            }
        }
    }
    println!(
        "  {scenario}: same decision on {same_decision}/{n}, same deny/ask rules on {same_rules}/{n} (action, cedar set) pairs",
        n = mix.len() * gates.len()
    );
    Ok(())
}

fn per_action(row: &Row, mix: &[Action], top: usize) {
    let mut per: Vec<(u64, u64, &Action)> = row
        .per_item
        .iter()
        .zip(mix)
        .filter_map(|(samples, a)| {
            let mut s = samples.clone();
            Percentiles::of(&mut s).map(|p| (p.p50, p.p99, a))
        })
        .collect();
    per.sort_by_key(|p| std::cmp::Reverse(p.0));
    println!("  slowest actions of `{}` (p50, p99):", row.name);
    for (p50, p99, a) in per.iter().take(top) {
        println!(
            "    {:>10} {:>10}  {}",
            fmt_ns(*p50 as f64),
            fmt_ns(*p99 as f64),
            label(a)
        );
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.1}x", a / b)
    } else {
        "n/a".into()
    }
}

/// Loop one scenario's decisions (for `perf record`), then print the mean.
fn spin(engine: &str, generated: usize, time: Duration, mix: &[Action]) -> Result<(), BenchError> {
    let facts = SessionFacts::default();
    let (mut decisions, start) = (0u64, Instant::now());
    match engine {
        "warden" => {
            let policy = warden_policy_with(generated)?;
            while start.elapsed() < time {
                for a in mix {
                    black_box(warden_decide(&policy, black_box(a), &facts));
                }
                decisions += mix.len() as u64;
            }
        }
        "cedar" => {
            let gate = cedar_policy_with(generated)?;
            let requests = mix
                .iter()
                .map(|a| gate.request(a))
                .collect::<Result<Vec<_>, _>>()?;
            while start.elapsed() < time {
                for r in &requests {
                    black_box(gate.decide(black_box(r)));
                }
                decisions += requests.len() as u64;
            }
        }
        other => return Err(format!("unknown engine `{other}` (warden or cedar)").into()),
    }
    let mean = start.elapsed().as_nanos() as f64 / decisions.max(1) as f64;
    println!(
        "{engine} baseline+{generated}: {decisions} decisions, mean {}",
        fmt_ns(mean)
    );
    Ok(())
}

fn main() -> Result<(), BenchError> {
    let opts = options()?;
    let mix = mix()?;
    if let Some((engine, n, secs)) = &opts.spin {
        return spin(engine, *n, Duration::from_secs(*secs), &mix);
    }
    let inputs = lowered_inputs()?;
    println!(
        "warden-bench-latency: {} actions from {} inputs; {} core(s); budget {} ms per scenario",
        mix.len(),
        inputs.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        opts.budget.as_millis()
    );

    // Build every policy first (compile time is printed, not part of any decision).
    struct Scenario {
        name: String,
        warden: Policy,
        cedar: CedarGate,
        sliced: CedarGate,
    }
    let mut scenarios = Vec::new();
    for n in [0, GENERATED_SIZES[0], GENERATED_SIZES[1]] {
        let t = Instant::now();
        let warden = warden_policy_with(n)?;
        let wt = t.elapsed();
        let t = Instant::now();
        let cedar = cedar_policy_with(n)?;
        let ct = t.elapsed();
        let sliced = cedar_policy_sliced_with(n)?;
        let per_kind: Vec<String> = [
            ActionKind::Exec,
            ActionKind::FileRead,
            ActionKind::Network,
            ActionKind::McpCall,
        ]
        .iter()
        .map(|k| format!("{} {}", k.as_str(), sliced.policies_for(*k)))
        .collect();
        println!(
            "  baseline+{n}: warden {} rules compiled in {:.0} ms; cedar {} policies parsed in {:.0} ms (sliced: {})",
            warden.rule_count(),
            wt.as_secs_f64() * 1e3,
            cedar.policy_count(),
            ct.as_secs_f64() * 1e3,
            per_kind.join(", ")
        );
        let name = if n == 0 {
            "baseline".to_string()
        } else {
            format!("baseline+{n}")
        };
        scenarios.push(Scenario {
            name,
            warden,
            cedar,
            sliced,
        });
    }
    for n in GENERATED_SIZES {
        composition(n);
    }

    println!("\nagreement (both engines on the mix):");
    for sc in &scenarios {
        check_agreement(&sc.name, &sc.warden, &[&sc.cedar, &sc.sliced], &mix)?;
    }

    // The timer itself.
    let mut timer: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            black_box(());
            t.elapsed().as_nanos() as u64
        })
        .collect();
    let tp = Percentiles::of(&mut timer).ok_or("no timer samples")?;
    println!(
        "\ntimer overhead (empty Instant::now/elapsed, included in every sample below): p50 {} p99 {}",
        fmt_ns(tp.p50 as f64),
        fmt_ns(tp.p99 as f64)
    );

    println!(
        "\n{:<44} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "scenario (one decision = one action)", "samples", "mean", "p50", "p90", "p99", "max"
    );
    let mut w_rows = Vec::new();
    let mut c_rows = Vec::new();
    for sc in &scenarios {
        w_rows.push(warden_row(
            &format!("warden {}", sc.name),
            &sc.warden,
            &mix,
            opts.budget,
        )?);
        c_rows.push(cedar_rows(
            &sc.name,
            &sc.cedar,
            &sc.sliced,
            &mix,
            opts.budget,
        )?);
    }

    // For reference: whole inputs (all actions one command lowered to) and generated rules alone.
    println!();
    if let Some(sc) = scenarios.first() {
        let facts = SessionFacts::default();
        run(
            "warden baseline, per input (all its actions)",
            inputs.len(),
            opts.budget,
            |i| {
                if let Some(actions) = inputs.get(i) {
                    black_box(sc.warden.evaluate(black_box(actions), &facts));
                }
            },
        )?;
    }
    for n in GENERATED_SIZES {
        let alone = warden_generated_only(n)?;
        warden_row(
            &format!("warden {n} generated alone (no baseline)"),
            &alone,
            &mix,
            opts.budget,
        )?;
    }

    println!("\nsummary:");
    if let Some(b) = w_rows.first() {
        let ok50 = b.p.p50 < 1_000;
        let ok99 = b.p.p99 < 10_000;
        println!(
            "  target on the baseline: p50 {} < 1 µs: {}; p99 {} < 10 µs: {}",
            fmt_ns(b.p.p50 as f64),
            if ok50 { "met" } else { "MISSED" },
            fmt_ns(b.p.p99 as f64),
            if ok99 { "met" } else { "MISSED" }
        );
    }
    println!("  cedar / warden ratios (mean, p50, p99):");
    for (w, c) in w_rows.iter().zip(&c_rows) {
        let r = |c: &Row| {
            format!(
                "{:>7} {:>7} {:>7}",
                ratio(c.p.mean, w.p.mean),
                ratio(c.p.p50 as f64, w.p.p50 as f64),
                ratio(c.p.p99 as f64, w.p.p99 as f64)
            )
        };
        println!(
            "    {:<16} prebuilt {}   built per decision {}   sliced {}",
            w.name.trim_start_matches("warden "),
            r(&c.prebuilt),
            r(&c.built),
            r(&c.sliced)
        );
    }
    if let (Some(w1), Some(w10), Some(c1), Some(c10)) =
        (w_rows.get(1), w_rows.get(2), c_rows.get(1), c_rows.get(2))
    {
        let g = |a: &Row, b: &Row| {
            format!(
                "mean {} p50 {} p99 {}",
                ratio(b.p.mean, a.p.mean),
                ratio(b.p.p50 as f64, a.p.p50 as f64),
                ratio(b.p.p99 as f64, a.p.p99 as f64)
            )
        };
        println!("  growth 1k -> 10k generated rules (10x):");
        println!("    warden        {}", g(w1, w10));
        println!("    cedar         {}", g(&c1.prebuilt, &c10.prebuilt));
        println!("    cedar sliced  {}", g(&c1.sliced, &c10.sliced));
    }

    if opts.per_action {
        println!();
        for r in &w_rows {
            per_action(r, &mix, 12);
        }
    }
    Ok(())
}
