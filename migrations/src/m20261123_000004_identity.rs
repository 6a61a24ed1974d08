//! Identity: the roles of each staff member, API keys (only their hashes), and the credential each
//! audit row was made with.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffRoles {
    Table,
    StaffId,
    Role,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    /// `kam_` and 8 hex digits: shown in lists, and how a presented key finds its row.
    Prefix,
    /// SHA-256 of the whole key, hex. The key itself is never stored.
    SecretHash,
    StaffId,
    DisplayName,
    CreatorId,
    CreateTime,
    ExpireTime,
    RevokeTime,
    LastUseTime,
}

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Principal,
    Credential,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffRoles::Table)
                    .col(ColumnDef::new(StaffRoles::StaffId).uuid().not_null())
                    .col(ColumnDef::new(StaffRoles::Role).string_len(32).not_null())
                    .primary_key(Index::create().col(StaffRoles::StaffId).col(StaffRoles::Role))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffRoles::Table, StaffRoles::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(ColumnDef::new(ApiKeys::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiKeys::Prefix).string_len(16).not_null())
                    .col(ColumnDef::new(ApiKeys::SecretHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiKeys::StaffId).uuid().not_null())
                    .col(ColumnDef::new(ApiKeys::DisplayName).string_len(200).not_null())
                    .col(ColumnDef::new(ApiKeys::CreatorId).uuid().not_null())
                    .col(timestamp(ApiKeys::CreateTime).not_null())
                    .col(timestamp(ApiKeys::ExpireTime).null())
                    .col(timestamp(ApiKeys::RevokeTime).null())
                    .col(timestamp(ApiKeys::LastUseTime).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::CreatorId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(manager, ApiKeys::Table, "ux_api_keys_prefix", [ApiKeys::Prefix]).await?;
        index(manager, ApiKeys::Table, "ix_api_keys_staff", [ApiKeys::StaffId]).await?;

        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntries::Table)
                    .add_column(
                        ColumnDef::new(AuditEntries::Credential)
                            .string_len(64)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            AuditEntries::Table,
            "ix_audit_entries_principal",
            [AuditEntries::Principal],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_entries_principal")
                    .table(AuditEntries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntries::Table)
                    .drop_column(AuditEntries::Credential)
                    .to_owned(),
            )
            .await?;
        for table in [ApiKeys::Table.into_iden(), StaffRoles::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
