use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub external_id: Option<String>,
    pub account_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub category: String,
    /// `P1` … `P4`.
    pub priority: String,
    pub status: String,
    pub assignee_staff_id: Option<Uuid>,
    // The policy snapshot.
    pub policy_id: Uuid,
    /// How the policy was chosen: `MATCHED_ACCOUNT`, `MATCHED_TIER`, `MATCHED_DEFAULT`, `MATCHED_EXPLICIT`.
    pub policy_match: String,
    pub calendar_id: Uuid,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub warning_percent: i32,
    /// A JSON array of status names.
    pub pause_statuses: Json,
    pub sla_apply_time: DateTimeUtc,
    pub first_response_time: Option<DateTimeUtc>,
    /// When the current status began.
    pub status_time: DateTimeUtc,
    pub resolve_time: Option<DateTimeUtc>,
    pub close_time: Option<DateTimeUtc>,
    // Derived by every write from the clock (see `service_levels::rules::StoredSla`).
    pub first_response_due_time: DateTimeUtc,
    pub first_response_at_risk_time: DateTimeUtc,
    /// None while IN_PROGRESS or AT_RISK; else the state it keeps until the next write.
    pub first_response_settled_state: Option<String>,
    pub resolution_due_time: DateTimeUtc,
    pub resolution_at_risk_time: DateTimeUtc,
    pub resolution_settled_state: Option<String>,
    /// Business minutes counted until the target was fulfilled; None while unfulfilled.
    pub first_response_business_minutes: Option<i64>,
    pub resolution_business_minutes: Option<i64>,
    /// The state the breach monitor last recorded: `IN_PROGRESS`, `AT_RISK` or `BREACHED`.
    pub first_response_sla_state: String,
    pub resolution_sla_state: String,
    /// When the monitor should look at the request next; None when nothing can change by time alone.
    pub next_check_time: Option<DateTimeUtc>,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
