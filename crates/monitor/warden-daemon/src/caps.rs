//! `CAP_DAC_READ_SEARCH`, scoped to the configuration watch.
//!
//! The protected monitor runs as its own user. To pin and watch the agent's configuration in a
//! home of mode 0700 (Debian's default), it holds `CAP_DAC_READ_SEARCH` (granted by the unit).
//! It must not use that right for anything the agent names: the hook path reads a script the
//! agent runs (`bash FILE`) to lower it, and with the right in effect `bash /etc/shadow` would
//! have the monitor read a root-only file for the agent. So at start the right leaves the
//! effective and ambient sets (it stays permitted); the config watch raises it on its own thread
//! around its own reads ([`with_read_search`]), and creates its inotify thread under it.
//! Capabilities are per thread on Linux: raising it on one thread gives no other thread the right.

use rustix::thread::{capabilities, set_capabilities, CapabilitySet, CapabilitySets};

/// Drop `CAP_DAC_READ_SEARCH` from this thread's effective and ambient sets, keeping it
/// permitted. Call before any other thread starts (threads inherit the creator's sets). Whether
/// the right is held (permitted), for `warden status`.
pub fn confine() -> std::io::Result<bool> {
    let mut sets = capabilities(None)?;
    let held = sets.permitted.contains(CapabilitySet::DAC_READ_SEARCH);
    if sets.effective.contains(CapabilitySet::DAC_READ_SEARCH) {
        sets.effective.remove(CapabilitySet::DAC_READ_SEARCH);
        set_capabilities(None, sets)?;
    }
    if held {
        rustix::thread::configure_capability_in_ambient_set(CapabilitySet::DAC_READ_SEARCH, false)?;
    }
    Ok(held)
}

/// Run `f` with `CAP_DAC_READ_SEARCH` effective on this thread when it is permitted, and put the
/// thread's sets back afterwards. Without the right (a per-user monitor), `f` just runs.
pub fn with_read_search<T>(f: impl FnOnce() -> T) -> T {
    let raised = raise();
    let out = f();
    if let Some(before) = raised {
        // Lowering a right we hold cannot fail for want of privilege; if it did, the thread
        // would keep a read right it already had permitted.
        if let Err(e) = set_capabilities(None, before) {
            tracing::error!(error = %e, "cannot lower CAP_DAC_READ_SEARCH after a config read");
        }
    }
    out
}

fn raise() -> Option<CapabilitySets> {
    let sets = capabilities(None).ok()?;
    if !sets.permitted.contains(CapabilitySet::DAC_READ_SEARCH)
        || sets.effective.contains(CapabilitySet::DAC_READ_SEARCH)
    {
        return None;
    }
    let mut up = CapabilitySets {
        effective: sets.effective,
        permitted: sets.permitted,
        inheritable: sets.inheritable,
    };
    up.effective.insert(CapabilitySet::DAC_READ_SEARCH);
    set_capabilities(None, up).ok()?;
    Some(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effective(s: &CapabilitySets) -> bool {
        s.effective.contains(CapabilitySet::DAC_READ_SEARCH)
    }

    #[test]
    fn the_right_is_effective_only_inside_and_only_on_this_thread() {
        let held = capabilities(None).unwrap();
        // Root test runs hold every right; elsewhere there is nothing to raise.
        if !held.permitted.contains(CapabilitySet::DAC_READ_SEARCH) {
            assert!(!with_read_search(|| effective(
                &capabilities(None).unwrap()
            )));
            return;
        }
        std::thread::spawn(move || {
            assert!(confine().unwrap());
            assert!(!effective(&capabilities(None).unwrap()));
            let (inside, other) = with_read_search(|| {
                let other = std::thread::scope(|s| {
                    s.spawn(|| effective(&capabilities(None).unwrap()))
                        .join()
                        .unwrap()
                });
                (effective(&capabilities(None).unwrap()), other)
            });
            assert!(inside, "raised inside");
            // A thread started inside inherits the raised set (that is how the inotify thread
            // gets it); threads started outside do not.
            assert!(other);
            assert!(!effective(&capabilities(None).unwrap()), "lowered after");
            let later = std::thread::spawn(|| effective(&capabilities(None).unwrap()));
            assert!(!later.join().unwrap());
        })
        .join()
        .unwrap();
    }
}
