//! The OpenAPI 3.1 document of the HTTP/JSON API, generated from the descriptor set and the routes:
//! every route is an operation, every message and enum it reaches a schema (the proto3 JSON mapping),
//! every comment of the protos a description. Generated rather than written, so it cannot drift from
//! what the server answers; `docs/openapi.json` is a committed copy a test keeps equal to it.
//!
//! The output is byte-for-byte deterministic: objects are serde_json maps, sorted by key (the
//! `preserve_order` feature is off; paths and schemas are gathered in sorted maps regardless), and arrays
//! follow the protos' declaration order, never the order the build happened to read the files in.

use std::collections::{BTreeMap, HashMap};

use prost_reflect::{
    DescriptorPool, EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FileDescriptor, Kind,
    MessageDescriptor, MethodDescriptor, ServiceDescriptor,
};
use serde_json::{Map, Value, json};
use tonic::Code;

use super::{
    errors,
    routes::{BodyBinding, FieldPath, Route, RouteTable},
};

const SCHEMAS: &str = "#/components/schemas/";
const RESPONSES: &str = "#/components/responses/";
const HEADERS: &str = "#/components/headers/";

/// The name of the error body's schema (message schemas are named by full name, so never collide).
const ERROR_SCHEMA: &str = "Error";

/// A 64-bit integer as proto3 JSON writes it: a decimal string.
const SIGNED_PATTERN: &str = "^-?[0-9]+$";
const UNSIGNED_PATTERN: &str = "^[0-9]+$";
/// A `google.protobuf.Duration` in proto3 JSON: seconds with up to nine decimals, `s` appended.
const DURATION_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?s$";

/// The message types a query parameter can set: those proto3 JSON writes as one string or scalar
/// (the same list `request::scalar_json` parses).
const QUERYABLE_WELL_KNOWN: [&str; 12] = [
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.BoolValue",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.FloatValue",
    "google.protobuf.DoubleValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
];

/// The typed details the server attaches to its errors (`crate::platform::error`, `errors::refusal`).
const ERROR_DETAILS: [&str; 4] = [
    "google.rpc.ErrorInfo",
    "google.rpc.BadRequest",
    "google.rpc.PreconditionFailure",
    "google.rpc.RetryInfo",
];

/// The error answers every operation may give: HTTP status and the shared response's name.
const ERROR_RESPONSES: [(u16, &str); 8] = [
    (400, "BadRequest"),
    (401, "Unauthenticated"),
    (403, "PermissionDenied"),
    (404, "NotFound"),
    (409, "Conflict"),
    (429, "TooManyRequests"),
    (503, "Unavailable"),
    (504, "DeadlineExceeded"),
];

const INFO_DESCRIPTION: &str = "\
The HTTP/JSON API of KAM, the key account management server.

It mirrors the gRPC API (package `kam.v1`) one to one: every RPC is an operation here, its `operationId` \
the RPC's name (with `_2`, `_3` for further paths of the same RPC), its request and response the same \
messages. Bodies are canonical proto3 JSON: lowerCamelCase field names, 64-bit integers as strings, enums \
by name, timestamps in RFC 3339, fields at their default value left out. A request field the path and the \
body do not set is a query parameter.

Every call needs `Authorization: Bearer <API key or token>`: an API key, or a JWT from the company's SSO.

Errors follow AIP-193: the HTTP status that corresponds to the gRPC code, and the body \
`{\"error\": {\"code\", \"message\", \"status\", \"details\"}}` carrying the same typed details \
(`google.rpc.ErrorInfo` and others) as the gRPC status.

Imports (client streams) take NDJSON, one record a line; server streams answer as Server-Sent Events.";

/// The document for `routes`.
pub fn document(routes: &RouteTable) -> Value {
    // The routes' own pool: its comments and the error details must be those of the same build.
    let pool = match routes.routes().first() {
        Some(route) => route.rpc.parent_pool(),
        None => super::pool(),
    };
    let comments = Comments::new(pool);
    let mut schemas = Schemas::new(&comments);
    let paths = paths(routes, &comments, &mut schemas);
    let error = error_schema(pool, &mut schemas);
    let mut definitions = schemas.finish();
    definitions.insert(ERROR_SCHEMA.to_owned(), error);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "KAM API",
            "version": "v1",
            "description": INFO_DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": tags(routes, &comments),
        "paths": paths,
        "components": {
            "schemas": Map::from_iter(definitions),
            "responses": error_responses(),
            "headers": shared_headers(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "API key or JWT",
                    "description": "An API key (`kam_…`, for machines and scripts; see CreateApiKey) or a JWT \
                        from the company's SSO (for people).",
                },
            },
        },
    })
}

/// The document as the committed `docs/openapi.json` holds it: pretty-printed, ending in a newline.
pub fn to_text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a JSON tree serializes");
    text.push('\n');
    text
}

