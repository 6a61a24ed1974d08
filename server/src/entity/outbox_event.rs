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
    /// The resource after the change, in canonical proto3 JSON.
    pub payload: Json,
    /// The writing transaction's id on PostgreSQL (the column's default), 0 on SQLite: the feed's order
    /// (migration 000012).
    pub txid: i64,
    /// The account the event concerns, if any.
    pub account_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
