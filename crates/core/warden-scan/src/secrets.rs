//! Secret detectors, written from the documented token formats of each provider, plus generic
//! `key = value` assignments judged by entropy with guards against what only looks random
//! (hex digests, UUIDs, integrity hashes, placeholders, documented example keys).
//!
//! Each verifier starts at an anchor hit, checks boundaries and the exact shape, and returns
//! the offset its trigger's watermark moves to. A shape that matches but looks like an example
//! or fixture is reported at low confidence rather than dropped, so a human can still see it.

use regex::Regex;

use crate::err::BuildError;
use crate::finding::{Confidence, Finding, Severity};
use crate::scanner::Ctx;
use crate::text::{
    at, b64_decode, before, classes, contains_ci, distinct, entropy, is_b64, is_hex, is_token,
    is_uuid, is_word, run_end, run_start, skip_blanks, starts, starts_ci,
};

use Confidence as C;
use Severity as S;

/// The few detectors that search a small window with a regex (rare keyword context).
pub(crate) struct Rx {
    discord: Regex,
    telegram: Regex,
    twilio_sk: Regex,
    twilio_auth: Regex,
}

fn compile(name: &'static str, pattern: &str) -> Result<Regex, BuildError> {
    Regex::new(pattern).map_err(|e| BuildError::Regex {
        name,
        message: e.to_string(),
    })
}

impl Rx {
    pub fn new() -> Result<Rx, BuildError> {
        Ok(Rx {
            // Discord bot token: base64 of the bot's numeric id (so it starts with M, N or O),
            // a six-character timestamp and an HMAC, dot-separated.
            discord: compile(
                "discord",
                r"(?-u:\b)[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?-u:\b)",
            )?,
            // Telegram bot token: the bot id, a colon and 35 URL-safe base64 characters.
            telegram: compile(
                "telegram",
                r"(?-u:\b)[0-9]{8,10}:[A-Za-z0-9_-]{35}(?:[^A-Za-z0-9_-]|$)",
            )?,
            // Twilio API key SID (`SK` and 32 hex digits); the account SID (`AC…`) is an id.
            twilio_sk: compile("twilio_sk", r"(?-u:\b)SK[0-9a-f]{32}(?-u:\b)")?,
            // Twilio auth token: 32 hex digits assigned to something named auth, token or secret.
            twilio_auth: compile(
                "twilio_auth",
                r#"(?i)(?:auth|token|secret)[A-Za-z_ "':=]{0,24}?(?-u:\b)([0-9a-f]{32})(?-u:\b)"#,
            )?,
        })
    }
}

/// Where a family stands when two findings overlap: the specific format wins over context,
/// context over a generic assignment.
fn priority(family: &str) -> u8 {
    match family {
        "secret.generic" | "secret.password" | "secret.bearer_token" => 0,
        "secret.aws_secret_access_key"
        | "secret.twilio_auth_token"
        | "secret.twilio_api_key"
        | "secret.discord_bot_token"
        | "secret.telegram_bot_token" => 1,
        _ => 2,
    }
}

/// Drops the weaker of any two overlapping secrets (sorted by start on return).
pub(crate) fn resolve_overlaps(list: &mut Vec<Finding>) {
    list.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(list.len());
    for f in list.drain(..) {
        match kept.last_mut() {
            Some(last) if last.overlaps(&f) => {
                let better = (priority(f.family), f.end - f.start)
                    > (priority(last.family), last.end - last.start);
                if better {
                    *last = f;
                }
            }
            _ => kept.push(f),
        }
    }
    *list = kept;
}

