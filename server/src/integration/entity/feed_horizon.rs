use sea_orm::entity::prelude::*;

/// The one row saying through which feed position the outbox has been pruned (migration 000013).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_horizon")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The position (txid, event id) of the last event deleted; (0, 0) while none has been.
    pub txid: i64,
    pub event_id: i64,
    /// When the horizon last moved.
    pub prune_time: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
