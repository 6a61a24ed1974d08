//! The event catalogue (`docs/events.md`) as data, and the event types the proto declares, so tests can
//! hold one against the other and against the events the server records.

use prost::Message;
use prost_types::{FileDescriptorSet, field_descriptor_proto::Type};

/// One row of the catalogue's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentedEvent {
    /// e.g. `AccountCreated`.
    pub event_type: String,
    /// e.g. `account`.
    pub resource_type: String,
    /// The payload's message, e.g. `Account`.
    pub payload: String,
}

/// The path of the catalogue in the repository.
pub fn catalogue_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/events.md")
}

/// The rows of the catalogue's table, in order.
pub fn documented_events() -> Vec<DocumentedEvent> {
    let text = std::fs::read_to_string(catalogue_path()).expect("docs/events.md is readable");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().strip_prefix('|')?.split('|').map(str::trim).collect();
            let code = |cell: &str| cell.strip_prefix('`')?.strip_suffix('`').map(str::to_owned);
            Some(DocumentedEvent {
                event_type: code(cells.first()?)?,
                resource_type: code(cells.get(1)?)?,
                payload: code(cells.get(2)?)?,
            })
        })
        .collect()
}

/// The event types `kam.v1.Event.payload` declares: (event type, payload message), in field order.
pub fn declared_events() -> Vec<(String, String)> {
    let set = FileDescriptorSet::decode(kam_proto::FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
    let event = set
        .file
        .iter()
        .filter(|file| file.package() == "kam.v1")
        .flat_map(|file| &file.message_type)
        .find(|message| message.name() == "Event")
        .expect("kam.v1.Event is declared");
    let payload = event
        .oneof_decl
        .iter()
        .position(|oneof| oneof.name() == "payload")
        .expect("Event has the oneof payload") as i32;
    event
        .field
        .iter()
        .filter(|field| field.oneof_index == Some(payload) && field.r#type() == Type::Message)
        .map(|field| {
            let message = field
                .type_name()
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_owned();
            (pascal_case(field.name()), message)
        })
        .collect()
}

/// `account_created` → `AccountCreated`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}
