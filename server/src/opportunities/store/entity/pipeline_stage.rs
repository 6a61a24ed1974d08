use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pipeline_stages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pipeline_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// 0-based order within the pipeline; the won and lost stages come last.
    pub position: i32,
    pub display_name: String,
    pub probability: i32,
    pub forecast_category: String,
    pub stall_after_days: i32,
    pub closed_won: bool,
    pub closed_lost: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
