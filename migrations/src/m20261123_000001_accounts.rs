//! Accounts, their contacts and the contacts' key dates.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    ExternalId,
    DisplayName,
    LegalName,
    Industry,
    Region,
    ParentAccountId,
    Lifecycle,
    Tier,
    RelationshipStage,
    RadStatus,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Revision,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    AccountId,
    ExternalId,
    FullName,
    Title,
    Department,
    BuyingRole,
    HasMoney,
    HasAuthority,
    HasNeed,
    Attitude,
    RelationshipStrength,
    ReportsToContactId,
    Email,
    Phone,
    Notes,
    Active,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum ContactKeyDates {
    Table,
    ContactId,
    Position,
    Kind,
    Label,
    Year,
    Month,
    Day,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(ColumnDef::new(Accounts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Accounts::ExternalId).string_len(128).null())
                    .col(ColumnDef::new(Accounts::DisplayName).string_len(200).not_null())
                    .col(ColumnDef::new(Accounts::LegalName).string_len(200).not_null())
                    .col(ColumnDef::new(Accounts::Industry).string_len(200).not_null())
                    .col(ColumnDef::new(Accounts::Region).string_len(100).not_null())
                    .col(ColumnDef::new(Accounts::ParentAccountId).uuid().null())
                    .col(ColumnDef::new(Accounts::Lifecycle).string_len(32).not_null())
                    .col(ColumnDef::new(Accounts::Tier).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Accounts::RelationshipStage)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Accounts::RadStatus).string_len(32).not_null())
                    .col(timestamp(Accounts::CreateTime).not_null())
                    .col(timestamp(Accounts::UpdateTime).not_null())
                    .col(timestamp(Accounts::DeleteTime).null())
                    .col(ColumnDef::new(Accounts::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Accounts::Table, Accounts::ParentAccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            Accounts::Table,
            "ux_accounts_external_id",
            [Accounts::ExternalId],
        )
        .await?;
        // Keyset pagination walks (sort key, id); each allowed `order_by` gets its index.
        index(
            manager,
            Accounts::Table,
            "ix_accounts_display_name",
            [Accounts::DisplayName, Accounts::Id],
        )
        .await?;
        index(
            manager,
            Accounts::Table,
            "ix_accounts_create_time",
            [Accounts::CreateTime, Accounts::Id],
        )
        .await?;
        index(
            manager,
            Accounts::Table,
            "ix_accounts_update_time",
            [Accounts::UpdateTime, Accounts::Id],
        )
        .await?;
        index(
            manager,
            Accounts::Table,
            "ix_accounts_parent",
            [Accounts::ParentAccountId],
        )
        .await?;
        index(
            manager,
            Accounts::Table,
            "ix_accounts_tier",
            [Accounts::Tier, Accounts::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(ColumnDef::new(Contacts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Contacts::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Contacts::ExternalId).string_len(128).null())
                    .col(ColumnDef::new(Contacts::FullName).string_len(200).not_null())
                    .col(ColumnDef::new(Contacts::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Contacts::Department).string_len(200).not_null())
                    .col(ColumnDef::new(Contacts::BuyingRole).string_len(32).not_null())
                    .col(ColumnDef::new(Contacts::HasMoney).boolean().not_null())
                    .col(ColumnDef::new(Contacts::HasAuthority).boolean().not_null())
                    .col(ColumnDef::new(Contacts::HasNeed).boolean().not_null())
                    .col(ColumnDef::new(Contacts::Attitude).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Contacts::RelationshipStrength)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Contacts::ReportsToContactId).uuid().null())
                    .col(ColumnDef::new(Contacts::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Contacts::Phone).string_len(50).not_null())
                    .col(ColumnDef::new(Contacts::Notes).text().not_null())
                    .col(ColumnDef::new(Contacts::Active).boolean().not_null())
                    .col(timestamp(Contacts::CreateTime).not_null())
                    .col(timestamp(Contacts::UpdateTime).not_null())
                    .col(ColumnDef::new(Contacts::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::ReportsToContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            Contacts::Table,
            "ux_contacts_external_id",
            [Contacts::ExternalId],
        )
        .await?;
        index(
            manager,
            Contacts::Table,
            "ix_contacts_account",
            [Contacts::AccountId, Contacts::Id],
        )
        .await?;
        index(
            manager,
            Contacts::Table,
            "ix_contacts_full_name",
            [Contacts::FullName, Contacts::Id],
        )
        .await?;
        index(
            manager,
            Contacts::Table,
            "ix_contacts_create_time",
            [Contacts::CreateTime, Contacts::Id],
        )
        .await?;
        index(
            manager,
            Contacts::Table,
            "ix_contacts_reports_to",
            [Contacts::ReportsToContactId],
        )
        .await?;

        // Key dates get their own rows so "upcoming key dates" can be asked in SQL by (month, day).
        manager
            .create_table(
                Table::create()
                    .table(ContactKeyDates::Table)
                    .col(ColumnDef::new(ContactKeyDates::ContactId).uuid().not_null())
                    .col(
                        ColumnDef::new(ContactKeyDates::Position)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContactKeyDates::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(ContactKeyDates::Label).string_len(100).not_null())
                    .col(ColumnDef::new(ContactKeyDates::Year).integer().not_null())
                    .col(ColumnDef::new(ContactKeyDates::Month).small_integer().not_null())
                    .col(ColumnDef::new(ContactKeyDates::Day).small_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ContactKeyDates::ContactId)
                            .col(ContactKeyDates::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContactKeyDates::Table, ContactKeyDates::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            ContactKeyDates::Table,
            "ix_contact_key_dates_month_day",
            [ContactKeyDates::Month, ContactKeyDates::Day],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContactKeyDates::Table.into_iden(),
            Contacts::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
