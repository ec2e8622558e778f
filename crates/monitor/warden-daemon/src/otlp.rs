//! OpenTelemetry out: the monitor follows its own audit log and posts every record to an
//! OTLP/HTTP collector, as logs, and every gate decision as a span (mapping in
//! [`warden_audit::otlp_batch`]).
//!
//! The audit log is the buffer, so nothing is lost while a collector is down: the exporter
//! reads records after its cursor (`otlp.cursor` in the state directory, one sequence number per
//! signal), posts them, and moves the cursor only after the collector accepted them; a failed
//! post is retried with a growing pause (up to 30 s). Delivery is at least once: a record posted
//! just before the monitor stopped, and not yet behind the cursor, is posted again at the next
//! start. The exporter reads through its own SQLite connection, never on the decision path.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use warden_audit::{AuditReader, Filter, OtlpResource, Record};

use crate::https::HttpsClient;

/// The cursor file in the state directory.
pub const CURSOR_FILE: &str = "otlp.cursor";
/// How often the log is polled for new records.
const POLL: Duration = Duration::from_millis(250);
/// The longest pause between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long one post may take.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Records per post.
const BATCH: usize = 512;

/// Where records go.
#[derive(Debug, Clone, Default)]
pub struct OtlpConfig {
    /// The collector's OTLP/HTTP base URL (`http://127.0.0.1:4318`): logs go to `/v1/logs`,
    /// spans to `/v1/traces` (as `OTEL_EXPORTER_OTLP_ENDPOINT` means).
    pub endpoint: String,
    /// Extra headers on every post (an API key, a tenant).
    pub headers: Vec<(String, String)>,
    /// When there is no cursor yet: export the whole log (else start at its current head).
    pub from_start: bool,
}

/// What the exporter has done, for `warden status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OtlpStatus {
    /// The collector's base URL.
    pub endpoint: String,
    /// The last record whose logs the collector accepted.
    pub logs_seq: u64,
    /// The last record whose spans the collector accepted.
    pub spans_seq: u64,
    /// Records posted as logs since the start.
    pub logs_sent: u64,
    /// Spans posted since the start.
    pub spans_sent: u64,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// A running exporter.
pub struct OtlpHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// Its progress.
    pub status: Arc<Mutex<OtlpStatus>>,
}

impl OtlpHandle {
    /// Post what is left (bounded by `budget`), then stop.
    pub async fn stop(self, budget: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(budget, self.task).await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cursor {
    logs: u64,
    spans: u64,
}

impl Cursor {
    /// The saved cursor: `Ok(None)` when there is none yet, an error when it cannot be read.
    fn load(path: &Path) -> Result<Option<Cursor>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut c = Cursor::default();
        for line in text.lines() {
            let (slot, n) = match line.split_once('=') {
                Some(("logs", n)) => (&mut c.logs, n),
                Some(("spans", n)) => (&mut c.spans, n),
                _ => continue,
            };
            *slot = n
                .trim()
                .parse()
                .map_err(|_| format!("`{line}` is not a sequence number"))?;
        }
        Ok(Some(c))
    }

    fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("cursor.tmp");
        std::fs::write(&tmp, format!("logs={}\nspans={}\n", self.logs, self.spans))?;
        std::fs::rename(&tmp, path)
    }
}

