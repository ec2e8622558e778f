//! Secret detectors: each provider's documented format, the shapes an attacker uses to slip a
//! key past a scanner, and the look-alikes (hashes, ids, placeholders, examples) that must stay
//! quiet or low.

use pretty_assertions::assert_eq;
use warden_scan::{scan, Confidence, Severity};

use super::support::{families, families_at, find, spanned, Gen};

#[test]
fn aws_access_key_id_and_secret_key() {
    let mut g = Gen::new(1);
    let id = format!("AKIA{}", g.upper32(16));
    let key = format!("{}/{}", g.base62(30), g.base62(9));
    let text = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {key}\n");
    let found = scan(&text);
    let f = find(&found, "secret.aws_access_key_id").unwrap();
    assert_eq!(spanned(&text, &f), id);
    assert_eq!(
        (f.severity, f.confidence),
        (Severity::High, Confidence::High)
    );
    let k = find(&found, "secret.aws_secret_access_key").unwrap();
    assert_eq!(spanned(&text, &k), key);
    assert_eq!(k.severity, Severity::Critical);
    // Temporary credentials.
    let sts = format!("ASIA{}", g.upper32(16));
    assert_eq!(families(&sts), ["secret.aws_access_key_id"]);
}

#[test]
fn aws_inside_json_and_lookalikes() {
    let mut g = Gen::new(2);
    let id = format!("AKIA{}", g.upper32(16));
    let json = format!("{{\"Credentials\":{{\"AccessKeyId\":\"{id}\",\"Expiration\":\"2030\"}}}}");
    assert_eq!(families(&json), ["secret.aws_access_key_id"]);
    // Part of a longer token, lowercase, or one character short: not an access key id.
    assert!(families(&format!("X{id}")).is_empty());
    assert!(families(&format!("{id}Z")).is_empty());
    assert!(families(&id.to_lowercase()).is_empty());
    assert!(families(&id[..19]).is_empty());
}

#[test]
fn aws_documented_example_is_low_confidence() {
    // The documentation's style of example: a real-looking prefix ending in EXAMPLE.
    let example = format!("AKIA{}{}", "IOSFODNN7", "EXAMPLE");
    let found = scan(&format!("aws_access_key_id = {example}"));
    let f = find(&found, "secret.aws_access_key_id").unwrap();
    assert_eq!(f.confidence, Confidence::Low);
    assert!(families(&example).is_empty());
    let secret = format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY");
    let found = scan(&format!("aws_secret_access_key={secret}"));
    assert_eq!(
        find(&found, "secret.aws_secret_access_key").map(|f| f.confidence),
        Some(Confidence::Low)
    );
}

#[test]
fn aws_secret_key_needs_context() {
    let mut g = Gen::new(3);
    // A lone 40-character base64 string is not called an AWS key, nor is a SHA-1.
    let lone = format!("blob {}/{} end", g.base62(30), g.base62(9));
    assert!(families(&lone).is_empty());
    let sha = g.hex(40);
    assert!(families(&format!("aws_secret_access_key = {sha}"))
        .iter()
        .all(|f| *f != "secret.aws_secret_access_key"));
}

#[test]
fn github_tokens() {
    let mut g = Gen::new(4);
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        let tok = format!("{prefix}{}", g.base62(36));
        let text = format!("token: {tok}\n");
        let found = scan(&text);
        let f = find(&found, "secret.github_token").unwrap();
        assert_eq!(spanned(&text, &f), tok);
        assert_eq!(f.severity, Severity::Critical);
    }
    let pat = format!("github_pat_{}_{}", g.base62(22), g.base62(59));
    assert_eq!(families(&pat), ["secret.github_token"]);
}

#[test]
fn github_evasions() {
    let mut g = Gen::new(5);
    let tok = format!("ghp_{}", g.base62(36));
    // Inside a URL (as userinfo or a query value), in quotes, after `=`.
    for text in [
        format!("https://{tok}@github.com/org/repo.git"),
        format!("GITHUB_TOKEN=\"{tok}\""),
        format!("{{\"auth\":\"{tok}\"}}"),
    ] {
        assert!(families(&text).contains(&"secret.github_token"), "{text}");
    }
    // JSON-escaped characters: the model reads them decoded, so does the scanner.
    let escaped = format!("{{\"t\": \"ghp\\u005f{}\"}}", &tok[4..]);
    let found = scan(&escaped);
    let f = find(&found, "secret.github_token").unwrap();
    assert!(escaped[f.start..f.end].starts_with("ghp\\u005f"));
}

#[test]
fn github_placeholders_and_lookalikes() {
    let fake = format!("ghp_{}", "x".repeat(36));
    assert_eq!(
        find(&scan(&fake), "secret.github_token").map(|f| f.confidence),
        Some(Confidence::Low)
    );
    // Too short, or a variable named like a prefix.
    assert!(families("ghp_abc123").is_empty());
    assert!(families("let ghp_count = 3;").is_empty());
}

