//! The egress proxy: the sandbox's only way out. HTTP (absolute-form requests) and CONNECT
//! tunnels, on hyper. Each destination host is checked against the policy's host lists before
//! anything is resolved or sent; a refusal is a `403` whose body names the host and the rule.
//! Names are resolved here, on the host, so the sandbox needs no resolver; bytes sent are
//! counted per host.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use globset::{GlobBuilder, GlobMatcher};
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};

use crate::spec::SandboxSpec;

type Body = BoxBody<Bytes, hyper::Error>;

/// Largest request body the proxy forwards for plain HTTP (tunnels are not limited).
const MAX_BODY: usize = 256 << 20;

/// A connection the proxy refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Destination host.
    pub host: String,
    /// Destination port.
    pub port: u16,
    /// Why, naming the rule.
    pub reason: String,
}

/// What went through the proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EgressLog {
    /// Refused connections, in order.
    pub refused: Vec<Refusal>,
    /// Bytes sent per allowed host (request bodies and headers, tunnel payload).
    pub sent: BTreeMap<String, u64>,
}

/// Asks a person whether the sandbox may reach `host:port` (the refusal reason says why it is
/// not listed): `Ok` when approved, `Err` with why not.
pub type AskFn = dyn Fn(
        String,
        u16,
        String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>
    + Send
    + Sync;

/// Who the proxy asks about hosts on none of the lists (the monitor, through `warden exec`).
#[derive(Clone)]
pub struct EgressAsk(pub Arc<AskFn>);

impl std::fmt::Debug for EgressAsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EgressAsk")
    }
}

/// The proxy's rules and log.
#[derive(Debug)]
pub struct Egress {
    ask: Option<EgressAsk>,
    patterns: Vec<(String, String)>,
    rules: std::sync::OnceLock<Vec<(GlobMatcher, String, String)>>,
    log: Mutex<EgressLog>,
    /// Tunnels still copying (their byte counts land when they end).
    open: std::sync::atomic::AtomicUsize,
}

