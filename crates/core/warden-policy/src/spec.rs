//! The policy file format as written (YAML); its JSON Schema is generated from these types.
//!
//! Every string list may name a shared list with `$name` (declared under `lists:`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use warden_action::ActionKind;

use crate::decision::{Decision, Mode, Severity};

/// A policy file: one layer of the effective policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Format version; only `1` exists.
    #[serde(default = "one")]
    pub version: u32,
    /// A name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Enforce (default), shadow (decide and log, but allow) or record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// The decision when no rule fires; layers combine to the strictest. Defaults to allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Decision>,
    /// Named string lists rules refer to as `$name`; layers add to them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, Vec<String>>,
    /// Rule ids of lower layers to turn off (user layer only; managed rules cannot be disabled).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// Which tool calls `warden exec` runs in the kernel sandbox: `off`, `shell` (default) or
    /// `all`. The highest layer that sets it wins; a project layer cannot turn it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// What `warden exec` does when the kernel lacks a sandbox layer: `run` with the layers that
    /// work and report the rest (default), or `refuse` to start the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_missing_layer: Option<MissingLayer>,
    /// What the sandbox's egress proxy does with a host on none of the allowed lists: `ask` a
    /// person through the monitor's approvals (default; refused when no monitor answers) or
    /// `deny` it outright. The strictest layer wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_unlisted_hosts: Option<UnlistedHosts>,
    /// What the monitor does when a file that steers an agent (settings, instructions, MCP
    /// configs, skills) changes without approval: `default:` and one action (`alert`, `ask`,
    /// `restore`) per class. The highest layer that sets a class wins; a project layer cannot
    /// set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_integrity: Option<crate::integrity::ConfigIntegritySpec>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Tools the user declares: what they do and which arguments are destinations, for tools
    /// whose names do not say (`acme_sync`, `do_it`). Later layers win.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
}

/// A declared tool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Tool name glob, as rules' `tool:` sees it (`mcp__server__tool` for MCP tools).
    pub name: String,
    /// What calls to it do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<warden_action::ToolEffect>,
    /// Argument names that hold destinations (recipients, URLs, accounts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<String>,
    /// Whether it returns private data or secrets (for flow rules).
    #[serde(default)]
    pub private: bool,
}

/// Which tool calls run in the kernel sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SandboxMode {
    /// No sandbox: `warden exec` runs commands as they are (and says so).
    Off,
    /// Shell commands run sandboxed.
    #[default]
    Shell,
    /// Shell commands and every other process Warden starts (MCP servers) run sandboxed.
    All,
}

/// What to do when a sandbox layer is missing from the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingLayer {
    /// Run with the layers that work, and report what could not be enforced.
    #[default]
    Run,
    /// Refuse to start the command.
    Refuse,
}

/// What the sandbox's egress proxy does with a host on none of the allowed lists.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnlistedHosts {
    /// Ask a person through the monitor; refuse when nobody can answer.
    #[default]
    Ask,
    /// Refuse.
    Deny,
}

fn one() -> u32 {
    1
}

/// One rule: when `match` holds for an action, the rule's decision applies.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, dotted by family (`credentials.ssh-private-key`).
    pub id: String,
    /// What the rule protects against.
    #[serde(default)]
    pub description: String,
    /// How bad the target is; feeds the risk score.
    #[serde(default)]
    pub severity: Severity,
    /// When the rule fires: every field given must hold.
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    /// What the gate answers when it fires.
    pub decision: Decision,
    /// Why, for the human.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the agent should do instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// With `decision: modify`: how the tool input is rewritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modify: Option<ModifySpec>,
    /// Actions and the decision each must get; the policy does not load when one fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestSpec>,
}

/// One value or a list of them.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

// Not `untagged`: an untagged enum buffers its input, so a bad entry (`kind: [exec, flie_read]`)
// would be reported as "did not match any variant" at the enclosing mapping. Deserializing the
// value or the list directly keeps the real error and its location.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        use serde::de::{Error, IntoDeserializer, MapAccess, SeqAccess, Visitor};

        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
        }

        d.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

