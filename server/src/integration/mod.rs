//! Integration (DESIGN 4.6): what ERP connectors, mobile apps and other systems use to stay in step
//! with KAM. So far the domain-event stream (`WatchEvents`) and the change feed (`ListChanges`), both
//! read from the outbox as a commit-safe feed, the revenue import (`ImportRevenue`), and the outbox's
//! retention (`retention`: old events pruned, readers behind the pruned horizon refused).

pub mod api;
pub mod feed;
pub mod import;
pub mod retention;
pub mod sync;
