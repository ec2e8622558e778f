//! Integration tests of the audit log: real SQLite files, tampered with directly.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows unwrap and panics.
#[cfg(test)]
mod suite;