/// Whether a token body looks made up: few distinct characters, runs like `xxxx` or `0000`, or
/// words such as `example`, `test`, `fake`, `dummy`, `sample`.
pub(crate) fn looks_fake(body: &[u8]) -> bool {
    let min_distinct = if body.len() >= 24 { 8 } else { 6 };
    distinct(body) < min_distinct
        || [
            "example", "xxxxx", "00000", "12345678", "abcdefgh", "dummy", "sample", "fake",
        ]
        .iter()
        .any(|w| contains_ci(body, w.as_bytes()))
        || (contains_ci(body, b"test") && entropy(body) < 4.0)
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn confidence(body: &[u8]) -> Confidence {
    if looks_fake(body) {
        C::Low
    } else {
        C::High
    }
}

/// A token made of a fixed prefix (`plen` bytes at `pos`) and a body of `min..=max` bytes
/// matching `pred`, standing alone (no token character on either side). Returns its end and
/// whether it matched.
fn prefixed(
    b: &[u8],
    pos: usize,
    plen: usize,
    min: usize,
    max: usize,
    pred: fn(u8) -> bool,
) -> (usize, bool) {
    if is_token(before(b, pos)) {
        return (pos + plen, false);
    }
    let from = pos + plen;
    let end = run_end(b, from, max + 1, pred);
    let n = end - from;
    (end, n >= min && n <= max && !is_token(at(b, end)))
}

/// Reports a prefixed token when the shape matches.
#[allow(clippy::too_many_arguments)]
fn simple(
    ctx: &mut Ctx<'_>,
    pos: usize,
    plen: usize,
    min: usize,
    max: usize,
    pred: fn(u8) -> bool,
    family: &'static str,
    severity: Severity,
    note: &'static str,
) -> usize {
    let (end, ok) = prefixed(ctx.b, pos, plen, min, max, pred);
    if ok {
        let body = ctx.b.get(pos + plen..end).unwrap_or(&[]);
        let conf = confidence(body);
        ctx.secret(family, severity, conf, pos, end, plen, note);
    }
    end
}

/// AWS access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 uppercase base32
/// characters; a 40-character secret key close after it is reported too.
pub(crate) fn aws_id(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if is_token(before(b, pos)) {
        return pos + 4;
    }
    let end = run_end(b, pos + 4, 32, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit()
    });
    if end - pos != 20 || is_token(at(b, end)) || at(b, end).is_ascii_alphanumeric() {
        return end;
    }
    let body = b.get(pos + 4..end).unwrap_or(&[]);
    let example = contains_ci(body, b"example");
    let conf = if example || looks_fake(body) {
        C::Low
    } else {
        C::High
    };
    let note = if example {
        "AWS access key id (documented example)"
    } else {
        "AWS access key id"
    };
    ctx.secret("secret.aws_access_key_id", S::High, conf, pos, end, 4, note);
    if let Some((s, e)) = b64_40(b, end, end + 400) {
        let key = b.get(s..e).unwrap_or(&[]);
        let conf = if example || contains_ci(key, b"example") {
            C::Low
        } else {
            C::High
        };
        ctx.secret(
            "secret.aws_secret_access_key",
            S::Critical,
            conf,
            s,
            e,
            0,
            "AWS secret access key next to its key id",
        );
    }
    end
}

/// The first standalone run of exactly 40 base64 characters in `from..to` that mixes cases and
/// digits (an AWS secret access key's shape; a hex SHA-1 has two classes only).
fn b64_40(b: &[u8], from: usize, to: usize) -> Option<(usize, usize)> {
    let to = to.min(b.len());
    let mut i = from;
    while i < to {
        if is_b64(at(b, i)) && !is_b64(before(b, i)) {
            let j = run_end(b, i, 41, is_b64);
            let run = b.get(i..j).unwrap_or(&[]);
            if j - i == 40 && at(b, j) != b'=' && classes(run) >= 3 && entropy(run) >= 4.0 {
                return Some((i, j));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// GitHub classic tokens: `ghp_` (personal), `gho_` (OAuth), `ghu_` (user-to-server), `ghs_`
/// (server-to-server), `ghr_` (refresh), then 36 base62 characters (the last six a checksum).
pub(crate) fn github(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        4,
        36,
        251,
        is_alnum,
        "secret.github_token",
        S::Critical,
        "GitHub token",
    )
}

/// GitHub fine-grained personal access token: `github_pat_`, 22 characters, `_`, 59 more.
pub(crate) fn github_pat(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        11,
        50,
        244,
        |c| c.is_ascii_alphanumeric() || c == b'_',
        "secret.github_token",
        S::Critical,
        "GitHub fine-grained token",
    )
}

/// GitLab personal access token: `glpat-` and 20 or more URL-safe characters.
pub(crate) fn gitlab(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        6,
        20,
        255,
        is_token,
        "secret.gitlab_token",
        S::Critical,
        "GitLab personal access token",
    )
}

/// Slack tokens: `xoxb-` (bot), `xoxp-` (user), `xoxa-`, `xoxr-` (refresh), `xoxs-`, `xoxe`
/// (rotating), `xapp-` (app-level), made of dash-separated numeric ids and a random tail.
pub(crate) fn slack(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if is_token(before(b, pos)) {
        return pos + 4;
    }
    let kind = at(b, pos + 3);
    let app = starts(b, pos, b"xapp-");
    let token_kind = matches!(kind, b'a' | b'b' | b'p' | b'r' | b's' | b'e')
        && matches!(at(b, pos + 4), b'-' | b'.');
    if !(app || token_kind) {
        return pos + 3;
    }
    let mut end = run_end(b, pos, 512, |c| is_token(c) || c == b'.');
    while end > pos && matches!(at(b, end - 1), b'.' | b'-') {
        end -= 1;
    }
    let tok = b.get(pos..end).unwrap_or(&[]);
    let dashes = tok.iter().filter(|c| **c == b'-').count();
    let digits = tok.iter().filter(|c| c.is_ascii_digit()).count();
    if tok.len() >= 24 && dashes >= 2 && digits >= 6 {
        let conf = confidence(tok.get(5..).unwrap_or(&[]));
        ctx.secret(
            "secret.slack_token",
            S::High,
            conf,
            pos,
            end,
            5,
            "Slack token",
        );
    }
    end
}

/// Stripe secret (`sk_`) and restricted (`rk_`) keys; live keys move money, test keys do not.
pub(crate) fn stripe(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    let Some(start) = pos.checked_sub(1) else {
        return pos + 7;
    };
    let kind = at(b, start);
    if !matches!(kind, b's' | b'r') {
        return pos + 7;
    }
    let (end, ok) = prefixed(b, start, 8, 20, 247, is_alnum);
    if ok {
        let live = at(b, pos + 2) == b'l';
        let family = if kind == b's' {
            "secret.stripe_secret_key"
        } else {
            "secret.stripe_restricted_key"
        };
        let body = b.get(start + 8..end).unwrap_or(&[]);
        let (sev, note) = if live {
            (S::Critical, "Stripe live key")
        } else {
            (S::Low, "Stripe test key (cannot move money)")
        };
        ctx.secret(family, sev, confidence(body), start, end, 8, note);
    }
    end
}

/// Stripe webhook signing secret: `whsec_` and base64.
pub(crate) fn stripe_webhook(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        6,
        24,
        128,
        |c| is_b64(c) || c == b'=',
        "secret.stripe_webhook_secret",
        S::High,
        "Stripe webhook signing secret",
    )
}

