//! The funnel's read model, so that the analytics stay fast at millions of opportunities: the stays
//! (one row per finished stay in a stage, with its length) and each opportunity's furthest stage, both
//! derived from the stage history and backfilled from it here. The server keeps them with every stage
//! change from now on (`kam_server::opportunities::store::read_model`).

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    Id,
    FurthestStage,
}

#[derive(DeriveIden)]
enum OpportunityStays {
    Table,
    Id,
    OpportunityId,
    PipelineId,
    AccountId,
    Stage,
    LeaveTime,
    Seconds,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Opportunities::Table)
                    .add_column(ColumnDef::new(Opportunities::FurthestStage).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpportunityStays::Table)
                    // The id of the stage change that ended the stay.
                    .col(
                        ColumnDef::new(OpportunityStays::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OpportunityStays::OpportunityId).uuid().not_null())
                    .col(ColumnDef::new(OpportunityStays::PipelineId).uuid().not_null())
                    .col(ColumnDef::new(OpportunityStays::AccountId).uuid().not_null())
                    .col(ColumnDef::new(OpportunityStays::Stage).string_len(64).not_null())
                    .col(timestamp(OpportunityStays::LeaveTime).not_null())
                    .col(ColumnDef::new(OpportunityStays::Seconds).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(OpportunityStays::Table, OpportunityStays::OpportunityId)
                            .to(Opportunities::Table, Opportunities::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Velocity reads stays of one pipeline stage by stage in length order (the median is found by
        // its rank), filtered by account and end time: all of it in the index, no table access.
        index(
            manager,
            OpportunityStays::Table,
            "ix_opportunity_stays_velocity",
            [
                OpportunityStays::PipelineId,
                OpportunityStays::Stage,
                OpportunityStays::Seconds,
                OpportunityStays::AccountId,
                OpportunityStays::LeaveTime,
            ],
        )
        .await?;
        index(
            manager,
            OpportunityStays::Table,
            "ix_opportunity_stays_opportunity",
            [OpportunityStays::OpportunityId],
        )
        .await?;

        let db = manager.get_connection();
        let backend = db.get_database_backend();
        db.execute_raw(Statement::from_string(backend, backfill_stays(backend)))
            .await?;
        db.execute_raw(Statement::from_string(backend, BACKFILL_FURTHEST))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OpportunityStays::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Opportunities::Table)
                    .drop_column(Opportunities::FurthestStage)
                    .to_owned(),
            )
            .await
    }
}

/// Every stay that has ended: a change into a stage, up to the opportunity's next change.
fn backfill_stays(backend: DatabaseBackend) -> String {
    let seconds = match backend {
        DatabaseBackend::Postgres => "CAST(ROUND(EXTRACT(EPOCH FROM (leave_time - enter_time))) AS BIGINT)",
        _ => "CAST(ROUND((julianday(leave_time) - julianday(enter_time)) * 86400.0) AS INTEGER)",
    };
    format!(
        "INSERT INTO opportunity_stays \
         (id, opportunity_id, pipeline_id, account_id, stage, leave_time, seconds) \
         SELECT next_id, opportunity_id, pipeline_id, account_id, stage, leave_time, {seconds} \
         FROM (SELECT LEAD(c.id) OVER w AS next_id, c.opportunity_id, o.pipeline_id, o.account_id, \
         c.to_stage AS stage, c.change_time AS enter_time, LEAD(c.change_time) OVER w AS leave_time \
         FROM opportunity_stage_changes c JOIN opportunities o ON o.id = c.opportunity_id \
         WINDOW w AS (PARTITION BY c.opportunity_id ORDER BY c.change_time, c.id)) stays \
         WHERE next_id IS NOT NULL"
    )
}

/// The furthest stage each history reached, by pipeline position, the lost stage left out.
const BACKFILL_FURTHEST: &str = "UPDATE opportunities SET furthest_stage = \
     (SELECT hs.key FROM opportunity_stage_changes c \
     JOIN pipeline_stages hs ON hs.pipeline_id = opportunities.pipeline_id AND hs.key = c.to_stage \
     WHERE c.opportunity_id = opportunities.id AND hs.closed_lost = false \
     ORDER BY hs.position DESC LIMIT 1)";
