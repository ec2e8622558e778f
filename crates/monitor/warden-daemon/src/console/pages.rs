//! Server-rendered HTML: semantic markup, plain forms, labels on every control. Everything that
//! comes from the log, the policy or the agent is escaped; nothing is inline script or style.

use std::fmt::Write as _;

use serde_json::Value;

use super::data::{Context, Line, Search, SessionRow};
use crate::state::ApprovalView;

/// HTML-escape text for element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encode a path segment.
pub(crate) fn url_seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

const NAV: [(&str, &str); 5] = [
    ("approvals", "Approvals"),
    ("feed", "Live feed"),
    ("audit", "Audit"),
    ("baselines", "Baselines"),
    ("policy", "Policy"),
];

/// A whole page around `main`.
pub(crate) fn layout(title: &str, active: &str, csrf: Option<&str>, main: &str) -> String {
    let mut nav = String::new();
    if let Some(csrf) = csrf {
        nav.push_str("<nav aria-label=\"Console\"><ul>");
        for (slug, name) in NAV {
            let current = if slug == active {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                nav,
                "<li><a href=\"/console/{slug}\"{current}>{name}</a></li>"
            );
        }
        let _ = write!(
            nav,
            "</ul><form method=\"post\" action=\"/console/logout\">{}<button type=\"submit\">Log out</button></form></nav>",
            csrf_field(csrf)
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{t} · Warden</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
<link rel=\"icon\" href=\"/console/assets/icon.svg\" type=\"image/svg+xml\">\
<script src=\"/console/assets/console.js\" defer></script></head>\
<body><a class=\"skip\" href=\"#main\">Skip to content</a><header><p class=\"brand\">Warden console</p>{nav}</header>\
<main id=\"main\"><h1>{t}</h1>{main}</main></body></html>\n",
        t = esc(title)
    )
}

fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(csrf)
    )
}

/// A notice after an action (a status region screen readers announce).
pub(crate) fn notice(msg: Option<&str>) -> String {
    msg.filter(|m| !m.is_empty())
        .map(|m| format!("<p role=\"status\" class=\"notice\">{}</p>", esc(m)))
        .unwrap_or_default()
}

/// The login form.
pub(crate) fn login(login_csrf: &str, error: Option<&str>) -> String {
    let err = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let main = format!(
        "{err}<p>Paste the monitor's API token (<code>api.token</code> in its state directory; \
`warden console` prints a login link). The token is exchanged for a session cookie and not kept in the browser.</p>\
<form method=\"post\" action=\"/console/login\">{}\
<label for=\"token\">API token</label> <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required autofocus>\
<button type=\"submit\">Log in</button></form>",
        csrf_field(login_csrf)
    );
    layout("Log in", "", None, &main)
}

fn rows(lines: &[Line], caption: &str) -> String {
    let mut s = format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Time</th>\
<th scope=\"col\">Kind</th><th scope=\"col\">Session</th><th scope=\"col\">Tool</th>\
<th scope=\"col\">Decision</th><th scope=\"col\">What</th></tr></thead><tbody>",
        esc(caption)
    );
    for l in lines {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"d-{d}\">{d}</td><td>{}</td></tr>",
            l.seq,
            esc(&l.time),
            esc(&l.kind),
            esc(l.session.as_deref().unwrap_or("-")),
            esc(l.tool.as_deref().unwrap_or("")),
            esc(&l.text),
            d = esc(l.decision.as_deref().unwrap_or("")),
        );
    }
    if lines.is_empty() {
        s.push_str("<tr><td colspan=\"7\">Nothing yet.</td></tr>");
    }
    s.push_str("</tbody></table>");
    s
}

fn pretty(v: &Value) -> String {
    esc(&serde_json::to_string_pretty(v).unwrap_or_default())
}

