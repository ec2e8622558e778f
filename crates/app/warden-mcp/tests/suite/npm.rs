//! A real third-party server: the reference filesystem server from npm (a pinned version,
//! installed at test time and run with node), driven by rmcp through the proxy.
//!
//! Without node and npm this test fails, saying so, unless `WARDEN_SKIP_NPM_TESTS=1`.

use std::path::PathBuf;
use std::process::Command;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{call, client, is_error, proxied, text, tool_names};

/// The version the test pins.
const PACKAGE: &str = "@modelcontextprotocol/server-filesystem@2026.8.31";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Install the server into `dir`; `None` when skipped on purpose.
fn install(dir: &std::path::Path) -> Option<PathBuf> {
    if !(have("node") && have("npm")) {
        if std::env::var("WARDEN_SKIP_NPM_TESTS").as_deref() == Ok("1") {
            eprintln!("skipped: node or npm is missing and WARDEN_SKIP_NPM_TESTS=1");
            return None;
        }
        panic!(
            "this test runs the npm reference filesystem server and needs node and npm on PATH \
             (CI installs them in .ci/run); install them, or set WARDEN_SKIP_NPM_TESTS=1 to skip it"
        );
    }
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(dir)
        .arg(PACKAGE)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "npm install {PACKAGE} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry = dir.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    assert!(
        entry.is_file(),
        "{} is missing after npm install",
        entry.display()
    );
    Some(entry)
}

#[tokio::test]
async fn the_npm_filesystem_server_is_gated() {
    let npm = tempfile::tempdir().unwrap();
    let Some(entry) = install(npm.path()) else {
        return;
    };
    let allowed = tempfile::tempdir().unwrap();
    let allowed_dir = allowed.path().canonicalize().unwrap();
    std::fs::write(allowed_dir.join("notes.txt"), "buy milk\n").unwrap();
    let server = vec![
        "node".to_string(),
        entry.display().to_string(),
        allowed_dir.display().to_string(),
    ];
    let c = client(&proxied(
        &["--fallback", "local", "--name", "filesystem"],
        &server,
    ))
    .await;
    let tools: Vec<String> = tool_names(&c).await;
    assert!(tools.contains(&"read_text_file".to_string()), "{tools:?}");
    assert!(tools.contains(&"write_file".to_string()), "{tools:?}");

    // Reading and writing in the allowed directory: allowed.
    let r = call(
        &c,
        "read_text_file",
        json!({"path": allowed_dir.join("notes.txt")}),
    )
    .await;
    assert_eq!((text(&r), is_error(&r)), ("buy milk\n".to_string(), false));
    let r = call(
        &c,
        "write_file",
        json!({"path": allowed_dir.join("todo.txt"), "content": "call mum"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(
        std::fs::read_to_string(allowed_dir.join("todo.txt")).unwrap(),
        "call mum"
    );

    // Credentials and login keys: refused by Warden before the server sees the call.
    let home = std::env::var("HOME").unwrap();
    let r = call(
        &c,
        "read_text_file",
        json!({"path": format!("{home}/.aws/credentials")}),
    )
    .await;
    assert!(is_error(&r));
    assert!(text(&r).contains("credentials.cloud"), "{}", text(&r));
    let r = call(
        &c,
        "write_file",
        json!({"path": format!("{home}/.ssh/authorized_keys"), "content": "ssh-ed25519 AAAA attacker"}),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        text(&r).contains("persistence.ssh-authorized-keys"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}
