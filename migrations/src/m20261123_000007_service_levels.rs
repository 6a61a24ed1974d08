//! Service levels: business calendars with their working windows and holidays, SLA policies
//! with per-priority targets, pause statuses and escalation steps, service requests with their policy
//! snapshot and status history, and the escalations the breach monitor records.
//!
//! Seeded, with fixed ids so every installation agrees on them:
//! - calendars: "24x7" (`…0300`, always open, UTC) and "Office hours" (`…0301`, Monday–Friday
//!   08:00–18:00 UTC, no holidays);
//! - policies (first response / resolution, business minutes), each warning at 80 %, pausing in both
//!   WAITING_ON_* statuses, and escalating at risk → assignee, breached → CUSTOMER_SERVICE liaison and
//!   ACCOUNT_MANAGER, still breached after the delay → EXECUTIVE_SPONSOR:
//!
//! | policy | id | calendar | P1 | P2 | P3 | P4 | sponsor after |
//! |---|---|---|---|---|---|---|---|
//! | Default | `…0310` | Office hours | 120 / 960 | 240 / 1440 | 480 / 2880 | 960 / 4800 | 240 |
//! | Strategic accounts (tier STRATEGIC) | `…0311` | 24x7 | 30 / 240 | 60 / 480 | 120 / 1440 | 240 / 2880 | 30 |
//! | Key accounts (tier KEY) | `…0312` | Office hours | 60 / 480 | 120 / 960 | 240 / 1440 | 480 / 2880 | 60 |
//!
//! Service requests carry, besides their data, what the clock needs without reading the policy again
//! (the snapshot) and what lets SQL filter and scan by SLA state: per target the due and at-risk times
//! and the *settled* state as of the last write (NULL while IN_PROGRESS or AT_RISK), the state the monitor
//! last *recorded* (compare-and-set), and `next_check_time`, indexed for the monitor's scan.

