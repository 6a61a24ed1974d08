//! Competitors as entities, owned by the opportunities area.
//!
//! - `competitors` holds the companies deals are fought against.
//! - `competitor_names` holds every name and alias of a competitor as a match key (trimmed, lower case),
//!   unique across competitors, so that a name is one competitor at most and a match is one lookup.
//! - `competitor_regions` holds each competitor's home regions, for the list's region filter.
//! - `opportunity_competitors` holds the names each deal faces, by match key (and as the deal spells
//!   them); `opportunities` gains `lost_to_competitor_key`, the match key of `lost_to_competitor`.
//!
//! Deals are matched to competitors at query time by joining match keys, so nothing needs resolving
//! again when a competitor or an alias is added, changed or deleted. Both are backfilled here from the
//! deals' existing names (in Rust, with the server's match key, a page of deals at a time).

use std::collections::HashSet;

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, JsonValue, Statement, Value, prelude::Uuid},
};

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Competitors {
    Table,
    Id,
    Name,
    Aliases,
    Strengths,
    Weaknesses,
    HomeRegionCodes,
    Website,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum CompetitorNames {
    Table,
    NameKey,
    CompetitorId,
}

#[derive(DeriveIden)]
enum CompetitorRegions {
    Table,
    CompetitorId,
    RegionCode,
}

#[derive(DeriveIden)]
enum OpportunityCompetitors {
    Table,
    OpportunityId,
    NameKey,
    Name,
}

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    LostToCompetitorKey,
}

/// Deals read per page of the backfill.
const PAGE: u64 = 1000;
/// Rows per insert statement (three values each, well within both backends' limits).
const ROWS_PER_INSERT: usize = 1000;

/// The match key of a competitor name: as `opportunities::rules::competitor_key` computes it.
fn match_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager).await?;
        let db = manager.get_connection();
        backfill_faced(db).await?;
        backfill_lost_to(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("opportunities_lost_to_competitor_key")
                    .table(Opportunities::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Opportunities::Table)
                    .drop_column(Opportunities::LostToCompetitorKey)
                    .to_owned(),
            )
            .await?;
        for table in [
            OpportunityCompetitors::Table.into_iden(),
            CompetitorRegions::Table.into_iden(),
            CompetitorNames::Table.into_iden(),
            Competitors::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn create_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Competitors as C;
    manager
        .create_table(
            Table::create()
                .table(C::Table)
                .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(C::Name).string().not_null())
                .col(ColumnDef::new(C::Aliases).json_binary().not_null())
                .col(ColumnDef::new(C::Strengths).text().not_null())
                .col(ColumnDef::new(C::Weaknesses).text().not_null())
                .col(ColumnDef::new(C::HomeRegionCodes).json_binary().not_null())
                .col(ColumnDef::new(C::Website).string().not_null())
                .col(timestamp(C::CreateTime).not_null())
                .col(timestamp(C::UpdateTime).not_null())
                .col(ColumnDef::new(C::Revision).big_integer().not_null())
                .to_owned(),
        )
        .await?;
    index(manager, C::Table, "competitors_name", [C::Name, C::Id]).await?;

    manager
        .create_table(
            Table::create()
                .table(CompetitorNames::Table)
                .col(
                    ColumnDef::new(CompetitorNames::NameKey)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(CompetitorNames::CompetitorId).uuid().not_null())
                .to_owned(),
        )
        .await?;
    index(
        manager,
        CompetitorNames::Table,
        "competitor_names_competitor",
        [CompetitorNames::CompetitorId],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(CompetitorRegions::Table)
                .col(ColumnDef::new(CompetitorRegions::CompetitorId).uuid().not_null())
                .col(ColumnDef::new(CompetitorRegions::RegionCode).string().not_null())
                .primary_key(
                    Index::create()
                        .col(CompetitorRegions::CompetitorId)
                        .col(CompetitorRegions::RegionCode),
                )
                .to_owned(),
        )
        .await?;
    index(
        manager,
        CompetitorRegions::Table,
        "competitor_regions_region",
        [CompetitorRegions::RegionCode],
    )
    .await?;

    use OpportunityCompetitors as O;
    manager
        .create_table(
            Table::create()
                .table(O::Table)
                .col(ColumnDef::new(O::OpportunityId).uuid().not_null())
                .col(ColumnDef::new(O::NameKey).string().not_null())
                .col(ColumnDef::new(O::Name).string().not_null())
                .primary_key(Index::create().col(O::OpportunityId).col(O::NameKey))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        O::Table,
        "opportunity_competitors_name_key",
        [O::NameKey, O::OpportunityId],
    )
    .await?;

    manager
        .alter_table(
            Table::alter()
                .table(Opportunities::Table)
                .add_column(ColumnDef::new(Opportunities::LostToCompetitorKey).string().null())
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Opportunities::Table,
        "opportunities_lost_to_competitor_key",
        [Opportunities::LostToCompetitorKey],
    )
    .await
}

