use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_rounds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    /// The source system's key; unique.
    pub external_id: Option<String>,
    pub period_start: Date,
    pub period_end: Date,
    /// `period_end` as a month index, year × 12 + month − 1: the report's buckets.
    pub end_month: i32,
    pub respondent_contact_id: Option<Uuid>,
    pub respondent_name: String,
    /// A `FeedbackRound.Source` name.
    pub source: String,
    pub comment: String,
    pub recorded_by: Uuid,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
