use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policy_escalation_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    /// 0-based order of the step in its policy.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// `AT_RISK` or `BREACHED`.
    pub trigger: String,
    /// `FIRST_RESPONSE`, `RESOLUTION`, or None for either.
    pub target: Option<String>,
    pub delay_minutes: i32,
    pub notify_assignee: bool,
    /// A JSON array of team role names.
    pub roles: Json,
    /// A JSON array of department codes.
    pub liaison_department_codes: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
