//! Integration: what ERP connectors, mobile apps and other systems use to stay in step
//! with KAM: the domain-event stream (`WatchEvents`) and the change feed (`ListChanges`), both read from
//! the outbox as a commit-safe feed (`feed`, `sync`); the streaming imports of accounts, contacts,
//! opportunities, service requests and revenue (`import`, each area writing its own rows in bulk); and
//! the outbox's retention (`retention`: old events pruned, readers behind the pruned horizon refused);
//! and what bounds an open stream (`streams`: a few per principal, each ending with its credential).

pub mod api;
pub mod config;
mod entity;
pub mod feed;
pub mod import;
mod legacy_events;
pub mod retention;
pub mod streams;
pub mod sync;