#[test]
fn gitlab_slack_stripe() {
    let mut g = Gen::new(6);
    let gl = format!("glpat-{}", g.base64url(20));
    assert_eq!(families(&gl), ["secret.gitlab_token"]);
    for kind in ["b", "p", "a", "r", "s"] {
        let slack = format!(
            "xox{kind}-{}-{}-{}",
            g.digits(11),
            g.digits(12),
            g.base62(24)
        );
        assert_eq!(families(&slack), ["secret.slack_token"], "{slack}");
    }
    let app = format!("xapp-1-A{}-{}-{}", g.base62(10), g.digits(13), g.hex(64));
    assert_eq!(families(&app), ["secret.slack_token"]);
    let live = format!("sk_live_{}", g.base62(24));
    let found = scan(&live);
    assert_eq!(
        find(&found, "secret.stripe_secret_key").unwrap().severity,
        Severity::Critical
    );
    let test = format!("sk_test_{}", g.base62(24));
    let found = scan(&test);
    assert_eq!(
        find(&found, "secret.stripe_secret_key").unwrap().severity,
        Severity::Low
    );
    let restricted = format!("rk_live_{}", g.base62(24));
    assert_eq!(families(&restricted), ["secret.stripe_restricted_key"]);
    // Publishable keys are meant to be public.
    assert!(families(&format!("pk_live_{}", g.base62(24))).is_empty());
    assert_eq!(
        families(&format!("whsec_{}", g.base64(32))),
        ["secret.stripe_webhook_secret"]
    );
}

#[test]
fn slack_webhook() {
    let mut g = Gen::new(7);
    let url = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        g.upper32(8),
        g.upper32(10),
        g.base62(24)
    );
    assert!(families(&url).contains(&"secret.slack_webhook"));
}

#[test]
fn google_keys_and_service_accounts() {
    let mut g = Gen::new(8);
    let key = format!("AIza{}", g.base64url(35));
    let text = format!("const MAPS_KEY = '{key}';");
    let found = scan(&text);
    assert_eq!(
        spanned(&text, &find(&found, "secret.google_api_key").unwrap()),
        key
    );
    // One character too many is some other string.
    assert!(families(&format!("{key}A")).is_empty());
    assert_eq!(
        families(&format!("GOCSPX-{}", g.base64url(28))),
        ["secret.google_oauth_client_secret"]
    );
    assert_eq!(
        families(&format!("Authorization: Bearer ya29.{}", g.base64url(120))),
        ["secret.google_oauth_token"]
    );
    let body: Vec<String> = (0..12).map(|_| g.base64(64)).collect();
    let sa = format!(
        "{{\"type\": \"service_account\", \"private_key_id\": \"{}\", \"private_key\": \
         \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\", \"client_email\": \
         \"bot@project.iam.gserviceaccount.com\"}}",
        g.hex(40),
        body.join("\\n")
    );
    assert_eq!(families(&sa), ["secret.gcp_service_account_key"]);
}

#[test]
fn openai_anthropic_and_sk_keys() {
    let mut g = Gen::new(9);
    let proj = format!("sk-proj-{}", g.base64url(120));
    assert_eq!(
        families(&format!("OPENAI_API_KEY={proj}")),
        ["secret.openai_api_key"]
    );
    let legacy = format!("sk-{}T3BlbkFJ{}", g.base62(20), g.base62(20));
    assert_eq!(families(&legacy), ["secret.openai_api_key"]);
    let ant = format!("sk-ant-api03-{}AA", g.base64url(93));
    let found = scan(&ant);
    let f = find(&found, "secret.anthropic_api_key").unwrap();
    assert_eq!((f.start, f.end), (0, ant.len()));
    assert!(f.preview.starts_with("sk-ant-api03-"));
    // Words that contain `sk-`, and documentation's `sk-...`.
    for text in [
        "task-runner",
        "disk-usage --all",
        "OPENAI_API_KEY=sk-...",
        "sk-learn",
    ] {
        assert!(families(text).is_empty(), "{text}");
    }
}

#[test]
fn huggingface_npm_pypi_sendgrid() {
    let mut g = Gen::new(10);
    assert_eq!(
        families(&format!("hf_{}", g.letters(34))),
        ["secret.huggingface_token"]
    );
    assert!(families("model = self.hf_model_name").is_empty());
    assert_eq!(
        families(&format!(
            "//registry.npmjs.org/:_authToken=npm_{}",
            g.base62(36)
        )),
        ["secret.npm_token"]
    );
    assert!(families("npm_config_cache=/tmp/npm npm_package_version=1.2.3").is_empty());
    let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", g.base64url(80));
    assert_eq!(families(&pypi), ["secret.pypi_token"]);
    let sg = format!("SG.{}.{}", g.base64url(22), g.base64url(43));
    assert_eq!(families(&sg), ["secret.sendgrid_api_key"]);
    assert!(families("msg.len() + SG.x").is_empty());
}

