//! Tests of the slim `warden-hook` binary against a real monitor.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows unwrap and panics.
#[cfg(test)]
mod suite;