/// Google API key: `AIza` and exactly 35 URL-safe characters. Often meant for browsers (and
/// then restricted by referrer), hence medium severity.
pub(crate) fn google_key(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        4,
        35,
        35,
        is_token,
        "secret.google_api_key",
        S::Medium,
        "Google API key",
    )
}

/// Google OAuth client secret: `GOCSPX-` and URL-safe characters.
pub(crate) fn google_secret(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        7,
        24,
        40,
        is_token,
        "secret.google_oauth_client_secret",
        S::High,
        "Google OAuth client secret",
    )
}

/// Google OAuth access token: `ya29.` and a long URL-safe tail.
pub(crate) fn google_token(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    simple(
        ctx,
        pos,
        5,
        30,
        2048,
        |c| is_token(c) || c == b'.',
        "secret.google_oauth_token",
        S::High,
        "Google OAuth access token",
    )
}

/// npm access token: `npm_` and 36 base62 characters (a checksum at the end, like GitHub's).
pub(crate) fn npm(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let (end, ok) = prefixed(ctx.b, pos, 4, 36, 36, is_alnum);
    let body = ctx.b.get(pos + 4..end).unwrap_or(&[]);
    if ok && classes(body) >= 2 {
        ctx.secret(
            "secret.npm_token",
            S::Critical,
            confidence(body),
            pos,
            end,
            4,
            "npm access token",
        );
    }
    end
}

/// PyPI API token: `pypi-` and a macaroon whose base64 starts with the issuer, `pypi.org`
/// (`AgEIcHlwaS5vcmc`) or `test.pypi.org` (`AgENdGVzdC5weXBpLm9yZw`).
pub(crate) fn pypi(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    let (end, ok) = prefixed(b, pos, 5, 60, 4096, is_token);
    if ok {
        let prod = starts(b, pos + 5, b"AgEIcHlwaS5vcmc");
        let test = starts(b, pos + 5, b"AgENdGVzdC5weXBpLm9yZw");
        if prod || test {
            let (sev, note) = if prod {
                (S::Critical, "PyPI API token")
            } else {
                (S::Low, "TestPyPI API token")
            };
            let body = b.get(pos + 20..end).unwrap_or(&[]);
            ctx.secret(
                "secret.pypi_token",
                sev,
                confidence(body),
                pos,
                end,
                20,
                note,
            );
        }
    }
    end
}

/// Hugging Face user access token: `hf_` and 34 letters.
pub(crate) fn huggingface(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let (end, ok) = prefixed(ctx.b, pos, 3, 30, 40, is_alnum);
    let body = ctx.b.get(pos + 3..end).unwrap_or(&[]);
    if ok && classes(body) >= 2 {
        let exact = body.len() == 34 && body.iter().all(u8::is_ascii_alphabetic);
        let conf = if looks_fake(body) {
            C::Low
        } else if exact {
            C::High
        } else {
            C::Medium
        };
        ctx.secret(
            "secret.huggingface_token",
            S::High,
            conf,
            pos,
            end,
            3,
            "Hugging Face access token",
        );
    }
    end
}

/// SendGrid API key: `SG.`, 22 URL-safe characters, `.`, 43 more.
pub(crate) fn sendgrid(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if is_token(before(b, pos)) {
        return pos + 3;
    }
    let mid = run_end(b, pos + 3, 23, is_token);
    if mid - pos - 3 != 22 || at(b, mid) != b'.' {
        return mid;
    }
    let end = run_end(b, mid + 1, 44, is_token);
    if end - mid - 1 != 43 || is_token(at(b, end)) {
        return end;
    }
    let body = b.get(pos + 3..end).unwrap_or(&[]);
    ctx.secret(
        "secret.sendgrid_api_key",
        S::High,
        confidence(body),
        pos,
        end,
        3,
        "SendGrid API key",
    );
    end
}

