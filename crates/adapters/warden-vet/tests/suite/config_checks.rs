//! Static checks on server specs: unpinned runners, world-writable commands, literal secrets,
//! plain HTTP.

use std::path::PathBuf;

use pretty_assertions::assert_eq;
use warden_vet::{check_spec, Client, SecretString, ServerSpec, Severity, Transport};

use super::support::checked;

fn spec(name: &str, transport: Transport) -> ServerSpec {
    ServerSpec {
        client: Client::ClaudeDesktop,
        config_path: PathBuf::from("/home/me/.config/Claude/claude_desktop_config.json"),
        pointer: format!("/mcpServers/{name}"),
        scope: None,
        name: name.to_string(),
        transport,
        disabled: false,
    }
}

fn stdio(command: &str, args: &[&str], env: &[(&str, &str)]) -> Transport {
    Transport::Stdio {
        command: command.to_string(),
        args: args.iter().map(|s| (*s).to_string()).collect(),
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_string(), SecretString::new(*v)))
            .collect(),
    }
}

fn http(url: &str, headers: &[(&str, &str)]) -> Transport {
    Transport::Http {
        url: url.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), SecretString::new(*v)))
            .collect(),
    }
}

/// (rule, severity, location) of each finding of `spec`.
fn check(s: &ServerSpec) -> Vec<(&'static str, Severity, String)> {
    let f = checked(check_spec(s));
    for x in &f {
        assert_eq!(x.server, s.name);
        assert_eq!(x.config.as_deref(), Some(s.config_path.as_path()));
    }
    f.into_iter()
        .map(|x| (x.rule, x.severity, x.location))
        .collect()
}

#[test]
fn pinned_and_clean_servers_pass() {
    for t in [
        stdio(
            "npx",
            &[
                "-y",
                "@modelcontextprotocol/server-filesystem@2025.8.21",
                "/home/me",
            ],
            &[],
        ),
        stdio(
            "uvx",
            &["mcp-server-git==0.6.2", "--repository", "/work/app"],
            &[],
        ),
        stdio(
            "docker",
            &[
                "run",
                "-i",
                "--rm",
                "-e",
                "GITHUB_TOKEN",
                "ghcr.io/github/github-mcp-server:v0.9.0",
            ],
            &[("GITHUB_TOKEN", "${GITHUB_TOKEN}")],
        ),
        stdio(
            "/usr/local/bin/my-server",
            &["--port", "3000"],
            &[("LOG_LEVEL", "debug")],
        ),
        stdio(
            "node",
            &["/opt/srv/index.js"],
            &[("API_KEY", "<your-api-key>")],
        ),
        http(
            "https://mcp.example.com/mcp",
            &[("Authorization", "Bearer ${env:TOKEN}")],
        ),
        http("http://localhost:8000/mcp", &[]),
    ] {
        let s = spec("clean", t);
        assert_eq!(check(&s), [], "{s:?}");
    }
}

#[test]
fn unpinned_package_runners() {
    let cases = [
        (
            stdio(
                "npx",
                &["-y", "@modelcontextprotocol/server-filesystem", "/home/me"],
                &[],
            ),
            "/mcpServers/s/args/1",
        ),
        (
            stdio("npx", &["some-mcp@latest"], &[]),
            "/mcpServers/s/args/0",
        ),
        (
            stdio("uvx", &["mcp-server-fetch"], &[]),
            "/mcpServers/s/args/0",
        ),
        (
            stdio("uvx", &["--from", "git+https://github.com/o/r", "srv"], &[]),
            "/mcpServers/s/args/1",
        ),
        (
            stdio("pnpm", &["dlx", "pkg@^2"], &[]),
            "/mcpServers/s/args/1",
        ),
        (
            stdio("docker", &["run", "-i", "--rm", "mcp/fetch"], &[]),
            "/mcpServers/s/args/3",
        ),
    ];
    for (t, at) in cases {
        let s = spec("s", t);
        assert_eq!(
            check(&s),
            [(
                "mcp.config.unpinned-package",
                Severity::Medium,
                at.to_string()
            )],
            "{s:?}"
        );
    }
}

#[test]
fn commands_from_world_writable_directories() {
    let s = spec("t", stdio("/tmp/x/server", &[], &[]));
    assert_eq!(
        check(&s),
        [(
            "mcp.config.writable-command",
            Severity::High,
            "/mcpServers/t/command".to_string()
        )]
    );
    let s = spec("t", stdio("python3", &["-u", "/var/tmp/srv.py"], &[]));
    assert_eq!(
        check(&s),
        [(
            "mcp.config.writable-command",
            Severity::High,
            "/mcpServers/t/args/1".to_string()
        )]
    );
    // A data directory under /tmp is not the program.
    let s = spec("t", stdio("my-server", &["--cache", "/tmp/cache"], &[]));
    assert_eq!(check(&s), []);
}

