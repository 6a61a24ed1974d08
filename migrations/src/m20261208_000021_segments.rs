//! Segments: industries and regions as two trees of codes, which accounts reference beside their free
//! text.
//!
//! - `segments` holds both trees (`kind` is `INDUSTRY` or `REGION`), keyed by kind and code.
//! - `segment_names` holds every name a segment answers to (its code, names and aliases) as a match
//!   key, unique per kind, so that free text matches one segment at most and a match is one lookup.
//! - `segment_closure` holds every ancestor-descendant pair (each segment is its own, at distance 0)
//!   with both depths: "this segment and everything below it" and "rolled up to depth N" are one join,
//!   the same SQL on both backends, where a recursive query would be needed per row.
//! - `segment_managers` names the staff responsible for a segment (a REGIONAL_MANAGER's regions).
//! - `accounts` gains `industry_code` and `region_code`.
//!
//! The industries start with the twenty sections of the national classification of economic activities.
//! The accounts' existing free text is classified where it matches (in Rust, with the server's own
//! match key, so that both backends agree on case); text that matches nothing stays as it is.

use std::collections::HashMap;

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, Statement, Value},
};

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Kind,
    Code,
    ParentCode,
    Name,
    NameZh,
    Aliases,
    Level,
    Depth,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum SegmentNames {
    Table,
    Kind,
    NameKey,
    Code,
}

#[derive(DeriveIden)]
enum SegmentClosure {
    Table,
    Kind,
    Ancestor,
    Descendant,
    AncestorDepth,
    DescendantDepth,
}

#[derive(DeriveIden)]
enum SegmentManagers {
    Table,
    Kind,
    Code,
    StaffId,
}

#[derive(Clone, DeriveIden)]
enum Accounts {
    Table,
    IndustryCode,
    RegionCode,
}

/// The sections of the national classification of economic activities (GB/T 4754-2017): code, English
/// name, Chinese name.
const INDUSTRY_SECTIONS: [(&str, &str, &str); 20] = [
    (
        "A",
        "Agriculture, forestry, animal husbandry and fishery",
        "农、林、牧、渔业",
    ),
    ("B", "Mining", "采矿业"),
    ("C", "Manufacturing", "制造业"),
    (
        "D",
        "Production and supply of electricity, heat, gas and water",
        "电力、热力、燃气及水生产和供应业",
    ),
    ("E", "Construction", "建筑业"),
    ("F", "Wholesale and retail trade", "批发和零售业"),
    (
        "G",
        "Transport, storage and postal services",
        "交通运输、仓储和邮政业",
    ),
    ("H", "Accommodation and catering", "住宿和餐饮业"),
    (
        "I",
        "Information transmission, software and information technology services",
        "信息传输、软件和信息技术服务业",
    ),
    ("J", "Finance", "金融业"),
    ("K", "Real estate", "房地产业"),
    ("L", "Leasing and business services", "租赁和商务服务业"),
    (
        "M",
        "Scientific research and technical services",
        "科学研究和技术服务业",
    ),
    (
        "N",
        "Water conservancy, environment and public facilities management",
        "水利、环境和公共设施管理业",
    ),
    (
        "O",
        "Resident services, repair and other services",
        "居民服务、修理和其他服务业",
    ),
    ("P", "Education", "教育"),
    ("Q", "Health and social work", "卫生和社会工作"),
    ("R", "Culture, sports and entertainment", "文化、体育和娱乐业"),
    (
        "S",
        "Public administration, social security and social organisations",
        "公共管理、社会保障和社会组织",
    ),
    ("T", "International organisations", "国际组织"),
];

