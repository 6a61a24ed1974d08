//! Column and index shorthands shared by the migrations.

use sea_orm_migration::prelude::*;

/// A UTC instant: `timestamptz` on PostgreSQL, ISO-8601 text on SQLite.
pub fn timestamp(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().to_owned()
}

pub async fn index<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    name: &str,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.to_owned()).await
}

pub async fn unique_index<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    name: &str,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.to_owned()).await
}
