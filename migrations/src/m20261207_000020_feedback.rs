//! Customer feedback on the team: feedback rounds (one respondent's answers about an account's team for a
//! period) and their ratings, one row per person rated. A rating keeps the department its person was in
//! when rated, so the report per department does not move with later transfers. A round's end month is
//! stored as a month index (year × 12 + month − 1) beside its end date, so the report cuts months,
//! quarters (÷ 3) and years (÷ 12) with the same integer arithmetic on both backends.

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
enum Contacts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FeedbackRounds {
    Table,
    Id,
    AccountId,
    ExternalId,
    PeriodStart,
    PeriodEnd,
    EndMonth,
    RespondentContactId,
    RespondentName,
    Source,
    Comment,
    RecordedBy,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum FeedbackRatings {
    Table,
    RoundId,
    Position,
    StaffId,
    DepartmentId,
    Responsiveness,
    Expertise,
    FollowThrough,
    Comment,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use FeedbackRatings as G;
        use FeedbackRounds as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::AccountId).uuid().not_null())
                    .col(ColumnDef::new(R::ExternalId).string_len(128).null())
                    .col(ColumnDef::new(R::PeriodStart).date().not_null())
                    .col(ColumnDef::new(R::PeriodEnd).date().not_null())
                    .col(ColumnDef::new(R::EndMonth).integer().not_null())
                    .col(ColumnDef::new(R::RespondentContactId).uuid().null())
                    .col(ColumnDef::new(R::RespondentName).text().not_null())
                    .col(ColumnDef::new(R::Source).string_len(16).not_null())
                    .col(ColumnDef::new(R::Comment).text().not_null())
                    .col(ColumnDef::new(R::RecordedBy).uuid().not_null())
                    .col(timestamp(R::CreateTime).not_null())
                    .col(timestamp(R::UpdateTime).not_null())
                    .col(ColumnDef::new(R::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    // A contact is personal data, deleted for good: the round stays, without its link.
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::RespondentContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Imports upsert by the source's key.
        unique_index(
            manager,
            R::Table,
            "ux_feedback_rounds_external_id",
            [R::ExternalId],
        )
        .await?;
        // DUPLICATE_FEEDBACK_ROUND: one round per respondent contact and period (rounds without a
        // contact hold NULL, which never collides).
        unique_index(
            manager,
            R::Table,
            "ux_feedback_rounds_respondent_period",
            [R::AccountId, R::RespondentContactId, R::PeriodStart, R::PeriodEnd],
        )
        .await?;
        // An account's rounds newest period first; its latest round (health).
        index(
            manager,
            R::Table,
            "ix_feedback_rounds_account_end",
            [R::AccountId, R::PeriodEnd],
        )
        .await?;
        // All rounds newest period first; the latest rounds of every account (health).
        index(
            manager,
            R::Table,
            "ix_feedback_rounds_end",
            [R::PeriodEnd, R::PeriodStart],
        )
        .await?;
        // The report's window, in months.
        index(manager, R::Table, "ix_feedback_rounds_end_month", [R::EndMonth]).await?;

        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .col(ColumnDef::new(G::RoundId).uuid().not_null())
                    .col(ColumnDef::new(G::Position).integer().not_null())
                    .col(ColumnDef::new(G::StaffId).uuid().not_null())
                    .col(ColumnDef::new(G::DepartmentId).uuid().not_null())
                    .col(ColumnDef::new(G::Responsiveness).small_integer().not_null())
                    .col(ColumnDef::new(G::Expertise).small_integer().not_null())
                    .col(ColumnDef::new(G::FollowThrough).small_integer().not_null())
                    .col(ColumnDef::new(G::Comment).text().not_null())
                    // A person is rated at most once per round.
                    .primary_key(Index::create().col(G::RoundId).col(G::StaffId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::RoundId)
                            .to(R::Table, R::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A person's ratings (the report per person, the list filtered by person).
        index(
            manager,
            G::Table,
            "ix_feedback_ratings_staff",
            [G::StaffId, G::RoundId],
        )
        .await?;
        // A department's ratings (the report per department).
        index(
            manager,
            G::Table,
            "ix_feedback_ratings_department",
            [G::DepartmentId, G::RoundId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FeedbackRatings::Table.into_iden(),
            FeedbackRounds::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
