//! The web console, served under `/console` on the monitor's loopback HTTP listener: pending
//! approvals with their context and answers, a live feed with the kill switch, audit search with
//! the chain's verification, baselines and the active policy. Server-rendered HTML, plain forms
//! and one small script of our own (polling); see [`auth`] for how requests are admitted.

mod auth;
mod data;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::proto::Scope;
use auth::{Logins, Refusal};

/// The content security policy of every console response: our own script and style only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
const ICON: &str = include_str!("assets/icon.svg");

struct Console {
    d: Arc<Daemon>,
    token: Arc<String>,
    logins: Logins,
}

type C = State<Arc<Console>>;

/// The console's routes, to merge into the HTTP API's router (which must be served with
/// connection info, for who answered).
pub(crate) fn router(d: Arc<Daemon>, token: Arc<String>) -> Router {
    let c = Arc::new(Console {
        d,
        token,
        logins: Logins::default(),
    });
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout))
        .route("/console/approvals", get(approvals))
        .route("/console/approvals/{id}", post(answer))
        .route("/console/feed", get(feed))
        .route("/console/halt", post(halt))
        .route("/console/audit", get(audit))
        .route("/console/baselines", get(baselines))
        .route("/console/policy", get(policy))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/assets/icon.svg", get(icon))
        .with_state(c)
}

fn now() -> i64 {
    warden_audit::now_ms()
}

/// Add the headers every console response carries.
fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html(status: StatusCode, body: String) -> Response {
    secure(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

fn refuse(r: &Refusal) -> Response {
    let status = match r {
        Refusal::ForeignHost | Refusal::ForeignOrigin | Refusal::Csrf => StatusCode::FORBIDDEN,
        Refusal::NotLoggedIn => StatusCode::UNAUTHORIZED,
    };
    html(status, pages::refused(&r.to_string()))
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    for c in cookies {
        match HeaderValue::from_str(c) {
            Ok(v) => {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Err(_) => {
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::refused("bad cookie"),
                )
            }
        }
    }
    secure(r)
}

/// A page that needs a login: the login's CSRF token, or the response refusing it.
fn page_guard(c: &Console, headers: &HeaderMap) -> Result<String, Box<Response>> {
    auth::check_host(headers).map_err(|e| Box::new(refuse(&e)))?;
    c.logins.csrf_of(headers, now()).map_err(|e| {
        Box::new(match e {
            Refusal::NotLoggedIn => redirect("/console/login", &[]),
            other => refuse(&other),
        })
    })
}

/// A POST that needs a login: loopback Host, same origin, a live login and its CSRF token.
fn post_guard(c: &Console, headers: &HeaderMap, csrf: &str) -> Result<String, Box<Response>> {
    let refused = |e: Refusal| Box::new(refuse(&e));
    auth::check_host(headers).map_err(refused)?;
    auth::check_origin(headers).map_err(refused)?;
    let want = c.logins.csrf_of(headers, now()).map_err(refused)?;
    if auth::same(csrf, &want) {
        Ok(want)
    } else {
        Err(refused(Refusal::Csrf))
    }
}

async fn index(State(c): C, headers: HeaderMap) -> Response {
    match page_guard(&c, &headers) {
        Ok(_) => redirect("/console/approvals", &[]),
        Err(r) => *r,
    }
}

async fn login_form(headers: HeaderMap) -> Response {
    if let Err(e) = auth::check_host(&headers) {
        return refuse(&e);
    }
    login_page(StatusCode::OK, None)
}

fn login_page(status: StatusCode, error: Option<&str>) -> Response {
    let Some(pre) = auth::random_hex() else {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::refused("no randomness"),
        );
    };
    let mut r = html(status, pages::login(&pre, error));
    match HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_COOKIE, &pre, 600)) {
        Ok(v) => {
            r.headers_mut().append(header::SET_COOKIE, v);
            r
        }
        Err(_) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::refused("bad cookie"),
        ),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

