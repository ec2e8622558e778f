//! Test modules, one per area of session analysis.

mod baseline;
mod detection;
mod session;
