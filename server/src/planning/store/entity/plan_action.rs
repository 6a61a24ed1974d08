use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The plan's account, kept here so visibility and handover filter without a join.
    pub account_id: Uuid,
    pub title: String,
    pub description: String,
    pub owner_staff_id: Uuid,
    pub department_id: Uuid,
    pub due_date: Date,
    /// `OPEN`, `IN_PROGRESS`, `DONE` or `CANCELLED`.
    pub status: String,
    pub complete_time: Option<DateTimeUtc>,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