fn rules_list(request: &Value) -> String {
    let mut s = String::from("<ul class=\"rules\">");
    for r in request
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
        let facts: Vec<&str> = r
            .get("facts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = write!(
            s,
            "<li><strong>{}</strong> ({} layer, {}, {}){}{}</li>",
            esc(get("rule")),
            esc(get("layer")),
            esc(get("decision")),
            esc(get("severity")),
            if get("reason").is_empty() {
                String::new()
            } else {
                format!(": {}", esc(get("reason")))
            },
            if facts.is_empty() {
                String::new()
            } else {
                format!("<br>facts: {}", esc(&facts.join("; ")))
            },
        );
    }
    s.push_str("</ul>");
    s
}

fn answer_form(a: &ApprovalView, csrf: &str) -> String {
    let id = esc(&a.id);
    format!(
        "<form method=\"post\" action=\"/console/approvals/{seg}\" class=\"answer\" aria-label=\"Answer approval {id}\">{csrf}\
<fieldset><legend>Approve</legend>\
<button type=\"submit\" name=\"answer\" value=\"once\">Approve once</button> \
<button type=\"submit\" name=\"answer\" value=\"session\">Approve for the session</button> \
<label for=\"exp-{id}\">Always, for</label> <select id=\"exp-{id}\" name=\"expires\">\
<option value=\"1h\">1 hour</option><option value=\"1d\" selected>1 day</option><option value=\"7d\">7 days</option>\
<option value=\"30d\">30 days</option><option value=\"never\">no expiry</option></select> \
<button type=\"submit\" name=\"answer\" value=\"always\">Approve always</button></fieldset>\
<fieldset><legend>Deny</legend><label for=\"note-{id}\">Note for the agent</label> \
<input id=\"note-{id}\" name=\"note\" type=\"text\" maxlength=\"500\" placeholder=\"what to do instead\"> \
<button type=\"submit\" name=\"answer\" value=\"deny\" class=\"deny\">Deny</button></fieldset></form>",
        seg = esc(&url_seg(&a.id)),
        csrf = csrf_field(csrf),
    )
}

fn context_html(c: &Result<Context, String>) -> String {
    match c {
        Err(e) => format!("<p class=\"error\">The session's context cannot be read: {}</p>", esc(e)),
        Ok(c) => format!(
            "<h3>The task</h3>{}<h3>Recent context (outside content, decisions, sandbox observations)</h3>{}",
            c.task
                .as_deref()
                .map(|t| format!("<blockquote class=\"task\">{}</blockquote>", esc(&super::data::clip(t, 2000))))
                .unwrap_or_else(|| "<p>No user prompt recorded for this session.</p>".into()),
            rows(&c.recent, "The session's latest records, oldest first"),
        ),
    }
}

/// The pending approvals (the live part of the page).
pub(crate) fn approvals(pending: &[(ApprovalView, Result<Context, String>)], csrf: &str) -> String {
    if pending.is_empty() {
        return "<p class=\"empty\">No approval is waiting.</p>".into();
    }
    let mut s = String::new();
    for (a, ctx) in pending {
        let r = &a.request;
        let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
        let risk = r.get("risk").and_then(Value::as_f64).unwrap_or(0.0);
        let _ = write!(
            s,
            "<article class=\"approval\" aria-labelledby=\"h-{id}\"><h2 id=\"h-{id}\">{tool} <span class=\"muted\">approval {id}</span></h2>\
<dl><dt>Risk</dt><dd><meter min=\"0\" max=\"1\" value=\"{risk:.2}\">{risk:.2}</meter> {risk:.2}</dd>\
<dt>Session</dt><dd>{session}</dd><dt>Agent</dt><dd>{agent}</dd><dt>Asked</dt><dd>{created}</dd>\
<dt>Reason</dt><dd>{reason}</dd><dt>Guidance</dt><dd>{guidance}</dd></dl>\
<h3>Rules and facts</h3>{rules}<h3>Tool input</h3><pre>{input}</pre>\
<details><summary>Full actions</summary><pre>{actions}</pre></details>{ctx}{form}</article>",
            id = esc(&a.id),
            tool = esc(if get("tool").is_empty() { "action" } else { get("tool") }),
            session = esc(a.session.as_deref().unwrap_or("-")),
            agent = esc(get("agent")),
            created = esc(&a.created),
            reason = esc(get("reason")),
            guidance = esc(get("guidance")),
            rules = rules_list(r),
            input = pretty(r.get("tool_input").unwrap_or(&Value::Null)),
            actions = pretty(r.get("actions").unwrap_or(&Value::Null)),
            ctx = context_html(ctx),
            form = answer_form(a, csrf),
        );
    }
    s
}

