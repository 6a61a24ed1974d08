//! Industries and regions end to end, on SQLite and PostgreSQL: the seeded industries, create, read,
//! list, change and delete of both kinds with every validation, the tree (cycles, depth, moving a
//! subtree), unique names, the delete rules, managers, and the accounts that reference segments: the
//! classification of their free text, a code filling an empty text, the ListAccounts filters with
//! everything below a segment, and a REGIONAL_MANAGER's regions.

use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, RegionLevel, integration_service_client::IntegrationServiceClient,
        segment_service_client::SegmentServiceClient,
    },
    pbjson_types::FieldMask,
};
use tonic::Code;
use uuid::Uuid;

type Segments = SegmentServiceClient<kam_tests::Authed>;

fn segments(server: &TestServer) -> Segments {
    SegmentServiceClient::new(server.channel())
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn region(code: &str, parent_code: &str, name: &str) -> pb::Region {
    pb::Region {
        code: code.to_owned(),
        parent_code: parent_code.to_owned(),
        name: name.to_owned(),
        ..Default::default()
    }
}

fn industry(code: &str, parent_code: &str, name: &str) -> pb::Industry {
    pb::Industry {
        code: code.to_owned(),
        parent_code: parent_code.to_owned(),
        name: name.to_owned(),
        ..Default::default()
    }
}

async fn create_region(server: &TestServer, region: pb::Region) -> Result<pb::Region, tonic::Status> {
    segments(server)
        .create_region(pb::CreateRegionRequest { region: Some(region) })
        .await
        .map(tonic::Response::into_inner)
}

async fn create_industry(server: &TestServer, industry: pb::Industry) -> Result<pb::Industry, tonic::Status> {
    segments(server)
        .create_industry(pb::CreateIndustryRequest {
            industry: Some(industry),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_region(server: &TestServer, code: &str) -> pb::Region {
    segments(server)
        .get_region(pb::GetRegionRequest { code: code.into() })
        .await
        .expect("get the region")
        .into_inner()
}

async fn move_region(server: &TestServer, code: &str, parent: &str) -> Result<pb::Region, tonic::Status> {
    segments(server)
        .update_region(pb::UpdateRegionRequest {
            region: Some(pb::Region {
                code: code.into(),
                parent_code: parent.into(),
                ..Default::default()
            }),
            update_mask: mask(&["parent_code"]),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list_regions(server: &TestServer, request: pb::ListRegionsRequest) -> Vec<String> {
    segments(server)
        .list_regions(request)
        .await
        .expect("list regions")
        .into_inner()
        .regions
        .into_iter()
        .map(|r| r.code)
        .collect()
}

async fn create_account(server: &TestServer, account: pb::Account) -> Result<pb::Account, tonic::Status> {
    server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(account),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn account(name: &str, industry: &str, region: &str) -> pb::Account {
    pb::Account {
        display_name: name.to_owned(),
        industry: industry.to_owned(),
        region: region.to_owned(),
        ..Default::default()
    }
}

async fn get_account(server: &TestServer, id: &str) -> pb::Account {
    server
        .accounts()
        .get_account(pb::GetAccountRequest { id: id.into() })
        .await
        .expect("get the account")
        .into_inner()
}

async fn list_accounts(
    server: &TestServer,
    request: pb::ListAccountsRequest,
) -> Result<Vec<String>, tonic::Status> {
    server
        .accounts()
        .list_accounts(request)
        .await
        .map(|r| r.into_inner().accounts.into_iter().map(|a| a.id).collect())
}

backend_tests! {
    async fn the_twenty_industry_sections_are_seeded_with_chinese_names(server: &TestServer) {
        let listed = segments(server)
            .list_industries(pb::ListIndustriesRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .expect("list industries")
            .into_inner();
        let codes: Vec<&str> = listed.industries.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, "ABCDEFGHIJKLMNOPQRST".split("").filter(|c| !c.is_empty()).collect::<Vec<_>>());
        assert!(listed.next_page_token.is_empty());
        let manufacturing = &listed.industries[2];
        assert_eq!(manufacturing.name, "Manufacturing");
        assert_eq!(manufacturing.name_zh, "制造业");
        assert_eq!(manufacturing.depth, 1);
        assert!(manufacturing.ancestor_codes.is_empty());
        assert!(manufacturing.parent_code.is_empty());
        assert!(!manufacturing.etag.is_empty());
        assert!(listed.industries.iter().all(|i| !i.name_zh.is_empty()));

        // Paging by code.
        let first = segments(server)
            .list_industries(pb::ListIndustriesRequest {
                page_size: 7,
                ..Default::default()
            })
            .await
            .expect("first page")
            .into_inner();
        assert_eq!(first.industries.len(), 7);
        let second = segments(server)
            .list_industries(pb::ListIndustriesRequest {
                page_size: 7,
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await
            .expect("second page")
            .into_inner();
        assert_eq!(second.industries[0].code, "H");

        // The query matches the code, the names and the aliases, ignoring case.
        let found = segments(server)
            .list_industries(pb::ListIndustriesRequest {
                query: "制造".into(),
                ..Default::default()
            })
            .await
            .expect("query")
            .into_inner();
        assert_eq!(found.industries.len(), 1);
        assert_eq!(found.industries[0].code, "C");
        let found = segments(server)
            .list_industries(pb::ListIndustriesRequest {
                query: "REAL ESTATE".into(),
                ..Default::default()
            })
            .await
            .expect("query")
            .into_inner();
        assert_eq!(found.industries[0].code, "K");
    }

    async fn regions_are_created_read_listed_changed_and_deleted(server: &TestServer) {
        let manager = server.create_staff(pb::StaffLevel::Manager).await;
        let created = create_region(
            server,
            pb::Region {
                name_zh: "中国".into(),
                aliases: vec!["PRC".into(), "China mainland".into()],
                manager_staff_ids: vec![manager.id.clone()],
                level: RegionLevel::Country as i32,
                ..region("CN", "", "China")
            },
        )
        .await
        .expect("create a region");
        assert_eq!(created.code, "CN");
        assert_eq!(created.depth, 1);
        assert_eq!(created.level, RegionLevel::Country as i32);
        assert_eq!(created.manager_staff_ids, [manager.id.as_str()]);
        assert_eq!(created.aliases, ["PRC", "China mainland"]);
        assert!(created.create_time.is_some());
        assert_eq!(get_region(server, "CN").await, created);

        let east = create_region(
            server,
            pb::Region {
                level: RegionLevel::SalesRegion as i32,
                ..region("CN-E", "CN", "East China")
            },
        )
        .await
        .expect("create a child");
        assert_eq!(east.depth, 2);
        assert_eq!(east.ancestor_codes, ["CN"]);
        let shanghai = create_region(
            server,
            pb::Region {
                level: RegionLevel::City as i32,
                ..region("CN-E-SH", "CN-E", "Shanghai")
            },
        )
        .await
        .expect("create a grandchild");
        assert_eq!(shanghai.ancestor_codes, ["CN", "CN-E"]);
        assert_eq!(shanghai.depth, 3);

        let children = list_regions(server, pb::ListRegionsRequest {
            parent_code: "CN".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(children, ["CN-E"]);
        let below = list_regions(server, pb::ListRegionsRequest {
            parent_code: "CN".into(),
            descendants: true,
            ..Default::default()
        })
        .await;
        assert_eq!(below, ["CN-E", "CN-E-SH"]);
        let cities = list_regions(server, pb::ListRegionsRequest {
            level: RegionLevel::City as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(cities, ["CN-E-SH"]);
        let managed = list_regions(server, pb::ListRegionsRequest {
            manager_staff_id: manager.id.clone(),
            ..Default::default()
        })
        .await;
        assert_eq!(managed, ["CN"]);
        let by_alias = list_regions(server, pb::ListRegionsRequest {
            query: "mainland".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(by_alias, ["CN"]);

        // An update with a mask writes only the masked fields; a stale etag is refused.
        let updated = segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: "CN-E".into(),
                    name: "Eastern China".into(),
                    name_zh: "华东".into(),
                    etag: east.etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["name", "name_zh"]),
            })
            .await
            .expect("update a region")
            .into_inner();
        assert_eq!(updated.name, "Eastern China");
        assert_eq!(updated.name_zh, "华东");
        assert_eq!(updated.level, RegionLevel::SalesRegion as i32);
        assert_ne!(updated.etag, east.etag);
        let stale = segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: "CN-E".into(),
                    name: "Stale".into(),
                    etag: east.etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["name"]),
            })
            .await
            .expect_err("a stale etag");
        assert_error(&stale, Code::Aborted);
        // Clearing the level through the mask.
        let cleared = segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: "CN-E".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["level", "manager_staff_ids"]),
            })
            .await
            .expect("clear the level")
            .into_inner();
        assert_eq!(cleared.level, 0);

        let missing = segments(server)
            .get_region(pb::GetRegionRequest { code: "NOWHERE".into() })
            .await
            .expect_err("an unknown region");
        assert_error(&missing, Code::NotFound);

        let stale = segments(server)
            .delete_region(pb::DeleteRegionRequest {
                code: "CN-E-SH".into(),
                etag: "r999".into(),
            })
            .await
            .expect_err("a stale etag");
        assert_error(&stale, Code::Aborted);
        segments(server)
            .delete_region(pb::DeleteRegionRequest {
                code: "CN-E-SH".into(),
                etag: shanghai.etag.clone(),
            })
            .await
            .expect("delete a leaf");
        let gone = segments(server)
            .get_region(pb::GetRegionRequest { code: "CN-E-SH".into() })
            .await
            .expect_err("deleted");
        assert_error(&gone, Code::NotFound);
        let below = list_regions(server, pb::ListRegionsRequest {
            parent_code: "CN".into(),
            descendants: true,
            ..Default::default()
        })
        .await;
        assert_eq!(below, ["CN-E"]);
        // Its names are free again.
        create_region(server, region("SHA", "", "Shanghai")).await.expect("the name is free again");
    }

    async fn industries_are_created_changed_and_deleted(server: &TestServer) {
        let created = create_industry(
            server,
            pb::Industry {
                name_zh: "汽车制造业".into(),
                aliases: vec!["Automotive".into()],
                ..industry("C36", "C", "Motor vehicles")
            },
        )
        .await
        .expect("create an industry");
        assert_eq!(created.depth, 2);
        assert_eq!(created.ancestor_codes, ["C"]);
        let fetched = segments(server)
            .get_industry(pb::GetIndustryRequest { code: "C36".into() })
            .await
            .expect("get it")
            .into_inner();
        assert_eq!(fetched, created);
        let updated = segments(server)
            .update_industry(pb::UpdateIndustryRequest {
                industry: Some(pb::Industry {
                    code: "C36".into(),
                    aliases: vec!["Automotive".into(), "Cars".into()],
                    ..Default::default()
                }),
                update_mask: None,
            })
            .await
            .expect("update with the fields set")
            .into_inner();
        assert_eq!(updated.aliases, ["Automotive", "Cars"]);
        assert_eq!(updated.name, "Motor vehicles");
        // A level is no industry's path.
        let refused = segments(server)
            .update_industry(pb::UpdateIndustryRequest {
                industry: Some(pb::Industry {
                    code: "C36".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["level"]),
            })
            .await
            .expect_err("an unknown path");
        assert_invalid_argument(&refused, "update_mask");
        let refused = segments(server)
            .update_industry(pb::UpdateIndustryRequest {
                industry: Some(pb::Industry {
                    code: "C36".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["code"]),
            })
            .await
            .expect_err("the code is immutable");
        assert_invalid_argument(&refused, "update_mask");
        segments(server)
            .delete_industry(pb::DeleteIndustryRequest {
                code: "C36".into(),
                etag: updated.etag,
            })
            .await
            .expect("delete it");
        let missing = segments(server)
            .delete_industry(pb::DeleteIndustryRequest {
                code: "C36".into(),
                etag: String::new(),
            })
            .await
            .expect_err("deleted already");
        assert_error(&missing, Code::NotFound);
    }

    async fn every_field_is_validated_and_named(server: &TestServer) {
        let cases: Vec<(pb::Region, &str)> = vec![
            (region("", "", "Name"), "region.code"),
            (region(&"X".repeat(33), "", "Name"), "region.code"),
            (region("a b", "", "Name"), "region.code"),
            (region("华东", "", "Name"), "region.code"),
            (region("OK", "a/b", "Name"), "region.parent_code"),
            (region("OK", "", ""), "region.name"),
            (region("OK", "", "   "), "region.name"),
            (region("OK", "", &"n".repeat(201)), "region.name"),
            (region("OK", "", "bad\u{0}name"), "region.name"),
            (
                pb::Region {
                    name_zh: "名".repeat(201),
                    ..region("OK", "", "Name")
                },
                "region.name_zh",
            ),
            (
                pb::Region {
                    aliases: (0..21).map(|i| format!("alias {i}")).collect(),
                    ..region("OK", "", "Name")
                },
                "region.aliases",
            ),
            (
                pb::Region {
                    aliases: vec!["fine".into(), String::new()],
                    ..region("OK", "", "Name")
                },
                "region.aliases[1]",
            ),
            (
                pb::Region {
                    aliases: vec!["a".repeat(201)],
                    ..region("OK", "", "Name")
                },
                "region.aliases[0]",
            ),
            (
                pb::Region {
                    manager_staff_ids: vec!["not-a-uuid".into()],
                    ..region("OK", "", "Name")
                },
                "region.manager_staff_ids[0]",
            ),
            (
                pb::Region {
                    manager_staff_ids: (0..21).map(|_| Uuid::now_v7().to_string()).collect(),
                    ..region("OK", "", "Name")
                },
                "region.manager_staff_ids",
            ),
            (
                pb::Region {
                    level: 99,
                    ..region("OK", "", "Name")
                },
                "region.level",
            ),
        ];
        for (bad, field) in cases {
            let refused = create_region(server, bad).await.expect_err(field);
            assert_invalid_argument(&refused, field);
        }
        let refused = create_industry(server, industry("", "", "")).await.expect_err("empty");
        assert_invalid_argument(&refused, "industry.code");
        assert_invalid_argument(&refused, "industry.name");
        let refused = segments(server)
            .get_industry(pb::GetIndustryRequest { code: "no such code!".into() })
            .await
            .expect_err("a malformed code");
        assert_invalid_argument(&refused, "code");
        let refused = segments(server)
            .delete_region(pb::DeleteRegionRequest { code: String::new(), etag: String::new() })
            .await
            .expect_err("no code");
        assert_invalid_argument(&refused, "code");
        let refused = segments(server)
            .list_regions(pb::ListRegionsRequest { parent_code: "?".into(), ..Default::default() })
            .await
            .expect_err("a malformed parent");
        assert_invalid_argument(&refused, "parent_code");
        let refused = segments(server)
            .list_regions(pb::ListRegionsRequest { query: "q".repeat(201), ..Default::default() })
            .await
            .expect_err("a huge query");
        assert_invalid_argument(&refused, "query");
        let refused = segments(server)
            .list_regions(pb::ListRegionsRequest { manager_staff_id: "x".into(), ..Default::default() })
            .await
            .expect_err("a malformed staff id");
        assert_invalid_argument(&refused, "manager_staff_id");
        let refused = segments(server)
            .list_regions(pb::ListRegionsRequest { page_size: -1, ..Default::default() })
            .await
            .expect_err("a negative page size");
        assert_invalid_argument(&refused, "page_size");
        let refused = segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region { code: "X".into(), name: String::new(), ..Default::default() }),
                update_mask: mask(&["name"]),
            })
            .await
            .expect_err("an empty name in the mask");
        assert_invalid_argument(&refused, "region.name");
        // Nothing was written.
        assert!(list_regions(server, pb::ListRegionsRequest::default()).await.is_empty());
    }

    async fn the_tree_refuses_cycles_and_depth_and_moves_subtrees(server: &TestServer) {
        let unknown = create_region(server, region("X", "NOPE", "X")).await.expect_err("unknown parent");
        assert_failed_precondition(&unknown, "SEGMENT_PARENT_NOT_FOUND");

        // A chain of 8: R1 … R8.
        for level in 1..=8 {
            let parent = if level == 1 { String::new() } else { format!("R{}", level - 1) };
            create_region(server, region(&format!("R{level}"), &parent, &format!("Level {level}")))
                .await
                .expect("within 8 levels");
        }
        assert_eq!(get_region(server, "R8").await.depth, 8);
        let deep = create_region(server, region("R9", "R8", "Level 9")).await.expect_err("too deep");
        assert_failed_precondition(&deep, "SEGMENT_TOO_DEEP");

        // Cycles: under itself, under its own descendant.
        let cycle = move_region(server, "R3", "R3").await.expect_err("under itself");
        assert_failed_precondition(&cycle, "SEGMENT_CYCLE");
        let cycle = move_region(server, "R3", "R6").await.expect_err("under its descendant");
        assert_failed_precondition(&cycle, "SEGMENT_CYCLE");
        let unknown = move_region(server, "R3", "NOPE").await.expect_err("unknown parent");
        assert_failed_precondition(&unknown, "SEGMENT_PARENT_NOT_FOUND");

        // A subtree of three levels (S1 > S2 > S3) fits under R5 (depth 5: 6, 7, 8) but not under R6.
        create_region(server, region("S1", "", "S one")).await.expect("S1");
        create_region(server, region("S2", "S1", "S two")).await.expect("S2");
        create_region(server, region("S3", "S2", "S three")).await.expect("S3");
        let deep = move_region(server, "S1", "R6").await.expect_err("the whole subtree counts");
        assert_failed_precondition(&deep, "SEGMENT_TOO_DEEP");
        assert_eq!(get_region(server, "S3").await.depth, 3, "a refusal leaves the tree as it was");
        let before = get_region(server, "S3").await;
        let moved = move_region(server, "S1", "R5").await.expect("fits");
        assert_eq!(moved.depth, 6);
        assert_eq!(moved.ancestor_codes, ["R1", "R2", "R3", "R4", "R5"]);
        let s3 = get_region(server, "S3").await;
        assert_eq!(s3.depth, 8);
        assert_eq!(s3.ancestor_codes, ["R1", "R2", "R3", "R4", "R5", "S1", "S2"]);
        assert_ne!(s3.etag, before.etag, "the moved descendants change too");
        let below_r2 = list_regions(server, pb::ListRegionsRequest {
            parent_code: "R2".into(),
            descendants: true,
            ..Default::default()
        })
        .await;
        assert_eq!(below_r2, ["R3", "R4", "R5", "R6", "R7", "R8", "S1", "S2", "S3"]);

        // Moving the middle of the subtree to the top level.
        let top = move_region(server, "S2", "").await.expect("to the top");
        assert_eq!(top.depth, 1);
        assert!(top.ancestor_codes.is_empty());
        assert!(top.parent_code.is_empty());
        let s3 = get_region(server, "S3").await;
        assert_eq!(s3.depth, 2);
        assert_eq!(s3.ancestor_codes, ["S2"]);
        let below_r1 = list_regions(server, pb::ListRegionsRequest {
            parent_code: "R1".into(),
            descendants: true,
            ..Default::default()
        })
        .await;
        assert_eq!(below_r1, ["R2", "R3", "R4", "R5", "R6", "R7", "R8", "S1"]);
        // And back under a parent with room.
        let back = move_region(server, "S2", "S1").await.expect("back");
        assert_eq!(back.depth, 7);
        assert_eq!(get_region(server, "S3").await.depth, 8);
    }

    async fn names_and_aliases_are_unique_per_kind_ignoring_case(server: &TestServer) {
        create_region(
            server,
            pb::Region {
                aliases: vec!["Huadong".into()],
                ..region("EAST", "", "East China")
            },
        )
        .await
        .expect("create");
        let clashes = [
            region("EAST", "", "Another"),
            region("east", "", "Another"),
            region("E2", "", " east china "),
            pb::Region { aliases: vec!["HUADONG".into()], ..region("E2", "", "Another") },
            pb::Region { name_zh: "East".into(), ..region("E2", "", "Another") },
        ];
        for clash in clashes {
            let refused = create_region(server, clash).await.expect_err("a taken name");
            assert_error(&refused, Code::AlreadyExists);
        }
        // Another kind's names are free: an industry named like a region, a region named like an industry.
        create_region(server, region("MFG", "", "Manufacturing")).await.expect("per kind");
        // A segment's own names may repeat one another.
        create_region(
            server,
            pb::Region { aliases: vec!["WEST".into(), "west china".into()], ..region("WEST", "", "West China") },
        )
        .await
        .expect("its own names");
        let refused = segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region { code: "WEST".into(), aliases: vec!["huadong".into()], ..Default::default() }),
                update_mask: mask(&["aliases"]),
            })
            .await
            .expect_err("an alias taken by another");
        assert_error(&refused, Code::AlreadyExists);
        assert_eq!(get_region(server, "WEST").await.aliases, ["WEST", "west china"]);
    }

    async fn segments_with_children_or_live_accounts_are_not_deleted(server: &TestServer) {
        create_region(server, region("P", "", "Parent")).await.expect("parent");
        create_region(server, region("P1", "P", "Child")).await.expect("child");
        let refused = segments(server)
            .delete_region(pb::DeleteRegionRequest { code: "P".into(), etag: String::new() })
            .await
            .expect_err("has children");
        assert_failed_precondition(&refused, "SEGMENT_HAS_CHILDREN");
        let acme = create_account(server, pb::Account { region_code: "P1".into(), ..account("Acme", "", "") })
            .await
            .expect("an account in the child");
        let refused = segments(server)
            .delete_region(pb::DeleteRegionRequest { code: "P1".into(), etag: String::new() })
            .await
            .expect_err("in use");
        assert_failed_precondition(&refused, "SEGMENT_IN_USE");
        let refused = segments(server)
            .delete_industry(pb::DeleteIndustryRequest { code: "C".into(), etag: String::new() })
            .await;
        assert!(refused.is_ok(), "a seeded section nobody names may go");
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: acme.id.clone(), etag: String::new() })
            .await
            .expect("delete the account");
        segments(server)
            .delete_region(pb::DeleteRegionRequest { code: "P1".into(), etag: String::new() })
            .await
            .expect("no live account names it");
        let undeleted = server
            .accounts()
            .undelete_account(pb::UndeleteAccountRequest { id: acme.id.clone(), etag: String::new() })
            .await
            .expect("undelete")
            .into_inner();
        assert!(undeleted.region_code.is_empty(), "the deleted region is forgotten");
        assert_eq!(undeleted.region, "Child", "the free text stays");
    }

    async fn managers_are_active_staff(server: &TestServer) {
        let unknown = create_region(
            server,
            pb::Region { manager_staff_ids: vec![Uuid::now_v7().to_string()], ..region("M", "", "Managed") },
        )
        .await
        .expect_err("nobody");
        assert_failed_precondition(&unknown, "STAFF_NOT_FOUND");
        let leaver = server.create_staff(pb::StaffLevel::Staff).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("deactivate");
        let inactive = create_region(
            server,
            pb::Region { manager_staff_ids: vec![leaver.id.clone()], ..region("M", "", "Managed") },
        )
        .await
        .expect_err("inactive");
        assert_failed_precondition(&inactive, "STAFF_NOT_FOUND");
        let refused = segments(server)
            .get_region(pb::GetRegionRequest { code: "M".into() })
            .await
            .expect_err("nothing was written");
        assert_error(&refused, Code::NotFound);
    }

    async fn accounts_are_classified_by_their_free_text(server: &TestServer) {
        let manufacturer = create_account(server, account("Maker", "manufacturing", "")).await.expect("create");
        assert_eq!(manufacturer.industry_code, "C");
        assert_eq!(manufacturer.industry, "manufacturing", "the free text stays as written");
        let chinese = create_account(server, account("Maker 2", " 制造业 ", "")).await.expect("create");
        assert_eq!(chinese.industry_code, "C");
        let unknown = create_account(server, account("Widgets Ltd", "Widgets", "Atlantis")).await.expect("create");
        assert!(unknown.industry_code.is_empty());
        assert!(unknown.region_code.is_empty());
        let by_text = list_accounts(server, pb::ListAccountsRequest { industry: "Widgets".into(), ..Default::default() })
            .await
            .expect("list by free text");
        assert_eq!(by_text, [unknown.id.as_str()], "unclassified accounts stay visible under their words");

        // The code alone fills an empty text with the segment's name.
        let bank = create_account(server, pb::Account { industry_code: "J".into(), ..account("Bank", "", "") })
            .await
            .expect("create with a code");
        assert_eq!(bank.industry, "Finance");
        assert_eq!(bank.industry_code, "J");
        // A code and a text: both kept.
        let both = create_account(server, pb::Account { industry_code: "J".into(), ..account("Insurer", "Insurance", "") })
            .await
            .expect("code and text");
        assert_eq!((both.industry.as_str(), both.industry_code.as_str()), ("Insurance", "J"));
        let refused = create_account(server, pb::Account { industry_code: "ZZ".into(), ..account("Nowhere", "", "") })
            .await
            .expect_err("an unknown code");
        assert_failed_precondition(&refused, "SEGMENT_NOT_FOUND");
        let refused = create_account(server, pb::Account { region_code: "bad code".into(), ..account("Bad", "", "") })
            .await
            .expect_err("a malformed code");
        assert_invalid_argument(&refused, "account.region_code");

        // Updates: the text alone moves the code along; the code in the mask is checked.
        let updated = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: manufacturer.id.clone(), industry: "Mining".into(), ..Default::default() }),
                update_mask: mask(&["industry"]),
                change_reason: String::new(),
            })
            .await
            .expect("change the text")
            .into_inner();
        assert_eq!(updated.industry_code, "B");
        let updated = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: manufacturer.id.clone(), industry: "Quarrying".into(), ..Default::default() }),
                update_mask: mask(&["industry"]),
                change_reason: String::new(),
            })
            .await
            .expect("a text that names nothing")
            .into_inner();
        assert!(updated.industry_code.is_empty(), "a code that followed the text goes with it");
        let updated = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: manufacturer.id.clone(), industry_code: "B".into(), ..Default::default() }),
                update_mask: mask(&["industry_code"]),
                change_reason: String::new(),
            })
            .await
            .expect("set the code")
            .into_inner();
        assert_eq!((updated.industry.as_str(), updated.industry_code.as_str()), ("Quarrying", "B"));
        let refused = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: manufacturer.id.clone(), industry_code: "ZZ".into(), ..Default::default() }),
                update_mask: mask(&["industry_code"]),
                change_reason: String::new(),
            })
            .await
            .expect_err("an unknown code");
        assert_failed_precondition(&refused, "SEGMENT_NOT_FOUND");
        assert_eq!(get_account(server, &manufacturer.id).await.industry_code, "B");
    }

    async fn a_new_or_renamed_segment_classifies_the_accounts_that_name_it(server: &TestServer) {
        let shanghai = create_account(server, account("SH Co", "", "shanghai")).await.expect("create");
        let pudong = create_account(server, account("PD Co", "", " SHANGHAI ")).await.expect("create");
        let other = create_account(server, account("Other", "", "Hangzhou")).await.expect("create");
        assert!(shanghai.region_code.is_empty());
        create_region(server, region("SH", "", "Shanghai")).await.expect("create the region");
        for before in [&shanghai, &pudong] {
            let after = get_account(server, &before.id).await;
            assert_eq!(after.region_code, "SH");
            assert_ne!(after.etag, before.etag, "the account's etag changes");
            assert_eq!(after.region, before.region, "the free text stays");
        }
        assert!(get_account(server, &other.id).await.region_code.is_empty());
        // An alias added later picks up more.
        segments(server)
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region { code: "SH".into(), aliases: vec!["hangzhou".into()], ..Default::default() }),
                update_mask: mask(&["aliases"]),
            })
            .await
            .expect("add an alias");
        assert_eq!(get_account(server, &other.id).await.region_code, "SH");
    }

    async fn accounts_are_listed_by_segment_with_everything_below_it(server: &TestServer) {
        create_industry(server, industry("C36", "C", "Motor vehicles")).await.expect("a sub-industry");
        create_industry(server, industry("C361", "C36", "Passenger cars")).await.expect("a sub-sub-industry");
        create_region(server, region("EU", "", "Europe")).await.expect("region");
        create_region(server, region("DACH", "EU", "DACH")).await.expect("region");
        let maker = create_account(server, account("Maker", "Manufacturing", "")).await.expect("create");
        let cars = create_account(server, pb::Account { industry_code: "C361".into(), region_code: "DACH".into(), ..account("Cars", "", "") })
            .await
            .expect("create");
        let bank = create_account(server, account("Bank", "Finance", "Europe")).await.expect("create");
        let mut in_c = list_accounts(server, pb::ListAccountsRequest { industry_code: "C".into(), ..Default::default() })
            .await
            .expect("list by industry");
        in_c.sort();
        let mut expected = vec![maker.id.clone(), cars.id.clone()];
        expected.sort();
        assert_eq!(in_c, expected);
        let in_c36 = list_accounts(server, pb::ListAccountsRequest { industry_code: "C36".into(), ..Default::default() })
            .await
            .expect("list by sub-industry");
        assert_eq!(in_c36, [cars.id.as_str()]);
        let mut in_eu = list_accounts(server, pb::ListAccountsRequest { region_code: "EU".into(), ..Default::default() })
            .await
            .expect("list by region");
        in_eu.sort();
        let mut expected = vec![cars.id.clone(), bank.id.clone()];
        expected.sort();
        assert_eq!(in_eu, expected);
        let both = list_accounts(server, pb::ListAccountsRequest {
            industry_code: "C".into(),
            region_code: "EU".into(),
            ..Default::default()
        })
        .await
        .expect("both");
        assert_eq!(both, [cars.id.as_str()]);
        let refused = list_accounts(server, pb::ListAccountsRequest { industry_code: "ZZ".into(), ..Default::default() })
            .await
            .expect_err("an unknown code");
        assert_failed_precondition(&refused, "SEGMENT_NOT_FOUND");
        let refused = list_accounts(server, pb::ListAccountsRequest { region_code: "a b".into(), ..Default::default() })
            .await
            .expect_err("a malformed code");
        assert_invalid_argument(&refused, "region_code");
    }

    async fn imported_accounts_are_classified_and_keep_codes_set_on_their_own(server: &TestServer) {
        create_region(server, region("BY", "", "Bavaria")).await.expect("a region");
        let import = |records: Vec<pb::AccountRecord>| async move {
            IntegrationServiceClient::new(server.channel())
                .import_accounts(tokio_stream::iter([pb::ImportAccountsRequest { accounts: records }]))
                .await
                .expect("import accounts")
                .into_inner()
        };
        let record = |external_id: &str, industry: &str, region: &str| pb::AccountRecord {
            external_id: external_id.to_owned(),
            display_name: format!("Imported {external_id}"),
            industry: industry.to_owned(),
            region: region.to_owned(),
            ..Default::default()
        };
        let summary = import(vec![
            record("E1", "Manufacturing", "bavaria"),
            record("E2", "Widgets", ""),
        ])
        .await;
        assert_eq!(summary.created, 2, "{summary:?}");
        let by_external_id = |external_id: &'static str| async move {
            server
                .accounts()
                .list_accounts(pb::ListAccountsRequest { page_size: 100, ..Default::default() })
                .await
                .expect("list")
                .into_inner()
                .accounts
                .into_iter()
                .find(|a| a.external_id == external_id)
                .expect("imported")
        };
        let e1 = by_external_id("E1").await;
        assert_eq!((e1.industry_code.as_str(), e1.region_code.as_str()), ("C", "BY"));
        assert!(by_external_id("E2").await.industry_code.is_empty());
        // A code set by hand stays when the ERP's text names nothing; a text that names a segment moves it.
        server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: by_external_id("E2").await.id, industry_code: "F".into(), ..Default::default() }),
                update_mask: mask(&["industry_code"]),
                change_reason: String::new(),
            })
            .await
            .expect("set a code");
        let summary = import(vec![record("E1", "Finance", "bavaria"), record("E2", "Gadgets", "")]).await;
        assert_eq!(summary.updated, 2, "{summary:?}");
        assert_eq!(by_external_id("E1").await.industry_code, "J");
        let e2 = by_external_id("E2").await;
        assert_eq!((e2.industry.as_str(), e2.industry_code.as_str()), ("Gadgets", "F"));
    }

    async fn a_regional_manager_gives_accounts_only_its_regions(server: &TestServer) {
        let acme = create_account(server, account("Acme", "", "")).await.expect("create");
        let manager = server.caller_on_team(&acme.id, &[pb::Role::RegionalManager]).await;
        create_region(server, pb::Region { manager_staff_ids: vec![manager.staff_id.clone()], ..region("EAST", "", "East") })
            .await
            .expect("its region");
        create_region(server, region("EAST-1", "EAST", "East one")).await.expect("below its region");
        create_region(server, region("WEST", "", "West")).await.expect("another region");
        let update = |code: &str| pb::UpdateAccountRequest {
            account: Some(pb::Account { id: acme.id.clone(), region_code: code.into(), ..Default::default() }),
            update_mask: mask(&["region_code"]),
            change_reason: String::new(),
        };
        let refused = manager.accounts().update_account(update("WEST")).await.expect_err("not its region");
        assert_error(&refused, Code::PermissionDenied);
        let updated = manager.accounts().update_account(update("EAST-1")).await.expect("below its region").into_inner();
        assert_eq!(updated.region_code, "EAST-1");
        // An ADMIN gives any region.
        server.accounts().update_account(update("WEST")).await.expect("an ADMIN");
    }
}
