//! The one table of what each RPC needs, and the roles that grant it. The auth layer consults it for
//! every call before any handler runs; an RPC missing from the table is refused.

use super::principal::{Principal, Role, Visibility};
use crate::platform::error::{Error, Result};

/// Services anyone may call: load balancers and tooling must work without credentials.
const PUBLIC_SERVICES: &[&str] = &["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Any principal; the handler checks which objects it may touch (its own keys, say).
    Authenticated,
    /// Accounts and what hangs off them; a MEMBER only those of its teams.
    ReadAccounts,
    CreateAccounts,
    /// Change and delete accounts and their contacts; a MEMBER only those of its teams.
    EditAccounts,
    /// Departments, the staff directory, roles and team memberships.
    ReadTeams,
    /// Departments, staff, team seats and handovers.
    ManageTeams,
    /// Coverage and workload across all accounts.
    ReadReports,
    /// Create and change pipelines (the funnel's stages).
    ManagePipelines,
    /// Work service requests: open, change, move along the status graph, record first responses,
    /// re-apply SLA policies; a MEMBER only those of its teams' accounts. Its own permission because
    /// SERVICE_AGENTs, who may not edit account master data, do this work.
    WorkServiceRequests,
    /// Create and change business calendars and SLA policies (the promises made to customers).
    ManageServiceLevels,
    /// Feed the ERP's data in: revenue, and the bulk imports of accounts and contacts.
    ImportFromErp,
    /// Rank accounts into tiers and set tiers by hand (managers manage plans).
    ManagePlans,
    /// Write account plans and their actions; a MEMBER only those of its teams' accounts.
    WorkPlans,
    /// Log and correct interactions with accounts (visits, calls, support); a MEMBER only on its
    /// teams' accounts. Service agents log the technical support they give.
    LogInteractions,
    /// Record, correct and delete the customer's feedback rounds on the team; a MEMBER only on its
    /// teams' accounts (the account manager enters what the customer said).
    RecordFeedback,
    ManageRoles,
    ReadAudit,
    /// Webhook subscriptions: where events go, with their secrets. ADMIN only.
    ManageWebhooks,
    /// The reference data accounts and deals are described by: industries, regions, competitors.
    ManageReferenceData,
}

use Permission::*;

