//! The funnel's domain values: pipelines of stages and opportunities.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    named_enum,
    platform::{error::FieldViolation, money::Money, paging::Direction},
};

named_enum!(ForecastCategory {
    Pipeline = "PIPELINE",
    BestCase = "BEST_CASE",
    Commit = "COMMIT",
    Omitted = "OMITTED",
    Closed = "CLOSED",
});

named_enum!(Outcome { Won = "WON", Lost = "LOST" });

/// The fixed id of the seeded default pipeline (migration 000005).
pub const DEFAULT_PIPELINE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0100);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub key: String,
    pub display_name: String,
    pub probability: i32,
    pub forecast_category: ForecastCategory,
    pub stall_after_days: i32,
    pub closed_won: bool,
    pub closed_lost: bool,
}

impl Stage {
    pub fn is_open(&self) -> bool {
        !self.closed_won && !self.closed_lost
    }
}

/// What a client gives for a pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineFields {
    pub display_name: String,
    /// In order: the open stages, then the won and the lost stage.
    pub stages: Vec<Stage>,
    /// Empty: no stage needs MAN qualification.
    pub qualification_stage_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: Uuid,
    pub fields: PipelineFields,
    pub is_default: bool,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelinePatch {
    pub display_name: Option<String>,
    pub stages: Option<Vec<Stage>>,
    pub qualification_stage_key: Option<String>,
}

impl Pipeline {
    pub fn stages(&self) -> &[Stage] {
        &self.fields.stages
    }

    /// The stage named `key` and its position.
    pub fn stage(&self, key: &str) -> Option<(usize, &Stage)> {
        self.stages()
            .iter()
            .enumerate()
            .find(|(_, stage)| stage.key == key)
    }

    pub fn won_stage(&self) -> &Stage {
        self.stages()
            .iter()
            .find(|s| s.closed_won)
            .expect("a validated pipeline has a won stage")
    }

    pub fn lost_stage(&self) -> &Stage {
        self.stages()
            .iter()
            .find(|s| s.closed_lost)
            .expect("a validated pipeline has a lost stage")
    }

    pub fn first_open_stage(&self) -> &Stage {
        self.stages()
            .iter()
            .find(|s| s.is_open())
            .expect("a validated pipeline has an open stage")
    }

    /// Whether an opportunity in `key` must be MAN-qualified: the qualification stage, every later open
    /// stage, and the won stage.
    pub fn needs_qualification(&self, key: &str) -> bool {
        let Some((threshold, _)) = self.stage(&self.fields.qualification_stage_key) else {
            return false;
        };
        match self.stage(key) {
            Some((_, stage)) if stage.closed_lost => false,
            Some((_, stage)) if stage.closed_won => true,
            Some((position, _)) => position >= threshold,
            None => false,
        }
    }
}

/// MAN qualification: whether the contact has the Money, the Authority and the Need to buy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub budget: bool,
    pub authority: bool,
    pub need: bool,
}

impl Qualification {
    pub fn is_complete(&self) -> bool {
        self.budget && self.authority && self.need
    }

    /// The names of the flags still unconfirmed.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            (self.budget, "budget"),
            (self.authority, "authority"),
            (self.need, "need"),
        ]
        .into_iter()
        .filter(|(confirmed, _)| !confirmed)
        .map(|(_, name)| name)
        .collect()
    }
}

/// What a client sets on an opportunity (besides its account, pipeline and stage).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFields {
    pub external_id: Option<String>,
    pub display_name: String,
    pub amount: Option<Money>,
    pub expected_close_date: Option<NaiveDate>,
    pub probability_override: Option<i32>,
    pub forecast_category_override: Option<ForecastCategory>,
    pub owner_staff_id: Uuid,
    pub stage_owner_staff_id: Option<Uuid>,
    pub competitors: Vec<String>,
    pub source: String,
    pub next_step: String,
    pub qualification: Qualification,
}

/// An opportunity as the ERP sends it to an import: the deal's commercial facts. Its stage moves, MAN
/// qualification, forecast overrides and competitors are KAM's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpportunityRecord {
    pub external_id: String,
    pub account_external_id: String,
    pub display_name: String,
    pub amount: Option<Money>,
    pub expected_close_date: Option<NaiveDate>,
    /// The owner by their email in the staff directory.
    pub owner_email: String,
    /// The stage a new opportunity starts in (the default pipeline's first open one when `None`).
    pub stage: Option<String>,
    pub source: String,
    pub next_step: String,
}

/// A new opportunity as validated from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOpportunity {
    pub account_id: Uuid,
    pub pipeline_id: Option<Uuid>,
    pub stage: Option<String>,
    pub deal: DealFields,
}

