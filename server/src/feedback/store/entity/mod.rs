//! The tables this area owns: sea-orm entities, one file per table, written by hand so SQLite and
//! PostgreSQL share one set of types. Enumerations are stored as their proto names in text columns.
//! Private to the area: another area reads these rows only through this area's store functions.

pub mod feedback_rating;
pub mod feedback_round;
