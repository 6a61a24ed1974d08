use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_escalations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub service_request_id: Uuid,
    /// `FIRST_RESPONSE` or `RESOLUTION`.
    pub target: String,
    /// `AT_RISK` or `BREACHED`.
    pub trigger: String,
    pub step_index: i32,
    /// A JSON array of `{"staff_id": …, "reason": …}`.
    pub recipients: Json,
    pub escalate_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
