//! An HTTP request as the RPC's request message: the body (the whole message or one field), then the
//! query parameters, then the path's fields, then the headers that stand for fields
//! (`Idempotency-Key` → `request_id`, `If-Match` → `etag`, `Last-Event-ID` → `cursor`). Everything is
//! first gathered as one proto3 JSON tree, so each value is parsed by the same rules as a JSON body.

use http::HeaderMap;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use super::routes::{BodyBinding, FieldPath, Route, percent_decode};
use crate::platform::error::{Error, FieldViolation};

/// The request fields an HTTP request gives, before the body's.
pub struct Parts<'r> {
    pub route: &'r Route,
    pub path_values: &'r [(&'r FieldPath, String)],
    pub query: Option<&'r str>,
    pub headers: &'r HeaderMap,
}

impl Parts<'_> {
    /// The request message for `body` (already parsed JSON; `None` when the route takes none).
    pub fn message(&self, body: Option<Value>) -> Result<DynamicMessage, Error> {
        let request = self.route.rpc.input();
        let mut tree = match (&self.route.body, body) {
            (BodyBinding::None, _) | (_, None) => Map::new(),
            (BodyBinding::Whole, Some(Value::Object(fields))) => fields,
            (BodyBinding::Whole, Some(_)) => return Err(violation("body", "must be a JSON object")),
            (BodyBinding::Field(field), Some(value)) => Map::from_iter([(field.name().to_owned(), value)]),
        };
        self.fill(&request, &mut tree)?;
        super::json::from_value(request, Value::Object(tree))
            .map_err(|e| violation(body_name(self.route), &e.to_string()))
    }

    /// The JSON tree of one element of a streamed body: the route's repeated body field holds it, the
    /// rest comes from the query, path and headers like a unary call's.
    pub fn base_tree(&self) -> Result<Map<String, Value>, Error> {
        let mut tree = Map::new();
        self.fill(&self.route.rpc.input(), &mut tree)?;
        Ok(tree)
    }

    fn fill(&self, request: &MessageDescriptor, tree: &mut Map<String, Value>) -> Result<(), Error> {
        for (name, value) in query_pairs(self.query.unwrap_or_default()) {
            let field = FieldPath::resolve(request, &name)
                .ok_or_else(|| violation(&name, "is not a field of the request"))?;
            if !self.queryable(&field) {
                return Err(violation(&name, "is set by the path or the body, not the query"));
            }
            insert(tree, &field, &name, &value, true)?;
        }
        for (field, value) in self.path_values {
            insert(tree, field, &field.dotted(), value, false)?;
        }
        self.fill_from_headers(tree);
        Ok(())
    }

    /// A query parameter may name any field the path and the body leave.
    fn queryable(&self, field: &FieldPath) -> bool {
        let top = &field.0[0];
        let in_path = self.route.template.fields().any(|bound| bound.0[0] == *top);
        let in_body = match &self.route.body {
            BodyBinding::None => false,
            BodyBinding::Whole => true,
            BodyBinding::Field(body) => body == top,
        };
        !in_path && !in_body
    }

    fn fill_from_headers(&self, tree: &mut Map<String, Value>) {
        for (name, target) in header_fields(self.route) {
            let value = match name {
                "if-match" => header(self.headers, name).and_then(unquote_etag),
                _ => header(self.headers, name),
            };
            if let Some(value) = value {
                set_if_absent(tree, &target, value);
            }
        }
    }
}

