//! Unit tests of the baselines that need private items: path buckets and sites, and the caps
//! of every set after floods and tampered files. The tests of the public API are in
//! `tests/suite/baseline.rs`.

use pretty_assertions::assert_eq;
use serde_json::Value;
use warden_action::{
    normalize_path, Action, ExecAction, NetworkAction, NormPath, Operation, PathEnv, ToolEffect,
};

use super::hosts::site_of;
use super::place::{place, Area};
use super::*;

const HOME: &str = "/home/u";
const WS: &str = "/home/u/proj";
const MIN: u64 = 60_000;

fn key() -> ProfileKey {
    ProfileKey::new("claude-code", WS)
}

fn with_session(mut a: Action, session: &str) -> Action {
    a.actor.session = Some(session.into());
    a.env.workspace = Some(WS.into());
    a
}

fn exec(cmd: &str) -> Action {
    Action::new(Operation::Exec(ExecAction::new(
        cmd.split_whitespace().map(String::from).collect(),
    )))
}

fn norm(p: &str) -> NormPath {
    normalize_path(p, &PathEnv::synthetic(HOME, WS, Some(WS)))
}

fn read(p: &str) -> Action {
    Action::new(Operation::FileRead { path: norm(p) })
}

fn write(p: &str) -> Action {
    Action::new(Operation::FileWrite { path: norm(p) })
}

fn net(url: &str) -> Action {
    Action::new(Operation::Network(
        NetworkAction::from_url(None, url, false).unwrap(),
    ))
}

fn tool(name: &str) -> Action {
    Action::new(Operation::ToolCall {
        name: name.into(),
        args: Value::Null,
        effect: ToolEffect::ReadOnly,
    })
}

/// A profile with a day of ordinary work over three sessions: git, cargo, reading and
/// editing sources, fetching from crates.io and an internal API.
fn mature() -> (Baselines, u64) {
    let mut b = Baselines::new();
    let mut t = 1_700_000_000_000u64;
    for s in 0..3 {
        let session = format!("s{s}");
        for i in 0..20 {
            let batch = [
                exec("git status"),
                exec("cargo test"),
                read(&format!("src/mod{}.rs", i % 4)),
                write(&format!("src/mod{}.rs", i % 4)),
                net("https://api.internal.example/v1/items"),
                net("https://crates.io/api/v1/crates/serde"),
                tool("TodoWrite"),
            ];
            for a in batch {
                b.observe(&key(), &[with_session(a, &session)], t);
                t += 5_000;
            }
        }
        t += 3 * 60 * MIN;
    }
    assert!(b.profile(&key()).unwrap().is_mature());
    (b, t)
}

#[test]
fn a_tampered_file_cannot_lift_the_caps() {
    let hosts: serde_json::Map<String, Value> = (0..MAX_HOSTS + 500)
        .map(|i| {
            (
                format!("h{i}.example"),
                serde_json::json!({"count": 1, "last_ms": i}),
            )
        })
        .collect();
    let json = serde_json::json!({
        "version": 1,
        "profiles": [{"key": {"agent": "a", "workspace": ""}, "profile": {"hosts": hosts}}]
    });
    let b: Baselines = serde_json::from_value(json).unwrap();
    let p = b.profile(&ProfileKey::new("a", "")).unwrap();
    assert!(p.hosts.len() <= MAX_HOSTS);
}