/// Every RPC of every KAM service and what it needs.
const RPC_PERMISSIONS: &[(&str, Permission)] = &[
    ("/kam.v1.AccountService/CreateAccount", CreateAccounts),
    ("/kam.v1.AccountService/GetAccount", ReadAccounts),
    ("/kam.v1.AccountService/ListAccounts", ReadAccounts),
    ("/kam.v1.AccountService/UpdateAccount", EditAccounts),
    ("/kam.v1.AccountService/DeleteAccount", EditAccounts),
    ("/kam.v1.AccountService/UndeleteAccount", EditAccounts),
    ("/kam.v1.AccountService/ListRelationshipChanges", ReadAccounts),
    ("/kam.v1.AccountService/CreateContact", EditAccounts),
    ("/kam.v1.AccountService/GetContact", ReadAccounts),
    ("/kam.v1.AccountService/ListContacts", ReadAccounts),
    ("/kam.v1.AccountService/UpdateContact", EditAccounts),
    ("/kam.v1.AccountService/DeleteContact", EditAccounts),
    ("/kam.v1.TeamService/CreateDepartment", ManageTeams),
    ("/kam.v1.TeamService/ListDepartments", ReadTeams),
    ("/kam.v1.TeamService/CreateStaff", ManageTeams),
    ("/kam.v1.TeamService/GetStaff", ReadTeams),
    ("/kam.v1.TeamService/ListStaff", ReadTeams),
    ("/kam.v1.TeamService/UpdateStaff", ManageTeams),
    ("/kam.v1.TeamService/DeactivateStaff", ManageTeams),
    ("/kam.v1.TeamService/ReactivateStaff", ManageTeams),
    ("/kam.v1.TeamService/AddTeamMember", ManageTeams),
    ("/kam.v1.TeamService/UpdateTeamMember", ManageTeams),
    ("/kam.v1.TeamService/RemoveTeamMember", ManageTeams),
    ("/kam.v1.TeamService/ListTeamMembers", ReadTeams),
    ("/kam.v1.TeamService/GetCoverageReport", ReadReports),
    ("/kam.v1.TeamService/GetWorkload", ReadReports),
    ("/kam.v1.TeamService/TransferResponsibilities", ManageTeams),
    ("/kam.v1.IdentityService/WhoAmI", Authenticated),
    ("/kam.v1.IdentityService/CreateApiKey", Authenticated),
    ("/kam.v1.IdentityService/ListApiKeys", Authenticated),
    ("/kam.v1.IdentityService/RevokeApiKey", Authenticated),
    ("/kam.v1.IdentityService/GetStaffRoles", ReadTeams),
    ("/kam.v1.IdentityService/SetStaffRoles", ManageRoles),
    ("/kam.v1.AuditService/ListAuditEntries", ReadAudit),
    ("/kam.v1.OpportunityService/CreatePipeline", ManagePipelines),
    ("/kam.v1.OpportunityService/GetPipeline", ReadAccounts),
    ("/kam.v1.OpportunityService/ListPipelines", ReadAccounts),
    ("/kam.v1.OpportunityService/UpdatePipeline", ManagePipelines),
    ("/kam.v1.OpportunityService/CreateOpportunity", EditAccounts),
    ("/kam.v1.OpportunityService/GetOpportunity", ReadAccounts),
    ("/kam.v1.OpportunityService/ListOpportunities", ReadAccounts),
    ("/kam.v1.OpportunityService/UpdateOpportunity", EditAccounts),
    ("/kam.v1.OpportunityService/MoveOpportunityStage", EditAccounts),
    ("/kam.v1.OpportunityService/CloseOpportunity", EditAccounts),
    ("/kam.v1.OpportunityService/ReopenOpportunity", EditAccounts),
    ("/kam.v1.OpportunityService/ListStageHistory", ReadAccounts),
    ("/kam.v1.OpportunityService/GetFunnelSummary", ReadAccounts),
    ("/kam.v1.OpportunityService/GetConversionReport", ReadAccounts),
    ("/kam.v1.OpportunityService/GetVelocityReport", ReadAccounts),
    ("/kam.v1.OpportunityService/GetForecast", ReadAccounts),
    (
        "/kam.v1.OpportunityService/ListStalledOpportunities",
        ReadAccounts,
    ),
    ("/kam.v1.OpportunityService/CreateCompetitor", ManageReferenceData),
    ("/kam.v1.OpportunityService/GetCompetitor", ReadAccounts),
    ("/kam.v1.OpportunityService/ListCompetitors", ReadAccounts),
    ("/kam.v1.OpportunityService/UpdateCompetitor", ManageReferenceData),
    ("/kam.v1.OpportunityService/DeleteCompetitor", ManageReferenceData),
    ("/kam.v1.OpportunityService/GetCompetitorReport", ReadAccounts),
    (
        "/kam.v1.ServiceLevelService/CreateBusinessCalendar",
        ManageServiceLevels,
    ),
    ("/kam.v1.ServiceLevelService/GetBusinessCalendar", ReadAccounts),
    ("/kam.v1.ServiceLevelService/ListBusinessCalendars", ReadAccounts),
    (
        "/kam.v1.ServiceLevelService/UpdateBusinessCalendar",
        ManageServiceLevels,
    ),
    ("/kam.v1.ServiceLevelService/CreateSlaPolicy", ManageServiceLevels),
    ("/kam.v1.ServiceLevelService/GetSlaPolicy", ReadAccounts),
    ("/kam.v1.ServiceLevelService/ListSlaPolicies", ReadAccounts),
    ("/kam.v1.ServiceLevelService/UpdateSlaPolicy", ManageServiceLevels),
    ("/kam.v1.ServiceLevelService/DeleteSlaPolicy", ManageServiceLevels),
    (
        "/kam.v1.ServiceLevelService/CreateServiceRequest",
        WorkServiceRequests,
    ),
    ("/kam.v1.ServiceLevelService/GetServiceRequest", ReadAccounts),
    ("/kam.v1.ServiceLevelService/ListServiceRequests", ReadAccounts),
    (
        "/kam.v1.ServiceLevelService/UpdateServiceRequest",
        WorkServiceRequests,
    ),
    (
        "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus",
        WorkServiceRequests,
    ),
    (
        "/kam.v1.ServiceLevelService/RecordFirstResponse",
        WorkServiceRequests,
    ),
    ("/kam.v1.ServiceLevelService/RecalculateSla", WorkServiceRequests),
    ("/kam.v1.ServiceLevelService/ListStatusHistory", ReadAccounts),
    ("/kam.v1.ServiceLevelService/ListEscalations", ReadAccounts),
    ("/kam.v1.ServiceLevelService/GetSlaComplianceReport", ReadAccounts),
    ("/kam.v1.PlanningService/UpsertRevenueRecords", ImportFromErp),
    ("/kam.v1.PlanningService/ListRevenueRecords", ReadAccounts),
    ("/kam.v1.PlanningService/GetMonthlyRevenue", ReadAccounts),
    ("/kam.v1.PlanningService/GetRevenueReport", ReadAccounts),
    ("/kam.v1.PlanningService/RecomputeTiers", ManagePlans),
    ("/kam.v1.PlanningService/ListTierChanges", ReadAccounts),
    ("/kam.v1.PlanningService/SetTierOverride", ManagePlans),
    ("/kam.v1.PlanningService/ClearTierOverride", ManagePlans),
    ("/kam.v1.PlanningService/ListTierOverrides", ReadAccounts),
    ("/kam.v1.PlanningService/CreateAccountPlan", WorkPlans),
    ("/kam.v1.PlanningService/GetAccountPlan", ReadAccounts),
    ("/kam.v1.PlanningService/ListAccountPlans", ReadAccounts),
    ("/kam.v1.PlanningService/UpdateAccountPlan", WorkPlans),
    ("/kam.v1.PlanningService/ChangeAccountPlanStatus", WorkPlans),
    ("/kam.v1.PlanningService/GetPlanScorecard", ReadAccounts),
    ("/kam.v1.PlanningService/CreatePlanAction", WorkPlans),
    ("/kam.v1.PlanningService/GetPlanAction", ReadAccounts),
    ("/kam.v1.PlanningService/ListPlanActions", ReadAccounts),
    ("/kam.v1.PlanningService/UpdatePlanAction", WorkPlans),
    ("/kam.v1.PlanningService/LogInteraction", LogInteractions),
    ("/kam.v1.PlanningService/GetInteraction", ReadAccounts),
    ("/kam.v1.PlanningService/ListInteractions", ReadAccounts),
    ("/kam.v1.PlanningService/UpdateInteraction", LogInteractions),
    ("/kam.v1.PlanningService/ListOverdueCadence", ReadAccounts),
    ("/kam.v1.PlanningService/ListUpcomingKeyDates", ReadAccounts),
    ("/kam.v1.PlanningService/GetAccountHealth", ReadAccounts),
    ("/kam.v1.PlanningService/GetAccountBrief", ReadAccounts),
    ("/kam.v1.PlanningService/GetGroupSummary", ReadAccounts),
    // Each person's own; the handler lets those who oversee people read another's.
    ("/kam.v1.NotificationService/ListNotifications", Authenticated),
    ("/kam.v1.NotificationService/MarkNotificationsRead", Authenticated),
    ("/kam.v1.PlanningService/ListAtRiskAccounts", ReadAccounts),
    ("/kam.v1.FeedbackService/CreateFeedbackRound", RecordFeedback),
    ("/kam.v1.FeedbackService/GetFeedbackRound", ReadAccounts),
    ("/kam.v1.FeedbackService/ListFeedbackRounds", ReadAccounts),
    ("/kam.v1.FeedbackService/UpdateFeedbackRound", RecordFeedback),
    ("/kam.v1.FeedbackService/DeleteFeedbackRound", RecordFeedback),
    ("/kam.v1.FeedbackService/ImportFeedbackRounds", ImportFromErp),
    ("/kam.v1.FeedbackService/GetFeedbackReport", ReadReports),
    ("/kam.v1.SegmentService/CreateIndustry", ManageReferenceData),
    ("/kam.v1.SegmentService/GetIndustry", ReadAccounts),
    ("/kam.v1.SegmentService/ListIndustries", ReadAccounts),
    ("/kam.v1.SegmentService/UpdateIndustry", ManageReferenceData),
    ("/kam.v1.SegmentService/DeleteIndustry", ManageReferenceData),
    ("/kam.v1.SegmentService/CreateRegion", ManageReferenceData),
    ("/kam.v1.SegmentService/GetRegion", ReadAccounts),
    ("/kam.v1.SegmentService/ListRegions", ReadAccounts),
    ("/kam.v1.SegmentService/UpdateRegion", ManageReferenceData),
    ("/kam.v1.SegmentService/DeleteRegion", ManageReferenceData),
    ("/kam.v1.IntegrationService/WatchEvents", ReadAccounts),
    ("/kam.v1.IntegrationService/ListChanges", ReadAccounts),
    ("/kam.v1.IntegrationService/ImportRevenue", ImportFromErp),
    ("/kam.v1.IntegrationService/ImportAccounts", ImportFromErp),
    ("/kam.v1.IntegrationService/ImportContacts", ImportFromErp),
    ("/kam.v1.IntegrationService/ImportOpportunities", ImportFromErp),
    ("/kam.v1.IntegrationService/ImportServiceRequests", ImportFromErp),
    ("/kam.v1.WebhookService/CreateWebhookSubscription", ManageWebhooks),
    ("/kam.v1.WebhookService/GetWebhookSubscription", ManageWebhooks),
    ("/kam.v1.WebhookService/ListWebhookSubscriptions", ManageWebhooks),
    ("/kam.v1.WebhookService/UpdateWebhookSubscription", ManageWebhooks),
    ("/kam.v1.WebhookService/DeleteWebhookSubscription", ManageWebhooks),
    ("/kam.v1.WebhookService/RotateWebhookSecret", ManageWebhooks),
    ("/kam.v1.WebhookService/ListWebhookDeliveries", ManageWebhooks),
    ("/kam.v1.WebhookService/ReplayWebhookDeliveries", ManageWebhooks),
];

