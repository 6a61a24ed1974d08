//! The planning area's domain values.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    rules::health::Health,
    rules::plans::{
        ActionCounts, ActionStatus, Objective, PlanStatus, SwotKind, ThreatLevel, WhitespaceStatus,
    },
    rules::tiering::{MemberTier, Period, TierRanking, TierReason},
};
use crate::{
    accounts::{model::Tier, store::GroupMember},
    opportunities::store::OpenPipeline,
    platform::money::Money,
    service_levels::store::Compliance,
    teams::model::TeamRole,
};

crate::named_enum!(
    /// What changed a tier: a ranking (RecomputeTiers) or a manual override.
    TierChangeSource { Ranking = "RANKING", Override = "OVERRIDE" }
);

/// How an imported revenue record names its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountKey {
    Id(Uuid),
    /// The ERP's customer number.
    ExternalId(String),
}

/// A validated revenue record of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueRow {
    pub external_id: String,
    pub account: AccountKey,
    pub period: Period,
    pub amount: Money,
    /// The account's id and whether it is deleted, when read ahead of the batch's transaction; `None`:
    /// looked up in it.
    pub account_state: Option<(Uuid, bool)>,
}

/// A validated revenue record from the ERP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevenueFields {
    pub external_id: String,
    pub account_id: Uuid,
    pub period: Period,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevenueRecord {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: RevenueFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertOutcome {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueFilter {
    pub account_id: Option<Uuid>,
    pub from_period: Option<Period>,
    pub to_period: Option<Period>,
    /// Only the records of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// One month of an account's revenue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthTotal {
    pub period: Period,
    pub amount: Money,
    pub record_count: i64,
}

/// One row of a ranking, with what a reader needs besides the numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedAccount {
    pub ranking: TierRanking,
    pub display_name: String,
    /// Ranking by group: the group's other members (the row is the group, named by its top account).
    pub members: Vec<MemberTier>,
    /// Ranking within segments: the row's segment and where it stands there.
    pub segment: Option<SegmentPlace>,
}

impl RankedAccount {
    /// Whether the row's account or any of its members changes tier.
    pub fn changed(&self) -> bool {
        self.ranking.changed() || self.members.iter().any(MemberTier::changed)
    }
}

/// A row's segment (top level; empty code and name for the unclassified) and the tier and shares the
/// ranking gives it within that segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentPlace {
    pub code: String,
    pub name: String,
    pub tier: Tier,
    pub share_ppm: i64,
    pub cumulative_share_ppm: i64,
}

/// A whole ranking: every live account (or group), in rank order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierTable {
    pub as_of: DateTime<Utc>,
    pub applied: bool,
    pub currency: String,
    pub rows: Vec<RankedAccount>,
    /// Whether the rows are groups.
    pub ranks_groups: bool,
}

impl TierTable {
    pub fn total_revenue(&self) -> i128 {
        self.rows.iter().map(|r| r.ranking.revenue).sum()
    }

    /// Accounts whose tier changes, members of groups included.
    pub fn changed_count(&self) -> usize {
        self.rows
            .iter()
            .map(|r| usize::from(r.ranking.changed()) + r.members.iter().filter(|m| m.changed()).count())
            .sum()
    }

    /// Accounts ranked, members of groups included.
    pub fn account_count(&self) -> usize {
        self.rows.iter().map(|r| 1 + r.members.len()).sum()
    }
}

/// One account of a group summary, with what each area says of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMemberSummary {
    pub member: GroupMember,
    /// Trailing 12 months, as tier ranking counts them.
    pub revenue: i128,
    /// `None` for a deleted account.
    pub health: Option<Health>,
    pub missing_roles: Vec<TeamRole>,
    /// Department codes.
    pub missing_liaisons: Vec<String>,
}

/// A group company rolled up: the account asked for with every live account below it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSummary {
    pub account_id: Uuid,
    pub display_name: String,
    pub top_account_id: Uuid,
    pub members: Vec<GroupMemberSummary>,
    pub truncated: bool,
    /// All members: the trailing year and the year before, in billionths of the reporting currency.
    pub revenue: i128,
    pub previous_revenue: i128,
    /// Open opportunities of all members, per currency.
    pub pipeline: Vec<OpenPipeline>,
    /// SLA compliance of all members over the last 90 days.
    pub compliance: Compliance,
    /// The weakest member's score and level, each signal where it weighs most; `None` when no member
    /// is live.
    pub health: Option<Health>,
    pub members_missing_coverage: usize,
    /// Members per tier, STRATEGIC first (every tier).
    pub tiers: Vec<(Tier, usize)>,
    pub compute_time: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_tier: Tier,
    pub new_tier: Tier,
    pub source: TierChangeSource,
    pub reason: TierReason,
    pub note: String,
    pub as_of: Option<DateTime<Utc>>,
    pub revenue: Option<Money>,
    pub cumulative_share_ppm: Option<i64>,
    pub change_time: DateTime<Utc>,
    pub changed_by: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierOverrideRecord {
    pub account_id: Uuid,
    pub tier: Tier,
    pub reason: String,
    pub expire_time: Option<DateTime<Utc>>,
    pub set_by: Uuid,
    pub set_time: DateTime<Utc>,
}

