//! Webhook subscriptions and the log of their delivery attempts. A subscription keeps its own place in
//! the outbox feed (the position after the last event its receiver acknowledged, like a WatchEvents
//! cursor) and the state of the event it is retrying; deleting it deletes its log.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookSubscriptions {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    ResourceTypes,
    AccountId,
    /// `whsec_…`: the receiver checks signatures with it, so the server must keep it readable.
    Secret,
    Enabled,
    /// Paused after failing for longer than the retry period.
    Failing,
    CursorTxid,
    CursorEventId,
    FailedAttempts,
    FirstFailureTime,
    NextAttemptTime,
    OwnerStaffId,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    SubscriptionId,
    EventCursor,
    EventType,
    Attempt,
    AttemptTime,
    StatusCode,
    LatencyMillis,
    ResponseExcerpt,
    Error,
    Acknowledged,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WebhookDeliveries as D;
        use WebhookSubscriptions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::Url).text().not_null())
                    .col(ColumnDef::new(S::Description).text().not_null())
                    .col(ColumnDef::new(S::EventTypes).json_binary().not_null())
                    .col(ColumnDef::new(S::ResourceTypes).json_binary().not_null())
                    .col(ColumnDef::new(S::AccountId).uuid().null())
                    .col(ColumnDef::new(S::Secret).text().not_null())
                    .col(ColumnDef::new(S::Enabled).boolean().not_null())
                    .col(ColumnDef::new(S::Failing).boolean().not_null())
                    .col(ColumnDef::new(S::CursorTxid).big_integer().not_null())
                    .col(ColumnDef::new(S::CursorEventId).big_integer().not_null())
                    .col(ColumnDef::new(S::FailedAttempts).integer().not_null())
                    .col(timestamp(S::FirstFailureTime).null())
                    .col(timestamp(S::NextAttemptTime).null())
                    .col(ColumnDef::new(S::OwnerStaffId).uuid().not_null())
                    .col(timestamp(S::CreateTime).not_null())
                    .col(timestamp(S::UpdateTime).not_null())
                    .col(ColumnDef::new(S::Revision).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(ColumnDef::new(D::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(D::SubscriptionId).uuid().not_null())
                    .col(ColumnDef::new(D::EventCursor).string_len(64).not_null())
                    .col(ColumnDef::new(D::EventType).string_len(128).not_null())
                    .col(ColumnDef::new(D::Attempt).integer().not_null())
                    .col(timestamp(D::AttemptTime).not_null())
                    .col(ColumnDef::new(D::StatusCode).integer().not_null())
                    .col(ColumnDef::new(D::LatencyMillis).integer().not_null())
                    .col(ColumnDef::new(D::ResponseExcerpt).text().not_null())
                    .col(ColumnDef::new(D::Error).text().not_null())
                    .col(ColumnDef::new(D::Acknowledged).boolean().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(D::Table, D::SubscriptionId)
                            .to(S::Table, S::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A subscription's attempts, newest first (ids are UUIDv7).
        index(
            manager,
            D::Table,
            "ix_webhook_deliveries_subscription",
            [D::SubscriptionId, D::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookSubscriptions::Table).to_owned())
            .await
    }
}
