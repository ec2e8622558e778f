//! Test modules, one per area of the vetting crate.

mod benign;
mod config_checks;
mod discover;
mod lists;
mod pin;
mod poisoning;
mod report;
mod store;
mod support;
