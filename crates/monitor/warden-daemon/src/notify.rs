//! Telling a person an approval waits: a desktop notification (`notify-send`, where there is a
//! desktop session) and a webhook (Slack-compatible JSON, signed). Best effort and off the
//! hot path: the approval is already recorded and waiting when a notification goes out, and a
//! notification that fails is logged, never a reason to decide differently.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::https::HttpsClient as HttpClient;

/// The header carrying the webhook signature: `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "x-warden-signature";
/// The header carrying the signed timestamp (seconds since the epoch), against replays.
pub const TIMESTAMP_HEADER: &str = "x-warden-timestamp";

/// How a webhook post may take at most.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where notifications go.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// A webhook URL (http or https), Slack-compatible.
    pub webhook: Option<String>,
    /// The secret webhook posts are signed with.
    pub secret: Option<Vec<u8>>,
    /// Run `notify-send` when a desktop session is present.
    pub desktop: bool,
    /// Only approvals at or above this risk (0 to 1).
    pub min_risk: f64,
    /// The desktop's own threshold, when it differs from [`NotifyConfig::min_risk`].
    pub desktop_min_risk: Option<f64>,
    /// The webhook's own threshold, when it differs from [`NotifyConfig::min_risk`].
    pub webhook_min_risk: Option<f64>,
    /// The base of links to an approval (the monitor's HTTP API), if it has one.
    pub link_base: Option<String>,
}

impl NotifyConfig {
    /// Whether anything is configured.
    pub fn enabled(&self) -> bool {
        self.webhook.is_some() || self.desktop
    }
}

/// Sends notifications.
#[derive(Clone)]
pub struct Notifier {
    config: NotifyConfig,
    client: Option<HttpClient>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("webhook", &self.config.webhook)
            .field("desktop", &self.config.desktop)
            .finish()
    }
}

impl Notifier {
    /// A notifier for `config`; fails when a webhook is configured but no TLS client can be
    /// built (start-up stops: a configured channel never turns itself off).
    pub fn new(config: NotifyConfig) -> Result<Self, String> {
        let client = match &config.webhook {
            Some(url) => {
                let _: hyper::Uri = url
                    .parse()
                    .map_err(|e| format!("the webhook `{url}` is not a URL: {e}"))?;
                Some(crate::https::client()?.0)
            }
            None => None,
        };
        Ok(Notifier { config, client })
    }

    /// Tell a person that approval `id` waits; `request` is what the approval shows.
    pub fn approval_requested(self: &Arc<Self>, id: &str, request: &Value) {
        let risk = request.get("risk").and_then(Value::as_f64).unwrap_or(1.0);
        let c = &self.config;
        let desktop = c.desktop && risk >= c.desktop_min_risk.unwrap_or(c.min_risk);
        let webhook = risk >= c.webhook_min_risk.unwrap_or(c.min_risk);
        if !desktop && !webhook {
            return;
        }
        let tool = request.get("tool").and_then(Value::as_str).unwrap_or("-");
        let reason = request.get("reason").and_then(Value::as_str).unwrap_or("");
        let session = request
            .get("session")
            .and_then(Value::as_str)
            .unwrap_or("-");
        let link = self
            .config
            .link_base
            .as_ref()
            .map(|b| format!("{}/v1/approvals/{id}", b.trim_end_matches('/')));
        let text = format!(
            "Warden: approval {id} waits (tool `{tool}`, session `{session}`, risk {risk:.2}): {reason}. Answer: `warden approvals approve {id}` or `warden approvals deny {id}`{}",
            link.as_ref().map(|l| format!(", or {l}")).unwrap_or_default()
        );
        if desktop {
            self::desktop(id, &text);
        }
        if let (true, Some(url), Some(client)) =
            (webhook, self.config.webhook.clone(), self.client.clone())
        {
            let body = json!({
                "text": text,
                "warden": {"approval": id, "tool": tool, "session": session, "risk": risk, "reason": reason, "link": link},
            });
            let secret = self.config.secret.clone();
            tokio::spawn(async move {
                if let Err(e) = post(&client, &url, &body, secret.as_deref()).await {
                    tracing::warn!(error = %e, "the approval webhook failed");
                }
            });
        }
    }
}

/// `HMAC-SHA256(secret, "<timestamp>.<body>")` as lowercase hex.
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn post(
    client: &HttpClient,
    url: &str,
    body: &Value,
    secret: Option<&[u8]>,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut req = hyper::Request::post(url).header("content-type", "application/json");
    if let Some(s) = secret {
        req = req
            .header(TIMESTAMP_HEADER, now.to_string())
            .header(SIGNATURE_HEADER, format!("sha256={}", sign(s, now, &bytes)));
    }
    let req = req
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(POST_TIMEOUT, client.request(req))
        .await
        .map_err(|_| format!("no answer within {} s", POST_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {}", resp.status()))
    }
}

/// `notify-send`, when there is a desktop session to show it in.
fn desktop(id: &str, text: &str) {
    let session = std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
        || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    if !session {
        return;
    }
    let spawned = std::process::Command::new("notify-send")
        .args(["--app-name=Warden", "--urgency=critical"])
        .arg(format!("Warden: approval {id}"))
        .arg(text)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped on a thread of its own: no zombie, no wait on the caller.
        Ok(mut c) => {
            std::thread::spawn(move || c.wait());
        }
        Err(e) => tracing::debug!(error = %e, "notify-send is not available"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_rfc_4231_hmac() {
        // RFC 4231 test case 2 (key "Jefe"), with our "<timestamp>." prefix in the message.
        let plain = {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
            mac.update(b"what do ya want for nothing?");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(
            plain,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(sign(b"Jefe", 1, b"x"), sign(b"Jefe", 2, b"x"));
        assert_ne!(sign(b"Jefe", 1, b"x"), sign(b"Jeff", 1, b"x"));
    }
}
