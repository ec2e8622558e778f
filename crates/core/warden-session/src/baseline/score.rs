//! Scoring: how far a batch strays from what its profile learned, reason by reason.

use std::net::IpAddr;

use warden_action::{Action, ExecAction, NormPath, Operation};

use super::burst::Batch;
use super::credentials::is_credential_path;
use super::deviation::Acc;
use super::hosts::{is_dev_host, is_local_host, is_paste_host, is_public_ip};
use super::key::clip;
use super::place::{action_workspace, display_path, path_str, place, Area};
use super::programs::{
    bigram, is_common_program, is_dev_toolchain, is_exfil_tool, is_network_consumer, is_rare_kind,
    subcommand,
};
use super::{Deviation, Profile, CRED_EXFIL_WINDOW_MS};

impl Profile {
    /// Score one batch against this profile.
    pub(super) fn score(&self, key_ws: &str, actions: &[Action], at_ms: u64) -> Deviation {
        let mut acc = Acc::new(self.is_mature());
        // Pass 1: batch totals, and whether the batch itself reads a credential
        // (`cat ~/.aws/credentials | curl -d @- ...` is one batch).
        let (batch, batch_cred) = batch_totals(key_ws, actions);
        let cred_recent = batch_cred
            || self
                .last_credential_read_ms
                .is_some_and(|t| at_ms.saturating_sub(t) <= CRED_EXFIL_WINDOW_MS);

        // Pass 2: novelty, action by action.
        for a in actions {
            self.score_action(&mut acc, a, action_workspace(a, key_ws), cred_recent);
        }

        // Rates: the window so far plus this batch.
        self.score_bursts(&mut acc, &batch, at_ms / 1000);
        acc.finish()
    }

    /// The novelty of one action done in workspace `ws`.
    fn score_action(&self, acc: &mut Acc, a: &Action, ws: &str, cred_recent: bool) {
        let mature = acc.dev.mature;
        let kind = a.kind();
        if mature && is_rare_kind(kind) && self.kinds.get(&kind).is_none_or(|n| *n == 0) {
            acc.unusual_tool(0.2, || format!("unusual_kind: {}", kind.as_str()));
        }
        match &a.op {
            Operation::FileRead { path } => self.score_read(acc, path, ws),
            Operation::FileWrite { path } | Operation::FileDelete { path, .. } => {
                if mature {
                    self.score_area(acc, path, ws);
                }
            }
            Operation::Network(n) => {
                let sends = n.sends_local_data
                    || n.method
                        .as_deref()
                        .is_some_and(|m| matches!(m, "POST" | "PUT" | "PATCH"));
                self.score_host(acc, &n.host, sends, cred_recent);
            }
            Operation::Exec(e) => {
                if mature && a.opaque.is_none() && !e.program.is_empty() {
                    self.score_exec(acc, e);
                }
            }
            Operation::ToolCall { name, .. } => {
                let name = clip(name);
                if mature && !self.tools.contains(name) {
                    acc.unusual_tool(0.2, || format!("unusual_tool: {name}"));
                }
            }
            Operation::McpCall { .. } => {
                if mature {
                    if let Some(name) = a.op.tool_name() {
                        if !self.tools.contains(clip(&name)) {
                            acc.unusual_tool(0.2, || format!("unusual_tool: {name}"));
                        }
                    }
                }
            }
            Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => {}
        }
    }

    /// A credential read: strong even before maturity, and first only once per file.
    fn score_read(&self, acc: &mut Acc, path: &NormPath, ws: &str) {
        let p = path_str(path);
        if !is_credential_path(p) {
            return;
        }
        acc.dev.credential_read = true;
        let shown = || display_path(p, place(p, ws, &path.home).home_len);
        if self.credentials.contains(clip(p)) {
            // Known, but still a secret being read: visible, weighs little.
            acc.add(0.1, || format!("credential_read: {}", shown()));
        } else {
            acc.dev.first_credential_read = true;
            acc.add(0.6, || format!("first_credential_read: {}", shown()));
        }
    }

