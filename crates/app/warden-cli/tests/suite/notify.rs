//! A person hears that an approval waits: a real webhook receiver on loopback gets a signed,
//! Slack-compatible post naming the approval, while the agent's call waits for the answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::daemon::{decision, payload, Monitor, ASK_POLICY};
use super::home;

/// One request as the receiver saw it: lowercase headers and the body.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver: answers 200 to each request and hands it over.
fn receiver() -> (u16, mpsc::Receiver<Received>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            loop {
                line.clear();
                r.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            let _ = tx.send(Received { headers, body });
        }
    });
    (port, rx)
}

#[test]
fn a_waiting_approval_is_posted_signed_to_the_webhook() {
    let h = home();
    let pol = h.path().join("ask.yaml");
    std::fs::write(&pol, ASK_POLICY).unwrap();
    let secret = h.path().join("hook.secret");
    std::fs::write(&secret, "s3cret-for-the-webhook\n").unwrap();
    let (port, rx) = receiver();
    let url = format!("http://127.0.0.1:{port}/hook");
    let m = Monitor::start(
        h.path(),
        &[
            "--policy",
            pol.to_str().unwrap(),
            "--approval-timeout",
            "20s",
            "--notify-webhook",
            &url,
            "--notify-secret-file",
            secret.to_str().unwrap(),
        ],
    );
    let cwd = h.path().join("project");
    let p = payload("s1", "Bash", json!({"command": "deploy prod"}), &cwd);
    let (answer, got) = std::thread::scope(|s| {
        let call = s.spawn(|| m.hook(&p));
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("no webhook post");
        let body: Value = serde_json::from_slice(&got.body).unwrap();
        let id = body["warden"]["approval"].as_str().unwrap().to_string();
        let r = m.warden(&["approvals", "approve", &id], b"");
        assert_eq!(r.code, 0, "{}", r.stderr);
        (call.join().unwrap(), got)
    });
    assert_eq!(decision(&answer), "allow", "{}", answer.stdout);
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    let text = body["text"].as_str().unwrap();
    let id = body["warden"]["approval"].as_str().unwrap();
    assert!(
        text.contains(&format!("warden approvals approve {id}")),
        "{text}"
    );
    assert!(text.contains("deploys need a human"), "{text}");
    assert_eq!(body["warden"]["tool"], "Bash");
    // The signature is HMAC-SHA256 of "<timestamp>.<body>" with the secret (trimmed).
    let ts = got.header("x-warden-timestamp").expect("timestamp");
    let sig = got.header("x-warden-signature").expect("signature");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret-for-the-webhook").unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&got.body);
    assert_eq!(
        sig,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
}

#[test]
fn each_channel_posts_at_its_own_risk_threshold() {
    // (thresholds, posted?): the global one; the webhook's own over a global one, both ways.
    for (thresholds, posted) in [
        (&["--notify-min-risk", "1.01"][..], false),
        (&["--notify-webhook-min-risk", "1.01"][..], false),
        (
            &[
                "--notify-min-risk",
                "1.01",
                "--notify-webhook-min-risk",
                "0",
            ][..],
            true,
        ),
    ] {
        let h = home();
        let pol = h.path().join("ask.yaml");
        std::fs::write(&pol, ASK_POLICY).unwrap();
        let (port, rx) = receiver();
        let url = format!("http://127.0.0.1:{port}/hook");
        let mut args = vec![
            "--policy",
            pol.to_str().unwrap(),
            "--approval-timeout",
            "2s",
            "--notify-webhook",
            &url,
        ];
        args.extend(thresholds);
        let m = Monitor::start(h.path(), &args);
        let cwd = h.path().join("project");
        let r = m.hook(&payload(
            "s1",
            "Bash",
            json!({"command": "deploy prod"}),
            &cwd,
        ));
        assert_eq!(decision(&r), "deny", "{}", r.stdout);
        let got = rx.recv_timeout(Duration::from_millis(500)).is_ok();
        assert_eq!(got, posted, "{thresholds:?}");
    }
    // A threshold that is not a risk stops the start.
    let h = home();
    let r = super::warden(h.path(), &["serve", "--notify-min-risk", "7"], b"");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not a risk"), "{}", r.stderr);
}

#[test]
fn a_webhook_that_is_not_a_url_stops_the_start() {
    let h = home();
    let r = super::warden(
        h.path(),
        &[
            "serve",
            "--no-discover",
            "--http",
            "off",
            "--notify-webhook",
            "not a url",
        ],
        b"",
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not a URL"), "{}", r.stderr);
}
