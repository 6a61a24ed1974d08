//! Webhooks: the domain events pushed to HTTP endpoints that ERPs and iPaaS tools run, signed per the
//! Standard Webhooks specification, in order per subscription, retried until acknowledged.

pub mod api;
pub mod config;
mod convert;
pub mod delivery;
pub mod dispatcher;
pub mod guard;
pub mod signature;
pub mod store;
