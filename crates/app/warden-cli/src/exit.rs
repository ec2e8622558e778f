//! Exit codes, mapped in one place.

use std::process::ExitCode;

use warden_policy::Decision;

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Allowed, or the command succeeded.
    Ok = 0,
    /// A check or test failed (policy tests, lint).
    Failed = 1,
    /// Warden could not do its job; hooks treat this as "block".
    Error = 2,
    /// The action needs a human's approval.
    Ask = 3,
    /// The action is denied.
    Deny = 4,
    /// The action is allowed once its input is rewritten.
    Modify = 5,
}

impl Code {
    /// The exit code that reports `d`.
    pub fn of(d: Decision) -> Self {
        match d {
            Decision::Allow => Code::Ok,
            Decision::Modify => Code::Modify,
            Decision::Ask => Code::Ask,
            Decision::Deny => Code::Deny,
        }
    }
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> Self {
        ExitCode::from(c as u8)
    }
}
