//! Hostile input, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): every RPC of this
//! build, read from `kam_proto::FILE_DESCRIPTOR_SET`, gets requests in which one field at a time (also
//! the fields of the messages within, two levels down) holds a value at or beyond the ends of its type:
//! integers at their extremes, enums out of range, strings empty, huge, not UTF-8 or full of SQL
//! wildcards, timestamps and dates before year 1 and after year 9999, money at the int64 ends,
//! repeated fields of 40,000 items (beyond SQLite's bound parameters).
//!
//! Whatever the server answers (most of these are INVALID_ARGUMENT), it must answer: never INTERNAL or
//! UNKNOWN (a bug, or a panic), never UNAVAILABLE (a connection a panic tore down), never a deadline
//! passed. Meanwhile another client asks who it is, again and again, and must be answered promptly
//! throughout: no request may stall the server for others.
//!
//! The requests are built from the descriptors, so a new RPC or field is covered the day it lands. Each
//! field is set alone on an otherwise empty request, so most requests stop at the first check; the
//! cases that need a valid request around the hostile value (a forecast to the last instant, sums at
//! the money bound) are in `hostile_input.rs`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use kam_tests::{
    Backend, Caller, TestServer,
    pb::{self, identity_service_client::IdentityServiceClient},
    raw::{Rpc, call, rpcs_of_this_build},
};
use prost::Message;
use prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};
use tonic::Code;

/// How long one hostile call may take before it counts as a stall.
const CALL_DEADLINE: Duration = Duration::from_secs(20);
/// How long the other client may wait for an answer while the suite runs.
const PROMPT: Duration = Duration::from_secs(5);
/// How deep the suite goes into messages within messages.
const MAX_DEPTH: usize = 2;
/// Items in a repeated field sent long: more than SQLite's 32,766 bound parameters.
const LONG_LIST: usize = 40_000;

// ---------------------------------------------------------------------------------------------------
// The protobuf wire format, by hand: the suite must send what no generated type would let it build
// ---------------------------------------------------------------------------------------------------

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn tag(number: i32, wire_type: u8, out: &mut Vec<u8>) {
    varint(((number as u64) << 3) | u64::from(wire_type), out);
}

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const FIXED32: u8 = 5;

/// One field's value, ready to be written under any field number.
#[derive(Clone)]
enum Wire {
    Varint(u64),
    Fixed64([u8; 8]),
    Fixed32([u8; 4]),
    Bytes(Vec<u8>),
}

impl Wire {
    fn write(&self, number: i32, out: &mut Vec<u8>) {
        match self {
            Wire::Varint(value) => {
                tag(number, VARINT, out);
                varint(*value, out);
            }
            Wire::Fixed64(bytes) => {
                tag(number, FIXED64, out);
                out.extend_from_slice(bytes);
            }
            Wire::Fixed32(bytes) => {
                tag(number, FIXED32, out);
                out.extend_from_slice(bytes);
            }
            Wire::Bytes(bytes) => {
                tag(number, LENGTH_DELIMITED, out);
                varint(bytes.len() as u64, out);
                out.extend_from_slice(bytes);
            }
        }
    }
}

