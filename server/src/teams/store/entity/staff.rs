use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub full_name: String,
    /// Lower-cased, so the unique index is case-insensitive on both backends.
    pub email: String,
    pub department_id: Uuid,
    pub level: String,
    pub title: String,
    pub active: bool,
    pub max_accounts: i32,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