/// Why a destination may be reached: the pattern and its list, and whether it named the port.
struct Pass {
    with_port: bool,
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

impl Egress {
    /// The proxy for `spec`'s allowed hosts. Patterns are compiled on the first connection:
    /// most commands never make one.
    pub fn new(spec: &SandboxSpec, ask: Option<EgressAsk>) -> Self {
        Egress {
            ask: ask.filter(|_| spec.unlisted_hosts == warden_policy::UnlistedHosts::Ask),
            patterns: spec
                .allowed_hosts
                .iter()
                .cloned()
                .zip(spec.host_lists.iter().cloned())
                .collect(),
            rules: std::sync::OnceLock::new(),
            log: Mutex::new(EgressLog::default()),
            open: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The compiled patterns; a pattern that is not a valid glob matches nothing (the spec's
    /// hosts come from a policy that already compiled them as globs).
    fn rules(&self) -> &[(GlobMatcher, String, String)] {
        self.rules.get_or_init(|| {
            self.patterns
                .iter()
                .filter_map(|(h, list)| {
                    GlobBuilder::new(h)
                        .case_insensitive(true)
                        .literal_separator(true)
                        .build()
                        .ok()
                        .map(|g| (g.compile_matcher(), h.clone(), list.clone()))
                })
                .collect()
        })
    }

    /// Wait (at most `limit`) for open tunnels to finish counting, once the command is gone.
    pub async fn settle(&self, limit: std::time::Duration) {
        let start = std::time::Instant::now();
        while self.open.load(std::sync::atomic::Ordering::SeqCst) > 0 && start.elapsed() < limit {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// A copy of the log so far.
    pub fn log(&self) -> EgressLog {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn check(&self, host: &str, port: u16) -> Result<Pass, String> {
        let with_port = format!("{host}:{port}");
        if self.rules().iter().any(|(g, _, _)| g.is_match(&with_port)) {
            return Ok(Pass { with_port: true });
        }
        let internal = host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<IpAddr>().is_ok_and(is_internal);
        if internal {
            return Err(format!(
                "`{with_port}` is a service of this machine, not reachable from the sandbox unless listed with its port (lists `trusted_hosts`, `sandbox_hosts`)"
            ));
        }
        if self.rules().iter().any(|(g, _, _)| g.is_match(host)) {
            return Ok(Pass { with_port: false });
        }
        Err(format!(
            "host `{host}` is not in the policy's allowed hosts (lists `trusted_hosts`, `sandbox_hosts`)"
        ))
    }

    /// [`Self::check`], and for a host on none of the lists, a person's answer when the policy
    /// says ask and someone can be asked. Approved: reachable as listed with its port.
    async fn admit(&self, host: &str, port: u16) -> Result<Pass, String> {
        let reason = match self.check(host, port) {
            Ok(p) => return Ok(p),
            Err(r) => r,
        };
        let Some(ask) = &self.ask else {
            return Err(reason);
        };
        match (ask.0)(host.to_string(), port, reason.clone()).await {
            Ok(()) => Ok(Pass { with_port: true }),
            Err(why) => Err(format!("{reason}; {why}")),
        }
    }

    fn refuse(&self, host: &str, port: u16, reason: String) -> Response<Body> {
        let body = format!("warden sandbox refused the connection to `{host}:{port}`: {reason}\n");
        if let Ok(mut l) = self.log.lock() {
            l.refused.push(Refusal {
                host: host.to_string(),
                port,
                reason,
            });
        }
        text(StatusCode::FORBIDDEN, body)
    }

    fn count(&self, host: &str, n: u64) {
        if let Ok(mut l) = self.log.lock() {
            *l.sent.entry(host.to_string()).or_default() += n;
        }
    }

    /// Resolve and connect, refusing names that resolve into this machine unless the port was
    /// named (DNS rebinding onto the host's own services).
    async fn connect(
        &self,
        host: &str,
        port: u16,
        pass: &Pass,
    ) -> Result<TcpStream, Result<String, String>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Err(format!("cannot resolve `{host}`: {e}")))?
            .collect();
        if !pass.with_port && addrs.iter().any(|a| is_internal(a.ip())) {
            return Err(Ok(format!(
                "`{host}` resolves to an address of this machine"
            )));
        }
        TcpStream::connect(&addrs[..])
            .await
            .map_err(|e| Err(format!("cannot connect to `{host}:{port}`: {e}")))
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    r
}

fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// Serve the proxy on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, egress: Arc<Egress>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let egress = egress.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let egress = egress.clone();
                async move { Ok::<_, Infallible>(handle(&egress, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

async fn handle(egress: &Arc<Egress>, req: Request<Incoming>) -> Response<Body> {
    if req.method() == Method::CONNECT {
        return tunnel(egress, req).await;
    }
    let (host, port) = match (req.uri().scheme_str(), req.uri().host()) {
        (Some("http"), Some(h)) => (h.trim_matches(['[', ']']).to_ascii_lowercase(), req.uri().port_u16().unwrap_or(80)),
        _ => {
            return text(
                StatusCode::BAD_REQUEST,
                "warden sandbox proxy: send `http://` URLs in absolute form, and `https://` through CONNECT\n".into(),
            )
        }
    };
    let pass = match egress.admit(&host, port).await {
        Ok(p) => p,
        Err(reason) => return egress.refuse(&host, port, reason),
    };
    let stream = match egress.connect(&host, port, &pass).await {
        Ok(s) => s,
        Err(Ok(reason)) => return egress.refuse(&host, port, reason),
        Err(Err(e)) => {
            return text(
                StatusCode::BAD_GATEWAY,
                format!("warden sandbox proxy: {e}\n"),
            )
        }
    };
    match forward(egress, &host, stream, req).await {
        Ok(r) => r,
        Err(e) => text(
            StatusCode::BAD_GATEWAY,
            format!("warden sandbox proxy: {e}\n"),
        ),
    }
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "proxy-connection",
    "proxy-authorization",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

async fn forward(
    egress: &Egress,
    host: &str,
    stream: TcpStream,
    req: Request<Incoming>,
) -> Result<Response<Body>, String> {
    let (mut parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("cannot read the request body: {e}"))?
        .to_bytes();
    for h in HOP_BY_HOP {
        parts.headers.remove(h);
    }
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    egress.count(host, (body.len() + header_bytes) as u64);
    parts.uri = parts.uri.path_and_query().map_or_else(
        || hyper::Uri::from_static("/"),
        |pq| {
            pq.as_str()
                .parse()
                .unwrap_or_else(|_| hyper::Uri::from_static("/"))
        },
    );
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| e.to_string())?;
    Ok(resp.map(BodyExt::boxed))
}

async fn tunnel(egress: &Arc<Egress>, req: Request<Incoming>) -> Response<Body> {
    let Some(auth) = req.uri().authority().cloned() else {
        return text(
            StatusCode::BAD_REQUEST,
            "warden sandbox proxy: CONNECT needs host:port\n".into(),
        );
    };
    let host = auth.host().trim_matches(['[', ']']).to_ascii_lowercase();
    let port = auth.port_u16().unwrap_or(443);
    let pass = match egress.admit(&host, port).await {
        Ok(p) => p,
        Err(reason) => return egress.refuse(&host, port, reason),
    };
    let mut stream = match egress.connect(&host, port, &pass).await {
        Ok(s) => s,
        Err(Ok(reason)) => return egress.refuse(&host, port, reason),
        Err(Err(e)) => {
            return text(
                StatusCode::BAD_GATEWAY,
                format!("warden sandbox proxy: {e}\n"),
            )
        }
    };
    let egress = egress.clone();
    egress
        .open
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let mut client = TokioIo::new(upgraded);
            if let Ok((up, _)) = tokio::io::copy_bidirectional(&mut client, &mut stream).await {
                egress.count(&host, up);
            }
        }
        egress
            .open
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    });
    let mut r = Response::new(empty());
    *r.status_mut() = StatusCode::OK;
    r
}