/// One row of `opportunity_competitors` per distinct name key each deal's `competitors` holds (the
/// first spelling kept), the deals read a page at a time in id order.
async fn backfill_faced(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let placeholder = |n: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let mut after: Option<Uuid> = None;
    loop {
        let (text, values) = match after {
            None => (
                format!("SELECT id, competitors FROM opportunities ORDER BY id LIMIT {PAGE}"),
                vec![],
            ),
            Some(last) => (
                format!(
                    "SELECT id, competitors FROM opportunities WHERE id > {} ORDER BY id LIMIT {PAGE}",
                    placeholder(1)
                ),
                vec![Value::from(last)],
            ),
        };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(backend, text, values))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some(last.try_get_by_index(0)?);
        let count = rows.len() as u64;
        let mut faced: Vec<(Uuid, String, String)> = Vec::new();
        for row in rows {
            let id: Uuid = row.try_get_by_index(0)?;
            let names: Option<JsonValue> = row.try_get_by_index(1)?;
            let mut seen = HashSet::new();
            for name in names
                .as_ref()
                .and_then(JsonValue::as_array)
                .into_iter()
                .flatten()
                .filter_map(JsonValue::as_str)
            {
                let key = match_key(name);
                if !key.is_empty() && seen.insert(key.clone()) {
                    faced.push((id, key, name.trim().to_owned()));
                }
            }
        }
        for chunk in faced.chunks(ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert.into_table(OpportunityCompetitors::Table).columns([
                OpportunityCompetitors::OpportunityId,
                OpportunityCompetitors::NameKey,
                OpportunityCompetitors::Name,
            ]);
            for (id, key, name) in chunk {
                insert.values_panic([(*id).into(), key.clone().into(), name.clone().into()]);
            }
            db.execute(&insert).await?;
        }
        if count < PAGE {
            return Ok(());
        }
    }
}

