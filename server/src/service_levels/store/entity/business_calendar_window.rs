use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_calendar_windows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub calendar_id: Uuid,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    #[sea_orm(primary_key, auto_increment = false)]
    pub weekday: i32,
    /// Minutes since local midnight; `end_minute` may be 1440 (24:00).
    #[sea_orm(primary_key, auto_increment = false)]
    pub start_minute: i32,
    pub end_minute: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
