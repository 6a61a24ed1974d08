use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    /// e.g. `AccountCreated`.
    pub event_type: String,
    pub resource_type: String,
    pub resource_id: String,
    /// The canonical proto3 JSON of the payload message the event type declares (kam.v1 `Event`);
    /// before migration 000016 (`payload_version` 0), the server's own serialization of the resource.
    pub payload: Json,
    /// The writing transaction's id on PostgreSQL (the column's default), 0 on SQLite: the feed's order
    /// (migration 000012).
    pub txid: i64,
    /// The account the event concerns, if any.
    pub account_id: Option<Uuid>,
    /// 1: `payload` is the public proto3 JSON; 0: written before migration 000016.
    pub payload_version: i16,
    /// The paths the change wrote, a JSON array of strings.
    pub changed_fields: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
