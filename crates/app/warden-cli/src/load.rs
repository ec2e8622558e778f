//! Loading policies from their layers, reading input, and rendering errors.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use warden_policy::{Layer, Policy, PolicyErrors, PolicySource};

use crate::cli::PolicyArgs;

/// The user's home directory (`/` when unknown, so nothing matches `~/` by accident).
pub fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// The protected deployment's user layer: root-owned, edited by an administrator.
pub const SYSTEM_POLICY: &str = "/etc/warden/policy.yaml";

/// Every policy source for `args`, in layer order.
pub fn sources(
    args: &PolicyArgs,
    workspace: Option<&Path>,
) -> Result<Vec<PolicySource>, PolicyErrors> {
    sources_for(args, workspace, false)
}

/// Every policy source, in layer order. `protected`: the user layer is [`SYSTEM_POLICY`], not
/// the file in the (agent) user's home, which the monitor never reads then.
pub fn sources_for(
    args: &PolicyArgs,
    workspace: Option<&Path>,
    protected: bool,
) -> Result<Vec<PolicySource>, PolicyErrors> {
    let mut out = vec![PolicySource::baseline()];
    let mut defaults = if args.no_discover {
        Vec::new()
    } else {
        PolicySource::default_paths(&home(), workspace)
    };
    if protected {
        for (layer, path) in &mut defaults {
            if *layer == Layer::User {
                *path = PathBuf::from(SYSTEM_POLICY);
            }
        }
    }
    let default_of = |layer: Layer| {
        defaults
            .iter()
            .find(|(l, _)| *l == layer)
            .map(|(_, p)| p.clone())
    };
    let mut push = |layer: Layer, path: &Path, required: bool| -> Result<(), PolicyErrors> {
        if required || path.is_file() {
            out.push(PolicySource::read(layer, path)?);
        }
        Ok(())
    };
    if let Some(p) = default_of(Layer::User) {
        push(Layer::User, &p, false)?;
    }
    for p in &args.policy {
        push(Layer::User, p, true)?;
    }
    match (&args.project_policy, default_of(Layer::Project)) {
        (Some(p), _) => push(Layer::Project, p, true)?,
        (None, Some(p)) => push(Layer::Project, &p, false)?,
        (None, None) => {}
    }
    match (&args.managed_policy, default_of(Layer::Managed)) {
        (Some(p), _) => push(Layer::Managed, p, true)?,
        (None, Some(p)) => push(Layer::Managed, &p, false)?,
        (None, None) => {}
    }
    Ok(out)
}

/// Load and self-test the policy for `args`.
pub fn policy(args: &PolicyArgs, workspace: Option<&Path>) -> Result<Policy> {
    policy_for(args, workspace, false)
}

/// [`policy`]; `protected`: see [`sources_for`], and every file but the project's must be
/// owned by root and writable by nobody else, or the policy does not load.
pub fn policy_for(args: &PolicyArgs, workspace: Option<&Path>, protected: bool) -> Result<Policy> {
    let workspace = args.workspace.as_deref().or(workspace);
    let srcs =
        sources_for(args, workspace, protected).map_err(|e| anyhow::anyhow!(render_policy(&e)))?;
    if protected {
        check_protected_sources(&srcs)?;
    }
    // The protected deployment keeps nothing where the agent's user could write.
    let tested = (!protected).then(|| warden_daemon::default_state_dir().join(TESTED_DIR));
    load_tested(&srcs, tested.as_deref())
}

/// Where the marks of policies whose self-tests passed are kept (in the state directory).
pub const TESTED_DIR: &str = "policy-tested";

