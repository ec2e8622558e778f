//! The daemon's live state: halts, grants, pending approvals, answered approvals, session lineage.
//! Persisted in the audit database (see [`crate::writer::STATE_SCHEMA`]); this is the in-memory
//! copy the hot path reads. It changes only after the write describing the change is durable.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use warden_audit::rusqlite::{self, Connection};

use crate::proto::Scope;

/// How an approval was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    pub approve: bool,
    pub scope: Scope,
    pub grant: Option<String>,
    /// A note for the agent from whoever answered (shown with a denial).
    pub note: Option<String>,
}

/// A pending approval.
pub(crate) struct Pending {
    pub view: ApprovalView,
    pub tx: watch::Sender<Option<Resolution>>,
}

/// An approval as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// Its id.
    pub id: String,
    /// `pending`, `approved`, `denied` or `expired`.
    pub status: String,
    /// The session asking.
    pub session: Option<String>,
    /// The action's fingerprint (tool and normalised actions).
    pub fingerprint: String,
    /// When it was asked (RFC 3339).
    pub created: String,
    /// The scope of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The request: tool, risk, rules, reason and the full actions.
    pub request: Value,
}

/// A persisted permission from an approval.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub id: String,
    pub fingerprint: String,
    pub session: Option<String>,
    pub expires: Option<i64>,
}

/// Everything the hot path reads.
#[derive(Default)]
pub(crate) struct State {
    pub halted: HashSet<String>,
    pub halt_all: bool,
    pub grants: Vec<Grant>,
    pub pending: HashMap<String, Pending>,
    pub by_key: HashMap<(Option<String>, String), String>,
    pub denied: HashSet<(Option<String>, String)>,
    pub answered: Vec<ApprovalView>,
    /// Subagent (or child session) id -> parent session.
    pub lineage: HashMap<String, String>,
    /// What the start-up rebuild read, for `warden status`.
    pub rebuilt: Option<crate::follow::Rebuilt>,
    /// Recent allowed shell commands, newest last: a sandbox report that names no session is
    /// attributed to the call whose command it ran.
    pub recent_shell: std::collections::VecDeque<ShellCall>,
    /// The skill each session invoked last in its current turn: later decisions of the turn
    /// name it (actions taken while a skill is active are attributed to it).
    pub active_skill: HashMap<String, String>,
    /// Sandboxed children seen in reports: pid -> the call they belong to.
    pub sandbox_calls: std::collections::VecDeque<(u32, Option<String>, Option<String>)>,
}

/// An allowed shell command, for attributing its sandbox report.
#[derive(Debug, Clone)]
pub(crate) struct ShellCall {
    pub session: Option<String>,
    pub tool_use_id: Option<String>,
    pub command: String,
    pub at_ms: i64,
    pub claimed: bool,
}

/// Shell commands remembered for attribution.
const RECENT_SHELL: usize = 256;
/// How long a command waits for its sandbox report.
const SHELL_REPORT_WINDOW_MS: i64 = 30 * 60 * 1000;

impl State {
    /// Remember an allowed shell command.
    pub(crate) fn remember_shell(
        &mut self,
        session: Option<String>,
        tool_use_id: Option<String>,
        command: &str,
        at_ms: i64,
    ) {
        if self.recent_shell.len() >= RECENT_SHELL {
            self.recent_shell.pop_front();
        }
        self.recent_shell.push_back(ShellCall {
            session,
            tool_use_id,
            command: command.chars().take(64 * 1024).collect(),
            at_ms,
            claimed: false,
        });
    }

    /// The call a sandboxed child was attributed to by an earlier report of it.
    pub(crate) fn sandbox_call(&self, pid: u32) -> Option<(Option<String>, Option<String>)> {
        self.sandbox_calls
            .iter()
            .rev()
            .find(|(p, _, _)| *p == pid)
            .map(|(_, s, t)| (s.clone(), t.clone()))
    }

    /// Remember which call a sandboxed child belongs to.
    pub(crate) fn remember_sandbox_call(
        &mut self,
        pid: u32,
        session: Option<String>,
        tool_use_id: Option<String>,
    ) {
        if self.sandbox_calls.len() >= RECENT_SHELL {
            self.sandbox_calls.pop_front();
        }
        self.sandbox_calls.push_back((pid, session, tool_use_id));
    }

