//! From the columns of an ERP file to the fields of a record: which field each column fills (by name,
//! or by a `--map COLUMN=FIELD` override), the `--default FIELD=VALUE` values, and the check, before
//! anything is sent, that every required field has a column.
//!
//! Matching is by name, ignoring case and surrounding whitespace; columns that name no field are
//! ignored, so an ERP export can carry more than KAM needs.

use std::collections::HashSet;
use std::fmt;

/// One field of a record that a column of the file can fill.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: &'static str,
    pub need: Need,
    /// The format of its cells, for `kam-erp columns` and the README.
    pub format: &'static str,
}

/// Whether a file must have a column for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// At least one column of the group (named by what they identify, e.g. "the account") is required.
    OneOf(&'static str),
}

impl Column {
    pub const fn required(field: &'static str, format: &'static str) -> Self {
        Self {
            field,
            need: Need::Required,
            format,
        }
    }

    pub const fn optional(field: &'static str, format: &'static str) -> Self {
        Self {
            field,
            need: Need::Optional,
            format,
        }
    }

    pub const fn one_of(group: &'static str, field: &'static str, format: &'static str) -> Self {
        Self {
            field,
            need: Need::OneOf(group),
            format,
        }
    }
}

/// The field `name` (a column name or a `--map` target) stands for, by its index in `columns`.
pub fn field_index(columns: &[Column], name: &str) -> Option<usize> {
    let name = name.trim();
    columns
        .iter()
        .position(|column| column.field.eq_ignore_ascii_case(name))
}

/// The `--map` and `--default` options of an import.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// `(ERP column, field)` pairs.
    pub renames: Vec<(String, String)>,
    /// `(field, value)` pairs.
    pub defaults: Vec<(String, String)>,
}

/// A `NAME=VALUE` option, split at the first `=`: `--map KUNNR=account_external_id`.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

/// A mapping checked against the fields of one resource: what every option names exists.
#[derive(Debug, Clone)]
pub struct ResolvedMapping {
    columns: &'static [Column],
    /// `(ERP column, field index)`.
    renames: Vec<(String, usize)>,
    /// The default of each field, by field index.
    defaults: Vec<Option<String>>,
}