use sea_orm::{ConnectionTrait, JsonValue, prelude::Uuid};
use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BusinessCalendars {
    Table,
    Id,
    DisplayName,
    TimeZone,
    AlwaysOpen,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum BusinessCalendarWindows {
    Table,
    CalendarId,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    Weekday,
    StartMinute,
    EndMinute,
}

#[derive(DeriveIden)]
enum BusinessCalendarHolidays {
    Table,
    CalendarId,
    HolidayDate,
    DisplayName,
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    Id,
    DisplayName,
    /// ACCOUNT, TIER or DEFAULT.
    ScopeKind,
    AccountId,
    Tier,
    /// `ACCOUNT:<uuid>`, `TIER:<tier>` or `DEFAULT`, unique: one policy per scope.
    ScopeKey,
    CalendarId,
    WarningPercent,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum SlaPolicyTargets {
    Table,
    PolicyId,
    Priority,
    FirstResponseMinutes,
    ResolutionMinutes,
}

#[derive(DeriveIden)]
enum SlaPolicyPauseStatuses {
    Table,
    PolicyId,
    Status,
}

#[derive(DeriveIden)]
enum SlaPolicyEscalationSteps {
    Table,
    PolicyId,
    Position,
    Trigger,
    /// NULL: either target.
    Target,
    DelayMinutes,
    NotifyAssignee,
    /// JSON arrays of names.
    Roles,
    LiaisonDepartmentCodes,
}

#[derive(DeriveIden)]
enum ServiceRequests {
    Table,
    Id,
    ExternalId,
    AccountId,
    ContactId,
    Title,
    Description,
    Category,
    Priority,
    Status,
    AssigneeStaffId,
    PolicyId,
    PolicyMatch,
    CalendarId,
    FirstResponseMinutes,
    ResolutionMinutes,
    WarningPercent,
    PauseStatuses,
    SlaApplyTime,
    FirstResponseTime,
    StatusTime,
    ResolveTime,
    CloseTime,
    FirstResponseDueTime,
    FirstResponseAtRiskTime,
    FirstResponseSettledState,
    ResolutionDueTime,
    ResolutionAtRiskTime,
    ResolutionSettledState,
    FirstResponseBusinessMinutes,
    ResolutionBusinessMinutes,
    FirstResponseSlaState,
    ResolutionSlaState,
    NextCheckTime,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum ServiceRequestStatusChanges {
    Table,
    Id,
    ServiceRequestId,
    FromStatus,
    ToStatus,
    ChangeTime,
    ChangedBy,
    Note,
}

#[derive(DeriveIden)]
enum SlaEscalations {
    Table,
    Id,
    ServiceRequestId,
    Target,
    Trigger,
    StepIndex,
    Recipients,
    EscalateTime,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

const ALWAYS_OPEN_CALENDAR_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0300;
const OFFICE_HOURS_CALENDAR_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0301;
const DEFAULT_POLICY_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0310;
const STRATEGIC_POLICY_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0311;
const KEY_POLICY_ID: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0312;

/// One seeded policy: id, name, scope kind, tier, scope key, calendar, targets P1..P4 as (first
/// response, resolution), and the delay of the executive-sponsor step.
struct SeedPolicy {
    id: u128,
    name: &'static str,
    scope_kind: &'static str,
    tier: Option<&'static str>,
    scope_key: &'static str,
    calendar: u128,
    targets: [(i32, i32); 4],
    sponsor_delay: i32,
}

/// One seeded escalation step: trigger, delay, notify the assignee, roles, liaison departments.
type SeedStep = (
    &'static str,
    i32,
    bool,
    &'static [&'static str],
    &'static [&'static str],
);

const SEED_POLICIES: &[SeedPolicy] = &[
    SeedPolicy {
        id: DEFAULT_POLICY_ID,
        name: "Default",
        scope_kind: "DEFAULT",
        tier: None,
        scope_key: "DEFAULT",
        calendar: OFFICE_HOURS_CALENDAR_ID,
        targets: [(120, 960), (240, 1440), (480, 2880), (960, 4800)],
        sponsor_delay: 240,
    },
    SeedPolicy {
        id: STRATEGIC_POLICY_ID,
        name: "Strategic accounts",
        scope_kind: "TIER",
        tier: Some("STRATEGIC"),
        scope_key: "TIER:STRATEGIC",
        calendar: ALWAYS_OPEN_CALENDAR_ID,
        targets: [(30, 240), (60, 480), (120, 1440), (240, 2880)],
        sponsor_delay: 30,
    },
    SeedPolicy {
        id: KEY_POLICY_ID,
        name: "Key accounts",
        scope_kind: "TIER",
        tier: Some("KEY"),
        scope_key: "TIER:KEY",
        calendar: OFFICE_HOURS_CALENDAR_ID,
        targets: [(60, 480), (120, 960), (240, 1440), (480, 2880)],
        sponsor_delay: 60,
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_calendars(manager).await?;
        create_policies(manager).await?;
        create_requests(manager).await?;
        seed(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SlaEscalations::Table.into_iden(),
            ServiceRequestStatusChanges::Table.into_iden(),
            ServiceRequests::Table.into_iden(),
            SlaPolicyEscalationSteps::Table.into_iden(),
            SlaPolicyPauseStatuses::Table.into_iden(),
            SlaPolicyTargets::Table.into_iden(),
            SlaPolicies::Table.into_iden(),
            BusinessCalendarHolidays::Table.into_iden(),
            BusinessCalendarWindows::Table.into_iden(),
            BusinessCalendars::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn create_calendars(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(BusinessCalendars::Table)
                .col(
                    ColumnDef::new(BusinessCalendars::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(BusinessCalendars::DisplayName)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendars::TimeZone)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(BusinessCalendars::AlwaysOpen).boolean().not_null())
                .col(timestamp(BusinessCalendars::CreateTime).not_null())
                .col(timestamp(BusinessCalendars::UpdateTime).not_null())
                .col(
                    ColumnDef::new(BusinessCalendars::Revision)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(BusinessCalendarWindows::Table)
                .col(
                    ColumnDef::new(BusinessCalendarWindows::CalendarId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendarWindows::Weekday)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendarWindows::StartMinute)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendarWindows::EndMinute)
                        .integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(BusinessCalendarWindows::CalendarId)
                        .col(BusinessCalendarWindows::Weekday)
                        .col(BusinessCalendarWindows::StartMinute),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            BusinessCalendarWindows::Table,
                            BusinessCalendarWindows::CalendarId,
                        )
                        .to(BusinessCalendars::Table, BusinessCalendars::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(BusinessCalendarHolidays::Table)
                .col(
                    ColumnDef::new(BusinessCalendarHolidays::CalendarId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendarHolidays::HolidayDate)
                        .date()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(BusinessCalendarHolidays::DisplayName)
                        .string_len(100)
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(BusinessCalendarHolidays::CalendarId)
                        .col(BusinessCalendarHolidays::HolidayDate),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            BusinessCalendarHolidays::Table,
                            BusinessCalendarHolidays::CalendarId,
                        )
                        .to(BusinessCalendars::Table, BusinessCalendars::Id),
                )
                .to_owned(),
        )
        .await
}

async fn create_policies(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SlaPolicies::Table)
                .col(ColumnDef::new(SlaPolicies::Id).uuid().not_null().primary_key())
                .col(
                    ColumnDef::new(SlaPolicies::DisplayName)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(SlaPolicies::ScopeKind).string_len(16).not_null())
                .col(ColumnDef::new(SlaPolicies::AccountId).uuid().null())
                .col(ColumnDef::new(SlaPolicies::Tier).string_len(32).null())
                .col(ColumnDef::new(SlaPolicies::ScopeKey).string_len(64).not_null())
                .col(ColumnDef::new(SlaPolicies::CalendarId).uuid().not_null())
                .col(ColumnDef::new(SlaPolicies::WarningPercent).integer().not_null())
                .col(timestamp(SlaPolicies::CreateTime).not_null())
                .col(timestamp(SlaPolicies::UpdateTime).not_null())
                .col(ColumnDef::new(SlaPolicies::Revision).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(SlaPolicies::Table, SlaPolicies::AccountId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SlaPolicies::Table, SlaPolicies::CalendarId)
                        .to(BusinessCalendars::Table, BusinessCalendars::Id),
                )
                .to_owned(),
        )
        .await?;
    // One policy per account, per tier, and one default: concurrent creates cannot both commit.
    unique_index(
        manager,
        SlaPolicies::Table,
        "ux_sla_policies_scope",
        [SlaPolicies::ScopeKey],
    )
    .await?;
    index(
        manager,
        SlaPolicies::Table,
        "ix_sla_policies_calendar",
        [SlaPolicies::CalendarId],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(SlaPolicyTargets::Table)
                .col(ColumnDef::new(SlaPolicyTargets::PolicyId).uuid().not_null())
                .col(
                    ColumnDef::new(SlaPolicyTargets::Priority)
                        .string_len(8)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyTargets::FirstResponseMinutes)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyTargets::ResolutionMinutes)
                        .integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SlaPolicyTargets::PolicyId)
                        .col(SlaPolicyTargets::Priority),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SlaPolicyTargets::Table, SlaPolicyTargets::PolicyId)
                        .to(SlaPolicies::Table, SlaPolicies::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(SlaPolicyPauseStatuses::Table)
                .col(ColumnDef::new(SlaPolicyPauseStatuses::PolicyId).uuid().not_null())
                .col(
                    ColumnDef::new(SlaPolicyPauseStatuses::Status)
                        .string_len(32)
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SlaPolicyPauseStatuses::PolicyId)
                        .col(SlaPolicyPauseStatuses::Status),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SlaPolicyPauseStatuses::Table, SlaPolicyPauseStatuses::PolicyId)
                        .to(SlaPolicies::Table, SlaPolicies::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(SlaPolicyEscalationSteps::Table)
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::PolicyId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::Position)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::Trigger)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::Target)
                        .string_len(32)
                        .null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::DelayMinutes)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::NotifyAssignee)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::Roles)
                        .json_binary()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SlaPolicyEscalationSteps::LiaisonDepartmentCodes)
                        .json_binary()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SlaPolicyEscalationSteps::PolicyId)
                        .col(SlaPolicyEscalationSteps::Position),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SlaPolicyEscalationSteps::Table,
                            SlaPolicyEscalationSteps::PolicyId,
                        )
                        .to(SlaPolicies::Table, SlaPolicies::Id),
                )
                .to_owned(),
        )
        .await
}

