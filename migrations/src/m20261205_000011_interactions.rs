//! Interactions with accounts and who took part in them: our staff and the customer's
//! contacts, each in a table of its own so "my interactions" and "interactions with this person" are
//! index lookups. A contact's links go with the contact (hard-deleted personal data).

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
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Interactions {
    Table,
    Id,
    AccountId,
    Type,
    OccurTime,
    Summary,
    Outcome,
    NextStep,
    Satisfaction,
    LoggedBy,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum InteractionStaff {
    Table,
    InteractionId,
    StaffId,
}

#[derive(DeriveIden)]
enum InteractionContacts {
    Table,
    InteractionId,
    ContactId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Interactions as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(ColumnDef::new(I::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(I::AccountId).uuid().not_null())
                    .col(ColumnDef::new(I::Type).string_len(32).not_null())
                    .col(timestamp(I::OccurTime).not_null())
                    .col(ColumnDef::new(I::Summary).text().not_null())
                    .col(ColumnDef::new(I::Outcome).text().not_null())
                    .col(ColumnDef::new(I::NextStep).text().not_null())
                    .col(ColumnDef::new(I::Satisfaction).integer().not_null())
                    .col(ColumnDef::new(I::LoggedBy).uuid().not_null())
                    .col(timestamp(I::CreateTime).not_null())
                    .col(timestamp(I::UpdateTime).not_null())
                    .col(ColumnDef::new(I::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(I::Table, I::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An account's interactions newest first; the last visit of each account (cadence, health).
        index(
            manager,
            I::Table,
            "ix_interactions_account_time",
            [I::AccountId, I::OccurTime],
        )
        .await?;
        index(
            manager,
            I::Table,
            "ix_interactions_type_account_time",
            [I::Type, I::AccountId, I::OccurTime],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(InteractionStaff::Table)
                    .col(ColumnDef::new(InteractionStaff::InteractionId).uuid().not_null())
                    .col(ColumnDef::new(InteractionStaff::StaffId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(InteractionStaff::InteractionId)
                            .col(InteractionStaff::StaffId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InteractionStaff::Table, InteractionStaff::InteractionId)
                            .to(I::Table, I::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InteractionStaff::Table, InteractionStaff::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            InteractionStaff::Table,
            "ix_interaction_staff_staff",
            [InteractionStaff::StaffId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(InteractionContacts::Table)
                    .col(
                        ColumnDef::new(InteractionContacts::InteractionId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InteractionContacts::ContactId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(InteractionContacts::InteractionId)
                            .col(InteractionContacts::ContactId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InteractionContacts::Table, InteractionContacts::InteractionId)
                            .to(I::Table, I::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InteractionContacts::Table, InteractionContacts::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            InteractionContacts::Table,
            "ix_interaction_contacts_contact",
            [InteractionContacts::ContactId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InteractionContacts::Table.into_iden(),
            InteractionStaff::Table.into_iden(),
            Interactions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
