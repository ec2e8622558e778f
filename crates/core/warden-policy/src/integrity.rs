//! Configuration integrity settings: what the monitor does when a file that steers an agent
//! (settings, instructions, MCP configs, skills) changes without a person approving it.
//!
//! A change is sorted into one or more [`ConfigClass`]es; each class has an [`IntegrityAction`]
//! from the `config_integrity:` policy key (the highest layer that sets a class wins, like
//! `sandbox:`); the strictest action of a change's classes applies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compile::Policy;
use crate::layers::Layer;

/// What the monitor does about an unapproved change. Ordered: `alert < ask < restore`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IntegrityAction {
    /// Record it in the audit trail; nothing is held.
    Alert,
    /// Record it and hold it as a pending approval; until a person approves (or restores),
    /// sessions carry the `config_tampered` fact.
    Ask,
    /// Write the pinned content (owner and mode) back, and record that.
    Restore,
}

impl IntegrityAction {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrityAction::Alert => "alert",
            IntegrityAction::Ask => "ask",
            IntegrityAction::Restore => "restore",
        }
    }
}

/// What a change to an agent's configuration touches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConfigClass {
    /// Warden's own hooks or shell wrapper were removed (or every hook switched off).
    WardenRemoved,
    /// Permission rules, the default permission mode, sandbox or approval settings.
    Permissions,
    /// Hook commands added, changed or removed.
    Hooks,
    /// The model, the model provider, its base URL or key helper.
    ModelProvider,
    /// MCP servers added, changed or enabled.
    Mcp,
    /// Skill or plugin files, or the plugins and marketplaces enabled.
    Skills,
    /// Instructions files the model reads (`CLAUDE.md`, `AGENTS.md`).
    Instructions,
    /// OpenClaw's gateway bound beyond loopback without authentication.
    GatewayExposed,
    /// The file's owner, mode or type changed (writable by others, replaced by a symlink).
    FileAccess,
    /// Anything else (an `env` variable, a theme).
    Other,
}

impl ConfigClass {
    /// Every class, in order.
    pub const ALL: [ConfigClass; 10] = [
        ConfigClass::WardenRemoved,
        ConfigClass::Permissions,
        ConfigClass::Hooks,
        ConfigClass::ModelProvider,
        ConfigClass::Mcp,
        ConfigClass::Skills,
        ConfigClass::Instructions,
        ConfigClass::GatewayExposed,
        ConfigClass::FileAccess,
        ConfigClass::Other,
    ];

    /// Its name as the policy key spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigClass::WardenRemoved => "warden_removed",
            ConfigClass::Permissions => "permissions",
            ConfigClass::Hooks => "hooks",
            ConfigClass::ModelProvider => "model_provider",
            ConfigClass::Mcp => "mcp",
            ConfigClass::Skills => "skills",
            ConfigClass::Instructions => "instructions",
            ConfigClass::GatewayExposed => "gateway_exposed",
            ConfigClass::FileAccess => "file_access",
            ConfigClass::Other => "other",
        }
    }
}

/// The `config_integrity:` policy key: a default action and one per class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigIntegritySpec {
    /// The action for classes not set here or in a higher layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<IntegrityAction>,
    /// Warden's hooks or shell wrapper removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warden_removed: Option<IntegrityAction>,
    /// Permission rules or modes changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<IntegrityAction>,
    /// Hooks changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<IntegrityAction>,
    /// Model or model provider changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<IntegrityAction>,
    /// MCP servers changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<IntegrityAction>,
    /// Skills or plugins changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<IntegrityAction>,
    /// Instructions files changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<IntegrityAction>,
    /// OpenClaw gateway exposed beyond loopback without auth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_exposed: Option<IntegrityAction>,
    /// Owner, mode or file type changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_access: Option<IntegrityAction>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<IntegrityAction>,
}

impl ConfigIntegritySpec {
    /// The action this layer sets for `class` (not the default).
    pub fn get(&self, class: ConfigClass) -> Option<IntegrityAction> {
        match class {
            ConfigClass::WardenRemoved => self.warden_removed,
            ConfigClass::Permissions => self.permissions,
            ConfigClass::Hooks => self.hooks,
            ConfigClass::ModelProvider => self.model_provider,
            ConfigClass::Mcp => self.mcp,
            ConfigClass::Skills => self.skills,
            ConfigClass::Instructions => self.instructions,
            ConfigClass::GatewayExposed => self.gateway_exposed,
            ConfigClass::FileAccess => self.file_access,
            ConfigClass::Other => self.other,
        }
    }
}

/// The effective configuration-integrity settings of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigIntegrity {
    actions: [IntegrityAction; ConfigClass::ALL.len()],
}

impl ConfigIntegrity {
    /// The action for one class.
    pub fn action(&self, class: ConfigClass) -> IntegrityAction {
        let i = ConfigClass::ALL
            .iter()
            .position(|c| *c == class)
            .unwrap_or(0);
        self.actions
            .get(i)
            .copied()
            .unwrap_or(IntegrityAction::Restore)
    }

    /// The strictest action over some classes (`alert` for none).
    pub fn action_for(&self, classes: &[ConfigClass]) -> IntegrityAction {
        classes
            .iter()
            .map(|c| self.action(*c))
            .max()
            .unwrap_or(IntegrityAction::Alert)
    }
}

impl Policy {
    /// The `config_integrity:` settings: for each class, the highest layer (managed, user,
    /// project, baseline) that sets it, else that layer order's first `default`, else `alert`.
    pub fn config_integrity(&self) -> ConfigIntegrity {
        let order = [Layer::Managed, Layer::User, Layer::Project, Layer::Baseline];
        let specs: Vec<&ConfigIntegritySpec> = order
            .iter()
            .flat_map(|l| self.files.iter().filter(move |f| f.layer == *l))
            .filter_map(|f| f.spec.config_integrity.as_ref())
            .collect();
        let default = specs
            .iter()
            .find_map(|s| s.default)
            .unwrap_or(IntegrityAction::Alert);
        let mut actions = [default; ConfigClass::ALL.len()];
        for (slot, class) in actions.iter_mut().zip(ConfigClass::ALL) {
            if let Some(a) = specs.iter().find_map(|s| s.get(class)) {
                *slot = a;
            }
        }
        ConfigIntegrity { actions }
    }
}