/// Conditions on an action; all given fields must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Action kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<OneOrMany<ActionKind>>,
    /// Path globs. `~/` is the home directory; patterns without a leading `/` match at any depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<OneOrMany<String>>,
    /// File-name globs (`*secret*.yaml`), matched like `path` against the path as written or
    /// resolved, but never by what a wildcard word could name: a name says what a file holds,
    /// `*.txt` says nothing. For rules about what names reveal, where `path` would fire on every
    /// wildcard of the same extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<OneOrMany<String>>,
    /// Whether the path is inside the workspace root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_workspace: Option<bool>,
    /// For deletes: whether the delete is recursive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
    /// Command facts, for exec actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandSpec>,
    /// Host globs (`*.example.com`), for network actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<OneOrMany<String>>,
    /// URL globs, for network actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<OneOrMany<String>>,
    /// Whether a network action sends local data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sends_local_data: Option<bool>,
    /// Tool-name globs, for tool and MCP calls (MCP tools are named `mcp__<server>__<tool>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<OneOrMany<String>>,
    /// Tool effect: `read_only`, `side_effect` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<OneOrMany<warden_action::ToolEffect>>,
    /// Tests on tool arguments, by JSON pointer; all must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgTest>,
    /// Message channel globs, for message sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<OneOrMany<String>>,
    /// Recipient globs, for message sends: any recipient matching fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<OneOrMany<String>>,
    /// Config targets (globs), for config changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<OneOrMany<String>>,
    /// Extension types, for extension loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<OneOrMany<String>>,
    /// Whether part of the action could not be understood statically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<bool>,
    /// Tests on session facts (filled by the monitor's session analysis), by fact name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub session: BTreeMap<String, ValueTest>,
    /// Every sub-match must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<MatchSpec>,
    /// At least one sub-match must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<MatchSpec>,
    /// The sub-match must not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<MatchSpec>>,
}

/// Conditions on an executed command.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// Program name globs (basename: `rm`, `python*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<OneOrMany<String>>,
    /// Subcommands (`push`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcommand: Option<OneOrMany<String>>,
    /// At least one of these flags is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags_any: Option<OneOrMany<String>>,
    /// All of these flags are present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags_all: Option<OneOrMany<String>>,
    /// At least one operand (non-flag argument) matches one of these globs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operand: Option<OneOrMany<String>>,
    /// Any argument (flag or operand) matches one of these globs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<OneOrMany<String>>,
    /// An earlier pipeline stage is one of these programs (globs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin_from: Option<OneOrMany<String>>,
    /// The command runs inside one of these wrappers (globs: `sudo`, `bash -c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<OneOrMany<String>>,
    /// A regex over the whole argument vector joined by spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// A test on one argument value, found by JSON pointer (`/to`, `/items/0/amount`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgTest {
    /// JSON pointer into the arguments; an array there passes when any element passes.
    pub pointer: String,
    /// The test.
    #[serde(flatten)]
    pub test: ValueTest,
}

/// Tests on one JSON value; all given must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueTest {
    /// Equal to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// A string matching one of these globs (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<OneOrMany<String>>,
    /// A string matching this regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// A number greater than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// A number at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    /// A number less than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// A number at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// Present (`true`) or absent (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// How a `modify` rule rewrites the tool input.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifySpec {
    /// Values to redact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<RedactSpec>,
    /// Values to set, by JSON pointer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, Value>,
}

/// One value to redact: the whole value at `pointer`, or only what `pattern` matches in it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactSpec {
    /// JSON pointer into the tool input.
    pub pointer: String,
    /// A regex; only matching text is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// A rule's self-test: an action (generic action JSON) or a shell command, and the decision it must get.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// An action in the generic action format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
    /// A shell command, lowered as a Bash tool call would be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Session facts the test runs with.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub session: BTreeMap<String, Value>,
    /// The decision the policy file must give.
    pub expect: Decision,
}
