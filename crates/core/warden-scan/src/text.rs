//! Byte-level helpers shared by the detectors: character classes, bounded runs, char
//! boundaries, Shannon entropy, decoders (percent, base64, hex) and redacted previews.
//!
//! Every helper takes an explicit bound: detectors run at anchor hits inside arbitrarily large
//! text, and no single hit may cost more than a window's worth of work.

/// ASCII letter, digit or underscore: what `\b` treats as a word character.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Characters of the URL-safe base64 alphabet, which most vendor tokens are drawn from.
pub fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Characters of standard base64 (without padding).
pub fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The byte at `i`, or `0` past either end (a NUL stands for "no character").
pub fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// The byte before `i`, or `0` at the start.
pub fn before(bytes: &[u8], i: usize) -> u8 {
    i.checked_sub(1).map_or(0, |j| at(bytes, j))
}

/// End of the run of bytes matching `pred` that starts at `from`, looking at most `cap` bytes.
pub fn run_end(bytes: &[u8], from: usize, cap: usize, pred: impl Fn(u8) -> bool) -> usize {
    let stop = from.saturating_add(cap).min(bytes.len());
    let mut i = from.min(stop);
    while i < stop && bytes.get(i).is_some_and(|b| pred(*b)) {
        i += 1;
    }
    i
}

/// Start of the run of bytes matching `pred` that ends at `to`, looking at most `cap` bytes back.
pub fn run_start(bytes: &[u8], to: usize, cap: usize, pred: impl Fn(u8) -> bool) -> usize {
    let to = to.min(bytes.len());
    let stop = to.saturating_sub(cap);
    let mut i = to;
    while i > stop && bytes.get(i - 1).is_some_and(|b| pred(*b)) {
        i -= 1;
    }
    i
}

/// The largest char boundary of `s` at or before `i`.
pub fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or after `i`.
pub fn ceil_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `s[from..to]` with both ends moved onto char boundaries (never panics).
pub fn slice(s: &str, from: usize, to: usize) -> &str {
    let a = floor_char(s, from);
    let b = ceil_char(s, to.max(a));
    s.get(a..b).unwrap_or("")
}

/// Start of the line holding `i`, looking at most `cap` bytes back.
pub fn line_start(bytes: &[u8], i: usize, cap: usize) -> usize {
    run_start(bytes, i, cap, |b| b != b'\n')
}

/// End of the line holding `i` (the newline's offset), looking at most `cap` bytes ahead.
pub fn line_end(bytes: &[u8], i: usize, cap: usize) -> usize {
    run_end(bytes, i, cap, |b| b != b'\n')
}

/// Index of the first byte at or after `i` that is not a space or tab.
pub fn skip_blanks(bytes: &[u8], i: usize, cap: usize) -> usize {
    run_end(bytes, i, cap, |b| b == b' ' || b == b'\t')
}

/// Whether `bytes[i..]` starts with `lit`, ignoring ASCII case.
pub fn starts_ci(bytes: &[u8], i: usize, lit: &[u8]) -> bool {
    bytes
        .get(i..i.saturating_add(lit.len()))
        .is_some_and(|s| s.eq_ignore_ascii_case(lit))
}

/// Whether `bytes[i..]` starts with `lit` exactly.
pub fn starts(bytes: &[u8], i: usize, lit: &[u8]) -> bool {
    bytes
        .get(i..i.saturating_add(lit.len()))
        .is_some_and(|s| s == lit)
}