async fn create_requests(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use ServiceRequests as R;
    manager
        .create_table(
            Table::create()
                .table(R::Table)
                .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(R::ExternalId).string_len(128).null())
                .col(ColumnDef::new(R::AccountId).uuid().not_null())
                // No foreign key: contacts are deleted for good (personal data); the request keeps the id.
                .col(ColumnDef::new(R::ContactId).uuid().null())
                .col(ColumnDef::new(R::Title).string_len(200).not_null())
                .col(ColumnDef::new(R::Description).text().not_null())
                .col(ColumnDef::new(R::Category).string_len(32).not_null())
                .col(ColumnDef::new(R::Priority).string_len(8).not_null())
                .col(ColumnDef::new(R::Status).string_len(32).not_null())
                .col(ColumnDef::new(R::AssigneeStaffId).uuid().null())
                // The snapshot. No foreign key to the policy: a deleted policy's requests keep its id.
                .col(ColumnDef::new(R::PolicyId).uuid().not_null())
                .col(ColumnDef::new(R::PolicyMatch).string_len(32).not_null())
                .col(ColumnDef::new(R::CalendarId).uuid().not_null())
                .col(ColumnDef::new(R::FirstResponseMinutes).integer().not_null())
                .col(ColumnDef::new(R::ResolutionMinutes).integer().not_null())
                .col(ColumnDef::new(R::WarningPercent).integer().not_null())
                .col(ColumnDef::new(R::PauseStatuses).json_binary().not_null())
                .col(timestamp(R::SlaApplyTime).not_null())
                .col(timestamp(R::FirstResponseTime).null())
                .col(timestamp(R::StatusTime).not_null())
                .col(timestamp(R::ResolveTime).null())
                .col(timestamp(R::CloseTime).null())
                // What SQL filters and the monitor read, recomputed by every write.
                .col(timestamp(R::FirstResponseDueTime).not_null())
                .col(timestamp(R::FirstResponseAtRiskTime).not_null())
                .col(ColumnDef::new(R::FirstResponseSettledState).string_len(16).null())
                .col(timestamp(R::ResolutionDueTime).not_null())
                .col(timestamp(R::ResolutionAtRiskTime).not_null())
                .col(ColumnDef::new(R::ResolutionSettledState).string_len(16).null())
                // Business minutes counted until the target was fulfilled (NULL while unfulfilled): what
                // the compliance report averages without running the clock.
                .col(
                    ColumnDef::new(R::FirstResponseBusinessMinutes)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(R::ResolutionBusinessMinutes).big_integer().null())
                // What the monitor recorded last (compare-and-set): IN_PROGRESS, AT_RISK or BREACHED.
                .col(ColumnDef::new(R::FirstResponseSlaState).string_len(16).not_null())
                .col(ColumnDef::new(R::ResolutionSlaState).string_len(16).not_null())
                .col(timestamp(R::NextCheckTime).null())
                .col(timestamp(R::CreateTime).not_null())
                .col(timestamp(R::UpdateTime).not_null())
                .col(ColumnDef::new(R::Revision).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(R::Table, R::AccountId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(R::Table, R::AssigneeStaffId)
                        .to(Staff::Table, Staff::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(R::Table, R::CalendarId)
                        .to(BusinessCalendars::Table, BusinessCalendars::Id),
                )
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        R::Table,
        "ux_service_requests_external_id",
        [R::ExternalId],
    )
    .await?;
    for (name, columns) in [
        ("ix_service_requests_account", vec![R::AccountId]),
        ("ix_service_requests_assignee", vec![R::AssigneeStaffId]),
        ("ix_service_requests_status", vec![R::Status]),
        ("ix_service_requests_create_time", vec![R::CreateTime]),
        ("ix_service_requests_calendar", vec![R::CalendarId]),
        ("ix_service_requests_resolution_due", vec![R::ResolutionDueTime]),
        (
            "ix_service_requests_first_response_due",
            vec![R::FirstResponseDueTime],
        ),
    ] {
        index(manager, R::Table, name, columns).await?;
    }
    // The monitor's scan and the SLA-state filters look only at rows whose clock runs (or that still
    // have something to record): partial indexes keep their cost to the requests coming due, not to
    // every request ever made. sea-query has no partial indexes; this SQL is the same on SQLite and
    // PostgreSQL.
    let db = manager.get_connection();
    for sql in [
        "CREATE INDEX ix_service_requests_next_check ON service_requests (next_check_time) \
         WHERE next_check_time IS NOT NULL",
        "CREATE INDEX ix_service_requests_running_resolution ON service_requests \
         (resolution_at_risk_time, resolution_due_time) WHERE resolution_settled_state IS NULL",
        "CREATE INDEX ix_service_requests_running_first_response ON service_requests \
         (first_response_at_risk_time, first_response_due_time) \
         WHERE first_response_settled_state IS NULL",
    ] {
        db.execute_unprepared(sql).await?;
    }

    manager
        .create_table(
            Table::create()
                .table(ServiceRequestStatusChanges::Table)
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::ServiceRequestId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::FromStatus)
                        .string_len(32)
                        .null(),
                )
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::ToStatus)
                        .string_len(32)
                        .not_null(),
                )
                .col(timestamp(ServiceRequestStatusChanges::ChangeTime).not_null())
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::ChangedBy)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ServiceRequestStatusChanges::Note)
                        .string_len(2000)
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ServiceRequestStatusChanges::Table,
                            ServiceRequestStatusChanges::ServiceRequestId,
                        )
                        .to(R::Table, R::Id),
                )
                .to_owned(),
        )
        .await?;
    index(
        manager,
        ServiceRequestStatusChanges::Table,
        "ix_service_request_status_changes_request",
        [
            ServiceRequestStatusChanges::ServiceRequestId,
            ServiceRequestStatusChanges::ChangeTime,
        ],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(SlaEscalations::Table)
                .col(ColumnDef::new(SlaEscalations::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(SlaEscalations::ServiceRequestId).uuid().not_null())
                .col(ColumnDef::new(SlaEscalations::Target).string_len(32).not_null())
                .col(ColumnDef::new(SlaEscalations::Trigger).string_len(16).not_null())
                .col(ColumnDef::new(SlaEscalations::StepIndex).integer().not_null())
                .col(
                    ColumnDef::new(SlaEscalations::Recipients)
                        .json_binary()
                        .not_null(),
                )
                .col(timestamp(SlaEscalations::EscalateTime).not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(SlaEscalations::Table, SlaEscalations::ServiceRequestId)
                        .to(R::Table, R::Id),
                )
                .to_owned(),
        )
        .await?;
    index(
        manager,
        SlaEscalations::Table,
        "ix_sla_escalations_request",
        [SlaEscalations::ServiceRequestId, SlaEscalations::EscalateTime],
    )
    .await
}

