//! The replicas serving the database, so that the limits each replica keeps in memory (the request
//! budget of each principal, the failed authentications of each client address) can hold for all of
//! them together: each replica counts the others alive here and grants its share of each budget. A
//! row is a replica and when it last said it was alive; it refreshes its row every few seconds and
//! deletes it when it stops. A replica that dies stops refreshing, and the others stop counting it.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServerReplicas {
    Table,
    Id,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerReplicas::Table)
                    // The id the replica holds job leases under (`job_leases.holder`), drawn at start.
                    .col(
                        ColumnDef::new(ServerReplicas::Id)
                            .string_len(100)
                            .not_null()
                            .primary_key(),
                    )
                    .col(timestamp(ServerReplicas::SeenAt).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerReplicas::Table).to_owned())
            .await
    }
}
