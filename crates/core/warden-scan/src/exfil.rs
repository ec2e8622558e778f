//! URLs: credentials in them (database connection strings, `https://user:token@host`),
//! webhook URLs that are secrets themselves (Slack, Discord, Telegram bots), and exfiltration
//! channels: URLs whose query, path or host carries data (a secret, encoded text, long or
//! high-entropy values), made worse when the URL is an image the client fetches by itself
//! (markdown `![x](…)`, reference-style images, HTML `<img src>`).
//!
//! Ordinary URLs leave quickly: no query and a short path cost a few dozen nanoseconds. Values
//! are percent-, base64- and hex-decoded (bounded) and the decoded text is scanned for secrets.
//! Guards keep hex digests, UUIDs, asset hashes, signed-URL signatures and map URLs quiet.

use crate::finding::{Category, Confidence, Finding, Severity};
use crate::scanner::{Ctx, Want};
use crate::text::{
    at, b64_decode, before, entropy, hex_decode, is_hex, is_readable, is_uuid, percent_decode,
    run_start, starts_ci,
};

use Confidence as C;
use Severity as S;

/// Longest URL examined; longer ones are cut here (and are suspicious for it).
const MAX_URL: usize = 16 * 1024;
/// Longest value decoded and scanned again.
const MAX_DECODE: usize = 4096;

/// Schemes whose URLs can carry data out (the others are databases and brokers).
fn webish(scheme: &[u8]) -> bool {
    ["http", "https", "ws", "wss", "ftp", "ftps"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s.as_bytes()))
}

/// Schemes of connection strings whose userinfo holds a service password.
fn database(scheme: &[u8]) -> bool {
    const SCHEMES: &[&str] = &[
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mssql",
        "sqlserver",
        "oracle",
        "clickhouse",
        "couchdb",
        "neo4j",
        "nats",
        "mqtt",
        "ldap",
        "ldaps",
        "smtp",
        "smtps",
        "sftp",
    ];
    SCHEMES
        .iter()
        .any(|d| scheme.eq_ignore_ascii_case(d.as_bytes()))
}

/// Where a URL sits, which decides how bad carrying data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    MarkdownImage,
    HtmlImage,
    /// `[ref]: url`, used by an image elsewhere.
    RefImage,
    Link,
    Plain,
}

impl Place {
    fn image(self) -> bool {
        matches!(
            self,
            Place::MarkdownImage | Place::HtmlImage | Place::RefImage
        )
    }

    fn family(self) -> &'static str {
        match self {
            Place::MarkdownImage | Place::RefImage => "exfil.markdown_image",
            Place::HtmlImage => "exfil.html_image",
            Place::Link => "exfil.link",
            Place::Plain => "exfil.url",
        }
    }
}

/// A URL that could carry a secret, kept until secrets are known (described again only if one
/// is found inside).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    start: usize,
    end: usize,
    colon: usize,
    escaped: bool,
}

/// What a value carries, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Signal {
    ManyParams,
    LongQuery,
    HighEntropy,
    DataHost,
    LongText,
    Encoded,
    Secret,
}

impl Signal {
    fn note(self) -> &'static str {
        match self {
            Signal::ManyParams => "many parameters with values",
            Signal::LongQuery => "very long query string",
            Signal::HighEntropy => "long high-entropy value",
            Signal::DataHost => "data encoded in the host name",
            Signal::LongText => "text carried in the URL",
            Signal::Encoded => "encoded text carried in the URL",
            Signal::Secret => "carries a secret",
        }
    }

    fn rating(self, image: bool) -> (Severity, Confidence) {
        match (self, image) {
            (Signal::Secret, _) => (S::Critical, C::High),
            (Signal::Encoded, true) | (Signal::LongText, true) | (Signal::DataHost, true) => {
                (S::High, C::High)
            }
            (Signal::Encoded, false) => (S::Medium, C::High),
            (Signal::LongText, false) | (Signal::DataHost, false) => (S::Medium, C::Medium),
            (Signal::HighEntropy, true)
            | (Signal::LongQuery, true)
            | (Signal::ManyParams, true) => (S::Medium, C::Medium),
            (Signal::HighEntropy, false)
            | (Signal::LongQuery, false)
            | (Signal::ManyParams, false) => (S::Low, C::Low),
        }
    }
}

