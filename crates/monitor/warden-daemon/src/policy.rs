//! The policies the daemon decides with: the global layers in an [`ArcSwap`] (hot-swapped on
//! change, so requests in flight keep the policy they started with), and per-workspace policies
//! for projects with their own `.warden/policy.yaml`, reloaded when that file changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use warden_policy::Policy;

/// Where policies come from; the front end decides (layers, discovery, extra files).
pub trait PolicyLoader: Send + Sync + 'static {
    /// Load and self-test the policy for `workspace` (`None`: the global layers only).
    fn load(&self, workspace: Option<&Path>) -> Result<Policy, String>;
    /// The files whose change must reload the global policy.
    fn watch_paths(&self) -> Vec<PathBuf>;
}

/// How often a workspace's project policy file is looked at again.
pub const RECHECK: Duration = Duration::from_secs(1);

struct Project {
    checked: Instant,
    stamp: Option<SystemTime>,
    /// `None`: the workspace has no project policy.
    policy: Option<Result<Arc<Policy>, String>>,
}

/// The current policies.
pub struct Policies {
    loader: Arc<dyn PolicyLoader>,
    global: ArcSwap<Policy>,
    projects: Mutex<HashMap<PathBuf, Project>>,
}

fn project_file(ws: &Path) -> PathBuf {
    ws.join(".warden").join("policy.yaml")
}

fn stamp(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Load a policy and compile what it would otherwise compile on first use.
fn load(loader: &dyn PolicyLoader, workspace: Option<&Path>) -> Result<Policy, String> {
    let p = loader.load(workspace)?;
    p.warm()?;
    Ok(p)
}

impl Policies {
    /// Load the global policy; fails when it does not load (the daemon does not start).
    pub fn new(loader: Arc<dyn PolicyLoader>) -> Result<Self, String> {
        let global = load(&*loader, None)?;
        Ok(Policies {
            loader,
            global: ArcSwap::from_pointee(global),
            projects: Mutex::new(HashMap::new()),
        })
    }

    /// The global policy now.
    pub fn global(&self) -> Arc<Policy> {
        self.global.load_full()
    }

    /// The files to watch.
    pub fn watch_paths(&self) -> Vec<PathBuf> {
        self.loader.watch_paths()
    }

    /// Reload the global policy; on failure the current one stays and the error is returned.
    pub fn reload(&self) -> Result<usize, String> {
        let p = load(&*self.loader, None)?;
        let n = p.rule_count();
        self.global.store(Arc::new(p));
        if let Ok(mut m) = self.projects.lock() {
            m.clear();
        }
        Ok(n)
    }

    /// The policy for `workspace`: its project policy when it has one (an error when that file
    /// is broken, so the caller denies), else the global one. The project file is looked at
    /// again at most every [`RECHECK`].
    pub fn for_workspace(&self, workspace: Option<&str>) -> Result<Arc<Policy>, String> {
        let Some(ws) = workspace.map(Path::new) else {
            return Ok(self.global());
        };
        let mut map = self
            .projects
            .lock()
            .map_err(|_| "policy cache poisoned".to_string())?;
        let now = Instant::now();
        if let Some(p) = map
            .get(ws)
            .filter(|p| now.duration_since(p.checked) < RECHECK)
        {
            return p.policy.clone().unwrap_or_else(|| Ok(self.global()));
        }
        if map.len() > 10_000 {
            map.clear();
        }
        let file = project_file(ws);
        let Some(t) = stamp(&file) else {
            map.insert(
                ws.to_path_buf(),
                Project {
                    checked: now,
                    stamp: None,
                    policy: None,
                },
            );
            return Ok(self.global());
        };
        if let Some(p) = map
            .get_mut(ws)
            .filter(|p| p.stamp == Some(t) && p.policy.is_some())
        {
            p.checked = now;
            return p.policy.clone().unwrap_or_else(|| Ok(self.global()));
        }
        let policy = load(&*self.loader, Some(ws)).map(Arc::new);
        if let Err(e) = &policy {
            tracing::error!(workspace = %ws.display(), error = %e, "project policy does not load; its actions are denied");
        }
        map.insert(
            ws.to_path_buf(),
            Project {
                checked: now,
                stamp: Some(t),
                policy: Some(policy.clone()),
            },
        );
        policy
    }
}
