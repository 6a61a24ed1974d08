//! CSV files: a header line naming the columns, then one row per record (RFC 4180: quoted cells may
//! hold the delimiter, quotes and line breaks).
//!
//! Line numbers are the connector's own: the `csv` crate names a record by where its parser started,
//! which is before any blank lines it skipped, and with CRLF line ends before the LF of the line above.
//! So the reader notes where the file's line breaks are (`NewlineIndex`) and works back from where a
//! record ended: its last line, less the line breaks inside its quoted cells, is its first.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use csv::{ErrorKind, ReaderBuilder, StringRecord};

use super::{BadRow, Position, SourceRow, cell};
use crate::columns::ResolvedMapping;

/// The byte order mark some tools (Excel among them) put before the first header name.
const BOM: char = '\u{feff}';

/// The header line of a CSV file.
#[derive(Debug)]
pub struct Header {
    pub names: Vec<String>,
    /// Where the first row after the header starts.
    pub first_row: Position,
}

fn builder(delimiter: u8) -> ReaderBuilder {
    let mut builder = ReaderBuilder::new();
    // Rows with another number of cells than the header are reported, not silently padded: they are
    // usually an unquoted delimiter inside a cell, which shifts every cell after it.
    builder.delimiter(delimiter).has_headers(true).flexible(false);
    builder
}

pub fn read_header(file: File, delimiter: u8) -> Result<Header, String> {
    let mut reader = builder(delimiter).from_reader(file);
    let header = reader
        .headers()
        .map_err(|err| format!("cannot read the header line: {err}"))?;
    let mut names: Vec<String> = header.iter().map(str::to_owned).collect();
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches(BOM).to_owned();
    }
    if names.iter().all(|name| name.trim().is_empty()) {
        return Err(
            "the file is empty or its first line is blank: a CSV file starts with a header line \
                    naming its columns"
                .to_owned(),
        );
    }
    let position = reader.position();
    Ok(Header {
        names,
        first_row: Position {
            byte: position.byte(),
            line: position.line(),
        },
    })
}

/// The rows of a CSV file from some position on.
pub struct CsvRows<'a> {
    reader: csv::Reader<NewlineIndex>,
    record: StringRecord,
    /// The field each column fills.
    fields: &'a [Option<usize>],
    mapping: &'a ResolvedMapping,
}

impl<'a> CsvRows<'a> {
    pub fn new(
        file: File,
        delimiter: u8,
        fields: &'a [Option<usize>],
        mapping: &'a ResolvedMapping,
        from: Position,
    ) -> io::Result<Self> {
        let mut reader = builder(delimiter).from_reader(NewlineIndex::new(file));
        let mut position = csv::Position::new();
        position.set_byte(from.byte).set_line(from.line);
        // Reads the header first (so that row lengths are checked against it), then moves on.
        reader.seek(position).map_err(io::Error::other)?;
        Ok(Self {
            reader,
            record: StringRecord::new(),
            fields,
            mapping,
        })
    }

    pub fn next_row(&mut self) -> io::Result<Option<SourceRow>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let breaks_inside = self.record.as_slice().bytes().filter(|&b| b == b'\n').count();
                let line = self.last_line() - breaks_inside as u64;
                let mut values = vec![None; self.mapping.columns().len()];
                for (text, field) in self.record.iter().zip(self.fields) {
                    if let Some(field) = field {
                        values[*field] = cell(text);
                    }
                }
                Ok(Some(SourceRow {
                    line,
                    row: Ok(self.mapping.row(values)),
                }))
            }
            Err(err) => {
                // The bad record is not at hand to count its inner line breaks: it is named by its last
                // line, which for the usual one-line record is its only one.
                let line = self.last_line();
                let description = match err.into_kind() {
                    ErrorKind::Io(err) => return Err(err),
                    ErrorKind::Utf8 { .. } => "not valid UTF-8: save the file as UTF-8".to_owned(),
                    ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "has {len} cells where the header has {expected_len} (an unquoted delimiter in a \
                         cell?)"
                    ),
                    other => format!("cannot be read: {other:?}"),
                };
                Ok(Some(SourceRow {
                    line,
                    row: Err(BadRow::unreadable(description)),
                }))
            }
        }
    }

    /// The last line of the record just read. The parser stops after the record's terminator: past its
    /// LF (the line count already moved on), or, with CRLF line ends, between the CR and the LF, or at
    /// the end of the file.
    fn last_line(&mut self) -> u64 {
        let end = self.reader.position().clone();
        let past_a_line_break = end.byte() > 0 && self.reader.get_mut().is_newline(end.byte() - 1);
        end.line() - u64::from(past_a_line_break)
    }

    pub fn position(&self) -> Position {
        let position = self.reader.position();
        Position {
            byte: position.byte(),
            line: position.line(),
        }
    }
}

/// The file as the CSV parser reads it, noting the offsets of the line breaks (`\n`) it hands over
/// that the parser has not yet passed.
pub struct NewlineIndex {
    file: File,
    /// The offset of the next byte read.
    offset: u64,
    newlines: VecDeque<u64>,
}

impl NewlineIndex {
    fn new(file: File) -> Self {
        Self {
            file,
            offset: 0,
            newlines: VecDeque::new(),
        }
    }

    /// Whether the byte at `offset` is a `\n`. Asked with offsets that only grow, so the breaks before
    /// it are forgotten: the index holds no more than what the parser's buffer holds.
    fn is_newline(&mut self, offset: u64) -> bool {
        while self.newlines.front().is_some_and(|&newline| newline < offset) {
            self.newlines.pop_front();
        }
        self.newlines.front() == Some(&offset)
    }
}

impl Read for NewlineIndex {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.file.read(buffer)?;
        for (index, _) in buffer[..read].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            self.newlines.push_back(self.offset + index as u64);
        }
        self.offset += read as u64;
        Ok(read)
    }
}

impl Seek for NewlineIndex {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.offset = self.file.seek(position)?;
        self.newlines.clear();
        Ok(self.offset)
    }
}
