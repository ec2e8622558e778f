//! Test modules, one per area of session analysis.

mod detection;
mod session;