async fn login(State(c): C, headers: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    if let Err(e) = auth::check_host(&headers).and_then(|()| auth::check_origin(&headers)) {
        return refuse(&e);
    }
    let pre = auth::cookie(&headers, auth::LOGIN_COOKIE).unwrap_or("");
    if !auth::same(&f.csrf, pre) {
        return refuse(&Refusal::Csrf);
    }
    if !auth::same(f.token.trim(), &c.token) {
        tracing::warn!("console login with a wrong token");
        return login_page(StatusCode::UNAUTHORIZED, Some("Wrong token."));
    }
    let Some((secret, _)) = c.logins.create(now()) else {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::refused("cannot create a login"),
        );
    };
    redirect(
        "/console/approvals",
        &[
            auth::set_cookie(auth::SESSION_COOKIE, &secret, auth::SESSION_SECS),
            auth::set_cookie(auth::LOGIN_COOKIE, "", 0),
        ],
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(c): C, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    if let Err(r) = post_guard(&c, &headers, &f.csrf) {
        return *r;
    }
    c.logins.remove(&headers);
    redirect(
        "/console/login",
        &[auth::set_cookie(auth::SESSION_COOKIE, "", 0)],
    )
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    fragment: Option<String>,
    #[serde(default)]
    msg: Option<String>,
}

/// The whole page, or with `?fragment=1` only its live part (for the polling script).
fn live_page(title: &str, slug: &str, csrf: &str, q: &PageQuery, live: String) -> Response {
    if q.fragment.is_some() {
        return html(StatusCode::OK, live);
    }
    let main = format!(
        "{}<section data-live aria-live=\"polite\" aria-label=\"{}\">{live}</section>",
        pages::notice(q.msg.as_deref()),
        pages::esc(title)
    );
    html(
        StatusCode::OK,
        pages::layout(title, slug, Some(csrf), &main),
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("the reader failed: {e}"))
}

