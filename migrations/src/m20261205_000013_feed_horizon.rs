//! Outbox retention: where the feed has been pruned.
//!
//! Old outbox events are deleted in feed order, (txid, id), oldest first, so what is gone is always a
//! prefix of the feed. `feed_horizon` is one row naming the last position deleted and when: a reader
//! whose cursor or sync token lies before it may have missed events and is told so, where a reader at
//! or after it misses nothing. An empty outbox alone could not tell "pruned" from "there were none",
//! nor could the oldest event left (a reader's position between the last deleted event and the oldest
//! kept one is still good). The row is written in the same transaction as each batch of deletions.
//!
//! The row exists from this migration on (`id` 1, position (0, 0): nothing pruned), so the pruner only
//! ever updates it; `id` is checked to be 1 so that a second row cannot be added by mistake.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedHorizon {
    Table,
    Id,
    Txid,
    EventId,
    PruneTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedHorizon::Table)
                    .col(
                        ColumnDef::new(FeedHorizon::Id)
                            .integer()
                            .not_null()
                            .primary_key()
                            .check(Expr::col(FeedHorizon::Id).eq(1)),
                    )
                    // The position (txid, id) of the last event deleted; (0, 0): none yet.
                    .col(
                        ColumnDef::new(FeedHorizon::Txid)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(FeedHorizon::EventId)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    // When the horizon last moved; NULL until the first event is pruned.
                    .col(timestamp(FeedHorizon::PruneTime).null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(FeedHorizon::Table)
                    .columns([FeedHorizon::Id, FeedHorizon::Txid, FeedHorizon::EventId])
                    .values_panic([1.into(), 0i64.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FeedHorizon::Table).to_owned())
            .await
    }
}
