//! The checkpoint signing key: created on first start, private half readable by its owner only.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::AuditError;

/// The private key file in the state directory (hex seed, mode 0600).
pub const KEY_FILE: &str = "audit.key";
/// The public key file in the state directory (hex).
pub const PUBLIC_KEY_FILE: &str = "audit.pub";

/// Load the signing key from `dir`, creating it (0600) and its public half when absent.
pub fn load_or_create_key(dir: &Path) -> Result<SigningKey, AuditError> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let meta = std::fs::metadata(&path).map_err(|e| AuditError::io(&path, e))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(AuditError::Key {
                    path,
                    reason: format!(
                        "mode {:o} lets others read it; `chmod 600` it",
                        meta.permissions().mode() & 0o777
                    ),
                });
            }
            let key = parse_seed(&path, &text)?;
            write_public(dir, &key.verifying_key())?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed).map_err(|e| AuditError::Random(e.to_string()))?;
            let key = SigningKey::from_bytes(&seed);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| AuditError::io(&path, e))?;
            f.write_all(hex::encode(seed).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| AuditError::io(&path, e))?;
            write_public(dir, &key.verifying_key())?;
            Ok(key)
        }
        Err(e) => Err(AuditError::io(&path, e)),
    }
}

fn parse_seed(path: &Path, text: &str) -> Result<SigningKey, AuditError> {
    let bytes = hex::decode(text.trim()).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| AuditError::Key {
        path: path.to_path_buf(),
        reason: "expected 32 bytes".into(),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

fn write_public(dir: &Path, key: &VerifyingKey) -> Result<(), AuditError> {
    let path = dir.join(PUBLIC_KEY_FILE);
    let text = hex::encode(key.as_bytes());
    if std::fs::read_to_string(&path).is_ok_and(|t| t.trim() == text) {
        return Ok(());
    }
    std::fs::write(&path, &text).map_err(|e| AuditError::io(&path, e))
}

/// The public key in `path` (a hex file such as `audit.pub`).
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
    let bytes = hex::decode(text.trim()).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| AuditError::Key {
        path: path.to_path_buf(),
        reason: "expected 32 bytes".into(),
    })?;
    VerifyingKey::from_bytes(&arr).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