/// Keys in the `sk-` shape: Anthropic (`sk-ant-api03-…`), OpenAI (`sk-proj-…`, `sk-svcacct-…`,
/// `sk-admin-…`, and legacy keys carrying `T3BlbkFJ`, base64 of "OpenAI"), and other vendors'
/// `sk-` keys of the same shape.
pub(crate) fn sk_key(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if is_token(before(b, pos)) || before(b, pos) == b'.' {
        return pos + 3;
    }
    let rest = pos + 3;
    if starts(b, rest, b"ant-") {
        // sk-ant-<purpose><2 digits>-<body>
        let purpose_end = run_end(b, rest + 4, 12, |c| c.is_ascii_lowercase());
        let digits_end = run_end(b, purpose_end, 3, |c| c.is_ascii_digit());
        if purpose_end > rest + 4 && digits_end - purpose_end == 2 && at(b, digits_end) == b'-' {
            let body_start = digits_end + 1;
            let end = run_end(b, body_start, 512, is_token);
            if end - body_start >= 32 {
                let body = b.get(body_start..end).unwrap_or(&[]);
                ctx.secret(
                    "secret.anthropic_api_key",
                    S::Critical,
                    confidence(body),
                    pos,
                    end,
                    body_start - pos,
                    "Anthropic API key",
                );
            }
            return end;
        }
        return digits_end;
    }
    for project in [&b"proj-"[..], b"svcacct-", b"admin-", b"None-"] {
        if starts(b, rest, project) {
            let body_start = rest + project.len();
            let end = run_end(b, body_start, 512, is_token);
            if end - body_start >= 20 {
                let body = b.get(body_start..end).unwrap_or(&[]);
                ctx.secret(
                    "secret.openai_api_key",
                    S::Critical,
                    confidence(body),
                    pos,
                    end,
                    body_start - pos,
                    "OpenAI API key",
                );
            }
            return end;
        }
    }
    let end = run_end(b, rest, 201, is_alnum);
    let body = b.get(rest..end).unwrap_or(&[]);
    if body.len() < 32 || body.len() > 200 || is_token(at(b, end)) {
        return end;
    }
    if body.windows(8).any(|w| w == b"T3BlbkFJ") {
        ctx.secret(
            "secret.openai_api_key",
            S::Critical,
            confidence(body),
            pos,
            end,
            3,
            "OpenAI API key (legacy format)",
        );
    } else if classes(body) >= 2 && entropy(body) >= 3.5 {
        let conf = if looks_fake(body) { C::Low } else { C::Medium };
        ctx.secret(
            "secret.sk_api_key",
            S::High,
            conf,
            pos,
            end,
            3,
            "API key in the `sk-` shape",
        );
    }
    end
}

/// The PEM labels that hold private keys.
fn private_label(label: &[u8]) -> bool {
    label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")
}

/// Private key blocks: `-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----`
/// through the matching END line, also with `\n` escapes (a key inside a JSON string, such as a
/// Google service-account file).
pub(crate) fn pem(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    let label_start = pos + 11;
    if at(b, pos + 10) != b' ' {
        return pos + 10;
    }
    let label_end = run_end(b, label_start, 40, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
    });
    if !starts(b, label_end, b"-----") {
        return label_end;
    }
    let label = b.get(label_start..label_end).unwrap_or(&[]);
    if !private_label(label) {
        return label_end;
    }
    // The body: up to the END line, at most 64 KiB on.
    let body_start = label_end + 5;
    let limit = (body_start + 64 * 1024).min(b.len());
    let window = crate::text::slice(ctx.text, body_start, limit);
    let (body_end, end) = match window.find("-----END") {
        Some(i) => {
            let e = body_start + i;
            let close = run_end(b, e + 8, 64, |c| c != b'\n' && c != b'"');
            (e, close)
        }
        None => {
            let e = run_end(b, body_start, 64 * 1024, |c| {
                is_b64(c) || matches!(c, b'=' | b'\n' | b'\r' | b' ' | b'\\' | b':' | b'-' | b',')
            });
            (e, e)
        }
    };
    let body = b.get(body_start..body_end).unwrap_or(&[]);
    let b64 = body.iter().filter(|c| is_b64(**c)).count();
    // A header quoted in documentation, with no key material after it.
    if b64 < 32 {
        return end;
    }
    let conf = if b64 >= 100 && !looks_fake(body) {
        C::High
    } else {
        C::Low
    };
    // A `"private_key": "` right before it: a Google service-account key file.
    let back = crate::text::slice(ctx.text, pos.saturating_sub(48), pos);
    let family = if back.contains("private_key") {
        "secret.gcp_service_account_key"
    } else {
        "secret.private_key"
    };
    ctx.secret(
        family,
        S::Critical,
        conf,
        pos,
        end,
        label_end + 5 - pos,
        "private key block",
    );
    end
}

fn is_b64url(c: u8) -> bool {
    is_token(c)
}