/// The headers that stand for request fields on `route`, with the field each sets:
/// - `Idempotency-Key` → `request_id`;
/// - `If-Match` → `etag`, or the body resource's `etag`, on a route that names an existing resource
///   in its path (a create has nothing to match);
/// - `Last-Event-ID` → `cursor` on a server stream, so an EventSource resumes where it stopped.
pub fn header_fields(route: &Route) -> Vec<(&'static str, FieldPath)> {
    let request = route.rpc.input();
    let string_field = |dotted: &str| {
        FieldPath::resolve(&request, dotted)
            .filter(|f| f.leaf().kind() == Kind::String && !f.leaf().is_list())
    };
    let mut fields = Vec::new();
    if let Some(field) = string_field("request_id") {
        fields.push(("idempotency-key", field));
    }
    let names_a_resource = route.template.fields().next().is_some();
    let etag = string_field("etag").or_else(|| match &route.body {
        BodyBinding::Field(body) => string_field(&format!("{}.etag", body.name())),
        _ => None,
    });
    if let Some(field) = etag.filter(|_| names_a_resource) {
        fields.push(("if-match", field));
    }
    if route.rpc.is_server_streaming()
        && let Some(field) = string_field("cursor")
    {
        fields.push(("last-event-id", field));
    }
    fields
}

