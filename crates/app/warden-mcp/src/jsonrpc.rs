//! JSON-RPC 2.0 as MCP uses it: newline-delimited framing with a size limit, the shape of a
//! message (request, notification, response, batch), and the answers the proxy writes itself.
//!
//! Messages are kept as [`serde_json::Value`] so everything the proxy does not gate passes
//! through byte-for-byte in meaning (fields the proxy does not know survive).

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Longest line accepted from either side: 16 MiB, the limit every Warden input has.
pub const MAX_LINE_BYTES: usize = warden_adapters::MAX_INPUT_BYTES;

/// JSON-RPC: the line is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON is not a request.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: the server reported an internal error (used for refusals the client should see as
/// an error).
pub const INTERNAL_ERROR: i64 = -32603;
/// The error code of a call Warden refused (`--deny-as error`): in the implementation-defined
/// server error range.
pub const DENIED: i64 = -32001;

/// What reading one line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The stream ended.
    Eof,
    /// A line (in the buffer, without its newline).
    Line,
    /// A line longer than the limit; its bytes were read and dropped.
    TooLong(usize),
}

/// Read one `\n`-terminated line into `buf` (cleared first), at most `max` bytes; a longer line
/// is consumed and dropped without being held in memory. A last line without a newline counts.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let mut dropped: usize = 0;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match (dropped, buf.is_empty()) {
                (0, true) => Line::Eof,
                (0, false) => Line::Line,
                (n, _) => Line::TooLong(n),
            });
        }
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (chunk.get(..i).unwrap_or_default(), Some(i + 1)),
            None => (chunk, None),
        };
        let used = done.unwrap_or(chunk.len());
        if dropped == 0 && buf.len() + part.len() <= max {
            buf.extend_from_slice(part);
        } else {
            dropped = dropped.saturating_add(buf.len() + part.len());
            buf.clear();
        }
        r.consume(used);
        if done.is_some() {
            return Ok(if dropped > 0 {
                Line::TooLong(dropped)
            } else {
                Line::Line
            });
        }
    }
}

/// Why a line is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadLine {
    /// Not UTF-8.
    #[error("the line is not UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// Not JSON.
    #[error("the line is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a JSON-RPC message or batch.
    #[error("the line is not a JSON-RPC message")]
    NotJsonRpc,
}

/// Parse one line into a message or a batch (an array of messages).
pub fn parse(line: &[u8]) -> Result<Value, BadLine> {
    let text = std::str::from_utf8(line).map_err(|e| BadLine::NotUtf8(e.valid_up_to()))?;
    let v: Value = serde_json::from_str(text).map_err(|e| BadLine::NotJson(e.to_string()))?;
    match &v {
        Value::Object(_) => Ok(v),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => Ok(v),
        _ => Err(BadLine::NotJsonRpc),
    }
}

/// The method of a request or notification.
pub fn method(v: &Value) -> Option<&str> {
    v.get("method").and_then(Value::as_str)
}

/// The id of a request or response, when it has a usable one (not null).
pub fn id(v: &Value) -> Option<&Value> {
    v.get("id").filter(|i| !i.is_null())
}

/// A key for an id: the JSON text, so `1` and `"1"` stay different.
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// Whether a message is a request (a method and an id).
pub fn is_request(v: &Value) -> bool {
    method(v).is_some() && id(v).is_some()
}

/// Whether a message is a response (an id, a result or an error, no method).
pub fn is_response(v: &Value) -> bool {
    method(v).is_none()
        && v.get("id").is_some()
        && (v.get("result").is_some() || v.get("error").is_some())
}

/// A success response.
pub fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error response.
pub fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Serialise a message as one line (with its newline).
pub fn to_line(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[tokio::test]
    async fn lines_are_bounded() {
        let input = b"short\nthis one is far too long\nok\nlast".to_vec();
        let mut r = tokio::io::BufReader::with_capacity(4, &input[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            let l = read_line(&mut r, &mut buf, 8).await.unwrap();
            if l == Line::Eof {
                break;
            }
            got.push((l, String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                (Line::Line, "short".into()),
                (Line::TooLong(24), String::new()),
                (Line::Line, "ok".into()),
                (Line::Line, "last".into()),
            ]
        );
    }

    #[test]
    fn shapes() {
        assert!(parse(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}").is_ok());
        assert_eq!(parse(b"[1]"), Err(BadLine::NotJsonRpc));
        assert_eq!(parse(b"\xff"), Err(BadLine::NotUtf8(0)));
        assert!(matches!(parse(b"{"), Err(BadLine::NotJson(_))));
        let r = json!({"jsonrpc": "2.0", "id": 3, "result": {}});
        assert!(is_response(&r) && !is_request(&r));
        assert_eq!(id_key(&json!("1")), "\"1\"");
    }
}
