//! Tests of the decision engine on the embedded baseline.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows unwrap and panics.
#[cfg(test)]
mod suite;
