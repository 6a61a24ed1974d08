use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "watch_occurrences")]
pub struct Model {
    /// e.g. `KEY_DATE`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// Names the occurrence within its kind (a date and the year it falls in, say).
    #[sea_orm(primary_key, auto_increment = false)]
    pub occurrence_key: String,
    pub create_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
