//! The monitor's side of configuration integrity: changes into the audit trail, held changes
//! into pending approvals, and the admin requests behind `warden config`.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tokio::sync::watch as wch;
use warden_audit::{now_ms, Kind};
use warden_policy::{IntegrityAction, SessionFacts};

use super::Change;
use crate::daemon::{record, Daemon};
use crate::state::{ApprovalView, Pending};
use crate::writer::StateOp;

/// The approval fingerprint prefix of held configuration changes.
pub(crate) const FINGERPRINT_PREFIX: &str = "config:";

impl Daemon {
    /// Examine paths (on the caller's thread: never a hook's), record each change, hold the
    /// ones a person must answer.
    pub(crate) async fn examine_paths(&self, paths: &[PathBuf], source: &str) {
        let Some(guard) = self.guard.as_ref() else {
            return;
        };
        let integrity = self.policies.global().config_integrity();
        for p in paths {
            if let Some(ch) = guard.examine(p, &integrity) {
                self.config_changed(&ch, source).await;
            }
        }
    }

    async fn config_changed(&self, ch: &Change, source: &str) {
        let body = ch.body(source);
        match ch.action {
            IntegrityAction::Alert => {
                tracing::warn!(path = %ch.path.display(), classes = ?ch.classes, "configuration changed")
            }
            IntegrityAction::Ask | IntegrityAction::Restore => {
                tracing::error!(path = %ch.path.display(), classes = ?ch.classes, action = ch.action.as_str(), "configuration tampered")
            }
        }
        if let Err(e) = self.audit(Kind::Event, None, body).await {
            tracing::error!(error = %e, "cannot record a configuration change");
        }
        if let Some(old) = &ch.superseded {
            self.supersede(old).await;
        }
        let held = self.guard.as_ref().and_then(|g| g.held(&ch.path));
        if let Some(h) = held.filter(|h| h.approval.is_none()) {
            self.hold_config(ch, &h.classes).await;
        }
    }

    /// Withdraw the approval of a held state the file no longer has.
    async fn supersede(&self, id: &str) {
        let gone = {
            let mut st = self.state();
            let p = st.pending.remove(id);
            if let Some(p) = &p {
                st.by_key.remove(&(None, p.view.fingerprint.clone()));
            }
            p
        };
        let Some(p) = gone else { return };
        let rec = record(
            Kind::Approval,
            None,
            &json!({"op": "expired", "approval": id, "why": "superseded by a newer change of the same file"}),
        );
        let op = StateOp::Answered {
            id: id.to_string(),
            status: "expired",
            scope: None,
            expires: None,
            time: now_ms(),
        };
        if let Err(e) = self.write(vec![rec], vec![op]).await {
            tracing::error!(approval = %id, error = %e, "cannot record a superseded approval");
        }
        let mut view = p.view;
        view.status = "superseded".into();
        self.keep_answered(view);
    }

    /// A pending approval for a held change, visible in `warden approvals list`.
    async fn hold_config(&self, ch: &Change, classes: &[warden_policy::ConfigClass]) {
        let Some(guard) = self.guard.as_ref() else {
            return;
        };
        let id = format!("c{}", self.new_id());
        let fp = format!(
            "{FINGERPRINT_PREFIX}{}:{}",
            ch.path.display(),
            ch.current.sha256().unwrap_or(ch.current.word())
        );
        let names: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
        let reason = format!(
            "`{}` {} ({}): {}; `warden config diff` shows it, `warden config approve` keeps it, `warden config restore` puts the pinned version back",
            ch.path.display(),
            ch.change,
            names.join(", "),
            ch.details.join("; ")
        );
        let request = json!({
            "agent": "monitor", "event": "config_integrity", "tool": "config", "path": ch.path,
            "classes": names, "risk": 0.9, "reason": reason, "rules": [], "details": ch.details,
        });
        let created = now_ms();
        let (tx, _rx) = wch::channel(None);
        let view = ApprovalView {
            id: id.clone(),
            status: "pending".into(),
            session: None,
            fingerprint: fp.clone(),
            created: warden_audit::format_time(created),
            scope: None,
            request: request.clone(),
        };
        {
            let mut st = self.state();
            st.pending.insert(id.clone(), Pending { view, tx });
            st.by_key.insert((None, fp.clone()), id.clone());
        }
        guard.set_approval(&ch.path, &id);
        let rec = record(
            Kind::Approval,
            None,
            &json!({"op": "requested", "approval": id, "fingerprint": fp, "request": request}),
        );
        let op = StateOp::Approval {
            id: id.clone(),
            created,
            session: None,
            fingerprint: fp,
            request: request.to_string(),
        };
        if let Err(e) = self.write(vec![rec], vec![op]).await {
            tracing::error!(error = %e, "cannot record a held configuration change");
        }
    }

