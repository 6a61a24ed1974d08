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
///
/// pbjson writes an `Event` whose other fields hold their defaults as exactly one field,
/// `{"<payload field>":<payload>}`: the name and the payload are cut out of that text. Going through a
/// `serde_json::Value` instead built a tree of maps only to print it again; encoding was 8 % of the
/// CPU samples of an import of 100,000 accounts (one event each), most of it that tree.
pub fn encode(payload: &Payload) -> Encoded {
    let event = pb::Event {
        payload: Some(payload.clone()),
        ..Default::default()
    };
    let json = serde_json::to_string(&event).expect("a message always serializes");
    let (field, payload_json) = split_single_field(&json)
        .expect("an Event with only its payload set is a JSON object of exactly that one field");
    debug_assert!(
        serde_json::from_str::<Value>(payload_json).is_ok(),
        "one field, not several: {json}"
    );
    Encoded {
        event_type: pascal_case(field),
        payload_json: payload_json.to_owned(),
    }
}

/// Reads a payload's JSON back as the event type's message.
pub fn decode(event_type: &str, payload: Value) -> Option<Payload> {
    let field = lower_camel_case(event_type);
    let event: pb::Event =
        serde_json::from_value(Value::Object([(field, payload)].into_iter().collect())).ok()?;
    event.payload
}

/// `{"name":value}` → (`name`, `value`), for a field name without escapes (a proto field's JSON
/// name).
fn split_single_field(json: &str) -> Option<(&str, &str)> {
    let inner = json.strip_prefix("{\"")?.strip_suffix('}')?;
    let (name, value) = inner.split_once("\":")?;
    (!name.contains(['"', '\\'])).then_some((name, value))
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
    fn the_payload_is_cut_out_of_its_event() {
        assert_eq!(
            split_single_field(r#"{"a":{"b":"}"}}"#),
            Some(("a", r#"{"b":"}"}"#))
        );
        assert_eq!(split_single_field("{}"), None);
        let account = pb::Account {
            display_name: "Acme \"Ltd\"".into(),
            region: "East".into(),
            ..Default::default()
        };
        let encoded = encode(&Payload::AccountUpdated(account.clone()));
        assert_eq!(encoded.event_type, "AccountUpdated");
        assert_eq!(
            encoded.payload_json, r#"{"displayName":"Acme \"Ltd\"","region":"East"}"#,
            "in the message's field order"
        );
        let decoded = decode(
            "AccountUpdated",
            serde_json::from_str(&encoded.payload_json).unwrap(),
        );
        assert_eq!(decoded, Some(Payload::AccountUpdated(account)));
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
