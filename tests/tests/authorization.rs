//! The authorization matrix: every RPC of every kam.v1 service, called by every kind of caller, each
//! cell checked against the status it must answer, on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! The rows are the RPCs of this build, read from `kam_proto::FILE_DESCRIPTOR_SET`; the columns are the
//! callers: no credentials, a MEMBER on the team of the account a request targets, a MEMBER off that
//! team, each other role, and every pair of roles (those with MEMBER on and off the team). What every
//! cell must answer is written down here, in [`EXPECTED`], independently of the server's own permission
//! table:
//!
//! - without credentials: UNAUTHENTICATED;
//! - a role the RPC is not for: PERMISSION_DENIED;
//! - a caller the RPC is for: OK. Every request targets real objects, made for it where the call
//!   changes or consumes them, so an allowed call has no reason to fail;
//! - a MEMBER acting on an account (or on what hangs off it) whose team it is not on: PERMISSION_DENIED;
//! - a list a MEMBER sees filtered to its teams: OK, with the fixture's row for the MEMBER on the team
//!   and every other role, without it for the MEMBER off the team;
//! - two roles: what the more generous of the two answers alone. Roles add up per RPC, each with its
//!   own reach: a MEMBER who is also a SERVICE_AGENT works any account's service requests (the agent's
//!   right) but edits only its own teams' accounts (only the MEMBER may edit at all).
//!
//! **Adding an RPC?** Add it to [`EXPECTED`] and give it a request in [`Fixture::request`] (and, for a
//! list filtered to a MEMBER's teams, a decoder in [`Fixture::lists_fixture`]). Until you do, this test
//! fails: every new RPC goes through this matrix.

use std::{collections::BTreeMap, time::Instant};

use kam_tests::{
    Caller, ERROR_DOMAIN, SALES_DEPARTMENT, TestServer, assert_error, backend_tests,
    pb::{
        self, Role, feedback_service_client::FeedbackServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        segment_service_client::SegmentServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
        webhook_service_client::WebhookServiceClient,
    },
    pbjson_types::{self, FieldMask},
    raw::{Rpc, call, rpcs_of_this_build, short_name},
};
use prost::Message;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------
// The expectation table
// ---------------------------------------------------------------------------------------------------

/// Who may call one RPC.
struct Rule {
    /// `/kam.v1.Service/Method`.
    rpc: &'static str,
    /// The roles other than MEMBER that may call it.
    roles: &'static [Role],
    /// What a MEMBER may do with it.
    member: MemberAccess,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemberAccess {
    /// Refused, whatever teams the MEMBER is on.
    Denied,
    /// Allowed, and about no account in particular.
    Allowed,
    /// Allowed on the accounts of the MEMBER's teams (and what hangs off them) only.
    OwnTeam,
    /// A list a MEMBER sees filtered to the accounts of its teams.
    Filtered,
}

use MemberAccess::{Allowed, Denied, Filtered, OwnTeam};

/// Every role but MEMBER, whose access each rule spells out on its own. Also the matrix's role columns.
const EVERY_ROLE: &[Role] = &[
    Role::Admin,
    Role::Executive,
    Role::Manager,
    Role::ServiceAgent,
    Role::Integration,
];
/// Create and change account master data (MEMBER too, on its teams' accounts).
const ACCOUNT_WRITERS: &[Role] = &[Role::Admin, Role::Manager, Role::Integration];
/// Departments, staff, team seats and handovers.
const TEAM_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// Coverage and workload across all accounts.
const REPORT_READERS: &[Role] = &[Role::Admin, Role::Executive, Role::Manager];
const ADMIN_ONLY: &[Role] = &[Role::Admin];
/// Shape the funnel: create and change pipelines.
const PIPELINE_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// Work opportunities: create, change, move, close and reopen them (MEMBER too, on its teams' accounts).
const DEAL_WRITERS: &[Role] = &[Role::Admin, Role::Manager, Role::Integration];
/// Shape the service promises: create and change business calendars and SLA policies.
const SERVICE_LEVEL_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// Work service requests: open, change, move, respond, re-apply policies (MEMBER too, on its teams'
/// accounts).
const REQUEST_WORKERS: &[Role] = &[Role::Admin, Role::Manager, Role::ServiceAgent];
/// Feed the ERP's data in: revenue and the bulk imports.
const ERP_IMPORTERS: &[Role] = &[Role::Admin, Role::Integration];
/// Rank accounts into tiers and set tiers by hand.
const PLAN_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// Write account plans and their actions (MEMBER too, on its teams' accounts).
const PLAN_WRITERS: &[Role] = &[Role::Admin, Role::Manager];
/// Log interactions with accounts (MEMBER too, on its teams' accounts).
const INTERACTION_LOGGERS: &[Role] = &[Role::Admin, Role::Manager, Role::ServiceAgent];
/// Record, change and delete the customer's feedback rounds (MEMBER too, on its teams' accounts).
const FEEDBACK_RECORDERS: &[Role] = &[Role::Admin, Role::Manager];
/// Create, change and delete competitors.
const COMPETITOR_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// Create, change and delete industries and regions.
const SEGMENT_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];

const fn rule(rpc: &'static str, roles: &'static [Role], member: MemberAccess) -> Rule {
    Rule { rpc, roles, member }
}