/// `lost_to_competitor_key` of the deals lost to a named competitor: one update per distinct name.
async fn backfill_lost_to(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let names = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT DISTINCT lost_to_competitor FROM opportunities WHERE lost_to_competitor <> ''",
        ))
        .await?;
    for row in names {
        let name: String = row.try_get_by_index(0)?;
        let key = match_key(&name);
        if key.is_empty() {
            continue;
        }
        let update = Query::update()
            .table(Opportunities::Table)
            .value(Opportunities::LostToCompetitorKey, Value::from(key))
            .and_where(Expr::col(Alias::new("lost_to_competitor")).eq(name))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::{
        MigratorTrait,
        sea_orm::{
            ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, JsonValue,
            Statement, Value, prelude::Uuid,
        },
    };

    use super::match_key;
    use crate::Migrator;

    #[tokio::test]
    async fn sqlite_deals_before_competitors_keep_every_name() {
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.expect("connect");
        the_backfill_keeps_every_name_of_every_deal(&db, "PRAGMA foreign_keys = OFF").await;
    }

    #[tokio::test]
    async fn postgres_deals_before_competitors_keep_every_name() {
        let Ok(admin_url) = std::env::var("KAM_TEST_POSTGRES_URL") else {
            eprintln!("skipping postgres: KAM_TEST_POSTGRES_URL is not set");
            return;
        };
        let name = format!(
            "kam_migration_{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos()
        );
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a database");
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("KAM_TEST_POSTGRES_URL names no database"),
        };
        let mut options = ConnectOptions::new(url);
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options)
            .await
            .expect("connect to the new database");
        the_backfill_keeps_every_name_of_every_deal(&db, "SET session_replication_role = replica").await;
        db.close().await.expect("close");
        admin
            .execute_unprepared(&format!("DROP DATABASE {name}"))
            .await
            .expect("drop the database");
    }

    /// The deals stored before this migration keep every name: each distinct one they face becomes a
    /// row, and the lost-to name its key, whatever the case and surrounding space. `no_foreign_keys`
    /// lets deals be stored without their accounts, pipelines and owners.
    async fn the_backfill_keeps_every_name_of_every_deal(db: &DatabaseConnection, no_foreign_keys: &str) {
        // Migrations added later follow this one: count up to it, not from the end.
        let migrations = Migrator::migrations();
        let before = migrations
            .iter()
            .position(|migration| migration.name() == "m20261208_000022_competitors")
            .expect("this migration is registered") as u32;
        let from_this_one = migrations.len() as u32 - before;
        Migrator::up(db, Some(before))
            .await
            .expect("the migrations before");
        db.execute_unprepared(no_foreign_keys)
            .await
            .expect("no foreign keys");
        let backend = db.get_database_backend();
        let placeholders: Vec<String> = (1..=9)
            .map(|i| match backend {
                DatabaseBackend::Postgres => format!("${i}"),
                _ => "?".to_owned(),
            })
            .collect();
        let names = |names: &[&str]| {
            JsonValue::Array(names.iter().map(|n| JsonValue::String((*n).to_owned())).collect())
        };
        let deals = [
            (names(&["Acme", " ACME ", "Globex"]), "acme inc"),
            (names(&[]), ""),
            (names(&["Initech"]), ""),
        ];
        let mut ids = Vec::new();
        let other = Uuid::from_u128(0xfeed);
        for (n, (competitors, lost_to)) in deals.into_iter().enumerate() {
            let id = Uuid::from_u128(n as u128 + 1);
            ids.push(id);
            let now = chrono::Utc::now();
            let p = &placeholders;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                "INSERT INTO opportunities (id, account_id, pipeline_id, stage, display_name, owner_staff_id, \
                 competitors, source, next_step, budget_confirmed, authority_confirmed, need_confirmed, \
                 close_reason, close_note, lost_to_competitor, stage_enter_time, create_time, update_time, \
                 revision) VALUES ({0}, {1}, {2}, 'LEAD', 'Deal', {3}, {4}, '', '', false, false, false, '', '', \
                 {5}, {6}, {7}, {8}, 1)",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
                ),
                [
                    Value::from(id),
                    other.into(),
                    other.into(),
                    other.into(),
                    competitors.into(),
                    lost_to.into(),
                    now.into(),
                    now.into(),
                    now.into(),
                ],
            ))
            .await
            .expect("a deal stored before");
        }
        Migrator::up(db, None).await.expect("this migration");

        let faced = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT opportunity_id, name_key, name FROM opportunity_competitors \
                 ORDER BY opportunity_id, name_key",
            ))
            .await
            .expect("the faced names");
        let faced: Vec<(Uuid, String, String)> = faced
            .iter()
            .map(|row| {
                (
                    row.try_get_by_index(0).unwrap(),
                    row.try_get_by_index(1).unwrap(),
                    row.try_get_by_index(2).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            faced,
            [
                (ids[0], "acme".to_owned(), "Acme".to_owned()),
                (ids[0], "globex".to_owned(), "Globex".to_owned()),
                (ids[2], "initech".to_owned(), "Initech".to_owned()),
            ]
        );
        let keys = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT lost_to_competitor_key FROM opportunities ORDER BY id",
            ))
            .await
            .expect("the lost-to keys");
        let keys: Vec<Option<String>> = keys.iter().map(|row| row.try_get_by_index(0).unwrap()).collect();
        assert_eq!(keys, [Some("acme inc".to_owned()), None, None]);

        Migrator::down(db, Some(from_this_one)).await.expect("down");
        Migrator::up(db, None).await.expect("up again");
    }

    #[test]
    fn match_keys_ignore_case_and_surrounding_space() {
        assert_eq!(match_key("  ACME Corp "), "acme corp");
        assert_eq!(match_key("Ärger GmbH"), "ärger gmbh");
        assert_eq!(match_key("   "), "");
    }
}
