//! `ix_service_requests_live`: the ids of the service requests that are open or have a target whose
//! clock runs (in practice one set: the open requests, a tenth of the table in a large installation),
//! in id order, the order `ListServiceRequests` pages in by default.
//!
//! The SLA-state filters that only live requests can match (IN_PROGRESS and AT_RISK, whose targets are
//! unsettled, and anything with `open_only`) found their first page by walking the primary key in id
//! order, and the requests they match are the newest ones: at a million requests, a hundred thousand
//! open, PostgreSQL read most of the table for 50 AT_RISK rows (262 ms) and both backends for 50
//! BREACHED open ones (223 ms SQLite, 243 ms PostgreSQL). Walking this index instead reads only live
//! requests. The list adds this predicate, spelled the same, to the filters that imply it (see
//! `LIVE_REQUEST` in the server's `service_levels::store::requests`): SQLite uses a partial index only
//! for a query that contains its condition as written.
//!
//! sea-query has no partial indexes; this SQL is the same on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_service_requests_live ON service_requests (id) \
                 WHERE (first_response_settled_state IS NULL OR resolution_settled_state IS NULL \
                 OR status NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED'))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_service_requests_live")
            .await?;
        Ok(())
    }
}
