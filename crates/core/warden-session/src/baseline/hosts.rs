//! Hosts: sites, loopback and public addresses, and the lists of developer, paste and shared
//! hosting domains.

use std::net::IpAddr;

/// The registrable part of a host: its last two labels (three under `co.uk`-style suffixes).
/// Hosts on shared hosting suffixes (`x.ngrok.io`, `y.s3.amazonaws.com`) and IPs are their own
/// site: anyone can get a name there, so knowing one says nothing about the next.
pub(super) fn site_of(host: &str) -> &str {
    if host.parse::<IpAddr>().is_ok() || is_shared_suffix_host(host) {
        return host;
    }
    let mut dots = host.rmatch_indices('.').map(|(i, _)| i);
    let Some(last) = dots.next() else { return host };
    let Some(second) = dots.next() else {
        return host;
    };
    let sld = host.get(second + 1..last).unwrap_or("");
    // `example.co.uk`, `example.com.au`: a short second-level label is part of the suffix.
    if sld.len() <= 3 && matches!(sld, "co" | "com" | "net" | "org" | "gov" | "ac" | "edu") {
        return match dots.next() {
            Some(third) => host.get(third + 1..).unwrap_or(host),
            None => host,
        };
    }
    host.get(second + 1..).unwrap_or(host)
}

/// Whether `host` ends with `.suffix` or is `suffix`.
fn host_is(host: &str, suffix: &str) -> bool {
    host == suffix
        || (host.len() > suffix.len()
            && host.ends_with(suffix)
            && host.as_bytes().get(host.len() - suffix.len() - 1) == Some(&b'.'))
}

/// Loopback and local names: dev servers, never worth a flag.
pub(super) fn is_local_host(host: &str) -> bool {
    host_is(host, "localhost")
        || match host.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
            Err(_) => false,
        }
}

/// A routable public address (not private, loopback, link-local or unique-local).
pub(super) fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Package registries, forges and toolchain hosts every developer reaches: learned, not flagged.
const DEV_HOSTS: &[&str] = &[
    "crates.io",
    "rust-lang.org",
    "docs.rs",
    "github.com",
    "githubusercontent.com",
    "ghcr.io",
    "gitlab.com",
    "bitbucket.org",
    "npmjs.org",
    "npmjs.com",
    "yarnpkg.com",
    "nodejs.org",
    "pypi.org",
    "pythonhosted.org",
    "python.org",
    "rubygems.org",
    "golang.org",
    "go.dev",
    "maven.org",
    "apache.org",
    "gradle.org",
    "nuget.org",
    "packagist.org",
    "hex.pm",
    "docker.io",
    "docker.com",
    "quay.io",
    "debian.org",
    "ubuntu.com",
    "alpinelinux.org",
    "brew.sh",
];

/// Whether `host` is a registry, forge or toolchain host.
pub(super) fn is_dev_host(host: &str) -> bool {
    // Gists are paste sites, whatever their parent domain.
    !is_paste_host(host) && DEV_HOSTS.iter().any(|d| host_is(host, d))
}

/// Paste, file-drop, request-capture and tunnel hosts: where stolen data goes.
const PASTE_HOSTS: &[&str] = &[
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "termbin.com",
    "dpaste.com",
    "dpaste.org",
    "rentry.co",
    "privatebin.net",
    "0x0.st",
    "transfer.sh",
    "file.io",
    "catbox.moe",
    "gist.github.com",
    "gist.githubusercontent.com",
    "webhook.site",
    "requestbin.com",
    "pipedream.net",
    "ngrok.io",
    "ngrok.app",
    "ngrok-free.app",
    "trycloudflare.com",
    "serveo.net",
    "localtunnel.me",
    "loca.lt",
    "interact.sh",
    "oast.fun",
    "oast.live",
    "oast.me",
    "oast.online",
    "oast.pro",
    "oast.site",
    "burpcollaborator.net",
    "api.telegram.org",
];

/// Whether `host` is a paste, drop, capture or tunnel host.
pub(super) fn is_paste_host(host: &str) -> bool {
    PASTE_HOSTS.iter().any(|d| host_is(host, d))
}

/// Shared hosting suffixes where anyone can get a name: hosts there are their own site.
const SHARED_SUFFIXES: &[&str] = &[
    "amazonaws.com",
    "cloudfront.net",
    "azurewebsites.net",
    "core.windows.net",
    "appspot.com",
    "firebaseio.com",
    "web.app",
    "herokuapp.com",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "workers.dev",
    "github.io",
    "gitlab.io",
    "glitch.me",
    "repl.co",
    "onrender.com",
    "fly.dev",
];

/// Whether `host` lies under a shared hosting suffix (or a paste or tunnel host).
fn is_shared_suffix_host(host: &str) -> bool {
    is_paste_host(host) || SHARED_SUFFIXES.iter().any(|d| host_is(host, d))
}