/// JWT (JWS compact): `eyJ…` header, `.`, `eyJ…` payload, `.`, signature (empty for `alg:
/// none`). The anchor is the `.eyJ` between header and payload.
pub(crate) fn jwt(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    let hs = run_start(b, pos, 4096, is_b64url);
    if pos - hs < 10 || !starts(b, hs, b"eyJ") || before(b, hs) == b'.' {
        return pos + 4;
    }
    let payload_end = run_end(b, pos + 1, 16 * 1024, is_b64url);
    if payload_end - pos - 1 < 10 || at(b, payload_end) != b'.' {
        return payload_end;
    }
    let end = run_end(b, payload_end + 1, 4096, is_b64url);
    if is_b64url(at(b, end)) || at(b, end) == b'.' {
        return end;
    }
    let header = b64_decode(b.get(hs..pos).unwrap_or(&[])).unwrap_or_default();
    let payload = b64_decode(b.get(pos + 1..payload_end).unwrap_or(&[])).unwrap_or_default();
    let json_header = header.first() == Some(&b'{')
        && (contains_ci(&header, b"\"alg\"") || contains_ci(&header, b"\"typ\""));
    if !json_header && payload.first() != Some(&b'{') {
        return end;
    }
    let fixture = contains_ci(&payload, b"john doe")
        || contains_ci(&payload, b"\"1234567890\"")
        || contains_ci(&payload, b"example")
        || contains_ci(&payload, b"test");
    let conf = if fixture {
        C::Low
    } else if json_header {
        C::High
    } else {
        C::Medium
    };
    let note = if end == payload_end + 1 {
        "JWT without signature (alg none)"
    } else {
        "JWT bearer token"
    };
    ctx.secret("secret.jwt", S::Medium, conf, hs, end, 3, note);
    end
}

/// Characters of a key name in an assignment (`spring.datasource.password`, `X-Api-Key`).
fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

/// Parts of a key name that make it not a secret (`token_type`, `password_min_length`).
const NOT_SECRET: &[&str] = &[
    "type",
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "name",
    "names",
    "id",
    "ids",
    "count",
    "length",
    "len",
    "size",
    "max",
    "min",
    "limit",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "header",
    "field",
    "label",
    "prompt",
    "hint",
    "pattern",
    "regex",
    "format",
    "env",
    "var",
    "ref",
    "arn",
    "version",
    "kind",
    "mode",
    "policy",
    "rotation",
    "enabled",
    "required",
    "usage",
    "used",
    "hash",
    "digest",
    "checksum",
    "sha",
    "reset",
    "strength",
    "provider",
    "manager",
    "store",
    "source",
    "location",
    "dir",
    "helper",
    "question",
    "file",
    "filename",
    "next",
    "page",
    "cursor",
    "continuation",
    "sync",
    "pagination",
    "placeholder",
    "example",
    "template",
    "class",
    "schema",
    "validator",
    "policy",
    "flag",
    "option",
    "options",
    "mask",
    "input",
    "key_id",
    "prefix",
    "suffix",
    "last4",
    "fingerprint",
    "scope",
    "scopes",
    "index",
    "status",
    "state",
    "error",
    "errors",
    "msg",
    "message",
    "text",
    "label",
    "description",
];

/// The key words an assignment must name (whole components of the key).
fn secret_word(word: &[u8]) -> Option<bool> {
    // Some(true): a password; Some(false): another secret.
    if ["password", "passwd", "passphrase", "pass", "pwd"]
        .iter()
        .any(|w| is(word, w))
    {
        Some(true)
    } else if [
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "auth",
        "bearer",
    ]
    .iter()
    .any(|w| is(word, w))
    {
        Some(false)
    } else {
        None
    }
}

/// Splits a key name into components on `_ - .` and camelCase humps, as byte ranges (no
/// allocation: this runs for every keyword followed by an operator).
fn components(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < key.len() {
            let c = at(key, i);
            if matches!(c, b'_' | b'-' | b'.') {
                let part = key.get(start..i);
                i += 1;
                start = i;
                match part {
                    Some(p) if !p.is_empty() => return Some(p),
                    _ => continue,
                }
            }
            let hump = c.is_ascii_uppercase()
                && i > start
                && (before(key, i).is_ascii_lowercase() || before(key, i).is_ascii_digit());
            if hump {
                let part = key.get(start..i);
                start = i;
                i += 1;
                if let Some(p) = part {
                    return Some(p);
                }
                continue;
            }
            i += 1;
        }
        let part = key.get(start..).filter(|p| !p.is_empty());
        start = key.len();
        part
    })
}

fn is(part: &[u8], word: &str) -> bool {
    part.eq_ignore_ascii_case(word.as_bytes())
}

/// What a key name says about its value: `None` when it does not name a secret, `Some(true)`
/// for a password, `Some(false)` for another secret.
fn classify_key(key: &[u8]) -> Option<bool> {
    let mut password = None;
    let mut prev: &[u8] = &[];
    let mut parts: [&[u8]; 12] = [&[]; 12];
    let mut n = 0;
    for (slot, p) in parts.iter_mut().zip(components(key)) {
        *slot = p;
        n += 1;
    }
    for (i, p) in parts.iter().take(n).enumerate() {
        if NOT_SECRET.iter().any(|w| is(p, w)) || starts_ci(p, 0, b"sha") || starts_ci(p, 0, b"md5")
        {
            return None;
        }
        // `api_key`, `apiKey`, `secret_key`, `private_key`: "key" counts after a qualifier.
        let word = if is(p, "key") {
            [
                "api",
                "secret",
                "private",
                "access",
                "auth",
                "client",
                "master",
                "encryption",
                "signing",
                "app",
                "service",
                "account",
                "license",
            ]
            .iter()
            .any(|q| is(prev, q))
            .then_some(false)
        } else if is(p, "pass") && i + 1 < n {
            None
        } else {
            secret_word(p)
        };
        if let Some(w) = word {
            password = Some(password.unwrap_or(false) || w);
        }
        prev = p;
    }
    password
}

