use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub period_start: Date,
    pub period_end: Date,
    /// `DRAFT`, `ACTIVE` or `CLOSED`.
    pub status: String,
    pub vision: String,
    pub revenue_target_currency: Option<String>,
    pub revenue_target_units: Option<i64>,
    pub revenue_target_nanos: Option<i32>,
    pub share_of_wallet_target_percent: i32,
    /// JSON arrays, replaced as a whole.
    pub objectives: Json,
    pub swot: Json,
    pub competitors: Json,
    pub whitespace: Json,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub activate_time: Option<DateTimeUtc>,
    pub close_time: Option<DateTimeUtc>,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