/// Whether `hay` contains `needle`, ignoring ASCII case (short haystacks only).
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in bytes {
        if let Some(c) = counts.get_mut(usize::from(*b)) {
            *c += 1;
        }
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// How many of lowercase, uppercase, digit and other characters `bytes` mixes (0 to 4).
pub fn classes(bytes: &[u8]) -> u32 {
    let (mut lo, mut up, mut dig, mut other) = (false, false, false, false);
    for b in bytes {
        match b {
            b'a'..=b'z' => lo = true,
            b'A'..=b'Z' => up = true,
            b'0'..=b'9' => dig = true,
            _ => other = true,
        }
    }
    u32::from(lo) + u32::from(up) + u32::from(dig) + u32::from(other)
}

/// How many distinct bytes `bytes` holds.
pub fn distinct(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for b in bytes {
        if let Some(s) = seen.get_mut(usize::from(*b)) {
            if !*s {
                *s = true;
                n += 1;
            }
        }
    }
    n
}

/// Whether every byte is a hex digit.
pub fn is_hex(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(u8::is_ascii_hexdigit)
}

/// Whether `bytes` is a UUID (`8-4-4-4-12` hex digits).
pub fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Decodes `%XX` escapes and `+` (as a space); `None` when nothing was escaped. Bounded by
/// the input's length: the output is never longer.
pub fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    if !s.iter().any(|b| *b == b'%' || *b == b'+') {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = at(s, i);
        if b == b'%' {
            if let (Some(h), Some(l)) = (hex_val(at(s, i + 1)), hex_val(at(s, i + 2))) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    Some(out)
}

/// The value of one hex digit.
pub fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex digits (even length); `None` otherwise.
pub fn hex_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() & 1 != 0 || !is_hex(s) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| Some(hex_val(at(p, 0))? << 4 | hex_val(at(p, 1))?))
        .collect()
}

fn b64_val(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes standard or URL-safe base64, padded or not; `None` on any other character.
pub fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (k, b) in chunk.iter().enumerate() {
            acc |= b64_val(*b)? << (18 - 6 * k as u32);
        }
        let bytes = acc.to_be_bytes();
        let take = chunk.len().saturating_sub(1);
        out.extend(bytes.iter().skip(1).take(take));
    }
    Some(out)
}

/// Whether decoded bytes read as text: valid UTF-8, almost all printable, with some letters.
pub fn is_readable(bytes: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(bytes) else {
        return false;
    };
    let total = s.chars().count();
    if total == 0 {
        return false;
    }
    let printable = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    printable * 100 >= total * 97 && letters * 3 >= total
}

/// A redacted preview of a secret: the first `keep` characters (capped at a quarter of the
/// secret, so short secrets show nothing), an ellipsis and the length.
pub fn preview(secret: &str, keep: usize) -> String {
    let n = secret.chars().count();
    // Short secrets show nothing; longer ones at most a quarter.
    let keep = if n < 12 { 0 } else { keep.min(n / 4) };
    let shown: String = secret.chars().take(keep).collect();
    format!("{shown}…({n} chars)")
}

/// A short view of non-secret text (an injection phrase, a URL): at most `max` characters,
/// control characters shown as `\u{..}`.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that render as nothing: zero-width, bidi controls, tags, variation selectors.
pub fn is_invisible(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069
        | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xE0000..=0xE007F | 0xE0100..=0xE01EF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_and_classes() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(classes(b"aB3$"), 4);
        assert_eq!(distinct(b"abcabc"), 3);
    }

    #[test]
    fn decoders() {
        assert_eq!(
            b64_decode(b"aGVsbG8gd29ybGQ=").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(
            b64_decode(b"aGVsbG8gd29ybGQ").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(b64_decode(b"a"), None);
        assert_eq!(hex_decode(b"6869").as_deref(), Some(&b"hi"[..]));
        assert_eq!(percent_decode(b"a%20b+c").as_deref(), Some(&b"a b c"[..]));
        assert_eq!(percent_decode(b"plain"), None);
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(is_readable(b"send the keys"));
        assert!(!is_readable(&[0xff, 0x00, 0x13]));
    }

    #[test]
    fn boundaries_never_split_chars() {
        let s = "aé😀b";
        for i in 0..=s.len() + 2 {
            for j in 0..=s.len() + 2 {
                let _ = slice(s, i, j);
            }
        }
        assert_eq!(slice(s, 2, 4), "é😀");
    }

    #[test]
    fn previews_hide_the_secret() {
        assert_eq!(preview("ghp_abcdefghijklmnop", 4), "ghp_…(20 chars)");
        assert_eq!(preview("hunter2", 4), "…(7 chars)");
    }
}