/// Values that stand for a secret without being one.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    if distinct(v) <= 3 {
        return true;
    }
    if matches!(v.first(), Some(b'<' | b'[' | b'{' | b'%' | b'*'))
        || matches!(v.last(), Some(b'>' | b']' | b'}'))
        || (v.first() == Some(&b'$')
            && matches!(
                v.get(1),
                Some(b'{' | b'(' | b'A'..=b'Z' | b'a'..=b'z' | b'_')
            ))
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let l = lower.as_slice();
    const EXACT: &[&str] = &[
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "password",
        "secret",
        "token",
        "pass",
        "test",
        "admin",
        "root",
        "default",
        "empty",
        "string",
        "required",
        "optional",
        "hidden",
        "masked",
        "unset",
        "changeit",
        "letmein",
        "username",
        "apikey",
        "api_key",
    ];
    if EXACT.iter().any(|w| l == w.as_bytes()) {
        return true;
    }
    const WORDS: &[&str] = &[
        "xxxx",
        "****",
        "....",
        "…",
        "example",
        "changeme",
        "change_me",
        "change-me",
        "your_",
        "your-",
        "yourpass",
        "yoursecret",
        "yourtoken",
        "yourkey",
        "placeholder",
        "dummy",
        "redacted",
        "replace",
        "insert_",
        "insert-",
        "enter_",
        "enter-",
        "todo",
        "fixme",
        "sample",
        "-here",
        "_here",
        "foobar",
        "lorem",
        "secret123",
        "password123",
        "p@ssw0rd",
        "not-a-real",
        "notreal",
        "not_real",
        "fake",
    ];
    // One pass over the value: check each word only where its first byte occurs.
    l.iter().enumerate().any(|(i, c)| {
        WORDS.iter().any(|w| {
            w.as_bytes().first() == Some(c)
                && l.get(i..).is_some_and(|r| r.starts_with(w.as_bytes()))
        })
    })
}

/// Whether an unquoted value is code rather than a literal (`next_token(x)`, `self.token`,
/// `str`, `Option<String>`).
fn is_code(v: &[u8]) -> bool {
    if v.iter().any(|c| {
        matches!(
            c,
            b'(' | b')' | b'[' | b'<' | b'>' | b'{' | b'$' | b'&' | b'*'
        )
    }) || v.windows(2).any(|w| w == b"::" || w == b"->")
    {
        return true;
    }
    let ident = v
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && v.iter().all(|c| is_word(*c) || *c == b'.');
    // `self.token`, `FTS5_MAX_TOKEN_SIZE`, `str`: names, not literals. A bare word with digits
    // and mixed case but no separator (`s3cr3tP4ss`) is still judged.
    let constant = v
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && v.contains(&b'_');
    ident
        && (!v.iter().any(u8::is_ascii_digit) || v.contains(&b'.') || v.contains(&b'_') || constant)
}

/// How an assigned value reads as a secret: `None` when it does not.
fn judge(value: &[u8], password: bool, quoted: bool) -> Option<Confidence> {
    let n = value.len();
    if n < if password { 6 } else { 8 } || n > 256 {
        return None;
    }
    if !quoted && is_code(value) {
        return None;
    }
    if [
        "sha1-", "sha256-", "sha384-", "sha512-", "data:", "file:", "http:", "https:",
    ]
    .iter()
    .any(|p| starts_ci(value, 0, p.as_bytes()))
        || value.windows(3).any(|w| w == b"://")
        || is_placeholder(value)
    {
        return None;
    }
    // UUIDs, and values that name themselves (`m2m-access-token-12345`, `test-api-key-1`),
    // are ids and fixtures more often than secrets.
    if is_uuid(value)
        || [
            "token", "secret", "password", "passwd", "apikey", "api-key", "api_key",
        ]
        .iter()
        .any(|w| contains_ci(value, w.as_bytes()))
    {
        return Some(C::Low);
    }
    let h = entropy(value);
    let k = classes(value);
    // Only lowercase letters and separators: a name (`my-app-secret`), not a secret.
    let wordy = value
        .iter()
        .all(|c| c.is_ascii_lowercase() || matches!(c, b'-' | b'_' | b'.' | b' '));
    if password {
        if value.contains(&b' ') && k <= 2 {
            return None;
        }
        return Some(if wordy {
            C::Low
        } else if n >= 8 && (k >= 3 || h >= 3.0) {
            C::High
        } else {
            C::Medium
        });
    }
    if value.contains(&b' ') || wordy {
        return None;
    }
    if is_hex(value) {
        return (n >= 16).then_some(C::Medium);
    }
    // Short values (a 10-character badge token) are too weak to call; real keys are longer.
    if n >= 20 && h >= 3.5 && k >= 2 {
        Some(C::High)
    } else if n >= 16 && h >= 3.2 && k >= 2 {
        Some(C::Medium)
    } else {
        None
    }
}

