//! The tables this area owns: sea-orm entities, one file per table, written by hand so SQLite and
//! PostgreSQL share one set of types. Enumerations are stored as their proto names in text columns.
//! Private to the area: another area reads these rows only through this area's store functions.

pub mod account_plan;
pub mod interaction;
pub mod interaction_contact;
pub mod interaction_staff;
pub mod plan_action;
pub mod revenue_record;
pub mod tier_change;
pub mod tier_override;