/// The key free text is matched by: trimmed, lower case. The server's `segments::rules::match_key`
/// is the same function; a migration, once released, never changes, so it keeps its own copy.
fn match_key(text: &str) -> String {
    text.trim().to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager).await?;
        let db = manager.get_connection();
        let now = chrono::Utc::now();
        for (code, name, name_zh) in INDUSTRY_SECTIONS {
            db.execute(
                &Query::insert()
                    .into_table(Segments::Table)
                    .columns([
                        Segments::Kind,
                        Segments::Code,
                        Segments::Name,
                        Segments::NameZh,
                        Segments::Aliases,
                        Segments::Depth,
                        Segments::CreateTime,
                        Segments::UpdateTime,
                        Segments::Revision,
                    ])
                    .values_panic([
                        "INDUSTRY".into(),
                        code.into(),
                        name.into(),
                        name_zh.into(),
                        Expr::cust("'[]'"),
                        1.into(),
                        now.into(),
                        now.into(),
                        1i64.into(),
                    ])
                    .to_owned(),
            )
            .await?;
            for key in [code, name, name_zh].map(match_key) {
                db.execute(
                    &Query::insert()
                        .into_table(SegmentNames::Table)
                        .columns([SegmentNames::Kind, SegmentNames::NameKey, SegmentNames::Code])
                        .values_panic(["INDUSTRY".into(), key.into(), code.into()])
                        .to_owned(),
                )
                .await?;
            }
            db.execute(
                &Query::insert()
                    .into_table(SegmentClosure::Table)
                    .columns([
                        SegmentClosure::Kind,
                        SegmentClosure::Ancestor,
                        SegmentClosure::Descendant,
                        SegmentClosure::AncestorDepth,
                        SegmentClosure::DescendantDepth,
                    ])
                    .values_panic(["INDUSTRY".into(), code.into(), code.into(), 1.into(), 1.into()])
                    .to_owned(),
            )
            .await?;
        }
        classify_accounts(db, "INDUSTRY", "industry", Accounts::IndustryCode).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite refuses to drop a column an index names: the indexes go first.
        for name in ["accounts_by_industry_code", "accounts_by_region_code"] {
            manager
                .drop_index(Index::drop().name(name).table(Accounts::Table).to_owned())
                .await?;
        }
        for column in [Accounts::IndustryCode, Accounts::RegionCode] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            SegmentManagers::Table.into_iden(),
            SegmentClosure::Table.into_iden(),
            SegmentNames::Table.into_iden(),
            Segments::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn create_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Segments::Table)
                .col(ColumnDef::new(Segments::Kind).string_len(16).not_null())
                .col(ColumnDef::new(Segments::Code).string_len(32).not_null())
                .col(ColumnDef::new(Segments::ParentCode).string_len(32).null())
                .col(ColumnDef::new(Segments::Name).string_len(200).not_null())
                .col(ColumnDef::new(Segments::NameZh).string_len(200).not_null())
                .col(ColumnDef::new(Segments::Aliases).json_binary().not_null())
                .col(ColumnDef::new(Segments::Level).string_len(32).null())
                .col(ColumnDef::new(Segments::Depth).integer().not_null())
                .col(timestamp(Segments::CreateTime).not_null())
                .col(timestamp(Segments::UpdateTime).not_null())
                .col(ColumnDef::new(Segments::Revision).big_integer().not_null())
                .primary_key(Index::create().col(Segments::Kind).col(Segments::Code))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Segments::Table,
        "segments_by_parent",
        [Segments::Kind, Segments::ParentCode],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(SegmentNames::Table)
                .col(ColumnDef::new(SegmentNames::Kind).string_len(16).not_null())
                .col(ColumnDef::new(SegmentNames::NameKey).string_len(200).not_null())
                .col(ColumnDef::new(SegmentNames::Code).string_len(32).not_null())
                .primary_key(Index::create().col(SegmentNames::Kind).col(SegmentNames::NameKey))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        SegmentNames::Table,
        "segment_names_by_code",
        [SegmentNames::Kind, SegmentNames::Code],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(SegmentClosure::Table)
                .col(ColumnDef::new(SegmentClosure::Kind).string_len(16).not_null())
                .col(ColumnDef::new(SegmentClosure::Ancestor).string_len(32).not_null())
                .col(
                    ColumnDef::new(SegmentClosure::Descendant)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(SegmentClosure::AncestorDepth).integer().not_null())
                .col(
                    ColumnDef::new(SegmentClosure::DescendantDepth)
                        .integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SegmentClosure::Kind)
                        .col(SegmentClosure::Ancestor)
                        .col(SegmentClosure::Descendant),
                )
                .to_owned(),
        )
        .await?;
    index(
        manager,
        SegmentClosure::Table,
        "segment_closure_by_descendant",
        [SegmentClosure::Kind, SegmentClosure::Descendant],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(SegmentManagers::Table)
                .col(ColumnDef::new(SegmentManagers::Kind).string_len(16).not_null())
                .col(ColumnDef::new(SegmentManagers::Code).string_len(32).not_null())
                .col(ColumnDef::new(SegmentManagers::StaffId).uuid().not_null())
                .primary_key(
                    Index::create()
                        .col(SegmentManagers::Kind)
                        .col(SegmentManagers::Code)
                        .col(SegmentManagers::StaffId),
                )
                .to_owned(),
        )
        .await?;
    index(
        manager,
        SegmentManagers::Table,
        "segment_managers_by_staff",
        [SegmentManagers::StaffId],
    )
    .await?;
    for column in [Accounts::IndustryCode, Accounts::RegionCode] {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(ColumnDef::new(column).string_len(32).null())
                    .to_owned(),
            )
            .await?;
    }
    index(
        manager,
        Accounts::Table,
        "accounts_by_industry_code",
        [Accounts::IndustryCode],
    )
    .await?;
    index(
        manager,
        Accounts::Table,
        "accounts_by_region_code",
        [Accounts::RegionCode],
    )
    .await
}

