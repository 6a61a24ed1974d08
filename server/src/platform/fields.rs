//! Validators for the fields every area's requests carry: text, ids, emails. Each returns the parsed
//! value or a violation naming the field.

use uuid::Uuid;

use crate::platform::error::FieldViolation;

/// A string field: trimmed of surrounding whitespace, at most `max` characters, and not empty if
/// `required`.
pub fn text(field: &str, raw: &str, max: usize, required: bool) -> Result<String, FieldViolation> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err(FieldViolation::new(field, "must not be empty"));
    }
    let length = value.chars().count();
    if length > max {
        return Err(FieldViolation::new(
            field,
            format!("must be at most {max} characters (got {length})"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldViolation::new(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// An ERP key: empty means none.
pub fn external_id(field: &str, raw: &str) -> Result<Option<String>, FieldViolation> {
    optional_text(field, raw, 128)
}

/// A text a list is filtered by (a search, a key, a type name): empty means none, otherwise as
/// [`text`]. Bound before it reaches SQL: PostgreSQL refuses a NUL in any text, which would be an
/// internal error instead of the caller's.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldViolation> {
    let value = text(field, raw, max, false)?;
    Ok((!value.is_empty()).then_some(value))
}

/// Every item of a list of [`optional_text`]s, each named by its index (`event_types[3]`); empty items
/// are refused.
pub fn texts(field: &str, raw: &[String], max: usize) -> Result<Vec<String>, FieldViolation> {
    raw.iter()
        .enumerate()
        .map(|(i, item)| text(&format!("{field}[{i}]"), item, max, true))
        .collect()
}

/// An optional reference to another resource: empty means none.
pub fn optional_id(field: &str, raw: &str) -> Result<Option<Uuid>, FieldViolation> {
    if raw.is_empty() {
        Ok(None)
    } else {
        required_id(field, raw).map(Some)
    }
}

pub fn required_id(field: &str, raw: &str) -> Result<Uuid, FieldViolation> {
    if raw.is_empty() {
        return Err(FieldViolation::new(field, "required"));
    }
    Uuid::parse_str(raw).map_err(|_| FieldViolation::new(field, "must be a UUID"))
}

pub fn email(field: &str, raw: &str) -> Result<String, FieldViolation> {
    let value = text(field, raw, 254, false)?;
    let well_formed = value.is_empty()
        || value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !value.contains(' '));
    if well_formed {
        Ok(value)
    } else {
        Err(FieldViolation::new(field, "not an email address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_checks_length_and_requiredness() {
        assert_eq!(text("f", "  Acme  ", 10, true), Ok("Acme".into()));
        assert!(text("f", "   ", 10, true).is_err());
        assert_eq!(text("f", "", 10, false), Ok(String::new()));
        assert!(text("f", &"x".repeat(11), 10, false).is_err());
        // Characters, not bytes: 10 Chinese characters fit in 10.
        assert!(text("f", &"华".repeat(10), 10, true).is_ok());
        assert!(text("f", "a\u{0}b", 10, true).is_err());
    }

    #[test]
    fn filters_are_texts_and_empty_means_none() {
        assert_eq!(optional_text("f", "  ", 10), Ok(None));
        assert_eq!(optional_text("f", " pump ", 10), Ok(Some("pump".into())));
        assert!(optional_text("f", "a\0b", 10).is_err());
        assert_eq!(
            texts("t", &["a".into(), "b".into()], 5),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            texts("t", &["a".into(), "\0".into()], 5).unwrap_err().field,
            "t[1]"
        );
    }

    #[test]
    fn ids_must_be_uuids() {
        assert_eq!(optional_id("f", ""), Ok(None));
        assert!(optional_id("f", "nope").is_err());
        assert_eq!(required_id("f", "").unwrap_err().description, "required");
        let id = Uuid::now_v7();
        assert_eq!(required_id("f", &id.to_string()), Ok(id));
    }

    #[test]
    fn emails_are_roughly_checked() {
        assert!(email("f", "").is_ok());
        assert!(email("f", "li.wei@example.cn").is_ok());
        assert!(email("f", "li.wei").is_err());
        assert!(email("f", "@example.cn").is_err());
    }
}
