//! Shared pieces of the proto edge: enums by name, timestamps, and update masks (AIP-134).

use chrono::{DateTime, Utc};
use kam_proto::pbjson_types::{FieldMask, Timestamp};

use crate::platform::error::{FieldViolation, Violations};

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
        impl $crate::platform::wire::WireEnum for $domain {
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

/// An update request, validated: the resource it changes, the etag the client read (checked before
/// writing, when sent), the patch and the field paths it writes (the mask's, see [`mask_paths`]). Passed
/// whole from `convert` to the store.
#[derive(Debug)]
pub struct Update<P> {
    pub id: uuid::Uuid,
    pub etag: Option<String>,
    pub patch: P,
    pub paths: Vec<String>,
}

/// The writable fields of one resource, in one table: each field's mask path, whether the client's
/// message sets it (what an empty mask writes), and how it is read into the patch. [`Self::read`] reads
/// only the fields the update writes, so one list replaces the updatable paths, the populated paths and
/// a `match` over the chosen ones.
pub struct PatchFields<'a, P> {
    fields: Vec<PatchField<'a, P>>,
}

/// How one field's value is read into the patch.
type ReadField<'a, P> = Box<dyn FnOnce(&mut P, &mut Violations) + 'a>;

struct PatchField<'a, P> {
    path: &'static str,
    set: bool,
    read: ReadField<'a, P>,
}

impl<'a, P: Default> PatchFields<'a, P> {
    pub fn new() -> Self {
        Self { fields: Vec::new() }
    }

    /// A writable field: `set` when the message carries a value for it; `read` parses that value into
    /// the patch, recording what does not parse.
    pub fn field(
        mut self,
        path: &'static str,
        set: bool,
        read: impl FnOnce(&mut P, &mut Violations) + 'a,
    ) -> Self {
        self.fields.push(PatchField {
            path,
            set,
            read: Box::new(read),
        });
        self
    }

    /// The patch and the paths it writes, as [`mask_paths`] chooses them (the mask's, or the set fields
    /// in the order declared when the mask is empty); a bad mask is recorded in `v` as a violation of
    /// `update_mask`.
    pub fn read(
        self,
        mask: Option<FieldMask>,
        output_only: &[&str],
        immutable: &[&str],
        v: &mut Violations,
    ) -> (P, Vec<String>) {
        let updatable: Vec<&str> = self.fields.iter().map(|field| field.path).collect();
        let populated = self.fields.iter().filter(|f| f.set).map(|f| f.path).collect();
        let paths = v
            .take(mask_paths(mask, populated, &updatable, output_only, immutable))
            .unwrap_or_default();
        let mut patch = P::default();
        let mut fields = self.fields;
        for path in &paths {
            if let Some(at) = fields.iter().position(|field| field.path == path) {
                (fields.swap_remove(at).read)(&mut patch, v);
            }
        }
        (patch, paths)
    }
}

impl<P: Default> Default for PatchFields<'_, P> {
    fn default() -> Self {
        Self::new()
    }
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

/// The range of every instant and date the API takes: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z,
/// the range `google.protobuf.Timestamp` defines. Why bound at all: chrono takes years ±262 143, where a
/// day more or less overflows (a panic), and a date past 9999 does not sort as text (SQLite stores
/// `+10000-01-01`, which sorts before `2026-…`), so range filters would silently miss rows. Within this
/// range every date a rule derives (a day later, a year earlier) is still a date chrono holds.
pub const EARLIEST_YEAR: i32 = 1;
pub const LATEST_YEAR: i32 = 9999;
/// 0001-01-01T00:00:00Z in seconds since the Unix epoch.
const EARLIEST_SECONDS: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z in seconds since the Unix epoch.
const LATEST_SECONDS: i64 = 253_402_300_799;

/// The most items a list in a request may hold, unless its field says less: more than any real filter
/// names, and far under the parameters one statement binds (SQLite 32 766, PostgreSQL 65 535), so a
/// list that reaches an `IN (…)` is never answered INTERNAL.
pub const MAX_LIST_ITEMS: usize = 1000;