/// Why a file's columns cannot fill the records: reported before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnError(pub String);

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ResolvedMapping {
    pub fn new(columns: &'static [Column], mapping: &Mapping) -> Result<Self, ColumnError> {
        let unknown = |option: &str, field: &str| {
            let fields: Vec<&str> = columns.iter().map(|column| column.field).collect();
            ColumnError(format!(
                "{option}: `{field}` is not a field of these records; the fields are {}",
                fields.join(", ")
            ))
        };
        let mut renames = Vec::new();
        for (column, field) in &mapping.renames {
            let index = field_index(columns, field)
                .ok_or_else(|| unknown(&format!("--map {column}={field}"), field))?;
            renames.push((column.clone(), index));
        }
        let mut defaults = vec![None; columns.len()];
        for (field, value) in &mapping.defaults {
            let index = field_index(columns, field)
                .ok_or_else(|| unknown(&format!("--default {field}={value}"), field))?;
            defaults[index] = Some(value.clone()).filter(|value| !value.is_empty());
        }
        Ok(Self {
            columns,
            renames,
            defaults,
        })
    }

    pub fn columns(&self) -> &'static [Column] {
        self.columns
    }

    /// The field a column (a CSV header cell or a JSON key) fills: a `--map` names it, else its own name
    /// does; `None` for a column to ignore.
    pub fn field_of(&self, column: &str) -> Option<usize> {
        let column = column.trim();
        match self
            .renames
            .iter()
            .find(|(renamed, _)| renamed.eq_ignore_ascii_case(column))
        {
            Some(&(_, index)) => Some(index),
            None => field_index(self.columns, column),
        }
    }

    /// The field of each column of a CSV header, in header order.
    ///
    /// Refused: two columns for one field, and a `--map` naming a column the header does not have (a
    /// typo would otherwise silently leave a field empty).
    pub fn resolve_header(&self, header: &[&str]) -> Result<Vec<Option<usize>>, ColumnError> {
        for (column, _) in &self.renames {
            if !header.iter().any(|name| name.trim().eq_ignore_ascii_case(column)) {
                return Err(ColumnError(format!(
                    "--map names the column `{column}`, which the header does not have"
                )));
            }
        }
        let fields: Vec<Option<usize>> = header.iter().map(|name| self.field_of(name)).collect();
        for (position, field) in fields.iter().enumerate() {
            if let Some(field) = field
                && let Some(earlier) = fields[..position].iter().position(|other| other == &Some(*field))
            {
                return Err(ColumnError(format!(
                    "the columns `{}` and `{}` both fill the field {}",
                    header[earlier].trim(),
                    header[position].trim(),
                    self.columns[*field].field
                )));
            }
        }
        Ok(fields)
    }

    /// Checks that the fields with a column (`present`, by field index) and those with a default cover
    /// every required field and every "one of" group.
    pub fn check_required(&self, present: &HashSet<usize>) -> Result<(), ColumnError> {
        let covered = |index: usize| present.contains(&index) || self.defaults[index].is_some();
        let mut missing = Vec::new();
        for (index, column) in self.columns.iter().enumerate() {
            if column.need == Need::Required && !covered(index) {
                missing.push(format!("`{}`", column.field));
            }
        }
        let mut groups: Vec<&str> = Vec::new();
        for column in self.columns {
            if let Need::OneOf(group) = column.need
                && !groups.contains(&group)
            {
                groups.push(group);
            }
        }
        for group in groups {
            let members: Vec<(usize, &Column)> = self
                .columns
                .iter()
                .enumerate()
                .filter(|(_, column)| column.need == Need::OneOf(group))
                .collect();
            if !members.iter().any(|(index, _)| covered(*index)) {
                let names: Vec<String> = members
                    .iter()
                    .map(|(_, column)| format!("`{}`", column.field))
                    .collect();
                missing.push(format!("{} ({})", group, names.join(" or ")));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ColumnError(format!(
            "missing required column{}: {}; rename the ERP's column with --map ERP_COLUMN=FIELD, or give \
             every row the same value with --default FIELD=VALUE",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )))
    }

    /// The values of a row by field index, with the defaults filled in where a cell is missing or empty.
    pub fn row(&self, mut values: Vec<Option<String>>) -> Row {
        for (value, default) in values.iter_mut().zip(&self.defaults) {
            if value.is_none() {
                value.clone_from(default);
            }
        }
        Row {
            columns: self.columns,
            values,
        }
    }
}

/// One row of the file, its cells by field: trimmed, an empty cell as `None`.
#[derive(Debug, Clone)]
pub struct Row {
    columns: &'static [Column],
    values: Vec<Option<String>>,
}

impl Row {
    /// The cell of `field`, or "" when there is none.
    ///
    /// # Panics
    /// When `field` is not a column of the resource: a bug in the resource's module.
    pub fn text(&self, field: &str) -> &str {
        let index =
            field_index(self.columns, field).unwrap_or_else(|| panic!("`{field}` is not a declared column"));
        self.values[index].as_deref().unwrap_or("")
    }

