//! Warnings that reach people: the watcher's memory of what it has announced, and each person's
//! notifications.
//!
//! - `watch_occurrences`: one row per occurrence announced (a key date in a given year, a cadence that
//!   fell due at a given time, an action overdue on a given due date). The watcher inserts the row in
//!   the transaction that writes the event, and the primary key refuses a second one: each occurrence
//!   is announced once, even by two watchers at once.
//! - `account_health_watch`: the health level last announced per account (and the signals then
//!   triggered), which the next run compares with.
//! - `notifications`: one row per person told, with the event's payload as its canonical JSON.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WatchOccurrences {
    Table,
    Kind,
    OccurrenceKey,
    CreateTime,
}

#[derive(DeriveIden)]
enum AccountHealthWatch {
    Table,
    AccountId,
    Level,
    Score,
    TriggeredSignals,
    UpdateTime,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    StaffId,
    Reason,
    EventType,
    AccountId,
    AccountDisplayName,
    Payload,
    CreateTime,
    ReadTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WatchOccurrences as O;
        manager
            .create_table(
                Table::create()
                    .table(O::Table)
                    // e.g. `KEY_DATE`, `CADENCE`, `PLAN_ACTION`.
                    .col(ColumnDef::new(O::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(O::OccurrenceKey).string_len(400).not_null())
                    .col(timestamp(O::CreateTime).not_null())
                    .primary_key(Index::create().col(O::Kind).col(O::OccurrenceKey))
                    .to_owned(),
            )
            .await?;
        use AccountHealthWatch as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(ColumnDef::new(H::AccountId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(H::Level).string_len(16).not_null())
                    .col(ColumnDef::new(H::Score).integer().not_null())
                    .col(
                        ColumnDef::new(H::TriggeredSignals)
                            .json_binary()
                            .not_null()
                            .default(Expr::cust("'[]'")),
                    )
                    .col(timestamp(H::UpdateTime).not_null())
                    .to_owned(),
            )
            .await?;
        use Notifications as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(ColumnDef::new(N::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(N::StaffId).uuid().not_null())
                    .col(ColumnDef::new(N::Reason).string_len(32).not_null())
                    .col(ColumnDef::new(N::EventType).string_len(64).not_null())
                    .col(ColumnDef::new(N::AccountId).uuid().not_null())
                    .col(ColumnDef::new(N::AccountDisplayName).text().not_null())
                    .col(ColumnDef::new(N::Payload).json_binary().not_null())
                    .col(timestamp(N::CreateTime).not_null())
                    .col(timestamp(N::ReadTime).null())
                    .to_owned(),
            )
            .await?;
        // A person's list, newest first (ids are UUIDv7), and their unread count.
        index(manager, N::Table, "ix_notifications_staff", [N::StaffId, N::Id]).await?;
        index(
            manager,
            N::Table,
            "ix_notifications_staff_read",
            [N::StaffId, N::ReadTime],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notifications::Table.into_iden(),
            AccountHealthWatch::Table.into_iden(),
            WatchOccurrences::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