/// One SWOT item of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwotItem {
    pub kind: SwotKind,
    pub text: String,
}

/// How a competitor stands at the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Competitor {
    pub name: String,
    pub estimated_share_percent: i32,
    pub strengths: String,
    pub weaknesses: String,
    pub threat_level: ThreatLevel,
    /// The competitor `name` is, never stored: a write may name the competitor by id (the store then
    /// records its name), and a read matches the name when the plan is read, as deals are matched.
    #[serde(skip)]
    pub competitor_id: Option<Uuid>,
}

/// One product line at the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhitespaceCell {
    pub product_line: String,
    pub status: WhitespaceStatus,
    pub estimated_value: Option<Money>,
}

/// What a plan says; everything but its account, status and times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFields {
    pub name: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub vision: String,
    pub revenue_target: Option<Money>,
    pub share_of_wallet_target_percent: i32,
    pub objectives: Vec<Objective>,
    pub swot: Vec<SwotItem>,
    pub competitors: Vec<Competitor>,
    pub whitespace: Vec<WhitespaceCell>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPlan {
    pub id: Uuid,
    pub account_id: Uuid,
    #[serde(flatten)]
    pub fields: PlanFields,
    pub status: PlanStatus,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub activate_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
    pub revision: i64,
}

/// The fields an update writes (`Some`), and the rest it leaves alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanPatch {
    pub name: Option<String>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub vision: Option<String>,
    pub revenue_target: Option<Option<Money>>,
    pub share_of_wallet_target_percent: Option<i32>,
    pub objectives: Option<Vec<Objective>>,
    pub swot: Option<Vec<SwotItem>>,
    pub competitors: Option<Vec<Competitor>>,
    pub whitespace: Option<Vec<WhitespaceCell>>,
}

