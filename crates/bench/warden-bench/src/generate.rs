//! A deterministic generator of policy rules, rendered both as a Warden policy file (YAML) and
//! as the equivalent Cedar policies, so both engines are measured on the same rules.
//!
//! The shape of a generated policy, per hundred rules (drawn with a fixed-seed LCG):
//!
//! | share | anchor   | patterns                                                                 |
//! |-------|----------|--------------------------------------------------------------------------|
//! | 30    | program  | literal `tool123`, prefix `tool123-*`, suffix `*-helper123`; 1 in 10 targets a popular program (`git`, `cargo`, `curl`...) with a subcommand or flag test |
//! | 25    | path     | `~/.vault123/**`, `/opt/svc123/*.key`, `*.secret123`, `config123.json`, alternations `/srv/app123/{data,cache}/*.db`; 1 in 12 is broad (`**/*.rs`, `**/*.md`) with `in_workspace: false` |
//! | 20    | host     | `*.corp123.example`, `api123.example.net`, `n123-*.cdn.example`; 1 in 20 on a popular host with `sends_local_data` |
//! | 23    | tool     | `mcp__srv123__*`, `Tool123`, with argument tests (`/amount > n`, `/to` glob); 1 in 12 on a popular tool (`mcp__github__*`, `WebFetch`) |
//! | 2     | none     | unanchored: exec subcommand only, tool argument only, message channel, config target |
//!
//! Decisions: 60 % deny, 35 % ask, 5 % allow. Names carry the rule number, so almost no
//! generated rule fires on the realistic mix; the popular-target rules do reach their
//! candidates and cost a condition evaluation each, as a big real policy would.

use std::fmt::Write as _;

use warden_policy::Decision;

/// A deterministic 64-bit linear congruential generator (Knuth's MMIX constants).
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next number, from the high bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n.max(1)
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u32) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }
}

/// Which file actions a generated path rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKinds {
    /// Reads and writes.
    ReadWrite,
    /// Writes and deletes.
    WriteDelete,
}

/// A test on one tool argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgTest {
    /// The number at `pointer` is greater than `value`.
    Gt {
        /// JSON pointer, `/amount`.
        pointer: String,
        /// The bound.
        value: i64,
    },
    /// The string at `pointer` matches `glob` (only `*` wildcards, so Cedar's `like` is equivalent).
    Glob {
        /// JSON pointer, `/to`.
        pointer: String,
        /// The pattern.
        glob: String,
    },
}

/// What a generated rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenMatch {
    /// An exec of a program (glob), with an optional subcommand and flags.
    Program {
        /// Program glob (only `*` wildcards).
        program: String,
        /// Exact subcommand.
        subcommand: Option<String>,
        /// Any of these flags.
        flags_any: Vec<String>,
    },
    /// A file action on a path matching one of `globs`.
    Path {
        /// Which file actions.
        kinds: FileKinds,
        /// Warden path globs as written in the policy.
        globs: Vec<String>,
        /// Cedar conditions equivalent to each glob (`context.path like "..."`).
        cedar: Vec<String>,
        /// Optional `in_workspace` test.
        in_workspace: Option<bool>,
    },
    /// A network request to a host matching `host`.
    Host {
        /// Host glob (only `*` wildcards).
        host: String,
        /// Optional `sends_local_data` test.
        sends_local_data: Option<bool>,
    },
    /// A tool or MCP call to a tool matching `tool`, with an optional argument test.
    Tool {
        /// Tool-name glob (only `*` wildcards).
        tool: String,
        /// Argument test.
        arg: Option<ArgTest>,
    },
    /// Unanchored: any exec whose subcommand is this.
    Subcommand(String),
    /// Unanchored: any tool or MCP call whose argument passes the test.
    ToolArg(ArgTest),
    /// Unanchored: a message sent on this channel.
    Channel(String),
    /// Unanchored: a configuration change of this target.
    Target(String),
}

/// One generated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenRule {
    /// Unique id (`gen.<family>.<n>`).
    pub id: String,
    /// The decision when it fires.
    pub decision: Decision,
    /// What it matches.
    pub matcher: GenMatch,
}

const POPULAR_PROGRAMS: &[&str] = &[
    "git", "cargo", "npm", "curl", "python3", "docker", "make", "rm", "cat", "sed",
];
const POPULAR_HOSTS: &[&str] = &[
    "api.github.com",
    "crates.io",
    "*.amazonaws.com",
    "registry.npmjs.org",
];
const POPULAR_TOOLS: &[&str] = &["mcp__github__*", "WebFetch", "mcp__slack__*", "Read"];
const BROAD_PATHS: &[&str] = &["*.rs", "*.md", "*.toml", "*.json", "*.yaml"];
const WORDS: &[&str] = &[
    "vault", "keys", "svc", "infra", "billing", "prod", "ledger", "hr", "payroll", "tenant",
];

