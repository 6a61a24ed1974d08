use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    /// An `Interaction.Type` name.
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub occur_time: DateTimeUtc,
    pub summary: String,
    pub outcome: String,
    pub next_step: String,
    /// 1..=5, 0 when not rated.
    pub satisfaction: i32,
    pub logged_by: Uuid,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