/// The comments of the protos by definition: protobuf keeps them beside the descriptors (each file's
/// source code info), addressed by the definition's path in its file.
struct Comments(HashMap<usize, HashMap<Vec<i32>, String>>);

impl Comments {
    fn new(pool: &DescriptorPool) -> Comments {
        let mut by_file = HashMap::new();
        for file in pool.files() {
            let Some(info) = &file.file_descriptor_proto().source_code_info else {
                continue;
            };
            let comments: &mut HashMap<Vec<i32>, String> = by_file.entry(file.index()).or_default();
            for location in &info.location {
                let raw = location
                    .leading_comments
                    .as_deref()
                    .or(location.trailing_comments.as_deref());
                if let Some(text) = raw.map(clean_comment).filter(|text| !text.is_empty()) {
                    comments.entry(location.path.clone()).or_insert(text);
                }
            }
        }
        Comments(by_file)
    }

    /// The comment written above (or after) `definition`.
    fn of(&self, definition: &impl Commented) -> Option<&str> {
        let (file, path) = definition.location();
        self.0.get(&file.index())?.get(path).map(String::as_str)
    }
}

/// A definition the source code info can hold a comment for.
trait Commented {
    fn location(&self) -> (FileDescriptor, &[i32]);
}

macro_rules! commented {
    ($($descriptor:ty),*) => {$(
        impl Commented for $descriptor {
            fn location(&self) -> (FileDescriptor, &[i32]) {
                (self.parent_file(), self.path())
            }
        }
    )*};
}

commented!(
    ServiceDescriptor,
    MethodDescriptor,
    MessageDescriptor,
    FieldDescriptor,
    EnumDescriptor,
    EnumValueDescriptor
);

