use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_key_dates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: Uuid,
    /// Keeps the client's order of the dates.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i16,
    pub kind: String,
    pub label: String,
    /// 0 when the year is unknown.
    pub year: i32,
    pub month: i16,
    pub day: i16,
    /// Falls once, on its date, rather than every year.
    pub one_time: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
