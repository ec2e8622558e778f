//! The benchmark runs end to end (tiny: the figures are for `warden mcp bench`).

use serde_json::json;

use super::{server, testkit};

#[tokio::test]
async fn the_benchmark_measures_the_proxy() {
    let opts = warden_mcp::bench::BenchOptions {
        proxy: vec![
            testkit().into(),
            "proxy".into(),
            "--fallback".into(),
            "local".into(),
            "--stats".into(),
            "--".into(),
        ],
        server: server("echo"),
        calls: 30,
        tool: "echo".into(),
        args: json!({"text": "hi"}),
        sessions: 2,
    };
    let r = warden_mcp::bench::run(&opts).await.unwrap();
    assert_eq!(r.refused, 0);
    assert!(r.direct_us[0] > 0.0 && r.proxied_us[0] > 0.0, "{r:?}");
    assert!(r.gate_us[0] > 0.0, "{r:?}");
    assert!(r.rss_kb > 0 && r.sessions == 2, "{r:?}");
    assert!(r.text().contains("added beyond them"));
}