/// `// Text` comments arrive as ` Text\n` lines: the space after the slashes goes, the lines stay.
fn clean_comment(raw: &str) -> String {
    raw.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The first sentence of a comment's first paragraph, on one line: an operation's summary.
fn summary(comment: &str) -> String {
    let paragraph = comment.split("\n\n").next().unwrap_or_default();
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut searched = 0;
    while let Some(found) = text[searched..].find(". ") {
        let end = searched + found + 1;
        let last_word = text[..end].rsplit(' ').next().unwrap_or_default();
        if !matches!(last_word, "e.g." | "i.e." | "vs.") {
            return text[..end].to_owned();
        }
        searched = end;
    }
    text
}

/// Sets `schema`'s description when there is one.
fn describe(schema: &mut Value, description: Option<&str>) {
    if let (Value::Object(object), Some(text)) = (schema, description.filter(|text| !text.is_empty())) {
        object.insert("description".to_owned(), Value::from(text));
    }
}

/// One tag per service, described by the service's comment: by file name, then as each file declares
/// them. (Not the pool's order: that follows the order the build found the files in, which differs
/// between file systems.)
fn tags(routes: &RouteTable, comments: &Comments) -> Vec<Value> {
    let mut services: Vec<ServiceDescriptor> = Vec::new();
    for route in routes.routes() {
        let service = route.rpc.parent_service();
        if !services.contains(service) {
            services.push(service.clone());
        }
    }
    services.sort_by_key(|service| (service.parent_file().name().to_owned(), service.index()));
    services
        .iter()
        .map(|service| {
            let mut tag = json!({"name": service.name()});
            describe(&mut tag, comments.of(service));
            tag
        })
        .collect()
}

/// Every route as an operation under its path; an RPC's further bindings get `_2`, `_3` appended to
/// its name, in the order its annotation lists them.
fn paths(routes: &RouteTable, comments: &Comments, schemas: &mut Schemas) -> Map<String, Value> {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for route in routes.routes() {
        let name = route.rpc.name();
        let count = seen.entry(route.rpc.full_name()).or_default();
        *count += 1;
        let operation_id = match *count {
            1 => name.to_owned(),
            n => format!("{name}_{n}"),
        };
        paths.entry(route.template.openapi_path()).or_default().insert(
            route.method.as_str().to_ascii_lowercase(),
            operation(route, operation_id, comments, schemas),
        );
    }
    paths
        .into_iter()
        .map(|(path, item)| (path, Value::Object(item)))
        .collect()
}

fn operation(route: &Route, operation_id: String, comments: &Comments, schemas: &mut Schemas) -> Value {
    let comment = comments.of(&route.rpc);
    let mut operation = Map::new();
    operation.insert("operationId".to_owned(), Value::from(operation_id));
    operation.insert(
        "summary".to_owned(),
        Value::from(comment.map_or_else(|| route.rpc.name().to_owned(), summary)),
    );
    if let Some(comment) = comment {
        operation.insert("description".to_owned(), Value::from(comment));
    }
    operation.insert("tags".to_owned(), json!([route.rpc.parent_service().name()]));
    let parameters = parameters(route, comments, schemas);
    if !parameters.is_empty() {
        operation.insert("parameters".to_owned(), Value::Array(parameters));
    }
    if let Some(body) = request_body(route, comments, schemas) {
        operation.insert("requestBody".to_owned(), body);
    }
    operation.insert("responses".to_owned(), responses(route, comments, schemas));
    Value::Object(operation)
}

/// The path's fields, then the query parameters, then the headers that stand for fields.
fn parameters(route: &Route, comments: &Comments, schemas: &mut Schemas) -> Vec<Value> {
    let mut parameters: Vec<Value> = route
        .template
        .fields()
        .map(|field| path_parameter(field, comments, schemas))
        .collect();
    parameters.extend(query_parameters(route, comments, schemas));
    parameters.extend(header_parameters(route));
    parameters
}

fn path_parameter(field: &FieldPath, comments: &Comments, schemas: &mut Schemas) -> Value {
    let leaf = field.leaf();
    let mut parameter = json!({
        "name": field.parameter_name(),
        "in": "path",
        "required": true,
        "schema": schemas.single(&leaf.kind()),
    });
    // A nested field's own comment describes the resource's field ("Output only. UUIDv7."), not what
    // the path selects.
    let description = match field.0.as_slice() {
        [_] => comments.of(leaf).map(str::to_owned),
        [.., parent, _] => Some(format!(
            "The `{}` of the `{}`.",
            leaf.json_name(),
            parent.json_name()
        )),
        [] => None,
    };
    describe(&mut parameter, description.as_deref());
    parameter
}

/// Every request field the path and the body leave, by its lowerCamelCase name (the query also takes
/// proto names); a singular message's fields under dotted names.
fn query_parameters(route: &Route, comments: &Comments, schemas: &mut Schemas) -> Vec<Value> {
    let bound: Vec<FieldDescriptor> = match &route.body {
        BodyBinding::Whole => return Vec::new(),
        BodyBinding::Field(body) => vec![body.clone()],
        BodyBinding::None => Vec::new(),
    };
    let bound: Vec<FieldDescriptor> = bound
        .into_iter()
        .chain(route.template.fields().map(|field| field.0[0].clone()))
        .collect();
    let request = route.rpc.input();
    let mut query = Query {
        comments,
        schemas,
        within: vec![request.full_name().to_owned()],
        parameters: Vec::new(),
    };
    for field in request.fields().filter(|field| !bound.contains(field)) {
        query.field(&field, "");
    }
    query.parameters
}

/// Gathers the query parameters of one request message.
struct Query<'q, 's> {
    comments: &'q Comments,
    schemas: &'q mut Schemas<'s>,
    /// The messages being descended into, so a recursive message ends the descent.
    within: Vec<String>,
    parameters: Vec<Value>,
}

impl Query<'_, '_> {
    /// The parameters `field` offers: itself when text can set it (a scalar, an enum, a well-known
    /// type written as one value, or a list of those), else a message's fields. Maps, lists of
    /// messages and the other well-known types only come in a JSON body.
    fn field(&mut self, field: &FieldDescriptor, prefix: &str) {
        let name = format!("{prefix}{}", field.json_name());
        match field.kind() {
            _ if field.is_map() => {}
            Kind::Message(message) if QUERYABLE_WELL_KNOWN.contains(&message.full_name()) => {
                self.parameter(name, field)
            }
            Kind::Message(message)
                if field.is_list()
                    || message.package_name() == "google.protobuf"
                    || self.within.iter().any(|m| m == message.full_name()) => {}
            Kind::Message(message) => {
                self.within.push(message.full_name().to_owned());
                let prefix = format!("{name}.");
                for inner in message.fields() {
                    self.field(&inner, &prefix);
                }
                self.within.pop();
            }
            _ => self.parameter(name, field),
        }
    }

    fn parameter(&mut self, name: String, field: &FieldDescriptor) {
        let mut parameter = json!({"name": name, "in": "query", "schema": self.schemas.value(field)});
        if field.is_list() {
            parameter["explode"] = Value::Bool(true);
        }
        let description = field_description(self.comments.of(field), &parameter["schema"]);
        describe(&mut parameter, Some(&description.join("\n\n")));
        self.parameters.push(parameter);
    }
}

/// A field's comment, then what its type's own schema says (a field mask's JSON form): the field's
/// description replaces the type's.
fn field_description(comment: Option<&str>, schema: &Value) -> Vec<String> {
    let type_note = schema["description"].as_str();
    [comment, type_note]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect()
}

/// The headers the transcoder reads into fields (`request::Parts::fill_from_headers`).
fn header_parameters(route: &Route) -> Vec<Value> {
    super::request::header_fields(route)
        .into_iter()
        .map(|(name, field)| {
            let target = field
                .0
                .iter()
                .map(|f| f.json_name())
                .collect::<Vec<_>>()
                .join(".");
            let description = match name {
                "idempotency-key" => format!(
                    "Sets `{target}` (when the request does not): a UUID that makes the call idempotent. A \
                     retry with the same key returns the first result and changes nothing."
                ),
                "if-match" => format!(
                    "Sets `{target}` (when the request does not), from the `ETag` the resource was read \
                     with: the call answers 409 (ABORTED) if the resource has changed since. `W/` and \
                     quotes are accepted; `*` sets nothing."
                ),
                _ => format!(
                    "Sets `{target}` (when the request does not): an EventSource that reconnects resumes \
                     after the last event it received."
                ),
            };
            header_parameter(header_display_name(name), &description)
        })
        .collect()
}

/// `if-match` → `If-Match`, as documents and people write header names.
fn header_display_name(name: &str) -> &'static str {
    match name {
        "idempotency-key" => "Idempotency-Key",
        "if-match" => "If-Match",
        _ => "Last-Event-ID",
    }
}

