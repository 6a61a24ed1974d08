use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tier_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_tier: String,
    pub new_tier: String,
    /// `RANKING` or `OVERRIDE`.
    pub source: String,
    /// A `TierReason` name.
    pub reason: String,
    /// The override's reason; empty for a ranking.
    pub note: String,
    pub as_of: Option<DateTimeUtc>,
    pub revenue_currency: Option<String>,
    pub revenue_units: Option<i64>,
    pub revenue_nanos: Option<i32>,
    pub cumulative_share_ppm: Option<i64>,
    pub change_time: DateTimeUtc,
    pub changed_by: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
