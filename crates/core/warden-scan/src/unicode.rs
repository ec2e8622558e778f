//! Text a human does not see: invisible and bidirectional control characters, Unicode tag
//! characters (which spell ASCII invisibly), runs of variation selectors; and text dressed up
//! to slip past matching: look-alike letters from other scripts, fullwidth and mathematical
//! letters, zero-width characters inside words, JSON `\u` escapes.
//!
//! Only non-ASCII bytes are visited (ASCII is skipped sixteen bytes at a time). Legitimate uses
//! are left alone: a byte-order mark at the start, zero-width joiners inside emoji and Indic or
//! Persian words, a variation selector after an emoji, emoji flag tag sequences, direction marks
//! in right-to-left text. Where text was dressed up, the line is normalised (invisibles dropped,
//! look-alikes folded to ASCII) and scanned again; what only that view reveals is reported at
//! high severity, since hiding it was deliberate.

use crate::finding::{Confidence, Severity};
use crate::inject::Kind;
use crate::scanner::{Ctx, Want};
use crate::text::{at, ceil_char, excerpt, floor_char, is_invisible, line_end, line_start};

/// How far a normalised window reaches on each side of what triggered it.
const REACH: usize = 400;

/// Index of the first non-ASCII byte at or after `from`.
fn next_non_ascii(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    // `is_ascii` on a block is word-at-a-time in std: the common case (all ASCII) costs a few
    // instructions per 64 bytes.
    while let Some(block) = b.get(i..i + 64) {
        if !block.is_ascii() {
            break;
        }
        i += 64;
    }
    while let Some(c) = b.get(i) {
        if *c >= 0x80 {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i).and_then(|s| s.chars().next_back())
}

fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

fn is_rtl(c: char) -> bool {
    matches!(u32::from(c), 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFC)
}

/// The ASCII letter a look-alike stands for: Cyrillic and Greek homoglyphs, fullwidth forms,
/// mathematical alphanumerics.
pub(crate) fn fold(c: char) -> Option<char> {
    let cp = u32::from(c);
    let folded = match c {
        'а' | 'α' => 'a',
        'в' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'ɡ' => 'g',
        'һ' => 'h',
        'і' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'κ' | 'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'Ζ' => 'Z',
        _ => {
            return match cp {
                // Fullwidth ASCII.
                0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0),
                // Mathematical alphanumerics: 13 styles of 52 letters, then digits.
                0x1D400..=0x1D6A3 => {
                    let i = (cp - 0x1D400) % 52;
                    let base = if i < 26 { b'A' } else { b'a' };
                    char::from_u32(u32::from(base) + i % 26)
                }
                0x1D7CE..=0x1D7FF => char::from_u32(u32::from(b'0') + (cp - 0x1D7CE) % 10),
                _ => None,
            };
        }
    };
    Some(folded)
}

/// Whether `c` is a letter of a script with Latin look-alikes (or a styled Latin letter).
fn dresses_latin(c: char) -> bool {
    matches!(u32::from(c), 0x0370..=0x03FF | 0x0400..=0x04FF | 0x0500..=0x052F | 0x0261
        | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A | 0x1D400..=0x1D7FF)
}

/// Whether the character starting at `j` (a non-ASCII lead byte) can matter, judged from its
/// first bytes alone: most non-ASCII text (accents, CJK, emoji) is skipped without decoding.
fn interesting(b: &[u8], j: usize) -> bool {
    let (b0, b1, b2) = (at(b, j), at(b, j + 1), at(b, j + 2));
    match b0 {
        0xC2 => b1 == 0xAD,
        0xC9 => b1 == 0xA1,
        0xCD => b1 == 0x8F || b1 >= 0xB0,
        0xCE..=0xD4 => true,
        0xD8 => b1 == 0x9C,
        0xE1 => matches!(
            (b1, b2),
            (0x85, 0x9F | 0xA0) | (0x9E, 0xB4 | 0xB5) | (0xA0, 0x8E)
        ),
        0xE2 => b1 == 0x80 || b1 == 0x81,
        0xE3 => b1 == 0x85 && b2 == 0xA4,
        // 忽 無 无: the first characters of "ignore" in Chinese and Japanese.
        0xE5 => b1 == 0xBF && b2 == 0xBD,
        0xE6 => b1 == 0x97 && b2 == 0xA0,
        0xE7 => b1 == 0x84 && b2 == 0xA1,
        0xEF => matches!(b1, 0xB8 | 0xBB | 0xBC | 0xBD | 0xBE),
        0xF0 => b1 == 0x9D,
        0xF3 => b1 == 0xA0,
        _ => false,
    }
}