/// Start exporting the log in `state_dir` to `config.endpoint`.
pub fn start(
    state_dir: PathBuf,
    config: OtlpConfig,
    head: u64,
) -> Result<OtlpHandle, crate::DaemonError> {
    let endpoint = url_base(&config.endpoint)?;
    let (client, _) = crate::https::client().map_err(crate::DaemonError::Other)?;
    let reader = AuditReader::open(&state_dir)?;
    let cursor_file = state_dir.join(CURSOR_FILE);
    let cursor = match Cursor::load(&cursor_file) {
        Ok(Some(c)) => c,
        Ok(None) if config.from_start => Cursor::default(),
        Ok(None) => Cursor {
            logs: head,
            spans: head,
        },
        // A cursor that cannot be read: export everything again rather than skip anything.
        Err(e) => {
            tracing::warn!(error = %e, file = %cursor_file.display(), "the OTLP export cursor cannot be read: exporting the whole log again");
            Cursor::default()
        }
    };
    let status = Arc::new(Mutex::new(OtlpStatus {
        endpoint: endpoint.clone(),
        logs_seq: cursor.logs,
        spans_seq: cursor.spans,
        ..Default::default()
    }));
    let (stop, stopped) = watch::channel(false);
    let ex = Exporter {
        client,
        endpoint,
        headers: config.headers,
        resource: OtlpResource {
            service_name: "warden".into(),
            service_version: env!("CARGO_PKG_VERSION").into(),
            host_name: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
        },
        cursor,
        cursor_file,
        status: status.clone(),
    };
    let task = tokio::spawn(ex.run(reader, stopped));
    Ok(OtlpHandle { stop, task, status })
}

/// The base URL, checked: http or https, no query; a trailing slash dropped.
fn url_base(s: &str) -> Result<String, crate::DaemonError> {
    let bad = |why: &str| {
        crate::DaemonError::Other(format!(
            "the OTLP endpoint `{s}` {why}: give the collector's OTLP/HTTP base URL, like http://127.0.0.1:4318"
        ))
    };
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| bad("is not an http or https URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if s.contains(['?', '#', ' ']) {
        return Err(bad("has a query, a fragment or a space"));
    }
    let base = s.trim_end_matches('/');
    // A URL that already names a signal path is taken as its base.
    let base = base
        .strip_suffix("/v1/logs")
        .or_else(|| base.strip_suffix("/v1/traces"))
        .unwrap_or(base);
    Ok(base.to_string())
}

struct Exporter {
    client: HttpsClient,
    endpoint: String,
    headers: Vec<(String, String)>,
    resource: OtlpResource,
    cursor: Cursor,
    cursor_file: PathBuf,
    status: Arc<Mutex<OtlpStatus>>,
}

