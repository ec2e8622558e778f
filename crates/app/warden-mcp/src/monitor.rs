//! An async client of the monitor's socket, keeping idle connections for reuse: a decision costs
//! one request line and one answer line, not a connect.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::time::Instant;
use warden_daemon::proto::{Request, Response, MAX_LINE_BYTES};

/// Idle connections kept per client.
const IDLE_KEPT: usize = 4;

/// Why the monitor gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorError {
    /// Nothing listens on the socket.
    #[error("the Warden monitor is not reachable at `{0}`: {1}")]
    Unreachable(String, String),
    /// No answer in time.
    #[error("the Warden monitor did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection broke or the answer was garbage.
    #[error("the Warden monitor connection failed: {0}")]
    Broken(String),
}

/// A client of one monitor socket.
#[derive(Debug)]
pub struct Monitor {
    socket: PathBuf,
    timeout: Duration,
    idle: Mutex<Vec<BufReader<UnixStream>>>,
}

impl Monitor {
    /// A client of the monitor at `socket`, waiting at most `timeout` for an answer (plus the
    /// time the monitor says it waits for a human).
    pub fn new(socket: PathBuf, timeout: Duration) -> Self {
        Monitor {
            socket,
            timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn take_idle(&self) -> Option<BufReader<UnixStream>> {
        self.idle.lock().ok().and_then(|mut v| v.pop())
    }

    fn put_idle(&self, c: BufReader<UnixStream>) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < IDLE_KEPT {
                v.push(c);
            }
        }
    }

    /// Send `req` and wait for the final response; `on_pending` hears of a human being asked.
    pub async fn call(
        &self,
        req: &Request,
        on_pending: impl Fn(&str, u64),
    ) -> Result<Response, MonitorError> {
        let mut line = serde_json::to_vec(req).map_err(|e| MonitorError::Broken(e.to_string()))?;
        line.push(b'\n');
        // A kept connection may have been closed by a monitor restart: one retry on a fresh
        // connection when the kept one fails before any answer.
        if let Some(conn) = self.take_idle() {
            match self.exchange(conn, &line, &on_pending).await {
                Ok(r) => return Ok(r),
                Err((MonitorError::Broken(_), false)) => {}
                Err((e, _)) => return Err(e),
            }
        }
        let stream = tokio::time::timeout(self.timeout, UnixStream::connect(&self.socket))
            .await
            .map_err(|_| MonitorError::Timeout(self.timeout))?
            .map_err(|e| {
                MonitorError::Unreachable(self.socket.display().to_string(), e.to_string())
            })?;
        self.exchange(BufReader::new(stream), &line, &on_pending)
            .await
            .map_err(|(e, _)| e)
    }

    /// One request and its answer on `conn`; the error says whether any answer was read.
    async fn exchange(
        &self,
        mut conn: BufReader<UnixStream>,
        line: &[u8],
        on_pending: &impl Fn(&str, u64),
    ) -> Result<Response, (MonitorError, bool)> {
        let mut deadline = Instant::now() + self.timeout;
        let broken = |e: std::io::Error| (MonitorError::Broken(e.to_string()), false);
        tokio::time::timeout_at(deadline, conn.get_mut().write_all(line))
            .await
            .map_err(|_| (MonitorError::Timeout(self.timeout), false))?
            .map_err(broken)?;
        let mut buf = Vec::new();
        let mut answered = false;
        loop {
            buf.clear();
            let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
            let read = {
                let mut take = tokio::io::AsyncReadExt::take(&mut conn, limit);
                tokio::time::timeout_at(deadline, take.read_until(b'\n', &mut buf)).await
            };
            let n = read
                .map_err(|_| (MonitorError::Timeout(self.timeout), answered))?
                .map_err(|e| (MonitorError::Broken(e.to_string()), answered))?;
            if n == 0 {
                return Err((
                    MonitorError::Broken("the monitor closed the connection".into()),
                    answered,
                ));
            }
            let resp: Response = serde_json::from_slice(&buf)
                .map_err(|e| (MonitorError::Broken(format!("not a response: {e}")), true))?;
            answered = true;
            match resp {
                Response::Pending { approval, wait_ms } => {
                    on_pending(&approval, wait_ms);
                    // Absurd waits saturate instead of overflowing the clock.
                    let wait = Duration::from_millis(wait_ms).min(Duration::from_secs(24 * 3600));
                    deadline = Instant::now() + wait + self.timeout;
                }
                other => {
                    self.put_idle(conn);
                    return Ok(other);
                }
            }
        }
    }
}
