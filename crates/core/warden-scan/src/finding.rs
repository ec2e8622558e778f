//! What a scan reports: findings grouped by category, each with its family, severity,
//! confidence, byte span and a preview that never holds a whole secret.

use std::fmt;

/// The three things the scanner looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A credential or key in the text.
    Secret,
    /// Text that tries to instruct the model (prompt injection).
    Injection,
    /// A channel that would carry data out (URLs with data, auto-loading images).
    Exfil,
}

/// How much harm a finding points at. Ordered, so the worst of several is their `max()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a note: a test key, a hint, something a human may want to see.
    Low,
    /// Worth a look before the content is trusted or sent on.
    Medium,
    /// Likely harmful if acted on or leaked.
    High,
    /// A live credential, or data on its way out with a secret in it.
    Critical,
}

/// How sure the detector is that the finding is what it says. Ordered like [`Severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Shape matches but it looks like an example, fixture or default.
    Low,
    /// Shape and context match.
    Medium,
    /// A documented format with a distinctive prefix, or strong context.
    High,
}

/// One thing found in the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which category the finding belongs to.
    pub category: Category,
    /// Family id, such as `secret.github_token`, `injection.override` or `exfil.markdown_image`.
    pub family: &'static str,
    /// How much harm it points at.
    pub severity: Severity,
    /// How sure the detector is.
    pub confidence: Confidence,
    /// Byte offset of the start in the scanned text.
    pub start: usize,
    /// Byte offset of the end (exclusive) in the scanned text.
    pub end: usize,
    /// A short, redacted view of what was found: never a whole secret.
    pub preview: String,
    /// The host, for exfiltration findings and URLs with credentials.
    pub host: Option<String>,
    /// Why it was reported, in a few words.
    pub note: &'static str,
}

impl Finding {
    /// The family id without its category prefix (`github_token` for `secret.github_token`).
    pub fn kind(&self) -> &'static str {
        self.family
            .split_once('.')
            .map_or(self.family, |(_, kind)| kind)
    }

    /// Whether the span overlaps `other`'s.
    pub fn overlaps(&self, other: &Finding) -> bool {
        self.start < other.end && other.start < self.end
    }
}

// The preview is already redacted, but Debug is written out so that a future field holding raw
// text cannot leak through a derived impl.
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("family", &self.family)
            .field("severity", &self.severity)
            .field("confidence", &self.confidence)
            .field("span", &(self.start..self.end))
            .field("preview", &self.preview)
            .field("host", &self.host)
            .field("note", &self.note)
            .finish()
    }
}

/// Everything a scan found, by category, each list sorted by start offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Credentials and keys.
    pub secrets: Vec<Finding>,
    /// Prompt-injection indicators.
    pub injections: Vec<Finding>,
    /// Exfiltration channels.
    pub exfil: Vec<Finding>,
    /// Set when a category hit [`crate::MAX_FINDINGS`] and later findings were dropped.
    pub truncated: bool,
    /// Set when the scanner could not be built: nothing was scanned, treat the text as unscanned.
    pub unscanned: bool,
}

impl Findings {
    /// Whether nothing was found (and the text was scanned).
    pub fn is_empty(&self) -> bool {
        !self.unscanned
            && self.secrets.is_empty()
            && self.injections.is_empty()
            && self.exfil.is_empty()
    }

    /// How many findings in all.
    pub fn len(&self) -> usize {
        self.secrets.len() + self.injections.len() + self.exfil.len()
    }

    /// Every finding: secrets, then injections, then exfiltration.
    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.secrets
            .iter()
            .chain(&self.injections)
            .chain(&self.exfil)
    }

    /// The findings of one category.
    pub fn of(&self, category: Category) -> &[Finding] {
        match category {
            Category::Secret => &self.secrets,
            Category::Injection => &self.injections,
            Category::Exfil => &self.exfil,
        }
    }

    /// The worst severity among findings at or above `min` confidence, if any.
    pub fn max_severity(&self, min: Confidence) -> Option<Severity> {
        self.iter()
            .filter(|f| f.confidence >= min)
            .map(|f| f.severity)
            .max()
    }
}

/// Where an injection indicator was found: the shape `warden-session` has always used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset of the end.
    pub end: usize,
    /// Which family of indicator (`override`, `instruction`, `addressed`, `role`, `hidden`,
    /// `markup`).
    pub kind: &'static str,
}
