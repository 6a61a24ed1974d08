//! The opportunity funnel: pipelines with ordered stages (the default pipeline seeded), opportunities,
//! and the stage history every analytics query reads.

use sea_orm::{ConnectionTrait, prelude::Uuid};
use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
    DisplayName,
    QualificationStageKey,
    IsDefault,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum PipelineStages {
    Table,
    PipelineId,
    Position,
    Key,
    DisplayName,
    Probability,
    ForecastCategory,
    StallAfterDays,
    ClosedWon,
    ClosedLost,
}

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    Id,
    ExternalId,
    AccountId,
    PipelineId,
    Stage,
    DisplayName,
    AmountCurrency,
    AmountUnits,
    AmountNanos,
    ExpectedCloseDate,
    ProbabilityOverride,
    ForecastCategoryOverride,
    OwnerStaffId,
    StageOwnerStaffId,
    Competitors,
    Source,
    NextStep,
    BudgetConfirmed,
    AuthorityConfirmed,
    NeedConfirmed,
    Outcome,
    CloseReason,
    CloseNote,
    LostToCompetitor,
    CloseTime,
    StageEnterTime,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum OpportunityStageChanges {
    Table,
    Id,
    OpportunityId,
    FromStage,
    ToStage,
    ChangeTime,
    ChangedBy,
    Reason,
}

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

/// The fixed id of the default pipeline, so every installation agrees on it.
const DEFAULT_PIPELINE_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0100;

