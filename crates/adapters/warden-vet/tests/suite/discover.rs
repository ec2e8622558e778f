//! Discovery of client configs in a made-up home and project, on real files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use warden_vet::{discover, parse_config, Client, SecretString, ServerSpec, Transport, VetError};

/// Write `text` at `root/rel`, creating directories.
fn put(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
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

/// (client, name, pointer, scope, transport, disabled) of a spec.
type Row = (Client, String, String, Option<String>, Transport, bool);

fn rows(servers: &[ServerSpec]) -> Vec<Row> {
    servers
        .iter()
        .map(|s| {
            (
                s.client,
                s.name.clone(),
                s.pointer.clone(),
                s.scope.clone(),
                s.transport.clone(),
                s.disabled,
            )
        })
        .collect()
}

/// A home and project with one config per client, one of them broken.
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let project = root.path().join("work/app");
    put(
        &home,
        ".config/Claude/claude_desktop_config.json",
        r#"{"mcpServers": {
            "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/docs"]},
            "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                       "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}}
        }}"#,
    );
    put(
        &home,
        "Library/Application Support/Claude/claude_desktop_config.json",
        r#"{"mcpServers": {"mac": {"command": "uvx", "args": ["mcp-server-time==0.6.2"]}}}"#,
    );
    put(
        &home,
        ".claude.json",
        r#"{"numStartups": 3, "mcpServers": {"user-git": {"type": "stdio", "command": "uvx", "args": ["mcp-server-git"]}},
            "projects": {"/work/app": {"mcpServers": {"db": {"type": "http", "url": "http://db.internal:8080/mcp",
                                                                  "headers": {"Authorization": "Bearer Zx8kQ2mLp9Rt4vWb7YcN3sQ1"}}}},
                         "/work/empty": {"allowedTools": []}}}"#,
    );
    put(
        &project,
        ".mcp.json",
        r#"{"mcpServers": {"tmp-tool": {"command": "/tmp/mcp/server", "args": []}}}"#,
    );
    // Broken: a missing comma on line 3.
    put(
        &home,
        ".cursor/mcp.json",
        "{\"mcpServers\": {\n  \"a\": {\"command\": \"x\"}\n  \"b\": {\"command\": \"y\"}\n}}",
    );
    put(
        &project,
        ".cursor/mcp.json",
        r#"{"mcpServers": {"remote": {"url": "https://mcp.example.com/sse"}}}"#,
    );
    put(
        &project,
        ".vscode/mcp.json",
        r#"{
            // VS Code allows comments and trailing commas.
            "inputs": [{"type": "promptString", "id": "token", "password": true}],
            "servers": {
                "gh": {"type": "stdio", "command": "docker", "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
                       "env": {"GITHUB_TOKEN": "${input:token}"},},
                "off": {"type": "http", "url": "https://off.example.com/mcp", "disabled": true},
            },
        }"#,
    );
    put(
        &home,
        ".codeium/windsurf/mcp_config.json",
        r#"{"mcpServers": {"wind": {"serverUrl": "https://wind.example.com/mcp"}}}"#,
    );
    put(
        &home,
        ".config/goose/config.yaml",
        "GOOSE_PROVIDER: openai\nextensions:\n  developer:\n    type: builtin\n    enabled: true\n    name: developer\n  search:\n    type: stdio\n    cmd: npx\n    args: ['-y', 'search-mcp@1.2.3']\n    envs:\n      SEARCH_API_KEY: Qw7eRt9yUi2oPa4sDf6g\n    enabled: true\n  remote:\n    type: streamable_http\n    uri: https://remote.example.com/mcp\n    enabled: false\n",
    );
    put(
        &home,
        ".codex/config.toml",
        "model = \"o3\"\n\n[mcp_servers.docs]\ncommand = \"npx\"\nargs = [\"-y\", \"docs-mcp@latest\"]\nenv = { DOCS_TOKEN = \"${DOCS_TOKEN}\" }\n\n[mcp_servers.remote]\nurl = \"https://codex.example.com/mcp\"\nhttp_headers = { \"X-Api-Key\" = \"plainkey-1234\" }\nenabled = false\n",
    );
    (root, home, project)
}