/// A message of the given fields, each `(number, value)`.
fn message(fields: &[(i32, Wire)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (number, value) in fields {
        value.write(*number, &mut out);
    }
    out
}

fn signed(value: i64) -> Wire {
    Wire::Varint(value as u64)
}

fn zigzag(value: i64) -> Wire {
    Wire::Varint(((value << 1) ^ (value >> 63)) as u64)
}

// ---------------------------------------------------------------------------------------------------
// Extreme values per type
// ---------------------------------------------------------------------------------------------------

/// A hostile value of one field, with a name for the report.
struct Value {
    label: String,
    wire: Vec<Wire>,
}

fn one(label: impl Into<String>, wire: Wire) -> Value {
    Value {
        label: label.into(),
        wire: vec![wire],
    }
}

fn strings() -> Vec<(String, Vec<u8>)> {
    vec![
        ("empty".to_owned(), Vec::new()),
        ("1 MiB".to_owned(), vec![b'x'; 1 << 20]),
        ("not UTF-8".to_owned(), vec![0xff, 0xfe, b'a', 0xc3]),
        ("NUL".to_owned(), b"a\0b".to_vec()),
        (
            "SQL".to_owned(),
            b"%_' OR 1=1; DROP TABLE accounts; -- \\".to_vec(),
        ),
        ("10k emoji".to_owned(), "\u{1F3ED}".repeat(10_000).into_bytes()),
        (
            "a UUID".to_owned(),
            b"00000000-0000-7000-8000-000000000001".to_vec(),
        ),
    ]
}

fn integers(kind: Type) -> Vec<Value> {
    let sixty_four = [i64::MIN, -1, i64::MAX];
    let thirty_two = [i64::from(i32::MIN), -1, i64::from(i32::MAX)];
    match kind {
        Type::Int64 | Type::Uint64 => sixty_four.map(|v| one(format!("{v}"), signed(v))).into(),
        Type::Int32 | Type::Uint32 | Type::Enum => thirty_two
            .into_iter()
            .chain([99])
            .map(|v| one(format!("{v}"), signed(v)))
            .collect(),
        Type::Sint64 => sixty_four.map(|v| one(format!("{v}"), zigzag(v))).into(),
        Type::Sint32 => thirty_two.map(|v| one(format!("{v}"), zigzag(v))).into(),
        Type::Fixed64 | Type::Sfixed64 => sixty_four
            .map(|v| one(format!("{v}"), Wire::Fixed64(v.to_le_bytes())))
            .into(),
        Type::Fixed32 | Type::Sfixed32 => thirty_two
            .map(|v| one(format!("{v}"), Wire::Fixed32((v as i32).to_le_bytes())))
            .into(),
        Type::Bool => vec![one("true", Wire::Varint(1)), one("2", Wire::Varint(2))],
        Type::Double => [f64::NAN, f64::INFINITY, f64::MIN, -0.0]
            .map(|v| one(format!("{v}"), Wire::Fixed64(v.to_le_bytes())))
            .into(),
        Type::Float => [f32::NAN, f32::INFINITY, f32::MIN]
            .map(|v| one(format!("{v}"), Wire::Fixed32(v.to_le_bytes())))
            .into(),
        _ => Vec::new(),
    }
}

/// The well-known and common messages, whose meaning gives their extremes.
fn special(type_name: &str) -> Option<Vec<Value>> {
    let pair =
        |label: &str, a: i64, b: i64| one(label, Wire::Bytes(message(&[(1, signed(a)), (2, signed(b))])));
    let date = |label: &str, y: i64, m: i64, d: i64| {
        one(
            label,
            Wire::Bytes(message(&[(1, signed(y)), (2, signed(m)), (3, signed(d))])),
        )
    };
    let money = |label: &str, currency: &str, units: i64, nanos: i64| {
        one(
            label,
            Wire::Bytes(message(&[
                (1, Wire::Bytes(currency.as_bytes().to_vec())),
                (2, signed(units)),
                (3, signed(nanos)),
            ])),
        )
    };
    Some(match type_name {
        ".google.protobuf.Timestamp" => vec![
            pair("i64::MIN s", i64::MIN, 0),
            pair("i64::MAX s", i64::MAX, 0),
            pair("before 0001", -62_135_596_801, 0),
            pair("after 9999", 253_402_300_800, 0),
            pair("the last nanosecond of 9999", 253_402_300_799, 999_999_999),
            pair("year 1", -62_135_596_800, 0),
            pair("nanos -1", 0, -1),
            pair("nanos 10^9", 0, 1_000_000_000),
        ],
        ".google.protobuf.Duration" => vec![
            pair("i64::MIN s", i64::MIN, 0),
            pair("i64::MAX s", i64::MAX, 0),
            pair("nanos 10^9", 0, 1_000_000_000),
        ],
        ".google.protobuf.FieldMask" => vec![
            one(
                "an empty path",
                Wire::Bytes(message(&[(1, Wire::Bytes(Vec::new()))])),
            ),
            one(
                "a 1 MiB path",
                Wire::Bytes(message(&[(1, Wire::Bytes(vec![b'x'; 1 << 20]))])),
            ),
            one(
                "40,000 paths",
                Wire::Bytes(message(&vec![
                    (1, Wire::Bytes(b"display_name".to_vec()));
                    LONG_LIST
                ])),
            ),
        ],
        ".kam.v1.Date" => vec![
            date("0000-00-00", 0, 0, 0),
            date("year 10000", 10_000, 1, 1),
            date("year 262142", 262_142, 12, 31),
            date("year -1", -1, 1, 1),
            date(
                "i32::MIN",
                i64::from(i32::MIN),
                i64::from(i32::MIN),
                i64::from(i32::MIN),
            ),
            date(
                "i32::MAX",
                i64::from(i32::MAX),
                i64::from(i32::MAX),
                i64::from(i32::MAX),
            ),
            date("month 13", 2026, 13, 1),
            date("30 February", 2026, 2, 30),
            date("0001-01-01", 1, 1, 1),
            date("9999-12-31", 9_999, 12, 31),
        ],
        ".kam.v1.Month" => vec![
            pair("year 0 month 0", 0, 0),
            pair("year 10000", 10_000, 1),
            pair("i32::MIN", i64::from(i32::MIN), i64::from(i32::MIN)),
            pair("i32::MAX", i64::from(i32::MAX), i64::from(i32::MAX)),
            pair("month 13", 2026, 13),
        ],
        ".kam.v1.Money" => vec![
            money("i64::MAX EUR", "EUR", i64::MAX, 0),
            money("i64::MIN EUR", "EUR", i64::MIN, 0),
            money("i64::MAX and nanos", "EUR", i64::MAX, 999_999_999),
            money("nanos 10^9", "EUR", 1, 1_000_000_000),
            money("signs apart", "EUR", 1, -1),
            money("no currency", "", 1, 0),
            money("a made-up currency", "€€€", 1, 0),
        ],
        _ => return None,
    })
}

/// The message types of this build by their full name (`.kam.v1.Account`).
struct Types(HashMap<String, DescriptorProto>);

impl Types {
    fn of_this_build() -> Self {
        let set = FileDescriptorSet::decode(kam_proto::FILE_DESCRIPTOR_SET).expect("the descriptor set");
        let mut types = HashMap::new();
        for file in &set.file {
            let prefix = format!(".{}", file.package());
            for message in &file.message_type {
                add(&mut types, &prefix, message);
            }
        }
        fn add(types: &mut HashMap<String, DescriptorProto>, prefix: &str, message: &DescriptorProto) {
            let name = format!("{prefix}.{}", message.name());
            for nested in &message.nested_type {
                add(types, &name, nested);
            }
            types.insert(name, message.clone());
        }
        Self(types)
    }

    /// Every hostile value of `field`, as (path, value).
    fn values(&self, field: &FieldDescriptorProto, depth: usize) -> Vec<(String, Value)> {
        let kind = field.r#type();
        let mut values: Vec<(String, Value)> = Vec::new();
        let plain = |value: Value| (String::new(), value);
        match kind {
            Type::String | Type::Bytes => {
                values.extend(
                    strings()
                        .into_iter()
                        .map(|(label, bytes)| plain(one(label, Wire::Bytes(bytes)))),
                );
            }
            Type::Message | Type::Group => {
                if let Some(special) = special(field.type_name()) {
                    values.extend(special.into_iter().map(plain));
                } else if let Some(inner) = self.0.get(field.type_name())
                    && depth < MAX_DEPTH
                {
                    for inner_field in &inner.field {
                        for (path, value) in self.values(inner_field, depth + 1) {
                            let mut bytes = Vec::new();
                            for wire in &value.wire {
                                wire.write(inner_field.number(), &mut bytes);
                            }
                            values.push((
                                join(inner_field.name(), &path),
                                Value {
                                    label: value.label,
                                    wire: vec![Wire::Bytes(bytes)],
                                },
                            ));
                        }
                    }
                }
            }
            other => values.extend(integers(other).into_iter().map(plain)),
        }
        if field.label() == Label::Repeated {
            values.push(plain(long_list(field)));
        }
        values
    }
}

fn join(name: &str, rest: &str) -> String {
    match rest {
        "" => name.to_owned(),
        rest => format!("{name}.{rest}"),
    }
}

/// A repeated field of [`LONG_LIST`] plausible items.
fn long_list(field: &FieldDescriptorProto) -> Value {
    let item = match field.r#type() {
        Type::String | Type::Bytes => Wire::Bytes(b"00000000-0000-7000-8000-000000000001".to_vec()),
        Type::Message | Type::Group => Wire::Bytes(Vec::new()),
        Type::Double | Type::Fixed64 | Type::Sfixed64 => Wire::Fixed64(1u64.to_le_bytes()),
        Type::Float | Type::Fixed32 | Type::Sfixed32 => Wire::Fixed32(1u32.to_le_bytes()),
        _ => Wire::Varint(1),
    };
    Value {
        label: format!("{LONG_LIST} items"),
        wire: vec![item; LONG_LIST],
    }
}

