//! Where an events export resumes: the state file, and what the export file itself says when the
//! two disagree.
//!
//! Each response is written in two steps: its lines are appended to the export file and flushed to
//! disk, then the state file is replaced (atomically) with the response's cursor and the export
//! file's new length. A run killed between the two leaves lines past the saved length; the next run
//! then resumes after the last complete line's own cursor, so those events are neither lost nor
//! written twice. A line cut short by the kill is removed (its event comes again).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::event_line::cursor_of;
use crate::atomic::write_atomically;
use crate::error::Error;

/// The format of the state file.
const VERSION: u32 = 1;

/// What the state file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportState {
    pub version: u32,
    /// The cursor of the last response whose lines are in the export file.
    pub cursor: String,
    /// The export file's length once those lines were written.
    pub out_bytes: u64,
    /// The filters the export runs with: resuming a cursor with other filters would silently skip or
    /// add events, so it is refused.
    pub filters: Filters,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub event_types: Vec<String>,
    pub resource_types: Vec<String>,
}

impl Filters {
    /// Filters compare as sets: the order they were given in does not matter.
    pub fn new(mut event_types: Vec<String>, mut resource_types: Vec<String>) -> Self {
        event_types.sort();
        event_types.dedup();
        resource_types.sort();
        resource_types.dedup();
        Self {
            event_types,
            resource_types,
        }
    }
}

impl ExportState {
    pub fn new(cursor: String, out_bytes: u64, filters: Filters) -> Self {
        Self {
            version: VERSION,
            cursor,
            out_bytes,
            filters,
        }
    }

    /// The state at `path`, `None` when there is none. Unlike an import checkpoint, a state file that
    /// cannot be read stops the run: starting over would write every event again.
    pub fn load(path: &Path) -> Result<Option<Self>, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::file(path, err)),
        };
        match serde_json::from_str::<ExportState>(&text) {
            Ok(state) if state.version == VERSION => Ok(Some(state)),
            _ => Err(Error::Other(format!(
                "{} is not an export state this version of kam-erp can read; move it away to export from \
                 the start",
                path.display()
            ))),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_vec_pretty(self).expect("a state serializes");
        write_atomically(path, &text).map_err(|err| Error::file(path, err))
    }
}

/// Where the next run continues.
#[derive(Debug, PartialEq, Eq)]
pub struct Resume {
    /// `None`: from the earliest event.
    pub cursor: Option<String>,
    /// The export file's length to append at (after a cut-off line is removed).
    pub out_bytes: u64,
    /// What the user should know about how the file and the state were reconciled.
    pub notes: Vec<String>,
}

