//! sea-orm entities, one file per table, written by hand so SQLite and PostgreSQL share one set of
//! types. Enumerations are stored as their proto names in text columns; the area modules convert them.

pub mod account;
pub mod audit_entry;
pub mod contact;
pub mod contact_key_date;
pub mod idempotency_key;
pub mod outbox_event;