impl Exporter {
    async fn run(mut self, mut reader: AuditReader, mut stopped: watch::Receiver<bool>) {
        let mut backoff = Duration::ZERO;
        loop {
            let stopping = *stopped.borrow();
            let (back, records) = read_after(reader, self.cursor.logs.min(self.cursor.spans)).await;
            reader = match back {
                Some(r) => r,
                None => return,
            };
            let mut full = false;
            let outcome = match records {
                Ok(recs) if recs.is_empty() => Ok(()),
                Ok(recs) => {
                    full = recs.len() == BATCH;
                    self.post_batch(&recs).await
                }
                Err(e) => Err(format!("cannot read the audit log: {e}")),
            };
            match outcome {
                Ok(()) => {
                    backoff = Duration::ZERO;
                    self.set_status(|s| s.last_error = None);
                }
                Err(e) => {
                    backoff = (backoff * 2).clamp(Duration::from_secs(1), MAX_BACKOFF);
                    tracing::warn!(error = %e, retry_in = ?backoff, endpoint = %self.endpoint, "OTLP export failed; the records stay in the audit log and are retried");
                    self.set_status(|s| s.last_error = Some(e));
                    full = false;
                }
            }
            if stopping {
                if full {
                    continue;
                }
                return;
            }
            if full {
                continue;
            }
            let pause = if backoff.is_zero() { POLL } else { backoff };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    fn set_status(&self, f: impl FnOnce(&mut OtlpStatus)) {
        let mut s = self
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut s);
        s.logs_seq = self.cursor.logs;
        s.spans_seq = self.cursor.spans;
    }

    /// Post the logs and spans of `recs` not yet behind each signal's cursor, moving each
    /// cursor once its post was accepted.
    async fn post_batch(&mut self, recs: &[Record]) -> Result<(), String> {
        let last = recs.last().map_or(0, |r| r.seq);
        let logs: Vec<Record> = recs
            .iter()
            .filter(|r| r.seq > self.cursor.logs)
            .cloned()
            .collect();
        let spans: Vec<Record> = recs
            .iter()
            .filter(|r| r.seq > self.cursor.spans)
            .cloned()
            .collect();
        let b = warden_audit::otlp_batch(&logs, &self.resource);
        if !b.logs.is_empty() {
            self.post("/v1/logs", b.logs).await?;
        }
        self.cursor.logs = self.cursor.logs.max(last);
        self.save()?;
        self.set_status(|s| s.logs_sent += b.log_count as u64);
        let b = warden_audit::otlp_batch(&spans, &self.resource);
        if !b.spans.is_empty() {
            self.post("/v1/traces", b.spans).await?;
        }
        self.cursor.spans = self.cursor.spans.max(last);
        self.save()?;
        self.set_status(|s| s.spans_sent += b.span_count as u64);
        Ok(())
    }

    fn save(&self) -> Result<(), String> {
        self.cursor.save(&self.cursor_file).map_err(|e| {
            format!(
                "cannot write the export cursor `{}`: {e}",
                self.cursor_file.display()
            )
        })
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> Result<(), String> {
        let url = format!("{}{path}", self.endpoint);
        let mut req = hyper::Request::post(&url)
            .header("content-type", "application/x-protobuf")
            .header("user-agent", concat!("warden/", env!("CARGO_PKG_VERSION")));
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("cannot build the request to {url}: {e}"))?;
        let resp = tokio::time::timeout(POST_TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| format!("{url} did not answer within {POST_TIMEOUT:?}"))?
            .map_err(|e| format!("cannot post to {url}: {e}"))?;
        let code = resp.status();
        if code.is_success() {
            Ok(())
        } else {
            Err(format!("{url} answered {code}"))
        }
    }
}

/// The records after `seq` (at most a batch), read off the async threads. The reader comes
/// back with them (`None` only if the blocking task died).
async fn read_after(
    reader: AuditReader,
    seq: u64,
) -> (
    Option<AuditReader>,
    Result<Vec<Record>, warden_audit::AuditError>,
) {
    let joined = tokio::task::spawn_blocking(move || {
        let filter = Filter {
            after_seq: Some(seq),
            limit: Some(BATCH),
            ..Default::default()
        };
        let r = reader.search(&filter);
        (reader, r)
    })
    .await;
    match joined {
        Ok((reader, r)) => (Some(reader), r),
        Err(e) => {
            tracing::error!(error = %e, "the OTLP exporter's reader stopped");
            (None, Ok(Vec::new()))
        }
    }
}

/// `OTEL_EXPORTER_OTLP_HEADERS`-style `k=v,k2=v2` (values percent-decoded is not needed for
/// the characters tokens use; a pair without `=` is an error).
pub fn parse_headers(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("`{p}` is not a header like `name=value`"))
        })
        .collect()
}

/// The exporter's progress as JSON, for `warden status`.
pub fn status_json(status: &Mutex<OtlpStatus>) -> Value {
    let s = status
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    serde_json::to_value(&*s).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn endpoints_are_checked_and_reduced_to_their_base() {
        assert_eq!(
            url_base("http://127.0.0.1:4318/").unwrap(),
            "http://127.0.0.1:4318"
        );
        assert_eq!(
            url_base("https://otel.example/v1/logs").unwrap(),
            "https://otel.example"
        );
        for bad in ["127.0.0.1:4318", "ftp://x", "http://", "http://x/?a=1"] {
            assert!(url_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_parse_like_the_otel_variable() {
        assert_eq!(
            parse_headers("api-key=abc, x-tenant = t1").unwrap(),
            vec![
                ("api-key".to_string(), "abc".to_string()),
                ("x-tenant".to_string(), "t1".to_string())
            ]
        );
        assert!(parse_headers("novalue").is_err());
    }

    #[test]
    fn the_cursor_survives_a_restart_and_garbage_is_no_cursor() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(CURSOR_FILE);
        Cursor { logs: 7, spans: 5 }.save(&p).unwrap();
        assert_eq!(Cursor::load(&p), Ok(Some(Cursor { logs: 7, spans: 5 })));
        std::fs::write(&p, "logs=x\n").unwrap();
        assert!(Cursor::load(&p).is_err());
        assert_eq!(Cursor::load(&d.path().join("none")), Ok(None));
    }
}
