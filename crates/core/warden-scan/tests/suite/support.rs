//! Helpers: token generation (fresh, format-valid, never a real credential) and short views of
//! what a scan found.

use warden_scan::corpus::{Rng, BASE62, BASE64, BASE64URL};
use warden_scan::{scan, Confidence, Finding, Findings};

/// Random strings drawn from a fixed seed per call site.
pub struct Gen(Rng);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(Rng::new(seed))
    }

    pub fn base62(&mut self, n: usize) -> String {
        self.0.string(BASE62, n)
    }

    pub fn base64(&mut self, n: usize) -> String {
        self.0.string(BASE64, n)
    }

    pub fn base64url(&mut self, n: usize) -> String {
        self.0.string(BASE64URL, n)
    }

    pub fn letters(&mut self, n: usize) -> String {
        self.0
            .string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", n)
    }

    pub fn upper32(&mut self, n: usize) -> String {
        self.0.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n)
    }

    pub fn hex(&mut self, n: usize) -> String {
        self.0.string(b"0123456789abcdef", n)
    }

    pub fn digits(&mut self, n: usize) -> String {
        self.0.string(b"0123456789", n)
    }
}

/// Families found at or above `min` confidence, in order.
pub fn families_at(text: &str, min: Confidence) -> Vec<&'static str> {
    scan(text)
        .iter()
        .filter(|f| f.confidence >= min)
        .map(|f| f.family)
        .collect()
}

/// Families found at medium confidence or above.
pub fn families(text: &str) -> Vec<&'static str> {
    families_at(text, Confidence::Medium)
}

/// The first finding of `family`, if any.
pub fn find(found: &Findings, family: &str) -> Option<Finding> {
    found.iter().find(|f| f.family == family).cloned()
}

/// The text a finding spans.
pub fn spanned<'a>(text: &'a str, f: &Finding) -> &'a str {
    &text[f.start..f.end]
}

/// Base64 of bytes (standard alphabet, padded): for building encoded payloads in tests.
pub fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= n {
                out.push(BASE64[(v >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Hex of bytes.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every byte percent-encoded (what an attacker does to hide letters).
pub fn percent_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
