//! The console's gatekeeping: loopback Host names (against DNS rebinding), same-origin POSTs,
//! login sessions held in an HttpOnly, SameSite=Strict cookie, and CSRF tokens, all compared in
//! constant time. The API token itself never goes into a cookie: a login trades it for a random
//! session secret that lives only in this process.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie holding a login's session secret.
pub(crate) const SESSION_COOKIE: &str = "warden_console";
/// The cookie pairing the login form with its CSRF token (double submit, before any session).
pub(crate) const LOGIN_COOKIE: &str = "warden_login";
/// How long a login lasts.
pub(crate) const SESSION_SECS: i64 = 8 * 3600;
/// Logins kept at once; the oldest goes first.
const MAX_LOGINS: usize = 32;

/// Why a request is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The Host header names something other than this machine's loopback.
    #[error("the Host header must name this machine's loopback (127.0.0.1, localhost or [::1])")]
    ForeignHost,
    /// A POST from another origin.
    #[error("the request comes from another origin")]
    ForeignOrigin,
    /// No login, or an expired one.
    #[error("log in first")]
    NotLoggedIn,
    /// The form's CSRF token is missing or wrong.
    #[error("the form's CSRF token is missing or wrong: reload the page and try again")]
    Csrf,
}

/// Equal, compared without revealing where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// 32 random bytes, hex.
pub(crate) fn random_hex() -> Option<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).ok()?;
    Some(hex::encode(b))
}

fn loopback_name(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, port)) if port.is_empty() || port.starts_with(':') => return ip == "::1",
            _ => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    matches!(name, "127.0.0.1" | "localhost")
}

/// The Host header names loopback (a DNS-rebound name does not).
pub(crate) fn check_host(headers: &HeaderMap) -> Result<(), Refusal> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if loopback_name(&host.to_ascii_lowercase()) {
        Ok(())
    } else {
        Err(Refusal::ForeignHost)
    }
}

/// A POST carries no foreign `Origin` (browsers send it on every cross-site form).
pub(crate) fn check_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
    match origin.strip_prefix("http://") {
        Some(host) if loopback_name(host) => Ok(()),
        _ => Err(Refusal::ForeignOrigin),
    }
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, scoped to the console.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={max_age}")
}

struct Login {
    csrf: String,
    expires_ms: i64,
    created_ms: i64,
}

/// The logins of this monitor process, keyed by the hash of their session secret.
#[derive(Default)]
pub(crate) struct Logins {
    by_hash: Mutex<HashMap<[u8; 32], Login>>,
}

fn key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Logins {
    /// A new login: its session secret and CSRF token.
    pub(crate) fn create(&self, now_ms: i64) -> Option<(String, String)> {
        let secret = random_hex()?;
        let csrf = random_hex()?;
        let mut m = self.by_hash.lock().ok()?;
        m.retain(|_, l| l.expires_ms > now_ms);
        while m.len() >= MAX_LOGINS {
            let oldest = m
                .iter()
                .min_by_key(|(_, l)| l.created_ms)
                .map(|(k, _)| *k)?;
            m.remove(&oldest);
        }
        m.insert(
            key(&secret),
            Login {
                csrf: csrf.clone(),
                expires_ms: now_ms.saturating_add(SESSION_SECS * 1000),
                created_ms: now_ms,
            },
        );
        Some((secret, csrf))
    }

    /// The CSRF token of the request's login, if it has a live one.
    pub(crate) fn csrf_of(&self, headers: &HeaderMap, now_ms: i64) -> Result<String, Refusal> {
        let secret = cookie(headers, SESSION_COOKIE).ok_or(Refusal::NotLoggedIn)?;
        let m = self.by_hash.lock().map_err(|_| Refusal::NotLoggedIn)?;
        match m.get(&key(secret)) {
            Some(l) if l.expires_ms > now_ms => Ok(l.csrf.clone()),
            _ => Err(Refusal::NotLoggedIn),
        }
    }

    /// End the request's login.
    pub(crate) fn remove(&self, headers: &HeaderMap) {
        if let (Some(secret), Ok(mut m)) = (cookie(headers, SESSION_COOKIE), self.by_hash.lock()) {
            m.remove(&key(secret));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "127.0.0.1:7870",
            "localhost",
            "LOCALHOST:1",
            "[::1]:7870",
            "[::1]",
        ] {
            assert_eq!(check_host(&with(header::HOST, ok)), Ok(()), "{ok}");
        }
        for bad in [
            "evil.example",
            "127.0.0.1.evil.example:80",
            "[::2]:1",
            "",
            "localhost.:1",
        ] {
            assert_eq!(
                check_host(&with(header::HOST, bad)),
                Err(Refusal::ForeignHost),
                "{bad}"
            );
        }
        assert_eq!(check_host(&HeaderMap::new()), Err(Refusal::ForeignHost));
    }

    #[test]
    fn foreign_origins_are_refused() {
        assert_eq!(check_origin(&HeaderMap::new()), Ok(()));
        assert_eq!(
            check_origin(&with(header::ORIGIN, "http://127.0.0.1:7870")),
            Ok(())
        );
        for bad in ["null", "http://evil.example", "https://localhost.evil:1"] {
            assert_eq!(
                check_origin(&with(header::ORIGIN, bad)),
                Err(Refusal::ForeignOrigin)
            );
        }
    }

    #[test]
    fn logins_live_until_they_expire() {
        let l = Logins::default();
        let (secret, csrf) = l.create(1000).unwrap();
        let h = with(header::COOKIE, &format!("a=b; {SESSION_COOKIE}={secret}"));
        assert_eq!(l.csrf_of(&h, 2000), Ok(csrf));
        assert_eq!(
            l.csrf_of(&h, 1000 + SESSION_SECS * 1000),
            Err(Refusal::NotLoggedIn)
        );
        let wrong = with(header::COOKIE, &format!("{SESSION_COOKIE}=00"));
        assert_eq!(l.csrf_of(&wrong, 2000), Err(Refusal::NotLoggedIn));
        l.remove(&h);
        assert_eq!(l.csrf_of(&h, 2000), Err(Refusal::NotLoggedIn));
        assert!(!same("", ""));
        assert!(same("ab", "ab") && !same("ab", "ac") && !same("ab", "abc"));
    }
}
