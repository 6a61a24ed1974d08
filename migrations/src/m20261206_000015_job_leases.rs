//! Background jobs take turns across replicas. Every replica runs the SLA monitor and the outbox
//! pruner; a job runs only while its replica holds the job's lease row: who holds it, until when, and
//! a fencing token that grows each time the lease changes hands (so a holder that paused past its
//! expiry can tell it lost the lease). A replica that dies stops renewing, and another takes the lease
//! once it has expired.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Job,
    Holder,
    ExpireTime,
    FencingToken,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    // e.g. `sla_monitor`, `outbox_pruner`.
                    .col(
                        ColumnDef::new(JobLeases::Job)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    // The replica holding it: an id each server process draws at start.
                    .col(ColumnDef::new(JobLeases::Holder).string_len(100).not_null())
                    .col(timestamp(JobLeases::ExpireTime).not_null())
                    .col(ColumnDef::new(JobLeases::FencingToken).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobLeases::Table).to_owned())
            .await
    }
}