/// Compile the policy; run its self-tests unless these exact sources already passed them with
/// this exact binary (a mark in `tested`, keyed by the hash of every layer's text and of the
/// binary's version, size and time). The tests run when a policy file changes, not on every
/// cold decision; a failing policy is never marked.
pub fn load_tested(srcs: &[PolicySource], tested: Option<&Path>) -> Result<Policy> {
    let mark = tested.map(|d| d.join(format!("{}.ok", tested_key(srcs))));
    if mark.as_ref().is_some_and(|m| m.is_file()) {
        return Policy::compile(srcs).map_err(|e| anyhow::anyhow!(render_policy(&e)));
    }
    let policy = Policy::load(srcs).map_err(|e| anyhow::anyhow!(render_policy(&e)))?;
    // Build everything built lazily, once per policy change: a regex too large to build is an
    // error here, and the policy is not marked.
    policy
        .warm()
        .map_err(|e| anyhow::anyhow!("the policy does not load: {e}"))?;
    if let Some(m) = mark {
        // A mark that cannot be written only costs the tests next time.
        let _ = m
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&m, b"passed\n"));
    }
    Ok(policy)
}

fn tested_key(srcs: &[PolicySource]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    if let Some(m) = std::env::current_exe()
        .ok()
        .and_then(|e| std::fs::metadata(e).ok())
    {
        h.update(m.len().to_le_bytes());
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(t.to_le_bytes());
    }
    hash_sources(&mut h, srcs);
    hex::encode(h.finalize())
}

/// Feed every layer's name and text (length-prefixed) to `h`.
pub fn hash_sources(h: &mut sha2::Sha256, srcs: &[PolicySource]) {
    use sha2::Digest;
    for s in srcs {
        for part in [s.layer.as_str(), s.name.as_str(), s.text.as_str()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
}

/// In the protected deployment every layer but the baseline and the project's must be a
/// root-owned file nobody else can write.
pub fn check_protected_sources(srcs: &[PolicySource]) -> Result<()> {
    for s in srcs
        .iter()
        .filter(|s| !matches!(s.layer, Layer::Baseline | Layer::Project))
    {
        warden_daemon::target::check_root_owned(Path::new(&s.name)).map_err(|e| {
            anyhow::anyhow!(
                "protected mode: the {} policy is not trusted: {e}",
                s.layer.as_str()
            )
        })?;
    }
    Ok(())
}

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub fn config_home() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home().join(".config"))
}

/// Whether this machine runs the protected deployment (a system client config exists).
pub fn protected_here() -> bool {
    Path::new(warden_daemon::target::CLIENT_CONFIG).exists()
}

/// Render policy errors with file, line, column and the offending text.
pub fn render_policy(e: &PolicyErrors) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(if no_color() {
        miette::GraphicalTheme::unicode_nocolor()
    } else {
        miette::GraphicalTheme::unicode()
    });
    let mut out = String::new();
    for err in &e.errors {
        if handler.render_report(&mut out, err).is_err() {
            out.push_str(&err.to_string());
        }
        out.push('\n');
    }
    format!("policy has {} error(s)\n{out}", e.errors.len())
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || !std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// Render any error with its chain of causes.
pub fn render(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    for cause in e.chain().skip(1) {
        s.push_str(&format!(": {cause}"));
    }
    s
}

/// Read the whole input: a file, or stdin for `None` / `-`, at most the adapters' limit.
pub fn read_input(path: Option<&Path>) -> Result<Vec<u8>> {
    let limit = warden_adapters::MAX_INPUT_BYTES as u64 + 1;
    let mut buf = Vec::new();
    match path {
        None => std::io::stdin()
            .take(limit)
            .read_to_end(&mut buf)
            .context("cannot read stdin")?,
        Some(p) if p == Path::new("-") => std::io::stdin()
            .take(limit)
            .read_to_end(&mut buf)
            .context("cannot read stdin")?,
        Some(p) => std::fs::File::open(p)
            .and_then(|f| f.take(limit).read_to_end(&mut buf))
            .with_context(|| format!("cannot read `{}`", p.display()))?,
    };
    Ok(buf)
}

/// The current directory as a string, `/` when it cannot be read.
pub fn current_dir() -> String {
    std::env::current_dir().map_or_else(|_| "/".to_string(), |p| p.display().to_string())
}
