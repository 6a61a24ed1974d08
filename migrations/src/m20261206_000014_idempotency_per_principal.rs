//! Idempotency keys belong to the principal that sent them: a `request_id` is unique per staff member
//! and method, not across everyone. Shared, a request id would let one caller read what another created
//! (the same request again answers with the first call's resource) and learn which ids were used.
//!
//! The table is made anew with the staff member in its key. Keys last only as long as a client retries
//! one call, so the old rows (which name no principal) are not carried over: a retry that spans the
//! upgrade is a new call.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    StaffId,
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
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await?;
        manager.create_table(keys_table(true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await?;
        manager.create_table(keys_table(false)).await
    }
}

/// The table, keyed by (staff member, method, request id), or as before by (method, request id).
fn keys_table(per_staff_member: bool) -> TableCreateStatement {
    let mut key = Index::create();
    let mut table = Table::create();
    table.table(IdempotencyKeys::Table);
    if per_staff_member {
        table.col(ColumnDef::new(IdempotencyKeys::StaffId).uuid().not_null());
        key.col(IdempotencyKeys::StaffId);
    }
    table
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
        .primary_key(key.col(IdempotencyKeys::Method).col(IdempotencyKeys::RequestId))
        .to_owned()
}
