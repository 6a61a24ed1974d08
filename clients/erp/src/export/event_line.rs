//! An event as one line of the export file: JSON with the event's cursor, what changed, when, and
//! its typed payload (the message its type declares, in canonical proto3 JSON) as a JSON object, not a
//! string holding JSON.

use chrono::{DateTime, SecondsFormat};
use kam_proto::v1::Event;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
struct EventLine<'a> {
    /// Where a stream resumes to continue after this event.
    cursor: &'a str,
    event_type: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    /// `null` for an event that concerns no one account (staff, policies, revenue batches).
    account_id: Option<&'a str>,
    /// RFC 3339, UTC, e.g. `2026-03-14T09:26:53.589Z`.
    occur_time: Option<String>,
    /// The field paths the change wrote.
    changed_fields: &'a [String],
    payload: Value,
}

/// Appends `event` to `out` as one JSON line.
pub fn write_line(out: &mut Vec<u8>, event: &Event) {
    let occur_time = event
        .occur_time
        .as_ref()
        .and_then(|time| DateTime::from_timestamp(time.seconds, u32::try_from(time.nanos).ok()?))
        .map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    // The server always sends a JSON object; should it ever not, the text is kept rather than lost.
    let payload = serde_json::from_str(&event.payload_json)
        .unwrap_or_else(|_| Value::String(event.payload_json.clone()));
    let line = EventLine {
        cursor: &event.cursor,
        event_type: &event.event_type,
        resource_type: &event.resource_type,
        resource_id: &event.resource_id,
        account_id: Some(event.account_id.as_str()).filter(|id| !id.is_empty()),
        occur_time,
        changed_fields: &event.changed_fields,
        payload,
    };
    serde_json::to_writer(&mut *out, &line).expect("an event line serializes");
    out.push(b'\n');
}

/// The cursor of an exported line, `None` when the line is not one.
pub fn cursor_of(line: &str) -> Option<String> {
    let value: Value = serde_json::from_str(line).ok()?;
    value.get("cursor")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use kam_proto::pbjson_types::Timestamp;

    use super::*;

    fn event(account_id: &str, payload_json: &str) -> Event {
        Event {
            event_type: "AccountCreated".into(),
            resource_type: "account".into(),
            resource_id: "0190-a".into(),
            account_id: account_id.into(),
            occur_time: Some(Timestamp {
                seconds: 1_773_480_413,
                nanos: 589_000_000,
            }),
            payload_json: payload_json.into(),
            cursor: "e1-0-42".into(),
            changed_fields: vec!["display_name".into()],
            payload: None,
        }
    }

    #[test]
    fn an_event_is_one_json_line_with_its_payload_as_an_object() {
        let mut out = Vec::new();
        write_line(
            &mut out,
            &event("0190-a", r#"{"displayName":"Acme","tier":"KEY"}"#),
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"cursor\":\"e1-0-42\",\"event_type\":\"AccountCreated\",\"resource_type\":\"account\",\
             \"resource_id\":\"0190-a\",\"account_id\":\"0190-a\",\"occur_time\":\"2026-03-14T09:26:53.589Z\",\
             \"changed_fields\":[\"display_name\"],\"payload\":{\"displayName\":\"Acme\",\"tier\":\"KEY\"}}\n"
        );
        assert_eq!(cursor_of(text.trim_end()).as_deref(), Some("e1-0-42"));
    }

    #[test]
    fn no_account_is_null_and_a_payload_that_is_not_json_is_kept_as_text() {
        let mut out = Vec::new();
        write_line(&mut out, &event("", "not json"));
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["account_id"], Value::Null);
        assert_eq!(value["payload"], "not json");
    }

    #[test]
    fn lines_without_a_cursor_are_not_event_lines() {
        assert_eq!(cursor_of("{\"event_type\":\"x\"}"), None);
        assert_eq!(cursor_of("{\"cursor\":"), None);
        assert_eq!(cursor_of("[]"), None);
    }
}
