//! Accounts get key dates too (a founding anniversary, a contract renewal, the customer's own annual
//! events), and a key date may fall once instead of every year.
//!
//! An account's key dates live in a JSON column of the account: at most 20, replaced as a whole, and
//! read with the account on every path (get, list, events, the change feed), so a column spares each of
//! those a second query. Contacts keep their table; it gains `one_time`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    KeyDates,
}

#[derive(DeriveIden)]
enum ContactKeyDates {
    Table,
    OneTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(
                        ColumnDef::new(Accounts::KeyDates)
                            .json_binary()
                            .not_null()
                            .default(Expr::cust("'[]'")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContactKeyDates::Table)
                    .add_column(
                        ColumnDef::new(ContactKeyDates::OneTime)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ContactKeyDates::Table)
                    .drop_column(ContactKeyDates::OneTime)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::KeyDates)
                    .to_owned(),
            )
            .await
    }
}