/// Parameters whose values are random by design (signatures, nonces, trackers, cache busters):
/// their entropy says nothing.
fn random_by_design(name: &[u8]) -> bool {
    const PREFIXES: &[&str] = &["x-amz-", "x-goog-", "utm_"];
    const NAMES: &[&str] = &[
        "sig",
        "signature",
        "state",
        "nonce",
        "code",
        "code_challenge",
        "client_id",
        "_csrf",
        "csrf",
        "fbclid",
        "gclid",
        "msclkid",
        "dclid",
        "v",
        "ver",
        "version",
        "hash",
        "h",
        "checksum",
        "integrity",
        "etag",
        "cb",
        "_",
        "t",
        "ts",
        "se",
        "sp",
        "sv",
        "sr",
        "spr",
        "skoid",
        "sktid",
        "policy",
        "key-pair-id",
        "expires",
        "session_state",
        "id",
        "uuid",
        "request_id",
    ];
    PREFIXES.iter().any(|p| starts_ci(name, 0, p.as_bytes()))
        || NAMES
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// A URL as parsed: its bytes (unescaped when it sat in a JSON string) and where each came from.
struct View<'a> {
    bytes: std::borrow::Cow<'a, [u8]>,
    /// Original offset of each byte, when unescaped; identity from `base` otherwise.
    map: Option<Vec<usize>>,
    base: usize,
}

impl View<'_> {
    fn raw(&self, i: usize) -> usize {
        match &self.map {
            Some(m) => m.get(i).copied().unwrap_or(self.base + i),
            None => self.base + i,
        }
    }

    fn raw_end(&self, i: usize) -> usize {
        match &self.map {
            Some(_) if i > 0 => self.raw(i - 1) + 1,
            Some(_) => self.base,
            None => self.base + i,
        }
    }

    fn get(&self, a: usize, b: usize) -> &[u8] {
        self.bytes.get(a..b).unwrap_or(&[])
    }
}

/// What a byte is to a URL: 0 ends it, 1 belongs to it, 2 and 3 are `(` and `)` (balanced, so a
/// markdown link's closing parenthesis ends the URL), 4 is `\\` (ends it unless JSON-escaping a
/// `/`), 6 to 9 are `/ ? # @` (their first places split the URL). A table: this loop runs over
/// every byte of every URL in the text.
const URL_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0x21;
    while i < 256 {
        t[i] = 1;
        i += 1;
    }
    t[0x7F] = 0;
    t[b'"' as usize] = 0;
    t[b'<' as usize] = 0;
    t[b'>' as usize] = 0;
    t[b'`' as usize] = 0;
    t[b'{' as usize] = 0;
    t[b'}' as usize] = 0;
    t[b'|' as usize] = 0;
    t[b'^' as usize] = 0;
    t[b']' as usize] = 0;
    t[b'(' as usize] = 2;
    t[b')' as usize] = 3;
    t[b'\\' as usize] = 4;
    t[b'/' as usize] = 6;
    t[b'?' as usize] = 7;
    t[b'#' as usize] = 8;
    t[b'@' as usize] = 9;
    t[b'.' as usize] = 10;
    t
};

/// Where a URL's parts are, from one pass over it (offsets into the text).
struct Shape {
    end: usize,
    /// First `/`, `?` or `#` after the scheme: the end of the authority.
    auth_end: usize,
    /// Last `@` in the authority.
    at_sign: Option<usize>,
    /// First `?` or `#` after the authority: the end of the path.
    path_end: usize,
    /// Longest run between separators (`/ . ? # @`): nothing shorter than 16 bytes can hold a
    /// token, so short URLs leave early.
    longest: usize,
}

