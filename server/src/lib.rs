//! The KAM server as a library: `run(config, listener, shutdown)` serves every gRPC service on an
//! already-bound listener until `shutdown` resolves. `main` and the end-to-end tests both call it.

pub mod accounts;
pub mod audit;
pub mod batch;
pub mod bulk;
pub mod config;
pub mod db;
pub mod entity;
pub mod error;
pub mod etag;
pub mod events;
pub mod fields;
mod fingerprint;
pub mod idempotency;
pub mod identity;
pub mod integration;
pub mod leases;
pub mod money;
pub mod named_enum;
pub mod opportunities;
pub mod paging;
pub mod planning;
pub mod request;
pub mod rest;
mod server;
pub mod service_levels;
pub mod sla;
pub mod teams;
pub mod telemetry;
pub mod web;
pub mod webhooks;
pub mod wire;

pub use config::{Config, Flags, LogFormat, TierCoverage};
pub use server::{OUTBOX_PRUNER_JOB, SLA_MONITOR_JOB, StartupError, WEBHOOK_DISPATCHER_JOB, run};