/// `items`, when there are at most [`MAX_LIST_ITEMS`] of them.
pub fn bounded_list<'a, T>(field: &str, items: &'a [T]) -> Result<&'a [T], FieldViolation> {
    if items.len() > MAX_LIST_ITEMS {
        return Err(FieldViolation::new(
            field,
            format!("at most {MAX_LIST_ITEMS} items (got {})", items.len()),
        ));
    }
    Ok(items)
}

/// A proto timestamp as a UTC instant within the API's range; `None` when unset.
pub fn instant(field: &str, raw: Option<Timestamp>) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let valid_nanos = u32::try_from(raw.nanos).ok().filter(|n| *n < 1_000_000_000);
    let in_range = (EARLIEST_SECONDS..=LATEST_SECONDS).contains(&raw.seconds);
    valid_nanos
        .filter(|_| in_range)
        .and_then(|nanos| DateTime::from_timestamp(raw.seconds, nanos))
        .map(Some)
        .ok_or_else(|| {
            FieldViolation::new(
                field,
                "not a valid timestamp within 0001-01-01T00:00:00Z..=9999-12-31T23:59:59.999999999Z",
            )
        })
}

/// A calendar date from the wire within the API's range (years 1..=9999); `None` when unset.
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
        .filter(|_| (EARLIEST_YEAR..=LATEST_YEAR).contains(&year))
        .and_then(|(month, day)| chrono::NaiveDate::from_ymd_opt(year, month, day));
    parsed
        .map(Some)
        .ok_or_else(|| FieldViolation::new(field, "not a calendar date within 0001-01-01..=9999-12-31"))
}

/// How tonic's prost codec begins the message of a request it could not decode (it answers INTERNAL).
const DECODE_ERROR_PREFIX: &str = "failed to decode Protobuf message: ";

/// Turns the INTERNAL status tonic answers for a request that does not decode (a `string` that is not
/// UTF-8, a truncated message) into INVALID_ARGUMENT naming the field: the fault is the caller's. A
/// response mapper in front of every service, so unary and streaming calls are both covered: a failed
/// call answers "trailers-only", its status in the headers, whether tonic failed it before the handler
/// or the handler passed on the error of a stream's message.
pub fn decode_errors_as_invalid_argument<B: Default>(response: http::Response<B>) -> http::Response<B> {
    let internal = response
        .headers()
        .get("grpc-status")
        .is_some_and(|code| code.as_bytes() == b"13");
    if !internal {
        return response;
    }
    match tonic::Status::from_header_map(response.headers()).and_then(|s| decode_violation(s.message())) {
        Some(violation) => tonic::Status::from(violation).into_http(),
        None => response,
    }
}

/// The violation a prost decode error describes. Its stack names the innermost field first
/// (`Account.display_name: CreateAccountRequest.account: invalid string value: …`), so the path is read
/// backwards: `account.display_name` (repeated fields without their index). An error without a stack
/// (a truncated message) names no field: the request as a whole.
fn decode_violation(message: &str) -> Option<FieldViolation> {
    let mut rest = message.strip_prefix(DECODE_ERROR_PREFIX)?;
    let mut path = Vec::new();
    while let Some((segment, after)) = rest.split_once(": ") {
        let Some((message_name, field)) = segment.split_once('.') else {
            break;
        };
        if message_name.is_empty() || field.is_empty() || segment.contains(' ') {
            break;
        }
        path.push(field.trim_start_matches("r#"));
        rest = after;
    }
    path.reverse();
    Some(FieldViolation::new(
        path.join("."),
        format!("cannot be decoded: {rest}"),
    ))
}

