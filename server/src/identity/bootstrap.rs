//! The first start: with no API key in the database, nobody could call the server. KAM creates an ADMIN
//! key and writes it to a file only its owner can read; the log names the file, never the key.

use std::{fs::OpenOptions, io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use super::{api_key, store};
use crate::platform::{db::Db, error::Error};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{0}")]
    Database(#[from] Error),
    #[error("cannot write the ADMIN key to {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// Creates the first ADMIN key when no key exists, writing it to `path` (mode 0600) before it is
/// stored, so a key that works is never a key nobody has.
pub async fn ensure_admin_key(db: &Db, path: &Path) -> Result<(), BootstrapError> {
    if store::any_api_key(db).await? {
        return Ok(());
    }
    let key = api_key::generate();
    write_private(path, &key.secret).map_err(|source| BootstrapError::Write {
        path: path.display().to_string(),
        source,
    })?;
    if store::bootstrap_admin_key(db, key).await? {
        tracing::warn!(path = %path.display(), "first start: an ADMIN API key was written to this file; \
            keep it safe, create personal keys with it, then revoke it");
    }
    Ok(())
}

fn write_private(path: &Path, secret: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only to a new file; an old one keeps its mode unless told.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "{secret}")?;
    file.sync_all()
}
