//! Test modules.

mod slim;
