//! The relationship history of accounts: every update that moves an account's relationship
//! stage or RAD status, with its reason.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RelationshipChanges {
    Table,
    Id,
    AccountId,
    OldRelationshipStage,
    NewRelationshipStage,
    OldRadStatus,
    NewRadStatus,
    Reason,
    ChangeTime,
    ChangedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RelationshipChanges as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::AccountId).uuid().not_null())
                    .col(ColumnDef::new(R::OldRelationshipStage).string_len(32).not_null())
                    .col(ColumnDef::new(R::NewRelationshipStage).string_len(32).not_null())
                    .col(ColumnDef::new(R::OldRadStatus).string_len(16).not_null())
                    .col(ColumnDef::new(R::NewRadStatus).string_len(16).not_null())
                    .col(ColumnDef::new(R::Reason).string_len(500).not_null())
                    .col(timestamp(R::ChangeTime).not_null())
                    .col(ColumnDef::new(R::ChangedBy).uuid().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            R::Table,
            "ix_relationship_changes_account",
            [R::AccountId, R::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RelationshipChanges::Table).to_owned())
            .await
    }
}
