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
