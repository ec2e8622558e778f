//! Policy layers and where their files live.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;

/// The built-in baseline policy, embedded in the binary.
pub const BASELINE_YAML: &str = include_str!("../policy/baseline.yaml");
/// The same baseline as JSON (converted at build time), which parses faster.
pub(crate) const BASELINE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/baseline.json"));

/// A policy layer. Later layers are stronger: the managed layer cannot be weakened by the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Built into Warden.
    Baseline,
    /// The user's own policy (may disable baseline rules and extend lists).
    User,
    /// The project's policy, from the repository (may only add restrictions).
    Project,
    /// The organisation's managed policy (cannot be weakened).
    Managed,
}

impl Layer {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Baseline => "baseline",
            Layer::User => "user",
            Layer::Project => "project",
            Layer::Managed => "managed",
        }
    }
}

/// One policy file's text and layer.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// Its layer.
    pub layer: Layer,
    /// Its file name (or `<baseline>`), for error messages.
    pub name: String,
    /// Its YAML text.
    pub text: String,
}

impl PolicySource {
    /// The embedded baseline.
    pub fn baseline() -> Self {
        PolicySource {
            layer: Layer::Baseline,
            name: "<baseline>".into(),
            text: BASELINE_YAML.into(),
        }
    }

    /// Read a policy file for `layer`.
    #[expect(
        clippy::result_large_err,
        reason = "errors carry the file text for miette; they are rare and cold"
    )]
    pub fn read(layer: Layer, path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(PolicySource {
            layer,
            name: path.display().to_string(),
            text,
        })
    }

    /// Where each layer's file is looked for: user config, `<workspace>/.warden/policy.yaml`, managed.
    pub fn default_paths(home: &Path, workspace: Option<&Path>) -> Vec<(Layer, PathBuf)> {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let mut out = vec![(Layer::User, config.join("warden").join("policy.yaml"))];
        if let Some(ws) = workspace {
            out.push((Layer::Project, ws.join(".warden").join("policy.yaml")));
        }
        let managed = if cfg!(target_os = "macos") {
            PathBuf::from("/Library/Application Support/Warden/managed.yaml")
        } else {
            PathBuf::from("/etc/warden/managed.yaml")
        };
        out.push((Layer::Managed, managed));
        out
    }

    /// The baseline plus every layer file that exists at the default paths.
    #[expect(
        clippy::result_large_err,
        reason = "errors carry the file text for miette; they are rare and cold"
    )]
    pub fn discover(home: &Path, workspace: Option<&Path>) -> Result<Vec<Self>, PolicyError> {
        let mut out = vec![PolicySource::baseline()];
        for (layer, path) in Self::default_paths(home, workspace) {
            if path.is_file() {
                out.push(PolicySource::read(layer, &path)?);
            }
        }
        Ok(out)
    }
}