#[test]
fn twilio_azure_discord_telegram() {
    let mut g = Gen::new(11);
    let sid = format!("SK{}", g.hex(32));
    let text = format!("TWILIO_API_KEY={sid}\nTWILIO_AUTH_TOKEN={}\n", g.hex(32));
    let fams = families(&text);
    assert!(fams.contains(&"secret.twilio_api_key"), "{fams:?}");
    assert!(fams.contains(&"secret.twilio_auth_token"), "{fams:?}");
    let azure = format!(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={}==;EndpointSuffix=core.windows.net",
        g.base64(86)
    );
    assert_eq!(families(&azure), ["secret.azure_storage_key"]);
    let discord = format!(
        "DISCORD_BOT_TOKEN={}{}.{}.{}",
        "MT",
        g.base64url(24),
        g.base64url(6),
        g.base64url(38)
    );
    assert!(families(&discord).contains(&"secret.discord_bot_token"));
    let tg = format!("telegram bot token: {}:AA{}", g.digits(10), g.base64url(33));
    assert!(families(&tg).contains(&"secret.telegram_bot_token"));
}

#[test]
fn private_keys() {
    let mut g = Gen::new(12);
    for label in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ] {
        let body: Vec<String> = (0..6).map(|_| g.base64(64)).collect();
        let pem = format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            body.join("\n")
        );
        let text = format!("cat id_rsa\n{pem}done");
        let found = scan(&text);
        let f = find(&found, "secret.private_key").unwrap();
        assert_eq!(spanned(&text, &f), pem.trim_end(), "{label}");
        assert_eq!(f.severity, Severity::Critical);
        assert!(!f.preview.contains(&body[0]));
    }
}

#[test]
fn public_keys_and_headers_in_docs_are_not_secrets() {
    let mut g = Gen::new(13);
    let cert = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
        g.base64(64)
    );
    let public = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
        g.base64(64)
    );
    let docs =
        "PKCS#8 keys start with the following:\n\n```text\n-----BEGIN PRIVATE KEY-----\n```\n";
    for text in [cert.as_str(), public.as_str(), docs] {
        assert!(families_at(text, Confidence::Low).is_empty(), "{text}");
    }
}

#[test]
fn jwts() {
    let mut g = Gen::new(14);
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwic2NvcGUiOiJhZG1pbiJ9.{}",
        g.base64url(43)
    );
    let text = format!("Authorization: Bearer {jwt}");
    let found = scan(&text);
    let f = find(&found, "secret.jwt").unwrap();
    assert_eq!(spanned(&text, &f), jwt);
    assert_eq!(f.confidence, Confidence::High);
    // The bearer-token detector sees the same bytes; the JWT wins.
    assert_eq!(found.secrets.len(), 1);
}

