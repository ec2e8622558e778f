//! Policy load errors: each names its file, line and column and shows the offending text.

use miette::{Diagnostic, NamedSource, SourceSpan};

/// One problem in a policy file.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy `{path}`")]
    #[diagnostic(code(warden::policy::io))]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The YAML does not parse or does not have the policy's shape.
    #[error("{file}:{line}:{column}: {message}")]
    #[diagnostic(code(warden::policy::syntax))]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
        /// The file's text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// The file parses but a value is wrong: a bad glob or regex, an unknown list, a layer violation.
    #[error("{file}:{line}:{column}: {message}")]
    #[diagnostic(code(warden::policy::invalid))]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
        /// The file's text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("here")]
        span: SourceSpan,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },
    /// A rule's own test did not get the decision it expects.
    #[error(
        "{file}:{line}:{column}: test {index} of rule `{rule}` expected {expected}, got {got}"
    )]
    #[diagnostic(code(warden::policy::test_failed))]
    TestFailed {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The rule.
        rule: String,
        /// The test's position in the rule's `tests`.
        index: usize,
        /// The decision the test expects.
        expected: String,
        /// The decision it got, with the rules that fired.
        got: String,
        /// The file's text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("this test")]
        span: SourceSpan,
    },
}

/// Every problem found while loading a policy.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("policy has {} error(s): {}", errors.len(), first_message(errors))]
pub struct PolicyErrors {
    /// The problems, in file order.
    #[related]
    pub errors: Vec<PolicyError>,
}

fn first_message(errors: &[PolicyError]) -> String {
    errors.first().map(ToString::to_string).unwrap_or_default()
}

impl From<PolicyError> for PolicyErrors {
    fn from(e: PolicyError) -> Self {
        PolicyErrors { errors: vec![e] }
    }
}

/// A file's text with helpers to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub(crate) struct SourceText {
    pub(crate) name: String,
    pub(crate) text: String,
}

impl SourceText {
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn named(&self) -> NamedSource<String> {
        NamedSource::new(&self.name, self.text.clone())
    }

    pub(crate) fn invalid(
        &self,
        span: (usize, usize),
        message: String,
        help: Option<String>,
    ) -> PolicyError {
        let (line, column) = self.line_col(span.0);
        PolicyError::Invalid {
            file: self.name.clone(),
            line,
            column,
            message,
            src: self.named(),
            span: span.into(),
            help,
        }
    }

    pub(crate) fn syntax(&self, offset: usize, message: String) -> PolicyError {
        let (line, column) = self.line_col(offset);
        PolicyError::Syntax {
            file: self.name.clone(),
            line,
            column,
            message,
            src: self.named(),
            span: (offset.min(self.text.len()), 1).into(),
        }
    }

    pub(crate) fn test_failed(
        &self,
        span: (usize, usize),
        rule: &str,
        index: usize,
        expected: String,
        got: String,
    ) -> PolicyError {
        let (line, column) = self.line_col(span.0);
        PolicyError::TestFailed {
            file: self.name.clone(),
            line,
            column,
            rule: rule.to_string(),
            index,
            expected,
            got,
            src: self.named(),
            span: span.into(),
        }
    }
}