#[test]
fn literal_secrets_are_found_and_redacted() {
    let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    let s = spec(
        "gh",
        stdio(
            "gh-mcp",
            &["--api-key", "Zx8kQ2mLp9Rt4vWb7YcN3sQ1", "--verbose"],
            &[
                ("GITHUB_TOKEN", token),
                ("DB_PASSWORD", "hunter2hunter"),
                ("MODE", "fast"),
            ],
        ),
    );
    let f = checked(check_spec(&s));
    let got: Vec<_> = f
        .iter()
        .map(|x| (x.rule, x.severity, x.location.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "mcp.config.literal-secret",
                Severity::Medium,
                "/mcpServers/gh/env/DB_PASSWORD"
            ),
            (
                "mcp.config.literal-secret",
                Severity::High,
                "/mcpServers/gh/env/GITHUB_TOKEN"
            ),
            (
                "mcp.config.literal-secret",
                Severity::High,
                "/mcpServers/gh/args/1"
            ),
        ]
    );
    for x in &f {
        assert!(!x.evidence.contains("EfGhIj"), "{x:?}");
        assert!(!x.evidence.contains("mLp9Rt"), "{x:?}");
        assert!(!x.evidence.contains("hunter2"), "{x:?}");
        assert!(x.evidence.contains("[redacted"), "{x:?}");
    }
    assert_eq!(f[1].evidence, "GITHUB_TOKEN=ghp_…[redacted, 40 chars]");
}

#[test]
fn secrets_in_headers_and_urls() {
    let s = spec(
        "r",
        http(
            "https://mcp.example.com/mcp?api_key=Qw7eRt9yUi2oPa4sDf6gH",
            &[("Authorization", "Bearer Zx8kQ2mLp9Rt4vWb7YcN3sQ1")],
        ),
    );
    let got = check(&s);
    assert_eq!(
        got,
        [
            (
                "mcp.config.literal-secret",
                Severity::High,
                "/mcpServers/r/headers/Authorization".to_string()
            ),
            (
                "mcp.config.literal-secret",
                Severity::High,
                "/mcpServers/r/url".to_string()
            ),
        ]
    );
}

#[test]
fn plain_http_remotes() {
    let s = spec("p", http("http://mcp.example.com/sse", &[]));
    assert_eq!(
        check(&s),
        [(
            "mcp.config.plain-http",
            Severity::Medium,
            "/mcpServers/p/url".to_string()
        )]
    );
    // With a credential on the wire it is high.
    let s = spec(
        "p",
        http("http://10.1.2.3:8080/mcp", &[("X-Api-Key", "${KEY}")]),
    );
    assert_eq!(
        check(&s),
        [(
            "mcp.config.plain-http",
            Severity::High,
            "/mcpServers/p/url".to_string()
        )]
    );
    // A stdio bridge to a plain-HTTP remote.
    let s = spec(
        "p",
        stdio(
            "npx",
            &["-y", "mcp-remote@0.1.29", "http://mcp.example.com/sse"],
            &[],
        ),
    );
    assert_eq!(
        check(&s),
        [(
            "mcp.config.plain-http",
            Severity::Medium,
            "/mcpServers/p/args/2".to_string()
        )]
    );
}

#[test]
fn goose_and_codex_locations_use_their_own_keys() {
    let mut s = spec(
        "g",
        stdio("/tmp/g", &[], &[("TOKEN", "Zx8kQ2mLp9Rt4vWb7YcN3sQ1")]),
    );
    s.client = Client::Goose;
    s.pointer = "/extensions/g".to_string();
    let locations: Vec<String> = check(&s).into_iter().map(|x| x.2).collect();
    assert_eq!(locations, ["/extensions/g/cmd", "/extensions/g/envs/TOKEN"]);
    let mut s = spec(
        "c",
        http(
            "https://c.example/mcp",
            &[("X-Api-Key", "Zx8kQ2mLp9Rt4vWb7YcN3sQ1")],
        ),
    );
    s.client = Client::Codex;
    s.pointer = "/mcp_servers/c".to_string();
    let locations: Vec<String> = check(&s).into_iter().map(|x| x.2).collect();
    assert_eq!(locations, ["/mcp_servers/c/http_headers/X-Api-Key"]);
}
