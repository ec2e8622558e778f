//! Time the lowering of typical one-liners (a development aid): p50 and p99 per command.
//!
//! `cargo run --release -p warden-shell --example lower_cost`
use std::time::Instant;

const LINES: &[&str] = &[
    "ls -la",
    "git status",
    "cargo test --workspace",
    "grep -rn TODO src/ | head -20",
    "find . -name '*.rs' | xargs wc -l",
    "cat README.md",
    "rm -rf ./target",
    "curl -s https://api.github.com/repos/o/r | jq .name",
    "tar czf backup.tgz src/ && ls -l backup.tgz",
    "sed -i 's/foo/bar/g' src/main.rs",
    "ls -tr | head -n -5 | xargs rm",
    "python3 -m pytest -q",
];

fn main() {
    let env = warden_action::PathEnv::synthetic(
        "/home/user",
        "/home/user/project",
        Some("/home/user/project"),
    );
    warden_shell::build_detectors();
    let mut all = Vec::new();
    for _ in 0..300 {
        for line in LINES {
            let t = Instant::now();
            let a = warden_shell::lower(line, &env);
            all.push(t.elapsed().as_nanos());
            std::hint::black_box(a);
        }
    }
    all.sort_unstable();
    let at = |q: f64| {
        all.get(((all.len() - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{} lowerings of {} one-liners: p50 {:.2} µs, p99 {:.2} µs",
        all.len(),
        LINES.len(),
        at(0.5) as f64 / 1000.0,
        at(0.99) as f64 / 1000.0
    );
}