    /// The cell of `field` parsed by `parse`; `None` when it is empty.
    pub fn parse<T>(
        &self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, FieldError> {
        match self.text(field) {
            "" => Ok(None),
            text => parse(text).map(Some).map_err(|description| FieldError {
                field: field.to_owned(),
                description,
            }),
        }
    }

    /// Like [`Row::parse`], for a cell that must not be empty.
    pub fn parse_required<T>(
        &self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, FieldError> {
        self.parse(field, parse)?.ok_or_else(|| FieldError {
            field: field.to_owned(),
            description: "required".to_owned(),
        })
    }
}

/// Why the connector could not turn a row into a record: reported like the server's row errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field at fault; empty for the row as a whole (e.g. a line that is not JSON).
    pub field: String,
    pub description: String,
}

impl FieldError {
    pub fn row(description: impl Into<String>) -> Self {
        Self {
            field: String::new(),
            description: description.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column::required("external_id", ""),
        Column::one_of("the account", "account_external_id", ""),
        Column::one_of("the account", "account_id", ""),
        Column::required("amount", ""),
        Column::optional("note", ""),
    ];

    fn mapping(renames: &[(&str, &str)], defaults: &[(&str, &str)]) -> ResolvedMapping {
        let pairs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        ResolvedMapping::new(
            COLUMNS,
            &Mapping {
                renames: pairs(renames),
                defaults: pairs(defaults),
            },
        )
        .unwrap()
    }

    fn present(fields: &[Option<usize>]) -> HashSet<usize> {
        fields.iter().flatten().copied().collect()
    }

    #[test]
    fn columns_match_fields_by_name_ignoring_case_and_unknown_ones_are_ignored() {
        let fields = mapping(&[], &[])
            .resolve_header(&[" External_ID ", "AMOUNT", "colour", "account_id"])
            .unwrap();
        assert_eq!(fields, [Some(0), Some(3), None, Some(2)]);
    }

    #[test]
    fn map_renames_an_erp_column() {
        let mapping = mapping(&[("KUNNR", "account_external_id"), ("BELNR", "external_id")], &[]);
        let fields = mapping.resolve_header(&["belnr", "kunnr", "amount"]).unwrap();
        assert_eq!(fields, [Some(0), Some(1), Some(3)]);
        assert!(mapping.check_required(&present(&fields)).is_ok());
    }

    #[test]
    fn a_map_to_an_unknown_field_or_from_a_missing_column_is_refused() {
        let err = ResolvedMapping::new(
            COLUMNS,
            &Mapping {
                renames: vec![("KUNNR".into(), "customer".into())],
                defaults: vec![],
            },
        )
        .unwrap_err();
        assert!(
            err.0.contains("--map KUNNR=customer: `customer` is not a field"),
            "{err}"
        );
        assert!(err.0.contains("external_id, account_external_id"), "{err}");

        let err = mapping(&[("KUNNR", "account_id")], &[])
            .resolve_header(&["external_id", "amount"])
            .unwrap_err();
        assert!(err.0.contains("`KUNNR`, which the header does not have"), "{err}");
    }

    #[test]
    fn two_columns_for_one_field_are_refused() {
        let err = mapping(&[("invoice", "external_id")], &[])
            .resolve_header(&["external_id", "invoice"])
            .unwrap_err();
        assert_eq!(
            err.0,
            "the columns `external_id` and `invoice` both fill the field external_id"
        );
    }

    #[test]
    fn missing_required_columns_are_named_with_the_way_out() {
        let mapping = mapping(&[], &[]);
        let fields = mapping.resolve_header(&["note"]).unwrap();
        let err = mapping.check_required(&present(&fields)).unwrap_err();
        assert!(
            err.0.starts_with(
                "missing required columns: `external_id`, `amount`, the account (`account_external_id` \
                 or `account_id`); rename"
            ),
            "{err}"
        );
        assert!(err.0.contains("--map ERP_COLUMN=FIELD"), "{err}");
    }

    #[test]
    fn a_default_stands_in_for_a_missing_column_and_empty_cells() {
        let mapping = mapping(&[], &[("amount", "0"), ("note", "from the ERP")]);
        let fields = mapping.resolve_header(&["external_id", "account_id"]).unwrap();
        assert!(mapping.check_required(&present(&fields)).is_ok());
        let row = mapping.row(vec![
            Some("A-1".into()),
            None,
            Some("x".into()),
            None,
            Some("kept".into()),
        ]);
        assert_eq!(row.text("external_id"), "A-1");
        assert_eq!(row.text("account_external_id"), "");
        assert_eq!(row.text("amount"), "0");
        assert_eq!(row.text("note"), "kept");
    }

    #[test]
    fn parse_names_the_field_and_an_empty_required_cell() {
        let row = mapping(&[], &[]).row(vec![Some("A-1".into()), None, None, Some("x".into()), None]);
        let number = |text: &str| text.parse::<i32>().map_err(|_| format!("`{text}` is no number"));
        assert_eq!(
            row.parse("amount", number),
            Err(FieldError {
                field: "amount".into(),
                description: "`x` is no number".into()
            })
        );
        assert_eq!(row.parse("note", number), Ok(None));
        assert_eq!(
            row.parse_required("note", number).unwrap_err().description,
            "required"
        );
    }

    #[test]
    fn pairs_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_pair("KUNNR=account_id"),
            Ok(("KUNNR".into(), "account_id".into()))
        );
        assert_eq!(parse_pair("note = a=b"), Ok(("note".into(), "a=b".into())));
        assert_eq!(parse_pair("currency="), Ok(("currency".into(), String::new())));
        assert!(parse_pair("=x").is_err());
        assert!(parse_pair("x").is_err());
    }
}
