//! The integration tests of `warden-policy`, in one binary.

#[cfg(test)]
mod suite;
