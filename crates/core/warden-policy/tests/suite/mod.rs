//! Test modules, one per area of the policy crate.

mod adversarial;
mod baseline;
mod decisions;
mod errors;
mod guide;
mod index;
mod layering;
mod matching;
mod modes;
mod modify;
mod schema;
mod shell_cases;
mod support;
mod tools;
