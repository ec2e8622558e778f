//! What vetting reports: [`Finding`]s with a [`Severity`], each naming one rule of [`RULES`].

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`, so the worst of several is
/// their `max()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; normal servers show these too.
    Low,
    /// Unusual for a benign server; look at it.
    Medium,
    /// A poisoning or misconfiguration shape; treat the server as untrusted until reviewed.
    High,
    /// Several poisoning shapes together, or one hidden from the user: an attack.
    Critical,
}

impl Severity {
    /// The lowercase name (`low`, `medium`, `high`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a lowercase or capitalised name.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing vetting found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id, one of [`RULES`] (e.g. `mcp.poison.instruction`).
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The server's name as the client config names it.
    pub server: String,
    /// The tool, prompt or resource concerned; empty for findings about the server's config.
    pub item: String,
    /// JSON pointer into the list result (or into the config file, for config findings).
    pub location: String,
    /// What was found, for a person.
    pub message: String,
    /// A short snippet of the offending text, invisible characters shown as `\u{...}` and
    /// secrets redacted.
    pub evidence: String,
    /// The config file the server came from, when known (SARIF's artifact location).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
}

impl Finding {
    /// The same finding, attributed to the config file `path`.
    #[must_use]
    pub fn with_config(mut self, path: impl Into<PathBuf>) -> Finding {
        self.config = Some(path.into());
        self
    }
}

/// A rule's catalogue entry, as reports describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// The id findings carry.
    pub id: &'static str,
    /// A short name in PascalCase (SARIF `name`).
    pub name: &'static str,
    /// One sentence on what the rule detects.
    pub description: &'static str,
}

/// Every rule this crate reports, in report order.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "mcp.poison.instruction",
        name: "InstructionToModel",
        description: "A definition gives the model orders: overriding earlier instructions, \
                      steps to take before using the tool, or text addressed to the assistant",
    },
    RuleInfo {
        id: "mcp.poison.conceal",
        name: "ConcealFromUser",
        description: "A definition asks the model to keep something from the user",
    },
    RuleInfo {
        id: "mcp.poison.tag",
        name: "PrivilegedMarkup",
        description: "Markup that dresses text up as privileged instructions \
                      (<IMPORTANT>, <system>, chat-template role markers)",
    },
    RuleInfo {
        id: "mcp.poison.urgency",
        name: "UrgencyFraming",
        description: "Urgency or threat framing that pressures the model",
    },
    RuleInfo {
        id: "mcp.poison.hidden-unicode",
        name: "HiddenUnicode",
        description: "Invisible, tag-block or direction-overriding characters that the user \
                      does not see but the model reads",
    },
    RuleInfo {
        id: "mcp.poison.credential",
        name: "CredentialReference",
        description: "References to credentials or sensitive files (SSH keys, .env, cloud \
                      credentials, client MCP configs), especially asking to read or pass them",
    },
    RuleInfo {
        id: "mcp.poison.cross-tool",
        name: "CrossToolReference",
        description: "A definition talks about other tools or servers, or redefines how they \
                      should behave",
    },
    RuleInfo {
        id: "mcp.poison.exfil-url",
        name: "ExfiltrationUrl",
        description: "A URL in a definition that data could be sent to, especially with a \
                      placeholder for data or a request-collector host",
    },
    RuleInfo {
        id: "mcp.poison.context-param",
        name: "ContextSmugglingParameter",
        description: "A parameter whose name or description asks the model to fill in \
                      conversation history, its instructions or secrets",
    },
    RuleInfo {
        id: "mcp.poison.long-description",
        name: "LongDescription",
        description: "A description long enough to hide instructions in",
    },
    RuleInfo {
        id: "mcp.poison.padding",
        name: "WhitespacePadding",
        description: "Runs of blank lines or spaces that push text out of view in client UIs",
    },
    RuleInfo {
        id: "mcp.shadow.name",
        name: "ShadowedName",
        description: "A tool name that collides with another server's tool or a client \
                      built-in, or imitates one with look-alike characters",
    },
    RuleInfo {
        id: "mcp.vet.malformed",
        name: "MalformedList",
        description: "A list result that does not have the shape MCP defines",
    },
    RuleInfo {
        id: "mcp.config.unpinned-package",
        name: "UnpinnedPackage",
        description: "A server launched by a package runner (npx, uvx, ...) without an exact \
                      version, so whatever is published next runs",
    },
    RuleInfo {
        id: "mcp.config.writable-command",
        name: "WritableCommandPath",
        description: "A server command or script in a world-writable directory such as /tmp",
    },
    RuleInfo {
        id: "mcp.config.literal-secret",
        name: "LiteralSecret",
        description: "A secret written literally into a config's env, headers or arguments",
    },
    RuleInfo {
        id: "mcp.config.plain-http",
        name: "PlainHttp",
        description: "A remote server reached over plain http:// (not loopback)",
    },
    RuleInfo {
        id: "skill.script.denied",
        name: "SkillScriptDenied",
        description: "A skill's script or hook command does what the policy denies to any command",
    },
    RuleInfo {
        id: "skill.script.held",
        name: "SkillScriptHeld",
        description: "A skill's script or hook command does what the policy holds for a human",
    },
    RuleInfo {
        id: "skill.script.secret",
        name: "SkillScriptSecret",
        description: "A credential written into a skill's file",
    },
    RuleInfo {
        id: "skill.script.exfil",
        name: "SkillScriptExfil",
        description: "A URL or image in a skill's file built to carry data out",
    },
    RuleInfo {
        id: "skill.hook.command",
        name: "SkillHookCommand",
        description: "A plugin hook that runs a command on agent events",
    },
    RuleInfo {
        id: "skill.symlink",
        name: "SkillSymlink",
        description: "A symlink inside a skill, which may point the agent outside it",
    },
    RuleInfo {
        id: "skill.unread",
        name: "SkillUnread",
        description: "Files of a skill too large or too many to read, which cannot be vouched for",
    },
    RuleInfo {
        id: "skill.changed",
        name: "SkillChanged",
        description: "A skill whose files changed since it was trusted (or that was never trusted)",
    },
];

/// The catalogue entry of `id`.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