/// How far a role's grant of a permission reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The accounts on whose teams the principal sits, and what hangs off them.
    OwnTeams,
    /// Those of `OwnTeams`, and every account in the regions the principal manages or below them.
    OwnRegions,
    /// Every account.
    AllAccounts,
}

impl Scope {
    /// The accounts this scope reaches for `staff_id`.
    pub fn visibility(self, staff_id: uuid::Uuid) -> Visibility {
        match self {
            Self::OwnTeams => Visibility::TeamsOf(staff_id),
            Self::OwnRegions => Visibility::RegionsOf(staff_id),
            Self::AllAccounts => Visibility::All,
        }
    }
}

/// EXECUTIVE reads all; MANAGER reads all and manages teams and plans; MEMBER works its own
/// accounts; REGIONAL_MANAGER works them as a MEMBER does, and those of its regions besides;
/// SERVICE_AGENT serves; INTEGRATION feeds master data; ADMIN does everything. Each grant carries its
/// scope: a MEMBER's reaches the accounts of its teams only, a REGIONAL_MANAGER's those and the
/// accounts of its regions, every other role's all accounts.
fn grant(role: Role, permission: Permission) -> Option<Scope> {
    let granted = match role {
        Role::Admin => true,
        Role::Executive => matches!(permission, Authenticated | ReadAccounts | ReadTeams | ReadReports),
        Role::Manager => matches!(
            permission,
            Authenticated
                | ReadAccounts
                | CreateAccounts
                | EditAccounts
                | ReadTeams
                | ManageTeams
                | ReadReports
                | ManagePipelines
                | WorkServiceRequests
                | ManageServiceLevels
                | ManagePlans
                | WorkPlans
                | LogInteractions
                | RecordFeedback
                | ManageReferenceData
        ),
        Role::Member | Role::RegionalManager => matches!(
            permission,
            Authenticated
                | ReadAccounts
                | EditAccounts
                | ReadTeams
                | WorkServiceRequests
                | WorkPlans
                | LogInteractions
                | RecordFeedback
        ),
        Role::ServiceAgent => matches!(
            permission,
            Authenticated | ReadAccounts | ReadTeams | WorkServiceRequests | LogInteractions
        ),
        Role::Integration => matches!(
            permission,
            Authenticated | ReadAccounts | CreateAccounts | EditAccounts | ReadTeams | ImportFromErp
        ),
    };
    // Every role named: a new one must say how far it reaches rather than fall into every account.
    let scope = match role {
        Role::Member => Scope::OwnTeams,
        Role::RegionalManager => Scope::OwnRegions,
        Role::Admin | Role::Executive | Role::Manager | Role::ServiceAgent | Role::Integration => {
            Scope::AllAccounts
        }
    };
    granted.then_some(scope)
}