/// Who may call every RPC of every kam.v1 service. Identity self-service (WhoAmI and one's own API
/// keys) is for everyone: the handlers keep each caller to its own keys.
const EXPECTED: &[Rule] = &[
    rule("/kam.v1.AccountService/CreateAccount", ACCOUNT_WRITERS, Denied),
    rule("/kam.v1.AccountService/GetAccount", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.AccountService/ListAccounts", EVERY_ROLE, Filtered),
    rule("/kam.v1.AccountService/UpdateAccount", ACCOUNT_WRITERS, OwnTeam),
    rule("/kam.v1.AccountService/DeleteAccount", ACCOUNT_WRITERS, OwnTeam),
    rule("/kam.v1.AccountService/UndeleteAccount", ACCOUNT_WRITERS, OwnTeam),
    rule(
        "/kam.v1.AccountService/ListRelationshipChanges",
        EVERY_ROLE,
        OwnTeam,
    ),
    rule("/kam.v1.AccountService/CreateContact", ACCOUNT_WRITERS, OwnTeam),
    rule("/kam.v1.AccountService/GetContact", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.AccountService/ListContacts", EVERY_ROLE, Filtered),
    rule("/kam.v1.AccountService/UpdateContact", ACCOUNT_WRITERS, OwnTeam),
    rule("/kam.v1.AccountService/DeleteContact", ACCOUNT_WRITERS, OwnTeam),
    rule("/kam.v1.TeamService/CreateDepartment", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/ListDepartments", EVERY_ROLE, Allowed),
    rule("/kam.v1.TeamService/CreateStaff", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/GetStaff", EVERY_ROLE, Allowed),
    rule("/kam.v1.TeamService/ListStaff", EVERY_ROLE, Allowed),
    rule("/kam.v1.TeamService/UpdateStaff", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/DeactivateStaff", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/ReactivateStaff", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/AddTeamMember", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/UpdateTeamMember", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/RemoveTeamMember", TEAM_MANAGERS, Denied),
    rule("/kam.v1.TeamService/ListTeamMembers", EVERY_ROLE, Filtered),
    rule("/kam.v1.TeamService/GetCoverageReport", REPORT_READERS, Denied),
    rule("/kam.v1.TeamService/GetWorkload", REPORT_READERS, Denied),
    rule(
        "/kam.v1.TeamService/TransferResponsibilities",
        TEAM_MANAGERS,
        Denied,
    ),
    rule("/kam.v1.IdentityService/WhoAmI", EVERY_ROLE, Allowed),
    rule(
        "/kam.v1.NotificationService/ListNotifications",
        EVERY_ROLE,
        Allowed,
    ),
    rule(
        "/kam.v1.NotificationService/MarkNotificationsRead",
        EVERY_ROLE,
        Allowed,
    ),
    rule("/kam.v1.IdentityService/CreateApiKey", EVERY_ROLE, Allowed),
    rule("/kam.v1.IdentityService/ListApiKeys", EVERY_ROLE, Allowed),
    rule("/kam.v1.IdentityService/RevokeApiKey", EVERY_ROLE, Allowed),
    rule("/kam.v1.IdentityService/GetStaffRoles", EVERY_ROLE, Allowed),
    rule("/kam.v1.IdentityService/SetStaffRoles", ADMIN_ONLY, Denied),
    rule("/kam.v1.AuditService/ListAuditEntries", ADMIN_ONLY, Denied),
    rule(
        "/kam.v1.OpportunityService/CreatePipeline",
        PIPELINE_MANAGERS,
        Denied,
    ),
    rule("/kam.v1.OpportunityService/GetPipeline", EVERY_ROLE, Allowed),
    rule("/kam.v1.OpportunityService/ListPipelines", EVERY_ROLE, Allowed),
    rule(
        "/kam.v1.OpportunityService/UpdatePipeline",
        PIPELINE_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.OpportunityService/CreateOpportunity",
        DEAL_WRITERS,
        OwnTeam,
    ),
    rule("/kam.v1.OpportunityService/GetOpportunity", EVERY_ROLE, OwnTeam),
    rule(
        "/kam.v1.OpportunityService/ListOpportunities",
        EVERY_ROLE,
        Filtered,
    ),
    rule(
        "/kam.v1.OpportunityService/UpdateOpportunity",
        DEAL_WRITERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.OpportunityService/MoveOpportunityStage",
        DEAL_WRITERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.OpportunityService/CloseOpportunity",
        DEAL_WRITERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.OpportunityService/ReopenOpportunity",
        DEAL_WRITERS,
        OwnTeam,
    ),
    rule("/kam.v1.OpportunityService/ListStageHistory", EVERY_ROLE, OwnTeam),
    // The analytics answer everyone, a MEMBER computed over its teams' accounts only: the funnel
    // summary's counts show whether the fixture's opportunity was counted.
    rule(
        "/kam.v1.OpportunityService/GetFunnelSummary",
        EVERY_ROLE,
        Filtered,
    ),
    rule(
        "/kam.v1.OpportunityService/GetConversionReport",
        EVERY_ROLE,
        Allowed,
    ),
    rule(
        "/kam.v1.OpportunityService/GetVelocityReport",
        EVERY_ROLE,
        Allowed,
    ),
    rule("/kam.v1.OpportunityService/GetForecast", EVERY_ROLE, Allowed),
    rule(
        "/kam.v1.OpportunityService/ListStalledOpportunities",
        EVERY_ROLE,
        Allowed,
    ),
    // Competitors are reference data about no account; the report answers everyone, a MEMBER's
    // computed over its teams' deals.
    rule(
        "/kam.v1.OpportunityService/CreateCompetitor",
        COMPETITOR_MANAGERS,
        Denied,
    ),
    rule("/kam.v1.OpportunityService/GetCompetitor", EVERY_ROLE, Allowed),
    rule("/kam.v1.OpportunityService/ListCompetitors", EVERY_ROLE, Allowed),
    rule(
        "/kam.v1.OpportunityService/UpdateCompetitor",
        COMPETITOR_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.OpportunityService/DeleteCompetitor",
        COMPETITOR_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.OpportunityService/GetCompetitorReport",
        EVERY_ROLE,
        Allowed,
    ), // Policies of an account hang off it (a MEMBER sees those of its teams); calendars, tier and
    // default policies are about no account. The compliance report answers everyone, a MEMBER's
    // computed over its teams' accounts.
    rule(
        "/kam.v1.ServiceLevelService/CreateBusinessCalendar",
        SERVICE_LEVEL_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.ServiceLevelService/GetBusinessCalendar",
        EVERY_ROLE,
        Allowed,
    ),
    rule(
        "/kam.v1.ServiceLevelService/ListBusinessCalendars",
        EVERY_ROLE,
        Allowed,
    ),
    rule(
        "/kam.v1.ServiceLevelService/UpdateBusinessCalendar",
        SERVICE_LEVEL_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.ServiceLevelService/CreateSlaPolicy",
        SERVICE_LEVEL_MANAGERS,
        Denied,
    ),
    rule("/kam.v1.ServiceLevelService/GetSlaPolicy", EVERY_ROLE, OwnTeam),
    rule(
        "/kam.v1.ServiceLevelService/ListSlaPolicies",
        EVERY_ROLE,
        Filtered,
    ),
    rule(
        "/kam.v1.ServiceLevelService/UpdateSlaPolicy",
        SERVICE_LEVEL_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.ServiceLevelService/DeleteSlaPolicy",
        SERVICE_LEVEL_MANAGERS,
        Denied,
    ),
    rule(
        "/kam.v1.ServiceLevelService/CreateServiceRequest",
        REQUEST_WORKERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/GetServiceRequest",
        EVERY_ROLE,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/ListServiceRequests",
        EVERY_ROLE,
        Filtered,
    ),
    rule(
        "/kam.v1.ServiceLevelService/UpdateServiceRequest",
        REQUEST_WORKERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus",
        REQUEST_WORKERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/RecordFirstResponse",
        REQUEST_WORKERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/RecalculateSla",
        REQUEST_WORKERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.ServiceLevelService/ListStatusHistory",
        EVERY_ROLE,
        OwnTeam,
    ),
    rule("/kam.v1.ServiceLevelService/ListEscalations", EVERY_ROLE, OwnTeam),
    rule(
        "/kam.v1.ServiceLevelService/GetSlaComplianceReport",
        EVERY_ROLE,
        Allowed,
    ),
    rule(
        "/kam.v1.PlanningService/UpsertRevenueRecords",
        ERP_IMPORTERS,
        Denied,
    ),
    rule("/kam.v1.PlanningService/ListRevenueRecords", EVERY_ROLE, Filtered),
    rule("/kam.v1.PlanningService/GetMonthlyRevenue", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/GetRevenueReport", EVERY_ROLE, Allowed),
    rule("/kam.v1.PlanningService/RecomputeTiers", PLAN_MANAGERS, Denied),
    rule("/kam.v1.PlanningService/ListTierChanges", EVERY_ROLE, Filtered),
    rule("/kam.v1.PlanningService/SetTierOverride", PLAN_MANAGERS, Denied),
    rule("/kam.v1.PlanningService/ClearTierOverride", PLAN_MANAGERS, Denied),
    rule("/kam.v1.PlanningService/ListTierOverrides", EVERY_ROLE, Filtered),
    rule("/kam.v1.PlanningService/CreateAccountPlan", PLAN_WRITERS, OwnTeam),
    rule("/kam.v1.PlanningService/GetAccountPlan", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/ListAccountPlans", EVERY_ROLE, Filtered),
    rule("/kam.v1.PlanningService/UpdateAccountPlan", PLAN_WRITERS, OwnTeam),
    rule(
        "/kam.v1.PlanningService/ChangeAccountPlanStatus",
        PLAN_WRITERS,
        OwnTeam,
    ),
    rule("/kam.v1.PlanningService/GetPlanScorecard", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/CreatePlanAction", PLAN_WRITERS, OwnTeam),
    rule("/kam.v1.PlanningService/GetPlanAction", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/ListPlanActions", EVERY_ROLE, Filtered),
    rule("/kam.v1.PlanningService/UpdatePlanAction", PLAN_WRITERS, OwnTeam),
    rule(
        "/kam.v1.PlanningService/LogInteraction",
        INTERACTION_LOGGERS,
        OwnTeam,
    ),
    rule("/kam.v1.PlanningService/GetInteraction", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/ListInteractions", EVERY_ROLE, Filtered),
    rule(
        "/kam.v1.PlanningService/UpdateInteraction",
        INTERACTION_LOGGERS,
        OwnTeam,
    ),
    rule("/kam.v1.PlanningService/ListOverdueCadence", EVERY_ROLE, Filtered),
    rule(
        "/kam.v1.PlanningService/ListUpcomingKeyDates",
        EVERY_ROLE,
        Filtered,
    ),
    rule("/kam.v1.PlanningService/GetAccountHealth", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/GetAccountBrief", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/GetGroupSummary", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.PlanningService/ListAtRiskAccounts", EVERY_ROLE, Filtered),
    rule(
        "/kam.v1.FeedbackService/CreateFeedbackRound",
        FEEDBACK_RECORDERS,
        OwnTeam,
    ),
    rule("/kam.v1.FeedbackService/GetFeedbackRound", EVERY_ROLE, OwnTeam),
    rule("/kam.v1.FeedbackService/ListFeedbackRounds", EVERY_ROLE, Filtered),
    rule(
        "/kam.v1.FeedbackService/UpdateFeedbackRound",
        FEEDBACK_RECORDERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.FeedbackService/DeleteFeedbackRound",
        FEEDBACK_RECORDERS,
        OwnTeam,
    ),
    rule(
        "/kam.v1.FeedbackService/ImportFeedbackRounds",
        ERP_IMPORTERS,
        Denied,
    ),
    rule(
        "/kam.v1.FeedbackService/GetFeedbackReport",
        REPORT_READERS,
        Denied,
    ),
    // Industries and regions are reference data about no account: everyone reads them.
    rule("/kam.v1.SegmentService/CreateIndustry", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.SegmentService/GetIndustry", EVERY_ROLE, Allowed),
    rule("/kam.v1.SegmentService/ListIndustries", EVERY_ROLE, Allowed),
    rule("/kam.v1.SegmentService/UpdateIndustry", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.SegmentService/DeleteIndustry", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.SegmentService/CreateRegion", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.SegmentService/GetRegion", EVERY_ROLE, Allowed),
    rule("/kam.v1.SegmentService/ListRegions", EVERY_ROLE, Allowed),
    rule("/kam.v1.SegmentService/UpdateRegion", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.SegmentService/DeleteRegion", SEGMENT_MANAGERS, Denied),
    rule("/kam.v1.IntegrationService/WatchEvents", EVERY_ROLE, Filtered),
    rule("/kam.v1.IntegrationService/ListChanges", EVERY_ROLE, Filtered),
    rule("/kam.v1.IntegrationService/ImportRevenue", ERP_IMPORTERS, Denied),
    rule("/kam.v1.IntegrationService/ImportAccounts", ERP_IMPORTERS, Denied),
    rule("/kam.v1.IntegrationService/ImportContacts", ERP_IMPORTERS, Denied),
    rule(
        "/kam.v1.IntegrationService/ImportOpportunities",
        ERP_IMPORTERS,
        Denied,
    ),
    rule(
        "/kam.v1.IntegrationService/ImportServiceRequests",
        ERP_IMPORTERS,
        Denied,
    ),
    rule(
        "/kam.v1.WebhookService/CreateWebhookSubscription",
        ADMIN_ONLY,
        Denied,
    ),
    rule(
        "/kam.v1.WebhookService/GetWebhookSubscription",
        ADMIN_ONLY,
        Denied,
    ),
    rule(
        "/kam.v1.WebhookService/ListWebhookSubscriptions",
        ADMIN_ONLY,
        Denied,
    ),
    rule(
        "/kam.v1.WebhookService/UpdateWebhookSubscription",
        ADMIN_ONLY,
        Denied,
    ),
    rule(
        "/kam.v1.WebhookService/DeleteWebhookSubscription",
        ADMIN_ONLY,
        Denied,
    ),
    rule("/kam.v1.WebhookService/RotateWebhookSecret", ADMIN_ONLY, Denied),
    rule("/kam.v1.WebhookService/ListWebhookDeliveries", ADMIN_ONLY, Denied),
    rule(
        "/kam.v1.WebhookService/ReplayWebhookDeliveries",
        ADMIN_ONLY,
        Denied,
    ),
];

/// One column of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    /// A caller holding one role, or two. One holding MEMBER sits on the team of the fixture account
    /// (and of every account made for its calls) when `on_team`, else on the team of another account;
    /// for the others `on_team` is false and means nothing.
    Holding {
        role: Role,
        and: Option<Role>,
        on_team: bool,
    },
}

impl Who {
    fn one(role: Role, on_team: bool) -> Who {
        Who::Holding {
            role,
            and: None,
            on_team,
        }
    }

    /// Anonymous, the MEMBER on and off the team, each other role, then every pair of roles.
    fn columns() -> Vec<Who> {
        let mut columns = vec![
            Who::Anonymous,
            Who::one(Role::Member, true),
            Who::one(Role::Member, false),
        ];
        columns.extend(EVERY_ROLE.iter().map(|role| Who::one(*role, false)));
        // A REGIONAL_MANAGER of no region: a MEMBER's rights over its teams' accounts only (none alone;
        // with MEMBER, those of the MEMBER's team). Its regions are tests/tests/regional_managers.rs'.
        columns.push(Who::one(Role::RegionalManager, false));
        for on_team in [true, false] {
            columns.push(Who::Holding {
                role: Role::Member,
                and: Some(Role::RegionalManager),
                on_team,
            });
        }
        for (i, first) in EVERY_ROLE.iter().enumerate() {
            for on_team in [true, false] {
                columns.push(Who::Holding {
                    role: Role::Member,
                    and: Some(*first),
                    on_team,
                });
            }
            for second in &EVERY_ROLE[i + 1..] {
                columns.push(Who::Holding {
                    role: *first,
                    and: Some(*second),
                    on_team: false,
                });
            }
        }
        columns
    }

    fn roles(self) -> Vec<Role> {
        match self {
            Who::Anonymous => Vec::new(),
            Who::Holding { role, and, .. } => std::iter::once(role).chain(and).collect(),
        }
    }

    /// A caller holding MEMBER whose team is the fixture account's.
    fn on_team(self) -> bool {
        matches!(self, Who::Holding { on_team: true, .. })
    }

    fn label(self) -> String {
        let name = |role: Role| role.as_str_name().trim_start_matches("ROLE_").to_owned();
        match self {
            Who::Anonymous => "anonymous".to_owned(),
            Who::Holding { role, and, on_team } => {
                let roles: Vec<String> = std::iter::once(role).chain(and).map(name).collect();
                let team = match (self.roles().contains(&Role::Member), on_team) {
                    (false, _) => "",
                    (true, true) => " on team",
                    (true, false) => " off team",
                };
                format!("{}{team}", roles.join("+"))
            }
        }
    }
}

/// What one call answered, or must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Unauthenticated,
    PermissionDenied,
    Ok,
    /// OK, from a list that does (`true`) or does not show the fixture's row.
    Listed(bool),
    /// Any other status.
    Failed(Code),
}

impl Outcome {
    fn label(self) -> String {
        match self {
            Outcome::Unauthenticated => "UNAUTH".to_owned(),
            Outcome::PermissionDenied => "DENIED".to_owned(),
            Outcome::Ok => "ok".to_owned(),
            Outcome::Listed(true) => "ok, listed".to_owned(),
            Outcome::Listed(false) => "ok, hidden".to_owned(),
            Outcome::Failed(code) => format!("{code:?}"),
        }
    }
}

/// What `rule` says `who` must get: for two roles, the more generous of what each gets alone.
fn expected(rule: &Rule, who: Who) -> Outcome {
    match who {
        Who::Anonymous => Outcome::Unauthenticated,
        Who::Holding { on_team, .. } => who
            .roles()
            .into_iter()
            .map(|role| expected_of_one(rule, role, on_team))
            .max_by_key(|outcome| generosity(*outcome))
            .expect("a caller holds a role"),
    }
}

/// What `rule` says a caller holding `role` alone must get; `on_team` for a MEMBER.
fn expected_of_one(rule: &Rule, role: Role, on_team: bool) -> Outcome {
    // Whoever may call a filtered list sees the fixture's row, unless it is a MEMBER off the team.
    let success = |sees_fixture: bool| {
        if rule.member == Filtered {
            Outcome::Listed(sees_fixture)
        } else {
            Outcome::Ok
        }
    };
    // A REGIONAL_MANAGER managing no region holds a MEMBER's rights (`on_team` as the MEMBER's).
    let role = match role {
        Role::RegionalManager => Role::Member,
        role => role,
    };
    if role != Role::Member {
        return match rule.roles.contains(&role) {
            true => success(true),
            false => Outcome::PermissionDenied,
        };
    }
    match (rule.member, on_team) {
        (Denied, _) => Outcome::PermissionDenied,
        (Allowed, _) => Outcome::Ok,
        (OwnTeam | Filtered, true) => success(true),
        (OwnTeam, false) => Outcome::PermissionDenied,
        (Filtered, false) => success(false),
    }
}

/// How much an outcome lets the caller do or see.
fn generosity(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Unauthenticated | Outcome::PermissionDenied | Outcome::Failed(_) => 0,
        Outcome::Listed(false) => 1,
        Outcome::Ok | Outcome::Listed(true) => 2,
    }
}

// ---------------------------------------------------------------------------------------------------
// The RPCs of this build
// ---------------------------------------------------------------------------------------------------

/// Every RPC of this build with its rule. Panics, saying what to do, when an RPC has no rule (or two),
/// or a rule names no RPC.
fn rules_by_rpc() -> Vec<(Rpc, &'static Rule)> {
    let rpcs = rpcs_of_this_build();
    let mut problems = Vec::new();
    for rpc in &rpcs {
        match EXPECTED.iter().filter(|rule| rule.rpc == rpc.path).count() {
            1 => {}
            0 => problems.push(format!(
                "{} has no entry in EXPECTED (tests/tests/authorization.rs): add one saying who may call \
                 it, and a request for it in Fixture::request",
                rpc.path
            )),
            n => problems.push(format!("{} has {n} entries in EXPECTED: keep one", rpc.path)),
        }
    }
    for rule in EXPECTED {
        if !rpcs.iter().any(|rpc| rpc.path == rule.rpc) {
            problems.push(format!(
                "EXPECTED names {}, which is not an RPC of this build: remove it",
                rule.rpc
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    rpcs.into_iter()
        .map(|rpc| {
            let rule = EXPECTED
                .iter()
                .find(|rule| rule.rpc == rpc.path)
                .expect("checked above");
            (rpc, rule)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// One uniform call for every RPC
// ---------------------------------------------------------------------------------------------------

/// An encoded request, with the name of its message type so it can be checked against the RPC's.
struct Body {
    message: &'static str,
    bytes: Vec<u8>,
}

fn body<M: Message>(message: M) -> Body {
    Body {
        message: short_name(std::any::type_name::<M>(), ':'),
        bytes: message.encode_to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------------
// The fixture the requests target
// ---------------------------------------------------------------------------------------------------

/// Lists ask for this many rows so that the fixture's row is on the first page.
const WHOLE_LIST: i32 = 1000;

fn unique(prefix: &str) -> String {
    format!("{prefix} {}", Uuid::now_v7().simple())
}

/// A new industry below manufacturing, with a unique code (32 hex digits) and name.
fn segment_industry() -> pb::Industry {
    pb::Industry {
        code: Uuid::now_v7().simple().to_string(),
        parent_code: "C".to_owned(),
        name: unique("Industry"),
        ..Default::default()
    }
}

/// A new region with a unique code and name.
fn segment_region() -> pb::Region {
    pb::Region {
        code: Uuid::now_v7().simple().to_string(),
        name: unique("Region"),
        level: pb::RegionLevel::City as i32,
        ..Default::default()
    }
}

/// A revenue record of `account_id` for January 2026, in the default reporting currency.
fn revenue_record(account_id: &str, external_id: &str) -> pb::RevenueRecord {
    pb::RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(pb::Month { year: 2026, month: 1 }),
        amount: Some(pb::Money {
            currency_code: "EUR".to_owned(),
            units: 1000,
            nanos: 0,
        }),
        ..Default::default()
    }
}

/// An instant a year before now, as a timestamp value both backends store.
fn a_year_ago() -> sea_orm::Value {
    let year_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(366 * 86_400);
    let seconds = year_ago
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    sea_orm::Value::from(
        sea_orm::prelude::DateTimeUtc::from_timestamp(seconds as i64, 0).expect("a valid instant"),
    )
}

fn interaction_fields(account_id: &str, staff_id: &str) -> pb::Interaction {
    pb::Interaction {
        account_id: account_id.to_owned(),
        r#type: pb::interaction::Type::Call as i32,
        occur_time: Some(pbjson_types::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        }),
        staff_ids: vec![staff_id.to_owned()],
        summary: unique("Call"),
        ..Default::default()
    }
}

fn plan_fields(account_id: &str) -> pb::AccountPlan {
    pb::AccountPlan {
        account_id: account_id.to_owned(),
        name: unique("Plan"),
        period_start: Some(pb::Date {
            year: 2026,
            month: 1,
            day: 1,
        }),
        period_end: Some(pb::Date {
            year: 2026,
            month: 12,
            day: 31,
        }),
        ..Default::default()
    }
}

fn plan_action_fields(plan_id: &str, owner_staff_id: &str) -> pb::PlanAction {
    pb::PlanAction {
        plan_id: plan_id.to_owned(),
        title: unique("Action"),
        owner_staff_id: owner_staff_id.to_owned(),
        due_date: Some(pb::Date {
            year: 2026,
            month: 6,
            day: 30,
        }),
        ..Default::default()
    }
}

/// A round of feedback on `account_id`'s team for the first quarter of 2026, rating `staff_id`.
fn feedback_round_fields(account_id: &str, staff_id: &str) -> pb::FeedbackRound {
    pb::FeedbackRound {
        account_id: account_id.to_owned(),
        period_start: Some(pb::Date {
            year: 2026,
            month: 1,
            day: 1,
        }),
        period_end: Some(pb::Date {
            year: 2026,
            month: 3,
            day: 31,
        }),
        ratings: vec![pb::StaffRating {
            staff_id: staff_id.to_owned(),
            responsiveness: 4,
            expertise: 4,
            follow_through: 3,
            ..Default::default()
        }],
        comment: unique("Feedback"),
        ..Default::default()
    }
}

fn tier_override(account_id: &str) -> pb::TierOverride {
    pb::TierOverride {
        account_id: account_id.to_owned(),
        tier: pb::Tier::Key as i32,
        reason: "reference customer".to_owned(),
        ..Default::default()
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn new_staff_fields() -> pb::Staff {
    let name = Uuid::now_v7().simple().to_string();
    pb::Staff {
        full_name: format!("Staff {name}"),
        email: format!("{name}@example.com"),
        department_id: SALES_DEPARTMENT.to_owned(),
        level: pb::StaffLevel::Staff as i32,
        ..Default::default()
    }
}

/// The seeded default pipeline.
const DEFAULT_PIPELINE: &str = "00000000-0000-7000-8000-000000000100";
/// The stage of the default pipeline only the fixture's opportunity is in: the opportunities made for
/// single calls stay in LEAD and CONTACTED or are closed, so a funnel summary that counts anyone in it
/// counted the fixture's.
const FIXTURE_STAGE: &str = "NEGOTIATION";

fn stage(key: &str, probability: i32, category: pb::ForecastCategory) -> pb::PipelineStage {
    pb::PipelineStage {
        key: key.to_owned(),
        display_name: key.to_owned(),
        probability,
        forecast_category: category as i32,
        stall_after_days: 0,
        closed_won: false,
        closed_lost: false,
    }
}

/// A well-formed pipeline of two open stages, the won and the lost stage.
fn new_pipeline_fields() -> pb::Pipeline {
    use pb::ForecastCategory::{Closed, Omitted, Pipeline};
    pb::Pipeline {
        display_name: unique("Pipeline"),
        stages: vec![
            stage("OPEN", 20, Pipeline),
            stage("QUALIFIED", 50, Pipeline),
            pb::PipelineStage {
                closed_won: true,
                ..stage("WON", 100, Closed)
            },
            pb::PipelineStage {
                closed_lost: true,
                ..stage("LOST", 0, Omitted)
            },
        ],
        qualification_stage_key: "QUALIFIED".to_owned(),
        ..Default::default()
    }
}

/// The seeded office-hours calendar.
const OFFICE_HOURS_CALENDAR: &str = "00000000-0000-7000-8000-000000000301";

/// A well-formed calendar: Monday to Friday, 09:00–17:00 in Shanghai.
fn new_calendar_fields() -> pb::BusinessCalendar {
    use pb::DayOfWeek::{Friday, Monday, Thursday, Tuesday, Wednesday};
    pb::BusinessCalendar {
        display_name: unique("Calendar"),
        time_zone: "Asia/Shanghai".to_owned(),
        windows: [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .map(|day| pb::WorkingWindow {
                day: day as i32,
                start_time: "09:00".to_owned(),
                end_time: "17:00".to_owned(),
            })
            .collect(),
        ..Default::default()
    }
}

/// A well-formed policy of `account_id`: the same targets for every priority.
fn new_policy_fields(account_id: &str) -> pb::SlaPolicy {
    pb::SlaPolicy {
        display_name: unique("Policy"),
        account_id: account_id.to_owned(),
        calendar_id: OFFICE_HOURS_CALENDAR.to_owned(),
        targets: [
            pb::Priority::P1,
            pb::Priority::P2,
            pb::Priority::P3,
            pb::Priority::P4,
        ]
        .into_iter()
        .map(|priority| pb::PriorityTargets {
            priority: priority as i32,
            first_response_minutes: 60,
            resolution_minutes: 600,
        })
        .collect(),
        ..Default::default()
    }
}

fn seat(account_id: &str, staff_id: &str) -> pb::TeamMember {
    pb::TeamMember {
        account_id: account_id.to_owned(),
        staff_id: staff_id.to_owned(),
        role: pb::TeamRole::SalesSpecialist as i32,
        ..Default::default()
    }
}

/// What the requests target, made by the first-start ADMIN, and one caller per column.
struct Fixture<'a> {
    server: &'a TestServer,
    /// The account every account-scoped request targets; the on-team MEMBER is on its team.
    account: pb::Account,
    /// A contact of `account`.
    contact: pb::Contact,
    /// A staff member with `membership`, a seat on the team of `account`.
    staff: pb::Staff,
    membership: pb::TeamMember,
    /// An opportunity of `account`, owned by `staff`, the only one in [`FIXTURE_STAGE`].
    opportunity: pb::Opportunity,
    /// A business calendar, an SLA policy of `account`, and a service request of `account`.
    calendar: pb::BusinessCalendar,
    sla_policy: pb::SlaPolicy,
    service_request: pb::ServiceRequest,
    /// The external id of a revenue record of `account`; `account` also has a tier override, and so
    /// a tier change.
    revenue_external_id: String,
    /// A DRAFT plan of `account` and an action of it owned by `staff`.
    plan: pb::AccountPlan,
    plan_action: pb::PlanAction,
    /// An interaction with `account` in which `staff` took part.
    interaction: pb::Interaction,
    /// A feedback round of `account` rating `staff`.
    feedback_round: pb::FeedbackRound,
    callers: BTreeMap<Who, Caller>,
}

impl<'a> Fixture<'a> {
    async fn new(server: &'a TestServer) -> Self {
        let account = Self::create_account(server, "Matrix Account").await;
        let contact = server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: account.id.clone(),
                    full_name: "Matrix Contact".to_owned(),
                    // Any day of the year falls within a 366-day window.
                    key_dates: vec![pb::KeyDate {
                        kind: pb::KeyDateKind::Birthday as i32,
                        label: String::new(),
                        date: Some(pb::Date {
                            year: 0,
                            month: 3,
                            day: 14,
                        }),
                        one_time: false,
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the fixture contact")
            .into_inner();
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let membership = Self::add_seat(server, &account.id, &staff.id).await;
        let opportunity = Self::create_opportunity(
            server,
            &account.id,
            &staff.id,
            FIXTURE_STAGE,
            "Matrix Opportunity",
        )
        .await;

        let mut service_levels = ServiceLevelServiceClient::new(server.channel());
        let calendar = service_levels
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(new_calendar_fields()),
                request_id: String::new(),
            })
            .await
            .expect("create the fixture calendar")
            .into_inner();
        let sla_policy = Self::create_sla_policy(server, &account.id).await;
        let service_request = Self::create_service_request(server, &account.id).await;
        let revenue_external_id = unique("MATRIX-REV");
        PlanningServiceClient::new(server.channel())
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![revenue_record(&account.id, &revenue_external_id)],
            })
            .await
            .expect("upsert the fixture revenue record");
        Self::set_tier_override(server, &account.id).await;
        // A KEY account for a year that nobody has visited: its cadence is overdue.
        let year_ago = a_year_ago();
        let id = Uuid::parse_str(&account.id).expect("an account id");
        server
            .execute(
                "UPDATE tier_changes SET change_time = $1 WHERE account_id = $2",
                [year_ago.clone(), id.into()],
            )
            .await;
        server
            .execute(
                "UPDATE accounts SET create_time = $1 WHERE id = $2",
                [year_ago, id.into()],
            )
            .await;
        let plan = Self::create_plan(server, &account.id).await;
        let plan_action = PlanningServiceClient::new(server.channel())
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(plan_action_fields(&plan.id, &staff.id)),
                request_id: String::new(),
            })
            .await
            .expect("create the fixture plan action")
            .into_inner();
        let interaction = PlanningServiceClient::new(server.channel())
            .log_interaction(pb::LogInteractionRequest {
                interaction: Some(interaction_fields(&account.id, &staff.id)),
                request_id: String::new(),
            })
            .await
            .expect("log the fixture interaction")
            .into_inner();
        let feedback_round = Self::create_feedback_round(server, &account.id, &staff.id).await;

        // The off-team MEMBER is on a team too, so its lists are filtered, not merely empty.
        let other_account = Self::create_account(server, "Another Account").await;
        let mut callers = BTreeMap::new();
        for who in Who::columns() {
            let caller = match (who.roles(), who.on_team()) {
                (roles, _) if roles.is_empty() => continue,
                (roles, _) if !roles.contains(&Role::Member) => server.caller_with_roles(&roles).await,
                (roles, true) => server.caller_on_team(&account.id, &roles).await,
                (roles, false) => server.caller_on_team(&other_account.id, &roles).await,
            };
            callers.insert(who, caller);
        }
        Self {
            server,
            account,
            contact,
            staff,
            membership,
            opportunity,
            calendar,
            sla_policy,
            service_request,
            revenue_external_id,
            plan,
            plan_action,
            interaction,
            feedback_round,
            callers,
        }
    }

    /// A feedback round of `account_id` rating `staff_id`.
    async fn create_feedback_round(
        server: &TestServer,
        account_id: &str,
        staff_id: &str,
    ) -> pb::FeedbackRound {
        FeedbackServiceClient::new(server.channel())
            .create_feedback_round(pb::CreateFeedbackRoundRequest {
                feedback_round: Some(feedback_round_fields(account_id, staff_id)),
                request_id: String::new(),
            })
            .await
            .expect("record a feedback round")
            .into_inner()
    }

    /// A DRAFT plan of `account_id`.
    async fn create_plan(server: &TestServer, account_id: &str) -> pb::AccountPlan {
        PlanningServiceClient::new(server.channel())
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(plan_fields(account_id)),
                request_id: String::new(),
            })
            .await
            .expect("create a plan")
            .into_inner()
    }

    /// Makes `account_id` a KEY account by hand (which changes its tier: new accounts are STANDARD).
    async fn set_tier_override(server: &TestServer, account_id: &str) {
        PlanningServiceClient::new(server.channel())
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(tier_override(account_id)),
            })
            .await
            .expect("set a tier override");
    }

    /// An SLA policy of `account_id` on the seeded office-hours calendar.
    async fn create_sla_policy(server: &TestServer, account_id: &str) -> pb::SlaPolicy {
        ServiceLevelServiceClient::new(server.channel())
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(new_policy_fields(account_id)),
                request_id: String::new(),
            })
            .await
            .expect("create an SLA policy")
            .into_inner()
    }

    async fn create_service_request(server: &TestServer, account_id: &str) -> pb::ServiceRequest {
        ServiceLevelServiceClient::new(server.channel())
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: account_id.to_owned(),
                    title: unique("Matrix Request"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a service request")
            .into_inner()
    }

    /// A new service request of the fixture account, for one call to consume (status, response).
    async fn new_service_request(&self) -> pb::ServiceRequest {
        Self::create_service_request(self.server, &self.account.id).await
    }

    /// A new SLA policy of a new account, for one call to delete.
    async fn new_sla_policy(&self) -> pb::SlaPolicy {
        let account = Self::create_account(self.server, "Policy Account").await;
        Self::create_sla_policy(self.server, &account.id).await
    }

    async fn create_account(server: &TestServer, prefix: &str) -> pb::Account {
        server.create_account(&unique(prefix)).await
    }

    async fn add_seat(server: &TestServer, account_id: &str, staff_id: &str) -> pb::TeamMember {
        server
            .teams()
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(seat(account_id, staff_id)),
                request_id: String::new(),
            })
            .await
            .expect("add a team member")
            .into_inner()
    }

    /// A MAN-qualified opportunity of `account_id` in `stage` of the default pipeline.
    async fn create_opportunity(
        server: &TestServer,
        account_id: &str,
        owner_staff_id: &str,
        stage: &str,
        prefix: &str,
    ) -> pb::Opportunity {
        OpportunityServiceClient::new(server.channel())
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: account_id.to_owned(),
                    display_name: unique(prefix),
                    owner_staff_id: owner_staff_id.to_owned(),
                    stage: stage.to_owned(),
                    qualification: Some(pb::Qualification {
                        budget_confirmed: true,
                        authority_confirmed: true,
                        need_confirmed: true,
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create an opportunity")
            .into_inner()
    }

    /// A new open opportunity of the fixture account in LEAD, for one call to consume (move, close).
    async fn new_opportunity(&self) -> pb::Opportunity {
        Self::create_opportunity(
            self.server,
            &self.account.id,
            &self.staff.id,
            "LEAD",
            "Scratch Opportunity",
        )
        .await
    }

    /// A new opportunity of the fixture account, closed as lost, for one call to reopen.
    async fn new_closed_opportunity(&self) -> pb::Opportunity {
        let opportunity = self.new_opportunity().await;
        OpportunityServiceClient::new(self.server.channel())
            .close_opportunity(pb::CloseOpportunityRequest {
                id: opportunity.id,
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".to_owned(),
                ..Default::default()
            })
            .await
            .expect("close the opportunity to reopen")
            .into_inner()
    }

    /// A new industry (below manufacturing), for one call to read, change or delete.
    async fn new_industry(&self) -> pb::Industry {
        SegmentServiceClient::new(self.server.channel())
            .create_industry(pb::CreateIndustryRequest {
                industry: Some(segment_industry()),
            })
            .await
            .expect("create an industry")
            .into_inner()
    }

    /// A new region, for one call to read, change or delete.
    async fn new_region(&self) -> pb::Region {
        SegmentServiceClient::new(self.server.channel())
            .create_region(pb::CreateRegionRequest {
                region: Some(segment_region()),
            })
            .await
            .expect("create a region")
            .into_inner()
    }

    /// A new competitor, for one call to read, change or delete.
    async fn new_competitor(&self) -> pb::Competitor {
        OpportunityServiceClient::new(self.server.channel())
            .create_competitor(pb::CreateCompetitorRequest {
                competitor: Some(pb::Competitor {
                    name: unique("Competitor"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a competitor")
            .into_inner()
    }

    /// A new pipeline, for one call to change.
    async fn new_pipeline(&self) -> pb::Pipeline {
        OpportunityServiceClient::new(self.server.channel())
            .create_pipeline(pb::CreatePipelineRequest {
                pipeline: Some(new_pipeline_fields()),
                request_id: String::new(),
            })
            .await
            .expect("create a pipeline")
            .into_inner()
    }

    fn caller(&self, who: Who) -> Option<&Caller> {
        self.callers.get(&who)
    }

    /// The staff member `who` acts as; for the anonymous caller, the fixture's.
    fn staff_id_of(&self, who: Who) -> String {
        self.caller(who)
            .map_or_else(|| self.staff.id.clone(), |caller| caller.staff_id.clone())
    }

    /// A new account for one call to consume (delete, undelete), with the on-team MEMBER on its team
    /// when that MEMBER is the one calling.
    async fn account_for(&self, who: Who) -> pb::Account {
        let account = Self::create_account(self.server, "Scratch Account").await;
        if who.on_team() {
            let member = self.caller(who).expect("the on-team MEMBER exists");
            Self::add_seat(self.server, &account.id, &member.staff_id).await;
        }
        account
    }

    /// A new contact of the fixture account, for one call to consume.
    async fn new_contact(&self) -> pb::Contact {
        self.server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: self.account.id.clone(),
                    full_name: unique("Contact"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a contact")
            .into_inner()
    }

    async fn new_staff(&self) -> pb::Staff {
        self.server.create_staff(pb::StaffLevel::Staff).await
    }

    /// A webhook subscription of the ADMIN's. Its address is a documentation one (TEST-NET-1), which
    /// deliveries refuse without connecting anywhere.
    async fn new_subscription(&self) -> pb::WebhookSubscription {
        WebhookServiceClient::new(self.server.channel())
            .create_webhook_subscription(matrix_subscription())
            .await
            .expect("create a webhook subscription")
            .into_inner()
            .subscription
            .expect("the subscription")
    }

    async fn new_inactive_staff(&self) -> pb::Staff {
        let staff = self.new_staff().await;
        self.server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: staff.id.clone(),
                etag: String::new(),
            })
            .await
            .expect("deactivate a staff member")
            .into_inner()
    }

    /// A new staff member with a seat on the fixture account's team, for one call to consume.
    async fn new_seat(&self) -> pb::TeamMember {
        let staff = self.new_staff().await;
        Self::add_seat(self.server, &self.account.id, &staff.id).await
    }

    /// The id of a new API key of `staff_id`, for one call to revoke: revoking the caller's own key
    /// would lock it out of the rest of the matrix.
    /// A notification of `staff_id`'s to mark, filed straight into the table: the watcher files them
    /// only when an account's condition calls for one.
    async fn new_notification(&self, staff_id: &str) -> String {
        let id = Uuid::now_v7();
        let staff = Uuid::parse_str(staff_id).expect("a staff id");
        let account = Uuid::parse_str(&self.account.id).expect("an account id");
        self.server
            .execute(
                "INSERT INTO notifications (id, staff_id, reason, event_type, account_id, account_display_name, \
                 payload, create_time, read_time) VALUES ($1, $2, 'ACCOUNT_MANAGER', 'PlanActionOverdue', $3, \
                 'Matrix', '{}', $4, NULL)",
                [id.into(), staff.into(), account.into(), chrono::Utc::now().into()],
            )
            .await;
        id.to_string()
    }

    async fn new_key_id(&self, staff_id: &str) -> String {
        self.server
            .identity()
            .create_api_key(pb::CreateApiKeyRequest {
                staff_id: staff_id.to_owned(),
                display_name: unique("Key"),
                expire_time: None,
            })
            .await
            .expect("create an API key")
            .into_inner()
            .api_key
            .expect("the response has the key")
            .id
    }

    /// A request for `rpc` as `who` calls it: on the fixture, or on objects made for this one call where
    /// the call changes them beyond reuse. Every caller gets the same kind of target, so a refusal
    /// comes from the caller's rights, not from its request.
    async fn request(&self, rpc: &str, who: Who) -> Body {
        match rpc {
            "/kam.v1.AccountService/CreateAccount" => body(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: unique("Created Account"),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.AccountService/GetAccount" => body(pb::GetAccountRequest {
                id: self.account.id.clone(),
            }),
            "/kam.v1.AccountService/ListAccounts" => body(pb::ListAccountsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.AccountService/UpdateAccount" => body(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: self.account.id.clone(),
                    display_name: unique("Renamed Account"),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
                change_reason: String::new(),
            }),
            "/kam.v1.AccountService/DeleteAccount" => body(pb::DeleteAccountRequest {
                id: self.account_for(who).await.id,
                etag: String::new(),
            }),
            "/kam.v1.AccountService/UndeleteAccount" => {
                let account = self.account_for(who).await;
                self.server
                    .accounts()
                    .delete_account(pb::DeleteAccountRequest {
                        id: account.id.clone(),
                        etag: String::new(),
                    })
                    .await
                    .expect("delete the account to undelete");
                body(pb::UndeleteAccountRequest {
                    id: account.id,
                    etag: String::new(),
                })
            }
            "/kam.v1.AccountService/CreateContact" => body(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: self.account.id.clone(),
                    full_name: unique("Created Contact"),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.AccountService/GetContact" => body(pb::GetContactRequest {
                id: self.contact.id.clone(),
            }),
            "/kam.v1.AccountService/ListContacts" => body(pb::ListContactsRequest {
                account_id: self.account.id.clone(),
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.AccountService/UpdateContact" => body(pb::UpdateContactRequest {
                contact: Some(pb::Contact {
                    id: self.contact.id.clone(),
                    title: unique("Title"),
                    ..Default::default()
                }),
                update_mask: mask(&["title"]),
            }),
            "/kam.v1.AccountService/DeleteContact" => body(pb::DeleteContactRequest {
                id: self.new_contact().await.id,
                etag: String::new(),
            }),
            "/kam.v1.TeamService/CreateDepartment" => body(pb::CreateDepartmentRequest {
                department: Some(pb::Department {
                    code: format!("MATRIX_{}", Uuid::now_v7().simple()).to_uppercase(),
                    display_name: unique("Department"),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.TeamService/ListDepartments" => body(pb::ListDepartmentsRequest {}),
            "/kam.v1.TeamService/CreateStaff" => body(pb::CreateStaffRequest {
                staff: Some(new_staff_fields()),
                request_id: String::new(),
            }),
            "/kam.v1.TeamService/GetStaff" => body(pb::GetStaffRequest {
                id: self.staff.id.clone(),
            }),
            "/kam.v1.TeamService/ListStaff" => body(pb::ListStaffRequest::default()),
            "/kam.v1.TeamService/UpdateStaff" => body(pb::UpdateStaffRequest {
                staff: Some(pb::Staff {
                    id: self.staff.id.clone(),
                    title: unique("Title"),
                    ..Default::default()
                }),
                update_mask: mask(&["title"]),
            }),
            "/kam.v1.TeamService/DeactivateStaff" => body(pb::DeactivateStaffRequest {
                id: self.new_staff().await.id,
                etag: String::new(),
            }),
            "/kam.v1.TeamService/ReactivateStaff" => body(pb::ReactivateStaffRequest {
                id: self.new_inactive_staff().await.id,
                etag: String::new(),
            }),
            "/kam.v1.TeamService/AddTeamMember" => body(pb::AddTeamMemberRequest {
                member: Some(seat(&self.account.id, &self.new_staff().await.id)),
                request_id: String::new(),
            }),
            "/kam.v1.TeamService/UpdateTeamMember" => body(pb::UpdateTeamMemberRequest {
                member: Some(pb::TeamMember {
                    id: self.new_seat().await.id,
                    role: pb::TeamRole::SolutionEngineer as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["role"]),
            }),
            "/kam.v1.TeamService/RemoveTeamMember" => body(pb::RemoveTeamMemberRequest {
                id: self.new_seat().await.id,
                etag: String::new(),
                reason: "authorization matrix".to_owned(),
            }),
            "/kam.v1.TeamService/ListTeamMembers" => body(pb::ListTeamMembersRequest {
                account_id: self.account.id.clone(),
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.TeamService/GetCoverageReport" => body(pb::GetCoverageReportRequest::default()),
            "/kam.v1.TeamService/GetWorkload" => body(pb::GetWorkloadRequest {
                staff_ids: vec![self.staff.id.clone()],
            }),
            "/kam.v1.TeamService/TransferResponsibilities" => body(pb::TransferResponsibilitiesRequest {
                from_staff_id: self.new_seat().await.staff_id,
                to_staff_id: self.new_staff().await.id,
                account_ids: Vec::new(),
                reason: "authorization matrix".to_owned(),
                validate_only: false,
            }),
            "/kam.v1.IdentityService/WhoAmI" => body(pb::WhoAmIRequest {}),
            // An empty staff_id means the caller's own notifications.
            "/kam.v1.NotificationService/ListNotifications" => body(pb::ListNotificationsRequest::default()),
            "/kam.v1.NotificationService/MarkNotificationsRead" => body(pb::MarkNotificationsReadRequest {
                ids: vec![self.new_notification(&self.staff_id_of(who)).await],
                unread: false,
            }),
            // An empty staff_id means the caller's own keys: the self-service every role has.
            "/kam.v1.IdentityService/CreateApiKey" => body(pb::CreateApiKeyRequest {
                staff_id: String::new(),
                display_name: unique("Key"),
                expire_time: None,
            }),
            "/kam.v1.IdentityService/ListApiKeys" => body(pb::ListApiKeysRequest::default()),
            "/kam.v1.IdentityService/RevokeApiKey" => body(pb::RevokeApiKeyRequest {
                id: self.new_key_id(&self.staff_id_of(who)).await,
            }),
            "/kam.v1.IdentityService/GetStaffRoles" => body(pb::GetStaffRolesRequest {
                staff_id: self.staff.id.clone(),
            }),
            "/kam.v1.IdentityService/SetStaffRoles" => body(pb::SetStaffRolesRequest {
                staff_id: self.new_staff().await.id,
                roles: vec![Role::ServiceAgent as i32],
            }),
            "/kam.v1.AuditService/ListAuditEntries" => body(pb::ListAuditEntriesRequest {
                page_size: 1,
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/CreatePipeline" => body(pb::CreatePipelineRequest {
                pipeline: Some(new_pipeline_fields()),
                request_id: String::new(),
            }),
            "/kam.v1.OpportunityService/GetPipeline" => body(pb::GetPipelineRequest {
                id: DEFAULT_PIPELINE.to_owned(),
            }),
            "/kam.v1.OpportunityService/ListPipelines" => body(pb::ListPipelinesRequest {
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.OpportunityService/UpdatePipeline" => body(pb::UpdatePipelineRequest {
                pipeline: Some(pb::Pipeline {
                    id: self.new_pipeline().await.id,
                    display_name: unique("Renamed Pipeline"),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            }),
            "/kam.v1.OpportunityService/CreateOpportunity" => body(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: self.account.id.clone(),
                    display_name: unique("Created Opportunity"),
                    owner_staff_id: self.staff.id.clone(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.OpportunityService/GetOpportunity" => body(pb::GetOpportunityRequest {
                id: self.opportunity.id.clone(),
            }),
            "/kam.v1.OpportunityService/ListOpportunities" => body(pb::ListOpportunitiesRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/UpdateOpportunity" => body(pb::UpdateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    id: self.opportunity.id.clone(),
                    next_step: unique("Next step"),
                    ..Default::default()
                }),
                update_mask: mask(&["next_step"]),
            }),
            "/kam.v1.OpportunityService/MoveOpportunityStage" => body(pb::MoveOpportunityStageRequest {
                id: self.new_opportunity().await.id,
                stage: "CONTACTED".to_owned(),
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/CloseOpportunity" => body(pb::CloseOpportunityRequest {
                id: self.new_opportunity().await.id,
                outcome: pb::Outcome::Lost as i32,
                reason_code: "TIMING".to_owned(),
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/ReopenOpportunity" => body(pb::ReopenOpportunityRequest {
                id: self.new_closed_opportunity().await.id,
                reason: "authorization matrix".to_owned(),
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/ListStageHistory" => body(pb::ListStageHistoryRequest {
                opportunity_id: self.opportunity.id.clone(),
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.OpportunityService/GetFunnelSummary" => body(pb::GetFunnelSummaryRequest::default()),
            "/kam.v1.OpportunityService/GetConversionReport" => {
                body(pb::GetConversionReportRequest::default())
            }
            "/kam.v1.OpportunityService/GetVelocityReport" => body(pb::GetVelocityReportRequest::default()),
            "/kam.v1.OpportunityService/GetForecast" => body(pb::GetForecastRequest::default()),
            "/kam.v1.OpportunityService/ListStalledOpportunities" => {
                body(pb::ListStalledOpportunitiesRequest {
                    page_size: WHOLE_LIST,
                    ..Default::default()
                })
            }
            "/kam.v1.SegmentService/CreateIndustry" => body(pb::CreateIndustryRequest {
                industry: Some(segment_industry()),
            }),
            "/kam.v1.SegmentService/GetIndustry" => body(pb::GetIndustryRequest {
                code: self.new_industry().await.code,
            }),
            "/kam.v1.SegmentService/ListIndustries" => body(pb::ListIndustriesRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.SegmentService/UpdateIndustry" => body(pb::UpdateIndustryRequest {
                industry: Some(pb::Industry {
                    code: self.new_industry().await.code,
                    name: unique("Industry"),
                    ..Default::default()
                }),
                update_mask: mask(&["name"]),
            }),
            "/kam.v1.SegmentService/DeleteIndustry" => body(pb::DeleteIndustryRequest {
                code: self.new_industry().await.code,
                etag: String::new(),
            }),
            "/kam.v1.SegmentService/CreateRegion" => body(pb::CreateRegionRequest {
                region: Some(segment_region()),
            }),
            "/kam.v1.SegmentService/GetRegion" => body(pb::GetRegionRequest {
                code: self.new_region().await.code,
            }),
            "/kam.v1.SegmentService/ListRegions" => body(pb::ListRegionsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.SegmentService/UpdateRegion" => body(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: self.new_region().await.code,
                    name: unique("Region"),
                    ..Default::default()
                }),
                update_mask: mask(&["name"]),
            }),
            "/kam.v1.SegmentService/DeleteRegion" => body(pb::DeleteRegionRequest {
                code: self.new_region().await.code,
                etag: String::new(),
            }),
            "/kam.v1.OpportunityService/CreateCompetitor" => body(pb::CreateCompetitorRequest {
                competitor: Some(pb::Competitor {
                    name: unique("Competitor"),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.OpportunityService/GetCompetitor" => body(pb::GetCompetitorRequest {
                id: self.new_competitor().await.id,
            }),
            "/kam.v1.OpportunityService/ListCompetitors" => body(pb::ListCompetitorsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.OpportunityService/UpdateCompetitor" => body(pb::UpdateCompetitorRequest {
                competitor: Some(pb::Competitor {
                    id: self.new_competitor().await.id,
                    strengths: "authorization matrix".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["strengths"]),
            }),
            "/kam.v1.OpportunityService/DeleteCompetitor" => body(pb::DeleteCompetitorRequest {
                id: self.new_competitor().await.id,
                etag: String::new(),
            }),
            "/kam.v1.OpportunityService/GetCompetitorReport" => body(pb::GetCompetitorReportRequest {
                start_time: Some(pbjson_types::Timestamp { seconds: 0, nanos: 0 }),
                end_time: Some(pbjson_types::Timestamp {
                    seconds: 4_102_444_800,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            "/kam.v1.ServiceLevelService/CreateBusinessCalendar" => body(pb::CreateBusinessCalendarRequest {
                calendar: Some(new_calendar_fields()),
                request_id: String::new(),
            }),
            "/kam.v1.ServiceLevelService/GetBusinessCalendar" => body(pb::GetBusinessCalendarRequest {
                id: self.calendar.id.clone(),
            }),
            "/kam.v1.ServiceLevelService/ListBusinessCalendars" => body(pb::ListBusinessCalendarsRequest {
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.ServiceLevelService/UpdateBusinessCalendar" => body(pb::UpdateBusinessCalendarRequest {
                calendar: Some(pb::BusinessCalendar {
                    id: self.calendar.id.clone(),
                    display_name: unique("Renamed Calendar"),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            }),
            "/kam.v1.ServiceLevelService/CreateSlaPolicy" => body(pb::CreateSlaPolicyRequest {
                policy: Some(new_policy_fields(
                    &Self::create_account(self.server, "Policy Account").await.id,
                )),
                request_id: String::new(),
            }),
            "/kam.v1.ServiceLevelService/GetSlaPolicy" => body(pb::GetSlaPolicyRequest {
                id: self.sla_policy.id.clone(),
            }),
            "/kam.v1.ServiceLevelService/ListSlaPolicies" => body(pb::ListSlaPoliciesRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.ServiceLevelService/UpdateSlaPolicy" => body(pb::UpdateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    id: self.sla_policy.id.clone(),
                    display_name: unique("Renamed Policy"),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            }),
            "/kam.v1.ServiceLevelService/DeleteSlaPolicy" => body(pb::DeleteSlaPolicyRequest {
                id: self.new_sla_policy().await.id,
                etag: String::new(),
            }),
            "/kam.v1.ServiceLevelService/CreateServiceRequest" => body(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: self.account.id.clone(),
                    title: unique("Created Request"),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
            "/kam.v1.ServiceLevelService/GetServiceRequest" => body(pb::GetServiceRequestRequest {
                id: self.service_request.id.clone(),
            }),
            "/kam.v1.ServiceLevelService/ListServiceRequests" => body(pb::ListServiceRequestsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.ServiceLevelService/UpdateServiceRequest" => body(pb::UpdateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    id: self.service_request.id.clone(),
                    description: unique("Described"),
                    ..Default::default()
                }),
                update_mask: mask(&["description"]),
            }),
            "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus" => {
                body(pb::ChangeServiceRequestStatusRequest {
                    id: self.new_service_request().await.id,
                    status: pb::service_request::Status::InProgress as i32,
                    ..Default::default()
                })
            }
            "/kam.v1.ServiceLevelService/RecordFirstResponse" => body(pb::RecordFirstResponseRequest {
                id: self.new_service_request().await.id,
                etag: String::new(),
            }),
            "/kam.v1.ServiceLevelService/RecalculateSla" => body(pb::RecalculateSlaRequest {
                id: self.service_request.id.clone(),
                ..Default::default()
            }),
            "/kam.v1.ServiceLevelService/ListStatusHistory" => body(pb::ListStatusHistoryRequest {
                service_request_id: self.service_request.id.clone(),
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.ServiceLevelService/ListEscalations" => body(pb::ListEscalationsRequest {
                service_request_id: self.service_request.id.clone(),
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.ServiceLevelService/GetSlaComplianceReport" => body(pb::GetSlaComplianceReportRequest {
                start_time: Some(pbjson_types::Timestamp { seconds: 0, nanos: 0 }),
                end_time: Some(pbjson_types::Timestamp {
                    seconds: 4_000_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            "/kam.v1.AccountService/ListRelationshipChanges" => body(pb::ListRelationshipChangesRequest {
                account_id: self.account.id.clone(),
                page_size: WHOLE_LIST,
                page_token: String::new(),
            }),
            "/kam.v1.PlanningService/UpsertRevenueRecords" => body(pb::UpsertRevenueRecordsRequest {
                records: vec![revenue_record(&self.account.id, &unique("REV"))],
            }),
            "/kam.v1.PlanningService/ListRevenueRecords" => body(pb::ListRevenueRecordsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/GetMonthlyRevenue" => body(pb::GetMonthlyRevenueRequest {
                account_id: self.account.id.clone(),
                ..Default::default()
            }),
            "/kam.v1.PlanningService/GetRevenueReport" => body(pb::GetRevenueReportRequest::default()),
            "/kam.v1.PlanningService/RecomputeTiers" => body(pb::RecomputeTiersRequest {
                validate_only: true,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/ListTierChanges" => body(pb::ListTierChangesRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/SetTierOverride" => body(pb::SetTierOverrideRequest {
                tier_override: Some(tier_override(&self.account.id)),
            }),
            "/kam.v1.PlanningService/ClearTierOverride" => {
                // Each call clears an override of its own.
                let account = Self::create_account(self.server, "Override Account").await;
                Self::set_tier_override(self.server, &account.id).await;
                body(pb::ClearTierOverrideRequest {
                    account_id: account.id,
                })
            }
            "/kam.v1.PlanningService/ListTierOverrides" => body(pb::ListTierOverridesRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/CreateAccountPlan" => body(pb::CreateAccountPlanRequest {
                plan: Some(plan_fields(&self.account.id)),
                request_id: String::new(),
            }),
            "/kam.v1.PlanningService/GetAccountPlan" => body(pb::GetAccountPlanRequest {
                id: self.plan.id.clone(),
            }),
            "/kam.v1.PlanningService/ListAccountPlans" => body(pb::ListAccountPlansRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/UpdateAccountPlan" => body(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    id: self.plan.id.clone(),
                    vision: unique("Vision"),
                    ..Default::default()
                }),
                update_mask: mask(&["vision"]),
            }),
            "/kam.v1.PlanningService/ChangeAccountPlanStatus" => {
                // Each call activates a DRAFT plan of an account of its own (one ACTIVE plan each).
                let account = self.account_for(who).await;
                let plan = Self::create_plan(self.server, &account.id).await;
                body(pb::ChangeAccountPlanStatusRequest {
                    id: plan.id,
                    status: pb::account_plan::Status::Active as i32,
                    etag: String::new(),
                })
            }
            "/kam.v1.PlanningService/GetPlanScorecard" => body(pb::GetPlanScorecardRequest {
                plan_id: self.plan.id.clone(),
            }),
            "/kam.v1.PlanningService/CreatePlanAction" => body(pb::CreatePlanActionRequest {
                action: Some(plan_action_fields(&self.plan.id, &self.staff.id)),
                request_id: String::new(),
            }),
            "/kam.v1.PlanningService/GetPlanAction" => body(pb::GetPlanActionRequest {
                id: self.plan_action.id.clone(),
            }),
            "/kam.v1.PlanningService/ListPlanActions" => body(pb::ListPlanActionsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/UpdatePlanAction" => body(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction {
                    id: self.plan_action.id.clone(),
                    description: unique("Progress"),
                    ..Default::default()
                }),
                update_mask: mask(&["description"]),
            }),
            "/kam.v1.PlanningService/LogInteraction" => body(pb::LogInteractionRequest {
                interaction: Some(interaction_fields(&self.account.id, &self.staff.id)),
                request_id: String::new(),
            }),
            "/kam.v1.PlanningService/GetInteraction" => body(pb::GetInteractionRequest {
                id: self.interaction.id.clone(),
            }),
            "/kam.v1.PlanningService/ListInteractions" => body(pb::ListInteractionsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/UpdateInteraction" => body(pb::UpdateInteractionRequest {
                interaction: Some(pb::Interaction {
                    id: self.interaction.id.clone(),
                    next_step: unique("Next"),
                    ..Default::default()
                }),
                update_mask: mask(&["next_step"]),
            }),
            // The fixture account is a KEY account (its override) that nobody has visited.
            "/kam.v1.PlanningService/ListOverdueCadence" => body(pb::ListOverdueCadenceRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.PlanningService/ListUpcomingKeyDates" => body(pb::ListUpcomingKeyDatesRequest {
                days: 366,
                account_id: String::new(),
                segments: None,
            }),
            "/kam.v1.PlanningService/GetAccountHealth" => body(pb::GetAccountHealthRequest {
                account_id: self.account.id.clone(),
            }),
            "/kam.v1.PlanningService/GetAccountBrief" => body(pb::GetAccountBriefRequest {
                account_id: self.account.id.clone(),
                horizon_days: 0,
            }),
            "/kam.v1.PlanningService/GetGroupSummary" => body(pb::GetGroupSummaryRequest {
                account_id: self.account.id.clone(),
            }),
            // Below 101: every account, whatever its health.
            "/kam.v1.PlanningService/ListAtRiskAccounts" => body(pb::ListAtRiskAccountsRequest {
                page_size: WHOLE_LIST,
                max_score: 101,
                ..Default::default()
            }),
            "/kam.v1.FeedbackService/CreateFeedbackRound" => body(pb::CreateFeedbackRoundRequest {
                feedback_round: Some(feedback_round_fields(&self.account.id, &self.staff.id)),
                request_id: String::new(),
            }),
            "/kam.v1.FeedbackService/GetFeedbackRound" => body(pb::GetFeedbackRoundRequest {
                id: self.feedback_round.id.clone(),
            }),
            "/kam.v1.FeedbackService/ListFeedbackRounds" => body(pb::ListFeedbackRoundsRequest {
                page_size: WHOLE_LIST,
                ..Default::default()
            }),
            "/kam.v1.FeedbackService/UpdateFeedbackRound" => body(pb::UpdateFeedbackRoundRequest {
                feedback_round: Some(pb::FeedbackRound {
                    id: self.feedback_round.id.clone(),
                    comment: unique("Corrected"),
                    ..Default::default()
                }),
                update_mask: mask(&["comment"]),
            }),
            // Each call deletes a round of its own.
            "/kam.v1.FeedbackService/DeleteFeedbackRound" => body(pb::DeleteFeedbackRoundRequest {
                id: Self::create_feedback_round(self.server, &self.account.id, &self.staff.id)
                    .await
                    .id,
                etag: String::new(),
            }),
            "/kam.v1.FeedbackService/ImportFeedbackRounds" => body(pb::ImportFeedbackRoundsRequest {
                feedback_rounds: vec![pb::FeedbackRoundRecord {
                    external_id: unique("SURVEY"),
                    account_id: self.account.id.clone(),
                    period_start: Some(pb::Date {
                        year: 2026,
                        month: 4,
                        day: 1,
                    }),
                    period_end: Some(pb::Date {
                        year: 2026,
                        month: 6,
                        day: 30,
                    }),
                    ratings: vec![pb::FeedbackRatingRecord {
                        staff_id: self.staff.id.clone(),
                        expertise: 5,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }),
            "/kam.v1.FeedbackService/GetFeedbackReport" => body(pb::GetFeedbackReportRequest {
                group_by: pb::get_feedback_report_request::GroupBy::Person as i32,
                ..Default::default()
            }),
            // From the first event kept: the fixture's events are among the first thousand.
            "/kam.v1.IntegrationService/WatchEvents" => body(pb::WatchEventsRequest {
                start: pb::watch_events_request::Start::Earliest as i32,
                batch_size: 1000,
                ..Default::default()
            }),
            // A stream of one message of one record.
            "/kam.v1.IntegrationService/ImportRevenue" => body(pb::ImportRevenueRequest {
                records: vec![revenue_record(&self.account.id, &unique("IMP"))],
            }),
            "/kam.v1.IntegrationService/ImportAccounts" => body(pb::ImportAccountsRequest {
                accounts: vec![pb::AccountRecord {
                    external_id: unique("ERP-A"),
                    display_name: "Imported".into(),
                    ..Default::default()
                }],
            }),
            // The call is what is authorized; its row names no account and is reported, not written.
            "/kam.v1.IntegrationService/ImportContacts" => body(pb::ImportContactsRequest {
                contacts: vec![pb::ContactRecord {
                    external_id: unique("ERP-C"),
                    account_external_id: unique("ERP-NONE"),
                    full_name: "Imported".into(),
                    ..Default::default()
                }],
            }),
            "/kam.v1.IntegrationService/ImportOpportunities" => body(pb::ImportOpportunitiesRequest {
                opportunities: vec![pb::OpportunityRecord {
                    external_id: unique("ERP-O"),
                    account_external_id: unique("ERP-NONE"),
                    display_name: "Imported".into(),
                    owner_email: "nobody@example.com".into(),
                    ..Default::default()
                }],
            }),
            "/kam.v1.IntegrationService/ImportServiceRequests" => body(pb::ImportServiceRequestsRequest {
                service_requests: vec![pb::ServiceRequestRecord {
                    external_id: unique("ERP-S"),
                    account_external_id: unique("ERP-NONE"),
                    title: "Imported".into(),
                    ..Default::default()
                }],
            }),
            "/kam.v1.WebhookService/CreateWebhookSubscription" => body(matrix_subscription()),
            "/kam.v1.WebhookService/GetWebhookSubscription" => body(pb::GetWebhookSubscriptionRequest {
                id: self.new_subscription().await.id,
            }),
            "/kam.v1.WebhookService/ListWebhookSubscriptions" => {
                body(pb::ListWebhookSubscriptionsRequest::default())
            }
            "/kam.v1.WebhookService/UpdateWebhookSubscription" => {
                body(pb::UpdateWebhookSubscriptionRequest {
                    subscription: Some(pb::WebhookSubscription {
                        id: self.new_subscription().await.id,
                        description: unique("Matrix"),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["description".to_owned()],
                    }),
                })
            }
            "/kam.v1.WebhookService/DeleteWebhookSubscription" => {
                body(pb::DeleteWebhookSubscriptionRequest {
                    id: self.new_subscription().await.id,
                })
            }
            "/kam.v1.WebhookService/RotateWebhookSecret" => body(pb::RotateWebhookSecretRequest {
                id: self.new_subscription().await.id,
            }),
            "/kam.v1.WebhookService/ListWebhookDeliveries" => body(pb::ListWebhookDeliveriesRequest {
                subscription_id: self.new_subscription().await.id,
                ..Default::default()
            }),
            "/kam.v1.WebhookService/ReplayWebhookDeliveries" => {
                let subscription = self.new_subscription().await;
                body(pb::ReplayWebhookDeliveriesRequest {
                    id: subscription.id,
                    cursor: subscription.cursor,
                })
            }
            // A full sync of the accounts: the fixture's account is among the first 500 changed.
            "/kam.v1.IntegrationService/ListChanges" => body(pb::ListChangesRequest {
                resource_type: pb::SyncResource::Accounts as i32,
                page_size: 500,
                ..Default::default()
            }),
            _ => panic!("no request for {rpc}: add one to Fixture::request in tests/tests/authorization.rs"),
        }
    }

    /// For a list a MEMBER sees filtered: whether `response` shows the fixture's row. `None` for
    /// every other RPC.
    fn lists_fixture(&self, rpc: &str, response: &[u8]) -> Option<bool> {
        let shown = match rpc {
            "/kam.v1.AccountService/ListAccounts" => pb::ListAccountsResponse::decode(response)
                .map(|list| list.accounts.iter().any(|a| a.id == self.account.id)),
            "/kam.v1.AccountService/ListContacts" => pb::ListContactsResponse::decode(response)
                .map(|list| list.contacts.iter().any(|c| c.id == self.contact.id)),
            "/kam.v1.TeamService/ListTeamMembers" => pb::ListTeamMembersResponse::decode(response)
                .map(|list| list.members.iter().any(|m| m.id == self.membership.id)),
            "/kam.v1.OpportunityService/ListOpportunities" => pb::ListOpportunitiesResponse::decode(response)
                .map(|list| list.opportunities.iter().any(|o| o.id == self.opportunity.id)),
            "/kam.v1.ServiceLevelService/ListSlaPolicies" => pb::ListSlaPoliciesResponse::decode(response)
                .map(|list| list.policies.iter().any(|p| p.id == self.sla_policy.id)),
            "/kam.v1.ServiceLevelService/ListServiceRequests" => {
                pb::ListServiceRequestsResponse::decode(response).map(|list| {
                    list.service_requests
                        .iter()
                        .any(|r| r.id == self.service_request.id)
                })
            }
            // Only the fixture's opportunity is in FIXTURE_STAGE: counted there means counted.
            "/kam.v1.OpportunityService/GetFunnelSummary" => pb::GetFunnelSummaryResponse::decode(response)
                .map(|summary| {
                    summary
                        .stages
                        .iter()
                        .any(|s| s.stage == FIXTURE_STAGE && s.count > 0)
                }),
            "/kam.v1.PlanningService/ListRevenueRecords" => pb::ListRevenueRecordsResponse::decode(response)
                .map(|list| {
                    list.records
                        .iter()
                        .any(|r| r.external_id == self.revenue_external_id)
                }),
            "/kam.v1.PlanningService/ListTierChanges" => pb::ListTierChangesResponse::decode(response)
                .map(|list| list.tier_changes.iter().any(|c| c.account_id == self.account.id)),
            "/kam.v1.PlanningService/ListTierOverrides" => pb::ListTierOverridesResponse::decode(response)
                .map(|list| {
                    list.tier_overrides
                        .iter()
                        .any(|o| o.account_id == self.account.id)
                }),
            "/kam.v1.PlanningService/ListAccountPlans" => pb::ListAccountPlansResponse::decode(response)
                .map(|list| list.plans.iter().any(|p| p.id == self.plan.id)),
            "/kam.v1.PlanningService/ListPlanActions" => pb::ListPlanActionsResponse::decode(response)
                .map(|list| list.actions.iter().any(|a| a.id == self.plan_action.id)),
            "/kam.v1.PlanningService/ListInteractions" => pb::ListInteractionsResponse::decode(response)
                .map(|list| list.interactions.iter().any(|i| i.id == self.interaction.id)),
            "/kam.v1.FeedbackService/ListFeedbackRounds" => pb::ListFeedbackRoundsResponse::decode(response)
                .map(|list| {
                    list.feedback_rounds
                        .iter()
                        .any(|r| r.id == self.feedback_round.id)
                }),
            "/kam.v1.PlanningService/ListOverdueCadence" => pb::ListOverdueCadenceResponse::decode(response)
                .map(|list| list.overdue.iter().any(|o| o.account_id == self.account.id)),
            "/kam.v1.PlanningService/ListAtRiskAccounts" => pb::ListAtRiskAccountsResponse::decode(response)
                .map(|list| list.accounts.iter().any(|a| a.account_id == self.account.id)),
            "/kam.v1.PlanningService/ListUpcomingKeyDates" => {
                pb::ListUpcomingKeyDatesResponse::decode(response)
                    .map(|list| list.key_dates.iter().any(|d| d.contact_id == self.contact.id))
            }
            "/kam.v1.IntegrationService/WatchEvents" => pb::WatchEventsResponse::decode(response)
                .map(|batch| batch.events.iter().any(|e| e.account_id == self.account.id)),
            "/kam.v1.IntegrationService/ListChanges" => pb::ListChangesResponse::decode(response)
                .map(|page| page.changes.iter().any(|c| c.id == self.account.id)),
            _ => return None,
        };
        Some(shown.unwrap_or_else(|e| panic!("decode the response of {rpc}: {e}")))
    }

    /// Calls `rpc` as `who`: what came of it, with the status when it failed.
    async fn observe(&self, rpc: &Rpc, who: Who) -> (Outcome, Option<Status>) {
        let request = self.request(&rpc.path, who).await;
        assert_eq!(
            request.message, rpc.input,
            "Fixture::request builds a {} for {}, which takes a {}",
            request.message, rpc.path, rpc.input
        );
        match call(self.server.anonymous(), rpc, self.caller(who), request.bytes).await {
            Ok(response) => match self.lists_fixture(&rpc.path, &response) {
                Some(shown) => (Outcome::Listed(shown), None),
                None => (Outcome::Ok, None),
            },
            Err(status) => {
                let outcome = match status.code() {
                    Code::Unauthenticated => Outcome::Unauthenticated,
                    Code::PermissionDenied => Outcome::PermissionDenied,
                    code => Outcome::Failed(code),
                };
                (outcome, Some(status))
            }
        }
    }
}

/// What is wrong with a cell, if anything: another outcome than expected, or a refusal without the
/// error details every KAM error carries.
fn finding(want: Outcome, got: Outcome, status: Option<&Status>) -> Option<String> {
    let message = status
        .map(|s| format!(" ({:?}: {})", s.code(), s.message()))
        .unwrap_or_default();
    if got != want {
        return Some(format!("expected {}, got {}{message}", want.label(), got.label()));
    }
    let in_domain = |status: &Status| {
        let details = status.get_error_details();
        details
            .error_info()
            .is_some_and(|info| info.domain == ERROR_DOMAIN)
    };
    match status {
        Some(status) if !in_domain(status) => Some(format!(
            "{} without an ErrorInfo in domain {ERROR_DOMAIN}: {status:?}",
            got.label()
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------------

/// One row of the printed matrix: the RPC and each column's cell.
struct Row {
    rpc: String,
    cells: Vec<String>,
}

fn print_matrix(server: &TestServer, columns: &[Who], rows: &[Row]) {
    let rpc_width = rows.iter().map(|row| row.rpc.len()).max().unwrap_or(0);
    let cell_width = rows
        .iter()
        .flat_map(|row| row.cells.iter().map(String::len))
        .chain(columns.iter().map(|who| who.label().len()))
        .max()
        .unwrap_or(0);
    eprintln!(
        "authorization matrix on {:?} (a cell that differs from EXPECTED reads `got (want expected)`):",
        server.backend
    );
    let header: Vec<String> = columns
        .iter()
        .map(|who| format!("{:<cell_width$}", who.label()))
        .collect();
    eprintln!("{:<rpc_width$}  {}", "", header.join("  "));
    for row in rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|cell| format!("{cell:<cell_width$}"))
            .collect();
        eprintln!("{:<rpc_width$}  {}", row.rpc, cells.join("  "));
    }
}

backend_tests! {
    async fn every_rpc_answers_every_caller_as_expected(server: &TestServer) {
        let started = Instant::now();
        let rules = rules_by_rpc();
        let fixture = Fixture::new(server).await;
        let columns = Who::columns();
        let mut rows = Vec::new();
        let mut mismatches = Vec::new();
        for (rpc, rule) in &rules {
            let mut cells = Vec::new();
            for who in &columns {
                let want = expected(rule, *who);
                let (got, status) = fixture.observe(rpc, *who).await;
                match finding(want, got, status.as_ref()) {
                    None => cells.push(got.label()),
                    Some(problem) => {
                        cells.push(format!("{} (want {})", got.label(), want.label()));
                        mismatches.push(format!("{} as {}: {problem}", rpc.path, who.label()));
                    }
                }
            }
            rows.push(Row {
                rpc: rpc.path.trim_start_matches("/kam.v1.").to_owned(),
                cells,
            });
        }
        print_matrix(server, &columns, &rows);
        eprintln!(
            "{} RPCs × {} callers in {:?}",
            rules.len(),
            columns.len(),
            started.elapsed()
        );
        assert!(
            mismatches.is_empty(),
            "{} cells of the authorization matrix differ from EXPECTED:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    /// To a MEMBER, an account of another team and one that does not exist look the same, so ids cannot
    /// be probed; an ADMIN learns the truth.
    async fn a_member_is_refused_before_anyone_looks_for_the_object(server: &TestServer) {
        let account = Fixture::create_account(server, "Member Account").await;
        // On a team of its own: the refusals below are about the missing ids, not about having no team.
        let member = server.member_on_team(&account.id).await;
        let missing = || Uuid::now_v7().to_string();
        let requests = [
            ("/kam.v1.AccountService/GetAccount", body(pb::GetAccountRequest { id: missing() })),
            (
                "/kam.v1.AccountService/UpdateAccount",
                body(pb::UpdateAccountRequest {
                    account: Some(pb::Account {
                        id: missing(),
                        display_name: "Renamed".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["display_name"]),
                    change_reason: String::new(),
                }),
            ),
            (
                "/kam.v1.AccountService/DeleteAccount",
                body(pb::DeleteAccountRequest { id: missing(), etag: String::new() }),
            ),
            (
                "/kam.v1.AccountService/UndeleteAccount",
                body(pb::UndeleteAccountRequest { id: missing(), etag: String::new() }),
            ),
            (
                "/kam.v1.AccountService/CreateContact",
                body(pb::CreateContactRequest {
                    contact: Some(pb::Contact {
                        account_id: missing(),
                        full_name: "Nobody".to_owned(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                }),
            ),
            ("/kam.v1.AccountService/GetContact", body(pb::GetContactRequest { id: missing() })),
            (
                "/kam.v1.AccountService/UpdateContact",
                body(pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: missing(),
                        title: "Title".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["title"]),
                }),
            ),
            (
                "/kam.v1.AccountService/DeleteContact",
                body(pb::DeleteContactRequest { id: missing(), etag: String::new() }),
            ),
            (
                "/kam.v1.OpportunityService/CreateOpportunity",
                body(pb::CreateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        account_id: missing(),
                        display_name: "Nothing".to_owned(),
                        owner_staff_id: member.staff_id.clone(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                }),
            ),
            (
                "/kam.v1.OpportunityService/GetOpportunity",
                body(pb::GetOpportunityRequest { id: missing() }),
            ),
            (
                "/kam.v1.OpportunityService/UpdateOpportunity",
                body(pb::UpdateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        id: missing(),
                        next_step: "Call".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["next_step"]),
                }),
            ),
            (
                "/kam.v1.OpportunityService/MoveOpportunityStage",
                body(pb::MoveOpportunityStageRequest {
                    id: missing(),
                    stage: "CONTACTED".to_owned(),
                    ..Default::default()
                }),
            ),
            (
                "/kam.v1.OpportunityService/CloseOpportunity",
                body(pb::CloseOpportunityRequest {
                    id: missing(),
                    outcome: pb::Outcome::Lost as i32,
                    reason_code: "PRICE".to_owned(),
                    ..Default::default()
                }),
            ),
            (
                "/kam.v1.OpportunityService/ReopenOpportunity",
                body(pb::ReopenOpportunityRequest {
                    id: missing(),
                    reason: "Back".to_owned(),
                    ..Default::default()
                }),
            ),
            (
                "/kam.v1.OpportunityService/ListStageHistory",
                body(pb::ListStageHistoryRequest { opportunity_id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.ServiceLevelService/CreateServiceRequest",
                body(pb::CreateServiceRequestRequest {
                    service_request: Some(pb::ServiceRequest {
                        account_id: missing(),
                        title: "Nothing".to_owned(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                }),
            ),
            (
                "/kam.v1.ServiceLevelService/GetServiceRequest",
                body(pb::GetServiceRequestRequest { id: missing() }),
            ),
            (
                "/kam.v1.ServiceLevelService/UpdateServiceRequest",
                body(pb::UpdateServiceRequestRequest {
                    service_request: Some(pb::ServiceRequest {
                        id: missing(),
                        title: "Renamed".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["title"]),
                }),
            ),
            (
                "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus",
                body(pb::ChangeServiceRequestStatusRequest {
                    id: missing(),
                    status: pb::service_request::Status::InProgress as i32,
                    ..Default::default()
                }),
            ),
            (
                "/kam.v1.ServiceLevelService/RecordFirstResponse",
                body(pb::RecordFirstResponseRequest { id: missing(), etag: String::new() }),
            ),
            (
                "/kam.v1.ServiceLevelService/RecalculateSla",
                body(pb::RecalculateSlaRequest { id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.ServiceLevelService/ListStatusHistory",
                body(pb::ListStatusHistoryRequest { service_request_id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.ServiceLevelService/ListEscalations",
                body(pb::ListEscalationsRequest { service_request_id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.ServiceLevelService/GetSlaPolicy",
                body(pb::GetSlaPolicyRequest { id: missing() }),
            ),
            (
                "/kam.v1.AccountService/ListRelationshipChanges",
                body(pb::ListRelationshipChangesRequest { account_id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.PlanningService/GetAccountHealth",
                body(pb::GetAccountHealthRequest { account_id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetAccountBrief",
                body(pb::GetAccountBriefRequest { account_id: missing(), horizon_days: 0 }),
            ),
            (
                "/kam.v1.PlanningService/GetGroupSummary",
                body(pb::GetGroupSummaryRequest { account_id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetInteraction",
                body(pb::GetInteractionRequest { id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetAccountPlan",
                body(pb::GetAccountPlanRequest { id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetPlanScorecard",
                body(pb::GetPlanScorecardRequest { plan_id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetPlanAction",
                body(pb::GetPlanActionRequest { id: missing() }),
            ),
            (
                "/kam.v1.PlanningService/GetMonthlyRevenue",
                body(pb::GetMonthlyRevenueRequest { account_id: missing(), ..Default::default() }),
            ),
            (
                "/kam.v1.FeedbackService/CreateFeedbackRound",
                body(pb::CreateFeedbackRoundRequest {
                    feedback_round: Some(feedback_round_fields(&missing(), &member.staff_id)),
                    request_id: String::new(),
                }),
            ),
            (
                "/kam.v1.FeedbackService/GetFeedbackRound",
                body(pb::GetFeedbackRoundRequest { id: missing() }),
            ),
            (
                "/kam.v1.FeedbackService/UpdateFeedbackRound",
                body(pb::UpdateFeedbackRoundRequest {
                    feedback_round: Some(pb::FeedbackRound {
                        id: missing(),
                        comment: "Corrected".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["comment"]),
                }),
            ),
            (
                "/kam.v1.FeedbackService/DeleteFeedbackRound",
                body(pb::DeleteFeedbackRoundRequest { id: missing(), etag: String::new() }),
            ),
        ];
        for (path, request) in requests {
            let rpc = &Rpc {
                path: path.to_owned(),
                input: request.message.to_owned(),
                client_streaming: false,
                server_streaming: false,
            };
            let as_member = call(server.anonymous(), rpc, Some(&member), request.bytes.clone())
                .await
                .expect_err(path);
            assert_eq!(as_member.code(), Code::PermissionDenied, "{path} as a MEMBER: {as_member:?}");
            assert_error(&as_member, Code::PermissionDenied);

            let as_admin = call(server.anonymous(), rpc, Some(server.admin()), request.bytes)
                .await
                .expect_err(path);
            assert_eq!(as_admin.code(), Code::NotFound, "{path} as the ADMIN: {as_admin:?}");
            assert_error(&as_admin, Code::NotFound);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Valid requests with one hostile field
// ---------------------------------------------------------------------------------------------------

/// Every RPC's valid request (the one the matrix sends an ADMIN), with one field at a time replaced by
/// each case of `kam_tests::hostile`: the checks past the first one see the hostile value too. No
/// answer may be INTERNAL, UNKNOWN or broken, and another client is answered promptly throughout.
async fn valid_requests_with_one_hostile_field(backend: kam_tests::Backend) {
    use kam_tests::hostile::{CALL_DEADLINE, Prober, Types, cases, finding};
    // Thousands of calls from one ADMIN: its request budget would answer most of them instead.
    let Some(server) =
        TestServer::start_with(backend, |config| config.rate_limit.requests_per_second = 0).await
    else {
        return;
    };
    let started = Instant::now();
    let fixture = Fixture::new(&server).await;
    let admin = Who::one(Role::Admin, false);
    let types = Types::of_this_build();
    let prober = Prober::start(&server).await;
    let (mut findings, mut sent, mut accepted) = (Vec::new(), 0, 0);
    for (rpc, _) in rules_by_rpc() {
        for case in cases(&types, &rpc) {
            let mut request = fixture.request(&rpc.path, admin).await.bytes;
            request.extend_from_slice(&case.bytes);
            let asked = Instant::now();
            let answer = tokio::time::timeout(
                CALL_DEADLINE * 2,
                call(server.anonymous(), &rpc, fixture.caller(admin), request),
            )
            .await
            .unwrap_or_else(|_| Err(Status::deadline_exceeded("no answer at all")));
            sent += 1;
            accepted += usize::from(answer.is_ok());
            if let Some(problem) = finding(&answer, asked.elapsed()) {
                findings.push(format!("{} {} = {}: {problem}", rpc.path, case.field, case.value));
            }
        }
    }
    let answered = prober.assert_answered_promptly().await;
    eprintln!(
        "{sent} valid requests with a hostile field ({accepted} of them accepted) on {:?} in {:?}; the \
         other client was answered {answered} times, promptly",
        server.backend,
        started.elapsed()
    );
    assert!(
        findings.is_empty(),
        "{} valid requests with a hostile field were answered as no request may be:\n{}",
        findings.len(),
        findings.join("\n")
    );
    drop(fixture);
    server.stop().await;
}

mod hostile {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_valid_requests_with_one_hostile_field() {
        super::valid_requests_with_one_hostile_field(kam_tests::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_valid_requests_with_one_hostile_field() {
        super::valid_requests_with_one_hostile_field(kam_tests::Backend::Postgres).await;
    }
}

/// Fails fast, without a server, when an RPC has no rule or a rule no RPC.
#[test]
fn every_rpc_has_exactly_one_rule_and_every_rule_an_rpc() {
    let rules = rules_by_rpc();
    assert_eq!(rules.len(), EXPECTED.len());
}

/// A subscription to a documentation address (TEST-NET-1): deliveries refuse it without connecting.
fn matrix_subscription() -> pb::CreateWebhookSubscriptionRequest {
    pb::CreateWebhookSubscriptionRequest {
        subscription: Some(pb::WebhookSubscription {
            url: "https://192.0.2.1/kam-events".to_owned(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}