/// Walks a URL starting at `from`: its end (`(` `)` balanced so markdown's closing parenthesis
/// ends it, trailing punctuation dropped) and where its parts are.
fn url_shape(b: &[u8], from: usize, escaped: bool) -> Shape {
    let stop = from.saturating_add(MAX_URL).min(b.len());
    let mut i = from;
    let mut depth = 0i32;
    let (mut auth_end, mut at_sign, mut path_end) = (None, None, None);
    let (mut longest, mut last_sep) = (0usize, from);
    // A `[u8; 256]` indexed by a byte: no bounds check, no branch but the loop's.
    let class = |i: usize| b.get(i).map_or(0, |c| URL_BYTES[usize::from(*c)]);
    loop {
        // Ordinary bytes in a tight loop; the few special ones below.
        let rest = b.get(i..stop).unwrap_or(&[]);
        i += rest
            .iter()
            .position(|c| URL_BYTES[usize::from(*c)] != 1)
            .unwrap_or(rest.len());
        if i >= stop {
            break;
        }
        let class_i = class(i);
        if class_i >= 6 {
            longest = longest.max(i - last_sep);
            last_sep = i + 1;
        }
        match class_i {
            2 => depth += 1,
            3 if depth > 0 => depth -= 1,
            4 if escaped && at(b, i + 1) == b'/' => {
                auth_end = auth_end.or(Some(i));
                i += 1;
            }
            6 => auth_end = auth_end.or(Some(i)),
            7 | 8 => {
                auth_end = auth_end.or(Some(i));
                path_end = path_end.or(Some(i));
            }
            9 if auth_end.is_none() => at_sign = Some(i),
            9 | 10 => {}
            _ => break,
        }
        i += 1;
    }
    while i > from
        && matches!(
            at(b, i - 1),
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'\''
        )
    {
        i -= 1;
    }
    let auth_end = auth_end.unwrap_or(i).min(i);
    Shape {
        end: i,
        auth_end,
        at_sign: at_sign.filter(|a| *a < auth_end),
        path_end: path_end.unwrap_or(i).clamp(auth_end, i),
        longest: longest.max(i.saturating_sub(last_sep)),
    }
}

/// What surrounds the URL starting at `s`.
fn place(ctx: &Ctx<'_>, s: usize) -> Place {
    let b = ctx.b;
    // Markdown `](url` or `](<url`.
    let mut k = s;
    if before(b, k) == b'<' {
        k -= 1;
    }
    if before(b, k) == b'(' && k >= 2 && before(b, k - 1) == b']' {
        // Find the `[` that opens the link text, then look for `!` before it.
        let close = k - 2;
        let from = close.saturating_sub(1024);
        let mut depth = 0;
        let mut j = close;
        while j > from {
            j -= 1;
            match at(b, j) {
                b']' => depth += 1,
                b'[' if depth == 0 => {
                    return if before(b, j) == b'!' {
                        Place::MarkdownImage
                    } else {
                        Place::Link
                    };
                }
                b'[' => depth -= 1,
                b'\n' if at(b, j + 1) == b'\n' => break,
                _ => {}
            }
        }
        return Place::Link;
    }
    // HTML `src="url"` inside `<img`, or `href=`.
    let mut k = s;
    if matches!(before(b, k), b'"' | b'\'') {
        k -= 1;
    }
    while matches!(before(b, k), b' ' | b'\t') {
        k -= 1;
    }
    if before(b, k) == b'=' {
        let name_end = k - 1;
        let name_start = run_start(b, name_end, 16, |c| c.is_ascii_alphabetic());
        let name = b.get(name_start..name_end).unwrap_or(&[]);
        if name.eq_ignore_ascii_case(b"src") || name.eq_ignore_ascii_case(b"srcset") {
            let from = name_start.saturating_sub(512);
            let open = b
                .get(from..name_start)
                .and_then(|w| w.iter().rposition(|c| *c == b'<'))
                .map(|i| from + i);
            if let Some(lt) = open {
                let inside = !b.get(lt..name_start).is_some_and(|w| w.contains(&b'>'));
                if inside
                    && (starts_ci(b, lt, b"<img")
                        || starts_ci(b, lt, b"<image")
                        || starts_ci(b, lt, b"<source"))
                {
                    return Place::HtmlImage;
                }
            }
            return Place::Link;
        }
        if name.eq_ignore_ascii_case(b"href") {
            return Place::Link;
        }
    }
    // Reference definition `[label]: url` at the start of a line, used by an image.
    let ls = crate::text::line_start(b, s, 256);
    let line = b.get(ls..s).unwrap_or(&[]);
    let trimmed: &[u8] = {
        let t = line.iter().position(|c| *c != b' ').unwrap_or(line.len());
        line.get(t..).unwrap_or(&[])
    };
    if trimmed.first() == Some(&b'[') {
        if let Some(close) = trimmed.iter().position(|c| *c == b']') {
            let rest = trimmed.get(close + 1..).unwrap_or(&[]);
            if rest.first() == Some(&b':') && rest.iter().skip(1).all(|c| *c == b' ' || *c == b'<')
            {
                let open = ls + (line.len() - trimmed.len());
                let label = crate::text::slice(ctx.text, open + 1, open + close);
                return if ref_used_by_image(ctx.text, label) {
                    Place::RefImage
                } else {
                    Place::Link
                };
            }
        }
    }
    Place::Plain
}

