//! Reading CSV and JSON-lines files: cells by field, line numbers, bad rows, and starting anywhere.

use std::path::PathBuf;

use super::*;
use crate::columns::{Column, Mapping};

const COLUMNS: &[Column] = &[
    Column::required("external_id", ""),
    Column::required("amount", ""),
    Column::optional("note", ""),
];

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn fixture(name: &str, contents: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    Fixture { _dir: dir, path }
}

fn mapping(renames: &[(&str, &str)]) -> ResolvedMapping {
    let mapping = Mapping {
        renames: renames
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        defaults: vec![],
    };
    ResolvedMapping::new(COLUMNS, &mapping).unwrap()
}

fn open(fixture: &Fixture, format: Format) -> Result<SourceFile, Error> {
    SourceFile::open(&fixture.path, format, b',', mapping(&[]))
}

/// Every row from `position` on as `(line, external_id, amount, note)` or `(line, error)`.
fn rows(file: &SourceFile, position: Position) -> Vec<String> {
    let mut reader = file.rows_from(position).unwrap();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().unwrap() {
        rows.push(match row.row {
            Ok(cells) => format!(
                "{}: {}|{}|{}",
                row.line,
                cells.text("external_id"),
                cells.text("amount"),
                cells.text("note")
            ),
            Err(bad) => format!(
                "{}: error [{}] {}: {}",
                row.line, bad.external_id, bad.error.field, bad.error.description
            ),
        });
    }
    rows
}

#[test]
fn formats_follow_the_extension() {
    assert_eq!(Format::of_path(Path::new("a/b.CSV")), Some(Format::Csv));
    assert_eq!(Format::of_path(Path::new("b.jsonl")), Some(Format::Jsonl));
    assert_eq!(Format::of_path(Path::new("b.ndjson")), Some(Format::Jsonl));
    assert_eq!(Format::of_path(Path::new("b.txt")), None);
    assert_eq!(Format::of_path(Path::new("csv")), None);
}

#[test]
fn csv_rows_are_named_by_their_first_line_and_bad_ones_are_rows_with_errors() {
    let csv = fixture(
        "a.csv",
        "\u{feff}External_ID,colour,amount,note\n\
         R-1,red, 10.50 ,\n\
         \n\
         R-2,blue,\"1\",\"two\nlines\"\n\
         R-3,green\n\
         R-4,,-3,\"x, y\"\n",
    );
    let file = open(&csv, Format::Csv).unwrap();
    assert_eq!(file.first_row(), Position { byte: 34, line: 2 });
    assert_eq!(
        rows(&file, file.first_row()),
        [
            "2: R-1|10.50|",
            "4: R-2|1|two\nlines",
            "6: error [] : has 2 cells where the header has 4 (an unquoted delimiter in a cell?)",
            "7: R-4|-3|x, y",
        ]
    );
}

#[test]
fn crlf_line_ends_blank_lines_and_a_missing_last_line_end_keep_the_line_numbers_right() {
    let csv = fixture(
        "a.csv",
        "external_id,amount\r\nR-1,1\r\n\r\n\r\nR-2,\"2\r\n3\"\r\nR-3,3,x,y\r\nR-4,4",
    );
    let file = open(&csv, Format::Csv).unwrap();
    let all = rows(&file, file.first_row());
    assert_eq!(
        all,
        [
            "2: R-1|1|",
            "5: R-2|2\r\n3|",
            "7: error [] : has 4 cells where the header has 2 (an unquoted delimiter in a cell?)",
            "8: R-4|4|",
        ]
    );
    // Resuming after each row reads the same lines.
    let mut reader = file.rows_from(file.first_row()).unwrap();
    let mut from_positions = Vec::new();
    while reader.next_row().unwrap().is_some() {
        from_positions.push(rows(&file, reader.position()).len());
    }
    assert_eq!(from_positions, [3, 2, 1, 0]);
    let mut reader = file.rows_from(file.first_row()).unwrap();
    reader.next_row().unwrap();
    assert_eq!(rows(&file, reader.position())[0], "5: R-2|2\r\n3|");
}

#[test]
fn a_csv_reader_starts_where_another_stopped() {
    let csv = fixture("a.csv", "external_id,amount\nR-1,1\nR-2,\"2\n\"\nR-3,3\n");
    let file = open(&csv, Format::Csv).unwrap();
    let mut reader = file.rows_from(file.first_row()).unwrap();
    reader.next_row().unwrap().unwrap();
    reader.next_row().unwrap().unwrap();
    let after_two = reader.position();
    assert_eq!(after_two.line, 5);
    assert_eq!(rows(&file, after_two), ["5: R-3|3|"]);
    let end = {
        let mut reader = file.rows_from(after_two).unwrap();
        reader.next_row().unwrap();
        assert!(reader.next_row().unwrap().is_none());
        reader.position()
    };
    assert!(rows(&file, end).is_empty());
}

