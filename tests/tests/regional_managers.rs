//! The REGIONAL_MANAGER role end to end, and the segment filters of the list RPCs, on SQLite and on
//! PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).
//!
//! # The world
//!
//! Regions: EAST with SH below it, and WEST. The regional manager manages EAST (so SH too) and sits on
//! the team of `team`, an account in WEST.
//!
//! ```text
//! account  region  industry   the regional manager sees it because
//! east     EAST    C          it manages EAST
//! sh       SH      K          SH lies below EAST
//! west     WEST    C          - (hidden)
//! team     WEST    -          it sits on its team
//! none     -       -          - (hidden)
//! ```
//!
//! Every account has one deal and one service request, is STRATEGIC and entered its tier long ago (so
//! its contact cadence is overdue and it is listed by ListAtRiskAccounts with `max_score` 101).

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use kam_tests::{
    Caller, TestServer, assert_error, assert_failed_precondition, backend_tests,
    changes::{sync_all, sync_until},
    pb::{
        self, opportunity_service_client::OpportunityServiceClient,
        planning_service_client::PlanningServiceClient, segment_service_client::SegmentServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::FieldMask,
};
use tonic::Code;
use uuid::Uuid;

struct World {
    east: String,
    sh: String,
    west: String,
    team: String,
    none: String,
    /// REGIONAL_MANAGER of EAST, on the team of `team`.
    regional: Caller,
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

async fn create_region(server: &TestServer, code: &str, parent: &str, name: &str, managers: &[&str]) {
    SegmentServiceClient::new(server.channel())
        .create_region(pb::CreateRegionRequest {
            region: Some(pb::Region {
                code: code.to_owned(),
                parent_code: parent.to_owned(),
                name: name.to_owned(),
                manager_staff_ids: managers.iter().map(|id| (*id).to_owned()).collect(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_or_else(|e| panic!("create region {code}: {e:?}"));
}

async fn set_region_managers(server: &TestServer, code: &str, managers: &[&str]) {
    SegmentServiceClient::new(server.channel())
        .update_region(pb::UpdateRegionRequest {
            region: Some(pb::Region {
                code: code.to_owned(),
                manager_staff_ids: managers.iter().map(|id| (*id).to_owned()).collect(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["manager_staff_ids".to_owned()],
            }),
        })
        .await
        .unwrap_or_else(|e| panic!("set the managers of {code}: {e:?}"));
}

async fn account(server: &TestServer, owner: &str, name: &str, region: &str, industry: &str) -> String {
    let created = server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: format!("{name} {}", Uuid::now_v7().simple()),
                region_code: region.to_owned(),
                industry_code: industry.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create account {name}: {e:?}"))
        .into_inner();
    assert_eq!(created.region_code, region, "{name}'s region_code");
    OpportunityServiceClient::new(server.channel())
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: created.id.clone(),
                stage: "LEAD".to_owned(),
                display_name: format!("Deal of {name}"),
                amount: Some(pb::Money {
                    currency_code: "EUR".to_owned(),
                    units: 100,
                    nanos: 0,
                }),
                owner_staff_id: owner.to_owned(),
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
        .unwrap_or_else(|e| panic!("a deal of {name}: {e:?}"));
    ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: created.id.clone(),
                title: format!("Request of {name}"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("a request of {name}: {e:?}"));
    PlanningServiceClient::new(server.channel())
        .set_tier_override(pb::SetTierOverrideRequest {
            tier_override: Some(pb::TierOverride {
                account_id: created.id.clone(),
                tier: pb::Tier::Strategic as i32,
                reason: "test".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_or_else(|e| panic!("{name} STRATEGIC: {e:?}"));
    created.id
}

async fn world(server: &TestServer) -> World {
    let owner = server.create_staff(pb::StaffLevel::Staff).await;
    let regional = server.caller_with_roles(&[pb::Role::RegionalManager]).await;
    create_region(server, "EAST", "", "East China", &[&regional.staff_id]).await;
    create_region(server, "SH", "EAST", "Shanghai", &[]).await;
    create_region(server, "WEST", "", "West China", &[]).await;
    let world = World {
        east: account(server, &owner.id, "East", "EAST", "C").await,
        sh: account(server, &owner.id, "Shanghai", "SH", "K").await,
        west: account(server, &owner.id, "West", "WEST", "C").await,
        team: account(server, &owner.id, "Team", "WEST", "").await,
        none: account(server, &owner.id, "Nowhere", "", "").await,
        regional,
    };
    server
        .teams()
        .add_team_member(pb::AddTeamMemberRequest {
            member: Some(pb::TeamMember {
                account_id: world.team.clone(),
                staff_id: world.regional.staff_id.clone(),
                role: pb::TeamRole::SalesSpecialist as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the regional manager on the team");
    // Long in their tier, never visited: every account's cadence is overdue.
    let long_ago: sea_orm::Value = (Utc::now() - Duration::days(400)).into();
    server
        .execute("UPDATE accounts SET create_time = $1", [long_ago.clone()])
        .await;
    server
        .execute("UPDATE tier_changes SET change_time = $1", [long_ago])
        .await;
    world
}

/// What each list shows `caller`, as the set of the accounts of its rows.
struct Lists {
    accounts: BTreeSet<String>,
    opportunities: BTreeSet<String>,
    requests: BTreeSet<String>,
    at_risk: BTreeSet<String>,
    cadence: BTreeSet<String>,
    funnel_count: i64,
}

async fn lists_of(caller: &Caller) -> Lists {
    let accounts = caller
        .accounts()
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("ListAccounts")
        .into_inner()
        .accounts
        .into_iter()
        .map(|a| a.id)
        .collect();
    let funnel_count = OpportunityServiceClient::new(caller.channel())
        .get_funnel_summary(pb::GetFunnelSummaryRequest::default())
        .await
        .expect("GetFunnelSummary")
        .into_inner()
        .stages
        .iter()
        .map(|s| s.count)
        .sum();
    Lists {
        accounts,
        opportunities: opportunities(caller, None).await.expect("ListOpportunities"),
        requests: requests(caller, None).await.expect("ListServiceRequests"),
        at_risk: at_risk(caller, None).await.expect("ListAtRiskAccounts"),
        cadence: cadence(caller, None).await.expect("ListOverdueCadence"),
        funnel_count,
    }
}

type Listed = Result<BTreeSet<String>, tonic::Status>;

async fn opportunities(caller: &Caller, segments: Option<pb::SegmentFilter>) -> Listed {
    Ok(OpportunityServiceClient::new(caller.channel())
        .list_opportunities(pb::ListOpportunitiesRequest {
            page_size: 1000,
            segments,
            ..Default::default()
        })
        .await?
        .into_inner()
        .opportunities
        .into_iter()
        .map(|o| o.account_id)
        .collect())
}

async fn requests(caller: &Caller, segments: Option<pb::SegmentFilter>) -> Listed {
    Ok(ServiceLevelServiceClient::new(caller.channel())
        .list_service_requests(pb::ListServiceRequestsRequest {
            page_size: 1000,
            segments,
            ..Default::default()
        })
        .await?
        .into_inner()
        .service_requests
        .into_iter()
        .map(|r| r.account_id)
        .collect())
}

async fn at_risk(caller: &Caller, segments: Option<pb::SegmentFilter>) -> Listed {
    Ok(PlanningServiceClient::new(caller.channel())
        .list_at_risk_accounts(pb::ListAtRiskAccountsRequest {
            page_size: 1000,
            max_score: 101,
            segments,
            ..Default::default()
        })
        .await?
        .into_inner()
        .accounts
        .into_iter()
        .map(|a| a.account_id)
        .collect())
}

async fn cadence(caller: &Caller, segments: Option<pb::SegmentFilter>) -> Listed {
    Ok(PlanningServiceClient::new(caller.channel())
        .list_overdue_cadence(pb::ListOverdueCadenceRequest {
            page_size: 1000,
            segments,
            ..Default::default()
        })
        .await?
        .into_inner()
        .overdue
        .into_iter()
        .map(|o| o.account_id)
        .collect())
}

async fn coverage(caller: &Caller, segments: Option<pb::SegmentFilter>) -> Listed {
    Ok(caller
        .teams()
        .get_coverage_report(pb::GetCoverageReportRequest {
            tiers: vec![pb::Tier::Strategic as i32],
            gaps_only: false,
            segments,
        })
        .await?
        .into_inner()
        .accounts
        .into_iter()
        .map(|a| a.account_id)
        .collect())
}

fn filter(industry: &str, region: &str) -> Option<pb::SegmentFilter> {
    Some(pb::SegmentFilter {
        industry_code: industry.to_owned(),
        region_code: region.to_owned(),
    })
}

async fn get_account(caller: &Caller, id: &str) -> Result<pb::Account, tonic::Status> {
    caller
        .accounts()
        .get_account(pb::GetAccountRequest { id: id.to_owned() })
        .await
        .map(tonic::Response::into_inner)
}

async fn rename(caller: &Caller, id: &str, name: &str) -> Result<pb::Account, tonic::Status> {
    caller
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            account: Some(pb::Account {
                id: id.to_owned(),
                display_name: name.to_owned(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["display_name".to_owned()],
            }),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

backend_tests! {
    async fn a_regional_manager_sees_its_regions_below_them_and_its_teams(server: &TestServer) {
        let w = world(server).await;
        let regional = &w.regional;
        let whoami = regional.identity().who_am_i(pb::WhoAmIRequest::default()).await.unwrap().into_inner();
        assert_eq!(whoami.roles, [pb::Role::RegionalManager as i32]);

        for id in [&w.east, &w.sh, &w.team] {
            get_account(regional, id).await.unwrap_or_else(|e| panic!("{id}: {e:?}"));
        }
        let hidden = get_account(regional, &w.west).await.unwrap_err();
        assert_error(&hidden, Code::PermissionDenied);
        let missing = get_account(regional, &Uuid::now_v7().to_string()).await.unwrap_err();
        assert_error(&missing, Code::PermissionDenied);
        assert_eq!(hidden.message(), missing.message(), "hidden and missing look the same");
        assert_error(&get_account(regional, &w.none).await.unwrap_err(), Code::PermissionDenied);

        let mine = set(&[&w.east, &w.sh, &w.team]);
        let lists = lists_of(regional).await;
        assert_eq!(lists.accounts, mine, "ListAccounts");
        assert_eq!(lists.opportunities, mine, "ListOpportunities");
        assert_eq!(lists.requests, mine, "ListServiceRequests");
        assert_eq!(lists.at_risk, mine, "ListAtRiskAccounts");
        assert_eq!(lists.cadence, mine, "ListOverdueCadence");
        assert_eq!(lists.funnel_count, 3, "GetFunnelSummary counts its three deals");

        // The admin sees all five: the lists are filtered, not broken.
        let admin = lists_of(server.admin()).await;
        assert_eq!(admin.opportunities, set(&[&w.east, &w.sh, &w.west, &w.team, &w.none]));
        assert_eq!(admin.funnel_count, 5);
    }

    async fn a_regional_manager_works_its_accounts_but_not_the_reference_data(server: &TestServer) {
        let w = world(server).await;
        let regional = &w.regional;
        let renamed = rename(regional, &w.sh, "Shanghai Renamed").await.expect("edit an account of SH");
        assert_eq!(renamed.display_name, "Shanghai Renamed");
        rename(regional, &w.team, "Team Renamed").await.expect("edit an account of its team");
        assert_error(&rename(regional, &w.west, "No").await.unwrap_err(), Code::PermissionDenied);

        let mut segments = SegmentServiceClient::new(regional.channel());
        let created = segments
            .create_region(pb::CreateRegionRequest {
                region: Some(pb::Region {
                    code: "NORTH".to_owned(),
                    name: "North".to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap_err();
        assert_error(&created, Code::PermissionDenied);
        let taken = segments
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: "WEST".to_owned(),
                    manager_staff_ids: vec![regional.staff_id.clone()],
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["manager_staff_ids".to_owned()],
                }),
            })
            .await
            .unwrap_err();
        assert_error(&taken, Code::PermissionDenied);
        // It reads the regions, though.
        segments
            .get_region(pb::GetRegionRequest { code: "EAST".to_owned() })
            .await
            .expect("GetRegion");
        // Nor does it read the all-accounts reports, or change its own roles.
        assert_error(&coverage(regional, None).await.unwrap_err(), Code::PermissionDenied);
        let roles = regional
            .identity()
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: regional.staff_id.clone(),
                roles: vec![pb::Role::Manager as i32],
            })
            .await
            .unwrap_err();
        assert_error(&roles, Code::PermissionDenied);
    }

    async fn a_member_who_is_also_a_regional_manager_sees_the_union_and_no_more(server: &TestServer) {
        let w = world(server).await;
        // On the team of `west`, manager of SH only.
        let both = server
            .caller_on_team(&w.west, &[pb::Role::Member, pb::Role::RegionalManager])
            .await;
        set_region_managers(server, "SH", &[&both.staff_id]).await;
        let lists = lists_of(&both).await;
        let union = set(&[&w.west, &w.sh]);
        assert_eq!(lists.accounts, union);
        assert_eq!(lists.opportunities, union);
        assert_eq!(lists.requests, union);
        assert_eq!(lists.at_risk, union);
        assert_eq!(lists.cadence, union);
        for id in [&w.east, &w.team, &w.none] {
            assert_error(&get_account(&both, id).await.unwrap_err(), Code::PermissionDenied);
        }
        rename(&both, &w.sh, "Shanghai by both").await.expect("edit an account of SH");
        rename(&both, &w.west, "West by both").await.expect("edit an account of its team");
    }

    async fn reassigning_a_regions_managers_changes_what_it_sees_at_once(server: &TestServer) {
        let w = world(server).await;
        let regional = &w.regional;
        set_region_managers(server, "EAST", &[]).await;
        assert_eq!(lists_of(regional).await.accounts, set(&[&w.team]));
        assert_error(&get_account(regional, &w.east).await.unwrap_err(), Code::PermissionDenied);
        assert_error(&rename(regional, &w.sh, "No").await.unwrap_err(), Code::PermissionDenied);

        set_region_managers(server, "WEST", &[&regional.staff_id]).await;
        let lists = lists_of(regional).await;
        assert_eq!(lists.accounts, set(&[&w.west, &w.team]));
        assert_eq!(lists.opportunities, set(&[&w.west, &w.team]));
        get_account(regional, &w.west).await.expect("WEST is its region now");

        // Managing SH alone reaches SH, not the region above it.
        set_region_managers(server, "SH", &[&regional.staff_id]).await;
        assert_eq!(lists_of(regional).await.accounts, set(&[&w.sh, &w.west, &w.team]));
    }

    async fn a_regional_managers_change_feed_covers_its_regions_and_teams(server: &TestServer) {
        let w = world(server).await;
        let accounts = pb::SyncResource::Accounts;
        let (full, token) = sync_all(w.regional.channel(), accounts, "", 500).await;
        let scanned: BTreeSet<String> = full.into_iter().map(|c| c.id).collect();
        assert_eq!(scanned, set(&[&w.east, &w.sh, &w.team]), "the full sync");

        // West changes first: by the time East's change arrives, the feed has passed West's by.
        rename(server.admin(), &w.west, "West again").await.unwrap();
        rename(server.admin(), &w.east, "East again").await.unwrap();
        let east_arrived = |changes: &[pb::ResourceChange]| changes.iter().any(|c| c.id == w.east);
        let (delta, _) = sync_until(w.regional.channel(), accounts, &token, 500, east_arrived).await;
        // The feed delivers at least once: on PostgreSQL a sync token stops short of writes still
        // committing, so the world's own earlier changes may come again. What it may not see never does.
        let changed: BTreeSet<String> = delta.into_iter().map(|c| c.id).collect();
        assert!(
            changed.is_subset(&set(&[&w.east, &w.sh, &w.team])),
            "only what it may see: {changed:?}"
        );
    }

    async fn the_lists_filter_by_segment_with_everything_below_it(server: &TestServer) {
        let w = world(server).await;
        let admin = server.admin();
        let all = set(&[&w.east, &w.sh, &w.west, &w.team, &w.none]);
        let cases = [
            (filter("", ""), all.clone()),
            (filter("", "EAST"), set(&[&w.east, &w.sh])),
            (filter("", "SH"), set(&[&w.sh])),
            (filter("", "WEST"), set(&[&w.west, &w.team])),
            (filter("C", ""), set(&[&w.east, &w.west])),
            (filter("C", "EAST"), set(&[&w.east])),
            (filter("K", "WEST"), set(&[])),
        ];
        for (segments, expected) in cases {
            let label = format!("{segments:?}");
            assert_eq!(opportunities(admin, segments.clone()).await.unwrap(), expected, "ListOpportunities {label}");
            assert_eq!(requests(admin, segments.clone()).await.unwrap(), expected, "ListServiceRequests {label}");
            assert_eq!(at_risk(admin, segments.clone()).await.unwrap(), expected, "ListAtRiskAccounts {label}");
            assert_eq!(cadence(admin, segments.clone()).await.unwrap(), expected, "ListOverdueCadence {label}");
            assert_eq!(coverage(admin, segments).await.unwrap(), expected, "GetCoverageReport {label}");
        }
        assert_eq!(opportunities(admin, None).await.unwrap(), all);

        // A filter keeps to what the caller sees.
        assert_eq!(
            opportunities(&w.regional, filter("", "WEST")).await.unwrap(),
            set(&[&w.team])
        );
        assert_eq!(at_risk(&w.regional, filter("C", "")).await.unwrap(), set(&[&w.east]));

        for segments in [filter("", "NOWHERE"), filter("NOPE", ""), filter("C", "NOWHERE")] {
            let label = format!("{segments:?}");
            let refused = [
                ("ListOpportunities", opportunities(admin, segments.clone()).await),
                ("ListServiceRequests", requests(admin, segments.clone()).await),
                ("ListAtRiskAccounts", at_risk(admin, segments.clone()).await),
                ("ListOverdueCadence", cadence(admin, segments.clone()).await),
                ("GetCoverageReport", coverage(admin, segments.clone()).await),
            ];
            for (rpc, answer) in refused {
                let status = answer.expect_err(&format!("{rpc} {label}"));
                assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
            }
        }
        // A region code named as an industry is not one.
        let status = opportunities(admin, filter("EAST", "")).await.unwrap_err();
        assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
        // A malformed code is bad input.
        let status = requests(admin, filter("", "no spaces")).await.unwrap_err();
        kam_tests::assert_invalid_argument(&status, "segments.region_code");
    }
}
