use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub external_id: Option<String>,
    pub account_id: Uuid,
    pub pipeline_id: Uuid,
    pub stage: String,
    pub display_name: String,
    /// The amount, when there is one: currency, whole units and billionths (same sign).
    pub amount_currency: Option<String>,
    pub amount_units: Option<i64>,
    pub amount_nanos: Option<i32>,
    pub expected_close_date: Option<Date>,
    pub probability_override: Option<i32>,
    pub forecast_category_override: Option<String>,
    pub owner_staff_id: Uuid,
    pub stage_owner_staff_id: Option<Uuid>,
    /// A JSON array of names.
    pub competitors: Json,
    pub source: String,
    pub next_step: String,
    pub budget_confirmed: bool,
    pub authority_confirmed: bool,
    pub need_confirmed: bool,
    /// `WON` or `LOST` once closed.
    pub outcome: Option<String>,
    pub close_reason: String,
    pub close_note: String,
    pub lost_to_competitor: String,
    /// The match key of `lost_to_competitor` (trimmed, lower case); None when it is empty.
    pub lost_to_competitor_key: Option<String>,
    pub close_time: Option<DateTimeUtc>,
    pub stage_enter_time: DateTimeUtc,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