fn header_parameter(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "header", "schema": {"type": "string"}, "description": description})
}

/// Whether `message` has a singular string field `name`: the fields headers and `ETag` stand for.
fn has_string_field(message: &MessageDescriptor, name: &str) -> bool {
    message
        .get_field_by_name(name)
        .is_some_and(|field| field.kind() == Kind::String && !field.is_list())
}

fn request_body(route: &Route, comments: &Comments, schemas: &mut Schemas) -> Option<Value> {
    let request = route.rpc.input();
    if route.rpc.is_client_streaming() {
        return Some(ndjson_body(route, &request, schemas));
    }
    match &route.body {
        BodyBinding::None => None,
        // A custom method may take everything from its path: the body may then be empty.
        BodyBinding::Whole => Some(json!({
            "required": false,
            "description": "The request message. Fields the path sets are taken from the path.",
            "content": {"application/json": {"schema": schemas.message(&request)}},
        })),
        BodyBinding::Field(field) => {
            let description = comments.of(field).map_or_else(
                || format!("The request's `{}`.", field.json_name()),
                str::to_owned,
            );
            Some(json!({
                "required": true,
                "description": description,
                "content": {"application/json": {"schema": schemas.value(field)}},
            }))
        }
    }
}

/// A client stream's body: one JSON object a line, each an element of the repeated body field (or a
/// whole request message).
fn ndjson_body(route: &Route, request: &MessageDescriptor, schemas: &mut Schemas) -> Value {
    let (element, what) = match &route.body {
        BodyBinding::Field(field) if field.is_list() => (
            schemas.single(&field.kind()),
            format!("one element of the request's `{}`", field.json_name()),
        ),
        _ => (schemas.message(request), "one request message".to_owned()),
    };
    json!({
        "required": true,
        "description": format!(
            "NDJSON (`application/x-ndjson`, also accepted as `application/jsonl`): one JSON object a \
             line, each {what}; the schema is that of one line. The server sends the lines on as the gRPC \
             stream's messages, in batches, as they arrive; query parameters apply to every message."
        ),
        "content": {"application/x-ndjson": {"schema": element}},
    })
}

fn responses(route: &Route, comments: &Comments, schemas: &mut Schemas) -> Value {
    let mut responses = Map::new();
    responses.insert("200".to_owned(), success(route, comments, schemas));
    for (status, name) in ERROR_RESPONSES {
        responses.insert(status.to_string(), reference(RESPONSES, name));
    }
    if !matches!(route.body, BodyBinding::None) {
        // A stream's body is read line by line: a long line is a 400, not a 413.
        if !route.rpc.is_client_streaming() {
            responses.insert("413".to_owned(), reference(RESPONSES, "PayloadTooLarge"));
        }
        responses.insert("415".to_owned(), reference(RESPONSES, "UnsupportedMediaType"));
    }
    responses.insert("default".to_owned(), reference(RESPONSES, "Error"));
    Value::Object(responses)
}

fn reference(prefix: &str, name: &str) -> Value {
    json!({"$ref": format!("{prefix}{name}")})
}

/// The 200 answer: the response message (or its `response_body` field) as JSON, with the resource's
/// `ETag`; a server stream's events.
fn success(route: &Route, comments: &Comments, schemas: &mut Schemas) -> Value {
    if route.rpc.is_server_streaming() {
        return event_stream(route, schemas);
    }
    let output = route.rpc.output();
    let (schema, description) = match &route.response_body {
        Some(field) => (
            schemas.value(field),
            format!("The `{}` of the `{}`.", field.json_name(), output.full_name()),
        ),
        // What the message is, from its comment ("A customer company.").
        None => (
            schemas.message(&output),
            comments
                .of(&output)
                .map_or_else(|| "Success.".to_owned(), summary),
        ),
    };
    let mut response = json!({
        "description": description,
        "content": {"application/json": {"schema": schema}},
    });
    if has_string_field(&output, "etag") {
        response["headers"] = json!({"ETag": reference(HEADERS, "ETag")});
    }
    response
}