/// Whether some `![alt][label]`, `![label][]` or `![label]` uses the reference `label`.
fn ref_used_by_image(text: &str, label: &str) -> bool {
    if label.is_empty() || label.len() > 64 {
        return false;
    }
    let needle = format!("[{label}]");
    let b = text.as_bytes();
    text.match_indices(needle.as_str()).any(|(i, _)| {
        // `![label]` itself, or `…][label]` closing an image's alt text.
        if before(b, i) == b'!' {
            return at(b, i + needle.len()) != b':';
        }
        if before(b, i) == b']' {
            let from = i.saturating_sub(512);
            if let Some(open) = b
                .get(from..i - 1)
                .and_then(|w| w.iter().rposition(|c| *c == b'['))
            {
                return before(b, from + open) == b'!';
            }
        }
        false
    })
}

/// Checks the URL whose `://` (or JSON-escaped `:\/\/`) is at `colon`; returns its end.
pub(crate) fn url(ctx: &mut Ctx<'_>, colon: usize, escaped: bool) -> usize {
    let b = ctx.b;
    let sep = if escaped { 5 } else { 3 };
    let mut s = run_start(b, colon, 32, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-' | b':')
    });
    while s < colon && !at(b, s).is_ascii_alphabetic() {
        s += 1;
    }
    if s == colon {
        return colon + sep;
    }
    let shape = url_shape(b, colon + sep, escaped);
    let end = shape.end;
    if end <= colon + sep {
        return colon + sep;
    }
    // Most URLs: no userinfo, no query, every part short. Nothing in them can be a secret or
    // carry data (a webhook or token has a part of 16 bytes or more).
    if shape.at_sign.is_none() && shape.path_end == end && shape.longest < 16 && !escaped {
        return end;
    }
    let scheme = b.get(s..colon).unwrap_or(&[]);
    // `jdbc:postgresql://` and the like: the scheme after the last colon names the database.
    let scheme_last = scheme.rsplit(|c| *c == b':').next().unwrap_or(scheme);
    let web = webish(scheme_last);
    // The view: the URL's bytes, with `\/` unescaped when it sat in a JSON string.
    let view = if escaped {
        let mut bytes = Vec::with_capacity(end - s);
        let mut map = Vec::with_capacity(end - s);
        let mut i = s;
        while i < end {
            if at(b, i) == b'\\' && at(b, i + 1) == b'/' {
                bytes.push(b'/');
                map.push(i + 1);
                i += 2;
            } else {
                bytes.push(at(b, i));
                map.push(i);
                i += 1;
            }
        }
        View {
            bytes: std::borrow::Cow::Owned(bytes),
            map: Some(map),
            base: s,
        }
    } else {
        View {
            bytes: std::borrow::Cow::Borrowed(b.get(s..end).unwrap_or(&[])),
            map: None,
            base: s,
        }
    };
    let v = &view.bytes;
    let auth_start = colon - s + 3;
    // Offsets from the single walk, moved into the view (which drops `\` of `\/` when
    // unescaped, so positions are found again there).
    let (auth_end, at_sign, path_end) = if escaped {
        let ae = (auth_start..v.len())
            .find(|i| matches!(at(v, *i), b'/' | b'?' | b'#'))
            .unwrap_or(v.len());
        let pe = (ae..v.len())
            .find(|i| matches!(at(v, *i), b'?' | b'#'))
            .unwrap_or(v.len());
        (ae, (auth_start..ae).rev().find(|i| at(v, *i) == b'@'), pe)
    } else {
        (
            shape.auth_end - s,
            shape.at_sign.map(|a| a - s),
            shape.path_end - s,
        )
    };
    let host_start = at_sign.map_or(auth_start, |a| a + 1);
    let host_port = view.get(host_start, auth_end);
    let host_len = if host_port.first() == Some(&b'[') {
        host_port
            .iter()
            .position(|c| *c == b']')
            .map_or(host_port.len(), |i| i + 1)
    } else {
        host_port
            .iter()
            .rposition(|c| *c == b':')
            .filter(|i| {
                host_port
                    .get(i + 1..)
                    .is_some_and(|p| p.iter().all(u8::is_ascii_digit))
            })
            .unwrap_or(host_port.len())
    };
    let host = host_port.get(..host_len).unwrap_or(&[]);
    if let Some(a) = at_sign {
        if ctx.want.secrets || ctx.want.exfil {
            credentials(ctx, &view, auth_start, a, host, database(scheme_last));
        }
    }
    let (q_start, q_end) = if at(v, path_end) == b'?' {
        let qe = (path_end + 1..v.len())
            .find(|i| at(v, *i) == b'#')
            .unwrap_or(v.len());
        (path_end + 1, qe)
    } else {
        (path_end, path_end)
    };
    if !web {
        return end;
    }
    webhooks(ctx, &view, host, auth_end, path_end);
    // Quick exit: no query, short path, short host labels.
    let path_len = path_end - auth_end;
    let long_label = host.split(|c| *c == b'.').any(|l| l.len() >= 24);
    if q_start == q_end && path_len < 24 && !long_label {
        return end;
    }
    if !ctx.want.exfil && !ctx.want.secrets {
        return end;
    }
    let mut best: Option<(Signal, usize, usize)> = None;
    let mut consider = |sig: Option<(Signal, usize, usize)>| {
        if let Some(s) = sig {
            if best.is_none_or(|b| s.0 > b.0) {
                best = Some(s);
            }
        }
    };
    // Query parameters.
    let mut params = 0;
    let mut i = q_start;
    while i < q_end {
        let pe = (i..q_end)
            .find(|k| matches!(at(v, *k), b'&' | b';'))
            .unwrap_or(q_end);
        let eq = (i..pe).find(|k| at(v, *k) == b'=');
        let (name, vs) = match eq {
            Some(e) => (view.get(i, e), e + 1),
            None => (view.get(i, pe), pe),
        };
        if pe - vs >= 8 {
            params += 1;
        }
        // Short values settle nothing and are most parameters: skip them before any work.
        if pe - vs >= 16 {
            consider(value(ctx, &view, vs, pe, random_by_design(name), false));
        }
        i = pe + 1;
    }
    if q_end - q_start >= 1024 {
        consider(Some((Signal::LongQuery, q_start, q_end)));
    }
    if params >= 12 {
        consider(Some((Signal::ManyParams, q_start, q_end)));
    }
    // Path segments (map URLs are long by design).
    let maps = [&b"www.google."[..], b"google.", b"maps.google."]
        .iter()
        .any(|p| starts_ci(host, 0, p));
    if !maps && path_len >= 16 {
        let mut i = auth_end + 1;
        while i < path_end {
            let se = (i..path_end)
                .find(|k| at(v, *k) == b'/')
                .unwrap_or(path_end);
            let seg = view.get(i, se);
            // `app.3f2a9c1b.js`: an asset named by its hash.
            let asset = seg.iter().rposition(|c| *c == b'.').is_some_and(|d| {
                let ext = seg.get(d + 1..).unwrap_or(&[]);
                (1..=5).contains(&ext.len()) && ext.iter().all(u8::is_ascii_alphanumeric)
            });
            // A segment without uppercase, `%` or all-hex digits can be none of what `value`
            // looks for (base64 text, hex text, hidden escapes, random data): `2024-05-01`,
            // `lodash-4.17.21.tgz`, UUIDs.
            let seg = view.get(i, se);
            let worth = seg.len() >= 16
                && (seg.iter().any(|c| c.is_ascii_uppercase() || *c == b'%') || is_hex(seg));
            if worth {
                consider(value(ctx, &view, i, se, asset, true));
            }
            i = se + 1;
        }
    }
    // Host labels: data smuggled through DNS.
    for l in host.split(|c| *c == b'.') {
        if l.len() >= 24
            && !l.contains(&b'-')
            && l.iter().any(u8::is_ascii_digit)
            && (entropy(l) >= 3.8 || (is_hex(l) && l.len() >= 32))
        {
            consider(Some((Signal::DataHost, host_start, host_start + host_len)));
        }
    }
    let raw_start = view.raw(0);
    let raw_end = view.raw_end(v.len());
    if let Some((sig, vs, ve)) = best {
        if ctx.want.exfil {
            let place = place(ctx, s);
            // Text in a link's query is ordinary up to a point (search terms); an image has
            // no reason to carry any.
            if sig == Signal::LongText && !place.image() && ve - vs < 200 {
                return end;
            }
            let (severity, confidence) = sig.rating(place.image());
            let preview = url_preview(&view, auth_start, host, auth_end, path_end, q_start, q_end);
            ctx.add(Finding {
                category: Category::Exfil,
                family: place.family(),
                severity,
                confidence,
                start: raw_start,
                end: raw_end,
                preview,
                host: Some(String::from_utf8_lossy(host).to_ascii_lowercase()),
                note: sig.note(),
            });
        }
    }
    if ctx.want.exfil && (q_start < q_end || path_len >= 16) {
        ctx.urls.push(Seen {
            start: raw_start,
            end: raw_end,
            colon,
            escaped,
        });
    }
    end
}

