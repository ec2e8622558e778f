//! End-to-end tests of the `warden` binary: real processes, real files, real exit codes.

mod suite;
