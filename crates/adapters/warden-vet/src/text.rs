//! Text helpers every module shares: which characters are invisible, how evidence is cut and
//! escaped so that a finding can never smuggle the very characters it reports into a terminal,
//! and how secrets are redacted.

/// Longest evidence snippet, in characters, before escaping.
const EVIDENCE_CHARS: usize = 100;

/// Characters of context shown on each side of a match.
const CONTEXT_CHARS: usize = 24;

/// Is `c` in the Unicode tag block (U+E0000–U+E007F)? Tag characters mirror ASCII and render
/// as nothing, so a whole sentence can ride invisibly inside a description.
pub(crate) fn is_tag_char(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Is `c` a bidirectional embedding, override or isolate? They reorder what the user sees
/// relative to what the model reads.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Is `c` a character that renders as nothing (or as blank) in a typical client UI?
/// Variation selectors U+FE00–U+FE0F are excluded: emoji use them; runs of them are judged by
/// the caller.
pub(crate) fn is_invisible(c: char) -> bool {
    is_tag_char(c)
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0100}'..='\u{E01EF}'
        )
        || (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Is `c` part of an emoji sequence (so a zero-width joiner next to it is ordinary)?
pub(crate) fn is_emoji_part(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}'
        | '\u{FE0F}' | '\u{2190}'..='\u{21FF}')
}

/// `s` with every character a terminal or reader would not show faithfully escaped as
/// `\u{...}`, and line breaks as `\n`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_invisible(c) || ('\u{FE00}'..='\u{FE0E}').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The largest char boundary of `s` at or below `i`.
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or above `i`.
pub(crate) fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `s[start..end]` widened by `before`/`after` bytes, clamped to char boundaries.
pub(crate) fn window(s: &str, start: usize, end: usize, before: usize, after: usize) -> &str {
    let a = floor_boundary(s, start.saturating_sub(before));
    let b = ceil_boundary(s, end.saturating_add(after));
    s.get(a..b).unwrap_or("")
}

/// An escaped snippet of `s` around the byte range `start..end`, with a little context, cut to
/// a readable length.
pub(crate) fn evidence(s: &str, start: usize, end: usize) -> String {
    let start = floor_boundary(s, start);
    let end = ceil_boundary(s, end.max(start));
    let head: String = {
        let before = s.get(..start).unwrap_or("");
        let n = before.chars().count();
        before
            .chars()
            .skip(n.saturating_sub(CONTEXT_CHARS))
            .collect()
    };
    let body: String = s.get(start..end).unwrap_or("").chars().collect();
    let tail: String = s
        .get(end..)
        .unwrap_or("")
        .chars()
        .take(CONTEXT_CHARS)
        .collect();
    let mut text = String::new();
    if start > 0 && !head.is_empty() && head.len() < start {
        text.push('…');
    }
    text.push_str(&head);
    text.push_str(&body);
    text.push_str(&tail);
    if end + tail.len() < s.len() {
        text.push('…');
    }
    escape(&clip(&text, EVIDENCE_CHARS + 2 * CONTEXT_CHARS))
}

/// `s` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A secret shown safely: its first few characters (enough to recognise a `ghp_` or `sk-`
/// prefix) and its length.
pub(crate) fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    // Short secrets (passwords) show nothing: two characters of eight are a real hint.
    let shown = match n {
        20.. => 4,
        12..20 => 2,
        _ => 0,
    };
    let head: String = secret.chars().take(shown).collect();
    format!("{}…[redacted, {n} chars]", escape(&head))
}

/// Shannon entropy of `s`, in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::<char, usize>::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts are string lengths, far below 2^52"
    )]
    let total = n as f64;
    counts
        .values()
        .map(|&k| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "counts are string lengths, far below 2^52"
            )]
            let p = k as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Fold look-alike letters from Cyrillic and Greek (and fullwidth forms) to the Latin letters
/// they imitate, and drop invisible characters, so `reаd_file` with a Cyrillic `а` compares
/// equal to `read_file`. Lowercases, and treats `-` like `_`.
pub(crate) fn skeleton(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if is_invisible(c) {
            continue;
        }
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        let mapped = match c {
            'а' | 'А' | 'α' | 'Α' => 'a',
            'в' | 'В' | 'β' | 'Β' => 'b',
            'с' | 'С' | 'ϲ' => 'c',
            'ԁ' => 'd',
            'е' | 'Е' | 'ε' | 'Ε' => 'e',
            'һ' | 'Н' | 'Η' => 'h',
            'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
            'ј' | 'Ј' => 'j',
            'к' | 'К' | 'κ' | 'Κ' => 'k',
            'м' | 'М' | 'Μ' => 'm',
            'п' | 'ո' | 'Ν' => 'n',
            'о' | 'О' | 'ο' | 'Ο' | '০' => 'o',
            'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
            'ԛ' => 'q',
            'ѕ' | 'Ѕ' => 's',
            'т' | 'Т' | 'τ' | 'Τ' => 't',
            'υ' | 'ս' => 'u',
            'ν' | 'ѵ' => 'v',
            'ԝ' | 'ѡ' => 'w',
            'х' | 'Х' | 'χ' | 'Χ' => 'x',
            'у' | 'У' | 'γ' | 'Υ' => 'y',
            'ᴢ' | 'Ζ' => 'z',
            '-' => '_',
            c => c,
        };
        out.extend(mapped.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_invisible_characters() {
        assert_eq!(escape("a\u{200b}b\u{E0041}\n"), "a\\u{200b}b\\u{e0041}\\n");
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape("\u{1b}[31m"), "\\u{1b}[31m");
    }

    #[test]
    fn evidence_is_short_and_keeps_context() {
        let s = format!("{}needle{}", "x".repeat(200), "y".repeat(200));
        let e = evidence(&s, 200, 206);
        assert!(e.contains("needle"), "{e}");
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert!(e.chars().count() < 160, "{e}");
        // Offsets inside a multi-byte character do not panic.
        let s = "ééé needle ééé";
        assert!(evidence(s, 1, 9).contains("needle"));
    }

    #[test]
    fn redact_hides_most_of_the_secret() {
        let r = redact("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert_eq!(r, "ghp_…[redacted, 40 chars]");
        assert_eq!(redact("short"), "…[redacted, 5 chars]");
        assert_eq!(redact("abcdefghijkl"), "ab…[redacted, 12 chars]");
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("aaaaaaaaaaaaaaaa") < 0.1);
        assert!(entropy("Zx8kQ2mLp9Rt4vWb7YcN") > 4.0);
    }

    #[test]
    fn skeleton_folds_look_alikes() {
        assert_eq!(skeleton("re\u{0430}d_file"), "read_file");
        assert_eq!(skeleton("Send-Email"), "send_email");
        assert_eq!(skeleton("r\u{200b}ead"), "read");
    }
}