#[test]
fn csv_files_with_other_delimiters_and_bad_bytes() {
    let csv = fixture("a.csv", "external_id;amount\nR-1;1,5\n");
    let file = SourceFile::open(&csv.path, Format::Csv, b';', mapping(&[])).unwrap();
    assert_eq!(rows(&file, file.first_row()), ["2: R-1|1,5|"]);

    let latin1 = fixture("b.csv", "");
    std::fs::write(
        &latin1.path,
        b"external_id,amount,note\nR-1,1,M\xfcller\nR-2,2,ok\n",
    )
    .unwrap();
    let file = open(&latin1, Format::Csv).unwrap();
    assert_eq!(
        rows(&file, file.first_row()),
        [
            "2: error [] : not valid UTF-8: save the file as UTF-8",
            "3: R-2|2|ok"
        ]
    );
}

#[test]
fn column_problems_are_usage_errors_naming_the_file() {
    let csv = fixture("a.csv", "external_id,note\nR-1,x\n");
    let err = open(&csv, Format::Csv).unwrap_err().to_string();
    assert!(err.contains("a.csv: missing required column: `amount`"), "{err}");

    let empty = fixture("empty.csv", "");
    let err = open(&empty, Format::Csv).unwrap_err().to_string();
    assert!(err.contains("starts with a header line"), "{err}");

    let err = SourceFile::open(&csv.path, Format::Csv, b',', mapping(&[("BETRAG", "amount")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`BETRAG`, which the header does not have"), "{err}");

    let missing = csv.path.with_file_name("missing.csv");
    let err = open(
        &Fixture {
            _dir: tempfile::tempdir().unwrap(),
            path: missing,
        },
        Format::Csv,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("cannot open"), "{err}");
}

#[test]
fn json_lines_take_strings_flags_and_whole_numbers_but_not_fractions() {
    let jsonl = fixture(
        "a.jsonl",
        "\u{feff}{\"external_id\": \"R-1\", \"amount\": \"10.50\", \"note\": null, \"extra\": [1]}\n\
         \n\
         {\"external_id\": \"R-2\", \"amount\": 7, \"note\": true}\n\
         {\"external_id\": \"R-3\", \"amount\": 10.5}\n\
         not json\n\
         {\"external_id\": \"R-5\", \"amount\": \"1\", \"note\": {\"a\": 1}}\n\
         {\"external_id\": \"R-6\", \"amount\": \"2\"}",
    );
    let file = open(&jsonl, Format::Jsonl).unwrap();
    let rows = rows(&file, file.first_row());
    assert_eq!(rows[0], "1: R-1|10.50|");
    assert_eq!(rows[1], "3: R-2|7|true");
    assert!(
        rows[2].starts_with("4: error [R-3] amount: `amount` is a JSON number with decimals"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].starts_with("5: error [] : not a JSON object"),
        "{}",
        rows[3]
    );
    assert_eq!(
        rows[4],
        "6: error [R-5] note: `note` must be a string, number or boolean"
    );
    assert_eq!(rows[5], "7: R-6|2|", "a last line without a newline is a row");
    assert_eq!(rows.len(), 6);
}

#[test]
fn a_json_lines_reader_starts_where_another_stopped_and_maps_keys() {
    let jsonl = fixture(
        "a.jsonl",
        "{\"BELNR\": \"R-1\", \"amount\": \"1\"}\n{\"BELNR\": \"R-2\", \"amount\": \"2\"}\n",
    );
    let file = SourceFile::open(
        &jsonl.path,
        Format::Jsonl,
        b',',
        mapping(&[("belnr", "external_id")]),
    )
    .unwrap();
    let mut reader = file.rows_from(file.first_row()).unwrap();
    reader.next_row().unwrap().unwrap();
    let position = reader.position();
    assert_eq!(position.line, 2);
    assert_eq!(rows(&file, position), ["2: R-2|2|"]);
}

#[test]
fn the_first_json_line_must_have_the_required_keys() {
    let jsonl = fixture("a.jsonl", "\n{\"external_id\": \"R-1\"}\n");
    let err = open(&jsonl, Format::Jsonl).unwrap_err().to_string();
    assert!(err.contains("missing required column: `amount`"), "{err}");
    let bad = fixture("b.jsonl", "[1, 2]\n");
    let err = open(&bad, Format::Jsonl).unwrap_err().to_string();
    assert!(err.contains("line 1: not a JSON object"), "{err}");
    let empty = fixture("c.jsonl", "\n\n");
    let err = open(&empty, Format::Jsonl).unwrap_err().to_string();
    assert!(err.contains("no rows"), "{err}");
}

#[test]
fn two_keys_for_one_field_are_a_row_error() {
    let jsonl = fixture(
        "a.jsonl",
        "{\"external_id\": \"R-1\", \"amount\": \"1\"}\n{\"external_id\": \"R-2\", \"amount\": \"1\", \"AMOUNT\": \"2\"}\n",
    );
    let file = open(&jsonl, Format::Jsonl).unwrap();
    assert_eq!(
        rows(&file, file.first_row())[1],
        "2: error [R-2] amount: the keys `AMOUNT` and `amount` both fill it"
    );
}