/// Sets `code_column` of the accounts whose free text (`text_column`) matches a name of a segment of
/// `kind`: one update per distinct text that matches.
async fn classify_accounts(
    db: &impl ConnectionTrait,
    kind: &str,
    text_column: &str,
    code_column: Accounts,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut codes = HashMap::new();
    let names = Query::select()
        .columns([SegmentNames::NameKey, SegmentNames::Code])
        .from(SegmentNames::Table)
        .and_where(Expr::col(SegmentNames::Kind).eq(kind))
        .to_owned();
    for row in db.query_all(&names).await? {
        let key: String = row.try_get_by_index(0)?;
        let code: String = row.try_get_by_index(1)?;
        codes.insert(key, code);
    }
    let texts = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT DISTINCT {text_column} FROM accounts WHERE {text_column} <> ''"),
        ))
        .await?;
    for row in texts {
        let text: String = row.try_get_by_index(0)?;
        let Some(code) = codes.get(&match_key(&text)) else {
            continue;
        };
        let classify = Query::update()
            .table(Accounts::Table)
            .value(code_column.clone(), Value::from(code.clone()))
            .and_where(Expr::col(Alias::new(text_column)).eq(text))
            .to_owned();
        db.execute(&classify).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The migration over a database with accounts in it, on SQLite and (when `KAM_TEST_POSTGRES_URL`
    //! names a server) PostgreSQL: their free text is classified where it names a section, and the
    //! migration goes down and up again.

    use sea_orm::{Database, DatabaseConnection, Statement};
    use sea_orm_migration::{MigratorTrait, prelude::*};

    use super::{Accounts, match_key};
    use crate::Migrator;

    /// The migrations before this one.
    const BEFORE: u32 = 20;

    #[derive(DeriveIden)]
    enum Account {
        #[sea_orm(iden = "accounts")]
        Table,
        Id,
        DisplayName,
        LegalName,
        Industry,
        Region,
        Lifecycle,
        Tier,
        RelationshipStage,
        RadStatus,
        CreateTime,
        UpdateTime,
        Revision,
    }

    /// Free text as accounts held it before segments, and the code each should end with.
    const TEXTS: [(&str, Option<&str>); 6] = [
        ("manufacturing", Some("C")),
        ("  MANUFACTURING ", Some("C")),
        ("制造业", Some("C")),
        ("Finance", Some("J")),
        ("Widgets", None),
        ("", None),
    ];

    async fn insert_account(db: &DatabaseConnection, n: usize, industry: &str) {
        let now = chrono::Utc::now();
        let id = format!("00000000-0000-7000-8000-{n:012}");
        // Bound as the server binds its UUIDs: native on PostgreSQL, as SQLite's sqlx stores them.
        let id_value = Value::from(sea_orm::prelude::Uuid::parse_str(&id).expect("a UUID"));
        let insert = Query::insert()
            .into_table(Account::Table)
            .columns([
                Account::Id,
                Account::DisplayName,
                Account::LegalName,
                Account::Industry,
                Account::Region,
                Account::Lifecycle,
                Account::Tier,
                Account::RelationshipStage,
                Account::RadStatus,
                Account::CreateTime,
                Account::UpdateTime,
                Account::Revision,
            ])
            .values_panic([
                id_value.into(),
                format!("account {n}").into(),
                "".into(),
                industry.into(),
                "".into(),
                "ACTIVE".into(),
                "STANDARD".into(),
                "TRANSACTIONAL".into(),
                "ACQUIRE".into(),
                now.into(),
                now.into(),
                1i64.into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("insert an account");
    }

    async fn codes(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
        let select = Query::select()
            .columns([Alias::new("display_name"), Alias::new("industry_code")])
            .from(Account::Table)
            .order_by(Account::DisplayName, Order::Asc)
            .to_owned();
        db.query_all(&select)
            .await
            .expect("read the accounts")
            .into_iter()
            .map(|row| {
                (
                    row.try_get_by_index(0).expect("display_name"),
                    row.try_get_by_index(1).expect("industry_code"),
                )
            })
            .collect()
    }

    async fn classifies_the_accounts_that_existed(db: &DatabaseConnection) {
        Migrator::up(db, Some(BEFORE)).await.expect("migrate up to 20");
        for (n, (text, _)) in TEXTS.iter().enumerate() {
            insert_account(db, n, text).await;
        }
        Migrator::up(db, None).await.expect("migrate the rest");
        let expected: Vec<(String, Option<String>)> = TEXTS
            .iter()
            .enumerate()
            .map(|(n, (_, code))| (format!("account {n}"), code.map(str::to_owned)))
            .collect();
        assert_eq!(codes(db).await, expected);
        let free_text: Vec<String> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT industry FROM accounts ORDER BY display_name",
            ))
            .await
            .expect("read the free text")
            .into_iter()
            .map(|row| row.try_get_by_index(0).expect("industry"))
            .collect();
        let texts: Vec<String> = TEXTS.iter().map(|(text, _)| (*text).to_owned()).collect();
        assert_eq!(free_text, texts, "the free text stays as it was");

        // Down past this migration and up again: the columns go and come back, classified again.
        let applied = Migrator::get_applied_migrations(db).await.expect("applied").len() as u32;
        Migrator::down(db, Some(applied - BEFORE))
            .await
            .expect("migrate down");
        let dropped = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT industry_code FROM accounts",
            ))
            .await;
        assert!(dropped.is_err(), "down drops industry_code");
        Migrator::up(db, None).await.expect("migrate up again");
        assert_eq!(codes(db).await, expected);
        let _ = Accounts::IndustryCode;
    }

    #[test]
    fn match_keys_ignore_case_and_surrounding_space() {
        assert_eq!(match_key("  Manufacturing "), "manufacturing");
        assert_eq!(match_key("制造业"), "制造业");
    }

    #[tokio::test]
    async fn sqlite_accounts_before_segments_are_classified() {
        let db = Database::connect("sqlite::memory:")
            .await
            .expect("an in-memory SQLite");
        classifies_the_accounts_that_existed(&db).await;
    }

    #[tokio::test]
    async fn postgres_accounts_before_segments_are_classified() {
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
        let db = Database::connect(url.as_str())
            .await
            .expect("connect to the new database");
        classifies_the_accounts_that_existed(&db).await;
        db.close().await.expect("close");
        admin
            .execute_unprepared(&format!("DROP DATABASE {name}"))
            .await
            .expect("drop the database");
    }
}
