//! Text a user reads all day must stay quiet: the benchmark's clean corpus (code, prose, JSON,
//! logs, lockfiles with hashes, git output, READMEs, HTML, placeholder configs) and a few
//! classic look-alikes.

use warden_scan::{scan, Confidence};

use super::support::{families, Gen};

#[test]
fn the_clean_corpus_has_nothing_above_low_confidence() {
    for seed in [1, 2, 3] {
        let text = warden_scan::corpus::clean(1 << 20, seed);
        let loud: Vec<_> = scan(&text)
            .iter()
            .filter(|f| f.confidence >= Confidence::Medium)
            .map(|f| {
                (
                    f.family,
                    text[f.start.saturating_sub(40)..(f.end + 40).min(text.len())].to_string(),
                )
            })
            .collect();
        assert!(loud.is_empty(), "seed {seed}: {loud:#?}");
    }
}

#[test]
fn git_log_lockfiles_uuids_and_data_uris() {
    let mut g = Gen::new(50);
    let samples = [
        format!(
            "commit {}\nAuthor: Dev <dev@example.com>\nDate:   Tue May 7 10:00:00 2024 +0200\n\n    Fix token refresh\n",
            g.hex(40)
        ),
        format!(
            "\"node_modules/lodash\": {{\"version\": \"4.17.21\", \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\", \"integrity\": \"sha512-{}==\"}}",
            g.base64(86)
        ),
        format!("[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nchecksum = \"{}\"\n", g.hex(64)),
        format!("golang.org/x/sys v0.20.0 h1:{}=", g.base64(43)),
        "request_id=123e4567-e89b-42d3-a456-426614174000 user=550e8400-e29b-41d4-a716-446655440000".to_string(),
        format!("<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA{}==\">", g.base64(4000)),
        format!("image: registry.example.com/app@sha256:{}", g.hex(64)),
        format!("etag: W/\"{}\"  x-request-id: {}", g.hex(32), g.base62(22)),
    ];
    for text in &samples {
        assert!(families(text).is_empty(), "{text}: {:?}", families(text));
    }
}

#[test]
fn base64_blobs_do_not_hide_prefixes() {
    // Long base64 runs contain `AKIA`, `AIza`, `eyJ` and `sk-` now and then; boundaries keep
    // them from being read as keys.
    let mut g = Gen::new(51);
    let blob = g.base64(1 << 20);
    assert!(families(&blob).is_empty());
}

#[test]
fn env_examples_and_templates() {
    let text = "# copy to .env\nSECRET_KEY=changeme\nAPI_TOKEN=<your-api-token>\nDB_PASSWORD=${DB_PASSWORD}\n\
                OPENAI_API_KEY=sk-...\nAWS_SECRET_ACCESS_KEY=your-secret-key-here\nGITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n\
                password: \"{{ vault_db_password }}\"\nsession_secret: xxxxxxxxxxxxxxxxxxxxxxxx\n";
    assert!(families(text).is_empty(), "{:?}", families(text));
}