async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let now = chrono::Utc::now();
    for (id, name, always_open) in [
        (ALWAYS_OPEN_CALENDAR_ID, "24x7", true),
        (OFFICE_HOURS_CALENDAR_ID, "Office hours", false),
    ] {
        let calendar = Query::insert()
            .into_table(BusinessCalendars::Table)
            .columns([
                BusinessCalendars::Id,
                BusinessCalendars::DisplayName,
                BusinessCalendars::TimeZone,
                BusinessCalendars::AlwaysOpen,
                BusinessCalendars::CreateTime,
                BusinessCalendars::UpdateTime,
                BusinessCalendars::Revision,
            ])
            .values_panic([
                Uuid::from_u128(id).into(),
                name.into(),
                "UTC".into(),
                always_open.into(),
                now.into(),
                now.into(),
                1i64.into(),
            ])
            .to_owned();
        db.execute(&calendar).await?;
    }
    for weekday in 1..=5 {
        let window = Query::insert()
            .into_table(BusinessCalendarWindows::Table)
            .columns([
                BusinessCalendarWindows::CalendarId,
                BusinessCalendarWindows::Weekday,
                BusinessCalendarWindows::StartMinute,
                BusinessCalendarWindows::EndMinute,
            ])
            .values_panic([
                Uuid::from_u128(OFFICE_HOURS_CALENDAR_ID).into(),
                weekday.into(),
                (8 * 60).into(),
                (18 * 60).into(),
            ])
            .to_owned();
        db.execute(&window).await?;
    }

    for policy in SEED_POLICIES {
        let id = Uuid::from_u128(policy.id);
        let row = Query::insert()
            .into_table(SlaPolicies::Table)
            .columns([
                SlaPolicies::Id,
                SlaPolicies::DisplayName,
                SlaPolicies::ScopeKind,
                SlaPolicies::AccountId,
                SlaPolicies::Tier,
                SlaPolicies::ScopeKey,
                SlaPolicies::CalendarId,
                SlaPolicies::WarningPercent,
                SlaPolicies::CreateTime,
                SlaPolicies::UpdateTime,
                SlaPolicies::Revision,
            ])
            .values_panic([
                id.into(),
                policy.name.into(),
                policy.scope_kind.into(),
                Option::<Uuid>::None.into(),
                policy.tier.map(str::to_owned).into(),
                policy.scope_key.into(),
                Uuid::from_u128(policy.calendar).into(),
                80i32.into(),
                now.into(),
                now.into(),
                1i64.into(),
            ])
            .to_owned();
        db.execute(&row).await?;
        for (priority, (first_response, resolution)) in
            ["P1", "P2", "P3", "P4"].into_iter().zip(policy.targets)
        {
            let target = Query::insert()
                .into_table(SlaPolicyTargets::Table)
                .columns([
                    SlaPolicyTargets::PolicyId,
                    SlaPolicyTargets::Priority,
                    SlaPolicyTargets::FirstResponseMinutes,
                    SlaPolicyTargets::ResolutionMinutes,
                ])
                .values_panic([
                    id.into(),
                    priority.into(),
                    first_response.into(),
                    resolution.into(),
                ])
                .to_owned();
            db.execute(&target).await?;
        }
        for status in ["WAITING_ON_CUSTOMER", "WAITING_ON_THIRD_PARTY"] {
            let pause = Query::insert()
                .into_table(SlaPolicyPauseStatuses::Table)
                .columns([SlaPolicyPauseStatuses::PolicyId, SlaPolicyPauseStatuses::Status])
                .values_panic([id.into(), status.into()])
                .to_owned();
            db.execute(&pause).await?;
        }
        // The escalation ladder of every seeded policy: at risk → the assignee; breached → the
        // CUSTOMER_SERVICE liaison and the ACCOUNT_MANAGER; still breached after the delay → the
        // EXECUTIVE_SPONSOR.
        let steps: [SeedStep; 3] = [
            ("AT_RISK", 0, true, &[], &[]),
            ("BREACHED", 0, false, &["ACCOUNT_MANAGER"], &["CUSTOMER_SERVICE"]),
            (
                "BREACHED",
                policy.sponsor_delay,
                false,
                &["EXECUTIVE_SPONSOR"],
                &[],
            ),
        ];
        for (position, (trigger, delay, assignee, roles, liaisons)) in steps.into_iter().enumerate() {
            let step = Query::insert()
                .into_table(SlaPolicyEscalationSteps::Table)
                .columns([
                    SlaPolicyEscalationSteps::PolicyId,
                    SlaPolicyEscalationSteps::Position,
                    SlaPolicyEscalationSteps::Trigger,
                    SlaPolicyEscalationSteps::Target,
                    SlaPolicyEscalationSteps::DelayMinutes,
                    SlaPolicyEscalationSteps::NotifyAssignee,
                    SlaPolicyEscalationSteps::Roles,
                    SlaPolicyEscalationSteps::LiaisonDepartmentCodes,
                ])
                .values_panic([
                    id.into(),
                    (position as i32).into(),
                    trigger.into(),
                    Option::<String>::None.into(),
                    delay.into(),
                    assignee.into(),
                    names(roles).into(),
                    names(liaisons).into(),
                ])
                .to_owned();
            db.execute(&step).await?;
        }
    }
    Ok(())
}

/// A JSON array of names.
fn names(names: &[&str]) -> JsonValue {
    JsonValue::Array(names.iter().map(|n| JsonValue::String((*n).to_owned())).collect())
}
