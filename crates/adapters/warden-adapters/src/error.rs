//! Why an input could not be lowered. Every variant means "block", never "allow".

/// An input an adapter could not understand.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdapterError {
    /// The input is larger than Warden accepts.
    #[error("input is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("input is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The input is empty.
    #[error("input is empty")]
    Empty,
    /// The input is not valid JSON.
    #[error("input is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The input is JSON of no format Warden knows.
    #[error("input is not a hook payload or Warden action JSON")]
    UnknownFormat,
    /// A field the format requires is missing or has the wrong type.
    #[error("field `{field}` is missing or not {expected}")]
    Field {
        /// The field, as a JSON path.
        field: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The input names a version of a format this Warden does not speak.
    #[error("unsupported {format} version `{version}` (this Warden reads version {supported})")]
    Version {
        /// The format.
        format: &'static str,
        /// The version received.
        version: String,
        /// The version supported.
        supported: u32,
    },
    /// An action in the input does not fit the action model.
    #[error("invalid action: {0}")]
    Action(String),
    /// A hook event Warden does not gate (only tool calls are gated).
    #[error("hook event `{0}` is not a tool call")]
    Event(String),
}
