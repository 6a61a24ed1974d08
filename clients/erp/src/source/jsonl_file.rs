//! JSON-lines files: one JSON object per line, its keys naming the columns. Blank lines are skipped.
//!
//! Values may be strings, booleans, whole numbers or null (an empty cell). A number with a fraction or
//! an exponent is refused rather than read: JSON parsers hold such numbers as binary floats, which
//! cannot hold most decimal amounts exactly, so amounts must be written as strings (`"1234.50"`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};

use serde_json::{Map, Value};

use super::{BadRow, Position, SourceRow, cell};
use crate::columns::{FieldError, ResolvedMapping, field_index};

/// The byte order mark some tools put at the start of a file.
const BOM: &str = "\u{feff}";

/// The fields the first row of the file fills: the columns a JSON-lines file has, checked up front
/// like a CSV header.
pub fn first_row_fields(file: File, mapping: &ResolvedMapping) -> Result<HashSet<usize>, String> {
    let mut rows = JsonlRows::new(file, mapping, Position { byte: 0, line: 1 })
        .map_err(|err| format!("cannot read: {err}"))?;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let line = rows.line;
        if rows
            .read_line(&mut bytes)
            .map_err(|err| format!("cannot read: {err}"))?
            == 0
        {
            return Err("the file has no rows".to_owned());
        }
        let object = match std::str::from_utf8(&bytes) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => parse_object(text),
            Err(_) => Err(not_utf8()),
        };
        let object = object.map_err(|bad| format!("line {line}: {}", bad.error.description))?;
        return Ok(object.keys().filter_map(|key| mapping.field_of(key)).collect());
    }
}

/// The rows of a JSON-lines file from some position on.
pub struct JsonlRows<'a> {
    reader: BufReader<File>,
    mapping: &'a ResolvedMapping,
    /// Where the next line starts, and its number.
    byte: u64,
    line: u64,
    /// The buffer of the current line, kept to spare an allocation per row.
    bytes: Vec<u8>,
}

impl<'a> JsonlRows<'a> {
    pub fn new(mut file: File, mapping: &'a ResolvedMapping, from: Position) -> io::Result<Self> {
        file.seek(SeekFrom::Start(from.byte))?;
        Ok(Self {
            reader: BufReader::with_capacity(64 * 1024, file),
            mapping,
            byte: from.byte,
            line: from.line,
            bytes: Vec::new(),
        })
    }

    /// Reads the next line into `bytes`, advancing the position; returns its length, 0 at the end.
    ///
    /// Bytes rather than a `String`, so that a line that is not UTF-8 still moves the position past it
    /// and is reported as a bad row.
    fn read_line(&mut self, bytes: &mut Vec<u8>) -> io::Result<usize> {
        let read = self.reader.read_until(b'\n', bytes)?;
        if self.byte == 0 && bytes.starts_with(BOM.as_bytes()) {
            bytes.drain(..BOM.len());
        }
        self.byte += read as u64;
        if read > 0 {
            self.line += 1;
        }
        Ok(read)
    }

    pub fn next_row(&mut self) -> io::Result<Option<SourceRow>> {
        let mut bytes = std::mem::take(&mut self.bytes);
        let row = loop {
            bytes.clear();
            let line = self.line;
            if self.read_line(&mut bytes)? == 0 {
                break None;
            }
            let row = match std::str::from_utf8(&bytes) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => parse_object(text)
                    .and_then(|object| self.values(object))
                    .map(|values| self.mapping.row(values)),
                Err(_) => Err(not_utf8()),
            };
            break Some(SourceRow { line, row });
        };
        self.bytes = bytes;
        Ok(row)
    }

    /// The object's values by field; keys that name no field are ignored. A value that cannot be a
    /// cell fails the row, which is still named by its external id when that could be read.
    fn values(&self, object: Map<String, Value>) -> Result<Vec<Option<String>>, BadRow> {
        let columns = self.mapping.columns();
        let mut values = vec![None; columns.len()];
        let mut filled_by: Vec<Option<String>> = vec![None; columns.len()];
        let mut problem = None;
        for (key, value) in object {
            let Some(field) = self.mapping.field_of(&key) else {
                continue;
            };
            let name = columns[field].field;
            let error = |description| FieldError {
                field: name.to_owned(),
                description,
            };
            if let Some(earlier) = &filled_by[field] {
                problem.get_or_insert(error(format!("the keys `{earlier}` and `{key}` both fill it")));
                continue;
            }
            match cell_of(&key, value) {
                Ok(cell) => values[field] = cell,
                Err(description) => {
                    problem.get_or_insert(error(description));
                }
            }
            filled_by[field] = Some(key);
        }
        match problem {
            None => Ok(values),
            Some(error) => {
                let key = field_index(columns, "external_id").and_then(|index| values[index].take());
                Err(BadRow {
                    external_id: key.unwrap_or_default(),
                    error,
                })
            }
        }
    }

    pub fn position(&self) -> Position {
        Position {
            byte: self.byte,
            line: self.line,
        }
    }
}

fn not_utf8() -> BadRow {
    BadRow::unreadable("not valid UTF-8: save the file as UTF-8")
}

fn parse_object(text: &str) -> Result<Map<String, Value>, BadRow> {
    serde_json::from_str(text).map_err(|err| BadRow::unreadable(format!("not a JSON object: {err}")))
}

/// A JSON value as a cell: its text, `None` for null or an empty string.
fn cell_of(key: &str, value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(cell(&text)),
        Value::Bool(flag) => Ok(Some(flag.to_string())),
        Value::Number(number) if number.is_i64() || number.is_u64() => Ok(Some(number.to_string())),
        Value::Number(_) => Err(format!(
            "`{key}` is a JSON number with decimals, which is not exact: write it as a string, e.g. \
             \"1234.50\""
        )),
        Value::Array(_) | Value::Object(_) => Err(format!("`{key}` must be a string, number or boolean")),
    }
}
