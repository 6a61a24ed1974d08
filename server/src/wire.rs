//! Shared pieces of the proto edge: enums by name, timestamps, and update masks (AIP-134).

use chrono::{DateTime, Utc};
use kam_proto::pbjson_types::{FieldMask, Timestamp};

use crate::error::FieldViolation;

/// A domain enum that travels as the proto enum with the same value names.
pub trait WireEnum: Sized + Copy {
    fn proto_name(raw: i32) -> Option<&'static str>;
    fn proto_number(name: &str) -> Option<i32>;
    fn from_name(name: &str) -> Option<Self>;
    fn as_str(self) -> &'static str;

    /// `Ok(None)` for 0 (unspecified); an error for a number this version does not know.
    fn from_wire(field: &str, raw: i32) -> Result<Option<Self>, FieldViolation> {
        if raw == 0 {
            return Ok(None);
        }
        Self::proto_name(raw)
            .and_then(Self::from_name)
            .map(Some)
            .ok_or_else(|| FieldViolation::new(field, format!("unknown value {raw}")))
    }

    /// 0 (unspecified) for domain-only values such as UNASSESSED.
    fn to_wire(self) -> i32 {
        Self::proto_number(self.as_str()).unwrap_or(0)
    }
}

#[macro_export]
macro_rules! wire_enums {
    ($($domain:ident => $proto:ty),+ $(,)?) => {$(
        impl $crate::wire::WireEnum for $domain {
            fn proto_name(raw: i32) -> Option<&'static str> {
                <$proto>::try_from(raw).ok().map(|e| e.as_str_name())
            }
            fn proto_number(name: &str) -> Option<i32> {
                <$proto>::from_str_name(name).map(|e| e as i32)
            }
            fn from_name(name: &str) -> Option<Self> {
                $domain::from_name(name)
            }
            fn as_str(self) -> &'static str {
                $domain::as_str(self)
            }
        }
    )+};
}

/// An enum named in an update mask must hold a value: unspecified cannot be stored.
pub fn required_enum<T>(field: &str, parsed: Result<Option<T>, FieldViolation>) -> Result<T, FieldViolation> {
    parsed?.ok_or_else(|| FieldViolation::new(field, "must be set"))
}

/// The paths an update writes: the mask's, or every populated field when the mask is empty. Output-only
/// paths in the mask are ignored (AIP-203): a client echoing a whole resource back must not fail, and
/// the server-owned values it carries never reach the store (OWASP API3, mass assignment).
pub fn mask_paths(
    mask: Option<FieldMask>,
    populated: Vec<&'static str>,
    updatable: &[&str],
    output_only: &[&str],
    immutable: &[&str],
) -> Result<Vec<String>, FieldViolation> {
    let paths = mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        return Ok(populated.into_iter().map(str::to_owned).collect());
    }
    let mut chosen: Vec<String> = Vec::new();
    for path in paths {
        if output_only.contains(&path.as_str()) {
            continue;
        }
        if immutable.contains(&path.as_str()) {
            return Err(FieldViolation::new(
                "update_mask",
                format!("{path} cannot be changed"),
            ));
        }
        if !updatable.contains(&path.as_str()) {
            return Err(FieldViolation::new(
                "update_mask",
                format!("unknown field {path}"),
            ));
        }
        if !chosen.contains(&path) {
            chosen.push(path);
        }
    }
    Ok(chosen)
}

pub fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// A proto timestamp as a UTC instant; `None` when unset.
pub fn instant(field: &str, raw: Option<Timestamp>) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let valid_nanos = u32::try_from(raw.nanos).ok().filter(|n| *n < 1_000_000_000);
    valid_nanos
        .and_then(|nanos| DateTime::from_timestamp(raw.seconds, nanos))
        .map(Some)
        .ok_or_else(|| FieldViolation::new(field, "not a valid timestamp"))
}

/// A calendar date from the wire (year 1..=9999); `None` when unset.
pub fn date(
    field: &str,
    raw: Option<kam_proto::v1::Date>,
) -> Result<Option<chrono::NaiveDate>, FieldViolation> {
    let Some(kam_proto::v1::Date { year, month, day }) = raw else {
        return Ok(None);
    };
    let parsed = u32::try_from(month)
        .ok()
        .zip(u32::try_from(day).ok())
        .filter(|_| (1..=9999).contains(&year))
        .and_then(|(month, day)| chrono::NaiveDate::from_ymd_opt(year, month, day));
    parsed
        .map(Some)
        .ok_or_else(|| FieldViolation::new(field, "not a calendar date"))
}

pub fn date_to_proto(date: chrono::NaiveDate) -> kam_proto::v1::Date {
    use chrono::Datelike;
    kam_proto::v1::Date {
        year: date.year(),
        month: date.month() as i32,
        day: date.day() as i32,
    }
}
