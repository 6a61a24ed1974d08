//! The checkpoint of an import: after each call the server acknowledged, where the next call starts
//! and what the calls so far did, so that a run that was stopped (killed, a fatal error, the machine
//! restarted) resumes there instead of sending the file again.
//!
//! A checkpoint belongs to one version of one file: it records the file's size, modification time and
//! a hash of its first KiB, and a file that differs in any of them starts over (which is safe, only
//! slower: imports are upserts by external id).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::totals::Totals;
use crate::atomic::write_atomically;
use crate::error::Error;
use crate::source::Position;

/// The format of the checkpoint file; a checkpoint of another version is ignored.
const VERSION: u32 = 1;

/// How much of the file's start is hashed: enough to tell one export from the next of the same size.
const HEAD_BYTES: u64 = 1024;

/// What identifies one version of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub size: u64,
    /// Nanoseconds since the Unix epoch; 0 where the platform does not tell.
    pub modified_nanos: u64,
    /// SHA-256 of the first KiB, hex.
    pub head_sha256: String,
}

impl FileIdentity {
    pub fn of(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        let modified_nanos = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| u64::try_from(since.as_nanos()).unwrap_or(u64::MAX));
        let mut head = Vec::new();
        file.take(HEAD_BYTES).read_to_end(&mut head)?;
        let head_sha256 = Sha256::digest(&head)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Self {
            size: metadata.len(),
            modified_nanos,
            head_sha256,
        })
    }

    /// Why `self` (the file now) is not the file `saved` describes; `None` when it is the same.
    pub fn differs_from(&self, saved: &FileIdentity) -> Option<&'static str> {
        if self.size != saved.size {
            Some("its size changed")
        } else if self.head_sha256 != saved.head_sha256 {
            Some("its first KiB changed")
        } else if self.modified_nanos != saved.modified_nanos {
            Some("it was modified")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// `accounts`, `contacts`, `revenue`, ...: a file imported as one resource is not resumed as another.
    pub resource: String,
    pub file: FileIdentity,
    /// Where the next call starts.
    pub next: Position,
    /// The line of the last row the acknowledged calls read, for the messages.
    pub last_line: u64,
    /// What the acknowledged calls did.
    pub totals: Totals,
    /// The length of the rejects file after the last acknowledged call: a run that died after writing
    /// a call's rejects but before this checkpoint cuts them off again, so none is listed twice.
    pub rejects_bytes: u64,
}

impl Checkpoint {
    pub fn new(
        resource: &str,
        file: FileIdentity,
        next: Position,
        last_line: u64,
        totals: Totals,
        rejects_bytes: u64,
    ) -> Self {
        Self {
            version: VERSION,
            resource: resource.to_owned(),
            file,
            next,
            last_line,
            totals,
            rejects_bytes,
        }
    }

    /// The checkpoint at `path`; `None` when there is none. One that cannot be read or is of another
    /// version is reported and ignored: starting over is always safe.
    pub fn load(path: &Path) -> Result<Option<Self>, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::file(path, err)),
        };
        match serde_json::from_str::<Checkpoint>(&text) {
            Ok(checkpoint) if checkpoint.version == VERSION => Ok(Some(checkpoint)),
            Ok(_) | Err(_) => {
                eprintln!(
                    "warning: ignoring {}: not a checkpoint this version of kam-erp can read",
                    path.display()
                );
                Ok(None)
            }
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_vec_pretty(self).expect("a checkpoint serializes");
        write_atomically(path, &text).map_err(|err| Error::file(path, err))
    }

    /// Why this checkpoint cannot be resumed for `resource` in the file `now`; `None` when it can.
    pub fn mismatch(&self, resource: &str, now: &FileIdentity) -> Option<String> {
        if self.resource != resource {
            return Some(format!("it is for a {} import", self.resource));
        }
        now.differs_from(&self.file)
            .map(|why| format!("the file is not the one it was written for ({why})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> FileIdentity {
        FileIdentity {
            size: 100,
            modified_nanos: 1_700_000_000_000_000_000,
            head_sha256: "ab".repeat(32),
        }
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint::new(
            "revenue",
            identity(),
            Position { byte: 50, line: 7 },
            6,
            Totals::default(),
            0,
        )
    }

    #[test]
    fn a_checkpoint_resumes_the_same_file_for_the_same_resource() {
        assert_eq!(checkpoint().mismatch("revenue", &identity()), None);
    }

    #[test]
    fn another_resource_or_another_version_of_the_file_starts_over() {
        let checkpoint = checkpoint();
        assert_eq!(
            checkpoint.mismatch("accounts", &identity()).as_deref(),
            Some("it is for a revenue import")
        );
        let grown = FileIdentity {
            size: 120,
            ..identity()
        };
        assert!(
            checkpoint
                .mismatch("revenue", &grown)
                .unwrap()
                .contains("its size changed")
        );
        let rewritten = FileIdentity {
            head_sha256: "cd".repeat(32),
            ..identity()
        };
        assert!(
            checkpoint
                .mismatch("revenue", &rewritten)
                .unwrap()
                .contains("first KiB")
        );
        let touched = FileIdentity {
            modified_nanos: 1,
            ..identity()
        };
        assert!(
            checkpoint
                .mismatch("revenue", &touched)
                .unwrap()
                .contains("modified")
        );
    }

    #[test]
    fn the_identity_follows_the_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let first = FileIdentity::of(&path).unwrap();
        assert_eq!(first, FileIdentity::of(&path).unwrap());
        assert_eq!(first.size, 8);
        assert_eq!(first.head_sha256.len(), 64);
        std::fs::write(&path, "a,b\n1,3\n").unwrap();
        let second = FileIdentity::of(&path).unwrap();
        assert_ne!(first.head_sha256, second.head_sha256);
    }

    #[test]
    fn checkpoints_round_trip_and_unreadable_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp");
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        checkpoint().save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), Some(checkpoint()));
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        let mut old = serde_json::to_value(checkpoint()).unwrap();
        old["version"] = 0.into();
        std::fs::write(&path, old.to_string()).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
    }
}
