//! Time budgets measured in the calling thread's CPU time where the platform has it.
//!
//! The parse and walk budgets exist to bound pathological input, not to race the clock: on a
//! loaded machine wall-clock time passes while the thread waits for a core, and a command that
//! is normally read in 200 µs would turn opaque (and be asked about) only because the machine
//! was busy. Thread CPU time only advances while the thread works, so the same command gets the
//! same answer however loaded the machine is.

use std::time::{Duration, Instant};

/// A budget started now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    start: Stamp,
    limit: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Stamp {
    /// Thread CPU time at the start.
    Cpu(Duration),
    /// Wall-clock start, where thread CPU time is not available.
    Wall(Instant),
}

impl Budget {
    /// A budget of `limit`, starting now.
    pub(crate) fn start(limit: Duration) -> Self {
        let start = thread_cpu().map_or_else(|| Stamp::Wall(Instant::now()), Stamp::Cpu);
        Self { start, limit }
    }

    /// Time used since the start.
    fn used(&self) -> Duration {
        match self.start {
            Stamp::Cpu(t0) => thread_cpu().map_or(Duration::ZERO, |t| t.saturating_sub(t0)),
            Stamp::Wall(t0) => t0.elapsed(),
        }
    }

    /// Whether the budget is spent.
    pub(crate) fn spent(&self) -> bool {
        self.used() > self.limit
    }

    /// Run `f` without charging its time to this budget (one-time set-up met mid-analysis,
    /// such as building a detector on first use: a cold start must not turn a command opaque).
    pub(crate) fn exclude<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let t = Budget::start(Duration::ZERO);
        let r = f();
        self.limit = self.limit.saturating_add(t.used());
        r
    }
}

#[cfg(unix)]
fn thread_cpu() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u32::try_from(t.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

#[cfg(not(unix))]
fn thread_cpu() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_does_not_spend_a_cpu_budget_but_work_does() {
        let b = Budget::start(Duration::from_millis(5));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!b.spent(), "waiting is not working");
        let mut x = 0u64;
        let t = Instant::now();
        while !b.spent() && t.elapsed() < Duration::from_secs(5) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(b.spent(), "{x}");
    }

    #[test]
    fn excluded_set_up_is_not_charged() {
        let mut b = Budget::start(Duration::from_millis(2));
        let busy = |ms: u64| {
            let t = Instant::now();
            let mut x = 0u64;
            while t.elapsed() < Duration::from_millis(ms) {
                x = x.wrapping_add(std::hint::black_box(1));
            }
            x
        };
        b.exclude(|| busy(30));
        assert!(!b.spent(), "set-up is not the command's work");
        busy(30);
        assert!(b.spent(), "the command's own work still is");
    }
}
