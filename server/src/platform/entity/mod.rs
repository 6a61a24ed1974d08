//! The shared tables: the audit trail, idempotency keys and the outbox. sea-orm entities, one file per
//! table, written by hand so SQLite and PostgreSQL share one set of types.

pub mod audit_entry;
pub mod idempotency_key;
pub mod outbox_event;
