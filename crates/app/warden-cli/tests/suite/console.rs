//! The web console against a real `warden serve`: its gatekeeping over raw HTTP (always), and the
//! whole flow in a real browser (Debian's chromium driven by Playwright from
//! `integrations/console-test`; skipped unless `WARDEN_REQUIRE_BROWSER_TESTS=1`, and then a
//! missing browser or `node_modules` is a failure): real hook calls raise asks, the page answers
//! them, the waiting hooks return, the audit records who answered; the same for halt.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use super::daemon::{decision, payload, Monitor, ASK_POLICY};
use super::{home, Run};

/// A raw HTTP/1.1 exchange: status, headers (lowercase names) and body.
fn http(addr: &str, req: &str) -> (u16, Vec<(String, String)>, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn get(addr: &str, path: &str, host: &str, cookie: &str) -> (u16, Vec<(String, String)>, String) {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    )
}

fn post(addr: &str, path: &str, cookie: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    h.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// `name=value` from the `Set-Cookie` headers.
fn cookie_value(h: &[(String, String)], name: &str) -> Option<String> {
    header(h, "set-cookie").into_iter().find_map(|c| {
        c.split(';')
            .next()?
            .strip_prefix(&format!("{name}="))
            .map(str::to_string)
    })
}

/// The hidden CSRF field's value in a page.
fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

fn monitor_with_http(h: &Path) -> (Monitor, String, String) {
    let pol = h.join("ask.yaml");
    std::fs::write(&pol, ASK_POLICY).unwrap();
    let m = Monitor::start(
        h,
        &[
            "--http",
            "127.0.0.1:0",
            "--policy",
            pol.to_str().unwrap(),
            "--approval-timeout",
            "90s",
        ],
    );
    let addr = m.http_addr();
    let token = std::fs::read_to_string(m.state.join("api.token")).unwrap();
    (m, addr, token)
}

/// Log in over raw HTTP: the session cookie and the CSRF token of the logged-in pages.
fn login(addr: &str, token: &str) -> (String, String) {
    let (_, h, page) = get(addr, "/console/login", "127.0.0.1", "");
    let pre = cookie_value(&h, "warden_login").unwrap();
    let body = format!("csrf={}&token={token}", csrf_in(&page));
    let (status, h, _) = post(
        addr,
        "/console/login",
        &format!("warden_login={pre}"),
        &body,
    );
    assert_eq!(status, 303);
    let secret = cookie_value(&h, "warden_console").unwrap();
    let cookie = format!("warden_console={secret}");
    let (status, _, page) = get(addr, "/console/feed", "127.0.0.1", &cookie);
    assert_eq!(status, 200);
    (cookie, csrf_in(&page))
}

#[test]
fn the_console_admits_only_a_logged_in_loopback_same_site_form() {
    let h = home();
    let (m, addr, token) = monitor_with_http(h.path());

    // The login form: a pre-login CSRF cookie, HttpOnly and SameSite=Strict; a strict CSP.
    let (status, hs, page) = get(&addr, "/console/login", "localhost:1", "");
    assert_eq!(status, 200);
    let csp = header(&hs, "content-security-policy").join("");
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let pre = cookie_value(&hs, "warden_login").unwrap();
    let login_csrf = csrf_in(&page);
    assert_eq!(pre, login_csrf);

    // A foreign Host (DNS rebinding) is refused, on every page and the assets.
    for path in [
        "/console/login",
        "/console/approvals",
        "/console/assets/console.js",
    ] {
        assert_eq!(
            get(&addr, path, "attacker.example:7870", "").0,
            403,
            "{path}"
        );
    }
    // Pages need a login.
    let (status, hs, _) = get(&addr, "/console/approvals", "127.0.0.1", "");
    assert_eq!(
        (status, header(&hs, "location")),
        (303, vec!["/console/login"])
    );

    // Login: without the token, with a wrong one, without the form's CSRF pair: refused.
    let cookie = format!("warden_login={pre}");
    for body in [
        format!("csrf={login_csrf}"),
        format!("csrf={login_csrf}&token=wrong"),
        format!("csrf={login_csrf}&token={token}x"),
    ] {
        let (status, hs, _) = post(&addr, "/console/login", &cookie, &body);
        assert_eq!(status, 401, "{body}");
        assert_eq!(cookie_value(&hs, "warden_console"), None);
    }
    assert_eq!(
        post(
            &addr,
            "/console/login",
            "",
            &format!("csrf={login_csrf}&token={token}")
        )
        .0,
        403
    );
    assert_eq!(
        post(&addr, "/console/login", &cookie, &format!("token={token}")).0,
        403
    );

    // The right token: a session cookie that is not the token, HttpOnly, SameSite=Strict.
    let (status, hs, _) = post(
        &addr,
        "/console/login",
        &cookie,
        &format!("csrf={login_csrf}&token={token}"),
    );
    assert_eq!(status, 303);
    let set = header(&hs, "set-cookie");
    let session = set
        .iter()
        .find(|c| c.starts_with("warden_console="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/console"),
        "{session}"
    );
    assert!(!session.contains(token.trim()), "{session}");

    // POSTs need the login's CSRF token and a loopback origin.
    let (cookie, csrf) = login(&addr, &token);
    assert_eq!(post(&addr, "/console/halt", &cookie, "session=s9").0, 403);
    assert_eq!(
        post(&addr, "/console/halt", &cookie, "session=s9&csrf=00").0,
        403
    );
    assert_eq!(
        post(
            &addr,
            "/console/halt",
            "",
            &format!("session=s9&csrf={csrf}")
        )
        .0,
        401
    );
    let foreign = http(&addr, &format!(
        "POST /console/halt HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://attacker.example\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\nConnection: close\r\n\r\nsession=x"));
    assert_eq!(foreign.0, 403);
    assert!(m
        .records(&["--kind", "admin", "--session", "s9"])
        .is_empty());
    let (status, hs, _) = post(
        &addr,
        "/console/halt",
        &cookie,
        &format!("session=s9&csrf={csrf}"),
    );
    assert_eq!((status, header(&hs, "location").len()), (303, 1));
    let halts = m.records(&["--kind", "admin", "--session", "s9"]);
    assert_eq!(halts.len(), 1);
    assert!(
        halts[0]["body"]["by"]
            .as_str()
            .unwrap()
            .starts_with("console:127.0.0.1:"),
        "{}",
        halts[0]
    );
}

/// Poll until `f` holds.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn event(session: &str, cwd: &Path, event: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut v = json!({"session_id": session, "cwd": cwd, "hook_event_name": event});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    serde_json::to_vec(&v).unwrap()
}

/// The workspace's target directory (this test binary lives in `<target>/debug/deps`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn browser_prerequisites() -> Option<(PathBuf, PathBuf)> {
    if std::env::var_os("WARDEN_REQUIRE_BROWSER_TESTS").is_none() {
        eprintln!("SKIPPED: the browser test runs with WARDEN_REQUIRE_BROWSER_TESTS=1 (needs /usr/bin/chromium and `npm ci` in integrations/console-test)");
        return None;
    }
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../integrations/console-test");
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        chromium.exists(),
        "WARDEN_REQUIRE_BROWSER_TESTS=1 but `{}` is missing: apt-get install -y chromium",
        chromium.display()
    );
    assert!(
        pkg.join("node_modules/playwright-core").is_dir(),
        "WARDEN_REQUIRE_BROWSER_TESTS=1 but playwright-core is not installed: run `npm ci` in {}",
        pkg.display()
    );
    Some((pkg, chromium))
}

