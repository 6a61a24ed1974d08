//! Streams over HTTP/1.1. A client stream (an import) reads NDJSON — one JSON value a line — and sends
//! the lines as gRPC messages, batched as a gRPC client would batch them. A server stream answers as
//! Server-Sent Events: one event per element (the route's `response_body`) or per message, its `id`
//! the element's `cursor`, so a client that reconnects with `Last-Event-ID` resumes where it stopped.

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, stream};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, Value as Field};
use serde_json::Value;
use tonic::{Status, body::Body};

use super::{
    errors, grpc, json,
    request::{Parts, violation},
    routes::{BodyBinding, Route},
};

/// Lines per gRPC message, below the services' per-message cap (5 000 records).
const LINES_PER_MESSAGE: usize = 1000;

/// The request body of a client-streaming call as a gRPC body; refused up front when it is not NDJSON
/// or the query, path or headers do not fit the request.
pub fn ndjson_messages(
    fields: &Parts<'_>,
    headers: &HeaderMap,
    body: Body,
    max_message_bytes: usize,
) -> Result<Body, Response<Body>> {
    if !super::media_type_is(headers, &["application/x-ndjson", "application/jsonl"]) {
        return Err(super::unsupported_media_type("application/x-ndjson"));
    }
    let request = fields.route.rpc.input();
    let base = fields
        .base_tree()
        .and_then(|tree| {
            json::from_value(request.clone(), Value::Object(tree))
                .map_err(|e| violation("query", &e.to_string()))
        })
        .map_err(|e| errors::from_status(&Status::from(e)))?;
    let lines = match &fields.route.body {
        // A repeated field: each line is one element, gathered into messages.
        BodyBinding::Field(field) if field.is_list() => match field.kind() {
            Kind::Message(element) => Lines::Elements {
                field: field.clone(),
                element,
            },
            _ => Lines::Whole(request),
        },
        _ => Lines::Whole(request),
    };
    let reader = NdjsonReader {
        body,
        buffer: BytesMut::new(),
        line_number: 0,
        ended: false,
        lines,
        base,
        batch: None,
        batch_bytes: 0,
        batch_limit: (max_message_bytes / 2).max(1),
        max_line_bytes: max_message_bytes.saturating_mul(2),
    };
    let frames = stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        match reader.next_message().await {
            Ok(Some(message)) => Some((
                Ok(Frame::data(grpc::frame(&message.encode_to_vec()))),
                Some(reader),
            )),
            Ok(None) => None,
            // The call fails with this status, like a gRPC client's stream that broke.
            Err(status) => Some((Err(status), None)),
        }
    });
    Ok(Body::new(StreamBody::new(frames)))
}

/// What a line holds.
enum Lines {
    /// One element of the request's repeated body field.
    Elements {
        field: prost_reflect::FieldDescriptor,
        element: MessageDescriptor,
    },
    /// A whole request message.
    Whole(MessageDescriptor),
}

struct NdjsonReader {
    body: Body,
    buffer: BytesMut,
    line_number: usize,
    ended: bool,
    lines: Lines,
    /// The request as the query, path and headers give it: each batch starts as a copy.
    base: DynamicMessage,
    batch: Option<(DynamicMessage, usize)>,
    batch_bytes: usize,
    batch_limit: usize,
    max_line_bytes: usize,
}

impl NdjsonReader {
    /// The next message to send: a full batch, a whole-message line, or the last partial batch.
    async fn next_message(&mut self) -> Result<Option<DynamicMessage>, Status> {
        loop {
            let Some(line) = self.next_line().await? else {
                return Ok(self.take_batch());
            };
            self.line_number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match &self.lines {
                Lines::Whole(request) => {
                    let mut message = parse_line(request, &line, self.line_number)?;
                    message.merge(self.base.encode_to_vec().as_slice()).ok();
                    return Ok(Some(message));
                }
                Lines::Elements { field, element } => {
                    let element = parse_line(element, &line, self.line_number)?;
                    self.batch_bytes += element.encoded_len();
                    let (batch, count) = self.batch.get_or_insert_with(|| (self.base.clone(), 0));
                    if let Field::List(items) = batch.get_field_mut(field) {
                        items.push(Field::Message(element));
                    }
                    *count += 1;
                    if *count >= LINES_PER_MESSAGE || self.batch_bytes >= self.batch_limit {
                        return Ok(self.take_batch());
                    }
                }
            }
        }
    }

