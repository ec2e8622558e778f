//! The integration tests of `warden-scan`, in one binary.

#[cfg(test)]
mod suite;