/// The fields an update writes; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DealPatch {
    pub external_id: Option<Option<String>>,
    pub display_name: Option<String>,
    pub amount: Option<Option<Money>>,
    pub expected_close_date: Option<Option<NaiveDate>>,
    pub probability_override: Option<Option<i32>>,
    pub forecast_category_override: Option<Option<ForecastCategory>>,
    pub owner_staff_id: Option<Uuid>,
    pub stage_owner_staff_id: Option<Option<Uuid>>,
    pub competitors: Option<Vec<String>>,
    pub source: Option<String>,
    pub next_step: Option<String>,
    pub qualification: Option<Qualification>,
}

impl DealPatch {
    pub fn apply_to(&self, deal: &mut DealFields) {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if let Some(value) = &self.$field {
                    deal.$field = value.clone();
                }
            )*};
        }
        take!(
            external_id,
            display_name,
            amount,
            expected_close_date,
            probability_override,
            forecast_category_override,
            owner_staff_id,
            stage_owner_staff_id,
            competitors,
            source,
            next_step,
            qualification
        );
    }
}

/// How an opportunity ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub outcome: Outcome,
    pub reason: String,
    pub note: String,
    pub lost_to_competitor: String,
    pub time: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opportunity {
    pub id: Uuid,
    pub account_id: Uuid,
    pub pipeline_id: Uuid,
    pub stage: String,
    pub deal: DealFields,
    /// The effective probability and category: the overrides, else the stage's.
    pub probability: i32,
    pub forecast_category: ForecastCategory,
    pub closing: Option<Closing>,
    pub stage_enter_time: DateTime<Utc>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
    /// For each of `deal.competitors`, in order, the competitor the name is (filled by the store's reads).
    #[serde(default)]
    pub competitor_ids: Vec<Option<Uuid>>,
    /// The competitor the closing's `lost_to_competitor` is.
    #[serde(default)]
    pub lost_to_competitor_id: Option<Uuid>,
}

impl Opportunity {
    pub fn is_closed(&self) -> bool {
        self.closing.is_some()
    }
}

/// One stage change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageChange {
    pub id: Uuid,
    pub opportunity_id: Uuid,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub change_time: DateTime<Utc>,
    pub changed_by: Uuid,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpportunityFilter {
    pub account_id: Option<Uuid>,
    pub pipeline_id: Option<Uuid>,
    pub owner_staff_id: Option<Uuid>,
    pub stage: Option<String>,
    pub open_only: bool,
    pub query: Option<String>,
    /// Only the deals facing this competitor (by any of its names).
    pub competitor_id: Option<Uuid>,
    /// Only the deals of accounts in these segments.
    pub segments: crate::segments::model::SegmentFilter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpportunityOrder {
    /// Creation order (ids are UUIDv7).
    Id,
    CreateTime(Direction),
}

impl OpportunityOrder {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        match raw.trim() {
            "" => Ok(Self::Id),
            "create_time" => Ok(Self::CreateTime(Direction::Ascending)),
            "create_time desc" => Ok(Self::CreateTime(Direction::Descending)),
            other => Err(FieldViolation::new(
                "order_by",
                format!("unknown order {other:?}: use \"\", \"create_time\" or \"create_time desc\""),
            )),
        }
    }
}

/// What a client gives for a competitor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompetitorFields {
    pub name: String,
    pub aliases: Vec<String>,
    pub strengths: String,
    pub weaknesses: String,
    pub home_region_codes: Vec<String>,
    pub website: String,
}

impl CompetitorFields {
    /// The name and the aliases, the name first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A company deals are fought against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Competitor {
    pub id: Uuid,
    pub fields: CompetitorFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// The fields an update writes; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompetitorPatch {
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub strengths: Option<String>,
    pub weaknesses: Option<String>,
    pub home_region_codes: Option<Vec<String>>,
    pub website: Option<String>,
}

impl CompetitorPatch {
    pub fn apply_to(&self, fields: &mut CompetitorFields) {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if let Some(value) = &self.$field {
                    fields.$field = value.clone();
                }
            )*};
        }
        take!(name, aliases, strengths, weaknesses, home_region_codes, website);
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompetitorFilter {
    /// A case-insensitive substring of the name or an alias.
    pub query: Option<String>,
    /// At home in this region or one below it.
    pub region_code: Option<String>,
}

/// What GetCompetitorReport is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompetitorReportQuery {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub competitor_id: Option<Uuid>,
    pub top_accounts: u32,
    pub rollup_depth: i32,
    pub segments: crate::segments::model::SegmentFilter,
}