/// The default pipeline every installation starts with, from first contact to the signed deal: key, name,
/// probability, forecast category, stall days, won, lost.
const DEFAULT_STAGES: &[(&str, &str, i32, &str, i32, bool, bool)] = &[
    ("LEAD", "Lead", 10, "PIPELINE", 30, false, false),
    ("CONTACTED", "Contacted", 20, "PIPELINE", 21, false, false),
    ("QUALIFIED", "Qualified", 40, "PIPELINE", 30, false, false),
    ("PROPOSAL", "Proposal", 60, "BEST_CASE", 21, false, false),
    ("NEGOTIATION", "Negotiation", 80, "COMMIT", 14, false, false),
    ("WON", "Won", 100, "CLOSED", 0, true, false),
    ("LOST", "Lost", 0, "OMITTED", 0, false, true),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pipelines::Table)
                    .col(ColumnDef::new(Pipelines::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Pipelines::DisplayName).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Pipelines::QualificationStageKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Pipelines::IsDefault).boolean().not_null())
                    .col(timestamp(Pipelines::CreateTime).not_null())
                    .col(timestamp(Pipelines::UpdateTime).not_null())
                    .col(ColumnDef::new(Pipelines::Revision).big_integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PipelineStages::Table)
                    .col(ColumnDef::new(PipelineStages::PipelineId).uuid().not_null())
                    .col(ColumnDef::new(PipelineStages::Position).integer().not_null())
                    .col(ColumnDef::new(PipelineStages::Key).string_len(64).not_null())
                    .col(
                        ColumnDef::new(PipelineStages::DisplayName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PipelineStages::Probability).integer().not_null())
                    .col(
                        ColumnDef::new(PipelineStages::ForecastCategory)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PipelineStages::StallAfterDays)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PipelineStages::ClosedWon).boolean().not_null())
                    .col(ColumnDef::new(PipelineStages::ClosedLost).boolean().not_null())
                    .primary_key(
                        Index::create()
                            .col(PipelineStages::PipelineId)
                            .col(PipelineStages::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PipelineStages::Table, PipelineStages::PipelineId)
                            .to(Pipelines::Table, Pipelines::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Opportunities::Table)
                    .col(ColumnDef::new(Opportunities::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Opportunities::ExternalId).string_len(128).null())
                    .col(ColumnDef::new(Opportunities::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Opportunities::PipelineId).uuid().not_null())
                    .col(ColumnDef::new(Opportunities::Stage).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Opportunities::DisplayName)
                            .string_len(200)
                            .not_null(),
                    )
                    // Money as exact integers: units and billionths, summed separately in SQL.
                    .col(ColumnDef::new(Opportunities::AmountCurrency).string_len(3).null())
                    .col(ColumnDef::new(Opportunities::AmountUnits).big_integer().null())
                    .col(ColumnDef::new(Opportunities::AmountNanos).integer().null())
                    .col(ColumnDef::new(Opportunities::ExpectedCloseDate).date().null())
                    .col(
                        ColumnDef::new(Opportunities::ProbabilityOverride)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::ForecastCategoryOverride)
                            .string_len(32)
                            .null(),
                    )
                    .col(ColumnDef::new(Opportunities::OwnerStaffId).uuid().not_null())
                    .col(ColumnDef::new(Opportunities::StageOwnerStaffId).uuid().null())
                    .col(
                        ColumnDef::new(Opportunities::Competitors)
                            .json_binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Opportunities::Source).string_len(100).not_null())
                    .col(ColumnDef::new(Opportunities::NextStep).string_len(500).not_null())
                    .col(
                        ColumnDef::new(Opportunities::BudgetConfirmed)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::AuthorityConfirmed)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Opportunities::NeedConfirmed).boolean().not_null())
                    .col(ColumnDef::new(Opportunities::Outcome).string_len(8).null())
                    .col(
                        ColumnDef::new(Opportunities::CloseReason)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::CloseNote)
                            .string_len(2000)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::LostToCompetitor)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(timestamp(Opportunities::CloseTime).null())
                    .col(timestamp(Opportunities::StageEnterTime).not_null())
                    .col(timestamp(Opportunities::CreateTime).not_null())
                    .col(timestamp(Opportunities::UpdateTime).not_null())
                    .col(ColumnDef::new(Opportunities::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Opportunities::Table, Opportunities::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Opportunities::Table, Opportunities::PipelineId)
                            .to(Pipelines::Table, Pipelines::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Opportunities::Table, Opportunities::OwnerStaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Opportunities::Table, Opportunities::StageOwnerStaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            Opportunities::Table,
            "ux_opportunities_external_id",
            [Opportunities::ExternalId],
        )
        .await?;
        for (name, columns) in [
            ("ix_opportunities_account", vec![Opportunities::AccountId]),
            (
                "ix_opportunities_pipeline_stage",
                vec![Opportunities::PipelineId, Opportunities::Stage],
            ),
            ("ix_opportunities_owner", vec![Opportunities::OwnerStaffId]),
            (
                "ix_opportunities_stage_owner",
                vec![Opportunities::StageOwnerStaffId],
            ),
            ("ix_opportunities_create_time", vec![Opportunities::CreateTime]),
            ("ix_opportunities_close_time", vec![Opportunities::CloseTime]),
            (
                "ix_opportunities_expected_close",
                vec![Opportunities::ExpectedCloseDate],
            ),
        ] {
            index(manager, Opportunities::Table, name, columns).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OpportunityStageChanges::Table)
                    .col(
                        ColumnDef::new(OpportunityStageChanges::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OpportunityStageChanges::OpportunityId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OpportunityStageChanges::FromStage)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OpportunityStageChanges::ToStage)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(OpportunityStageChanges::ChangeTime).not_null())
                    .col(
                        ColumnDef::new(OpportunityStageChanges::ChangedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OpportunityStageChanges::Reason)
                            .string_len(500)
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OpportunityStageChanges::Table,
                                OpportunityStageChanges::OpportunityId,
                            )
                            .to(Opportunities::Table, Opportunities::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            OpportunityStageChanges::Table,
            "ix_opportunity_stage_changes_opportunity",
            [
                OpportunityStageChanges::OpportunityId,
                OpportunityStageChanges::ChangeTime,
            ],
        )
        .await?;

        seed_default_pipeline(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OpportunityStageChanges::Table.into_iden(),
            Opportunities::Table.into_iden(),
            PipelineStages::Table.into_iden(),
            Pipelines::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn seed_default_pipeline(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let id = Uuid::from_u128(DEFAULT_PIPELINE_ID);
    let now = chrono::Utc::now();
    let pipeline = Query::insert()
        .into_table(Pipelines::Table)
        .columns([
            Pipelines::Id,
            Pipelines::DisplayName,
            Pipelines::QualificationStageKey,
            Pipelines::IsDefault,
            Pipelines::CreateTime,
            Pipelines::UpdateTime,
            Pipelines::Revision,
        ])
        .values_panic([
            id.into(),
            "Default pipeline".into(),
            "QUALIFIED".into(),
            true.into(),
            now.into(),
            now.into(),
            1i64.into(),
        ])
        .to_owned();
    db.execute(&pipeline).await?;
    for (position, (key, name, probability, category, stall, won, lost)) in DEFAULT_STAGES.iter().enumerate()
    {
        let stage = Query::insert()
            .into_table(PipelineStages::Table)
            .columns([
                PipelineStages::PipelineId,
                PipelineStages::Position,
                PipelineStages::Key,
                PipelineStages::DisplayName,
                PipelineStages::Probability,
                PipelineStages::ForecastCategory,
                PipelineStages::StallAfterDays,
                PipelineStages::ClosedWon,
                PipelineStages::ClosedLost,
            ])
            .values_panic([
                id.into(),
                (position as i32).into(),
                (*key).into(),
                (*name).into(),
                (*probability).into(),
                (*category).into(),
                (*stall).into(),
                (*won).into(),
                (*lost).into(),
            ])
            .to_owned();
        db.execute(&stage).await?;
    }
    Ok(())
}
