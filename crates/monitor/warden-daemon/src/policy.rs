//! The policies the daemon decides with: the global layers in an [`ArcSwap`] (hot-swapped on
//! change, so requests in flight keep the policy they started with), and per-workspace policies
//! for projects with their own `.warden/policy.yaml`, reloaded when that file changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use warden_policy::Policy;

/// Where policies come from; the front end decides (layers, discovery, extra files).
pub trait PolicyLoader: Send + Sync + 'static {
    /// Load and self-test the policy for `workspace` (`None`: the global layers only).
    fn load(&self, workspace: Option<&Path>) -> Result<Policy, String>;
    /// The files whose change must reload the global policy.
    fn watch_paths(&self) -> Vec<PathBuf>;
}

struct Project {
    stamp: Option<SystemTime>,
    policy: Result<Arc<Policy>, String>,
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

impl Policies {
    /// Load the global policy; fails when it does not load (the daemon does not start).
    pub fn new(loader: Arc<dyn PolicyLoader>) -> Result<Self, String> {
        let global = loader.load(None)?;
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
        let p = self.loader.load(None)?;
        let n = p.rule_count();
        self.global.store(Arc::new(p));
        if let Ok(mut m) = self.projects.lock() {
            m.clear();
        }
        Ok(n)
    }

    /// The policy for `workspace`: its project policy when it has one (an error when that file
    /// is broken, so the caller denies), else the global one.
    pub fn for_workspace(&self, workspace: Option<&str>) -> Result<Arc<Policy>, String> {
        let Some(ws) = workspace.map(Path::new) else {
            return Ok(self.global());
        };
        let file = project_file(ws);
        let now = stamp(&file);
        let Some(now) = now else {
            return Ok(self.global());
        };
        let mut map = self
            .projects
            .lock()
            .map_err(|_| "policy cache poisoned".to_string())?;
        if let Some(p) = map.get(ws).filter(|p| p.stamp == Some(now)) {
            return p.policy.clone();
        }
        let policy = self.loader.load(Some(ws)).map(Arc::new);
        if let Err(e) = &policy {
            tracing::error!(workspace = %ws.display(), error = %e, "project policy does not load; its actions are denied");
        }
        map.insert(
            ws.to_path_buf(),
            Project {
                stamp: Some(now),
                policy: policy.clone(),
            },
        );
        policy
    }
}