impl PlanPatch {
    pub fn apply_to(&self, fields: &mut PlanFields) {
        let Self {
            name,
            period_start,
            period_end,
            vision,
            revenue_target,
            share_of_wallet_target_percent,
            objectives,
            swot,
            competitors,
            whitespace,
        } = self.clone();
        if let Some(v) = name {
            fields.name = v;
        }
        if let Some(v) = period_start {
            fields.period_start = v;
        }
        if let Some(v) = period_end {
            fields.period_end = v;
        }
        if let Some(v) = vision {
            fields.vision = v;
        }
        if let Some(v) = revenue_target {
            fields.revenue_target = v;
        }
        if let Some(v) = share_of_wallet_target_percent {
            fields.share_of_wallet_target_percent = v;
        }
        if let Some(v) = objectives {
            fields.objectives = v;
        }
        if let Some(v) = swot {
            fields.swot = v;
        }
        if let Some(v) = competitors {
            fields.competitors = v;
        }
        if let Some(v) = whitespace {
            fields.whitespace = v;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanFilter {
    pub account_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
    /// Only the plans of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// What an action says; its department defaults to the owner's when not given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionFields {
    pub title: String,
    pub description: String,
    pub owner_staff_id: Uuid,
    pub department_id: Option<Uuid>,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAction {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub account_id: Uuid,
    pub title: String,
    pub description: String,
    pub owner_staff_id: Uuid,
    pub department_id: Uuid,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub complete_time: Option<DateTime<Utc>>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_staff_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub status: Option<ActionStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub plan_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub owner_staff_id: Option<Uuid>,
    /// Open and due before this day.
    pub overdue_on: Option<NaiveDate>,
    pub status: Option<ActionStatus>,
    pub by_due_date: bool,
    /// Only the actions of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// How a plan is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scorecard {
    pub plan: AccountPlan,
    pub actions: ActionCounts,
    pub today: NaiveDate,
    /// Revenue booked for the account in the months of the plan's period.
    pub revenue_actual: Money,
}

crate::named_enum!(InteractionType {
    ExecutiveVisit = "EXECUTIVE_VISIT",
    SalesVisit = "SALES_VISIT",
    Call = "CALL",
    Training = "TRAINING",
    TechnicalSupport = "TECHNICAL_SUPPORT",
    CustomerForum = "CUSTOMER_FORUM",
    JointPromotion = "JOINT_PROMOTION",
    ProductTrial = "PRODUCT_TRIAL",
    CrossDepartmentReview = "CROSS_DEPARTMENT_REVIEW",
});

crate::named_enum!(CadenceKind {
    ExecutiveVisitDue = "EXECUTIVE_VISIT_DUE",
    AccountManagerTouchDue = "ACCOUNT_MANAGER_TOUCH_DUE",
});

/// What an interaction says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionFields {
    pub kind: InteractionType,
    pub occur_time: DateTime<Utc>,
    pub staff_ids: Vec<Uuid>,
    pub contact_ids: Vec<Uuid>,
    pub summary: String,
    pub outcome: String,
    pub next_step: String,
    /// 1..=5, 0 when not rated.
    pub satisfaction: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: Uuid,
    pub account_id: Uuid,
    #[serde(flatten)]
    pub fields: InteractionFields,
    pub logged_by: Uuid,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InteractionPatch {
    pub kind: Option<InteractionType>,
    pub occur_time: Option<DateTime<Utc>>,
    pub staff_ids: Option<Vec<Uuid>>,
    pub contact_ids: Option<Vec<Uuid>>,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    pub satisfaction: Option<i32>,
}

impl InteractionPatch {
    pub fn apply_to(&self, fields: &mut InteractionFields) {
        let Self {
            kind,
            occur_time,
            staff_ids,
            contact_ids,
            summary,
            outcome,
            next_step,
            satisfaction,
        } = self.clone();
        if let Some(v) = kind {
            fields.kind = v;
        }
        if let Some(v) = occur_time {
            fields.occur_time = v;
        }
        if let Some(v) = staff_ids {
            fields.staff_ids = v;
        }
        if let Some(v) = contact_ids {
            fields.contact_ids = v;
        }
        if let Some(v) = summary {
            fields.summary = v;
        }
        if let Some(v) = outcome {
            fields.outcome = v;
        }
        if let Some(v) = next_step {
            fields.next_step = v;
        }
        if let Some(v) = satisfaction {
            fields.satisfaction = v;
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InteractionFilter {
    pub account_id: Option<Uuid>,
    pub kind: Option<InteractionType>,
    pub staff_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only the interactions of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

/// An account whose cadence has fallen due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueCadence {
    pub account_id: Uuid,
    pub account_display_name: String,
    pub tier: crate::accounts::model::Tier,
    pub kind: CadenceKind,
    pub interval_days: u32,
    pub last_time: Option<DateTime<Utc>>,
    pub due_time: DateTime<Utc>,
    pub days_overdue: i64,
    pub account_manager: Option<Uuid>,
}

/// A contact's key date coming up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpcomingKeyDate {
    pub date: crate::accounts::store::OwnedKeyDate,
    pub next_occurrence: NaiveDate,
    pub days_until: i64,
    /// The years it marks on that day; 0 when the year is unknown or the date falls once.
    pub years: i32,
}

/// Everything to read before a visit to one account (GetAccountBrief), each part as its own read
/// gives it.
#[derive(Clone, Debug)]
pub struct AccountBrief {
    pub account: crate::accounts::model::Account,
    pub read_time: DateTime<Utc>,
    pub horizon_days: u32,
    /// The active seats, with the names of the people in them.
    pub team: Vec<(crate::teams::model::TeamMember, String)>,
    pub key_people: Vec<crate::accounts::model::Contact>,
    pub key_dates: Vec<UpcomingKeyDate>,
    pub open_opportunities: Vec<crate::opportunities::model::Opportunity>,
    pub open_service_requests: Vec<crate::service_levels::model::ServiceRequest>,
    /// `None` for a deleted account.
    pub health: Option<(
        crate::accounts::store::AccountSummary,
        super::rules::health::Health,
    )>,
    pub active_plans: Vec<AccountPlan>,
    pub actions_due: Vec<PlanAction>,
    pub recent_interactions: Vec<Interaction>,
    pub overdue_cadence: Vec<OverdueCadence>,
    pub revenue: RevenueTrend,
    /// The lists that held more than they show, by their wire names.
    pub truncated: Vec<&'static str>,
}

/// Revenue of the trailing year (as tier ranking counts it) against the year before, in billionths of
/// the reporting currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueTrend {
    pub from: Period,
    pub to: Period,
    pub trailing_year: i128,
    pub year_before: i128,
}

impl RevenueTrend {
    /// The change in percent, rounded toward zero; `None` when the year before had no revenue to
    /// compare with.
    pub fn change_percent(&self) -> Option<i32> {
        if self.year_before == 0 {
            return None;
        }
        let percent = (self.trailing_year - self.year_before) * 100 / self.year_before;
        Some(i32::try_from(percent).unwrap_or(if percent < 0 { i32::MIN } else { i32::MAX }))
    }
}
