//! Service levels: business calendars, SLA policies by account, tier or default, service requests with
//! their status history, the SLA state of each request computed by the business clock (`clock`, pure)
//! on every read, the breach monitor and its escalations, and the compliance report.

pub mod api;
pub mod clock;
pub mod config;
pub(crate) mod convert;
pub mod model;
pub mod monitor;
pub mod rules;
pub mod store;
