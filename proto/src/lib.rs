//! The KAM gRPC API: generated tonic/prost code for package `kam.v1`, with canonical proto3 JSON
//! (pbjson) for every message, and the encoded descriptor set that server reflection serves.

/// Package `kam.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("kam.v1");
    include!(concat!(env!("OUT_DIR"), "/kam.v1.serde.rs"));
}

/// The encoded `FileDescriptorSet` of every kam.v1 file and its imports, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kam_descriptor.bin"));

/// Well-known types as the generated code uses them (`Timestamp`, `FieldMask`, ...).
pub use pbjson_types;

/// The canonical name of a gRPC status code (`INVALID_ARGUMENT`), as google.rpc.Code and AIP-193's
/// `error.status` write it; tonic's `Display` gives a prose description instead.
pub fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