fn body_name(route: &Route) -> &str {
    match &route.body {
        BodyBinding::Field(field) => field.name(),
        _ => "body",
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `"r5"` and `W/"r5"` → `r5`; `*` (any revision) → none.
fn unquote_etag(raw: &str) -> Option<&str> {
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    let raw = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    (raw != "*" && !raw.is_empty()).then_some(raw)
}

/// Writes a string field unless the request already sets it (the body and query win over headers).
fn set_if_absent(tree: &mut Map<String, Value>, field: &FieldPath, value: &str) {
    let mut node = tree;
    for step in &field.0[..field.0.len() - 1] {
        let entry = node
            .entry(step.name().to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = entry else { return };
        node = inner;
    }
    let leaf = field.leaf();
    if !node.contains_key(leaf.name()) && !node.contains_key(leaf.json_name()) {
        node.insert(leaf.name().to_owned(), Value::String(value.to_owned()));
    }
}

/// Writes `raw` (text from the query or path) at `field`, as the JSON value its type takes.
fn insert(
    tree: &mut Map<String, Value>,
    field: &FieldPath,
    name: &str,
    raw: &str,
    repeatable: bool,
) -> Result<(), Error> {
    let mut node = tree;
    for step in &field.0[..field.0.len() - 1] {
        let entry = node
            .entry(step.name().to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = entry else {
            return Err(violation(name, "conflicts with another parameter"));
        };
        node = inner;
    }
    let leaf = field.leaf();
    let value = scalar_json(leaf, raw).map_err(|why| violation(name, &why))?;
    if leaf.is_list() && repeatable {
        let entry = node
            .entry(leaf.name().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(items) = entry else {
            return Err(violation(name, "conflicts with another parameter"));
        };
        items.push(value);
    } else if leaf.is_list() || leaf.is_map() {
        return Err(violation(name, "cannot be given here"));
    } else {
        if node.contains_key(leaf.name()) && repeatable {
            return Err(violation(name, "is given twice"));
        }
        // The path wins over the body, whichever spelling of the field the body used.
        node.remove(leaf.json_name());
        node.insert(leaf.name().to_owned(), value);
    }
    Ok(())
}

/// The JSON a text value stands for, by the field's type: numbers and booleans become JSON numbers and
/// booleans (64-bit integers stay strings, as proto3 JSON writes them); enums stay names; of messages,
/// only those written as one JSON string or scalar (Timestamp, Duration, FieldMask, wrappers). Each is
/// checked here, so a bad value is refused naming its parameter.
fn scalar_json(field: &FieldDescriptor, raw: &str) -> Result<Value, String> {
    let integer = |parsed: Option<Value>, what: &str| parsed.ok_or_else(|| format!("must be {what}"));
    Ok(match field.kind() {
        Kind::Bool => Value::Bool(parse_bool(raw)?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            integer(raw.parse::<i32>().ok().map(Value::from), "a 32-bit integer")?
        }
        Kind::Uint32 | Kind::Fixed32 => integer(
            raw.parse::<u32>().ok().map(Value::from),
            "an unsigned 32-bit integer",
        )?,
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => integer(
            raw.parse::<i64>().ok().map(|_| Value::from(raw)),
            "a 64-bit integer",
        )?,
        Kind::Uint64 | Kind::Fixed64 => integer(
            raw.parse::<u64>().ok().map(|_| Value::from(raw)),
            "an unsigned 64-bit integer",
        )?,
        Kind::Float | Kind::Double => match raw.parse::<f64>() {
            Ok(number) if number.is_finite() => Value::from(number),
            _ => return Err("must be a number".to_owned()),
        },
        Kind::Enum(enumeration) => match raw.parse::<i32>() {
            Ok(number) => Value::from(number),
            Err(_) if enumeration.get_value_by_name(raw).is_some() => Value::String(raw.to_owned()),
            Err(_) => return Err(format!("is not a value of {}", enumeration.name())),
        },
        Kind::Message(message) => well_known_json(&message, raw)?,
        // Strings and bytes (base64) are strings in proto3 JSON.
        Kind::String | Kind::Bytes => Value::String(raw.to_owned()),
    })
}

/// A well-known message given as text: its proto3 JSON, checked by parsing it.
fn well_known_json(message: &MessageDescriptor, raw: &str) -> Result<Value, String> {
    let value = match message.full_name() {
        "google.protobuf.BoolValue" => Value::Bool(parse_bool(raw)?),
        "google.protobuf.FieldMask" => Value::String(lower_camel_paths(raw)),
        "google.protobuf.Timestamp"
        | "google.protobuf.Duration"
        | "google.protobuf.StringValue"
        | "google.protobuf.BytesValue"
        | "google.protobuf.Int64Value"
        | "google.protobuf.UInt64Value" => Value::String(raw.to_owned()),
        "google.protobuf.Int32Value"
        | "google.protobuf.UInt32Value"
        | "google.protobuf.DoubleValue"
        | "google.protobuf.FloatValue" => match serde_json::from_str::<serde_json::Number>(raw) {
            Ok(number) => Value::Number(number),
            Err(_) => return Err("must be a number".to_owned()),
        },
        _ => return Err("is a message: send it in a JSON body".to_owned()),
    };
    match super::json::from_value(message.clone(), value.clone()) {
        Ok(_) => Ok(value),
        Err(e) => Err(format!("is not a valid {}: {e}", message.name())),
    }
}

/// `display_name,owner.staff_id` → `displayName,owner.staffId`: proto3 JSON writes a FieldMask's paths
/// in lowerCamelCase, and people write them as the proto names too.
fn lower_camel_paths(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut upper_next = false;
    for c in raw.chars() {
        match c {
            '_' => upper_next = true,
            c if upper_next => {
                out.extend(c.to_uppercase());
                upper_next = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    }
}

/// `a=1&b=x+y&c` → (a, 1), (b, x y), (c, ""): form decoding.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (
            percent_decode(&name.replace('+', " ")),
            percent_decode(&value.replace('+', " ")),
        )
    })
}

pub fn violation(field: &str, description: &str) -> Error {
    Error::from(FieldViolation::new(field, description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_form_decoded() {
        let pairs: Vec<_> = query_pairs("query=a+b%26c&tier=STRATEGIC&&flag").collect();
        assert_eq!(
            pairs,
            vec![
                ("query".to_owned(), "a b&c".to_owned()),
                ("tier".to_owned(), "STRATEGIC".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn field_mask_paths_become_lower_camel_case() {
        assert_eq!(
            lower_camel_paths("display_name,owner.staff_id"),
            "displayName,owner.staffId"
        );
        assert_eq!(lower_camel_paths("displayName"), "displayName");
    }

    #[test]
    fn etags_lose_their_quotes_and_weakness() {
        assert_eq!(unquote_etag("\"r5\""), Some("r5"));
        assert_eq!(unquote_etag("W/\"r5\""), Some("r5"));
        assert_eq!(unquote_etag("r5"), Some("r5"));
        assert_eq!(unquote_etag("*"), None);
    }
}
