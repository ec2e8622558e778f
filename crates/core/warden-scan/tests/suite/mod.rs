//! Test modules, one per area: each detector's positive case, the evasion an attacker would
//! try, and the legitimate text a user would hate to see flagged.

mod clean;
mod compat;
mod exfil;
mod injection;
mod lazy;
mod redact;
mod robustness;
mod secrets;
mod support;