    /// A write or delete outside the workspace, in a directory never touched before.
    fn score_area(&self, acc: &mut Acc, path: &NormPath, ws: &str) {
        let p = path_str(path);
        let pl = place(p, ws, &path.home);
        if matches!(pl.area, Area::Home | Area::System)
            && !pl.bucket.is_empty()
            && !self.paths.contains(clip(pl.bucket))
        {
            acc.dev.new_path_area = true;
            acc.add(0.15, || {
                format!("new_path_area: {}", display_path(pl.bucket, pl.home_len))
            });
        }
    }

    /// A host never contacted before.
    fn score_host(&self, acc: &mut Acc, host: &str, sends: bool, cred_recent: bool) {
        let host = clip(host);
        if host.is_empty() || self.knows_host(host) || is_local_host(host) || is_dev_host(host) {
            return;
        }
        let public_ip = host.parse::<IpAddr>().is_ok_and(is_public_ip);
        let paste = is_paste_host(host);
        // Before maturity everything is new; only the exfiltration shape is worth a flag.
        if !acc.dev.mature && !(cred_recent && (public_ip || paste || sends)) {
            return;
        }
        let mut weight: f64 = 0.3;
        let mut why: [&str; 4] = [""; 4];
        for (on, w, label, slot) in [
            (public_ip, 0.25, "raw IP", 0),
            (paste, 0.25, "paste or tunnel site", 1),
            (sends, 0.1, "sends data", 2),
            (cred_recent, 0.3, "after a credential read", 3),
        ] {
            if on {
                weight += w;
                if let Some(s) = why.get_mut(slot) {
                    *s = label;
                }
            }
        }
        acc.dev.first_host = true;
        acc.add(weight.min(0.95), || {
            let notes: Vec<&str> = why.iter().copied().filter(|s| !s.is_empty()).collect();
            if notes.is_empty() {
                format!("first_host: {host}")
            } else {
                format!("first_host: {host} ({})", notes.join(", "))
            }
        });
    }

    /// A program, subcommand or pipeline pair never seen (mature profiles only).
    fn score_exec(&self, acc: &mut Acc, e: &ExecAction) {
        let prog = clip(&e.program);
        if !self.programs.contains(prog) {
            let weight = if is_exfil_tool(prog) {
                0.35
            } else if is_common_program(prog) {
                0.0
            } else {
                0.15
            };
            if weight > 0.0 {
                acc.dev.new_program = true;
                acc.add(weight, || format!("new_program: {prog}"));
            }
        } else if let Some(sub) = subcommand(prog, e) {
            // Everyday toolchains change subcommands all day (a new branch, a rebase): only
            // cloud and infrastructure CLIs (`gh gist`, `aws iam`, `kubectl delete`) count.
            if !is_dev_toolchain(prog) && !self.bigrams.contains(&bigram(prog, b' ', sub)) {
                acc.add(0.1, || format!("new_command: {prog} {sub}"));
            }
        }
        if let Some(up) = e.facts.stdin_from.last() {
            let up = clip(up);
            if is_network_consumer(prog) && !self.bigrams.contains(&bigram(up, b'|', prog)) {
                acc.add(0.2, || format!("new_pipeline: {up} | {prog}"));
            }
        }
    }
}

/// The deletes, writes and requests of a batch, and whether it reads a credential file.
fn batch_totals(key_ws: &str, actions: &[Action]) -> (Batch, bool) {
    let mut batch = Batch::default();
    let mut batch_cred = false;
    let moved = super::burst::moved(actions, key_ws);
    for (a, moved) in actions.iter().zip(moved) {
        let ws = action_workspace(a, key_ws);
        match &a.op {
            Operation::FileRead { path } => batch_cred |= is_credential_path(path_str(path)),
            Operation::FileWrite { path } => {
                batch.write(place(path_str(path), ws, &path.home).area);
            }
            // The source of a move: its content is kept, so the call itself is no delete burst.
            // (The profile still learns it as a removal: the window and the usual rate count
            // every file that went away, so a real delete right after many moves is judged as
            // before.)
            Operation::FileDelete { .. } if moved => {}
            Operation::FileDelete { path, recursive } => {
                batch.delete(place(path_str(path), ws, &path.home).area, *recursive);
            }
            Operation::Network(_) => batch.request(),
            Operation::Exec(_)
            | Operation::ToolCall { .. }
            | Operation::McpCall { .. }
            | Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => {}
        }
    }
    (batch, batch_cred)
}
