//! The audit trail, the domain-event outbox and the idempotency keys of create calls. Each is written in
//! the same transaction as the mutation it records.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Id,
    OccurredAt,
    Principal,
    Method,
    ResourceType,
    ResourceId,
    ChangedFields,
    RequestId,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    OccurredAt,
    EventType,
    ResourceType,
    ResourceId,
    Payload,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Method,
    RequestId,
    Fingerprint,
    ResourceId,
    CreateTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEntries::Table)
                    .col(ColumnDef::new(AuditEntries::Id).uuid().not_null().primary_key())
                    .col(timestamp(AuditEntries::OccurredAt).not_null())
                    .col(ColumnDef::new(AuditEntries::Principal).string_len(200).not_null())
                    .col(ColumnDef::new(AuditEntries::Method).string_len(200).not_null())
                    .col(
                        ColumnDef::new(AuditEntries::ResourceType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEntries::ResourceId).string_len(64).not_null())
                    .col(
                        ColumnDef::new(AuditEntries::ChangedFields)
                            .json_binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEntries::RequestId).uuid().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            AuditEntries::Table,
            "ix_audit_entries_resource",
            [AuditEntries::ResourceType, AuditEntries::ResourceId],
        )
        .await?;
        index(
            manager,
            AuditEntries::Table,
            "ix_audit_entries_occurred_at",
            [AuditEntries::OccurredAt],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(
                        ColumnDef::new(OutboxEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(timestamp(OutboxEvents::OccurredAt).not_null())
                    .col(ColumnDef::new(OutboxEvents::EventType).string_len(100).not_null())
                    .col(
                        ColumnDef::new(OutboxEvents::ResourceType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEvents::ResourceId).string_len(64).not_null())
                    .col(ColumnDef::new(OutboxEvents::Payload).json_binary().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(ColumnDef::new(IdempotencyKeys::Method).string_len(200).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::RequestId).uuid().not_null())
                    .col(
                        ColumnDef::new(IdempotencyKeys::Fingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::ResourceId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(IdempotencyKeys::CreateTime).not_null())
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Method)
                            .col(IdempotencyKeys::RequestId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            OutboxEvents::Table.into_iden(),
            AuditEntries::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