/// A server stream as Server-Sent Events (`streams::server_sent_events`). The events' `data` schema is
/// given as `x-event-data`, as OpenAPI 3.1 has no place for the schema of a stream's items.
fn event_stream(route: &Route, schemas: &mut Schemas) -> Value {
    let output = route.rpc.output();
    let (data, what) = match &route.response_body {
        Some(field) => (
            schemas.single(&field.kind()),
            format!("one element of a response's `{}`", field.json_name()),
        ),
        None => (schemas.message(&output), format!("one `{}`", output.full_name())),
    };
    let description = format!(
        "Server-Sent Events, one per element: each event's `data` is {what} as JSON (the `x-event-data` \
         schema), its `id` the element's `cursor`. Reconnecting with `Last-Event-ID` resumes after it; an \
         event with an `id` alone moves the resume point past elements the stream left out. A stream that \
         fails once started ends with an event named `error` whose `data` is the Error body; before it \
         starts, the call answers with the error's status and body like any other."
    );

    json!({
        "description": description,
        "content": {"text/event-stream": {"schema": {"type": "string"}, "x-event-data": data}},
    })
}

/// The shared error answers, each described by the gRPC codes that lead to it.
fn error_responses() -> Map<String, Value> {
    let mut responses = Map::new();
    for (status, name) in ERROR_RESPONSES {
        let extra = match status {
            404 => " Also for a path no operation has (reason `NO_SUCH_PATH`).",
            409 => {
                " ABORTED is an `etag` (`If-Match`) that no longer matches, or a conflicting write: read again and retry."
            }
            429 | 503 => " `Retry-After`, when present, says how many seconds to wait.",
            _ => "",
        };
        let description = format!("{}.{extra}", codes_answered_with(status));
        let mut response = error_response(&description);
        if matches!(status, 429 | 503) {
            response["headers"] = json!({"Retry-After": reference(HEADERS, "Retry-After")});
        }
        responses.insert(name.to_owned(), response);
    }
    responses.insert(
        "PayloadTooLarge".to_owned(),
        error_response(
            "The body is larger than the server takes (reason `BODY_TOO_LARGE`, status RESOURCE_EXHAUSTED).",
        ),
    );
    responses.insert(
        "UnsupportedMediaType".to_owned(),
        error_response(
            "The body's `Content-Type` is not the operation's (reason `UNSUPPORTED_MEDIA_TYPE`, status \
             INVALID_ARGUMENT).",
        ),
    );
    responses.insert("Error".to_owned(), error_response(&other_errors()));
    responses
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": reference(SCHEMAS, ERROR_SCHEMA)}},
    })
}

/// Every gRPC code but OK.
fn error_codes() -> impl Iterator<Item = Code> {
    (1..=16).map(Code::from_i32)
}

/// "The call failed with INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE": the codes the
/// transcoder answers with `status`.
fn codes_answered_with(status: u16) -> String {
    let names: Vec<&str> = error_codes()
        .filter(|code| errors::http_status(*code).as_u16() == status)
        .map(errors::code_name)
        .collect();
    format!("The call failed with {}", or_list(&names))
}

/// The failures no listed response covers: the other codes' statuses, and 405.
fn other_errors() -> String {
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for code in error_codes() {
        let status = errors::http_status(code).as_u16();
        if !ERROR_RESPONSES.iter().any(|(listed, _)| *listed == status) {
            by_status.entry(status).or_default().push(errors::code_name(code));
        }
    }
    let statuses: Vec<String> = by_status
        .iter()
        .map(|(status, names)| format!("{status} for {}", or_list(names)))
        .collect();
    format!(
        "Any other failure: {}; 405 (reason `METHOD_NOT_ALLOWED`, with `Allow`) for a method the path does not have.",
        statuses.join(", ")
    )
}

/// `A`, `A or B`, `A, B or C`.
fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn shared_headers() -> Value {
    json!({
        "ETag": {
            "description": "The resource's `etag`, quoted. Send it back as `If-Match` to update or delete only \
                that revision.",
            "schema": {"type": "string"},
        },
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1},
        },
    })
}

