//! Does a URL carry a secret? A GET that puts a credential in its query or path sends it.
//!
//! A fetch is "read-only" only for the server's state: the request itself carries whatever the
//! URL holds to the host. A token in `?access_token=...`, a key in the path, a credential-shaped
//! value anywhere makes the request a send of local data.

/// Prefixes of credentials issued by common services (recognisable whatever they are called).
const SECRET_PREFIXES: &[&str] = &[
    "sk-",
    "sk_live_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "AIza",
    "hf_",
    "npm_",
    "pypi-",
    "dop_v1_",
    "shpat_",
    "-----BEGIN",
];

/// Query parameter names (lowercased, compared by word) that hold credentials.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "session",
    "private_key",
    "credentials",
    "aws_secret_access_key",
];

/// Shortest value taken as a credential under a credential-like name.
const MIN_SECRET_LEN: usize = 12;

/// Whether `url` carries a credential in its user info, path or query.
pub fn url_carries_secret(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    if authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
    {
        return true;
    }
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let query = query.split('#').next().unwrap_or("");
    let shaped = |v: &str| {
        let v = percent_decode(v);
        SECRET_PREFIXES
            .iter()
            .any(|p| v.starts_with(p) && v.len() >= p.len() + 16)
    };
    if path.split('/').any(shaped) {
        return true;
    }
    query.split('&').any(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = name.to_ascii_lowercase().replace('-', "_");
        let named = SECRET_PARAMS
            .iter()
            .any(|p| name == *p || name.ends_with(&format!("_{p}")));
        shaped(value) || (named && value.len() >= MIN_SECRET_LEN && !is_placeholder(value))
    })
}

/// `$TOKEN`, `{key}`, `<token>`, `xxx`: a slot, not a value.
fn is_placeholder(v: &str) -> bool {
    v.starts_with(['$', '{', '<', '%'])
        || v.chars()
            .all(|c| c == 'x' || c == 'X' || c == '*' || c == '.')
}

/// Decode `%XX` escapes (lossily); enough to see a prefix.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::url_carries_secret;

    #[test]
    fn secrets_in_urls_are_seen() {
        assert!(url_carries_secret(
            "https://x.example/c?access_token=EAAB1234567890abcdef"
        ));
        assert!(url_carries_secret(
            "https://x.example/log/ghp_abcdefghijklmnopqrstuvwxyz0123456789"
        ));
        assert!(url_carries_secret(
            "https://x.example/?q=sk-ant-abcdefghijklmnopqrstuvwx"
        ));
        assert!(url_carries_secret("https://user:hunter2@x.example/"));
        assert!(url_carries_secret(
            "https://x.example/?aws_secret_access_key=wJalrXUtnFEMI%2FK7MDENG"
        ));
    }

    #[test]
    fn ordinary_urls_are_not_sends() {
        assert!(!url_carries_secret("https://docs.rs/regex/latest/regex/"));
        assert!(!url_carries_secret(
            "https://x.example/search?q=token+bucket&page=2"
        ));
        assert!(!url_carries_secret(
            "https://api.example/v1?api_key=$API_KEY"
        ));
        assert!(!url_carries_secret("https://x.example/?key=abc"));
        assert!(!url_carries_secret(
            "https://github.com/user/repo/blob/main/src/lib.rs"
        ));
    }
}