/// The widest scope in which any of `roles` grants `permission`, or `None` when none grants it. Roles
/// combine per permission: a MEMBER who is also a SERVICE_AGENT works every account's service requests
/// (the agent's grant) but edits only its own teams' accounts (the MEMBER's, the only one for that).
pub fn scope_of(roles: &[Role], permission: Permission) -> Option<Scope> {
    roles.iter().filter_map(|role| grant(*role, permission)).max()
}

/// Whether `roles` grant everything `others` grant, each as far: who may change the identity of a
/// staff member holding `others` (their email, whether they are active, their roles). A permission
/// counts when some RPC needs it: one that none needs grants nothing.
pub fn covers(roles: &[Role], others: &[Role]) -> bool {
    needed().all(|permission| scope_of(roles, permission) >= scope_of(others, permission))
}

/// Every permission some RPC needs (each as often as RPCs need it).
fn needed() -> impl Iterator<Item = Permission> {
    RPC_PERMISSIONS.iter().map(|(_, permission)| *permission)
}

/// Whether `path` (`/package.Service/Method`) needs no principal at all.
pub fn is_public(path: &str) -> bool {
    let service = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    PUBLIC_SERVICES.contains(&service)
}

pub fn required(path: &str) -> Option<Permission> {
    RPC_PERMISSIONS
        .iter()
        .find(|(rpc, _)| *rpc == path)
        .map(|(_, permission)| *permission)
}

