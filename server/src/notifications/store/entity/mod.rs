//! The tables this area owns: sea-orm entities, one file per table, written by hand so SQLite and
//! PostgreSQL share one set of types. Private to the area: another area reads these rows only through
//! this area's store functions.

pub mod account_health_watch;
pub mod notification;
pub mod watch_occurrence;