/// Generate `n` rules deterministically from `seed`.
pub fn rules(n: usize, seed: u64) -> Vec<GenRule> {
    let mut rng = Lcg::new(seed);
    (0..n).map(|i| rule(i, &mut rng)).collect()
}

fn rule(i: usize, rng: &mut Lcg) -> GenRule {
    let decision = match rng.below(100) {
        0..=59 => Decision::Deny,
        60..=94 => Decision::Ask,
        _ => Decision::Allow,
    };
    let family = rng.below(100);
    let w = *rng.pick(WORDS);
    let (fam, matcher) = match family {
        0..=29 => {
            let m = if rng.below(10) == 0 {
                let program = (*rng.pick(POPULAR_PROGRAMS)).to_string();
                if rng.below(2) == 0 {
                    GenMatch::Program {
                        program,
                        subcommand: Some(format!("{w}-task{i}")),
                        flags_any: vec![],
                    }
                } else {
                    GenMatch::Program {
                        program,
                        subcommand: None,
                        flags_any: vec![format!("--{w}-opt{i}")],
                    }
                }
            } else {
                let program = match rng.below(3) {
                    0 => format!("{w}tool{i}"),
                    1 => format!("{w}tool{i}-*"),
                    _ => format!("*-{w}helper{i}"),
                };
                let subcommand = (rng.below(3) == 0).then(|| format!("run{i}"));
                GenMatch::Program {
                    program,
                    subcommand,
                    flags_any: vec![],
                }
            };
            ("program", m)
        }
        30..=54 => {
            let kinds = if rng.below(2) == 0 {
                FileKinds::ReadWrite
            } else {
                FileKinds::WriteDelete
            };
            let m = if rng.below(12) == 0 {
                let ext = *rng.pick(BROAD_PATHS);
                let suffix = ext.trim_start_matches('*');
                GenMatch::Path {
                    kinds: FileKinds::WriteDelete,
                    globs: vec![ext.to_string()],
                    cedar: vec![format!("context.path like \"*/*{suffix}\"")],
                    in_workspace: Some(false),
                }
            } else {
                let (globs, cedar) = match rng.below(5) {
                    0 => (
                        vec![format!("~/.{w}{i}/**")],
                        vec![format!("context.home_path like \"~/.{w}{i}/*\" || context.home_path == \"~/.{w}{i}\"")],
                    ),
                    1 => (
                        vec![format!("/opt/{w}{i}/*.key"), format!("/opt/{w}{i}/*.pem")],
                        vec![
                            format!("context.path like \"/opt/{w}{i}/*.key\""),
                            format!("context.path like \"/opt/{w}{i}/*.pem\""),
                        ],
                    ),
                    2 => (vec![format!("*.{w}{i}")], vec![format!("context.path like \"*/*.{w}{i}\"")]),
                    3 => (
                        vec![format!("{w}{i}.json")],
                        vec![format!("context.path like \"*/{w}{i}.json\"")],
                    ),
                    _ => (
                        vec![format!("/srv/{w}{i}/{{data,cache}}/*.db")],
                        vec![format!(
                            "context.path like \"/srv/{w}{i}/data/*.db\" || context.path like \"/srv/{w}{i}/cache/*.db\""
                        )],
                    ),
                };
                GenMatch::Path {
                    kinds,
                    globs,
                    cedar,
                    in_workspace: None,
                }
            };
            ("path", m)
        }
        55..=74 => {
            let m = if rng.below(20) == 0 {
                GenMatch::Host {
                    host: (*rng.pick(POPULAR_HOSTS)).to_string(),
                    sends_local_data: Some(true),
                }
            } else {
                let host = match rng.below(3) {
                    0 => format!("*.{w}{i}.example"),
                    1 => format!("api{i}.{w}.example.net"),
                    _ => format!("n{i}-*.{w}.cdn.example"),
                };
                let sends_local_data = (rng.below(2) == 0).then_some(true);
                GenMatch::Host {
                    host,
                    sends_local_data,
                }
            };
            ("host", m)
        }
        75..=97 => {
            let arg = match rng.below(3) {
                0 => Some(ArgTest::Gt {
                    pointer: "/amount".into(),
                    value: i64::from(rng.below(10_000)) + 1000,
                }),
                1 => Some(ArgTest::Glob {
                    pointer: "/to".into(),
                    glob: format!("*@{w}{i}.example"),
                }),
                _ => None,
            };
            let m = if rng.below(12) == 0 {
                let arg = Some(ArgTest::Glob {
                    pointer: "/repo".into(),
                    glob: format!("{w}{i}/*"),
                });
                GenMatch::Tool {
                    tool: (*rng.pick(POPULAR_TOOLS)).to_string(),
                    arg,
                }
            } else {
                let tool = match rng.below(2) {
                    0 => format!("mcp__{w}{i}__*"),
                    _ => format!("{w}Tool{i}"),
                };
                GenMatch::Tool { tool, arg }
            };
            ("tool", m)
        }
        _ => {
            let m = match rng.below(4) {
                0 => GenMatch::Subcommand(format!("{w}-deploy{i}")),
                1 => GenMatch::ToolArg(ArgTest::Glob {
                    pointer: "/account".into(),
                    glob: format!("{w}{i}-*"),
                }),
                2 => GenMatch::Channel(format!("{w}{i}-alerts")),
                _ => GenMatch::Target(format!("{w}{i}.settings")),
            };
            ("unanchored", m)
        }
    };
    GenRule {
        id: format!("gen.{fam}.{i}"),
        decision,
        matcher,
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn yaml_arg(out: &mut String, indent: &str, arg: &ArgTest) {
    match arg {
        ArgTest::Gt { pointer, value } => {
            let _ = writeln!(
                out,
                "{indent}args: [{{ pointer: {}, gt: {value} }}]",
                q(pointer)
            );
        }
        ArgTest::Glob { pointer, glob } => {
            let _ = writeln!(
                out,
                "{indent}args: [{{ pointer: {}, glob: {} }}]",
                q(pointer),
                q(glob)
            );
        }
    }
}

/// Render rules as a Warden policy file (YAML, `version: 1`).
pub fn to_yaml(rules: &[GenRule]) -> String {
    let mut out = String::with_capacity(rules.len() * 160);
    out.push_str("version: 1\nname: generated\nrules:\n");
    for r in rules {
        let _ = writeln!(out, "  - id: {}", q(&r.id));
        let _ = writeln!(out, "    decision: {}", r.decision.as_str());
        out.push_str("    match:\n");
        let ind = "      ";
        match &r.matcher {
            GenMatch::Program {
                program,
                subcommand,
                flags_any,
            } => {
                let _ = writeln!(out, "{ind}command:");
                let _ = writeln!(out, "{ind}  program: {}", q(program));
                if let Some(s) = subcommand {
                    let _ = writeln!(out, "{ind}  subcommand: {}", q(s));
                }
                if !flags_any.is_empty() {
                    let flags: Vec<String> = flags_any.iter().map(|f| q(f)).collect();
                    let _ = writeln!(out, "{ind}  flags_any: [{}]", flags.join(", "));
                }
            }
            GenMatch::Path {
                kinds,
                globs,
                in_workspace,
                ..
            } => {
                let kinds = match kinds {
                    FileKinds::ReadWrite => "[file_read, file_write]",
                    FileKinds::WriteDelete => "[file_write, file_delete]",
                };
                let _ = writeln!(out, "{ind}kind: {kinds}");
                let globs: Vec<String> = globs.iter().map(|g| q(g)).collect();
                let _ = writeln!(out, "{ind}path: [{}]", globs.join(", "));
                if let Some(b) = in_workspace {
                    let _ = writeln!(out, "{ind}in_workspace: {b}");
                }
            }
            GenMatch::Host {
                host,
                sends_local_data,
            } => {
                let _ = writeln!(out, "{ind}host: {}", q(host));
                if let Some(b) = sends_local_data {
                    let _ = writeln!(out, "{ind}sends_local_data: {b}");
                }
            }
            GenMatch::Tool { tool, arg } => {
                let _ = writeln!(out, "{ind}tool: {}", q(tool));
                if let Some(a) = arg {
                    yaml_arg(&mut out, ind, a);
                }
            }
            GenMatch::Subcommand(s) => {
                let _ = writeln!(out, "{ind}kind: exec");
                let _ = writeln!(out, "{ind}command: {{ subcommand: {} }}", q(s));
            }
            GenMatch::ToolArg(a) => {
                let _ = writeln!(out, "{ind}kind: [tool_call, mcp_call]");
                yaml_arg(&mut out, ind, a);
            }
            GenMatch::Channel(c) => {
                let _ = writeln!(out, "{ind}channel: {}", q(c));
            }
            GenMatch::Target(t) => {
                let _ = writeln!(out, "{ind}target: {}", q(t));
            }
        }
    }
    out
}

/// A Cedar string literal (the generator only emits `[A-Za-z0-9._/@{}*~-]`, so no escapes needed
/// beyond quotes and backslashes).
fn cq(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A Cedar test equivalent to a Warden glob with only `*` wildcards: `==` when it has none.
fn like(field: &str, glob: &str) -> String {
    if glob.contains('*') {
        format!("{field} like {}", cq(glob))
    } else {
        format!("{field} == {}", cq(glob))
    }
}

fn cedar_arg(arg: &ArgTest) -> String {
    match arg {
        ArgTest::Gt { pointer, value } => {
            let f = pointer.trim_start_matches('/');
            format!("context.args has {f} && context.args.{f} > {value}")
        }
        ArgTest::Glob { pointer, glob } => {
            let f = pointer.trim_start_matches('/');
            format!(
                "context.args has {f} && {}",
                like(&format!("context.args.{f}"), glob)
            )
        }
    }
}

/// Render rules as Cedar policies equivalent to [`to_yaml`]'s: each rule is a `forbid` (deny
/// and ask) or `permit` (allow) annotated with `@rule` and `@decision`, scoped to the action
/// kinds the Warden rule applies to, with its conditions in `when`.
///
/// Equivalence notes: Cedar's `like` has only `*`, which also crosses `/`; the generator's path
/// patterns are chosen so that this does not change any decision on the mix, and the
/// alternation `{data,cache}` becomes two `like` tests joined by `||`.
pub fn to_cedar(rules: &[GenRule]) -> String {
    let mut out = String::with_capacity(rules.len() * 220);
    for r in rules {
        let effect = if r.decision == Decision::Allow {
            "permit"
        } else {
            "forbid"
        };
        let (scope, cond) = match &r.matcher {
            GenMatch::Program {
                program,
                subcommand,
                flags_any,
            } => {
                let mut c = vec![like("context.program", program)];
                if let Some(s) = subcommand {
                    c.push(format!("context.subcommand == {}", cq(s)));
                }
                if !flags_any.is_empty() {
                    let f: Vec<String> = flags_any.iter().map(|f| cq(f)).collect();
                    c.push(format!("context.flags.containsAny([{}])", f.join(", ")));
                }
                ("action == Action::\"exec\"".to_string(), c.join(" && "))
            }
            GenMatch::Path {
                kinds,
                cedar,
                in_workspace,
                ..
            } => {
                let scope = match kinds {
                    FileKinds::ReadWrite => {
                        "action in [Action::\"file_read\", Action::\"file_write\"]"
                    }
                    FileKinds::WriteDelete => {
                        "action in [Action::\"file_write\", Action::\"file_delete\"]"
                    }
                };
                let mut c = format!("({})", cedar.join(" || "));
                if let Some(b) = in_workspace {
                    c.push_str(&format!(" && context.in_workspace == {b}"));
                }
                (scope.to_string(), c)
            }
            GenMatch::Host {
                host,
                sends_local_data,
            } => {
                let mut c = like("context.host", host);
                if let Some(b) = sends_local_data {
                    c.push_str(&format!(" && context.sends_local_data == {b}"));
                }
                ("action == Action::\"network\"".to_string(), c)
            }
            GenMatch::Tool { tool, arg } => {
                let mut c = like("context.tool", tool);
                if let Some(a) = arg {
                    c.push_str(&format!(" && {}", cedar_arg(a)));
                }
                (
                    "action in [Action::\"tool_call\", Action::\"mcp_call\"]".to_string(),
                    c,
                )
            }
            GenMatch::Subcommand(s) => (
                "action == Action::\"exec\"".to_string(),
                format!("context.subcommand == {}", cq(s)),
            ),
            GenMatch::ToolArg(a) => (
                "action in [Action::\"tool_call\", Action::\"mcp_call\"]".to_string(),
                cedar_arg(a),
            ),
            GenMatch::Channel(c) => (
                "action == Action::\"message_send\"".to_string(),
                like("context.channel", c),
            ),
            GenMatch::Target(t) => (
                "action == Action::\"config_change\"".to_string(),
                like("context.target", t),
            ),
        };
        let _ = writeln!(
            out,
            "@rule({}) @decision(\"{}\")\n{effect}(principal, {scope}, resource) when {{ {cond} }};",
            cq(&r.id),
            r.decision.as_str()
        );
    }
    out
}
