//! End-to-end tests of the `warden` binary: real processes, real files, real exit codes.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows unwrap and panics.
#[cfg(test)]
mod suite;
