use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_calendar_holidays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub calendar_id: Uuid,
    /// A local date of the calendar's time zone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub holiday_date: Date,
    pub display_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