/// Generic assignments: a key naming a secret (`password`, `api_key`, `SECRET_TOKEN`,
/// `client_secret`), an operator (`=`, `:`, `:=`, `=>`, or a `--flag value`) and a literal value
/// judged by entropy and guards.
pub(crate) fn assignment(ctx: &mut Ctx<'_>, pos: usize, alen: usize) -> usize {
    let b = ctx.b;
    let ks = run_start(b, pos, 48, is_key_char);
    let ke = run_end(b, pos + alen, 48, is_key_char);
    // Fast path: almost every keyword in code and prose is not followed by an operator.
    let mut i = ke;
    let mut key_quote = 0;
    match at(b, i) {
        q @ (b'"' | b'\'') => {
            key_quote = q;
            i += 1;
        }
        b'\\' if at(b, i + 1) == b'"' => i += 2,
        _ => {}
    }
    let mut j = skip_blanks(b, i, 4);
    let op = (at(b, j), at(b, j + 1));
    let flag = starts(b, ks, b"--") && key_quote == 0 && at(b, ke) == b' ';
    match op {
        (b'=', b'=') | (b':', b':') => return ke,
        (b'=', b'>') | (b':', b'=') => j += 2,
        (b'=', _) | (b':', _) => j += 1,
        _ if flag => {}
        _ => return ke,
    }
    let key = b.get(ks..ke).unwrap_or(&[]);
    let Some(password) = classify_key(key) else {
        return ke;
    };
    // The value: quoted (also `\"…\"` inside a JSON string) or bare.
    let vs = skip_blanks(b, j, 8);
    let (start, end, quoted) = match at(b, vs) {
        q @ (b'"' | b'\'' | b'`') => {
            let s = vs + 1;
            let e = run_end(b, s, 257, |c| c != q && c != b'\n' && c != b'\\');
            if at(b, e) != q {
                return e;
            }
            (s, e, true)
        }
        b'\\' if at(b, vs + 1) == b'"' => {
            let s = vs + 2;
            let e = run_end(b, s, 257, |c| c != b'\\' && c != b'"' && c != b'\n');
            (s, e, true)
        }
        _ => {
            let e = run_end(b, vs, 257, |c| {
                !c.is_ascii_whitespace()
                    && !matches!(
                        c,
                        b',' | b';' | b'}' | b')' | b']' | b'"' | b'\'' | b'`' | b'&'
                    )
            });
            (vs, e, false)
        }
    };
    let value = b.get(start..end).unwrap_or(&[]);
    // `nToken = iEnd-iStart;`: an unquoted value ending a statement is an expression.
    if !quoted && matches!(at(b, end), b';' | b')') {
        return end;
    }
    // An AWS secret access key: 40 base64 characters mixing cases and digits. Checked before
    // the placeholder guards so that the documentation's example is still shown (at low).
    if (contains_ci(key, b"secret_access_key") || contains_ci(key, b"secretaccesskey"))
        && value.len() == 40
        && value.iter().all(|c| is_b64(*c))
        && classes(value) >= 3
    {
        let conf = if contains_ci(value, b"example") {
            C::Low
        } else {
            C::High
        };
        ctx.secret(
            "secret.aws_secret_access_key",
            S::Critical,
            conf,
            start,
            end,
            0,
            "AWS secret access key",
        );
        return end;
    }
    let Some(conf) = judge(value, password, quoted) else {
        return end;
    };
    let (family, sev, note) = if password {
        ("secret.password", S::High, "password assigned in text")
    } else {
        (
            "secret.generic",
            S::High,
            "secret-named key with a random-looking value",
        )
    };
    ctx.secret(family, sev, conf, start, end, 2, note);
    end
}

/// `Authorization: Bearer <token>`.
pub(crate) fn bearer(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if is_word(before(b, pos)) || at(b, pos + 6) != b' ' {
        return pos + 6;
    }
    let s = skip_blanks(b, pos + 6, 4);
    let e = run_end(b, s, 4096, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
    });
    let value = b.get(s..e).unwrap_or(&[]);
    if value.len() >= 16 && !is_placeholder(value) && entropy(value) >= 3.5 && classes(value) >= 2 {
        ctx.secret(
            "secret.bearer_token",
            S::High,
            C::Medium,
            s,
            e,
            2,
            "bearer token in an Authorization header",
        );
    }
    e
}

