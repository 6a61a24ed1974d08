use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_cursor: String,
    pub event_type: String,
    pub attempt: i32,
    pub attempt_time: DateTimeUtc,
    /// 0: no answer.
    pub status_code: i32,
    pub latency_millis: i32,
    pub response_excerpt: String,
    pub error: String,
    pub acknowledged: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
