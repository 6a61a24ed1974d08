//! Service levels (DESIGN 4.4): business calendars, SLA policies by account, tier or default, service
//! requests with their status history, the SLA state of each request computed by the clock (`crate::sla`)
//! on every read, and the compliance report.

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod monitor;
pub mod rules;
pub mod store;
