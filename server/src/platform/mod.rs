//! The shared platform: what every area stands on and that knows no area. The database handle and its
//! one write path, the error model, paging, etags and field masks, money and wire conversions, request
//! context and idempotency, the audit trail, the outbox and its public event contract, job leases,
//! batching and bulk writes, and telemetry. An area may use anything here; nothing here names an area,
//! with one exception: the request context carries the caller, identity's `Principal` and its
//! `Visibility`, because every write records who made it.

pub mod audit;
pub mod batch;
pub mod bulk;
pub mod db;
pub mod entity;
pub mod error;
pub mod etag;
pub mod events;
pub mod fields;
pub(crate) mod fingerprint;
pub mod id_scan;
pub mod idempotency;
pub mod leases;
pub mod money;
pub mod named_enum;
pub mod paging;
pub mod replicas;
pub mod request;
pub mod telemetry;
pub mod wire;
