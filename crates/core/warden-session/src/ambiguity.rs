//! An underspecified target: the user described something ("pay GREAT GYM", "e-mail Dr. Lee")
//! and a search returned several records that fit the description; the agent picked one and is
//! about to act on it. Picking for the user is a guess with real consequences (the wrong payee,
//! the wrong patient's doctor), so the call should name the candidates and let the user choose.
//!
//! Deterministic, from text: the value the call uses stands under a key (`"payee_id": "P-1"`) in
//! a tool result; the same key holds other values there; and a word of the user's own
//! description occurs more than once in that result (it matches several records).

/// Fewest letters of a task word that can single out a record.
const MIN_WORD: usize = 4;

/// How far before a value its key may stand, in bytes.
const KEY_REACH: usize = 48;

/// Most candidates a result may list for the pick to count as a guess among look-alikes; a long
/// list (every transaction, every channel) is browsing, not an ambiguous match.
const MAX_CANDIDATES: usize = 6;

/// Task words that describe nothing in particular.
const PLAIN: &[&str] = &[
    "please", "could", "would", "should", "about", "there", "their", "these", "those", "which",
    "what", "when", "where", "with", "from", "into", "that", "this", "have", "your", "mine",
    "some", "every", "each", "make", "sure", "also", "then", "than", "them", "they", "find",
    "help", "want", "need", "send", "update", "email", "latest", "recent", "last", "first",
];

/// The candidates a side-effecting call chose among, when its value `v` (lowercased) is one of
/// several values of the same key in the outside content `doc` (lowercased) and a word of
/// `task` (lowercased) matches more than one of them. `None` when the pick is not a guess.
pub(crate) fn candidates(task: &str, doc: &str, v: &str) -> Option<Vec<String>> {
    // "every", "all", "each": the user asked for several, picking one at a time is no guess.
    if task
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "all" | "every" | "each" | "both" | "any"))
    {
        return None;
    }
    let at = find_value(doc, v)?;
    let key = key_before(doc, at)?;
    let found = values_of(doc, key);
    let mut all: Vec<&str> = found.iter().map(|(_, x)| x.as_str()).collect();
    all.sort_unstable();
    all.dedup();
    if all.len() < 2 || all.len() > MAX_CANDIDATES || !all.contains(&v) {
        return None;
    }
    // Each value's record: the object or list item around it, within its neighbours.
    let words: Vec<&str> = task
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= MIN_WORD && !PLAIN.contains(w))
        .collect();
    let mut fitting: Vec<String> = Vec::new();
    for (i, (pos, value)) in found.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| found.get(j)).map(|(p, _)| *p);
        let next = found.get(i + 1).map(|(p, _)| *p);
        let record = record_around(doc, *pos, prev, next);
        if words.iter().any(|w| record.contains(w)) && !fitting.contains(value) {
            fitting.push(value.clone());
        }
    }
    fitting.sort();
    (fitting.len() >= 2 && fitting.iter().any(|x| x == v)).then_some(fitting)
}

/// The record around a key at `pos`: from the last `{` or list item start after the previous
/// key (`prev`) to the first `}` or list item start before the next one (`next`); the midpoint
/// to a neighbour where no such mark stands between them.
fn record_around(doc: &str, pos: usize, prev: Option<usize>, next: Option<usize>) -> &str {
    let lo = prev.map_or(0, |p| p + 1);
    let hi = next.unwrap_or(doc.len());
    let start = doc
        .get(lo..pos)
        .and_then(|t| t.rfind('{').max(t.rfind("\n-")))
        .map(|i| lo + i)
        .unwrap_or_else(|| prev.map_or(0, |p| (p + pos) / 2));
    let end = doc
        .get(pos..hi)
        .and_then(|t| match (t.find('}'), t.find("\n-")) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
        .map(|i| pos + i)
        .unwrap_or_else(|| next.map_or(doc.len(), |n| (n + pos) / 2));
    doc.get(start..end).unwrap_or("")
}

/// Where `v` stands as a whole value in `doc` (not inside a longer word).
fn find_value(doc: &str, v: &str) -> Option<usize> {
    let edge = |c: Option<&u8>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
    doc.match_indices(v).map(|(at, _)| at).find(|&at| {
        edge(at.checked_sub(1).and_then(|i| doc.as_bytes().get(i)))
            && edge(doc.as_bytes().get(at + v.len()))
    })
}

/// Identifier-like string values anywhere in the arguments, lowercased, short ones included
/// (`g2`, `p-7`): what a call picks a record by.
pub(crate) fn picked_ids(v: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let t = s.trim();
            let id = (2..=120).contains(&t.len())
                && !t.contains(char::is_whitespace)
                && t.chars().any(|c| c.is_ascii_digit() || "_-.@".contains(c))
                && t.chars().any(|c| c.is_ascii_alphabetic());
            if id {
                out.push(t.to_ascii_lowercase());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| picked_ids(i, out)),
        Value::Object(map) => map.values().for_each(|i| picked_ids(i, out)),
        Value::Number(_) | Value::Bool(_) | Value::Null => {}
    }
}

