//! Reading an import file row by row, never the whole file: CSV (`csv_file`) or JSON lines
//! (`jsonl_file`), each row's cells mapped to the resource's fields.
//!
//! A reader can start at any [`Position`] a previous reader reported, so that a call can be read again
//! for a retry, and a run can resume where its checkpoint says, without reading what came before.

mod csv_file;
mod jsonl_file;

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::columns::{FieldError, ResolvedMapping, Row};
use crate::error::Error;

/// The file formats `--format` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// One JSON object per line (also called NDJSON).
    Jsonl,
}

impl Format {
    /// The format a file's extension names: `.csv`, `.jsonl` or `.ndjson`, in any case.
    pub fn of_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// Where a row starts: its byte offset and its line number (from 1). A CSV row with a quoted line
/// break spans several lines; it is named by its first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub byte: u64,
    pub line: u64,
}

/// One row read: its line, and its cells by field, or why they could not be read.
#[derive(Debug)]
pub struct SourceRow {
    pub line: u64,
    pub row: Result<Row, BadRow>,
}

/// A row whose cells could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The row's key when it could be read nonetheless, else empty.
    pub external_id: String,
    pub error: FieldError,
}

impl BadRow {
    /// A row of which nothing could be read.
    fn unreadable(description: impl Into<String>) -> Self {
        Self {
            external_id: String::new(),
            error: FieldError::row(description),
        }
    }
}

/// An import file whose columns have been checked against a resource's fields: where its rows start,
/// and how to read them from any position.
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    format: Format,
    mapping: ResolvedMapping,
    /// CSV only: the field each column of the header fills, and the delimiter.
    csv_fields: Vec<Option<usize>>,
    delimiter: u8,
    /// Where the first row starts (after a CSV header).
    first_row: Position,
    size: u64,
}

impl SourceFile {
    /// Opens `path` and checks its columns: a CSV header, or the keys of a JSON-lines file's first row.
    /// Every problem found here is a usage error, reported before anything is sent.
    pub fn open(path: &Path, format: Format, delimiter: u8, mapping: ResolvedMapping) -> Result<Self, Error> {
        let file =
            File::open(path).map_err(|err| Error::Usage(format!("cannot open {}: {err}", path.display())))?;
        let size = file.metadata().map_err(|err| Error::file(path, err))?.len();
        let usage = |message: String| Error::Usage(format!("{}: {message}", path.display()));
        let (csv_fields, present, first_row) = match format {
            Format::Csv => {
                let header = csv_file::read_header(file, delimiter).map_err(|err| usage(err.to_string()))?;
                let names: Vec<&str> = header.names.iter().map(String::as_str).collect();
                let fields = mapping.resolve_header(&names).map_err(|err| usage(err.0))?;
                let present: HashSet<usize> = fields.iter().flatten().copied().collect();
                (fields, present, header.first_row)
            }
            Format::Jsonl => {
                let present = jsonl_file::first_row_fields(file, &mapping).map_err(usage)?;
                (Vec::new(), present, Position { byte: 0, line: 1 })
            }
        };
        mapping.check_required(&present).map_err(|err| usage(err.0))?;
        Ok(Self {
            path: path.to_owned(),
            format,
            mapping,
            csv_fields,
            delimiter,
            first_row,
            size,
        })
    }

    pub fn first_row(&self) -> Position {
        self.first_row
    }

    /// The file's size when it was opened, for the progress in percent.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A reader of the rows from `position` on: the start of a row, as [`SourceFile::first_row`] or a
    /// reader's [`RowReader::position`] gave it.
    pub fn rows_from(&self, position: Position) -> io::Result<RowReader<'_>> {
        let file = File::open(&self.path)?;
        Ok(match self.format {
            Format::Csv => RowReader::Csv(csv_file::CsvRows::new(
                file,
                self.delimiter,
                &self.csv_fields,
                &self.mapping,
                position,
            )?),
            Format::Jsonl => RowReader::Jsonl(jsonl_file::JsonlRows::new(file, &self.mapping, position)?),
        })
    }
}

/// Reads rows one at a time.
pub enum RowReader<'a> {
    Csv(csv_file::CsvRows<'a>),
    Jsonl(jsonl_file::JsonlRows<'a>),
}

impl RowReader<'_> {
    /// The next row, `None` at the end of the file. Blank lines are skipped. A row that cannot be read
    /// (bad quoting, a wrong number of cells, not UTF-8, not a JSON object) is a row with an error;
    /// only failing to read the file at all is an `Err`.
    pub fn next_row(&mut self) -> io::Result<Option<SourceRow>> {
        match self {
            RowReader::Csv(rows) => rows.next_row(),
            RowReader::Jsonl(rows) => rows.next_row(),
        }
    }

    /// Where the next row starts.
    pub fn position(&self) -> Position {
        match self {
            RowReader::Csv(rows) => rows.position(),
            RowReader::Jsonl(rows) => rows.position(),
        }
    }
}

/// A cell as a field value: trimmed, and `None` when empty.
fn cell(text: &str) -> Option<String> {
    Some(text.trim())
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;