/// Runs a regex over `from..to` and reports each match (or capture group 1).
#[allow(clippy::too_many_arguments)]
fn window(
    ctx: &mut Ctx<'_>,
    re: fn(&Rx) -> &Regex,
    from: usize,
    to: usize,
    family: &'static str,
    sev: Severity,
    note: &'static str,
) {
    let from = crate::text::floor_char(ctx.text, from);
    let to = crate::text::ceil_char(ctx.text, to.min(ctx.text.len()));
    let hay = ctx.text.get(..to).unwrap_or("");
    let Some(rx) = ctx.sc.secrets.get() else {
        // The detector cannot be built: the window is taken for a secret (fail closed).
        if from < to {
            ctx.secret(family, sev, Confidence::Medium, from, to, 2, note);
        }
        return;
    };
    let re = re(rx);
    let mut hits = Vec::new();
    for caps in re.captures_iter(hay.get(from..).unwrap_or("")) {
        if let Some(m) = caps.get(1).or_else(|| caps.get(0)) {
            let (s, e) = (from + m.start(), from + m.end());
            // The telegram pattern consumes one byte past the token to check its boundary.
            let e = run_start(ctx.b, e, 1, |c| !is_token(c)).min(e);
            hits.push((s, e));
        }
    }
    for (s, e) in hits {
        let body = ctx.b.get(s..e).unwrap_or(&[]);
        let conf = confidence(body);
        ctx.secret(family, sev, conf, s, e, 2, note);
    }
}

/// Twilio credentials within a few lines of the word "twilio".
pub(crate) fn twilio(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let to = pos + 400;
    window(
        ctx,
        |r| &r.twilio_sk,
        pos,
        to,
        "secret.twilio_api_key",
        S::High,
        "Twilio API key SID",
    );
    window(
        ctx,
        |r| &r.twilio_auth,
        pos,
        to,
        "secret.twilio_auth_token",
        S::High,
        "Twilio auth token",
    );
    to
}

/// Discord bot tokens near the word "discord".
pub(crate) fn discord(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let to = pos + 400;
    window(
        ctx,
        |r| &r.discord,
        pos.saturating_sub(200),
        to,
        "secret.discord_bot_token",
        S::High,
        "Discord bot token",
    );
    to
}

/// Telegram bot tokens near the word "telegram".
pub(crate) fn telegram(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let to = pos + 400;
    window(
        ctx,
        |r| &r.telegram,
        pos.saturating_sub(200),
        to,
        "secret.telegram_bot_token",
        S::High,
        "Telegram bot token",
    );
    to
}

/// Azure storage account keys (`AccountKey=` and 88 base64 characters) and Service Bus / Event
/// Hubs keys (`SharedAccessKey=`).
pub(crate) fn azure(ctx: &mut Ctx<'_>, pos: usize, alen: usize) -> usize {
    let b = ctx.b;
    let account = starts_ci(b, pos, b"accountkey");
    if !account && !starts_ci(b, pos, b"accesskey") {
        return pos + alen;
    }
    let mut i = pos + alen;
    if matches!(at(b, i), b'"' | b'\'') {
        i += 1;
    }
    i = skip_blanks(b, i, 2);
    if !matches!(at(b, i), b'=' | b':') {
        return i;
    }
    i = skip_blanks(b, i + 1, 2);
    if matches!(at(b, i), b'"' | b'\'') {
        i += 1;
    }
    let e = run_end(b, i, 128, is_b64);
    let e2 = run_end(b, e, 2, |c| c == b'=');
    let n = e - i;
    let value = b.get(i..e).unwrap_or(&[]);
    let ok = if account {
        (86..=88).contains(&n)
    } else {
        n >= 40
    };
    if ok && !is_placeholder(value) && classes(value) >= 3 {
        let (family, sev, note) = if account {
            (
                "secret.azure_storage_key",
                S::Critical,
                "Azure storage account key",
            )
        } else {
            (
                "secret.azure_shared_access_key",
                S::High,
                "Azure shared access key",
            )
        };
        ctx.secret(family, sev, confidence(value), i, e2, 0, note);
    }
    e2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names() {
        assert_eq!(classify_key(b"password"), Some(true));
        assert_eq!(classify_key(b"DB_PASSWORD"), Some(true));
        assert_eq!(classify_key(b"SECRET_TOKEN"), Some(false));
        assert_eq!(classify_key(b"apiKey"), Some(false));
        assert_eq!(classify_key(b"client_secret"), Some(false));
        assert_eq!(classify_key(b"spring.datasource.password"), Some(true));
        assert_eq!(classify_key(b"token_type"), None);
        assert_eq!(classify_key(b"max_tokens"), None);
        assert_eq!(classify_key(b"nextPageToken"), None);
        assert_eq!(classify_key(b"password_min_length"), None);
        assert_eq!(classify_key(b"key"), None);
        assert_eq!(classify_key(b"tokenizer"), None);
        assert_eq!(classify_key(b"passed"), None);
    }

    #[test]
    fn placeholders() {
        for v in [
            "changeme",
            "<your-api-key>",
            "${DB_PASSWORD}",
            "xxxxxxxxxxxx",
            "your-secret-key-here",
            "{{ vault_db_password }}",
            "YOUR_API_KEY",
            "$SECRET",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        assert!(!is_placeholder(b"q8Zr2LmP0vXs"));
    }
}
