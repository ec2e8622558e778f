//! The integration tests of `warden-session`, in one binary.

#[cfg(test)]
mod suite;