/// The live feed: sessions with their halt buttons, and the latest decisions.
pub(crate) fn feed(
    sessions: &[SessionRow],
    decisions: &[Line],
    status: &Value,
    csrf: &str,
) -> String {
    let halted: Vec<&str> = status
        .get("halted")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let halt_all = status.get("halt_all").and_then(Value::as_bool) == Some(true);
    let mut s = format!(
        "<p>{} · {} pending approval(s) · {} session(s) followed · {} rule(s) active</p>",
        if halt_all {
            "<strong class=\"error\">ALL SESSIONS HALTED</strong>"
        } else {
            "running"
        },
        status
            .get("pending_approvals")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        status
            .get("sessions_followed")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        status.get("rules").and_then(Value::as_u64).unwrap_or(0),
    );
    let _ = write!(
        s,
        "<form method=\"post\" action=\"/console/halt\">{}<input type=\"hidden\" name=\"all\" value=\"1\">{}</form>",
        csrf_field(csrf),
        if halt_all {
            "<input type=\"hidden\" name=\"resume\" value=\"1\"><button type=\"submit\">Resume all sessions</button>"
        } else {
            "<button type=\"submit\" class=\"deny\">Halt all sessions</button>"
        }
    );
    s.push_str("<table><caption>Sessions, latest activity first</caption><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Last activity</th><th scope=\"col\">Records</th><th scope=\"col\">Last decision</th><th scope=\"col\">State</th><th scope=\"col\">Kill switch</th></tr></thead><tbody>");
    for r in sessions {
        let is_halted = halt_all || halted.contains(&r.session.as_str());
        let _ = write!(
            s,
            "<tr><td>{sess}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/console/halt\">{csrf}<input type=\"hidden\" name=\"session\" value=\"{sess}\">{btn}</form></td></tr>",
            esc(&r.last),
            r.records,
            esc(r.last_decision.as_deref().unwrap_or("")),
            if is_halted { "halted" } else { "running" },
            sess = esc(&r.session),
            csrf = csrf_field(csrf),
            btn = if halted.contains(&r.session.as_str()) {
                format!("<input type=\"hidden\" name=\"resume\" value=\"1\"><button type=\"submit\" aria-label=\"Resume session {0}\">Resume</button>", esc(&r.session))
            } else {
                format!("<button type=\"submit\" class=\"deny\" aria-label=\"Halt session {0}\">Halt</button>", esc(&r.session))
            },
        );
    }
    if sessions.is_empty() {
        s.push_str("<tr><td colspan=\"6\">No session yet.</td></tr>");
    }
    s.push_str("</tbody></table>");
    s.push_str(&rows(
        decisions,
        "Latest decisions and approvals, newest first",
    ));
    s
}