/// Length of the UTF-8 sequence a lead byte starts.
fn utf8_len(b0: u8) -> usize {
    match b0 {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// "Ignore" in Chinese, Japanese and Russian: the Override trigger, found here rather than by
/// the word searcher (non-ASCII literals there would only crowd its buckets).
const IGNORE: &[&str] = &["忽略", "無視", "无视", "игнор", "Игнор"];

/// The non-ASCII pass.
pub(crate) fn scan(ctx: &mut Ctx<'_>) {
    if !ctx.want.injection && !ctx.want.secrets {
        return;
    }
    let text = ctx.text;
    let b = ctx.b;
    let mut i = 0;
    // Where the last normalised window ended: windows never overlap.
    let mut normalised_to = 0;
    while let Some(j) = next_non_ascii(b, i) {
        if !interesting(b, j) {
            i = j + utf8_len(at(b, j));
            continue;
        }
        let Some(c) = char_at(text, j) else {
            break;
        };
        let mut next = j + c.len_utf8();
        let mut dressed = false;
        if ctx.want.injection {
            if let Some(word) = IGNORE
                .iter()
                .find(|w| text.get(j..).is_some_and(|t| t.starts_with(**w)))
            {
                ctx.hit(crate::scanner::Trigger::Override, j, word.len());
            }
        }
        if is_tag(c) {
            next = tags(ctx, j);
        } else if is_invisible(c) {
            let (end, inside_word) = invisibles(ctx, j);
            next = end;
            dressed = inside_word;
        } else if dresses_latin(c) {
            // Mixed-script word: a look-alike next to an ASCII letter, or styled letters.
            let styled = u32::from(c) >= 0xFF00;
            dressed = styled
                || crate::text::before(b, j).is_ascii_alphabetic()
                || at(b, next).is_ascii_alphabetic();
        }
        if dressed && j >= normalised_to && ctx.nested_depth() < 2 {
            normalised_to = normalise(ctx, j);
        }
        i = next;
    }
}

/// A run of tag characters starting at `j`: invisible ASCII unless it is an emoji flag
/// sequence (black flag, a few tag letters, cancel tag).
fn tags(ctx: &mut Ctx<'_>, j: usize) -> usize {
    let text = ctx.text;
    let mut end = j;
    let mut decoded = String::new();
    let mut map = Vec::new();
    while let Some(c) = char_at(text, end) {
        if !is_tag(c) {
            break;
        }
        let ascii = u32::from(c) - 0xE0000;
        if (0x20..0x7F).contains(&ascii) {
            if let Some(a) = char::from_u32(ascii) {
                decoded.push(a);
                map.push((end, end + c.len_utf8()));
            }
        }
        end += c.len_utf8();
    }
    let flag = char_before(text, j) == Some('\u{1F3F4}')
        && char_before(text, end) == Some('\u{E007F}')
        && end - j <= 4 * 8;
    if flag || end == j {
        return end.max(j + 4);
    }
    ctx.add(crate::finding::Finding {
        category: crate::finding::Category::Injection,
        family: Kind::Hidden.family(),
        severity: Severity::High,
        confidence: Confidence::High,
        start: j,
        end,
        preview: format!("tag text: {}", excerpt(&decoded, 80)),
        host: None,
        note: "Unicode tag characters spell invisible text",
    });
    if !decoded.is_empty() && ctx.nested_depth() < 2 {
        let want = Want {
            secrets: ctx.want.secrets,
            injection: ctx.want.injection,
            exfil: false,
        };
        let found = ctx.rescan(&decoded, &map, want);
        ctx.merge(found, Some(Severity::High));
    }
    end
}

/// A run of invisible characters at `j`: reported unless legitimate. Returns the run's end and
/// whether it sits inside a word (then the line is normalised and scanned again).
fn invisibles(ctx: &mut Ctx<'_>, j: usize) -> (usize, bool) {
    let text = ctx.text;
    let mut end = j;
    let mut count = 0usize;
    let mut kinds = (false, false, false); // (zero-width, bidi, selectors)
    let mut soft_hyphens = 0usize;
    while let Some(c) = char_at(text, end) {
        if !is_invisible(c) || is_tag(c) {
            break;
        }
        match u32::from(c) {
            0x202A..=0x202E | 0x2066..=0x2069 | 0x200E | 0x200F | 0x061C => kinds.1 = true,
            0xFE00..=0xFE0F | 0xE0100..=0xE01EF => kinds.2 = true,
            0x00AD => soft_hyphens += 1,
            _ => kinds.0 = true,
        }
        count += 1;
        end += c.len_utf8();
    }
    let prev = char_before(text, j);
    let after = char_at(text, end);
    let inside_word =
        prev.is_some_and(|p| p.is_alphanumeric()) && after.is_some_and(|a| a.is_alphanumeric());
    let ascii_around = prev.is_some_and(|p| p.is_ascii_alphanumeric())
        || after.is_some_and(|a| a.is_ascii_alphanumeric());
    let first = char_at(text, j).unwrap_or(' ');
    let non_ascii_around =
        prev.is_some_and(|p| !p.is_ascii()) && after.is_some_and(|a| !a.is_ascii());
    let emoji_run = char_at(text, j).is_some_and(|_| {
        crate::text::slice(text, j, end)
            .chars()
            .all(|c| matches!(u32::from(c), 0xFE0E | 0xFE0F | 0x200D))
    });
    // Emoji machinery: variation selectors and joiners after an emoji or a keycap base.
    let emoji_legit = emoji_run
        && prev.is_some_and(|p| !p.is_ascii() || matches!(p, '#' | '*' | '0'..='9'))
        && after.is_none_or(|a| !a.is_ascii() || a.is_whitespace());
    let hangul = |c: char| matches!(u32::from(c), 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF | 0xFFA0..=0xFFDC);
    let filler = matches!(u32::from(first), 0x115F | 0x1160 | 0x3164 | 0xFFA0);
    let legit = emoji_legit
        || (filler && (prev.is_some_and(hangul) || after.is_some_and(hangul) || !ascii_around))
        || count == 1
            && match u32::from(first) {
                // A byte-order mark at the very start.
                0xFEFF => j == 0,
                // Joiners inside emoji sequences and Indic or Persian words; word breaks in scripts
                // written without spaces (Thai, Khmer, Myanmar, Japanese).
                0x200B | 0x200C | 0x200D | 0x2060 => non_ascii_around,
                // Direction marks in right-to-left text.
                0x200E | 0x200F | 0x061C => {
                    prev.is_some_and(is_rtl) || after.is_some_and(is_rtl) || !ascii_around
                }
                // One variation selector after an emoji or ideograph.
                0xFE00..=0xFE0F | 0xE0100..=0xE01EF => prev.is_some_and(|p| !p.is_ascii()),
                // A single soft hyphen is a hyphenation hint.
                0x00AD => true,
                _ => false,
            };
    // Soft hyphens: legitimate one by one (also several in a long word); a run hides text.
    let only_soft = soft_hyphens == count;
    if legit || (only_soft && count < 2) {
        return (end, inside_word && ascii_around);
    }
    let (severity, note) = if kinds.1 && !kinds.0 {
        (Severity::Medium, "bidirectional control characters")
    } else if kinds.2 && !kinds.0 {
        (
            if count >= 4 {
                Severity::High
            } else {
                Severity::Medium
            },
            "run of variation selectors (can carry hidden data)",
        )
    } else if only_soft {
        (Severity::Medium, "run of soft hyphens")
    } else {
        (
            if count >= 4 {
                Severity::High
            } else {
                Severity::Medium
            },
            "zero-width characters",
        )
    };
    // One invisible character between words is often copy-paste debris; inside a word or in a
    // run it is deliberate.
    let (severity, confidence) = if count == 1 && !inside_word && !kinds.1 {
        if ascii_around {
            (severity, Confidence::Medium)
        } else {
            (Severity::Low, Confidence::Low)
        }
    } else {
        (severity, Confidence::High)
    };
    let preview = excerpt(crate::text::slice(text, j, end), 24);
    ctx.add(crate::finding::Finding {
        category: crate::finding::Category::Injection,
        family: Kind::Hidden.family(),
        severity,
        confidence,
        start: j,
        end,
        preview,
        host: None,
        note,
    });
    (end, inside_word && ascii_around)
}

/// Normalises the line around `j` and scans it again; returns where the window ends.
fn normalise(ctx: &mut Ctx<'_>, j: usize) -> usize {
    let text = ctx.text;
    let b = ctx.b;
    let from = floor_char(text, line_start(b, j, REACH));
    let to = ceil_char(text, line_end(b, j, REACH));
    let window = text.get(from..to).unwrap_or("");
    let mut view = String::with_capacity(window.len());
    let mut map = Vec::with_capacity(window.len());
    for (k, c) in window.char_indices() {
        let o = from + k;
        let span = (o, o + c.len_utf8());
        if is_invisible(c) {
            continue;
        }
        let out = fold(c).unwrap_or(c);
        let before = view.len();
        view.push(out);
        map.extend(std::iter::repeat_n(span, view.len() - before));
    }
    if view.len() == window.len() && view == window {
        return to;
    }
    let want = Want {
        secrets: ctx.want.secrets,
        injection: ctx.want.injection,
        exfil: false,
    };
    let found = ctx.rescan(&view, &map, want);
    ctx.merge(found, Some(Severity::High));
    to
}

/// JSON `\u` escapes near `pos`: decodes a window and scans it again when the escapes spell
/// ASCII, invisible characters or whole words (plain `\u00e9` in ordinary text does not).
pub(crate) fn json_escapes(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    if ctx.nested_depth() > 0 {
        return pos + 6;
    }
    let text = ctx.text;
    let b = ctx.b;
    let from = floor_char(text, pos.saturating_sub(256));
    let to = ceil_char(text, pos + 768);
    let mut view = String::with_capacity(to - from);
    let mut map = Vec::with_capacity(to - from);
    let mut suspicious = false;
    let mut escaped_bytes = 0;
    let mut i = from;
    while i < to {
        if at(b, i) == b'\\' {
            if at(b, i + 1) == b'u' {
                if let Some((c, len)) = decode_u(b, i) {
                    // Encoders escape quotes, backslashes, controls, non-ASCII and (for HTML
                    // safety) `< > &`; an escaped letter, digit, `_` or `-` is there to hide.
                    suspicious |= c.is_ascii_alphanumeric()
                        || c == '_'
                        || c == '-'
                        || is_invisible(c)
                        || is_tag(c);
                    escaped_bytes += len;
                    let before = view.len();
                    view.push(c);
                    map.extend(std::iter::repeat_n((i, i + len), view.len() - before));
                    i += len;
                    continue;
                }
            } else if let Some(c) = match at(b, i + 1) {
                b'n' => Some('\n'),
                b't' => Some('\t'),
                b'"' => Some('"'),
                b'\\' => Some('\\'),
                b'/' => Some('/'),
                _ => None,
            } {
                view.push(c);
                map.push((i, i + 2));
                i += 2;
                continue;
            }
        }
        let Some(c) = char_at(text, i) else {
            break;
        };
        let before = view.len();
        view.push(c);
        map.extend(std::iter::repeat_n(
            (i, i + c.len_utf8()),
            view.len() - before,
        ));
        i += c.len_utf8();
    }
    if suspicious || escaped_bytes * 2 >= to - from {
        let want = Want {
            secrets: ctx.want.secrets,
            injection: ctx.want.injection,
            exfil: false,
        };
        let found = ctx.rescan(&view, &map, want);
        ctx.merge(found, None);
    }
    to
}

/// Decodes `\uXXXX` (and a following low surrogate) at `i`: the char and the bytes consumed.
fn decode_u(b: &[u8], i: usize) -> Option<(char, usize)> {
    let hex4 = |k: usize| -> Option<u32> {
        let s = b.get(k..k + 4)?;
        let s = std::str::from_utf8(s).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let hi = hex4(i + 2)?;
    if (0xD800..0xDC00).contains(&hi) {
        if at(b, i + 6) == b'\\' && at(b, i + 7) == b'u' {
            let lo = hex4(i + 8)?;
            if (0xDC00..0xE000).contains(&lo) {
                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return char::from_u32(cp).map(|c| (c, 12));
            }
        }
        return None;
    }
    char::from_u32(hi).map(|c| (c, 6))
}
