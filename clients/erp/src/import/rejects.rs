//! The rejects file: one JSON line per row that was not written, named by its line in the import file,
//! whether the connector could not read it or the server refused it.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kam_proto::v1::ImportRowError;
use serde::Serialize;

use crate::columns::FieldError;
use crate::error::Error;

/// One row that was not written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The line of the import file the row starts on (from 1).
    pub line: u64,
    pub external_id: String,
    /// As the server names it: INVALID_ARGUMENT, NOT_FOUND or FAILED_PRECONDITION.
    pub code: String,
    /// The field at fault; empty for the row as a whole.
    pub field: String,
    pub description: String,
}

impl Reject {
    /// A row the connector itself refused (an amount it cannot read exactly, a line that is not JSON):
    /// INVALID_ARGUMENT, as the server would have answered.
    pub fn local(line: u64, external_id: &str, error: FieldError) -> Self {
        Self {
            line,
            external_id: external_id.to_owned(),
            code: "INVALID_ARGUMENT".to_owned(),
            field: error.field,
            description: error.description,
        }
    }
}

/// The server's row errors of one call as rejects. The server names a row by its `index` among the
/// rows the call sent (from 0); `lines[index]` is the file line of that row.
pub fn server_rejects(errors: Vec<ImportRowError>, lines: &[u64]) -> Vec<Reject> {
    errors
        .into_iter()
        .map(|error| Reject {
            // An index outside the call would be a server bug; line 0 keeps the row listed.
            line: usize::try_from(error.index)
                .ok()
                .and_then(|index| lines.get(index))
                .copied()
                .unwrap_or(0),
            external_id: error.external_id,
            code: error.code,
            field: error.field,
            description: error.description,
        })
        .collect()
}

/// The rejects of one call, the connector's and the server's, in file order.
pub fn in_file_order(mut local: Vec<Reject>, server: Vec<Reject>) -> Vec<Reject> {
    local.extend(server);
    local.sort_by_key(|reject| reject.line);
    local
}

/// The rejects file, appended to after each acknowledged call.
pub struct RejectsFile {
    path: PathBuf,
    file: File,
    bytes: u64,
}

impl RejectsFile {
    /// Opens `path` keeping its first `keep_bytes` (what the calls a checkpoint covers wrote; 0 for a
    /// new run) and cutting off anything after them.
    pub fn open(path: &Path, keep_bytes: u64) -> Result<Self, Error> {
        let open = || -> io::Result<(File, u64)> {
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)?;
            let length = file.metadata()?.len();
            let bytes = length.min(keep_bytes);
            if length > bytes {
                file.set_len(bytes)?;
            }
            file.seek(SeekFrom::Start(bytes))?;
            Ok((file, bytes))
        };
        let (file, bytes) = open().map_err(|err| Error::file(path, err))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            bytes,
        })
    }

    /// Appends `rejects` and flushes them to disk, before the checkpoint that counts them is written.
    pub fn append(&mut self, rejects: &[Reject]) -> Result<(), Error> {
        if rejects.is_empty() {
            return Ok(());
        }
        let mut text = Vec::new();
        for reject in rejects {
            serde_json::to_writer(&mut text, reject).expect("a reject serializes");
            text.push(b'\n');
        }
        let mut write = || -> io::Result<()> {
            self.file.write_all(&text)?;
            self.file.sync_data()
        };
        write().map_err(|err| Error::file(&self.path, err))?;
        self.bytes += text.len() as u64;
        Ok(())
    }

    /// The length of the file: what a checkpoint records.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends the run: an empty rejects file is removed, so that one that exists always has rows in it.
    pub fn finish(self) -> Result<(), Error> {
        let Self { path, file, bytes } = self;
        drop(file);
        if bytes == 0 {
            std::fs::remove_file(&path).map_err(|err| Error::file(&path, err))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_error(index: i64, external_id: &str) -> ImportRowError {
        ImportRowError {
            index,
            external_id: external_id.to_owned(),
            code: "NOT_FOUND".to_owned(),
            field: "account_external_id".to_owned(),
            description: "no such account".to_owned(),
        }
    }

    #[test]
    fn server_indexes_map_to_the_lines_of_the_rows_sent() {
        // Lines 2..=6 read; line 4 refused by the connector, so the call sent lines 2, 3, 5 and 6.
        let lines = [2, 3, 5, 6];
        let server = server_rejects(vec![row_error(2, "R-5"), row_error(0, "R-2")], &lines);
        assert_eq!(server.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 2]);
        let local = vec![Reject::local(
            4,
            "R-4",
            FieldError {
                field: "amount".into(),
                description: "`1,5` is not a decimal amount".into(),
            },
        )];
        let merged = in_file_order(local, server);
        let summary: Vec<(u64, &str, &str)> = merged
            .iter()
            .map(|r| (r.line, r.external_id.as_str(), r.code.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (2, "R-2", "NOT_FOUND"),
                (4, "R-4", "INVALID_ARGUMENT"),
                (5, "R-5", "NOT_FOUND")
            ]
        );
    }

    #[test]
    fn an_index_outside_the_call_keeps_the_row_listed_at_line_0() {
        assert_eq!(server_rejects(vec![row_error(9, "X")], &[2, 3])[0].line, 0);
        assert_eq!(server_rejects(vec![row_error(-1, "X")], &[2, 3])[0].line, 0);
    }

    #[test]
    fn a_resumed_run_cuts_off_what_no_checkpoint_covers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.jsonl");
        let reject = |line| Reject {
            line,
            external_id: format!("R-{line}"),
            code: "INVALID_ARGUMENT".into(),
            field: String::new(),
            description: "bad".into(),
        };
        let mut rejects = RejectsFile::open(&path, 0).unwrap();
        rejects.append(&[reject(2)]).unwrap();
        let checkpointed = rejects.bytes();
        rejects.append(&[reject(9)]).unwrap();
        drop(rejects);

        let mut rejects = RejectsFile::open(&path, checkpointed).unwrap();
        rejects.append(&[reject(9), reject(12)]).unwrap();
        rejects.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<u64> = text
            .lines()
            .map(|line| {
                serde_json::from_str::<serde_json::Value>(line).unwrap()["line"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(lines, [2, 9, 12]);
        assert!(text.starts_with(r#"{"line":2,"external_id":"R-2","code":"INVALID_ARGUMENT","field":"","#));
    }

    #[test]
    fn an_empty_rejects_file_is_removed_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.jsonl");
        std::fs::write(&path, "stale\n").unwrap();
        RejectsFile::open(&path, 0).unwrap().finish().unwrap();
        assert!(!path.exists());
    }
}