/// Host, place and preview of a URL seen earlier (parsed again: this is rare).
fn describe(ctx: &Ctx<'_>, seen: Seen) -> (String, Place, String) {
    let b = ctx.b;
    let s = seen.start;
    let bytes: Vec<u8> = {
        let raw = b.get(s..seen.end).unwrap_or(&[]);
        if seen.escaped {
            let mut out = Vec::with_capacity(raw.len());
            let mut i = 0;
            while i < raw.len() {
                if at(raw, i) == b'\\' && at(raw, i + 1) == b'/' {
                    i += 1;
                }
                out.push(at(raw, i));
                i += 1;
            }
            out
        } else {
            raw.to_vec()
        }
    };
    let view = View {
        bytes: std::borrow::Cow::Owned(bytes),
        map: None,
        base: s,
    };
    let v = &view.bytes;
    let auth_start = seen.colon - s + 3;
    let auth_end = (auth_start..v.len())
        .find(|i| matches!(at(v, *i), b'/' | b'?' | b'#'))
        .unwrap_or(v.len());
    let host_start = (auth_start..auth_end)
        .rev()
        .find(|i| at(v, *i) == b'@')
        .map_or(auth_start, |a| a + 1);
    let host_port = view.get(host_start, auth_end);
    let host_len = host_port
        .iter()
        .rposition(|c| *c == b':')
        .unwrap_or(host_port.len());
    let host = host_port.get(..host_len).unwrap_or(&[]);
    let path_end = (auth_end..v.len())
        .find(|i| matches!(at(v, *i), b'?' | b'#'))
        .unwrap_or(v.len());
    let (q_start, q_end) = if at(v, path_end) == b'?' {
        let qe = (path_end + 1..v.len())
            .find(|i| at(v, *i) == b'#')
            .unwrap_or(v.len());
        (path_end + 1, qe)
    } else {
        (path_end, path_end)
    };
    let preview = url_preview(&view, auth_start, host, auth_end, path_end, q_start, q_end);
    (
        String::from_utf8_lossy(host).to_ascii_lowercase(),
        place(ctx, s),
        preview,
    )
}