async fn approvals(State(c): C, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let csrf = match page_guard(&c, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let pending = c.d.approvals(false);
    let dir = c.d.config.state_dir.clone();
    let with_ctx = blocking(move || {
        pending
            .into_iter()
            .map(|a| {
                let ctx = match &a.session {
                    Some(s) => data::context(&dir, s, 12),
                    None => Ok(data::Context::default()),
                };
                (a, ctx)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    live_page(
        "Pending approvals",
        "approvals",
        &csrf,
        &q,
        pages::approvals(&with_ctx, &csrf),
    )
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    note: String,
}

async fn answer(
    State(c): C,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    if let Err(r) = post_guard(&c, &headers, &f.csrf) {
        return *r;
    }
    let by = format!("console:{peer}");
    let (approve, scope) = match f.answer.as_str() {
        "once" => (true, Scope::Once),
        "session" => (true, Scope::Session),
        "always" => (true, Scope::Always),
        "deny" => (false, Scope::Once),
        _ => return html(StatusCode::BAD_REQUEST, pages::refused("unknown answer")),
    };
    let expires = match (scope, f.expires.as_str()) {
        (Scope::Always, "" | "never") | (Scope::Once | Scope::Session, _) => None,
        (Scope::Always, e) => match humantime::parse_duration(e) {
            Ok(d) => Some(d),
            Err(_) => return html(StatusCode::BAD_REQUEST, pages::refused("bad expiry")),
        },
    };
    let note = Some(data::clip(f.note.trim(), 500)).filter(|n| !approve && !n.is_empty());
    let msg = match c
        .d
        .answer_noted(&id, approve, scope, expires, &by, note)
        .await
    {
        Ok(_) if approve => format!("Approval {id} approved ({}).", scope.as_str()),
        Ok(_) => format!("Approval {id} denied."),
        Err(e) => format!("Approval {id} was not answered: {e}"),
    };
    redirect(
        &format!("/console/approvals?msg={}", pages::url_seg(&msg)),
        &[],
    )
}

async fn feed(State(c): C, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let csrf = match page_guard(&c, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let dir = c.d.config.state_dir.clone();
    let status = c.d.status();
    let live = match blocking(move || data::feed(&dir)).await.and_then(|r| r) {
        Ok((sessions, decisions)) => pages::feed(&sessions, &decisions, &status, &csrf),
        Err(e) => format!("<p class=\"error\">{}</p>", pages::esc(&e)),
    };
    live_page("Live feed", "feed", &csrf, &q, live)
}

#[derive(Deserialize)]
struct HaltForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    all: String,
    #[serde(default)]
    resume: String,
}

async fn halt(
    State(c): C,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<HaltForm>,
) -> Response {
    if let Err(r) = post_guard(&c, &headers, &f.csrf) {
        return *r;
    }
    let session = if f.all.is_empty() {
        match f.session.trim() {
            "" => return html(StatusCode::BAD_REQUEST, pages::refused("name a session")),
            s => Some(s.to_string()),
        }
    } else {
        None
    };
    let halt = f.resume.is_empty();
    let what = session.clone().unwrap_or_else(|| "every session".into());
    let by = format!("console:{peer}");
    let msg = match c.d.halt(session, halt, &by).await {
        Ok(_) if halt => format!("Halted {what}."),
        Ok(_) => format!("Resumed {what}."),
        Err(e) => format!("The kill switch failed: {e}"),
    };
    redirect(&format!("/console/feed?msg={}", pages::url_seg(&msg)), &[])
}

async fn audit(State(c): C, headers: HeaderMap, Query(q): Query<data::Search>) -> Response {
    let csrf = match page_guard(&c, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let dir = c.d.config.state_dir.clone();
    let query = q.clone();
    let (verified, found) =
        blocking(move || (data::verification(&dir), data::search(&dir, &query)))
            .await
            .unwrap_or_else(|e| ((false, e.clone()), Err(e)));
    let main = pages::audit(&q, verified, &found);
    html(
        StatusCode::OK,
        pages::layout("Audit log", "audit", Some(&csrf), &main),
    )
}

async fn baselines(State(c): C, headers: HeaderMap) -> Response {
    let csrf = match page_guard(&c, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let b = serde_json::to_value(c.d.engine.baselines()).unwrap_or_default();
    html(
        StatusCode::OK,
        pages::layout("Baselines", "baselines", Some(&csrf), &pages::baselines(&b)),
    )
}

async fn policy(State(c): C, headers: HeaderMap) -> Response {
    let csrf = match page_guard(&c, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let p = c.d.policies.global();
    let main = blocking(move || {
        let mode = serde_json::to_value(p.mode()).unwrap_or_default();
        pages::policy(
            mode.as_str().unwrap_or(""),
            &p.rule_summaries(),
            &p.run_tests(),
        )
    })
    .await
    .unwrap_or_else(|e| format!("<p class=\"error\">{}</p>", pages::esc(&e)));
    html(
        StatusCode::OK,
        pages::layout("Active policy", "policy", Some(&csrf), &main),
    )
}

fn asset(ctype: &'static str, body: &'static str) -> Response {
    secure(
        (
            [
                (header::CONTENT_TYPE, ctype),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
    )
}

async fn css(headers: HeaderMap) -> Response {
    match auth::check_host(&headers) {
        Ok(()) => asset("text/css; charset=utf-8", CSS),
        Err(e) => refuse(&e),
    }
}

async fn icon(headers: HeaderMap) -> Response {
    match auth::check_host(&headers) {
        Ok(()) => asset("image/svg+xml", ICON),
        Err(e) => refuse(&e),
    }
}

async fn js(headers: HeaderMap) -> Response {
    match auth::check_host(&headers) {
        Ok(()) => asset("text/javascript; charset=utf-8", JS),
        Err(e) => refuse(&e),
    }
}
