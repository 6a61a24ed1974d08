//! The outbox as a feed that `WatchEvents` can follow from a cursor without skipping events.
//!
//! Ids come from a sequence, and on PostgreSQL a transaction that took id 10 may commit after the one
//! that took id 11: a reader who saw 11 and moved on would never see 10. So each event also carries the
//! id of the transaction that wrote it (`txid`, PostgreSQL's `pg_current_xact_id()`, set by the column's
//! default), and a reader only takes events of transactions older than the oldest one still running
//! (its snapshot's xmin), in (txid, id) order: that set no longer changes. SQLite runs one writer at a
//! time, so its ids follow commit order already; its `txid` stays 0.
//!
//! `account_id` is the account an event concerns, when there is one, so that a MEMBER's stream can be
//! limited to its teams' accounts. Events written before this migration have none.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Txid,
    AccountId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txid_default = match manager.get_database_backend() {
            DatabaseBackend::Postgres => Expr::cust("(pg_current_xact_id()::text::bigint)"),
            _ => Expr::val(0),
        };
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEvents::Table)
                    .add_column(
                        ColumnDef::new(OutboxEvents::Txid)
                            .big_integer()
                            .not_null()
                            .default(txid_default),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEvents::Table)
                    .add_column(ColumnDef::new(OutboxEvents::AccountId).uuid().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            OutboxEvents::Table,
            "ix_outbox_events_feed",
            [OutboxEvents::Txid, OutboxEvents::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_events_feed")
                    .table(OutboxEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [OutboxEvents::AccountId, OutboxEvents::Txid] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutboxEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