/// Which accounts the principal may see and touch through `path`: the widest scope of the grants of
/// what `path` needs. PERMISSION_DENIED when none of the principal's roles grants it.
pub fn authorize(principal: &Principal, path: &str) -> Result<Visibility> {
    let Some(permission) = required(path) else {
        return Err(Error::PermissionDenied(format!(
            "{path} is not an RPC of this server"
        )));
    };
    match scope_of(&principal.roles, permission) {
        Some(scope) => Ok(scope.visibility(principal.staff_id)),
        None => Err(Error::PermissionDenied(format!(
            "{path} needs {permission:?}, which none of the roles {:?} grants",
            principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use uuid::Uuid;

    use super::*;
    use crate::identity::principal::Credential;

    fn rpcs_of_this_build() -> Vec<String> {
        let set = prost_types::FileDescriptorSet::decode(kam_proto::FILE_DESCRIPTOR_SET).unwrap();
        set.file
            .iter()
            .filter(|file| file.package() == "kam.v1")
            .flat_map(|file| {
                file.service.iter().flat_map(move |service| {
                    service.method.iter().map(move |method| {
                        format!("/{}.{}/{}", file.package(), service.name(), method.name())
                    })
                })
            })
            .collect()
    }

    #[test]
    fn every_rpc_has_exactly_one_rule_and_every_rule_an_rpc() {
        let rpcs = rpcs_of_this_build();
        assert!(rpcs.len() >= 30, "found only {rpcs:?}");
        for rpc in &rpcs {
            let rules = RPC_PERMISSIONS.iter().filter(|(path, _)| path == rpc).count();
            assert_eq!(rules, 1, "{rpc} needs exactly one entry in RPC_PERMISSIONS");
        }
        for (path, _) in RPC_PERMISSIONS {
            assert!(
                rpcs.iter().any(|rpc| rpc == path),
                "{path} is not an RPC any more"
            );
        }
    }

    fn principal(roles: &[Role]) -> Principal {
        Principal {
            staff_id: Uuid::nil(),
            roles: roles.to_vec(),
            credential: Credential::BearerToken,
            expire_time: None,
        }
    }

    #[test]
    fn an_admin_may_call_every_rpc() {
        for rpc in rpcs_of_this_build() {
            assert!(authorize(&principal(&[Role::Admin]), &rpc).is_ok(), "{rpc}");
        }
    }

    #[test]
    fn unknown_paths_are_refused_even_for_admins() {
        let refused = authorize(
            &principal(&[Role::Admin]),
            "/kam.v1.AccountService/DropEverything",
        );
        assert!(matches!(refused, Err(Error::PermissionDenied(_))));
    }

    #[test]
    fn every_principal_may_ask_who_it_is() {
        for role in Role::ALL {
            assert!(authorize(&principal(&[*role]), "/kam.v1.IdentityService/WhoAmI").is_ok());
        }
    }

    #[test]
    fn only_admins_read_the_audit_trail_and_set_roles() {
        for rpc in [
            "/kam.v1.AuditService/ListAuditEntries",
            "/kam.v1.IdentityService/SetStaffRoles",
        ] {
            for role in Role::ALL {
                assert_eq!(
                    authorize(&principal(&[*role]), rpc).is_ok(),
                    *role == Role::Admin,
                    "{role:?} {rpc}"
                );
            }
        }
    }

    #[test]
    fn executives_read_but_never_write() {
        let executive = principal(&[Role::Executive]);
        for (rpc, permission) in RPC_PERMISSIONS {
            let writes = matches!(
                permission,
                CreateAccounts
                    | EditAccounts
                    | ManageTeams
                    | ManagePipelines
                    | ManageRoles
                    | WorkServiceRequests
                    | ManageServiceLevels
                    | ImportFromErp
                    | ManagePlans
                    | WorkPlans
                    | LogInteractions
                    | RecordFeedback
            );
            if writes {
                assert!(authorize(&executive, rpc).is_err(), "{rpc}");
            }
        }
        assert!(authorize(&executive, "/kam.v1.TeamService/GetCoverageReport").is_ok());
    }

    #[test]
    fn service_agents_work_requests_and_only_managers_shape_service_levels() {
        let agent = principal(&[Role::ServiceAgent]);
        assert!(authorize(&agent, "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus").is_ok());
        assert!(authorize(&agent, "/kam.v1.ServiceLevelService/CreateSlaPolicy").is_err());
        assert!(authorize(&agent, "/kam.v1.AccountService/UpdateAccount").is_err());
        for role in Role::ALL {
            assert_eq!(
                authorize(
                    &principal(&[*role]),
                    "/kam.v1.ServiceLevelService/UpdateBusinessCalendar"
                )
                .is_ok(),
                matches!(role, Role::Admin | Role::Manager),
                "{role:?}"
            );
        }
    }

    #[test]
    fn roles_add_up_per_permission_each_with_its_own_scope() {
        let both = principal(&[Role::Member, Role::Executive]);
        assert_eq!(
            authorize(&both, "/kam.v1.TeamService/GetWorkload").unwrap(),
            Visibility::All
        );
        assert_eq!(
            authorize(&both, "/kam.v1.AccountService/GetAccount").unwrap(),
            Visibility::All,
            "the EXECUTIVE reads every account"
        );
        assert_eq!(
            authorize(&both, "/kam.v1.AccountService/UpdateAccount").unwrap(),
            Visibility::TeamsOf(Uuid::nil()),
            "only the MEMBER edits, and only its teams' accounts"
        );
        assert!(authorize(&both, "/kam.v1.TeamService/AddTeamMember").is_err());

        let agent = principal(&[Role::Member, Role::ServiceAgent]);
        assert_eq!(
            authorize(&agent, "/kam.v1.AccountService/DeleteAccount").unwrap(),
            Visibility::TeamsOf(Uuid::nil())
        );
        assert_eq!(
            authorize(&agent, "/kam.v1.ServiceLevelService/ChangeServiceRequestStatus").unwrap(),
            Visibility::All
        );
    }

    #[test]
    fn a_regional_manager_holds_a_members_rights_over_its_regions() {
        let regional = principal(&[Role::RegionalManager]);
        let member = principal(&[Role::Member]);
        for (rpc, _) in RPC_PERMISSIONS {
            match authorize(&member, rpc) {
                Ok(Visibility::TeamsOf(_)) => assert_eq!(
                    authorize(&regional, rpc).unwrap(),
                    Visibility::RegionsOf(Uuid::nil()),
                    "{rpc}"
                ),
                Ok(visibility) => assert_eq!(authorize(&regional, rpc).unwrap(), visibility, "{rpc}"),
                Err(_) => assert!(authorize(&regional, rpc).is_err(), "{rpc}"),
            }
        }
        assert!(authorize(&regional, "/kam.v1.SegmentService/CreateRegion").is_err());
        assert!(authorize(&regional, "/kam.v1.SegmentService/UpdateRegion").is_err());
        assert!(authorize(&regional, "/kam.v1.TeamService/GetWorkload").is_err());

        let with_member = principal(&[Role::Member, Role::RegionalManager]);
        assert_eq!(
            authorize(&with_member, "/kam.v1.AccountService/UpdateAccount").unwrap(),
            Visibility::RegionsOf(Uuid::nil()),
            "the regions include the teams: the union, no wider"
        );
        let with_executive = principal(&[Role::Executive, Role::RegionalManager]);
        assert_eq!(
            authorize(&with_executive, "/kam.v1.AccountService/GetAccount").unwrap(),
            Visibility::All
        );
        assert_eq!(
            authorize(&with_executive, "/kam.v1.AccountService/UpdateAccount").unwrap(),
            Visibility::RegionsOf(Uuid::nil())
        );
    }

    #[test]
    fn the_scopes_are_ordered_by_reach() {
        assert!(Scope::OwnTeams < Scope::OwnRegions);
        assert!(Scope::OwnRegions < Scope::AllAccounts);
    }

    #[test]
    fn a_scope_is_the_widest_among_the_roles_that_grant_the_permission() {
        for permission in needed() {
            for first in Role::ALL {
                for second in Role::ALL {
                    let alone = [grant(*first, permission), grant(*second, permission)];
                    assert_eq!(
                        scope_of(&[*first, *second], permission),
                        alone.into_iter().flatten().max(),
                        "{first:?}+{second:?} {permission:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_those_who_hold_as_much_cover_a_staff_member() {
        use Role::*;
        assert!(covers(&[Admin], &[Admin, Integration]));
        assert!(!covers(&[Manager], &[Admin]), "a MANAGER never changes an ADMIN");
        assert!(!covers(&[Manager], &[Integration]), "nor the ERP's importer");
        assert!(covers(&[Manager], &[Member]));
        assert!(covers(&[Manager], &[Member, ServiceAgent]));
        assert!(covers(&[Manager], &[Executive]));
        assert!(
            covers(&[ServiceAgent], &[ServiceAgent]),
            "equals cover each other"
        );
        assert!(
            !covers(&[Member], &[ServiceAgent]),
            "an agent serves every account"
        );
        assert!(!covers(&[Member, Executive], &[Manager]));
        assert!(covers(&[Manager], &[RegionalManager]));
        assert!(covers(&[Manager], &[RegionalManager, Member]));
        assert!(
            covers(&[RegionalManager], &[Member]),
            "its regions include its teams"
        );
        assert!(!covers(&[Member], &[RegionalManager]));
        assert!(!covers(&[RegionalManager], &[ServiceAgent]));
        assert!(
            !covers(&[Executive], &[RegionalManager]),
            "an EXECUTIVE never writes"
        );
    }

    #[test]
    fn health_and_reflection_are_public_and_nothing_else_is() {
        assert!(is_public("/grpc.health.v1.Health/Check"));
        assert!(is_public(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ));
        assert!(!is_public("/kam.v1.AccountService/GetAccount"));
        assert!(!is_public("/grpc.health.v1.HealthX/Check"));
        assert!(!is_public(""));
    }
}
