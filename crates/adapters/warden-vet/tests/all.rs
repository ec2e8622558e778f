//! The integration tests of `warden-vet`, in one binary.

#[cfg(test)]
mod suite;