/// The error body (`errors::error_json`): `google.rpc.Status` as AIP-193 writes it over HTTP. Each
/// detail is matched by its `@type` to its schema; a type the server does not send today is allowed.
fn error_schema(pool: &DescriptorPool, schemas: &mut Schemas) -> Value {
    let details: Vec<MessageDescriptor> = ERROR_DETAILS
        .iter()
        .filter_map(|name| pool.get_message_by_name(name))
        .collect();
    let type_urls: Vec<String> = details.iter().map(type_url).collect();
    let mut matches: Vec<Value> = details
        .iter()
        .zip(&type_urls)
        .map(|(detail, url)| {
            let mut schema = schemas.message(detail);
            schema["properties"] = json!({"@type": {"const": url}});
            schema
        })
        .collect();
    matches.push(json!({"properties": {"@type": {"not": {"enum": type_urls}}}}));
    let status_names: Vec<&str> = error_codes().map(errors::code_name).collect();
    json!({
        "type": "object",
        "description": "A failed call (AIP-193): `google.rpc.Status` with the HTTP status as `code` and the gRPC \
            code's name as `status`.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "status", "details"],
                "properties": {
                    "code": {"type": "integer", "format": "int32", "description": "The HTTP status."},
                    "message": {"type": "string", "description": "What went wrong, for a developer."},
                    "status": {
                        "type": "string",
                        "enum": status_names,
                        "description": "The gRPC code's name.",
                    },
                    "details": {
                        "type": "array",
                        "description": "Typed details, as in the gRPC status: `ErrorInfo` (a `reason` in \
                            domain `kam.v1`) on every error, `BadRequest` field violations with \
                            INVALID_ARGUMENT, `PreconditionFailure` with FAILED_PRECONDITION, `RetryInfo` \
                            with RESOURCE_EXHAUSTED and UNAVAILABLE.",
                        "items": {
                            "type": "object",
                            "required": ["@type"],
                            "properties": {
                                "@type": {
                                    "type": "string",
                                    "description": "The detail's type URL, e.g. \
                                        `type.googleapis.com/google.rpc.ErrorInfo`.",
                                },
                            },
                            "additionalProperties": true,
                            "anyOf": matches,
                        },
                    },
                },
            },
        },
    })
}

fn type_url(message: &MessageDescriptor) -> String {
    format!("type.googleapis.com/{}", message.full_name())
}

/// The component schemas: each message and enum the document names, defined once under its full
/// name, with the messages and enums their fields name in turn.
struct Schemas<'c> {
    comments: &'c Comments,
    /// Named so far; `Null` until defined.
    defined: BTreeMap<String, Value>,
    pending: Vec<Definition>,
}

enum Definition {
    Message(MessageDescriptor),
    Enum(EnumDescriptor),
}

