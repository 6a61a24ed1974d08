//! The tables this area owns: sea-orm entities, one file per table, written by hand so SQLite and
//! PostgreSQL share one set of types. Enumerations are stored as their proto names in text columns.
//! Private to the area: another area reads these rows only through this area's store functions.

pub mod competitor;
pub mod competitor_name;
pub mod competitor_region;
pub mod opportunity;
pub mod opportunity_competitor;
pub mod opportunity_stage_change;
pub mod pipeline;
pub mod pipeline_stage;