/// `scheme://user:password@host`: a connection string's or a URL's credentials.
fn credentials(
    ctx: &mut Ctx<'_>,
    view: &View<'_>,
    auth_start: usize,
    at_sign: usize,
    host: &[u8],
    db: bool,
) {
    let v = &view.bytes;
    let Some(colon) = (auth_start..at_sign).find(|i| at(v, *i) == b':') else {
        return;
    };
    let user = view.get(auth_start, colon);
    let pass = view.get(colon + 1, at_sign);
    if pass.is_empty()
        || crate::secrets::is_placeholder(pass)
        || pass.iter().any(|c| c.is_ascii_whitespace())
    {
        return;
    }
    let host = host.to_ascii_lowercase();
    let local = [
        &b"localhost"[..],
        b"127.0.0.1",
        b"::1",
        b"[::1]",
        b"0.0.0.0",
        b"db",
        b"database",
        b"postgres",
        b"mysql",
        b"redis",
        b"rabbitmq",
        b"mongo",
        b"mongodb",
    ]
    .contains(&host.as_slice())
        || host.ends_with(b".local")
        || host.ends_with(b".localhost");
    let default = pass == user
        || [
            "postgres", "password", "secret", "root", "admin", "guest", "test", "example", "mysql",
            "redis", "pass", "changeme", "dev", "local",
        ]
        .iter()
        .any(|d| pass.eq_ignore_ascii_case(d.as_bytes()));
    let conf = if default && local {
        C::Low
    } else if default {
        C::Medium
    } else if pass.len() >= 8 || entropy(pass) >= 3.0 {
        C::High
    } else {
        C::Medium
    };
    let (family, note) = if db {
        (
            "secret.connection_string",
            "password in a connection string",
        )
    } else {
        ("secret.url_credentials", "password in a URL")
    };
    let (s, e) = (view.raw(colon + 1), view.raw_end(at_sign));
    ctx.secret(family, S::High, conf, s, e, 0, note);
}

