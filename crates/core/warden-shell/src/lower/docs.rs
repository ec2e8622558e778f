//! Commands copied from documentation: a shell prompt before the command (`$ ls -la`) and
//! placeholders the reader is meant to fill in (`grep <PATTERN> file`).
//!
//! Bash runs neither as written (`$` is not a program; `<PATTERN>` followed by nothing is a
//! syntax error), so Warden judges the command the reader meant: the prompt is dropped, and a
//! placeholder becomes a value only known at run time. A placeholder where the program goes
//! (`yes | <command>`) is therefore a program computed at run time, which stays opaque.

/// The command without a leading `$ ` prompt, when it has one.
pub(super) fn strip_prompt(src: &str) -> Option<&str> {
    let rest = src.trim_start_matches([' ', '\t']).strip_prefix("$ ")?;
    let rest = rest.trim_start_matches([' ', '\t']);
    // `$ ` alone, or a prompt before nothing but more text that is not a command.
    (!rest.is_empty() && !rest.starts_with(['#', '\n'])).then_some(rest)
}

/// The variable a placeholder becomes: never assigned, so its value is unknown.
const PLACEHOLDER_VAR: &str = "\"${WARDEN_PLACEHOLDER}\"";

/// `src` with each placeholder (`<NAME>`, `<source-encoding>`) standing alone as a word replaced
/// by a value only known at run time, or `None` when it has none.
pub(super) fn fill_placeholders(src: &str) -> Option<String> {
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    let mut found = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'<') || !starts_word(bytes, i) {
            i += 1;
            continue;
        }
        let name_len = bytes
            .get(i + 1..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
            .count();
        let close = i + 1 + name_len;
        let first_alpha = bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
        if first_alpha && bytes.get(close) == Some(&b'>') && ends_word(bytes, close + 1) {
            out.push_str(src.get(last..i).unwrap_or(""));
            out.push_str(PLACEHOLDER_VAR);
            last = close + 1;
            found = true;
            i = close + 1;
        } else {
            i += 1;
        }
    }
    if !found {
        return None;
    }
    out.push_str(src.get(last..).unwrap_or(""));
    Some(out)
}

/// Whether position `i` begins a word (start of text, or after a blank or separator).
fn starts_word(bytes: &[u8], i: usize) -> bool {
    i == 0
        || bytes
            .get(i - 1)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'|' | b';' | b'&' | b'('))
}

/// Whether position `i` ends a word (end of text, or a blank or separator).
fn ends_word(bytes: &[u8], i: usize) -> bool {
    bytes
        .get(i)
        .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'|' | b';' | b'&' | b')'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn prompts_are_dropped() {
        assert_eq!(strip_prompt("$ ls -la"), Some("ls -la"));
        assert_eq!(strip_prompt("  $  find . -name x"), Some("find . -name x"));
        assert_eq!(strip_prompt("$HOME/bin/x"), None);
        assert_eq!(strip_prompt("$ "), None);
        assert_eq!(strip_prompt("ls $ x"), None);
    }

    #[test]
    fn placeholders_become_unknown_values() {
        assert_eq!(
            fill_placeholders("grep <PATTERN>").as_deref(),
            Some("grep \"${WARDEN_PLACEHOLDER}\"")
        );
        assert_eq!(
            fill_placeholders("x -e <source-encoding> -d").as_deref(),
            Some("x -e \"${WARDEN_PLACEHOLDER}\" -d")
        );
        assert_eq!(
            fill_placeholders("yes | <command>").as_deref(),
            Some("yes | \"${WARDEN_PLACEHOLDER}\"")
        );
        // Redirections stay redirections.
        assert_eq!(fill_placeholders("cat <in.txt >out.txt"), None);
        assert_eq!(fill_placeholders("cat <in >out"), None);
        assert_eq!(fill_placeholders("diff <(a) <(b)"), None);
        assert_eq!(fill_placeholders("a<b>c"), None);
    }
}