/// Reconciles the export file `out` with its saved state (`None` when there is no state file).
pub fn resume(out: &Path, saved: Option<&ExportState>) -> Result<Resume, Error> {
    let file_error = |err| Error::file(out, err);
    let length = match std::fs::metadata(out) {
        Ok(metadata) => metadata.len(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
        Err(err) => return Err(file_error(err)),
    };
    let saved_cursor = saved.map(|state| state.cursor.clone());
    let saved_bytes = saved.map_or(0, |state| state.out_bytes);
    let mut notes = Vec::new();
    if length <= saved_bytes {
        if length < saved_bytes {
            notes.push(format!(
                "warning: {} is shorter than when the cursor was saved ({length} < {saved_bytes} bytes): it \
                 was cut or replaced; appending after the saved cursor",
                out.display()
            ));
        }
        return Ok(Resume {
            cursor: saved_cursor,
            out_bytes: length,
            notes,
        });
    }

    // Lines past the saved length: the previous run stopped between writing them and saving the state.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(out)
        .map_err(file_error)?;
    let tail = last_line(&mut file, saved_bytes, length).map_err(file_error)?;
    if tail.complete_end < length {
        file.set_len(tail.complete_end).map_err(file_error)?;
        notes.push(format!(
            "removed an incomplete last line from {} (its event comes again)",
            out.display()
        ));
    }
    let cursor = match tail.line {
        Some(line) => {
            let cursor = cursor_of(&line).ok_or_else(|| {
                Error::Other(format!(
                    "cannot resume: the last line of {} is not an exported event",
                    out.display()
                ))
            })?;
            notes.push(format!(
                "{} holds events past the saved cursor: continuing after its last line",
                out.display()
            ));
            Some(cursor)
        }
        None => saved_cursor,
    };
    Ok(Resume {
        cursor,
        out_bytes: tail.complete_end,
        notes,
    })
}

/// The end of the file's last complete line, and that line when it lies after `floor`.
#[derive(Debug)]
struct Tail {
    complete_end: u64,
    line: Option<String>,
}

/// Finds the last complete (newline-terminated) line between `floor` (a line start) and `end`,
/// reading backwards, so that a large export is not read whole.
fn last_line(file: &mut File, floor: u64, end: u64) -> io::Result<Tail> {
    let Some(last_newline) = rfind_newline(file, floor, end)? else {
        return Ok(Tail {
            complete_end: floor,
            line: None,
        });
    };
    let start = rfind_newline(file, floor, last_newline)?.map_or(floor, |newline| newline + 1);
    let mut bytes = vec![0; (last_newline - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut bytes)?;
    Ok(Tail {
        complete_end: last_newline + 1,
        line: Some(String::from_utf8_lossy(&bytes).into_owned()),
    })
}

/// The offset of the last `\n` in `floor..before`.
fn rfind_newline(file: &mut File, floor: u64, before: u64) -> io::Result<Option<u64>> {
    const CHUNK: u64 = 64 * 1024;
    let mut chunk = vec![0; CHUNK as usize];
    let mut end = before;
    while end > floor {
        let start = end.saturating_sub(CHUNK).max(floor);
        let bytes = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(bytes)?;
        if let Some(offset) = bytes.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(start + offset as u64));
        }
        end = start;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cursor: &str) -> String {
        format!("{{\"cursor\":\"{cursor}\",\"event_type\":\"AccountCreated\"}}\n")
    }

    fn state(cursor: &str, out_bytes: usize) -> ExportState {
        ExportState::new(cursor.to_owned(), out_bytes as u64, Filters::default())
    }

    #[test]
    fn no_file_and_no_state_start_from_the_earliest_event() {
        let dir = tempfile::tempdir().unwrap();
        let resume = resume(&dir.path().join("out.jsonl"), None).unwrap();
        assert_eq!(
            resume,
            Resume {
                cursor: None,
                out_bytes: 0,
                notes: vec![]
            }
        );
    }

    #[test]
    fn a_file_that_matches_its_state_continues_after_the_saved_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let text = line("e1-0-1") + &line("e1-0-2");
        std::fs::write(&out, &text).unwrap();
        // The saved cursor may be past the last line: responses move it past filtered events.
        let resume = resume(&out, Some(&state("e1-0-9", text.len()))).unwrap();
        assert_eq!(resume.cursor.as_deref(), Some("e1-0-9"));
        assert_eq!(resume.out_bytes, text.len() as u64);
        assert!(resume.notes.is_empty());
    }

    #[test]
    fn lines_written_after_the_saved_state_win_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let saved = line("e1-0-1");
        let text = saved.clone() + &line("e1-0-2") + &line("e1-0-3");
        std::fs::write(&out, &text).unwrap();
        let resume = resume(&out, Some(&state("e1-0-1", saved.len()))).unwrap();
        assert_eq!(resume.cursor.as_deref(), Some("e1-0-3"));
        assert_eq!(resume.out_bytes, text.len() as u64);
        assert!(
            resume.notes[0].contains("past the saved cursor"),
            "{:?}",
            resume.notes
        );
    }

    #[test]
    fn without_a_state_file_an_existing_export_continues_after_its_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        std::fs::write(&out, line("e1-0-1") + &line("e1-0-2")).unwrap();
        assert_eq!(resume(&out, None).unwrap().cursor.as_deref(), Some("e1-0-2"));
    }

    #[test]
    fn a_line_cut_short_is_removed_and_its_event_comes_again() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let saved = line("e1-0-1");
        let whole = saved.clone() + &line("e1-0-2");
        std::fs::write(&out, whole.clone() + "{\"cursor\":\"e1-0-3\",\"ev").unwrap();
        let resume = resume(&out, Some(&state("e1-0-1", saved.len()))).unwrap();
        assert_eq!(resume.cursor.as_deref(), Some("e1-0-2"));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), whole);
        assert!(
            resume.notes[0].contains("incomplete last line"),
            "{:?}",
            resume.notes
        );

        // Only a cut line past the state: back to the saved cursor.
        std::fs::write(&out, saved.clone() + "{\"cur").unwrap();
        let resume = super::resume(&out, Some(&state("e1-0-1", saved.len()))).unwrap();
        assert_eq!(resume.cursor.as_deref(), Some("e1-0-1"));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), saved);
    }

    #[test]
    fn long_lines_are_found_across_read_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let long = format!(
            "{{\"cursor\":\"e1-0-2\",\"payload\":\"{}\"}}\n",
            "x".repeat(200_000)
        );
        std::fs::write(&out, line("e1-0-1") + &long).unwrap();
        assert_eq!(resume(&out, None).unwrap().cursor.as_deref(), Some("e1-0-2"));
    }

    #[test]
    fn a_last_line_that_is_no_event_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        std::fs::write(&out, "hello\n").unwrap();
        let err = resume(&out, None).unwrap_err().to_string();
        assert!(err.contains("not an exported event"), "{err}");
    }

    #[test]
    fn a_file_shorter_than_its_state_is_reported_and_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        std::fs::write(&out, line("e1-0-1")).unwrap();
        let resume = resume(&out, Some(&state("e1-0-5", 10_000))).unwrap();
        assert_eq!(resume.cursor.as_deref(), Some("e1-0-5"));
        assert!(resume.notes[0].contains("shorter"), "{:?}", resume.notes);
    }

    #[test]
    fn filters_compare_as_sets_and_states_round_trip() {
        let a = Filters::new(vec!["B".into(), "A".into(), "A".into()], vec![]);
        assert_eq!(a, Filters::new(vec!["A".into(), "B".into()], vec![]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.cursor");
        assert_eq!(ExportState::load(&path).unwrap(), None);
        let saved = ExportState::new("e1-0-3".into(), 42, a);
        saved.save(&path).unwrap();
        assert_eq!(ExportState::load(&path).unwrap(), Some(saved));
        std::fs::write(&path, "garbage").unwrap();
        assert!(ExportState::load(&path).is_err());
    }
}