/// Webhook URLs that are credentials: Slack incoming webhooks, Discord webhooks, Telegram bot
/// API URLs.
fn webhooks(ctx: &mut Ctx<'_>, view: &View<'_>, host: &[u8], path_start: usize, path_end: usize) {
    let path = view.get(path_start, path_end);
    let is = |h: &str| host.eq_ignore_ascii_case(h.as_bytes());
    let (family, prefix, note): (&'static str, &[u8], &'static str) = if is("hooks.slack.com") {
        (
            "secret.slack_webhook",
            b"/services/",
            "Slack incoming webhook",
        )
    } else if is("discord.com")
        || is("discordapp.com")
        || is("ptb.discord.com")
        || is("canary.discord.com")
    {
        (
            "secret.discord_webhook",
            b"/api/webhooks/",
            "Discord webhook",
        )
    } else if is("api.telegram.org") {
        (
            "secret.telegram_bot_token",
            b"/bot",
            "Telegram bot token in an API URL",
        )
    } else {
        return;
    };
    if !path.starts_with(prefix) {
        return;
    }
    let s = path_start + prefix.len();
    let rest = view.get(s, path_end);
    let e = if family == "secret.telegram_bot_token" {
        s + rest.iter().position(|c| *c == b'/').unwrap_or(rest.len())
    } else {
        path_end
    };
    let secret = view.get(s, e);
    if secret.len() < 20 || crate::secrets::is_placeholder(secret) {
        return;
    }
    let conf = if crate::secrets::looks_fake(secret) {
        C::Low
    } else {
        C::High
    };
    ctx.secret(family, S::High, conf, view.raw(s), view.raw_end(e), 0, note);
}

/// What one query value or path segment carries.
fn value(
    ctx: &mut Ctx<'_>,
    view: &View<'_>,
    vs: usize,
    ve: usize,
    random_ok: bool,
    in_path: bool,
) -> Option<(Signal, usize, usize)> {
    let raw = view.get(vs, ve);
    if raw.len() < 16 {
        return None;
    }
    let raw = raw.get(..MAX_DECODE.min(raw.len())).unwrap_or(raw);
    let (rs, re) = (view.raw(vs), view.raw_end(ve));
    // One pass to classify: most values are short words, ids and digests, settled here.
    let (mut upper, mut lower, mut digit, mut pct, mut b64, mut hex) =
        (false, false, false, false, true, true);
    for c in raw {
        match c {
            b'A'..=b'Z' => upper = true,
            b'a'..=b'z' => lower = true,
            b'0'..=b'9' => digit = true,
            b'%' => pct = true,
            b'+' | b'/' | b'-' | b'_' | b'=' => {}
            _ => b64 = false,
        }
        hex &= c.is_ascii_hexdigit();
    }
    // Percent-escapes that hide letters or digits (`%67%68%70_…`) are deliberate: an encoder
    // leaves those alone, so the raw pass already saw anything encoded the ordinary way.
    let decoded = if pct { percent_decode(raw) } else { None };
    if let Some(d) = &decoded {
        let hidden = raw
            .windows(3)
            .filter(|w| w.first() == Some(&b'%'))
            .filter_map(|w| {
                Some(crate::text::hex_val(*w.get(1)?)? << 4 | crate::text::hex_val(*w.get(2)?)?)
            })
            .any(|c| c.is_ascii_alphanumeric());
        if hidden && secrets_in(ctx, d, rs, re, "percent-encoded in a URL").is_some() {
            return Some((Signal::Secret, vs, ve));
        }
    }
    let val: &[u8] = decoded.as_deref().unwrap_or(raw);
    if b64 && !hex && upper && lower && !is_uuid(val) {
        if let Some(text) = b64_decode(val) {
            if text.len() >= 12 && is_readable(&text) {
                if secrets_in(ctx, &text, rs, re, "base64-encoded in a URL").is_some() {
                    return Some((Signal::Secret, vs, ve));
                }
                return Some((Signal::Encoded, vs, ve));
            }
        }
    }
    // Even length without `is_multiple_of` (newer than the workspace's minimum Rust).
    if hex && val.len() >= 24 && val.len() & 1 == 0 {
        if let Some(text) = hex_decode(val) {
            if text.len() >= 12 && is_readable(&text) {
                if secrets_in(ctx, &text, rs, re, "hex-encoded in a URL").is_some() {
                    return Some((Signal::Secret, vs, ve));
                }
                return Some((Signal::Encoded, vs, ve));
            }
        }
    }
    // Prose in a query value (file names with spaces in a path are ordinary). The caller
    // decides whether it is long enough for the URL's place.
    if !in_path && val.len() >= 64 {
        let spaces = val
            .iter()
            .filter(|c| **c == b' ' || **c == b'\n' || **c == b'+')
            .count();
        if spaces >= 3 && is_readable(val) {
            return Some((Signal::LongText, vs, ve));
        }
    }
    // Random data looks like base64: both cases and digits (hex digests, words with dashes and
    // percent-escaped names do not).
    if !random_ok
        && upper
        && lower
        && digit
        && val.len() >= if in_path { 48 } else { 32 }
        && !is_uuid(val)
        && entropy(val) >= 4.2
    {
        return Some((Signal::HighEntropy, vs, ve));
    }
    None
}

