//! Values in a call's arguments: every string, identifier-shaped leaves, and destinations
//! (recipients, accounts, URLs, hosts, domains named in text).

use serde_json::Value;
use warden_action::{Action, Operation};

use crate::MIN_VALUE_LEN;

/// Every string in the arguments.
pub(crate) fn collect_text<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_text(i, out)),
        Value::Number(_) | Value::Bool(_) | Value::Null => {}
    }
}

/// Short string values anywhere in the arguments, lowercased: identifiers, names, ids.
pub(crate) fn collect_leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.len() >= MIN_VALUE_LEN && t.len() <= 120 && !t.contains('\n') {
                out.push(t.to_ascii_lowercase());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_leaves(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_leaves(i, out)),
        Value::Number(_) | Value::Bool(_) | Value::Null => {}
    }
}

/// Argument names that hold a destination: who or where something goes.
const DEST_KEYS: &[&str] = &[
    "recipient",
    "recipients",
    "to",
    "cc",
    "bcc",
    "user",
    "users",
    "username",
    "email",
    "user_email",
    "emails",
    "channel",
    "url",
    "link",
    "host",
    "hostname",
    "domain",
    "iban",
    "account",
    "account_number",
    "address",
    "phone",
    "phone_number",
    "number",
    "destination",
    "target",
    "receiver",
    "payee",
    "beneficiary",
    "webhook",
    "endpoint",
    "repo",
    "repository",
    "owner",
    "handle",
    "participants",
    "attendees",
    "invitee",
    "contact",
];

/// Whether a value looks like an identifier of a destination: an e-mail address, a URL or host,
/// an account number (letters and at least six digits), a phone number.
fn looks_like_destination(v: &str) -> bool {
    let v = v.trim();
    if v.contains(char::is_whitespace) {
        return false;
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    // Dates and times are not destinations.
    let datelike = v.chars().all(|c| c.is_ascii_digit() || "-/:.T".contains(c));
    (v.contains('@') && v.contains('.'))
        || v.contains("://")
        || (v.starts_with("www.") && v.len() > 6)
        || (digits >= 6
            && !datelike
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-() ".contains(c)))
}

/// Destination values of the arguments: values of destination-named keys, identifier-shaped
/// values anywhere, and URLs or addresses inside long text.
pub(crate) fn collect_values(
    v: &Value,
    key: Option<&str>,
    declared: &[String],
    out: &mut Vec<String>,
) {
    let dest_key = key.is_some_and(|k| {
        DEST_KEYS.contains(&k.to_ascii_lowercase().as_str())
            || declared.iter().any(|d| d.eq_ignore_ascii_case(k))
    });
    match v {
        Value::String(s)
            if s.len() <= 120 && !s.contains('\n') && (dest_key || looks_like_destination(s)) =>
        {
            out.push(s.trim().to_string());
        }
        Value::String(s) => {
            for word in s.split_whitespace() {
                let w = word.trim_matches(|c: char| "()[]<>\"',.;".contains(c));
                if w.contains("://") || (w.contains('@') && w.contains('.')) || names_a_host(w) {
                    out.push(w.to_string());
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| collect_values(i, key, declared, out)),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, i)| collect_values(i, Some(k), declared, out)),
        Value::Number(_) | Value::Bool(_) | Value::Null => {}
    }
}

/// Endings of host names common enough to tell `example.com` in prose from `file.txt` or
/// `e.g.`: generic top-level domains and the country codes most sites use.
const TLDS: &[&str] = &[
    "com", "org", "net", "io", "dev", "co", "info", "biz", "xyz", "app", "site", "online", "me",
    "ai", "us", "uk", "de", "fr", "ch", "nl", "ru", "cn", "in", "eu", "top", "link", "club",
    "shop", "store", "tech", "cloud", "page", "blog",
];

/// Whether a word of prose names a host: `www.` followed by a name, or labels of letters,
/// digits and hyphens ending in a common top-level domain, optionally with a path.
pub(crate) fn names_a_host(w: &str) -> bool {
    let host = w.split('/').next().unwrap_or(w).to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let well_formed = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !well_formed || host.len() < MIN_VALUE_LEN {
        return false;
    }
    host.starts_with("www.")
        || labels
            .last()
            .is_some_and(|tld| TLDS.contains(tld) && labels.iter().any(|l| l.len() > 2))
}

/// Where an action sends things: hosts and recipients.
pub(crate) fn destinations(a: &Action, out: &mut Vec<String>) {
    match &a.op {
        Operation::Network(n) => out.push(n.host.clone()),
        Operation::MessageSend { recipients, .. } => out.extend(recipients.iter().cloned()),
        _ => {}
    }
}

/// The arguments of a call with the calls written in its free text (`{"raw": "Tool Input:
/// {...}"}`) added: `[args, inner args...]`, or `None` when there are none.
pub(crate) fn expand_embedded(actions: &[Action], args: &Value) -> Option<Value> {
    let name = actions.iter().find_map(|a| a.op.tool_name())?;
    let inner = warden_action::embedded_calls(&name, args);
    if inner.is_empty() {
        return None;
    }
    let mut all = vec![args.clone()];
    all.extend(inner.into_iter().map(|(_, a)| a));
    Some(Value::Array(all))
}

/// The verb words of the arguments, or of each argument object in an expanded list.
pub(crate) fn all_verb_words(args: &Value) -> Vec<String> {
    match args {
        Value::Array(items) => items.iter().flat_map(warden_action::verb_words).collect(),
        other => warden_action::verb_words(other),
    }
}

/// Keys under which a tool result holds a secret.
const SECRET_KEYS: &[&str] = &[
    "private_key",
    "privatekey",
    "secret_key",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "auth_token",
    "seed_phrase",
    "mnemonic",
    "client_secret",
];

/// Shortest value taken as a labelled secret: shorter ones occur in prose by chance.
const MIN_SECRET_LEN: usize = 8;

/// Values that lowercased text labels as secrets (`"private_key": "abc..."`, `password=...`).
pub(crate) fn labelled_secrets(lower: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in SECRET_KEYS {
        for (at, _) in lower.match_indices(key) {
            let rest = lower.get(at + key.len()..).unwrap_or("");
            let rest = rest.trim_start_matches(['"', '\'', ' ']);
            let Some(rest) = rest.strip_prefix([':', '=']) else {
                continue;
            };
            let rest = rest.trim_start_matches(['"', '\'', ' ']);
            let end = rest
                .find(|c: char| c.is_whitespace() || "\"',}]".contains(c))
                .unwrap_or(rest.len());
            let value = rest.get(..end).unwrap_or("");
            if value.len() >= MIN_SECRET_LEN && !out.iter().any(|x| x == value) {
                out.push(value.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_labelled_as_secrets_are_found() {
        let text = r#"{"account_address": "0x98ab", "private_key": "f00dfeed12345678"}"#;
        assert_eq!(labelled_secrets(text), ["f00dfeed12345678"]);
        assert_eq!(
            labelled_secrets("user=ann password=hunter2-long"),
            ["hunter2-long"]
        );
    }

    #[test]
    fn prose_about_secrets_and_short_values_are_not() {
        assert!(labelled_secrets("reset your password: see the help page").is_empty());
        assert!(labelled_secrets("remember the password for the wifi").is_empty());
        assert!(labelled_secrets(r#"{"password": "x"}"#).is_empty());
    }
}
