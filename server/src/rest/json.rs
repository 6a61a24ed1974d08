//! Canonical proto3 JSON for messages known only by their descriptor: the same text pbjson writes for
//! the generated types (lowerCamelCase names, default values left out, 64-bit integers as strings,
//! enums by name), so REST answers what `kamctl --json` prints.

use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::Value;

fn serialize_options() -> SerializeOptions {
    SerializeOptions::new()
        .skip_default_fields(true)
        .stringify_64_bit_integers(true)
        .use_enum_numbers(false)
        .use_proto_field_name(false)
}

/// The message as a JSON tree.
pub fn to_value(message: &DynamicMessage) -> Result<Value, serde_json::Error> {
    message.serialize_with_options(serde_json::value::Serializer, &serialize_options())
}

/// A message from a JSON tree; unknown fields are refused (a misspelt filter must not be ignored).
pub fn from_value(descriptor: MessageDescriptor, value: Value) -> Result<DynamicMessage, serde_json::Error> {
    DynamicMessage::deserialize_with_options(
        descriptor,
        value,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
}
