//! The public event contract. An event type is a field of kam.v1 `Event.payload`: the generated
//! [`Payload`] enum is the one list of event names, and an event's stored payload is the canonical
//! proto3 JSON of that field's message, as `Get…` would answer for the resource. Nothing here knows one
//! event from another: names and JSON come from the generated (pbjson) mapping, so a new event type
//! needs a proto field and nothing else.

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
pub use pb::event::Payload;
use serde_json::Value;
use uuid::Uuid;

use crate::platform::wire::timestamp;

/// The `payload_version` of events written in the public format.
pub const PUBLIC_PAYLOAD: i16 = 1;

/// An event ready to be stored: its type's name and its payload's canonical JSON.
#[derive(Debug, PartialEq)]
pub struct Encoded {
    /// e.g. `AccountCreated`.
    pub event_type: String,
    pub payload_json: String,
}

/// What the deletion of resource `id` (of account `account_id`, if any) at `at` carries.
pub fn tombstone(id: Uuid, account_id: Option<Uuid>, at: DateTime<Utc>) -> pb::Tombstone {
    pb::Tombstone {
        id: id.to_string(),
        account_id: account_id.map(|id| id.to_string()).unwrap_or_default(),
        delete_time: Some(timestamp(at)),
    }
}

/// The name and canonical JSON of `payload`.
pub fn encode(payload: &Payload) -> Encoded {
    let (field, value) = payload_field(payload);
    Encoded {
        event_type: pascal_case(&field),
        payload_json: value.to_string(),
    }
}

/// Reads a payload's JSON back as the event type's message.
pub fn decode(event_type: &str, payload: Value) -> Option<Payload> {
    let field = lower_camel_case(event_type);
    let event: pb::Event =
        serde_json::from_value(Value::Object([(field, payload)].into_iter().collect())).ok()?;
    event.payload
}

/// The JSON name of the `Event` field `payload` sets, and that field's value: pbjson writes an
/// `Event` whose other fields hold their defaults as exactly that one field.
fn payload_field(payload: &Payload) -> (String, Value) {
    let event = pb::Event {
        payload: Some(payload.clone()),
        ..Default::default()
    };
    let Ok(Value::Object(fields)) = serde_json::to_value(&event) else {
        unreachable!("a message always serializes to a JSON object");
    };
    let mut fields = fields.into_iter();
    match (fields.next(), fields.next()) {
        (Some(field), None) => field,
        _ => unreachable!("an Event with only its payload set has exactly one JSON field"),
    }
}

/// `accountCreated` → `AccountCreated`.
fn pascal_case(json_name: &str) -> String {
    let mut chars = json_name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `AccountCreated` → `accountCreated`.
fn lower_camel_case(event_type: &str) -> String {
    let mut chars = event_type.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_named_after_its_payload_field_and_written_as_proto_json() {
        let contact = pb::Contact {
            id: "c-1".into(),
            account_id: "a-1".into(),
            full_name: "Li Wei".into(),
            ..Default::default()
        };
        let encoded = encode(&Payload::ContactCreated(contact.clone()));
        assert_eq!(encoded.event_type, "ContactCreated");
        assert_eq!(
            serde_json::from_str::<Value>(&encoded.payload_json).unwrap(),
            serde_json::json!({"id": "c-1", "accountId": "a-1", "fullName": "Li Wei"})
        );
        let decoded = decode(
            "ContactCreated",
            serde_json::from_str(&encoded.payload_json).unwrap(),
        );
        assert_eq!(decoded, Some(Payload::ContactCreated(contact)));
    }

    #[test]
    fn names_with_several_words_round_trip() {
        let payload = Payload::ServiceRequestFirstResponseRecorded(pb::ServiceRequest::default());
        let encoded = encode(&payload);
        assert_eq!(encoded.event_type, "ServiceRequestFirstResponseRecorded");
        assert_eq!(encoded.payload_json, "{}");
        assert_eq!(decode(&encoded.event_type, serde_json::json!({})), Some(payload));
    }

    #[test]
    fn unknown_types_and_foreign_payloads_do_not_decode() {
        assert_eq!(decode("AccountTeleported", serde_json::json!({})), None);
        assert_eq!(decode("", serde_json::json!({})), None);
        assert_eq!(decode("EventType", serde_json::json!("x")), None);
        assert_eq!(
            decode(
                "AccountCreated",
                serde_json::json!({"lifecycle": "NO_SUCH_LIFECYCLE"})
            ),
            None
        );
    }
}