    /// The newest unclaimed allowed call whose command the sandboxed command line runs: the
    /// client wraps it (Claude Code: `eval '<command>' ...`), so it appears verbatim or with its
    /// single quotes escaped. Claimed once.
    pub(crate) fn claim_shell(
        &mut self,
        ran: &str,
        now_ms: i64,
        session: Option<&str>,
    ) -> Option<ShellCall> {
        let escaped = |c: &str| c.replace('\'', "'\\''");
        let hit = self.recent_shell.iter_mut().rev().find(|c| {
            !c.claimed
                && (session.is_none() || c.session.as_deref() == session)
                && now_ms - c.at_ms <= SHELL_REPORT_WINDOW_MS
                && !c.command.trim().is_empty()
                && (ran.contains(&c.command) || ran.contains(&escaped(&c.command)))
        })?;
        hit.claimed = true;
        Some(hit.clone())
    }
}

/// How many answered approvals are kept for `approvals list --all`.
pub(crate) const ANSWERED_KEPT: usize = 1000;

impl State {
    /// Load halts and unexpired grants from the database.
    pub(crate) fn load(conn: &Connection, now: i64) -> rusqlite::Result<State> {
        let mut st = State::default();
        let mut stmt = conn.prepare("SELECT session FROM halts")?;
        for s in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let s = s?;
            if s == "*" {
                st.halt_all = true;
            } else {
                st.halted.insert(s);
            }
        }
        let mut stmt =
            conn.prepare("SELECT id, fingerprint, session, expires FROM grants WHERE expires IS NULL OR expires > ?1")?;
        for g in stmt.query_map([now], |r| {
            Ok(Grant {
                id: r.get(0)?,
                fingerprint: r.get(1)?,
                session: r.get(2)?,
                expires: r.get(3)?,
            })
        })? {
            st.grants.push(g?);
        }
        Ok(st)
    }

    /// The session an id belongs to, following subagent lineage to the root.
    pub(crate) fn root(&self, session: Option<&str>) -> Option<String> {
        let mut s = session?.to_string();
        for _ in 0..32 {
            match self.lineage.get(&s) {
                Some(p) if *p != s => s = p.clone(),
                _ => break,
            }
        }
        Some(s)
    }

    /// Whether the session is halted.
    pub(crate) fn is_halted(&self, session: Option<&str>) -> bool {
        self.halt_all || session.is_some_and(|s| self.halted.contains(s))
    }

    /// A live grant for this action in this session.
    pub(crate) fn grant_for(
        &self,
        session: Option<&str>,
        fingerprint: &str,
        now: i64,
    ) -> Option<String> {
        self.grants
            .iter()
            .find(|g| {
                g.fingerprint == fingerprint
                    && g.expires.is_none_or(|e| e > now)
                    && (g.session.is_none() || g.session.as_deref() == session)
            })
            .map(|g| g.id.clone())
    }
}

/// Pending approvals left by a daemon that stopped: their hooks are gone, so they expire.
pub(crate) fn stale_pending(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM approvals WHERE status = 'pending'")?;
    let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect();
    ids
}

#[cfg(test)]
mod shell_tests {
    use super::*;

    #[test]
    fn reports_are_attributed_to_the_call_they_ran() {
        let mut st = State::default();
        st.remember_shell(Some("s1".into()), Some("t1".into()), "cat it's", 1);
        st.remember_shell(Some("s2".into()), Some("t2".into()), "ls -la", 2);
        let hit = st.claim_shell("eval 'cat it'\\''s' < /dev/null && pwd -P", 3, None);
        assert_eq!(hit.and_then(|c| c.tool_use_id).as_deref(), Some("t1"));
        // Claimed once; an unrelated command matches nothing; old calls expire.
        assert!(st.claim_shell("eval 'cat it'\\''s'", 4, None).is_none());
        assert!(st.claim_shell("rm -rf /", 4, None).is_none());
        assert!(st
            .claim_shell("ls -la", 2 + SHELL_REPORT_WINDOW_MS + 1, None)
            .is_none());
        assert!(
            st.claim_shell("ls -la", 5, Some("s1")).is_none(),
            "another session's call"
        );
        assert!(st.claim_shell("ls -la", 5, Some("s2")).is_some());
    }
}
