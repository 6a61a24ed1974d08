use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// A JSON array of event type names; empty: every type.
    pub event_types: Json,
    /// A JSON array of resource type names; empty: every type.
    pub resource_types: Json,
    pub account_id: Option<Uuid>,
    /// `whsec_…`.
    pub secret: String,
    pub enabled: bool,
    pub failing: bool,
    /// The feed position after the last event acknowledged.
    pub cursor_txid: i64,
    pub cursor_event_id: i64,
    pub failed_attempts: i32,
    pub first_failure_time: Option<DateTimeUtc>,
    pub next_attempt_time: Option<DateTimeUtc>,
    pub owner_staff_id: Uuid,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
