//! Credential files: SSH keys, cloud and registry tokens, `.env` files, keychains and keyrings.

/// Whether `path` names a credential file: SSH keys, cloud and registry tokens, `.env` files,
/// keychains and keyrings. Public keys, `known_hosts` and example `.env` files are not.
pub fn is_credential_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_dir = |dir: &str| {
        path.match_indices(dir).any(|(i, _)| {
            let before_ok = i == 0 || path.as_bytes().get(i - 1) == Some(&b'/');
            let after_ok = path.as_bytes().get(i + dir.len()) == Some(&b'/');
            before_ok && after_ok
        })
    };
    if in_dir(".ssh") {
        return !(name.ends_with(".pub")
            || matches!(
                name,
                "known_hosts"
                    | "known_hosts.old"
                    | "config"
                    | "authorized_keys"
                    | "authorized_keys2"
            ));
    }
    if in_dir(".aws") {
        return name != "config";
    }
    is_secret_name(name) || is_secret_location(path)
}

/// Whether a file name alone (outside `.ssh` and `.aws`) says it holds a secret.
fn is_secret_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(
        name,
        "id_rsa"
            | "id_dsa"
            | "id_ecdsa"
            | "id_ed25519"
            | "id_ecdsa_sk"
            | "id_ed25519_sk"
            | ".netrc"
            | "_netrc"
            | ".npmrc"
            | ".pypirc"
            | ".pgpass"
            | ".my.cnf"
            | ".git-credentials"
            | ".vault-token"
            | "logins.json"
            | "key4.db"
            | "Login Data"
    ) {
        return true;
    }
    if name == ".env"
        || (name.starts_with(".env.")
            && !matches!(ext, "example" | "sample" | "template" | "dist" | "defaults"))
    {
        return true;
    }
    // `credentials`, `credentials.json`, `application_default_credentials.json`; not a source
    // file about credentials (`credentials.rs`), whose first read is nothing to flag.
    if name.contains("credentials")
        && (name.ends_with("credentials")
            || matches!(
                ext,
                "json" | "toml" | "yaml" | "yml" | "db" | "csv" | "xml" | "ini" | "txt" | "cfg"
            ))
    {
        return true;
    }
    name.ends_with(".keychain")
        || name.ends_with(".keychain-db")
        || matches!(ext, "p12" | "pfx" | "jks" | "keystore")
}

/// Whether the place of a file (a known config path, a directory of secrets) says it holds one.
fn is_secret_location(path: &str) -> bool {
    if path.ends_with("/.kube/config")
        || path.ends_with("/.docker/config.json")
        || path.ends_with("/.config/gh/hosts.yml")
        || matches!(path, "/etc/shadow" | "/etc/gshadow")
    {
        return true;
    }
    // Whole directories of secrets.
    path.contains("/.config/gcloud/")
        || path.contains("/.azure/")
        || path.contains("/Library/Keychains/")
        || path.contains("/.local/share/keyrings/")
        || path.contains("/.gnupg/")
        || path.contains("/.password-store/")
}