#[test]
fn finds_every_client_and_keeps_going_past_a_broken_config() {
    let (_root, home, project) = fixture();
    let d = discover(&home, Some(&project));
    let proj = "/work/app".to_string();
    assert_eq!(
        rows(&d.servers),
        [
            (
                Client::ClaudeDesktop,
                "filesystem".into(),
                "/mcpServers/filesystem".into(),
                None,
                stdio(
                    "npx",
                    &[
                        "-y",
                        "@modelcontextprotocol/server-filesystem",
                        "/home/me/docs"
                    ],
                    &[]
                ),
                false
            ),
            (
                Client::ClaudeDesktop,
                "github".into(),
                "/mcpServers/github".into(),
                None,
                stdio(
                    "npx",
                    &["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                    &[(
                        "GITHUB_PERSONAL_ACCESS_TOKEN",
                        "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
                    )]
                ),
                false
            ),
            (
                Client::ClaudeDesktop,
                "mac".into(),
                "/mcpServers/mac".into(),
                None,
                stdio("uvx", &["mcp-server-time==0.6.2"], &[]),
                false
            ),
            (
                Client::ClaudeCode,
                "user-git".into(),
                "/mcpServers/user-git".into(),
                None,
                stdio("uvx", &["mcp-server-git"], &[]),
                false
            ),
            (
                Client::ClaudeCode,
                "db".into(),
                "/projects/~1work~1app/mcpServers/db".into(),
                Some(proj),
                http(
                    "http://db.internal:8080/mcp",
                    &[("Authorization", "Bearer Zx8kQ2mLp9Rt4vWb7YcN3sQ1")]
                ),
                false
            ),
            (
                Client::Windsurf,
                "wind".into(),
                "/mcpServers/wind".into(),
                None,
                http("https://wind.example.com/mcp", &[]),
                false
            ),
            (
                Client::Goose,
                "remote".into(),
                "/extensions/remote".into(),
                None,
                http("https://remote.example.com/mcp", &[]),
                true
            ),
            (
                Client::Goose,
                "search".into(),
                "/extensions/search".into(),
                None,
                stdio(
                    "npx",
                    &["-y", "search-mcp@1.2.3"],
                    &[("SEARCH_API_KEY", "Qw7eRt9yUi2oPa4sDf6g")]
                ),
                false
            ),
            (
                Client::Codex,
                "docs".into(),
                "/mcp_servers/docs".into(),
                None,
                stdio(
                    "npx",
                    &["-y", "docs-mcp@latest"],
                    &[("DOCS_TOKEN", "${DOCS_TOKEN}")]
                ),
                false
            ),
            (
                Client::Codex,
                "remote".into(),
                "/mcp_servers/remote".into(),
                None,
                http(
                    "https://codex.example.com/mcp",
                    &[("X-Api-Key", "plainkey-1234")]
                ),
                true
            ),
            (
                Client::ClaudeCode,
                "tmp-tool".into(),
                "/mcpServers/tmp-tool".into(),
                None,
                stdio("/tmp/mcp/server", &[], &[]),
                false
            ),
            (
                Client::Cursor,
                "remote".into(),
                "/mcpServers/remote".into(),
                None,
                http("https://mcp.example.com/sse", &[]),
                false
            ),
            (
                Client::VsCode,
                "gh".into(),
                "/servers/gh".into(),
                None,
                stdio(
                    "docker",
                    &["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
                    &[("GITHUB_TOKEN", "${input:token}")]
                ),
                false
            ),
            (
                Client::VsCode,
                "off".into(),
                "/servers/off".into(),
                None,
                http("https://off.example.com/mcp", &[]),
                true
            ),
        ]
    );
    assert_eq!(d.configs.len(), 10);
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    match &d.errors[0] {
        VetError::Syntax {
            path,
            format,
            line,
            column,
            ..
        } => {
            assert_eq!(path, &home.join(".cursor/mcp.json"));
            assert_eq!((*format, *line), ("JSON", 3));
            assert!(*column > 0);
        }
        other => panic!("{other:?}"),
    }
    let msg = d.errors[0].to_string();
    assert!(msg.contains(".cursor/mcp.json`:3:"), "{msg}");
}

#[test]
fn server_keys_follow_the_command_line() {
    let (_root, home, project) = fixture();
    let d = discover(&home, Some(&project));
    let keys: BTreeMap<String, String> = d
        .servers
        .iter()
        .map(|s| (format!("{}/{}", s.client, s.name), s.key()))
        .collect();
    assert_eq!(
        keys["claude-desktop/mac"],
        r#"stdio:["mac","uvx","mcp-server-time==0.6.2"]"#
    );
    assert_eq!(
        keys["windsurf/wind"],
        r#"http:["wind","https://wind.example.com/mcp"]"#
    );
}

