//! The tables this area owns: sea-orm entities, one file per table, written by hand so SQLite and
//! PostgreSQL share one set of types. Enumerations are stored as their proto names in text columns.
//! Private to the area: another area reads these rows only through this area's store functions.

pub mod business_calendar;
pub mod business_calendar_holiday;
pub mod business_calendar_window;
pub mod service_request;
pub mod service_request_status_change;
pub mod sla_escalation;
pub mod sla_policy;
pub mod sla_policy_escalation_step;
pub mod sla_policy_pause_status;
pub mod sla_policy_target;