#[test]
fn jwt_test_fixture_is_low() {
    // The familiar tutorial payload: sub 1234567890, name John Doe.
    let payload =
        super::support::b64(br#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#)
            .trim_end_matches('=')
            .to_string();
    let jwt = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    let found = scan(&jwt);
    assert_eq!(
        find(&found, "secret.jwt").map(|f| f.confidence),
        Some(Confidence::Low)
    );
}

#[test]
fn connection_strings() {
    let mut g = Gen::new(15);
    for scheme in [
        "postgres",
        "postgresql",
        "mysql",
        "mongodb",
        "mongodb+srv",
        "redis",
        "amqp",
        "mssql",
    ] {
        let pass = g.base62(18);
        let text = format!("DATABASE_URL={scheme}://app:{pass}@db.prod.example:5432/main");
        let found = scan(&text);
        let f = find(&found, "secret.connection_string").unwrap();
        assert_eq!(spanned(&text, &f), pass, "{scheme}");
        assert_eq!(f.confidence, Confidence::High);
    }
    let pass = g.base62(18);
    let jdbc = format!("jdbc:postgresql://app:{pass}@db.prod.example/main");
    assert_eq!(families(&jdbc), ["secret.connection_string"]);
    let https = format!(
        "git clone https://deploy:{}@git.example.com/repo.git",
        g.base62(24)
    );
    assert_eq!(families(&https), ["secret.url_credentials"]);
}

#[test]
fn connection_string_defaults_and_placeholders() {
    for text in [
        "url: postgres://postgres:postgres@localhost:5432/dev",
        "broker: amqp://guest:guest@localhost:5672/",
        "redis://:${REDIS_PASSWORD}@cache:6379",
        "mysql://user:<password>@host/db",
        "postgres://user:****@host/db",
        "postgres://app@db.internal/main",
    ] {
        assert!(families(text).is_empty(), "{text}: {:?}", families(text));
    }
}

#[test]
fn generic_assignments() {
    let mut g = Gen::new(16);
    let value = format!("{}#{}", g.base62(14), g.base62(6));
    for (text, family) in [
        (format!("password = \"{value}\""), "secret.password"),
        (format!("DB_PASSWORD={value}"), "secret.password"),
        (format!("\"passwd\": \"{value}\""), "secret.password"),
        (format!("api_key: \"{}\"", g.base62(32)), "secret.generic"),
        (format!("SECRET_TOKEN={}", g.base62(40)), "secret.generic"),
        (
            format!("client_secret => '{}'", g.base62(28)),
            "secret.generic",
        ),
        (format!("X-Api-Key: {}", g.base62(32)), "secret.generic"),
        (
            format!("spring.datasource.password={value}"),
            "secret.password",
        ),
        (
            format!("mysql -u root --password {value}"),
            "secret.password",
        ),
    ] {
        let found = scan(&text);
        assert!(
            find(&found, family).is_some(),
            "{text}: {:?}",
            found.secrets
        );
        let f = find(&found, family).unwrap();
        assert!(f.confidence >= Confidence::Medium, "{text}");
        assert!(
            !f.preview.contains(spanned(&text, &f)),
            "preview leaks: {}",
            f.preview
        );
    }
}

#[test]
fn generic_guards() {
    let mut g = Gen::new(17);
    for text in [
        // Placeholders.
        "api_key: <your-key>".to_string(),
        "API_TOKEN=xxxxxxxxxxxxxxxx".to_string(),
        "SECRET_KEY=changeme".to_string(),
        "password: ${DB_PASSWORD}".to_string(),
        "api_key = \"YOUR_API_KEY\"".to_string(),
        "token: example-token-value-here".to_string(),
        "password: \"{{ vault_db_password }}\"".to_string(),
        // Hashes and integrity fields under secret-ish names.
        format!("password_hash = \"{}\"", g.hex(64)),
        format!("\"integrity\": \"sha512-{}==\"", g.base64(86)),
        format!("secret_sha256: {}", g.hex(64)),
        // Code, types and names.
        "let token = next_token(input)?;".to_string(),
        "self.api_key = api_key or os.environ.get(\"API_KEY\")".to_string(),
        "pub paren_token: token::Paren,".to_string(),
        "nToken = iEnd-iStart;".to_string(),
        "password: str".to_string(),
        "\"token_type\": \"Bearer\"".to_string(),
        "max_tokens: 4096".to_string(),
        "secret_name: my-app-secret".to_string(),
        format!("\"nextPageToken\": \"{}\"", g.base62(40)),
        "password_min_length: 12".to_string(),
        // Short values are too weak to call.
        "codecov.io/badge.svg?token=yt4XSmQNKQ".to_string(),
    ] {
        assert!(families(&text).is_empty(), "{text}: {:?}", families(&text));
    }
}

#[test]
fn uuids_and_self_describing_values_are_low() {
    for text in [
        "api_key = \"123e4567-e89b-42d3-a456-426614174000\"",
        "\"access_token\": \"m2m-access-token-12345\"",
    ] {
        assert!(families(text).is_empty(), "{text}");
        assert!(!families_at(text, Confidence::Low).is_empty(), "{text}");
    }
}

#[test]
fn bearer_tokens() {
    let mut g = Gen::new(18);
    let tok = g.base62(40);
    let text = format!("curl -H 'Authorization: Bearer {tok}' https://api.example.com/v1/me");
    let found = scan(&text);
    assert_eq!(
        spanned(&text, &find(&found, "secret.bearer_token").unwrap()),
        tok
    );
    assert!(families("headers: { Authorization: `Bearer ${getToken()}` }").is_empty());
}

#[test]
fn previews_never_hold_the_secret() {
    let mut rng = warden_scan::corpus::Rng::new(19);
    for n in 0..warden_scan::corpus::SAMPLE_KINDS * 3 {
        let sample = warden_scan::corpus::sample(&mut rng, n);
        for f in scan(&sample).secrets {
            let secret = &sample[f.start..f.end];
            assert!(!f.preview.contains(secret), "{}: {}", f.family, f.preview);
            assert!(f.preview.chars().count() < secret.chars().count().max(12) + 16);
            assert!(!format!("{f:?}").contains(secret));
        }
    }
}

#[test]
fn overlapping_detectors_keep_the_specific_family() {
    let mut g = Gen::new(20);
    let tok = format!("ghp_{}", g.base62(36));
    let found = scan(&format!("GITHUB_TOKEN={tok}"));
    let fams: Vec<_> = found.secrets.iter().map(|f| f.family).collect();
    assert_eq!(fams, ["secret.github_token"]);
}