#[test]
fn secrets_do_not_leak_through_debug_or_serialize() {
    let (_root, home, project) = fixture();
    let d = discover(&home, Some(&project));
    let debug = format!("{:?}", d.servers);
    let json = serde_json::to_string(&d.servers).unwrap();
    for out in [&debug, &json] {
        assert!(!out.contains("ghp_AbCd"), "{out}");
        assert!(!out.contains("Zx8kQ2"), "{out}");
        assert!(out.contains("redacted"));
    }
    let Transport::Stdio { env, .. } = &d.servers[1].transport else {
        panic!("github is stdio");
    };
    assert_eq!(
        env["GITHUB_PERSONAL_ACCESS_TOKEN"].expose(),
        "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    );
}

#[test]
fn nothing_there_is_nothing_found() {
    let root = tempfile::tempdir().unwrap();
    let d = discover(root.path(), None);
    assert!(d.servers.is_empty() && d.errors.is_empty() && d.configs.is_empty());
}

#[test]
fn home_as_project_reads_each_file_once() {
    let root = tempfile::tempdir().unwrap();
    put(
        root.path(),
        ".cursor/mcp.json",
        r#"{"mcpServers": {"x": {"command": "x"}}}"#,
    );
    let d = discover(root.path(), Some(root.path()));
    assert_eq!(d.servers.len(), 1);
}

#[test]
fn parse_config_detects_the_format() {
    let root = tempfile::tempdir().unwrap();
    let custom = put(
        root.path(),
        "my-servers.json",
        r#"{"mcpServers": {"a": {"command": "node", "args": ["srv.js", 8080, true]}}}"#,
    );
    let d = parse_config(&custom).unwrap();
    assert_eq!(
        rows(&d.servers),
        [(
            Client::Generic,
            "a".into(),
            "/mcpServers/a".into(),
            None,
            stdio("node", &["srv.js", "8080", "true"], &[]),
            false
        )]
    );
    let vscode_like = put(
        root.path(),
        "other.json",
        r#"{"servers": {"b": {"url": "https://b.example"}}}"#,
    );
    assert_eq!(
        parse_config(&vscode_like).unwrap().servers[0].client,
        Client::VsCode
    );
    let toml = put(root.path(), "c.toml", "[mcp_servers.c]\ncommand = \"c\"\n");
    assert_eq!(
        parse_config(&toml).unwrap().servers[0].client,
        Client::Codex
    );
    let yaml = put(
        root.path(),
        "g.yml",
        "extensions:\n  g:\n    type: sse\n    uri: https://g.example/sse\n",
    );
    assert_eq!(
        parse_config(&yaml).unwrap().servers[0].client,
        Client::Goose
    );
}

#[test]
fn parse_config_errors_name_file_line_and_column() {
    let root = tempfile::tempdir().unwrap();
    let not_mcp = put(
        root.path(),
        "package.json",
        r#"{"name": "x", "version": "1.0.0"}"#,
    );
    assert!(matches!(
        parse_config(&not_mcp),
        Err(VetError::NotMcpConfig { .. })
    ));
    let bad_toml = put(root.path(), "config.toml", "[mcp_servers.a]\ncommand = \n");
    let e = parse_config(&bad_toml).unwrap_err();
    assert!(
        matches!(
            e,
            VetError::Syntax {
                format: "TOML",
                line: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("config.toml`:2:"), "{e}");
    let bad_yaml = put(
        root.path(),
        "config.yaml",
        "extensions:\n  a:\n    cmd: [unclosed\n",
    );
    let e = parse_config(&bad_yaml).unwrap_err();
    assert!(
        matches!(
            e,
            VetError::Syntax {
                format: "YAML",
                line: 3..,
                ..
            }
        ),
        "{e:?}"
    );
    let missing = root.path().join("nope.json");
    assert!(matches!(parse_config(&missing), Err(VetError::Read { .. })));
}

#[test]
fn bad_entries_are_errors_and_good_ones_survive() {
    let root = tempfile::tempdir().unwrap();
    let p = put(
        root.path(),
        "mixed.json",
        r#"{"mcpServers": {
            "good": {"command": "ok"},
            "no-command": {"args": ["x"]},
            "bad-args": {"command": "x", "args": "--flag"},
            "bad-env": {"command": "x", "env": {"A": {"nested": true}}}
        }}"#,
    );
    let d = parse_config(&p).unwrap();
    assert_eq!(d.servers.len(), 1);
    let errors: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    // Entries are read in name order.
    assert!(
        errors[0].contains("`/mcpServers/bad-args/args`"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("`/mcpServers/bad-env/env/A`"),
        "{errors:?}"
    );
    assert!(errors[2].contains("`/mcpServers/no-command`"), "{errors:?}");
    assert!(errors.iter().all(|e| e.contains("mixed.json")));
}