impl<'c> Schemas<'c> {
    fn new(comments: &'c Comments) -> Schemas<'c> {
        Schemas {
            comments,
            defined: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The schema of a message: inline for the well-known types (their JSON is no object of fields),
    /// else a reference to its component.
    fn message(&mut self, message: &MessageDescriptor) -> Value {
        well_known(message.full_name())
            .unwrap_or_else(|| self.name(message.full_name(), || Definition::Message(message.clone())))
    }

    fn enumeration(&mut self, enumeration: &EnumDescriptor) -> Value {
        match enumeration.full_name() {
            "google.protobuf.NullValue" => json!({"type": "null"}),
            name => self.name(name, || Definition::Enum(enumeration.clone())),
        }
    }

    /// A reference to the component `name`, which is defined by [`Schemas::finish`].
    fn name(&mut self, name: &str, definition: impl FnOnce() -> Definition) -> Value {
        if !self.defined.contains_key(name) {
            self.defined.insert(name.to_owned(), Value::Null);
            self.pending.push(definition());
        }
        reference(SCHEMAS, name)
    }

    /// One value of `kind`.
    fn single(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Message(message) => self.message(message),
            Kind::Enum(enumeration) => self.enumeration(enumeration),
            scalar => scalar_schema(scalar),
        }
    }

    /// A field's value: one, a list or a map (a JSON object, whatever the key type).
    fn value(&mut self, field: &FieldDescriptor) -> Value {
        match field.kind() {
            Kind::Message(entry) if field.is_map() => {
                json!({"type": "object", "additionalProperties": self.single(&entry.map_entry_value_field().kind())})
            }
            kind if field.is_list() => json!({"type": "array", "items": self.single(&kind)}),
            kind => self.single(&kind),
        }
    }

    /// A message's property: the field's value, described by its comment. A comment that starts
    /// "Output only" (AIP-203) makes it read-only.
    fn property(&mut self, field: &FieldDescriptor) -> Value {
        let mut schema = self.value(field);
        let comment = self.comments.of(field);
        let oneof = field
            .containing_oneof()
            .filter(|oneof| !oneof.is_synthetic())
            .map(|oneof| {
                format!(
                    "Part of the oneof `{}`: at most one of its fields is set.",
                    oneof.name()
                )
            });
        let description = field_description(comment, &schema)
            .into_iter()
            .chain(oneof)
            .collect::<Vec<_>>();
        describe(&mut schema, Some(&description.join("\n\n")));
        if comment.is_some_and(|c| c.starts_with("Output only")) {
            schema["readOnly"] = Value::Bool(true);
        }
        schema
    }

    /// Defines every named schema, and those their fields name, until none is left.
    fn finish(mut self) -> BTreeMap<String, Value> {
        while let Some(definition) = self.pending.pop() {
            let (name, schema) = match &definition {
                Definition::Message(message) => (message.full_name(), self.define_message(message)),
                Definition::Enum(enumeration) => (enumeration.full_name(), self.define_enum(enumeration)),
            };
            self.defined.insert(name.to_owned(), schema);
        }
        self.defined
    }

    /// An object of the fields by JSON name; none is `required` (proto3: absent means the default).
    fn define_message(&mut self, message: &MessageDescriptor) -> Value {
        let properties: Map<String, Value> = message
            .fields()
            .map(|field| (field.json_name().to_owned(), self.property(&field)))
            .collect();
        let mut schema = json!({"type": "object", "properties": properties});
        let oneofs: Vec<String> = message
            .oneofs()
            .filter(|oneof| !oneof.is_synthetic())
            .map(|oneof| {
                let fields: Vec<String> = oneof.fields().map(|f| format!("`{}`", f.json_name())).collect();
                format!(
                    "Oneof `{}`: at most one of {} is set.",
                    oneof.name(),
                    fields.join(", ")
                )
            })
            .collect();
        let description: Vec<String> = self
            .comments
            .of(message)
            .map(str::to_owned)
            .into_iter()
            .chain(oneofs)
            .collect();
        describe(&mut schema, Some(&description.join("\n\n")));
        schema
    }

    /// A string of the value names, the values' comments listed in the description.
    fn define_enum(&self, enumeration: &EnumDescriptor) -> Value {
        let names: Vec<String> = enumeration
            .values()
            .map(|value| value.name().to_owned())
            .collect();
        let mut schema = json!({"type": "string", "enum": names});
        let values: Vec<String> = enumeration
            .values()
            .filter_map(|value| {
                let comment = self.comments.of(&value)?;
                Some(format!(
                    "- `{}`: {}",
                    value.name(),
                    comment.split_whitespace().collect::<Vec<_>>().join(" ")
                ))
            })
            .collect();
        let description: Vec<String> = self
            .comments
            .of(enumeration)
            .map(str::to_owned)
            .into_iter()
            .chain((!values.is_empty()).then(|| values.join("\n")))
            .collect();
        describe(&mut schema, Some(&description.join("\n\n")));
        schema
    }
}

/// A scalar's proto3 JSON: 64-bit integers are decimal strings, bytes base64.
fn scalar_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!({"type": "integer", "format": "int32"}),
        Kind::Uint32 | Kind::Fixed32 => {
            json!({"type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX})
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            json!({"type": "string", "format": "int64", "pattern": SIGNED_PATTERN})
        }
        Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "uint64", "pattern": UNSIGNED_PATTERN})
        }
        Kind::Float => json!({"type": "number", "format": "float"}),
        Kind::Double => json!({"type": "number", "format": "double"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
        // Named types are not scalars: `Schemas::single` refers to them.
        Kind::Message(_) | Kind::Enum(_) => json!({}),
    }
}

/// The well-known types proto3 JSON writes specially, as their JSON is.
fn well_known(full_name: &str) -> Option<Value> {
    let schema = match full_name {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => json!({"type": "string", "pattern": DURATION_PATTERN}),
        "google.protobuf.FieldMask" => {
            json!({
                "type": "string",
                "description": "A field mask: field paths in lowerCamelCase, comma-separated, e.g. `displayName,region`.",
            })
        }
        "google.protobuf.Empty" | "google.protobuf.Struct" => json!({"type": "object"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.Any" => json!({
            "type": "object",
            "required": ["@type"],
            "properties": {"@type": {"type": "string"}},
            "additionalProperties": true,
        }),
        "google.protobuf.BoolValue" => scalar_schema(&Kind::Bool),
        "google.protobuf.Int32Value" => scalar_schema(&Kind::Int32),
        "google.protobuf.UInt32Value" => scalar_schema(&Kind::Uint32),
        "google.protobuf.Int64Value" => scalar_schema(&Kind::Int64),
        "google.protobuf.UInt64Value" => scalar_schema(&Kind::Uint64),
        "google.protobuf.FloatValue" => scalar_schema(&Kind::Float),
        "google.protobuf.DoubleValue" => scalar_schema(&Kind::Double),
        "google.protobuf.StringValue" => scalar_schema(&Kind::String),
        "google.protobuf.BytesValue" => scalar_schema(&Kind::Bytes),
        _ => return None,
    };
    Some(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> Value {
        let routes = RouteTable::from_pool(crate::rest::pool()).unwrap_or_else(|e| panic!("{e}"));
        document(&routes)
    }

    #[test]
    fn the_summary_is_the_first_sentence_of_the_first_paragraph() {
        assert_eq!(
            summary("Soft delete: sets `delete_time`. The account keeps its id."),
            "Soft delete: sets `delete_time`."
        );
        assert_eq!(
            summary("Only these, e.g. AccountCreated. Then more."),
            "Only these, e.g. AccountCreated."
        );
        assert_eq!(
            summary("One line\nwrapped here\n\nSecond paragraph."),
            "One line wrapped here"
        );
        assert_eq!(summary("Newest first."), "Newest first.");
    }

    #[test]
    fn comments_lose_the_space_after_the_slashes() {
        assert_eq!(
            clean_comment(" First line.\n   indented\n\n Next.\n"),
            "First line.\n  indented\n\nNext."
        );
    }

    #[test]
    fn or_lists_read_as_english() {
        assert_eq!(or_list(&["A"]), "A");
        assert_eq!(or_list(&["A", "B", "C"]), "A, B or C");
    }

    #[test]
    fn proto3_json_types_map_to_json_schema() {
        assert_eq!(scalar_schema(&Kind::Int64)["type"], "string");
        assert_eq!(scalar_schema(&Kind::Int64)["pattern"], SIGNED_PATTERN);
        assert_eq!(scalar_schema(&Kind::Uint32)["minimum"], 0);
        assert_eq!(
            well_known("google.protobuf.Timestamp"),
            Some(json!({"type": "string", "format": "date-time"}))
        );
        assert_eq!(
            well_known("google.protobuf.Int64Value"),
            Some(scalar_schema(&Kind::Int64))
        );
        assert_eq!(well_known("kam.v1.Account"), None);
    }

    #[test]
    fn messages_enums_and_comments_make_the_schemas() {
        let document = generated();
        let schemas = &document["components"]["schemas"];
        let account = &schemas["kam.v1.Account"];
        assert_eq!(account["type"], "object");
        assert_eq!(account["properties"]["displayName"]["type"], "string");
        assert_eq!(account["properties"]["createTime"]["format"], "date-time");
        assert_eq!(account["properties"]["id"]["readOnly"], true);
        assert_eq!(
            account["properties"]["tier"]["$ref"],
            "#/components/schemas/kam.v1.Tier"
        );
        assert!(
            account["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("A customer company."))
        );
        assert!(account.get("required").is_none() && account.get("additionalProperties").is_none());
        let tier = &schemas["kam.v1.Tier"];
        assert_eq!(tier["enum"][1], "STRATEGIC");
        assert!(
            tier["description"]
                .as_str()
                .is_some_and(|d| d.contains("- `KEY`: Not STRATEGIC, and the revenue ranked above"))
        );
        assert!(schemas["google.rpc.ErrorInfo"]["properties"]["reason"].is_object());
    }

    #[test]
    fn operations_carry_their_parameters_body_and_answers() {
        let document = generated();
        let update = &document["paths"]["/v1/accounts/{id}"]["patch"];
        assert_eq!(update["operationId"], "UpdateAccount");
        assert_eq!(update["tags"], json!(["AccountService"]));
        let names: Vec<&str> = update["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["id", "updateMask", "changeReason", "If-Match"]);
        assert_eq!(update["requestBody"]["required"], true);
        assert_eq!(
            update["responses"]["200"]["headers"]["ETag"]["$ref"],
            "#/components/headers/ETag"
        );
        assert_eq!(
            update["responses"]["413"]["$ref"],
            "#/components/responses/PayloadTooLarge"
        );

        let second = &document["paths"]["/v1/accounts/{account_id}/contacts"]["get"];
        assert_eq!(second["operationId"], "ListContacts_2");
        assert!(second.get("requestBody").is_none() && second["responses"].get("415").is_none());

        let create = &document["paths"]["/v1/accounts"]["post"];
        assert!(
            create["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Idempotency-Key"))
        );
    }

    #[test]
    fn streams_are_ndjson_in_and_events_out() {
        let document = generated();
        let import = &document["paths"]["/v1/accounts:import"]["post"]["requestBody"];
        assert_eq!(
            import["content"]["application/x-ndjson"]["schema"]["$ref"],
            "#/components/schemas/kam.v1.AccountRecord"
        );
        let watch = &document["paths"]["/v1/events:watch"]["get"];
        assert_eq!(
            watch["responses"]["200"]["content"]["text/event-stream"]["x-event-data"]["$ref"],
            "#/components/schemas/kam.v1.Event"
        );
        assert!(
            watch["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Last-Event-ID"))
        );
        let types = watch["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "eventTypes"));
        assert_eq!(
            types.map(|p| (&p["schema"]["type"], &p["explode"])),
            Some((&json!("array"), &json!(true)))
        );
    }

    #[test]
    fn the_text_is_the_same_every_time() {
        assert_eq!(to_text(&generated()), to_text(&generated()));
    }
}
