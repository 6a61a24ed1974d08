//! The service-level area's domain values: calendars, policies, service requests and what the SLA clock
//! says about them. No I/O here and no wire types.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::service_levels::clock::{RequestStatus, SlaState, TargetKind};
use crate::{
    accounts::model::Tier,
    named_enum,
    platform::{error::FieldViolation, paging::Direction},
    service_levels::clock::{TargetStatus, WorkingWindow},
    teams::model::TeamRole,
};

named_enum!(
    /// How urgent a request is; P1 most.
    Priority { P1 = "P1", P2 = "P2", P3 = "P3", P4 = "P4" }
);

named_enum!(Category {
    Delivery = "DELIVERY",
    Installation = "INSTALLATION",
    Repair = "REPAIR",
    Training = "TRAINING",
    Complaint = "COMPLAINT",
    TechnicalQuestion = "TECHNICAL_QUESTION",
    Other = "OTHER",
});

named_enum!(
    /// What starts an escalation step.
    Trigger { AtRisk = "AT_RISK", Breached = "BREACHED" }
);

named_enum!(
    /// How a request's policy was chosen (stored by its proto name).
    PolicyMatch {
        Account = "MATCHED_ACCOUNT",
        Tier = "MATCHED_TIER",
        Default = "MATCHED_DEFAULT",
        Explicit = "MATCHED_EXPLICIT",
    }
);

/// The seeded calendars and policies (migration 000007).
pub const ALWAYS_OPEN_CALENDAR_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0300);
pub const OFFICE_HOURS_CALENDAR_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0301);
pub const DEFAULT_POLICY_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0310);
pub const STRATEGIC_POLICY_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0311);
pub const KEY_POLICY_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0312);

/// A warning percent when a new policy names none.
pub const DEFAULT_WARNING_PERCENT: u8 = 80;

// ----- calendars -----

/// One working window of one weekday, in minutes since local midnight (`end_minute` ≤ 1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayWindow {
    pub weekday: Weekday,
    pub start_minute: u16,
    pub end_minute: u16,
}

impl DayWindow {
    pub fn window(self) -> WorkingWindow {
        WorkingWindow::new(self.start_minute, self.end_minute)
    }

    /// Monday first, then by start.
    pub fn sort_key(self) -> (u32, u16, u16) {
        (
            self.weekday.num_days_from_monday(),
            self.start_minute,
            self.end_minute,
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub display_name: String,
}

/// What a client gives for a calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarFields {
    pub display_name: String,
    pub time_zone: String,
    pub always_open: bool,
    /// As given on input; ordered by weekday and start once stored.
    pub windows: Vec<DayWindow>,
    /// As given on input; in date order once stored.
    pub holidays: Vec<Holiday>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub id: Uuid,
    pub fields: CalendarFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarPatch {
    pub display_name: Option<String>,
    pub time_zone: Option<String>,
    pub always_open: Option<bool>,
    pub windows: Option<Vec<DayWindow>>,
    pub holidays: Option<Vec<Holiday>>,
}

impl CalendarPatch {
    pub fn apply_to(&self, fields: &mut CalendarFields) {
        let Self {
            display_name,
            time_zone,
            always_open,
            windows,
            holidays,
        } = self.clone();
        if let Some(v) = display_name {
            fields.display_name = v;
        }
        if let Some(v) = time_zone {
            fields.time_zone = v;
        }
        if let Some(v) = always_open {
            fields.always_open = v;
        }
        if let Some(v) = windows {
            fields.windows = v;
        }
        if let Some(v) = holidays {
            fields.holidays = v;
        }
    }
}

// ----- policies -----

/// Whom a policy applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyScope {
    Account(Uuid),
    Tier(Tier),
    Default,
}

impl PolicyScope {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Account(_) => "ACCOUNT",
            Self::Tier(_) => "TIER",
            Self::Default => "DEFAULT",
        }
    }

    /// Unique among policies (`ux_sla_policies_scope`).
    pub fn key(self) -> String {
        match self {
            Self::Account(id) => format!("ACCOUNT:{id}"),
            Self::Tier(tier) => format!("TIER:{}", tier.as_str()),
            Self::Default => "DEFAULT".to_owned(),
        }
    }

    pub fn account_id(self) -> Option<Uuid> {
        match self {
            Self::Account(id) => Some(id),
            _ => None,
        }
    }

    pub fn tier(self) -> Option<Tier> {
        match self {
            Self::Tier(tier) => Some(tier),
            _ => None,
        }
    }
}

/// The targets of one priority, in business minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityTargets {
    pub priority: Priority,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    pub trigger: Trigger,
    /// None: either target.
    pub target: Option<TargetKind>,
    pub delay_minutes: i32,
    pub notify_assignee: bool,
    pub roles: Vec<TeamRole>,
    pub liaison_department_codes: Vec<String>,
}

/// What a client gives for a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFields {
    pub display_name: String,
    pub scope: PolicyScope,
    pub calendar_id: Uuid,
    /// As given on input; one per priority, P1 first, once validated and stored.
    pub targets: Vec<PriorityTargets>,
    pub warning_percent: u8,
    /// A subset of the waiting statuses.
    pub pause_statuses: Vec<RequestStatus>,
    pub escalation_steps: Vec<EscalationStep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub id: Uuid,
    pub fields: PolicyFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

impl Policy {
    pub fn is_default(&self) -> bool {
        self.fields.scope == PolicyScope::Default
    }

    /// The targets of `priority`; every stored policy has all four.
    pub fn targets_for(&self, priority: Priority) -> Option<PriorityTargets> {
        self.fields
            .targets
            .iter()
            .copied()
            .find(|t| t.priority == priority)
    }
}

