//! Account planning, first part: revenue records from the ERP, the history of tier
//! changes, and manual tier overrides.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RevenueRecords {
    Table,
    Id,
    ExternalId,
    AccountId,
    /// The month as `year * 100 + month` (202612): ordered, compared and grouped as an integer.
    Period,
    AmountCurrency,
    AmountUnits,
    AmountNanos,
    CreateTime,
    UpdateTime,
}

#[derive(DeriveIden)]
enum TierChanges {
    Table,
    Id,
    AccountId,
    OldTier,
    NewTier,
    Source,
    Reason,
    Note,
    AsOf,
    RevenueCurrency,
    RevenueUnits,
    RevenueNanos,
    CumulativeSharePpm,
    ChangeTime,
    ChangedBy,
}

#[derive(DeriveIden)]
enum TierOverrides {
    Table,
    AccountId,
    Tier,
    Reason,
    ExpireTime,
    SetBy,
    SetTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevenueRecords::Table)
                    .col(ColumnDef::new(RevenueRecords::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(RevenueRecords::ExternalId)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RevenueRecords::AccountId).uuid().not_null())
                    .col(ColumnDef::new(RevenueRecords::Period).integer().not_null())
                    .col(
                        ColumnDef::new(RevenueRecords::AmountCurrency)
                            .string_len(3)
                            .not_null(),
                    )
                    // Money as exact integers: units and billionths, summed separately in SQL.
                    .col(
                        ColumnDef::new(RevenueRecords::AmountUnits)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RevenueRecords::AmountNanos).integer().not_null())
                    .col(timestamp(RevenueRecords::CreateTime).not_null())
                    .col(timestamp(RevenueRecords::UpdateTime).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(RevenueRecords::Table, RevenueRecords::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            RevenueRecords::Table,
            "ux_revenue_records_external_id",
            [RevenueRecords::ExternalId],
        )
        .await?;
        // The ranking sums two years of every account; the monthly view one account's months.
        index(
            manager,
            RevenueRecords::Table,
            "ix_revenue_records_period_account",
            [RevenueRecords::Period, RevenueRecords::AccountId],
        )
        .await?;
        index(
            manager,
            RevenueRecords::Table,
            "ix_revenue_records_account_period",
            [RevenueRecords::AccountId, RevenueRecords::Period],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TierChanges::Table)
                    .col(ColumnDef::new(TierChanges::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TierChanges::AccountId).uuid().not_null())
                    .col(ColumnDef::new(TierChanges::OldTier).string_len(16).not_null())
                    .col(ColumnDef::new(TierChanges::NewTier).string_len(16).not_null())
                    .col(ColumnDef::new(TierChanges::Source).string_len(16).not_null())
                    .col(ColumnDef::new(TierChanges::Reason).string_len(64).not_null())
                    .col(ColumnDef::new(TierChanges::Note).string_len(500).not_null())
                    .col(timestamp(TierChanges::AsOf).null())
                    .col(ColumnDef::new(TierChanges::RevenueCurrency).string_len(3).null())
                    .col(ColumnDef::new(TierChanges::RevenueUnits).big_integer().null())
                    .col(ColumnDef::new(TierChanges::RevenueNanos).integer().null())
                    .col(
                        ColumnDef::new(TierChanges::CumulativeSharePpm)
                            .big_integer()
                            .null(),
                    )
                    .col(timestamp(TierChanges::ChangeTime).not_null())
                    .col(ColumnDef::new(TierChanges::ChangedBy).uuid().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(TierChanges::Table, TierChanges::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            TierChanges::Table,
            "ix_tier_changes_account",
            [TierChanges::AccountId, TierChanges::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TierOverrides::Table)
                    .col(
                        ColumnDef::new(TierOverrides::AccountId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(TierOverrides::Tier).string_len(16).not_null())
                    .col(ColumnDef::new(TierOverrides::Reason).string_len(500).not_null())
                    .col(timestamp(TierOverrides::ExpireTime).null())
                    .col(ColumnDef::new(TierOverrides::SetBy).uuid().not_null())
                    .col(timestamp(TierOverrides::SetTime).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(TierOverrides::Table, TierOverrides::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TierOverrides::Table.into_iden(),
            TierChanges::Table.into_iden(),
            RevenueRecords::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
