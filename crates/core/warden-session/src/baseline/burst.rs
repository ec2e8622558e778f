//! Bursts: how much deletes and writes weigh by where they happen, the totals of a batch, and
//! when the window so far plus a batch is well above the usual per-minute rate.

use warden_action::{Action, Operation};

use super::deviation::Acc;
use super::place::Area;
use super::place::{action_workspace, path_str, place};
use super::{
    Profile, DELETE_BURST_FACTOR, DELETE_BURST_MIN, RATE_BURST_FACTOR, RATE_BURST_MIN, WINDOW_S,
};

/// A number of events and their summed weight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Tally {
    /// How many events.
    pub(super) count: u32,
    /// Their summed weight.
    pub(super) weight: f64,
}

/// The deletes, writes and network requests of one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Batch {
    /// Deletes that weigh anything, weighted by where they happen.
    pub(super) deletes: Tally,
    /// Writes, weighted by where they happen.
    pub(super) writes: Tally,
    /// Network requests.
    pub(super) requests: u32,
}

impl Batch {
    /// Count a write in `area`.
    pub(super) fn write(&mut self, area: Area) {
        self.writes.count = self.writes.count.saturating_add(1);
        self.writes.weight += write_weight(area);
    }

    /// Count a delete in `area`, unless deletes there weigh nothing.
    pub(super) fn delete(&mut self, area: Area, recursive: bool) {
        let w = delete_weight(area, recursive);
        if w > 0.0 {
            self.deletes.count = self.deletes.count.saturating_add(1);
            self.deletes.weight += w;
        }
    }

    /// Count a network request.
    pub(super) fn request(&mut self) {
        self.requests = self.requests.saturating_add(1);
    }
}

impl Profile {
    /// Delete, write and network bursts: the window ending at second `sec` plus `batch`.
    pub(super) fn score_bursts(&self, acc: &mut Acc, batch: &Batch, sec: u64) {
        let mature = acc.dev.mature;
        if batch.deletes.count > 0 {
            let (n, w) = self.deletes.in_window(sec);
            let (n, w) = (
                n.saturating_add(batch.deletes.count),
                w + batch.deletes.weight,
            );
            let usual = self.deletes.usual();
            let threshold = usual.map_or(DELETE_BURST_MIN, |u| {
                (u * DELETE_BURST_FACTOR).max(DELETE_BURST_MIN)
            });
            if w >= threshold {
                // 0.6 at the threshold, up to 0.9 at four times it.
                let weight = 0.6 + 0.1 * (w / threshold - 1.0).clamp(0.0, 3.0);
                acc.delete_burst = true;
                acc.add(weight, || burst_reason("delete_burst", n, "deletes", usual));
            }
        }
        if mature && batch.writes.count > 0 {
            let (n, w) = self.writes.in_window(sec);
            let usual = self.writes.usual();
            if w + batch.writes.weight >= rate_threshold(usual) {
                acc.rate_burst = true;
                let n = n.saturating_add(batch.writes.count);
                acc.add(0.3, || burst_reason("write_burst", n, "writes", usual));
            }
        }
        if mature && batch.requests > 0 {
            let (n, w) = self.network.in_window(sec);
            let usual = self.network.usual();
            if w + f64::from(batch.requests) >= rate_threshold(usual) {
                acc.rate_burst = true;
                let n = n.saturating_add(batch.requests);
                acc.add(0.3, || burst_reason("network_burst", n, "requests", usual));
            }
        }
    }
}

/// `delete_burst: 40 deletes in 60 s (usual ≤ 3)`.
fn burst_reason(name: &str, n: u32, what: &str, usual: Option<f64>) -> String {
    match usual {
        Some(u) => format!("{name}: {n} {what} in {WINDOW_S} s (usual ≤ {})", u.ceil()),
        None => format!("{name}: {n} {what} in {WINDOW_S} s (no usual rate yet)"),
    }
}

/// The weighted per-minute count above which writes or requests are a burst.
fn rate_threshold(usual: Option<f64>) -> f64 {
    usual.map_or(RATE_BURST_MIN, |u| {
        (u * RATE_BURST_FACTOR).max(RATE_BURST_MIN)
    })
}

/// How much one delete counts towards a burst, by where it happens.
fn delete_weight(area: Area, recursive: bool) -> f64 {
    match (area, recursive) {
        // `cargo clean`, `rm -rf node_modules`, temp files: regenerated or meant to go, so they
        // never count (nor show in the count of a burst's reason).
        (Area::Build | Area::Temp, _) => 0.0,
        (Area::Workspace, false) => 1.0,
        (Area::Workspace, true) => 3.0,
        // Home and system files are not under version control: losing them is for good.
        (Area::Home | Area::System, false) => 2.0,
        (Area::Home | Area::System, true) => 6.0,
    }
}

/// How much one write counts towards a burst, by where it happens.
fn write_weight(area: Area) -> f64 {
    match area {
        Area::Build | Area::Temp => 0.1,
        Area::Workspace | Area::Home | Area::System => 1.0,
    }
}

/// For each action, whether it is the source side of a move that keeps the content: a delete
/// whose file was read just before and written elsewhere in the same step (`mv a b` lowers to
/// read a, delete a, write b; `mv a b dir/` to read a, delete a, read b, delete b, write dir;
/// `rsync --remove-source-files a b` to read a, write b, delete a). Such a delete weighs
/// nothing in a burst (editing through a temporary file, `sed ... > t && mv t f`, is everyday
/// work). It still counts when the content goes where deletes weigh nothing (temp and build
/// directories: `mv ~/f /tmp/x` then `rm /tmp/x` would lose it in two free steps), into nothing
/// (`mv f /dev/null` writes nothing), or when anything else comes between the read and the
/// delete (`cat f; rm f`).
pub(super) fn moved(actions: &[Action], key_ws: &str) -> Vec<bool> {
    fn path(a: &Action) -> Option<&str> {
        match &a.op {
            Operation::FileRead { path } | Operation::FileWrite { path } => Some(path_str(path)),
            Operation::FileDelete { path, .. } => Some(path_str(path)),
            _ => None,
        }
    }
    let is = |i: usize, f: fn(&Operation) -> bool| actions.get(i).is_some_and(|a| f(&a.op));
    let read = |o: &Operation| matches!(o, Operation::FileRead { .. });
    let write = |o: &Operation| matches!(o, Operation::FileWrite { .. });
    let delete = |o: &Operation| matches!(o, Operation::FileDelete { .. });
    let same = |i: usize, j: usize| match (actions.get(i), actions.get(j)) {
        (Some(a), Some(b)) => path(a).is_some() && path(a) == path(b),
        _ => false,
    };
    // The destination is a place whose deletes weigh something.
    let kept = |j: usize| {
        actions.get(j).is_some_and(|a| match &a.op {
            Operation::FileWrite { path } => !matches!(
                place(path_str(path), action_workspace(a, key_ws), &path.home).area,
                Area::Temp | Area::Build
            ),
            _ => false,
        })
    };
    (0..actions.len())
        .map(|i| {
            if !is(i, delete) {
                return false;
            }
            // rsync form: read P, write Q, delete P.
            if i >= 2 && is(i - 1, write) && is(i - 2, read) && same(i - 2, i) {
                return kept(i - 1);
            }
            // mv form: read P, delete P, then more (read, delete) pairs, then the write.
            if i == 0 || !is(i - 1, read) || !same(i - 1, i) {
                return false;
            }
            let mut j = i + 1;
            while is(j, read) && is(j + 1, delete) && same(j, j + 1) {
                j += 2;
            }
            kept(j)
        })
        .collect()
}