pub fn date_to_proto(date: chrono::NaiveDate) -> kam_proto::v1::Date {
    use chrono::Datelike;
    kam_proto::v1::Date {
        year: date.year(),
        month: date.month() as i32,
        day: date.day() as i32,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;

    fn wire_date(year: i32, month: i32, day: i32) -> Option<kam_proto::v1::Date> {
        Some(kam_proto::v1::Date { year, month, day })
    }

    #[test]
    fn the_range_is_years_1_to_9999() {
        let first = instant(
            "t",
            Some(Timestamp {
                seconds: EARLIEST_SECONDS,
                nanos: 0,
            }),
        )
        .unwrap();
        assert_eq!(first, Some("0001-01-01T00:00:00Z".parse().unwrap()));
        let last = instant(
            "t",
            Some(Timestamp {
                seconds: LATEST_SECONDS,
                nanos: 999_999_999,
            }),
        )
        .unwrap();
        assert_eq!(last, Some("9999-12-31T23:59:59.999999999Z".parse().unwrap()));
        assert_eq!(
            date("d", wire_date(1, 1, 1)),
            Ok(NaiveDate::from_ymd_opt(1, 1, 1))
        );
        assert_eq!(
            date("d", wire_date(9999, 12, 31)),
            Ok(NaiveDate::from_ymd_opt(9999, 12, 31))
        );
        for bad in [
            (0, 12, 31),
            (10_000, 1, 1),
            (262_142, 1, 1),
            (i32::MIN, 1, 1),
            (2026, 2, 29),
        ] {
            assert!(date("d", wire_date(bad.0, bad.1, bad.2)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decode_errors_name_the_field_outermost_first() {
        let violation = decode_violation(
            "failed to decode Protobuf message: Account.display_name: CreateAccountRequest.account: \
             invalid string value: data is not UTF-8 encoded",
        )
        .unwrap();
        assert_eq!(violation.field, "account.display_name");
        assert_eq!(
            violation.description,
            "cannot be decoded: invalid string value: data is not UTF-8 encoded"
        );
        let whole = decode_violation("failed to decode Protobuf message: buffer underflow").unwrap();
        assert_eq!(
            (whole.field.as_str(), whole.description.as_str()),
            ("", "cannot be decoded: buffer underflow")
        );
        assert_eq!(decode_violation("internal error"), None);
    }

    #[test]
    fn only_decode_errors_become_invalid_arguments() {
        let answer = |status: tonic::Status| {
            let mapped = decode_errors_as_invalid_argument::<()>(status.into_http());
            tonic::Status::from_header_map(mapped.headers()).unwrap().code()
        };
        let decode = tonic::Status::internal(
            "failed to decode Protobuf message: Account.display_name: CreateAccountRequest.account: invalid string value: data is not UTF-8 encoded",
        );
        assert_eq!(answer(decode), tonic::Code::InvalidArgument);
        assert_eq!(
            answer(tonic::Status::internal("internal error")),
            tonic::Code::Internal
        );
        assert_eq!(answer(tonic::Status::not_found("x")), tonic::Code::NotFound);
    }

    proptest! {
        #[test]
        fn an_instant_is_accepted_exactly_within_the_range(seconds in any::<i64>(), nanos in any::<i32>()) {
            let parsed = instant("t", Some(Timestamp { seconds, nanos }));
            let expected = (EARLIEST_SECONDS..=LATEST_SECONDS).contains(&seconds) && (0..1_000_000_000).contains(&nanos);
            prop_assert_eq!(parsed.is_ok(), expected);
            if let Ok(Some(time)) = parsed {
                // A day either side is still a date chrono holds: rules may step off the edge safely.
                prop_assert!(time.checked_add_signed(chrono::Duration::days(366)).is_some());
                prop_assert!(time.checked_sub_signed(chrono::Duration::days(366)).is_some());
            }
        }

        #[test]
        fn a_date_is_accepted_only_in_years_1_to_9999(year in any::<i32>(), month in any::<i32>(), day in any::<i32>()) {
            if let Ok(Some(parsed)) = date("d", wire_date(year, month, day)) {
                use chrono::Datelike;
                prop_assert!((EARLIEST_YEAR..=LATEST_YEAR).contains(&parsed.year()));
            }
        }
    }
}
