use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub staff_id: Uuid,
    pub role: String,
    pub is_department_liaison: bool,
    /// The person's department when the membership began.
    pub department_id: Uuid,
    pub start_time: DateTimeUtc,
    /// Unset while the membership is active.
    pub end_time: Option<DateTimeUtc>,
    pub end_reason: String,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
