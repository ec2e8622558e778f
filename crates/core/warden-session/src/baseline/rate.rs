//! Per-minute rates: a sliding window of recent events and a histogram of past minutes.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{MINUTES_DECAY_AT, MIN_MINUTES, RATE_BOUNDS, RATE_OVERFLOW, WINDOW_S};

/// Per-minute counts of one kind of event: a sliding window and a histogram of past minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Rate {
    /// One tick per second with events, for the last [`WINDOW_S`] seconds.
    pub(super) window: VecDeque<Tick>,
    /// Weighted total of the current minute.
    minute_total: f64,
    /// Active minutes per bucket of [`RATE_BOUNDS`] (plus one overflow bucket).
    pub(super) minutes: Vec<u32>,
}

/// Events within one second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct Tick {
    /// The second (`at_ms / 1000`).
    sec: u64,
    /// How many events.
    count: u32,
    /// Their summed weight.
    weight: f64,
}

impl Rate {
    /// Record `count` events of total `weight` at second `sec`.
    pub(super) fn add(&mut self, sec: u64, count: u32, weight: f64) {
        if count == 0 {
            return;
        }
        while self
            .window
            .front()
            .is_some_and(|t| t.sec.saturating_add(WINDOW_S) <= sec)
        {
            self.window.pop_front();
        }
        match self.window.back_mut() {
            // Same second, or the clock went back (replayed history): fold into the last tick.
            Some(t) if t.sec >= sec => {
                t.count = t.count.saturating_add(count);
                t.weight += weight;
            }
            _ => self.window.push_back(Tick { sec, count, weight }),
        }
        // One tick per second at most, even from a corrupt file.
        while self.window.len() > WINDOW_S as usize {
            self.window.pop_front();
        }
        self.minute_total += weight;
    }

    /// Events and weight within the window ending at second `sec`.
    pub(super) fn in_window(&self, sec: u64) -> (u32, f64) {
        self.window
            .iter()
            .filter(|t| t.sec.saturating_add(WINDOW_S) > sec)
            .fold((0u32, 0.0), |(n, w), t| {
                (n.saturating_add(t.count), w + t.weight)
            })
    }

    /// An active minute ended: file its total in the histogram.
    pub(super) fn close_minute(&mut self) {
        let buckets = RATE_BOUNDS.len() + 1;
        if self.minutes.len() != buckets {
            self.minutes = vec![0; buckets];
        }
        let total = self.minute_total;
        let i = RATE_BOUNDS
            .iter()
            .position(|b| total <= *b)
            .unwrap_or(RATE_BOUNDS.len());
        if let Some(m) = self.minutes.get_mut(i) {
            *m = m.saturating_add(1);
        }
        if self.minutes.iter().sum::<u32>() > MINUTES_DECAY_AT {
            self.minutes.iter_mut().for_each(|m| *m /= 2);
        }
        self.minute_total = 0.0;
    }

    /// The usual per-minute weight: the 95th percentile of past active minutes, once known.
    pub(super) fn usual(&self) -> Option<f64> {
        let total: u32 = self.minutes.iter().sum();
        if total < MIN_MINUTES {
            return None;
        }
        // 95% of minutes at or below the bucket: ceil(total * 0.95) minutes.
        let want = total - total / 20;
        let mut seen = 0u32;
        for (i, m) in self.minutes.iter().enumerate() {
            seen = seen.saturating_add(*m);
            if seen >= want {
                return Some(RATE_BOUNDS.get(i).copied().unwrap_or(RATE_OVERFLOW));
            }
        }
        Some(RATE_OVERFLOW)
    }
}
