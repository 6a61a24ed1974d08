//! Etags (AIP-154): a resource's etag names its stored revision, so a client that read an older
//! revision cannot overwrite a newer one.

use uuid::Uuid;

use crate::platform::error::{Error, Result};

/// The etag a client sees for a stored revision.
pub fn of(revision: i64) -> String {
    format!("r{revision}")
}

/// An etag field as the client sent it: empty means none.
pub fn sent(raw: &str) -> Option<&str> {
    (!raw.is_empty()).then_some(raw)
}

/// Passes when the client sent no etag or the one of `current_revision`.
pub fn check(resource: &'static str, id: Uuid, current_revision: i64, sent: Option<&str>) -> Result<()> {
    match sent {
        Some(sent) if sent != of(current_revision) => Err(Error::EtagMismatch {
            resource,
            id: id.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_revision_or_none_passes() {
        let id = Uuid::now_v7();
        assert!(check("account", id, 3, None).is_ok());
        assert!(check("account", id, 3, Some(&of(3))).is_ok());
        assert!(matches!(
            check("account", id, 3, Some(&of(2))),
            Err(Error::EtagMismatch { .. })
        ));
        assert!(check("account", id, 3, Some("garbage")).is_err());
    }
}