/// The fields an update writes; `None` leaves a field alone. The scope comes as its two parts, each
/// `Some(None)` when the mask clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyPatch {
    pub display_name: Option<String>,
    pub account_id: Option<Option<Uuid>>,
    pub tier: Option<Option<Tier>>,
    pub calendar_id: Option<Uuid>,
    pub targets: Option<Vec<PriorityTargets>>,
    pub warning_percent: Option<u8>,
    pub pause_statuses: Option<Vec<RequestStatus>>,
    pub escalation_steps: Option<Vec<EscalationStep>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyFilter {
    pub account_id: Option<Uuid>,
    pub tier: Option<Tier>,
}

// ----- service requests -----

/// What a client sets on a request besides its account and priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFields {
    pub external_id: Option<String>,
    pub contact_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub assignee_staff_id: Option<Uuid>,
}

/// A service request as the ERP sends it to an import: the ticket's content. Its status, first response
/// and SLA are KAM's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub external_id: String,
    pub account_external_id: String,
    pub contact_external_id: Option<String>,
    pub title: String,
    pub description: String,
    pub category: Category,
    /// A new request's priority.
    pub priority: Priority,
    /// The assignee by their email in the staff directory.
    pub assignee_email: Option<String>,
    /// When the ERP opened a new request; `None`: when it is imported.
    pub open_time: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    pub account_id: Uuid,
    pub priority: Priority,
    pub fields: RequestFields,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestPatch {
    pub external_id: Option<Option<String>>,
    pub contact_id: Option<Option<Uuid>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub assignee_staff_id: Option<Option<Uuid>>,
}

impl RequestPatch {
    pub fn apply_to(&self, fields: &mut RequestFields) {
        let Self {
            external_id,
            contact_id,
            title,
            description,
            category,
            assignee_staff_id,
        } = self.clone();
        if let Some(v) = external_id {
            fields.external_id = v;
        }
        if let Some(v) = contact_id {
            fields.contact_id = v;
        }
        if let Some(v) = title {
            fields.title = v;
        }
        if let Some(v) = description {
            fields.description = v;
        }
        if let Some(v) = category {
            fields.category = v;
        }
        if let Some(v) = assignee_staff_id {
            fields.assignee_staff_id = v;
        }
    }
}

/// The policy targets a request was given, snapshotted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedSla {
    pub policy_id: Uuid,
    pub policy_match: PolicyMatch,
    pub calendar_id: Uuid,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub warning_percent: u8,
    pub pause_statuses: Vec<RequestStatus>,
    pub apply_time: DateTime<Utc>,
}

/// One target as the clock sees it at the time of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    pub state: SlaState,
    pub due_time: DateTime<Utc>,
    pub at_risk_time: DateTime<Utc>,
    pub elapsed_business_minutes: i64,
    pub paused_business_minutes: i64,
    pub target_minutes: i32,
    pub fulfilled_time: Option<DateTime<Utc>>,
}

impl TargetView {
    pub fn new(status: &TargetStatus, target_minutes: i32) -> Self {
        Self {
            state: status.state,
            due_time: status.due_time,
            at_risk_time: status.at_risk_time,
            elapsed_business_minutes: status.elapsed.num_minutes(),
            paused_business_minutes: status.paused.num_minutes(),
            target_minutes,
            fulfilled_time: status.fulfilled_time,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRequest {
    pub id: Uuid,
    pub account_id: Uuid,
    pub priority: Priority,
    pub status: RequestStatus,
    pub fields: RequestFields,
    pub sla: AppliedSla,
    pub first_response: TargetView,
    pub resolution: TargetView,
    pub first_response_time: Option<DateTime<Utc>>,
    pub status_time: DateTime<Utc>,
    pub resolve_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// One status change of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub id: Uuid,
    pub service_request_id: Uuid,
    /// None for the creation.
    pub from_status: Option<RequestStatus>,
    pub to_status: RequestStatus,
    pub change_time: DateTime<Utc>,
    pub changed_by: Uuid,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub staff_id: Uuid,
    pub reason: String,
}

/// One escalation step run on one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub id: Uuid,
    pub service_request_id: Uuid,
    pub target: TargetKind,
    pub trigger: Trigger,
    pub step_index: i32,
    pub recipients: Vec<Recipient>,
    pub escalate_time: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    pub account_id: Option<Uuid>,
    pub assignee_staff_id: Option<Uuid>,
    pub status: Option<RequestStatus>,
    pub open_only: bool,
    pub priority: Option<Priority>,
    pub category: Option<Category>,
    pub sla_state: Option<SlaState>,
    /// None: either target.
    pub sla_target: Option<TargetKind>,
    pub due_before: Option<DateTime<Utc>>,
    pub query: Option<String>,
    /// Only the requests of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestOrder {
    /// Creation order (ids are UUIDv7).
    Id,
    CreateTime(Direction),
    /// Soonest due first.
    ResolutionDue,
    FirstResponseDue,
}

impl RequestOrder {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        match raw.trim() {
            "" => Ok(Self::Id),
            "create_time" => Ok(Self::CreateTime(Direction::Ascending)),
            "create_time desc" => Ok(Self::CreateTime(Direction::Descending)),
            "resolution_due_time" => Ok(Self::ResolutionDue),
            "first_response_due_time" => Ok(Self::FirstResponseDue),
            other => Err(FieldViolation::new(
                "order_by",
                format!(
                    "unknown order {other:?}: use \"\", \"create_time\", \"create_time desc\", \
                     \"resolution_due_time\" or \"first_response_due_time\""
                ),
            )),
        }
    }
}
