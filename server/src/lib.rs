//! The KAM server as a library: `run(config, listener, shutdown)` serves every gRPC service on an
//! already-bound listener until `shutdown` resolves. `main` and the end-to-end tests both call it.

pub mod accounts;
pub mod config;
pub mod feedback;
pub mod identity;
pub mod integration;
pub mod notifications;
pub mod opportunities;
pub mod planning;
pub mod platform;
pub mod rest;
pub mod segments;
mod server;
pub mod service_levels;
pub mod teams;
pub mod web;
pub mod webhooks;

pub use config::{Config, Flags, LogFormat, TierCoverage};
pub use server::{OUTBOX_PRUNER_JOB, SLA_MONITOR_JOB, StartupError, WEBHOOK_DISPATCHER_JOB, run};
