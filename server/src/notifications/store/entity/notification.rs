use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// UUIDv7: newest first is id order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub staff_id: Uuid,
    pub reason: String,
    pub event_type: String,
    pub account_id: Uuid,
    pub account_display_name: String,
    /// The event's payload as its canonical proto3 JSON.
    pub payload: Json,
    pub create_time: DateTimeUtc,
    pub read_time: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
