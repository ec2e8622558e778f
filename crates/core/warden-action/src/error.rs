//! Errors raised while building or normalising actions.

/// An action could not be built from its input.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A field the action needs was missing or empty.
    #[error("action `{kind}` is missing `{field}`")]
    MissingField {
        /// The action kind being built.
        kind: &'static str,
        /// The field that was missing.
        field: &'static str,
    },
    /// A URL could not be parsed into scheme, host and port.
    #[error("`{0}` is not a URL Warden can read")]
    BadUrl(String),
}
