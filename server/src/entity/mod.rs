//! sea-orm entities, one file per table, written by hand so SQLite and PostgreSQL share one set of
//! types. Enumerations are stored as their proto names in text columns; the area modules convert them.

pub mod account;
pub mod account_plan;
pub mod api_key;
pub mod audit_entry;
pub mod business_calendar;
pub mod business_calendar_holiday;
pub mod business_calendar_window;
pub mod contact;
pub mod contact_key_date;
pub mod department;
pub mod idempotency_key;
pub mod interaction;
pub mod interaction_contact;
pub mod interaction_staff;
pub mod opportunity;
pub mod opportunity_stage_change;
pub mod outbox_event;
pub mod pipeline;
pub mod pipeline_stage;
pub mod plan_action;
pub mod relationship_change;
pub mod revenue_record;
pub mod service_request;
pub mod service_request_status_change;
pub mod sla_escalation;
pub mod sla_policy;
pub mod sla_policy_escalation_step;
pub mod sla_policy_pause_status;
pub mod sla_policy_target;
pub mod staff;
pub mod staff_role;
pub mod staff_stage_specialty;
pub mod team_member;
pub mod tier_change;
pub mod tier_override;