    /// A config approval was answered through `warden approvals`: approve re-pins, deny
    /// restores.
    pub(crate) async fn config_answered(&self, id: &str, approve: bool, by: &str) {
        let Some(path) = self.guard.as_ref().and_then(|g| g.path_of_approval(id)) else {
            return;
        };
        let r = if approve {
            self.config_approve(Some(&path), by, false).await
        } else {
            self.config_restore(Some(&path), by, false).await
        };
        if let Err(e) = r {
            tracing::error!(approval = %id, error = %e, "cannot apply the answer to a configuration change");
        }
    }

    /// Close the pending approvals of changes that were approved or restored.
    async fn close_approvals(&self, ids: &[String], approve: bool, by: &str) {
        for id in ids {
            let _ = self
                .answer_only(id, approve, crate::proto::Scope::Once, None, by, None)
                .await;
        }
    }

    /// `warden config approve [PATH]`: re-pin the current state.
    pub(crate) async fn config_approve(
        &self,
        path: Option<&Path>,
        by: &str,
        close: bool,
    ) -> Result<Value, String> {
        let guard = self.guard.as_ref().ok_or_else(not_watching)?;
        let done = guard.approve(path, by).map_err(|e| e.to_string())?;
        let mut records = Vec::new();
        let mut ids = Vec::new();
        for (p, obs, approval) in &done {
            records.push(record(
                Kind::Admin,
                None,
                &json!({"op": "config_approve", "path": p, "pinned": obs, "by": by, "approval": approval}),
            ));
            ids.extend(approval.clone());
        }
        if !records.is_empty() {
            self.write(records, Vec::new()).await?;
        }
        if close {
            self.close_approvals(&ids, true, by).await;
        }
        let paths: Vec<&PathBuf> = done.iter().map(|(p, _, _)| p).collect();
        Ok(json!({"approved": paths}))
    }

    /// `warden config restore [PATH]`: write the pinned state back.
    pub(crate) async fn config_restore(
        &self,
        path: Option<&Path>,
        by: &str,
        close: bool,
    ) -> Result<Value, String> {
        let guard = self.guard.as_ref().ok_or_else(not_watching)?;
        let done = guard.restore(path).map_err(|e| e.to_string())?;
        let mut records = Vec::new();
        let mut ids = Vec::new();
        let mut out = Vec::new();
        for (p, r, approval) in &done {
            let result = match r {
                Ok(()) => json!(true),
                Err(e) => json!({"failed": e}),
            };
            records.push(record(
                Kind::Event,
                None,
                &json!({"event": "config_integrity", "op": "restored", "path": p, "restored": result, "by": by, "approval": approval}),
            ));
            ids.extend(approval.clone());
            out.push(json!({"path": p, "restored": result}));
        }
        if !records.is_empty() {
            self.write(records, Vec::new()).await?;
        }
        if close {
            self.close_approvals(&ids, false, by).await;
        }
        Ok(json!({"restored": out}))
    }

    /// `warden config status`.
    pub(crate) fn config_status(&self) -> Result<Value, String> {
        let guard = self.guard.as_ref().ok_or_else(not_watching)?;
        let mut v = guard.status();
        v["protected"] = json!(self.config.protected);
        v["store"] = json!(self.config.state_dir.join(super::pins::PIN_DIR));
        Ok(v)
    }

    /// `warden config diff [PATH]`.
    pub(crate) fn config_diff(&self, path: Option<&Path>) -> Result<Value, String> {
        let guard = self.guard.as_ref().ok_or_else(not_watching)?;
        guard.diff(path).map_err(|e| e.to_string())
    }

    /// Facts for a `ConfigChange` event: the file is examined now (a rare event, not a tool
    /// decision), so a change the watcher has not settled yet still gets its class's decision.
    pub(crate) async fn config_change_facts(&self, path: &Path) -> SessionFacts {
        let mut f = SessionFacts::new();
        let Some(guard) = self.guard.as_ref() else {
            return f;
        };
        self.examine_paths(&[path.to_path_buf()], "config_change_hook")
            .await;
        if let Some(action) = guard.action_now(path) {
            f.insert("config_action".into(), json!(action));
        }
        f
    }
}

fn not_watching() -> String {
    "this monitor does not watch configuration files (no agent home: start it with `--watch-home DIR`)".into()
}
