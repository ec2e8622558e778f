//! Learning: what an allowed batch of actions teaches its profile.

use warden_action::{Action, ExecAction, Operation};

use super::burst::Batch;
use super::credentials::is_credential_path;
use super::hosts::site_of;
use super::key::clip;
use super::place::{action_workspace, path_str};
use super::programs::{bigram, subcommand};
use super::Profile;

impl Profile {
    /// Learn one batch.
    pub(super) fn observe(&mut self, key_ws: &str, actions: &[Action], at_ms: u64) {
        self.advance_to(at_ms);
        let mut batch = Batch::default();
        for a in actions {
            self.actions = self.actions.saturating_add(1);
            let n = self.kinds.entry(a.kind()).or_insert(0);
            *n = n.saturating_add(1);
            self.note_session(a.actor.session.as_deref());
            self.learn_action(a, action_workspace(a, key_ws), at_ms, &mut batch);
        }
        let sec = at_ms / 1000;
        self.deletes
            .add(sec, batch.deletes.count, batch.deletes.weight);
        self.writes
            .add(sec, batch.writes.count, batch.writes.weight);
        self.network
            .add(sec, batch.requests, f64::from(batch.requests));
    }

    /// Move the profile's clock to `at_ms`, filing the rates of a minute that ended.
    fn advance_to(&mut self, at_ms: u64) {
        let minute = at_ms / 60_000;
        if self.actions > 0 && minute > self.minute {
            // Only minutes with activity count: "usual" is the rate while the agent works.
            self.deletes.close_minute();
            self.writes.close_minute();
            self.network.close_minute();
        }
        self.minute = self.minute.max(minute);
        self.first_ms = Some(self.first_ms.map_or(at_ms, |f| f.min(at_ms)));
        self.last_ms = self.last_ms.max(at_ms);
    }

    /// Learn one action done in workspace `ws`; its deletes, writes and requests go to `batch`.
    fn learn_action(&mut self, a: &Action, ws: &str, at_ms: u64, batch: &mut Batch) {
        match &a.op {
            Operation::Exec(e) => {
                // An unreadable command's "program" is a fragment of text: not a name.
                if a.opaque.is_none() && !e.program.is_empty() {
                    self.learn_exec(e, at_ms);
                }
            }
            Operation::FileRead { path } => {
                let p = path_str(path);
                self.touch_area(p, ws, &path.home, at_ms);
                if is_credential_path(p) {
                    self.credentials.touch(clip(p), at_ms);
                    self.last_credential_read_ms =
                        Some(self.last_credential_read_ms.map_or(at_ms, |t| t.max(at_ms)));
                }
            }
            Operation::FileWrite { path } => {
                let place = self.touch_area(path_str(path), ws, &path.home, at_ms);
                batch.write(place.area);
            }
            Operation::FileDelete { path, recursive } => {
                let place = self.touch_area(path_str(path), ws, &path.home, at_ms);
                batch.delete(place.area, *recursive);
            }
            Operation::Network(n) => {
                let host = clip(&n.host);
                if !host.is_empty() {
                    self.hosts.touch(host, at_ms);
                    let site = site_of(host);
                    if site != host {
                        self.sites.touch(site, at_ms);
                    }
                }
                batch.request();
            }
            Operation::ToolCall { name, .. } => self.tools.touch(clip(name), at_ms),
            Operation::McpCall { .. } => {
                if let Some(name) = a.op.tool_name() {
                    self.tools.touch(clip(&name), at_ms);
                }
            }
            Operation::MessageSend { .. }
            | Operation::AgentSpawn { .. }
            | Operation::ConfigChange { .. }
            | Operation::ExtensionLoad { .. } => {}
        }
    }

    /// Learn a readable command: its program, subcommand and the program feeding it.
    fn learn_exec(&mut self, e: &ExecAction, at_ms: u64) {
        let prog = clip(&e.program);
        self.programs.touch(prog, at_ms);
        if let Some(sub) = subcommand(prog, e) {
            self.bigrams.touch(&bigram(prog, b' ', sub), at_ms);
        }
        if let Some(up) = e.facts.stdin_from.last() {
            self.bigrams.touch(&bigram(clip(up), b'|', prog), at_ms);
        }
    }
}
