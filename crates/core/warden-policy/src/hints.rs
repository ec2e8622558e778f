//! What other enforcement layers need from a compiled policy: the path rules and the lists, as
//! written (lists expanded), and the sandbox settings. The kernel sandbox derives its rules from
//! these, so the analysis and the kernel answer from one policy.

use std::collections::{BTreeMap, BTreeSet};

use warden_action::ActionKind;

use crate::compile::{merge_lists, Policy};
use crate::decision::Decision;
use crate::layers::Layer;
use crate::spec::{MatchSpec, MissingLayer, OneOrMany, SandboxMode};

/// The paths one active rule names, for the action kinds it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    /// The rule id.
    pub id: String,
    /// Its decision.
    pub decision: Decision,
    /// The action kinds the rule (or the `any` branch holding the paths) names; empty: any kind.
    pub kinds: Vec<ActionKind>,
    /// Path globs as written (`~/` for the home directory), `$list` references expanded.
    pub paths: Vec<String>,
}

impl PathRule {
    /// Whether the rule applies to actions of `kind`.
    pub fn applies_to(&self, kind: ActionKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// The sandbox settings of the effective policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxSettings {
    /// Which calls run sandboxed.
    pub mode: SandboxMode,
    /// What to do when a layer is missing.
    pub missing_layer: MissingLayer,
    /// What the egress proxy does with unlisted hosts (the strictest layer wins).
    pub unlisted_hosts: crate::UnlistedHosts,
}

impl Policy {
    /// Every layer's lists merged, as rules see them.
    pub fn lists(&self) -> BTreeMap<String, Vec<String>> {
        merge_lists(&self.files.iter().collect::<Vec<_>>())
    }

    /// The path conditions of every active rule: the top-level `path` and the `path` of each
    /// `any` branch. A rule's `not` is left out, so a consumer that enforces these paths
    /// enforces more than the rule, never less.
    pub fn path_rules(&self) -> Vec<PathRule> {
        let active: BTreeSet<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
        let lists = self.lists();
        let mut out = Vec::new();
        for f in &self.files {
            for r in &f.spec.rules {
                if !active.contains(r.id.as_str()) {
                    continue;
                }
                let mut push = |m: &MatchSpec, outer: &[ActionKind]| {
                    let Some(p) = &m.path else { return };
                    let kinds = m
                        .kind
                        .as_ref()
                        .map_or_else(|| outer.to_vec(), |k| k.as_slice().to_vec());
                    out.push(PathRule {
                        id: r.id.clone(),
                        decision: r.decision,
                        kinds,
                        paths: expand(p, &lists),
                    });
                };
                let outer: Vec<ActionKind> = r
                    .matcher
                    .kind
                    .as_ref()
                    .map_or_else(Vec::new, |k| k.as_slice().to_vec());
                push(&r.matcher, &outer);
                for branch in &r.matcher.any {
                    push(branch, &outer);
                }
            }
        }
        out
    }

    /// The sandbox settings: for each key, the highest layer that sets it (managed, user,
    /// project, baseline).
    pub fn sandbox_settings(&self) -> SandboxSettings {
        let order = [Layer::Managed, Layer::User, Layer::Project, Layer::Baseline];
        let first = |get: &dyn Fn(&crate::spec::PolicyFile) -> bool| {
            order.iter().find_map(|l| {
                self.files
                    .iter()
                    .filter(|f| f.layer == *l)
                    .find(|f| get(&f.spec))
            })
        };
        SandboxSettings {
            mode: first(&|s| s.sandbox.is_some())
                .and_then(|f| f.spec.sandbox)
                .unwrap_or_default(),
            missing_layer: first(&|s| s.sandbox_missing_layer.is_some())
                .and_then(|f| f.spec.sandbox_missing_layer)
                .unwrap_or_default(),
            unlisted_hosts: self
                .files
                .iter()
                .filter_map(|f| f.spec.sandbox_unlisted_hosts)
                .max()
                .unwrap_or_default(),
        }
    }
}

fn expand(v: &OneOrMany<String>, lists: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for s in v.as_slice() {
        match s.strip_prefix('$').filter(|n| !n.starts_with("HOME")) {
            Some(name) => out.extend(lists.get(name).into_iter().flatten().cloned()),
            None => out.push(s.clone()),
        }
    }
    out
}
