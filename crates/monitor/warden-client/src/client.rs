//! The blocking client hooks and the CLI use: connect, send one request line, read the answer,
//! all under a deadline. No async runtime: a hook must start and finish in milliseconds.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::proto::{Request, Response};

/// Why the daemon gave no usable answer. Every case blocks the hook (unless a local fallback
/// was configured).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon listens on the socket.
    #[error("the Warden monitor is not reachable at `{path}`: {source}")]
    Unreachable {
        /// The socket.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The daemon did not answer in time.
    #[error("the Warden monitor did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection broke.
    #[error("the connection to the Warden monitor broke: {0}")]
    Io(std::io::Error),
    /// The server is not the monitor (wrong uid, or an answer to another request).
    #[error("{0}")]
    Impostor(String),
    /// The answer is not a response.
    #[error("the Warden monitor answered something that is not a response: {0}")]
    Garbage(String),
}

/// Send `req` and wait for the final response. A [`Response::Pending`] extends the deadline by
/// the time the daemon says it waits for a human (told to `on_pending` first).
pub fn call(
    socket: &Path,
    req: &Request,
    timeout: Duration,
    on_pending: impl FnMut(&str, u64),
) -> Result<Response, ClientError> {
    call_as(socket, req, timeout, None, on_pending)
}

/// [`call`], authenticating the server: with `monitor_uid`, the process listening on the socket
/// must run as that uid (`SO_PEERCRED` on the connected socket), and an answer must echo the
/// request's nonce. A fake server on a replaced socket, or a replayed answer, is an error.
pub fn call_as(
    socket: &Path,
    req: &Request,
    timeout: Duration,
    monitor_uid: Option<u32>,
    mut on_pending: impl FnMut(&str, u64),
) -> Result<Response, ClientError> {
    let start = Instant::now();
    // Absurd timeouts saturate instead of overflowing the clock.
    let far = Duration::from_secs(24 * 3600);
    let mut deadline = start + timeout.min(far);
    let stream = UnixStream::connect(socket).map_err(|source| ClientError::Unreachable {
        path: socket.display().to_string(),
        source,
    })?;
    let set = |s: &UnixStream, deadline: Instant| -> Result<(), ClientError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ClientError::Timeout(timeout));
        }
        s.set_read_timeout(Some(left)).map_err(ClientError::Io)?;
        s.set_write_timeout(Some(left)).map_err(ClientError::Io)
    };
    if let Some(want) = monitor_uid {
        // Fails where the server's pid is not visible (this process runs in a PID namespace of
        // its own, as a tool sandbox's processes do): the monitor cannot be authenticated.
        let cred = rustix::net::sockopt::socket_peercred(&stream).map_err(|e| {
            ClientError::Impostor(format!(
                "cannot read the credentials of the process listening on `{}` ({e}); a hook cannot run inside a tool sandbox",
                socket.display()
            ))
        })?;
        let got = cred.uid.as_raw();
        if got != want {
            return Err(ClientError::Impostor(format!(
                "the process listening on `{}` runs as uid {got}, not as the monitor's uid {want}: it is not the Warden monitor",
                socket.display()
            )));
        }
    }
    set(&stream, deadline)?;
    let mut line = serde_json::to_vec(req).map_err(|e| ClientError::Garbage(e.to_string()))?;
    line.push(b'\n');
    (&stream)
        .write_all(&line)
        .map_err(|e| timeout_or(e, timeout))?;
    let mut reader = BufReader::new(&stream);
    let mut buf = String::new();
    loop {
        buf.clear();
        set(&stream, deadline)?;
        let n = reader
            .read_line(&mut buf)
            .map_err(|e| timeout_or(e, timeout))?;
        if n == 0 {
            return Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the monitor closed the connection without answering",
            )));
        }
        let resp: Response = serde_json::from_str(buf.trim_end()).map_err(|e| {
            ClientError::Garbage(format!(
                "{e}: `{}`",
                buf.trim_end().chars().take(200).collect::<String>()
            ))
        })?;
        match resp {
            Response::Pending { approval, wait_ms } => {
                on_pending(&approval, wait_ms);
                deadline =
                    Instant::now() + Duration::from_millis(wait_ms).min(far) + timeout.min(far);
            }
            Response::Answer(a) if req.nonce().is_some() && a.nonce.as_deref() != req.nonce() => {
                return Err(ClientError::Impostor(
                    "the answer does not echo this request's nonce: a replayed or forged answer"
                        .into(),
                ));
            }
            other => return Ok(other),
        }
    }
}

fn timeout_or(e: std::io::Error, timeout: Duration) -> ClientError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            ClientError::Timeout(timeout)
        }
        _ => ClientError::Io(e),
    }
}