/// Scans decoded bytes for secrets; each one is reported at the raw span `rs..re`.
fn secrets_in(
    ctx: &mut Ctx<'_>,
    decoded: &[u8],
    rs: usize,
    re: usize,
    note: &'static str,
) -> Option<&'static str> {
    if ctx.nested_depth() > 0 {
        return None;
    }
    let text = std::str::from_utf8(decoded).ok()?;
    let want = Want {
        secrets: true,
        injection: false,
        exfil: false,
    };
    let found = ctx.sc.scan_nested(text, want, ctx.redacting);
    let first = found
        .secrets
        .into_iter()
        .filter(|f| f.confidence > C::Low)
        .max_by_key(|f| f.severity)?;
    let family = first.family;
    ctx.add(Finding {
        category: Category::Secret,
        family,
        severity: first.severity,
        confidence: first.confidence,
        start: rs,
        end: re,
        preview: first.preview,
        host: None,
        note,
    });
    Some(family)
}

/// `scheme://host/path…?name=…&name=…`: the URL with every value hidden.
fn url_preview(
    view: &View<'_>,
    auth_start: usize,
    host: &[u8],
    path_start: usize,
    path_end: usize,
    q_start: usize,
    q_end: usize,
) -> String {
    let v = &view.bytes;
    let scheme = String::from_utf8_lossy(view.get(0, auth_start.saturating_sub(3)));
    let mut out = format!(
        "{scheme}://{}",
        String::from_utf8_lossy(host).to_ascii_lowercase()
    );
    let path = String::from_utf8_lossy(view.get(path_start, path_end));
    out.push_str(&crate::text::excerpt(&path, 40));
    if q_start < q_end {
        out.push('?');
        let mut first = true;
        let mut i = q_start;
        while i < q_end && out.len() < 160 {
            let pe = (i..q_end)
                .find(|k| matches!(at(v, *k), b'&' | b';'))
                .unwrap_or(q_end);
            let name_end = (i..pe).find(|k| at(v, *k) == b'=').unwrap_or(pe);
            if !first {
                out.push('&');
            }
            first = false;
            out.push_str(&crate::text::excerpt(
                &String::from_utf8_lossy(view.get(i, name_end)),
                24,
            ));
            if name_end < pe {
                out.push_str("=…");
            }
            i = pe + 1;
        }
    }
    out
}

/// Once secrets are known: a URL with a secret inside is an exfiltration channel at critical.
pub(crate) fn finish(ctx: &mut Ctx<'_>) {
    let urls = std::mem::take(&mut ctx.urls);
    for u in urls {
        let secrets = &ctx.found.secrets;
        let first = secrets.partition_point(|f| f.start < u.start);
        let carried = secrets
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|f| f.start < u.end)
            .find(|f| {
                f.confidence > C::Low
                    && !matches!(
                        f.family,
                        "secret.url_credentials"
                            | "secret.connection_string"
                            | "secret.slack_webhook"
                            | "secret.discord_webhook"
                            | "secret.telegram_bot_token"
                    )
            })
            .map(|f| f.family);
        let Some(family) = carried else {
            continue;
        };
        let (host, place, preview) = describe(ctx, u);
        // A presigned S3 URL carries its access key id by design (`X-Amz-Credential`): the id
        // is reported as a secret, the URL is not a channel.
        if family == "secret.aws_access_key_id" && host.ends_with("amazonaws.com") {
            continue;
        }
        if let Some(f) = ctx
            .found
            .exfil
            .iter_mut()
            .find(|f| f.start == u.start && f.end == u.end)
        {
            f.severity = S::Critical;
            f.confidence = C::High;
            f.note = Signal::Secret.note();
            continue;
        }
        ctx.add(Finding {
            category: Category::Exfil,
            family: place.family(),
            severity: S::Critical,
            confidence: C::High,
            start: u.start,
            end: u.end,
            preview,
            host: Some(host),
            note: Signal::Secret.note(),
        });
    }
}
