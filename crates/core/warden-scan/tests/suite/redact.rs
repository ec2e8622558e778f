//! `redact`: every secret replaced by `[REDACTED:<family>]`, nothing else touched, nothing
//! allocated when there is nothing to hide.

use std::borrow::Cow;

use pretty_assertions::assert_eq;
use warden_scan::{redact, scan};

use super::support::Gen;

#[test]
fn replaces_each_secret_with_its_family() {
    let mut g = Gen::new(40);
    let gh = format!("ghp_{}", g.base62(36));
    let aws = format!("AKIA{}", g.upper32(16));
    let pass = g.base62(20);
    let text = format!(
        "GITHUB_TOKEN={gh}\nAWS_ACCESS_KEY_ID={aws}\nDATABASE_URL=postgres://app:{pass}@db.internal/main\n"
    );
    assert_eq!(
        redact(&text),
        "GITHUB_TOKEN=[REDACTED:secret.github_token]\n\
         AWS_ACCESS_KEY_ID=[REDACTED:secret.aws_access_key_id]\n\
         DATABASE_URL=postgres://app:[REDACTED:secret.connection_string]@db.internal/main\n"
    );
}

#[test]
fn borrows_when_there_is_nothing_to_hide() {
    let text = "nothing to see here: https://example.com/?page=2";
    assert!(matches!(redact(text), Cow::Borrowed(_)));
}

#[test]
fn is_stable_under_repetition() {
    let (text, _) = warden_scan::corpus::dirty(64 * 1024, 1024, 41);
    let once = redact(&text).into_owned();
    assert_eq!(redact(&once), once);
}

#[test]
fn leaves_no_planted_secret_behind() {
    let (text, planted) = warden_scan::corpus::dirty(256 * 1024, 1024, 42);
    assert!(planted > 100);
    let found = scan(&text);
    let redacted = redact(&text);
    for f in &found.secrets {
        if f.confidence > warden_scan::Confidence::Low {
            let secret = &text[f.start..f.end];
            assert!(
                !redacted.contains(secret),
                "{} survived: {secret}",
                f.family
            );
        }
    }
}

#[test]
fn redacts_beyond_the_findings_cap() {
    let mut g = Gen::new(43);
    let keys: Vec<String> = (0..warden_scan::MAX_FINDINGS + 50)
        .map(|_| format!("AKIA{}", g.upper32(16)))
        .collect();
    let text = keys.join("\n");
    let found = scan(&text);
    assert!(found.truncated);
    assert_eq!(found.secrets.len(), warden_scan::MAX_FINDINGS);
    let redacted = redact(&text);
    assert!(!redacted.contains("AKIA"));
}
