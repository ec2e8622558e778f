//! Errors of building a [`crate::Scanner`]. Scanning itself never fails: any text can be
//! scanned, and a scanner that could not be built reports the text as unscanned.

/// Why the scanner could not be built. The patterns are fixed in the crate and tested, so this
/// points at a bug (or a platform the matching engines refuse), never at the input.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BuildError {
    /// A detector's regular expression did not compile.
    #[error("pattern `{name}` does not compile: {message}")]
    Regex {
        /// Which detector's pattern.
        name: &'static str,
        /// What the regex engine said.
        message: String,
    },
    /// The multi-literal searcher for one anchor group could not be built.
    #[error("anchor group `{group}` could not be built")]
    Anchors {
        /// Which anchor group.
        group: &'static str,
    },
}