/// The audit search form, the chain's state and the results.
pub(crate) fn audit(
    q: &Search,
    verified: (bool, String),
    found: &Result<Vec<Line>, String>,
) -> String {
    let field = |id: &str, label: &str, v: &str| {
        format!(
            "<label for=\"{id}\">{label}</label> <input id=\"{id}\" name=\"{id}\" value=\"{}\"> ",
            esc(v)
        )
    };
    let mut s = format!(
        "<p role=\"status\" class=\"{}\">{}</p><form method=\"get\" action=\"/console/audit\" class=\"search\">{}{}{}{}<button type=\"submit\">Search</button></form>",
        if verified.0 { "ok" } else { "error" },
        esc(&verified.1),
        field("session", "Session", &q.session),
        field("tool", "Tool", &q.tool),
        field("decision", "Decision", &q.decision),
        field("q", "Text", &q.q),
    );
    match found {
        Ok(lines) => s.push_str(&rows(lines, "Matching records, newest first (at most 200)")),
        Err(e) => {
            let _ = write!(
                s,
                "<p class=\"error\">The log cannot be searched: {}</p>",
                esc(e)
            );
        }
    }
    s
}

/// Each agent's baseline.
pub(crate) fn baselines(b: &Value) -> String {
    let mut s = String::from("<table><caption>Behaviour baselines per agent and workspace</caption><thead><tr><th scope=\"col\">Agent</th><th scope=\"col\">Workspace</th><th scope=\"col\">Actions learned</th><th scope=\"col\">Sessions</th><th scope=\"col\">Scoring</th><th scope=\"col\">Top tools</th><th scope=\"col\">Top programs</th></tr></thead><tbody>");
    let names = |v: &Value| -> String {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                format!(
                    "{} ({})",
                    x.get("name").and_then(Value::as_str).unwrap_or(""),
                    x.get("count").and_then(Value::as_u64).unwrap_or(0)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list = b.as_array().cloned().unwrap_or_default();
    for p in &list {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p.get("agent").and_then(Value::as_str).unwrap_or("")),
            esc(p.get("workspace").and_then(Value::as_str).unwrap_or("")),
            p.get("actions").and_then(Value::as_u64).unwrap_or(0),
            p.get("sessions").and_then(Value::as_u64).unwrap_or(0),
            if p.get("mature").and_then(Value::as_bool) == Some(true) { "mature" } else { "learning" },
            esc(&names(p.get("top_tools").unwrap_or(&Value::Null))),
            esc(&names(p.get("top_programs").unwrap_or(&Value::Null))),
        );
    }
    if list.is_empty() {
        s.push_str("<tr><td colspan=\"7\">No baseline learned yet.</td></tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// The active policy: its mode, the self-test results and every rule.
pub(crate) fn policy(
    mode: &str,
    rules: &[warden_policy::RuleSummary],
    tests: &warden_policy::TestReport,
) -> String {
    let mut s = format!(
        "<p>Mode: <strong>{}</strong> · {} active rule(s)</p><h2>Rule tests</h2><p role=\"status\" class=\"{}\">{} passed, {} failed</p>",
        esc(mode),
        rules.len(),
        if tests.failures.is_empty() { "ok" } else { "error" },
        tests.passed,
        tests.failures.len()
    );
    if !tests.failures.is_empty() {
        s.push_str("<ul>");
        for f in &tests.failures {
            let _ = write!(
                s,
                "<li><strong>{}</strong>: {}</li>",
                esc(&f.rule),
                esc(&f.message)
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("<h2>Rules</h2><table><caption>Active rules by layer (strictest decision wins)</caption><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Layer</th><th scope=\"col\">Decision</th><th scope=\"col\">Severity</th><th scope=\"col\">Description</th></tr></thead><tbody>");
    for r in rules {
        let dec = serde_json::to_value(r.decision).ok();
        let sev = serde_json::to_value(r.severity).ok();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.id),
            esc(r.layer),
            esc(dec.as_ref().and_then(Value::as_str).unwrap_or("")),
            esc(sev.as_ref().and_then(Value::as_str).unwrap_or("")),
            esc(&r.description),
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// A page for a refused request.
pub(crate) fn refused(msg: &str) -> String {
    layout(
        "Refused",
        "",
        None,
        &format!(
            "<p role=\"alert\" class=\"error\">{}</p><p><a href=\"/console/login\">Log in</a></p>",
            esc(msg)
        ),
    )
}