    fn take_batch(&mut self) -> Option<DynamicMessage> {
        self.batch_bytes = 0;
        self.batch.take().map(|(message, _)| message)
    }

    /// The next line without its newline; the last one may lack it. `None` at the end of the body.
    async fn next_line(&mut self) -> Result<Option<Bytes>, Status> {
        loop {
            if let Some(newline) = self.buffer.iter().position(|b| *b == b'\n') {
                let line = self.buffer.split_to(newline + 1).freeze();
                return Ok(Some(line.slice(..newline)));
            }
            if self.buffer.len() > self.max_line_bytes {
                return Err(Status::from(violation(
                    &format!("line {}", self.line_number + 1),
                    &format!("is longer than {} bytes", self.max_line_bytes),
                )));
            }
            if self.ended {
                return Ok((!self.buffer.is_empty()).then(|| self.buffer.split().freeze()));
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => return Err(Status::cancelled(format!("the request body broke off: {e}"))),
                None => self.ended = true,
            }
        }
    }
}

fn parse_line(descriptor: &MessageDescriptor, line: &[u8], number: usize) -> Result<DynamicMessage, Status> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    DynamicMessage::deserialize_with_options(
        descriptor.clone(),
        &mut deserializer,
        &DeserializeOptions::new(),
    )
    .and_then(|message| deserializer.end().map(|()| message))
    .map_err(|e| Status::from(violation(&format!("line {number}"), &e.to_string())))
}

/// A server stream's answer as Server-Sent Events; a call that fails before its first message answers
/// with the error's status and JSON body instead.
pub async fn server_sent_events(route: &Route, answer: Response<Body>) -> Response<Body> {
    let (parts, body) = answer.into_parts();
    let frames = grpc::Frames::new(&parts.headers, body);
    if let Some(status) = frames.early_status().filter(|s| s.code() != tonic::Code::Ok) {
        return errors::from_status(status);
    }
    let events = stream::unfold(Some((frames, route.clone())), |state| async move {
        let (mut frames, route) = state?;
        match frames.next().await {
            Ok(Some(message)) => Some((events_of(&route, &message), Some((frames, route)))),
            Ok(None) => None,
            Err(status) => Some((error_event(&status), None)),
        }
    });
    let mut response = Response::new(Body::new(StreamBody::new(sse_frames(events))));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies such as nginx would otherwise hold events back to fill a buffer.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn sse_frames(
    events: impl Stream<Item = String> + Send + 'static,
) -> impl Stream<Item = Result<Frame<Bytes>, Status>> + Send {
    events.map(|text| Ok(Frame::data(Bytes::from(text))))
}

/// The events of one response message: one per element of the route's response field (or the message
/// itself), each with its cursor as `id`; then, when the message's own cursor has moved past the last
/// element (events its filters left out), an `id` alone, so `Last-Event-ID` resumes from there.
fn events_of(route: &Route, message: &Bytes) -> String {
    let decoded = match DynamicMessage::decode(route.rpc.output(), message.clone()) {
        Ok(decoded) => decoded,
        Err(e) => return error_event(&Status::internal(format!("the answer does not decode: {e}"))),
    };
    let Ok(json) = json::to_value(&decoded) else {
        return error_event(&Status::internal("the answer has no JSON form"));
    };
    let elements = match &route.response_body {
        Some(field) => json
            .get(field.json_name())
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        None => vec![json.clone()],
    };
    let mut text = String::new();
    let mut last_id = None;
    for element in &elements {
        let id = element.get("cursor").and_then(Value::as_str);
        if let Some(id) = id {
            text.push_str(&format!("id: {id}\n"));
            last_id = Some(id.to_owned());
        }
        text.push_str(&format!("data: {element}\n\n"));
    }
    let resume = json.get("cursor").and_then(Value::as_str);
    if route.response_body.is_some()
        && let Some(resume) = resume.filter(|r| !r.is_empty() && Some(*r) != last_id.as_deref())
    {
        text.push_str(&format!("id: {resume}\n\n"));
    }
    text
}

/// The stream's failure as a last event named `error`, its data the JSON error body.
fn error_event(status: &Status) -> String {
    let body = errors::error_json(status, errors::http_status(status.code()));
    format!("event: error\ndata: {body}\n\n")
}