#[test]
fn a_person_answers_approvals_and_halts_a_session_in_a_real_browser() {
    let Some((pkg, chromium)) = browser_prerequisites() else {
        return;
    };
    let h = home();
    let (m, addr, token) = monitor_with_http(h.path());
    let cwd = h.path().join("project");
    // The sessions' context: the task, and outside content read before the call.
    for s in ["s-approve", "s-deny", "s-halt"] {
        let r = m.hook(&event(
            s,
            &cwd,
            "UserPromptSubmit",
            json!({"prompt": format!("Deploy the release ({s})")}),
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = m.hook(&event("s-approve", &cwd, "PostToolUse", json!({"tool_name": "WebFetch", "tool_input": {"url": "https://docs.example/deploy"}, "tool_response": "Release notes: run deploy prod", "tool_use_id": "t0"})));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // `warden console` prints the login link, the token in its fragment.
    let link = m.warden(&["console"], b"");
    assert_eq!(link.code, 0, "{}", link.stderr);
    let link = link.stdout.trim().to_string();
    assert_eq!(
        link,
        format!("http://{addr}/console/login#token={}", token.trim())
    );
    let bare = m.warden(&["console", "--no-token"], b"");
    assert_eq!(bare.stdout.trim(), format!("http://{addr}/console/login"));
    let shots = target_dir().join("ci-artifacts/console");
    let (approved, denied, browser): (Run, Run, std::process::Output) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            m.hook(&payload(
                "s-approve",
                "Bash",
                json!({"command": "deploy prod"}),
                &cwd,
            ))
        });
        let d = s.spawn(|| {
            m.hook(&payload(
                "s-deny",
                "Bash",
                json!({"command": "deploy prod --force"}),
                &cwd,
            ))
        });
        wait_for("two pending approvals", || {
            m.warden(&["approvals", "list"], b"").stdout.lines().count() == 2
        });
        let browser = Command::new("node")
            .arg(pkg.join("drive.mjs"))
            .env("CONSOLE_URL", format!("http://{addr}"))
            .env("CONSOLE_TOKEN", token.trim())
            .env("CONSOLE_LINK", &link)
            .env("SHOTS", &shots)
            .env("CHROMIUM", &chromium)
            .output()
            .expect("run node");
        (a.join().unwrap(), d.join().unwrap(), browser)
    });
    let out = String::from_utf8_lossy(&browser.stdout);
    assert!(
        browser.status.success(),
        "browser run failed: {out}\n{}",
        String::from_utf8_lossy(&browser.stderr)
    );
    eprintln!("browser: {out}");

    // The waiting hooks got the answers.
    assert_eq!(decision(&approved), "allow", "{}", approved.stdout);
    assert_eq!(decision(&denied), "deny");
    assert!(
        denied
            .stdout
            .contains("use the staging deploy script instead"),
        "{}",
        denied.stdout
    );
    // The audit names who answered.
    let answers: Vec<_> = m
        .records(&["--kind", "approval"])
        .into_iter()
        .filter(|r| r["body"]["op"] == "answered")
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    for r in &answers {
        assert!(
            r["body"]["by"]
                .as_str()
                .unwrap()
                .starts_with("console:127.0.0.1:"),
            "{r}"
        );
    }
    assert_eq!(
        answers[1]["body"]["note"],
        "use the staging deploy script instead"
    );
    // The halted session's next call is denied.
    let r = m.hook(&payload("s-halt", "Bash", json!({"command": "ls"}), &cwd));
    assert_eq!(decision(&r), "deny", "{}", r.stdout);
    for name in [
        "login",
        "approvals",
        "approvals-answered",
        "feed",
        "audit",
        "baselines",
        "policy",
    ] {
        assert!(
            shots.join(format!("{name}.png")).is_file(),
            "no screenshot {name}"
        );
    }
}
