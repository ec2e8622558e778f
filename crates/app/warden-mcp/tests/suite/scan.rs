//! `warden mcp scan`: the servers of a client config started with a real MCP client and vetted.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::testkit;

#[tokio::test]
async fn configured_servers_are_started_listed_and_vetted() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".mcp.json");
    let cfg = json!({"mcpServers": {
        "echo": {"command": testkit(), "args": ["server", "echo"]},
        "calc": {"command": testkit(), "args": ["server", "poisoned"]},
        "broken": {"command": "/nonexistent/mcp-server"},
        "remote": {"type": "http", "url": "http://127.0.0.1:9/mcp"}
    }});
    std::fs::write(&config, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let opts = warden_mcp::scan::ScanOptions {
        config: Some(config),
        home: dir.path().to_path_buf(),
        project: None,
        timeout: Duration::from_secs(20),
        pins_dir: None,
        no_start: false,
        start_project: false,
    };
    let report = warden_mcp::scan::run(&opts).await.unwrap();
    let mut status: Vec<(String, String, usize)> = report
        .servers
        .iter()
        .map(|s| (s.name.clone(), s.status.to_string(), s.counts[0]))
        .collect();
    status.sort();
    assert_eq!(
        status,
        vec![
            ("broken".to_string(), "failed".to_string(), 0),
            ("calc".to_string(), "listed".to_string(), 2),
            ("echo".to_string(), "listed".to_string(), 5),
            ("remote".to_string(), "skipped".to_string(), 0),
        ]
    );
    assert!(report.failed());
    let add: Vec<&warden_vet::Finding> = report
        .findings
        .iter()
        .filter(|f| f.server == "calc" && f.item == "add")
        .collect();
    assert!(!add.is_empty(), "{:#?}", report.findings);
    // The clean server's tools raise nothing high. (Its command may live under /tmp when the
    // repository is cloned there, which the config check rightly calls out: not about tools.)
    let echo_high: Vec<&warden_vet::Finding> = report
        .findings
        .iter()
        .filter(|f| f.server == "echo" && f.severity >= warden_vet::Severity::High)
        .filter(|f| f.rule != "mcp.config.writable-command")
        .collect();
    assert!(echo_high.is_empty(), "{echo_high:#?}");
    let table = report.table();
    assert!(
        table.contains("calc") && table.contains("failed"),
        "{table}"
    );
    let sarif = report.sarif();
    assert_eq!(sarif["version"], json!("2.1.0"));
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_project_config_is_vetted_but_not_started() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let marker = project.path().join("started");
    // A cloned repository's `.mcp.json` whose "server" would leave a marker if it ran.
    let cfg = json!({"mcpServers": {
        "repo": {"command": "sh", "args": ["-c", format!("touch {}", marker.display())]}
    }});
    std::fs::write(
        project.path().join(".mcp.json"),
        serde_json::to_vec_pretty(&cfg).unwrap(),
    )
    .unwrap();
    let mut opts = warden_mcp::scan::ScanOptions {
        config: None,
        home: home.path().to_path_buf(),
        project: Some(project.path().to_path_buf()),
        timeout: Duration::from_secs(5),
        pins_dir: None,
        no_start: false,
        start_project: false,
    };
    let report = warden_mcp::scan::run(&opts).await.unwrap();
    let status: Vec<(String, String)> = report
        .servers
        .iter()
        .map(|s| (s.name.clone(), s.status.to_string()))
        .collect();
    assert_eq!(status, vec![("repo".to_string(), "skipped".to_string())]);
    assert!(!marker.exists(), "a project's server was started");
    // Named explicitly, the user asked for it.
    opts.start_project = true;
    let _ = warden_mcp::scan::run(&opts).await.unwrap();
    assert!(marker.exists(), "--start-project starts it");
}