#[test]
fn path_buckets() {
    let cases = [
        (
            "/home/u/proj/src/a/b/c.rs",
            WS,
            "/home/u/proj/src/a",
            Area::Workspace,
        ),
        (
            "/home/u/proj/Cargo.toml",
            WS,
            "/home/u/proj",
            Area::Workspace,
        ),
        ("/home/u/proj", WS, "/home/u/proj", Area::Workspace),
        (
            "/home/u/proj/target/debug/x",
            WS,
            "/home/u/proj/target",
            Area::Build,
        ),
        (
            "/home/u/proj/node_modules",
            WS,
            "/home/u/proj/node_modules",
            Area::Build,
        ),
        ("/home/u/.aws/credentials", WS, "/home/u/.aws", Area::Home),
        (
            "/home/u/.config/gh/x/hosts.yml",
            WS,
            "/home/u/.config/gh",
            Area::Home,
        ),
        ("/home/u/.cache/pip/x", WS, "/home/u/.cache", Area::Build),
        ("/tmp/abc123/x", WS, "/tmp", Area::Temp),
        ("/etc/passwd", WS, "/etc", Area::System),
        ("/var/lib/docker/x/y", WS, "/var/lib/docker", Area::System),
        ("/passwd", "", "/", Area::System),
        ("~/.ssh/id_rsa", "", "~/.ssh", Area::Home),
    ];
    for (p, ws, bucket, area) in cases {
        let pl = place(p, ws, HOME);
        assert_eq!((pl.bucket, pl.area), (bucket, area), "{p}");
    }
    assert_eq!(place("x.txt", "", "").bucket, "");
    assert_eq!(site_of("cdn.api.example.com"), "example.com");
    assert_eq!(site_of("www.example.co.uk"), "example.co.uk");
    assert_eq!(
        site_of("bucket.s3.amazonaws.com"),
        "bucket.s3.amazonaws.com"
    );
    assert_eq!(site_of("10.0.0.1"), "10.0.0.1");
    assert_eq!(site_of("localhost"), "localhost");
}

/// Every set of a profile is within its cap.
fn assert_within_caps(p: &Profile) {
    assert!(p.hosts.len() <= MAX_HOSTS, "hosts {}", p.hosts.len());
    assert!(p.sites.len() <= MAX_SITES, "sites {}", p.sites.len());
    assert!(p.paths.len() <= MAX_PATH_AREAS, "paths {}", p.paths.len());
    assert!(p.programs.len() <= MAX_PROGRAMS);
    assert!(p.bigrams.len() <= MAX_BIGRAMS);
    assert!(p.tools.len() <= MAX_TOOLS);
    assert!(p.credentials.len() <= MAX_CREDENTIALS);
    assert!(p.recent_sessions.len() <= RECENT_SESSIONS);
    assert!(p.deletes.window.len() <= WINDOW_S as usize);
    assert!(p.writes.window.len() <= WINDOW_S as usize);
    assert!(p.network.window.len() <= WINDOW_S as usize);
    assert!(p.deletes.minutes.len() <= RATE_BOUNDS.len() + 1);
}

#[test]
fn hundred_thousand_observations_stay_bounded() {
    let mut b = Baselines::new();
    let mut t = 1_700_000_000_000u64;
    let work = [
        exec("git status"),
        read("src/lib.rs"),
        net("https://crates.io/"),
    ];
    for i in 0..100_000u64 {
        let batch = match i % 4 {
            0 => vec![with_session(work[(i % 3) as usize].clone(), "s")],
            1 => vec![net(&format!("https://h{i}.example{}.org/", i % 7))],
            2 => vec![
                write(&format!("~/d{i}/e{i}/f.txt")),
                read(&format!("/home/u/.ssh/key{i}")),
            ],
            _ => vec![
                exec(&format!("prog{i} sub")),
                tool(&format!("tool{i}")),
                with_session(exec("ls"), &format!("s{i}")),
            ],
        };
        let d = b.score(&key(), &batch, t);
        assert!((0.0..=1.0).contains(&d.score));
        b.observe(&key(), &batch, t);
        t += 137;
    }
    assert_within_caps(b.profile(&key()).unwrap());
}

#[test]
fn adversarial_million_unique_names_stay_bounded_and_keep_what_is_used() {
    let (mut b, mut t) = mature();
    for i in 0..500_000u64 {
        // One-off hosts and paths, as an attacker flooding (or "training") the baseline would.
        // Built directly (no URL parsing or path normalisation): this test is about the sets.
        let batch = [
            Action::new(Operation::Network(NetworkAction {
                host: format!("x{i}.flood{}.example", i % 97),
                ..NetworkAction::default()
            })),
            Action::new(Operation::FileWrite {
                path: NormPath::raw(format!("/srv/f{}/g{i}/h.txt", i % 1013)),
            }),
        ];
        b.observe(&key(), &batch, t);
        t += 1;
    }
    let p = b.profile(&key()).unwrap();
    assert_within_caps(p);
    // What the agent really uses survived the flood; the flood did not make a new host known.
    assert!(p.knows_host("api.internal.example"));
    assert!(p.knows_host("crates.io"));
    let d = b.score(&key(), &[net("https://evil.example/")], t);
    assert!(d.first_host, "{d:?}");
}