/// One hostile request.
struct Case {
    field: String,
    value: String,
    bytes: Vec<u8>,
}

fn cases(types: &Types, rpc: &Rpc) -> Vec<Case> {
    let input = types
        .0
        .get(&format!(".kam.v1.{}", rpc.input))
        .unwrap_or_else(|| panic!("no descriptor for {}", rpc.input));
    let mut cases = Vec::new();
    for field in &input.field {
        for (path, value) in types.values(field, 0) {
            let mut bytes = Vec::new();
            for wire in &value.wire {
                wire.write(field.number(), &mut bytes);
            }
            cases.push(Case {
                field: join(field.name(), &path),
                value: value.label,
                bytes,
            });
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------

/// What an answer says about the server: `None` when it is one a hostile request may get.
fn finding(answer: &Result<Vec<u8>, tonic::Status>, took: Duration) -> Option<String> {
    if took > CALL_DEADLINE {
        return Some(format!("took {took:?}"));
    }
    let status = answer.as_ref().err()?;
    // Not an answer of the server's: the connection broke (a panic, or what the client refused).
    if let Some(transport) = std::error::Error::source(status) {
        return Some(format!("{:?} from the transport: {transport}", status.code()));
    }
    match status.code() {
        Code::Internal
        | Code::Unknown
        | Code::DataLoss
        | Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unimplemented => Some(format!("{:?}: {}", status.code(), status.message())),
        _ => None,
    }
}

async fn no_request_makes_the_server_fail_or_stall(backend: Backend) {
    // Thousands of requests from one ADMIN: its request budget would answer most of them instead.
    let Some(server) =
        TestServer::start_with(backend, |config| config.rate_limit.requests_per_second = 0).await
    else {
        return;
    };
    {
        let server = &server;
        let started = Instant::now();
        let types = Types::of_this_build();
        let rpcs = rpcs_of_this_build();

        // The other client: asks who it is every 100 ms and records its slowest answer.
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        // On a connection of its own: what the hostile requests do to theirs is theirs.
        let own = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
            .expect("the server's address")
            .connect()
            .await
            .expect("connect");
        let admin = server.admin();
        let mut identity = IdentityServiceClient::new(
            Caller::new(own, admin.staff_id.clone(), admin.secret.clone()).channel(),
        );
        let prober = tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut answered = 0;
            while !*stopped.borrow() {
                let asked = Instant::now();
                let answer = tokio::time::timeout(PROMPT * 4, identity.who_am_i(pb::WhoAmIRequest {})).await;
                assert!(
                    matches!(answer, Ok(Ok(_))),
                    "the other client got no answer: {answer:?}"
                );
                slowest = slowest.max(asked.elapsed());
                answered += 1;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stopped.changed() => {}
                }
            }
            (slowest, answered)
        });

        let mut findings = Vec::new();
        let mut sent = 0;
        for rpc in &rpcs {
            for case in cases(&types, rpc) {
                let asked = Instant::now();
                let answer = tokio::time::timeout(
                    CALL_DEADLINE * 2,
                    call(server.anonymous(), rpc, Some(server.admin()), case.bytes),
                )
                .await
                .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer at all")));
                sent += 1;
                if let Some(problem) = finding(&answer, asked.elapsed()) {
                    findings.push(format!("{} {} = {}: {problem}", rpc.path, case.field, case.value));
                }
            }
        }
        stop.send(true).expect("the prober listens");
        let (slowest, answered) = prober.await.expect("the other client");
        eprintln!(
            "{sent} hostile requests to {} RPCs on {:?} in {:?}; the other client was answered {answered} \
             times, the slowest in {slowest:?}",
            rpcs.len(),
            server.backend,
            started.elapsed()
        );
        assert!(
            sent > 1000,
            "only {sent} requests: the descriptors were not read as meant"
        );
        assert!(
            findings.is_empty(),
            "{} hostile requests were answered as no request may be:\n{}",
            findings.len(),
            findings.join("\n")
        );
        assert!(
            slowest < PROMPT,
            "the other client waited {slowest:?} for an answer while the hostile requests ran"
        );
    }
    server.stop().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_request_makes_the_server_fail_or_stall() {
        super::no_request_makes_the_server_fail_or_stall(kam_tests::Backend::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_request_makes_the_server_fail_or_stall() {
        super::no_request_makes_the_server_fail_or_stall(kam_tests::Backend::Postgres).await;
    }
}