/// The key a value at `at` stands under (`"key": "value"`, `key: value`, `key=value`).
fn key_before(doc: &str, at: usize) -> Option<&str> {
    let from = at.saturating_sub(KEY_REACH);
    let before = doc.get(from..at)?;
    let before = before.trim_end_matches(['"', '\'', ' ', '[']);
    let before = before.strip_suffix([':', '='])?;
    let before = before.trim_end_matches(['"', '\'', ' ']);
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let key = before.get(start..)?;
    (key.len() >= 2 && key.chars().any(|c| c.is_ascii_alphabetic())).then_some(key)
}

/// Every value that stands under `key` in `doc`, with the offset of its key.
fn values_of(doc: &str, key: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in doc.match_indices(key) {
        let bounded = at
            .checked_sub(1)
            .and_then(|i| doc.as_bytes().get(i))
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        let Some(rest) = doc.get(at + key.len()..) else {
            continue;
        };
        let rest = rest.trim_start_matches(['"', '\'', ' ']);
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let rest = rest.trim_start_matches(['"', '\'', ' ']);
        let end = rest
            .find(['"', '\'', ',', '}', ']', '\n'])
            .unwrap_or(rest.len());
        let value = rest.get(..end).unwrap_or("").trim();
        if bounded && !value.is_empty() {
            out.push((at, value.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_description_that_fits_several_records_is_a_guess() {
        let doc = r#"{"payees": [{"payee_id": "p-100", "payee_name": "sunrise yoga studio"}, {"payee_id": "p-200", "payee_name": "sunrise yoga studio downtown"}]}"#;
        assert_eq!(
            candidates("pay my class fee to sunrise yoga", doc, "p-200"),
            Some(vec!["p-100".to_string(), "p-200".to_string()])
        );
        let doc = "{'doctors': [{'name': 'dr. okafor', 'email': 'okafor.a@clinic.example'}, {'name': 'dr. okafor', 'email': 'okafor.b@clinic.example'}]}";
        assert!(candidates(
            "email the lab results to dr. okafor",
            doc,
            "okafor.b@clinic.example"
        )
        .is_some());
    }

    #[test]
    fn look_alikes_in_a_yaml_listing_are_a_guess() {
        let doc = "- id: m-1\n  name: vitamin d drops\n- id: m-2\n  name: vitamin d tablets\n- id: m-3\n  name: cough syrup\n";
        assert_eq!(
            candidates("order more vitamin d for grandma", doc, "m-2"),
            Some(vec!["m-1".to_string(), "m-2".to_string()])
        );
    }

    #[test]
    fn short_ids_are_found_as_whole_values() {
        let doc = r#"{"guests": [{"guest_id": "g1", "guest_name": "anna berg", "email": "anna@example.com"}, {"guest_id": "g2", "guest_name": "anna berg", "email": "berg.a@example.com"}]}"#;
        assert_eq!(
            candidates("give anna berg access to the door", doc, "g2"),
            Some(vec!["g1".to_string(), "g2".to_string()])
        );
        assert_eq!(find_value("xg2 g2x g2", "g2"), Some(8));
        let mut ids = Vec::new();
        picked_ids(
            &serde_json::json!({"guest_ids": ["g2"], "permanent": true, "note": "for Ann"}),
            &mut ids,
        );
        assert_eq!(ids, ["g2"]);
    }

    #[test]
    fn a_single_match_or_a_list_the_task_does_not_describe_is_not() {
        // Several records share the value the user described: the same payee, no guess.
        let doc = r#"[{"recipient": "acct-77", "subject": "gym"}, {"recipient": "acct-77", "subject": "gym"}, {"recipient": "acct-12", "subject": "books"}]"#;
        assert_eq!(
            candidates("pay the gym what i usually pay", doc, "acct-77"),
            None
        );
        // The same, as a YAML list.
        let doc = "- amount: 10\n  recipient: acct-77\n  subject: gym\n- amount: 10\n  recipient: acct-77\n  subject: gym\n- amount: 5\n  recipient: acct-12\n  subject: books\n";
        assert_eq!(
            candidates("pay the gym what i usually pay", doc, "acct-77"),
            None
        );
        // The user asked for all of them.
        let doc =
            r#"[{"object_id": "cup_1", "name": "cup"}, {"object_id": "cup_2", "name": "cup"}]"#;
        assert_eq!(candidates("put away every cup", doc, "cup_2"), None);
        // One record fits.
        let doc = r#"{"payees": [{"payee_id": "p-100", "payee_name": "sunrise yoga studio"}]}"#;
        assert_eq!(candidates("pay sunrise yoga", doc, "p-100"), None);
        // Several records, but the user's words single out none of them twice: the agent
        // picked by reading, as asked (the newest, the cheapest).
        let doc = r#"[{"id": "t-1", "subject": "rent"}, {"id": "t-2", "subject": "groceries"}]"#;
        assert_eq!(candidates("refund the grocery payment", doc, "t-2"), None);
        // A long listing is browsing, not a look-alike match.
        let doc: String = (0..20)
            .map(|i| format!("{{\"id\": \"c-{i}\", \"name\": \"chess club {i}\"}}, "))
            .collect();
        assert_eq!(candidates("join the chess club", &doc, "c-3"), None);
    }
}
