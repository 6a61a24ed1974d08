//! Competitors end to end, on SQLite and PostgreSQL: created, read, listed, changed and deleted with
//! their etags; every field validated; names and aliases unique ignoring case; deals matched to
//! competitors by name at read time (a name a deal carried before the competitor existed counts for it
//! after, and nothing of the deal changes when the competitor goes); the lost-to competitor; the
//! ListOpportunities filter; ListCompetitors by home region with every region below it;
//! GetCompetitorReport on a small hand-computed scenario, as an ADMIN and as a MEMBER who sees only its
//! teams' deals; and the report narrowed to segments and rolled up by them over a real segment tree.

use chrono::{Duration, Utc};
use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, Outcome, RegionLevel, StaffLevel, opportunity_service_client::OpportunityServiceClient,
        segment_service_client::SegmentServiceClient,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use tonic::{Code, Status};

type Opportunities = OpportunityServiceClient<kam_tests::Authed>;

fn client(server: &TestServer) -> Opportunities {
    OpportunityServiceClient::new(server.channel())
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn competitor(name: &str, aliases: &[&str]) -> pb::Competitor {
    pb::Competitor {
        name: name.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        ..Default::default()
    }
}

async fn try_create(
    client: &mut Opportunities,
    competitor: pb::Competitor,
) -> Result<pb::Competitor, Status> {
    client
        .create_competitor(pb::CreateCompetitorRequest {
            competitor: Some(competitor),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn create(client: &mut Opportunities, name: &str, aliases: &[&str]) -> pb::Competitor {
    try_create(client, competitor(name, aliases))
        .await
        .unwrap_or_else(|status| panic!("create competitor {name}: {status:?}"))
}

async fn try_update(
    client: &mut Opportunities,
    competitor: pb::Competitor,
    paths: &[&str],
) -> Result<pb::Competitor, Status> {
    client
        .update_competitor(pb::UpdateCompetitorRequest {
            competitor: Some(competitor),
            update_mask: mask(paths),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list_names(client: &mut Opportunities, query: &str) -> Vec<String> {
    client
        .list_competitors(pb::ListCompetitorsRequest {
            query: query.to_owned(),
            ..Default::default()
        })
        .await
        .expect("list competitors")
        .into_inner()
        .competitors
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn man() -> Option<pb::Qualification> {
    Some(pb::Qualification {
        budget_confirmed: true,
        authority_confirmed: true,
        need_confirmed: true,
    })
}

fn money(currency: &str, units: i64, nanos: i32) -> pb::Money {
    pb::Money {
        currency_code: currency.to_owned(),
        units,
        nanos,
    }
}

/// A new MAN-qualified deal on `account_id`, owned by `owner`, facing `competitors`.
async fn deal(
    client: &mut Opportunities,
    account_id: &str,
    owner: &str,
    amount: Option<pb::Money>,
    competitors: &[&str],
) -> pb::Opportunity {
    client
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account_id.to_owned(),
                display_name: "Deal".to_owned(),
                owner_staff_id: owner.to_owned(),
                amount,
                competitors: competitors.iter().map(|c| (*c).to_owned()).collect(),
                qualification: man(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a deal")
        .into_inner()
}

async fn close(client: &mut Opportunities, id: &str, outcome: Outcome, lost_to: &str) -> pb::Opportunity {
    client
        .close_opportunity(pb::CloseOpportunityRequest {
            id: id.to_owned(),
            outcome: outcome as i32,
            reason_code: "PRICE".to_owned(),
            note: String::new(),
            lost_to_competitor: lost_to.to_owned(),
            etag: String::new(),
        })
        .await
        .expect("close the deal")
        .into_inner()
}

async fn get_deal(client: &mut Opportunities, id: &str) -> pb::Opportunity {
    client
        .get_opportunity(pb::GetOpportunityRequest { id: id.to_owned() })
        .await
        .expect("get the deal")
        .into_inner()
}

async fn deals_facing(client: &mut Opportunities, competitor_id: &str) -> Vec<String> {
    client
        .list_opportunities(pb::ListOpportunitiesRequest {
            competitor_id: competitor_id.to_owned(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list deals by competitor")
        .into_inner()
        .opportunities
        .into_iter()
        .map(|o| o.id)
        .collect()
}

fn timestamp(time: chrono::DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    })
}

/// The report over the last and the next hour.
fn this_hour() -> pb::GetCompetitorReportRequest {
    let now = Utc::now();
    pb::GetCompetitorReportRequest {
        start_time: timestamp(now - Duration::hours(1)),
        end_time: timestamp(now + Duration::hours(1)),
        ..Default::default()
    }
}

async fn report(
    client: &mut Opportunities,
    request: pb::GetCompetitorReportRequest,
) -> Result<pb::GetCompetitorReportResponse, Status> {
    client
        .get_competitor_report(request)
        .await
        .map(tonic::Response::into_inner)
}

/// `(currency, count, units, nanos)` of each amount.
fn amounts(amounts: &[pb::CurrencyAmount]) -> Vec<(String, i64, i64, i32)> {
    amounts
        .iter()
        .map(|a| {
            let m = a.amount.clone().expect("an amount");
            (a.currency_code.clone(), a.count, m.units, m.nanos)
        })
        .collect()
}

fn row<'a>(report: &'a pb::GetCompetitorReportResponse, name: &str) -> &'a pb::CompetitorReportRow {
    report
        .rows
        .iter()
        .find(|r| r.competitor_name == name)
        .unwrap_or_else(|| panic!("no row for {name}: {report:?}"))
}

/// `(faced, won, lost_to, lost_to_others, open, win_rate)`.
fn counts(row: &pb::CompetitorReportRow) -> (i64, i64, i64, i64, i64, f64) {
    let o = row.outcomes.as_ref().expect("outcomes");
    (o.faced, o.won, o.lost_to, o.lost_to_others, o.open, o.win_rate)
}

/// Creates region `code` below `parent` (empty: at the top) at `level`.
async fn create_region(server: &TestServer, code: &str, parent: &str, name: &str, level: RegionLevel) {
    SegmentServiceClient::new(server.channel())
        .create_region(pb::CreateRegionRequest {
            region: Some(pb::Region {
                code: code.to_owned(),
                parent_code: parent.to_owned(),
                name: name.to_owned(),
                level: level as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap_or_else(|status| panic!("create region {code}: {status:?}"));
}

/// Creates industry `code` below `parent`.
async fn create_industry(server: &TestServer, code: &str, parent: &str, name: &str) {
    SegmentServiceClient::new(server.channel())
        .create_industry(pb::CreateIndustryRequest {
            industry: Some(pb::Industry {
                code: code.to_owned(),
                parent_code: parent.to_owned(),
                name: name.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_or_else(|status| panic!("create industry {code}: {status:?}"));
}

/// Moves region `code` (with everything below it) under `parent`.
async fn move_region(server: &TestServer, code: &str, parent: &str) {
    SegmentServiceClient::new(server.channel())
        .update_region(pb::UpdateRegionRequest {
            region: Some(pb::Region {
                code: code.to_owned(),
                parent_code: parent.to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["parent_code"]),
        })
        .await
        .unwrap_or_else(|status| panic!("move region {code} under {parent}: {status:?}"));
}

/// A new account classified by code (empty: none); `industry` is its free text.
async fn classified_account(
    server: &TestServer,
    name: &str,
    industry_code: &str,
    region_code: &str,
    industry: &str,
) -> pb::Account {
    let account = server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.to_owned(),
                industry: industry.to_owned(),
                industry_code: industry_code.to_owned(),
                region_code: region_code.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|status| panic!("create account {name}: {status:?}"))
        .into_inner();
    assert_eq!(
        (account.industry_code.as_str(), account.region_code.as_str()),
        (industry_code, region_code)
    );
    account
}

/// A new competitor at home in `regions`.
async fn create_at_home(client: &mut Opportunities, name: &str, regions: &[&str]) -> pb::Competitor {
    try_create(
        client,
        pb::Competitor {
            home_region_codes: regions.iter().map(|r| (*r).to_owned()).collect(),
            ..competitor(name, &[])
        },
    )
    .await
    .unwrap_or_else(|status| panic!("create competitor {name}: {status:?}"))
}

/// The names of the competitors at home in `region` or below it, every page of `page_size` read.
async fn at_home_in(client: &mut Opportunities, region: &str, page_size: i32) -> Result<Vec<String>, Status> {
    let mut names = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_competitors(pb::ListCompetitorsRequest {
                region_code: region.to_owned(),
                page_size,
                page_token,
                ..Default::default()
            })
            .await?
            .into_inner();
        names.extend(page.competitors.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            return Ok(names);
        }
        page_token = page.next_page_token;
    }
}

/// `(code, name, faced, won, lost_to)` of each group of a breakdown, in the order answered.
fn groups(segments: &[pb::competitor_report_row::SegmentOutcomes]) -> Vec<(String, String, i64, i64, i64)> {
    segments
        .iter()
        .map(|s| {
            let key = s.segment.clone().expect("a segment key");
            let o = s.outcomes.as_ref().expect("outcomes");
            (key.code, key.name, o.faced, o.won, o.lost_to)
        })
        .collect()
}

fn group(code: &str, name: &str, faced: i64, won: i64, lost_to: i64) -> (String, String, i64, i64, i64) {
    (code.to_owned(), name.to_owned(), faced, won, lost_to)
}

/// The report over this hour narrowed to the accounts in `industry` and `region` (empty: any),
/// rolled up to `rollup_depth`.
fn in_segments(industry: &str, region: &str, rollup_depth: i32) -> pb::GetCompetitorReportRequest {
    pb::GetCompetitorReportRequest {
        segments: Some(pb::SegmentFilter {
            industry_code: industry.to_owned(),
            region_code: region.to_owned(),
        }),
        rollup_depth,
        ..this_hour()
    }
}

backend_tests! {
    async fn competitors_are_created_read_listed_changed_and_deleted(server: &TestServer) {
        let mut client = client(server);
        let created = try_create(
            &mut client,
            pb::Competitor {
                strengths: "Price".to_owned(),
                weaknesses: "Service".to_owned(),
                website: "https://acme.example".to_owned(),
                ..competitor("  Acme Corp ", &["Acme", "ACME Holdings"])
            },
        )
        .await
        .expect("create");
        assert_eq!(created.name, "Acme Corp");
        assert_eq!(created.aliases, ["Acme", "ACME Holdings"]);
        assert_eq!(created.etag, "r1");
        assert!(created.create_time.is_some());
        let got = client
            .get_competitor(pb::GetCompetitorRequest { id: created.id.clone() })
            .await
            .expect("get")
            .into_inner();
        assert_eq!(got, created);

        // The same request id answers the first result.
        let request = pb::CreateCompetitorRequest {
            competitor: Some(competitor("Globex", &[])),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let first = client.create_competitor(request.clone()).await.expect("first").into_inner();
        let again = client.create_competitor(request).await.expect("again").into_inner();
        assert_eq!(first, again);
        create(&mut client, "Initech", &["Initrode"]).await;

        assert_eq!(list_names(&mut client, "").await, ["Acme Corp", "Globex", "Initech"]);
        assert_eq!(list_names(&mut client, "holdings").await, ["Acme Corp"]);
        assert_eq!(list_names(&mut client, "INITRODE").await, ["Initech"]);
        let page = client
            .list_competitors(pb::ListCompetitorsRequest { page_size: 2, ..Default::default() })
            .await
            .expect("page")
            .into_inner();
        assert_eq!(page.competitors.len(), 2);
        let rest = client
            .list_competitors(pb::ListCompetitorsRequest {
                page_size: 2,
                page_token: page.next_page_token,
                ..Default::default()
            })
            .await
            .expect("second page")
            .into_inner();
        assert_eq!(rest.competitors.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Initech"]);

        // A stale etag changes nothing.
        let stale = try_update(
            &mut client,
            pb::Competitor { id: created.id.clone(), etag: "r9".to_owned(), ..competitor("Acme", &[]) },
            &["name"],
        )
        .await
        .expect_err("stale etag");
        assert_error(&stale, Code::Aborted);
        let updated = try_update(
            &mut client,
            pb::Competitor {
                id: created.id.clone(),
                etag: "r1".to_owned(),
                strengths: "Price, reach".to_owned(),
                ..competitor("Acme Corporation", &[])
            },
            &["name", "aliases", "strengths"],
        )
        .await
        .expect("update");
        assert_eq!(updated.name, "Acme Corporation");
        assert!(updated.aliases.is_empty());
        assert_eq!(updated.strengths, "Price, reach");
        assert_eq!(updated.weaknesses, "Service");
        assert_eq!(updated.etag, "r2");
        // The old alias is free again.
        create(&mut client, "ACME", &[]).await;

        let stale = client
            .delete_competitor(pb::DeleteCompetitorRequest { id: created.id.clone(), etag: "r1".to_owned() })
            .await
            .expect_err("stale delete");
        assert_error(&stale, Code::Aborted);
        client
            .delete_competitor(pb::DeleteCompetitorRequest { id: created.id.clone(), etag: "r2".to_owned() })
            .await
            .expect("delete");
        let gone = client
            .get_competitor(pb::GetCompetitorRequest { id: created.id.clone() })
            .await
            .expect_err("deleted");
        assert_error(&gone, Code::NotFound);
        // Its names are free again.
        create(&mut client, "Acme Corporation", &[]).await;
    }

    async fn every_field_is_validated(server: &TestServer) {
        let mut client = client(server);
        let long = "x".repeat(201);
        let cases: Vec<(pb::Competitor, &str)> = vec![
            (competitor("", &[]), "competitor.name"),
            (competitor("   ", &[]), "competitor.name"),
            (competitor(&long, &[]), "competitor.name"),
            (competitor("A\u{0}B", &[]), "competitor.name"),
            (competitor("A", &[&long]), "competitor.aliases[0]"),
            (competitor("A", &["ok", ""]), "competitor.aliases[1]"),
            (competitor("A", &["a"]), "competitor.aliases[0]"),
            (competitor("A", &["B", " b "]), "competitor.aliases[1]"),
            (
                competitor("A", &(0..21).map(|_| "n").collect::<Vec<_>>()),
                "competitor.aliases",
            ),
            (
                pb::Competitor { strengths: "x".repeat(2001), ..competitor("A", &[]) },
                "competitor.strengths",
            ),
            (
                pb::Competitor { weaknesses: "x".repeat(2001), ..competitor("A", &[]) },
                "competitor.weaknesses",
            ),
            (
                pb::Competitor { website: "x".repeat(501), ..competitor("A", &[]) },
                "competitor.website",
            ),
            (
                pb::Competitor { home_region_codes: vec!["bad code!".to_owned()], ..competitor("A", &[]) },
                "competitor.home_region_codes[0]",
            ),
            (
                pb::Competitor {
                    home_region_codes: (0..51).map(|i| format!("R{i}")).collect(),
                    ..competitor("A", &[])
                },
                "competitor.home_region_codes",
            ),
        ];
        for (bad, field) in cases {
            let status = try_create(&mut client, bad.clone()).await.expect_err(field);
            assert_invalid_argument(&status, field);
        }
        let unknown = try_create(
            &mut client,
            pb::Competitor { home_region_codes: vec!["NOWHERE".to_owned()], ..competitor("A", &[]) },
        )
        .await
        .expect_err("unknown region");
        assert_failed_precondition(&unknown, "SEGMENT_NOT_FOUND");
        assert!(list_names(&mut client, "").await.is_empty(), "a refusal creates nothing");

        let created = create(&mut client, "A", &[]).await;
        let status = try_update(&mut client, pb::Competitor { id: created.id.clone(), ..competitor("", &[]) }, &["name"])
            .await
            .expect_err("empty name");
        assert_invalid_argument(&status, "competitor.name");
        let status = try_update(&mut client, pb::Competitor { id: created.id.clone(), ..competitor("B", &[]) }, &["bogus"])
            .await
            .expect_err("unknown path");
        assert_error(&status, Code::InvalidArgument);
        let status = try_update(&mut client, pb::Competitor { id: "nope".to_owned(), ..competitor("B", &[]) }, &["name"])
            .await
            .expect_err("bad id");
        assert_invalid_argument(&status, "competitor.id");

        let bad_report = [
            (pb::GetCompetitorReportRequest { start_time: None, ..this_hour() }, "start_time"),
            (pb::GetCompetitorReportRequest { end_time: None, ..this_hour() }, "end_time"),
            (
                pb::GetCompetitorReportRequest { end_time: this_hour().start_time, ..this_hour() },
                "end_time",
            ),
            (pb::GetCompetitorReportRequest { top_accounts: 51, ..this_hour() }, "top_accounts"),
            (pb::GetCompetitorReportRequest { top_accounts: -1, ..this_hour() }, "top_accounts"),
            (pb::GetCompetitorReportRequest { rollup_depth: -1, ..this_hour() }, "rollup_depth"),
            (
                pb::GetCompetitorReportRequest { competitor_id: "x".to_owned(), ..this_hour() },
                "competitor_id",
            ),
        ];
        for (request, field) in bad_report {
            let status = report(&mut client, request).await.expect_err(field);
            assert_invalid_argument(&status, field);
        }
        let status = report(
            &mut client,
            pb::GetCompetitorReportRequest {
                segments: Some(pb::SegmentFilter { industry_code: "NOPE".to_owned(), ..Default::default() }),
                ..this_hour()
            },
        )
        .await
        .expect_err("unknown segment");
        assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
    }

    async fn names_and_aliases_are_unique_ignoring_case(server: &TestServer) {
        let mut client = client(server);
        let acme = create(&mut client, "Acme", &["Acme Inc"]).await;
        for (name, aliases) in [("ACME INC", vec![]), ("Globex", vec![" acme "]), ("acme", vec![])] {
            let status = try_create(&mut client, competitor(name, &aliases)).await.expect_err(name);
            assert_error(&status, Code::AlreadyExists);
        }
        let globex = create(&mut client, "Globex", &[]).await;
        let status = try_update(
            &mut client,
            pb::Competitor { id: globex.id.clone(), aliases: vec!["acme inc".to_owned()], ..Default::default() },
            &["aliases"],
        )
        .await
        .expect_err("an alias of another");
        assert_error(&status, Code::AlreadyExists);
        // Its own names may be respelled.
        let respelled = try_update(
            &mut client,
            pb::Competitor { id: acme.id.clone(), aliases: vec!["ACME inc".to_owned()], ..Default::default() },
            &["aliases"],
        )
        .await
        .expect("respell an alias");
        assert_eq!(respelled.aliases, ["ACME inc"]);
        assert_eq!(list_names(&mut client, "").await, ["Acme", "Globex"]);
    }

    async fn deals_match_competitors_by_name_whenever_they_are_recorded(server: &TestServer) {
        let mut client = client(server);
        let account = server.create_account("Matching Account").await;
        let owner = server.create_staff(StaffLevel::Staff).await;
        // The deal names competitors nobody has recorded yet.
        let early = deal(&mut client, &account.id, &owner.id, None, &["acme corp", "Unknown Ltd", "ACME CORP"]).await;
        assert_eq!(early.competitor_ids, ["", "", ""]);
        assert!(early.lost_to_competitor_id.is_empty());

        let acme = create(&mut client, "ACME Corp", &["Acme"]).await;
        let got = get_deal(&mut client, &early.id).await;
        assert_eq!(got.competitors, ["acme corp", "Unknown Ltd", "ACME CORP"], "the names stay as spelled");
        assert_eq!(got.competitor_ids, [acme.id.as_str(), "", acme.id.as_str()]);
        assert_eq!(got.etag, early.etag, "matching rewrites nothing");
        assert_eq!(deals_facing(&mut client, &acme.id).await, [early.id.as_str()]);

        // An alias recorded later matches too; the list filter follows.
        let other = create(&mut client, "Other Co", &[]).await;
        assert!(deals_facing(&mut client, &other.id).await.is_empty());
        try_update(
            &mut client,
            pb::Competitor { id: other.id.clone(), aliases: vec!["unknown ltd".to_owned()], ..Default::default() },
            &["aliases"],
        )
        .await
        .expect("add an alias");
        assert_eq!(get_deal(&mut client, &early.id).await.competitor_ids, [acme.id.as_str(), other.id.as_str(), acme.id.as_str()]);
        assert_eq!(deals_facing(&mut client, &other.id).await, [early.id.as_str()]);

        // A deal created after the competitor, and a change of a deal's names.
        let later = deal(&mut client, &account.id, &owner.id, None, &["Acme"]).await;
        assert_eq!(later.competitor_ids, [acme.id.as_str()]);
        assert_eq!(deals_facing(&mut client, &acme.id).await, [early.id.clone(), later.id.clone()]);
        let changed = client
            .update_opportunity(pb::UpdateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    id: early.id.clone(),
                    competitors: vec!["Other Co".to_owned()],
                    ..Default::default()
                }),
                update_mask: mask(&["competitors"]),
            })
            .await
            .expect("change the names")
            .into_inner();
        assert_eq!(changed.competitor_ids, [other.id.as_str()]);
        assert_eq!(deals_facing(&mut client, &acme.id).await, [later.id.as_str()]);

        // Lost to a competitor by one of its names; reopening forgets it.
        let lost = close(&mut client, &later.id, Outcome::Lost, " acme corp").await;
        assert_eq!(lost.lost_to_competitor_id, acme.id);
        assert_eq!(get_deal(&mut client, &later.id).await.lost_to_competitor_id, acme.id);
        let listed = client
            .list_opportunities(pb::ListOpportunitiesRequest { account_id: account.id.clone(), ..Default::default() })
            .await
            .expect("list")
            .into_inner()
            .opportunities;
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|o| o.lost_to_competitor_id == acme.id));
        let reopened = client
            .reopen_opportunity(pb::ReopenOpportunityRequest {
                id: later.id.clone(),
                reason: "Back".to_owned(),
                ..Default::default()
            })
            .await
            .expect("reopen")
            .into_inner();
        assert!(reopened.lost_to_competitor_id.is_empty());

        // Deleting the competitor leaves the deals' names; they match nobody.
        client
            .delete_competitor(pb::DeleteCompetitorRequest { id: acme.id.clone(), etag: String::new() })
            .await
            .expect("delete");
        let after = get_deal(&mut client, &later.id).await;
        assert_eq!(after.competitors, ["Acme"]);
        assert_eq!(after.competitor_ids, [""]);
        assert!(deals_facing(&mut client, &acme.id).await.is_empty());
        let status = client
            .list_opportunities(pb::ListOpportunitiesRequest { competitor_id: "x".to_owned(), ..Default::default() })
            .await
            .expect_err("bad id");
        assert_invalid_argument(&status, "competitor_id");
    }

    async fn the_report_counts_each_competitor_s_deals(server: &TestServer) {
        let mut client = client(server);
        let first = server.create_account("First Account").await;
        let second = server.create_account("Second Account").await;
        let owner = server.create_staff(StaffLevel::Staff).await;
        server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: second.id.clone(),
                    industry: "Pump makers".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["industry"]),
                ..Default::default()
            })
            .await
            .expect("set the second account's industry");
        // Named before the competitors exist.
        let d1 = deal(&mut client, &first.id, &owner.id, Some(money("EUR", 100, 0)), &["Acme"]).await;
        let d2 = deal(&mut client, &first.id, &owner.id, Some(money("EUR", 50, 0)), &["acme inc", "Globex"]).await;
        let d3 = deal(&mut client, &second.id, &owner.id, Some(money("USD", 30, 0)), &["ACME"]).await;
        deal(&mut client, &second.id, &owner.id, Some(money("EUR", 20, 500_000_000)), &["Acme", "Initech"]).await;
        let d5 = deal(&mut client, &first.id, &owner.id, None, &[" INITECH "]).await;
        let acme = create(&mut client, "Acme", &["Acme Inc"]).await;
        let globex = create(&mut client, "Globex", &[]).await;
        create(&mut client, "Never Met", &[]).await;
        close(&mut client, &d1.id, Outcome::Won, "").await;
        close(&mut client, &d2.id, Outcome::Lost, "ACME").await;
        close(&mut client, &d3.id, Outcome::Lost, "Globex").await;
        close(&mut client, &d5.id, Outcome::Lost, "Initech").await;

        let all = report(&mut client, this_hour()).await.expect("report");
        assert_eq!(
            all.rows.iter().map(|r| r.competitor_name.as_str()).collect::<Vec<_>>(),
            ["Acme", "Globex"],
            "most faced first; competitors never met are left out"
        );
        let a = row(&all, "Acme");
        assert_eq!(a.competitor_id, acme.id);
        assert_eq!(counts(a), (4, 1, 1, 1, 1, 0.5));
        let o = a.outcomes.as_ref().unwrap();
        assert_eq!(amounts(&o.faced_amounts), [("EUR".to_owned(), 3, 170, 500_000_000), ("USD".to_owned(), 1, 30, 0)]);
        assert_eq!(amounts(&o.won_amounts), [("EUR".to_owned(), 1, 100, 0)]);
        assert_eq!(amounts(&o.lost_amounts), [("EUR".to_owned(), 1, 50, 0)]);
        let top: Vec<_> = a
            .top_accounts
            .iter()
            .map(|p| (p.account_display_name.as_str(), p.faced, p.won, p.lost_to))
            .collect();
        assert_eq!(top, [("First Account", 2, 1, 1), ("Second Account", 2, 0, 0)]);

        // Per industry: the first account has none, the second a free text no segment has.
        let industries: Vec<_> = a
            .by_industry
            .iter()
            .map(|s| {
                let key = s.segment.clone().unwrap_or_default();
                let o = s.outcomes.as_ref().unwrap();
                (key.code, key.name, o.faced, o.won, o.lost_to)
            })
            .collect();
        assert_eq!(
            industries,
            [
                (String::new(), String::new(), 2, 1, 1),
                (String::new(), "Pump makers".to_owned(), 2, 0, 0)
            ]
        );
        let regions: i64 = a.by_region.iter().map(|s| s.outcomes.as_ref().unwrap().faced).sum();
        assert_eq!(regions, 4);

        // Globex: named by d2 (lost to Acme), and d3 was lost to it without naming it.
        let g = row(&all, "Globex");
        assert_eq!(g.competitor_id, globex.id);
        assert_eq!(counts(g), (2, 0, 1, 1, 0, 0.0));
        let o = g.outcomes.as_ref().unwrap();
        assert_eq!(amounts(&o.lost_amounts), [("USD".to_owned(), 1, 30, 0)]);

        let unmatched: Vec<_> = all.unmatched.iter().map(|u| (u.name.as_str(), u.faced, u.lost_to)).collect();
        assert_eq!(unmatched, [("INITECH", 2, 1)], "spelled as the most recent deal spells it");

        // One competitor, fewer top accounts.
        let only = report(
            &mut client,
            pb::GetCompetitorReportRequest { competitor_id: acme.id.clone(), top_accounts: 1, ..this_hour() },
        )
        .await
        .expect("one competitor");
        assert_eq!(only.rows.len(), 1);
        assert_eq!(counts(&only.rows[0]), (4, 1, 1, 1, 1, 0.5));
        assert_eq!(only.rows[0].top_accounts.len(), 1);
        assert!(only.unmatched.is_empty());

        // A range before the deals existed counts nothing.
        let before = Utc::now() - Duration::days(10);
        let empty = report(
            &mut client,
            pb::GetCompetitorReportRequest {
                start_time: timestamp(before),
                end_time: timestamp(before + Duration::days(1)),
                ..Default::default()
            },
        )
        .await
        .expect("an empty range");
        assert!(empty.rows.is_empty() && empty.unmatched.is_empty());

        // Recording Initech later turns the unmatched name into a row.
        create(&mut client, "Initech", &[]).await;
        let again = report(&mut client, this_hour()).await.expect("report again");
        assert!(again.unmatched.is_empty());
        assert_eq!(counts(row(&again, "Initech")), (2, 0, 1, 0, 1, 0.0));

        // A MEMBER sees only the deals of its teams' accounts.
        let member = server.member_on_team(&first.id).await;
        let mut as_member = OpportunityServiceClient::new(member.channel());
        let theirs = report(&mut as_member, this_hour()).await.expect("the member's report");
        assert_eq!(counts(row(&theirs, "Acme")), (2, 1, 1, 0, 0, 0.5));
        assert_eq!(row(&theirs, "Acme").top_accounts.len(), 1);
        assert_eq!(counts(row(&theirs, "Globex")), (1, 0, 0, 1, 0, 0.0));
        assert_eq!(counts(row(&theirs, "Initech")), (1, 0, 1, 0, 0, 0.0));
        assert_eq!(deals_facing(&mut as_member, &acme.id).await, [d1.id.clone(), d2.id.clone()]);
    }

    async fn competitors_are_listed_by_home_region_with_every_region_below_it(server: &TestServer) {
        // East China > Zhejiang > Hangzhou, Jiangsu beside Zhejiang; West China on its own.
        create_region(server, "EAST", "", "East China", RegionLevel::SalesRegion).await;
        create_region(server, "ZJ", "EAST", "Zhejiang", RegionLevel::Province).await;
        create_region(server, "HZ", "ZJ", "Hangzhou", RegionLevel::City).await;
        create_region(server, "JS", "EAST", "Jiangsu", RegionLevel::Province).await;
        create_region(server, "WEST", "", "West China", RegionLevel::SalesRegion).await;
        let mut client = client(server);
        create_at_home(&mut client, "Alpha", &["EAST"]).await;
        create_at_home(&mut client, "Bravo", &["ZJ"]).await;
        create_at_home(&mut client, "Charlie", &["HZ"]).await;
        let delta = create_at_home(&mut client, "Delta", &["WEST"]).await;
        create_at_home(&mut client, "Echo", &[]).await;
        // At home in two regions, one below East China: listed once.
        let foxtrot = create_at_home(&mut client, "Foxtrot", &["WEST", "HZ"]).await;
        assert_eq!(foxtrot.home_region_codes, ["WEST", "HZ"]);
        create_at_home(&mut client, "Golf", &["JS"]).await;

        let everyone = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"];
        assert_eq!(at_home_in(&mut client, "", 100).await.expect("no region"), everyone);
        let cases: [(&str, &[&str]); 5] = [
            ("EAST", &["Alpha", "Bravo", "Charlie", "Foxtrot", "Golf"]),
            ("ZJ", &["Bravo", "Charlie", "Foxtrot"]),
            ("HZ", &["Charlie", "Foxtrot"]),
            ("JS", &["Golf"]),
            ("WEST", &["Delta", "Foxtrot"]),
        ];
        for (region, expected) in cases {
            assert_eq!(at_home_in(&mut client, region, 100).await.expect(region), expected, "at home in {region}");
            // Page by page, nobody twice and nobody left out.
            assert_eq!(at_home_in(&mut client, region, 2).await.expect(region), expected, "{region} by pages of 2");
        }
        // With a query too: both apply.
        let both = client
            .list_competitors(pb::ListCompetitorsRequest {
                region_code: "EAST".to_owned(),
                query: "o".to_owned(),
                ..Default::default()
            })
            .await
            .expect("region and query")
            .into_inner()
            .competitors;
        assert_eq!(both.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Bravo", "Foxtrot", "Golf"]);

        // An unknown region is refused, a malformed code named.
        let unknown = at_home_in(&mut client, "NOWHERE", 100).await.expect_err("an unknown region");
        assert_failed_precondition(&unknown, "SEGMENT_NOT_FOUND");
        let malformed = at_home_in(&mut client, "bad code!", 100).await.expect_err("a malformed code");
        assert_invalid_argument(&malformed, "region_code");

        // A changed home moves the competitor.
        try_update(
            &mut client,
            pb::Competitor { id: delta.id.clone(), home_region_codes: vec!["JS".to_owned()], ..Default::default() },
            &["home_region_codes"],
        )
        .await
        .expect("move delta's home");
        assert_eq!(at_home_in(&mut client, "WEST", 100).await.expect("west"), ["Foxtrot"]);
        assert_eq!(at_home_in(&mut client, "JS", 100).await.expect("js"), ["Delta", "Golf"]);

        // The tree is read when listing: Zhejiang moved under West China takes its competitors along.
        move_region(server, "ZJ", "WEST").await;
        assert_eq!(at_home_in(&mut client, "EAST", 100).await.expect("east"), ["Alpha", "Delta", "Golf"]);
        assert_eq!(at_home_in(&mut client, "WEST", 100).await.expect("west"), ["Bravo", "Charlie", "Foxtrot"]);
        assert_eq!(at_home_in(&mut client, "HZ", 100).await.expect("hz"), ["Charlie", "Foxtrot"]);
    }

    async fn the_report_is_narrowed_to_segments_and_rolled_up_by_them(server: &TestServer) {
        // Industries: the seeded sections C (Manufacturing) and J (Finance), with C > C36 > C361 below C.
        create_industry(server, "C36", "C", "Motor vehicles").await;
        create_industry(server, "C361", "C36", "Passenger cars").await;
        // Regions: East China > Zhejiang > Hangzhou; West China.
        create_region(server, "EAST", "", "East China", RegionLevel::SalesRegion).await;
        create_region(server, "ZJ", "EAST", "Zhejiang", RegionLevel::Province).await;
        create_region(server, "HZ", "ZJ", "Hangzhou", RegionLevel::City).await;
        create_region(server, "WEST", "", "West China", RegionLevel::SalesRegion).await;
        let cars = classified_account(server, "Car Maker", "C361", "HZ", "").await;
        let engines = classified_account(server, "Engine Maker", "C36", "ZJ", "").await;
        let steel = classified_account(server, "Steel Mill", "C", "WEST", "").await;
        let bank = classified_account(server, "Bank", "J", "EAST", "").await;
        // Classified under nothing: its free text names no industry, and it has no region.
        let pumps = classified_account(server, "Pump Works", "", "", "Pump makers").await;
        let owner = server.create_staff(StaffLevel::Staff).await;
        let mut client = client(server);
        let acme = create(&mut client, "Acme", &[]).await;
        let globex = create(&mut client, "Globex", &[]).await;
        let eur = |units| Some(money("EUR", units, 0));
        let d1 = deal(&mut client, &cars.id, &owner.id, eur(100), &["Acme"]).await;
        let d2 = deal(&mut client, &cars.id, &owner.id, eur(200), &["Acme", "Globex"]).await;
        let d3 = deal(&mut client, &engines.id, &owner.id, eur(300), &["Acme"]).await;
        deal(&mut client, &engines.id, &owner.id, eur(400), &["Globex"]).await;
        deal(&mut client, &steel.id, &owner.id, eur(500), &["Acme"]).await;
        let d6 = deal(&mut client, &bank.id, &owner.id, eur(600), &["Acme", "Globex"]).await;
        let d7 = deal(&mut client, &pumps.id, &owner.id, eur(700), &["Acme", "Stranger Ltd"]).await;
        close(&mut client, &d1.id, Outcome::Won, "").await;
        close(&mut client, &d2.id, Outcome::Lost, "Acme").await;
        close(&mut client, &d3.id, Outcome::Lost, "Globex").await;
        close(&mut client, &d6.id, Outcome::Won, "").await;
        close(&mut client, &d7.id, Outcome::Lost, "Acme").await;

        // Unfiltered: every account counts.
        let all = report(&mut client, this_hour()).await.expect("the whole report");
        assert_eq!(counts(row(&all, "Acme")), (6, 2, 2, 1, 1, 0.5));
        assert_eq!(counts(row(&all, "Globex")), (4, 1, 1, 1, 1, 0.5));
        let unmatched: Vec<_> = all.unmatched.iter().map(|u| (u.name.as_str(), u.faced)).collect();
        assert_eq!(unmatched, [("Stranger Ltd", 1)]);

        // Narrowed to an industry with everything below it: the bank and the pump works are not counted,
        // in the totals, the amounts, the top accounts, the breakdowns or the unmatched names.
        let in_c = report(&mut client, in_segments("C", "", 0)).await.expect("industry C");
        assert_eq!(
            in_c.rows.iter().map(|r| r.competitor_name.as_str()).collect::<Vec<_>>(),
            ["Acme", "Globex"]
        );
        let a = row(&in_c, "Acme");
        assert_eq!(a.competitor_id, acme.id);
        assert_eq!(counts(a), (4, 1, 1, 1, 1, 0.5));
        let o = a.outcomes.as_ref().unwrap();
        assert_eq!(amounts(&o.faced_amounts), [("EUR".to_owned(), 4, 1100, 0)]);
        assert_eq!(amounts(&o.won_amounts), [("EUR".to_owned(), 1, 100, 0)]);
        assert_eq!(amounts(&o.lost_amounts), [("EUR".to_owned(), 1, 200, 0)]);
        let mut top: Vec<_> = a
            .top_accounts
            .iter()
            .map(|p| (p.account_display_name.as_str(), p.faced, p.won, p.lost_to))
            .collect();
        assert_eq!(top[0], ("Car Maker", 2, 1, 1));
        top.sort();
        assert_eq!(top, [("Car Maker", 2, 1, 1), ("Engine Maker", 1, 0, 0), ("Steel Mill", 1, 0, 0)]);
        assert_eq!(
            groups(&a.by_industry),
            [
                group("C", "Manufacturing", 1, 0, 0),
                group("C36", "Motor vehicles", 1, 0, 0),
                group("C361", "Passenger cars", 2, 1, 1),
            ]
        );
        assert_eq!(
            groups(&a.by_region),
            [
                group("HZ", "Hangzhou", 2, 1, 1),
                group("WEST", "West China", 1, 0, 0),
                group("ZJ", "Zhejiang", 1, 0, 0),
            ]
        );
        let g = row(&in_c, "Globex");
        assert_eq!(g.competitor_id, globex.id);
        assert_eq!(counts(g), (3, 0, 1, 1, 1, 0.0));
        assert!(in_c.unmatched.is_empty(), "the pump works' name is outside the filter: {in_c:?}");

        // (industry, region) → Acme's and Globex's (faced, won, lost_to, lost_to_others, open, win_rate),
        // None when not faced at all.
        type Counts = Option<(i64, i64, i64, i64, i64, f64)>;
        let narrowed: [(&str, &str, Counts, Counts); 11] = [
            ("C36", "", Some((3, 1, 1, 1, 0, 0.5)), Some((3, 0, 1, 1, 1, 0.0))),
            ("C361", "", Some((2, 1, 1, 0, 0, 0.5)), Some((1, 0, 0, 1, 0, 0.0))),
            ("J", "", Some((1, 1, 0, 0, 0, 1.0)), Some((1, 1, 0, 0, 0, 1.0))),
            ("", "EAST", Some((4, 2, 1, 1, 0, 2.0 / 3.0)), Some((4, 1, 1, 1, 1, 0.5))),
            ("", "ZJ", Some((3, 1, 1, 1, 0, 0.5)), Some((3, 0, 1, 1, 1, 0.0))),
            ("", "HZ", Some((2, 1, 1, 0, 0, 0.5)), Some((1, 0, 0, 1, 0, 0.0))),
            ("", "WEST", Some((1, 0, 0, 0, 1, 0.0)), None),
            // Both: the accounts in both.
            ("C", "EAST", Some((3, 1, 1, 1, 0, 0.5)), Some((3, 0, 1, 1, 1, 0.0))),
            ("C361", "WEST", None, None),
            ("J", "WEST", None, None),
            // A seeded section no account is in.
            ("A", "", None, None),
        ];
        for (industry, region, acme_counts, globex_counts) in narrowed {
            let narrowed = report(&mut client, in_segments(industry, region, 0))
                .await
                .unwrap_or_else(|status| panic!("industry {industry:?}, region {region:?}: {status:?}"));
            let found = |name: &str| narrowed.rows.iter().find(|r| r.competitor_name == name).map(counts);
            assert_eq!(found("Acme"), acme_counts, "Acme in industry {industry:?}, region {region:?}");
            assert_eq!(found("Globex"), globex_counts, "Globex in industry {industry:?}, region {region:?}");
            assert_eq!(
                narrowed.rows.len(),
                usize::from(acme_counts.is_some()) + usize::from(globex_counts.is_some()),
                "industry {industry:?}, region {region:?}: {narrowed:?}"
            );
            assert!(narrowed.unmatched.is_empty(), "industry {industry:?}, region {region:?}: {narrowed:?}");
        }
        // The filter and one competitor.
        let only = report(
            &mut client,
            pb::GetCompetitorReportRequest { competitor_id: globex.id.clone(), ..in_segments("", "ZJ", 0) },
        )
        .await
        .expect("Globex in Zhejiang");
        assert_eq!(only.rows.len(), 1);
        assert_eq!(counts(&only.rows[0]), (3, 0, 1, 1, 1, 0.0));

        // Rolled up: 0 is each account's own segment, N its ancestor at depth N (1: the top level), a
        // segment at depth N or above stays itself. The unclassified are grouped under their free text.
        let unclassified_industry = group("", "Pump makers", 1, 0, 1);
        let unclassified_region = group("", "", 1, 0, 1);
        let own_industries = vec![
            unclassified_industry.clone(),
            group("C", "Manufacturing", 1, 0, 0),
            group("C36", "Motor vehicles", 1, 0, 0),
            group("C361", "Passenger cars", 2, 1, 1),
            group("J", "Finance", 1, 1, 0),
        ];
        let own_regions = vec![
            unclassified_region.clone(),
            group("EAST", "East China", 1, 1, 0),
            group("HZ", "Hangzhou", 2, 1, 1),
            group("WEST", "West China", 1, 0, 0),
            group("ZJ", "Zhejiang", 1, 0, 0),
        ];
        let rollups = [
            (0, own_industries.clone(), own_regions.clone()),
            (
                1,
                vec![
                    unclassified_industry.clone(),
                    group("C", "Manufacturing", 4, 1, 1),
                    group("J", "Finance", 1, 1, 0),
                ],
                vec![
                    unclassified_region.clone(),
                    group("EAST", "East China", 4, 2, 1),
                    group("WEST", "West China", 1, 0, 0),
                ],
            ),
            (
                2,
                vec![
                    unclassified_industry.clone(),
                    group("C", "Manufacturing", 1, 0, 0),
                    group("C36", "Motor vehicles", 3, 1, 1),
                    group("J", "Finance", 1, 1, 0),
                ],
                vec![
                    unclassified_region.clone(),
                    group("EAST", "East China", 1, 1, 0),
                    group("WEST", "West China", 1, 0, 0),
                    group("ZJ", "Zhejiang", 3, 1, 1),
                ],
            ),
            // As deep as the deepest segment, or deeper: each its own.
            (3, own_industries.clone(), own_regions.clone()),
            (8, own_industries, own_regions),
        ];
        for (depth, industries, regions) in rollups {
            let rolled = report(&mut client, pb::GetCompetitorReportRequest { rollup_depth: depth, ..this_hour() })
                .await
                .unwrap_or_else(|status| panic!("rollup_depth {depth}: {status:?}"));
            let a = row(&rolled, "Acme");
            assert_eq!(counts(a), (6, 2, 2, 1, 1, 0.5), "rolling up changes no total");
            assert_eq!(groups(&a.by_industry), industries, "Acme by industry at rollup_depth {depth}");
            assert_eq!(groups(&a.by_region), regions, "Acme by region at rollup_depth {depth}");
        }
        let rolled = report(&mut client, pb::GetCompetitorReportRequest { rollup_depth: 1, ..this_hour() })
            .await
            .expect("rolled up to the top");
        let g = row(&rolled, "Globex");
        assert_eq!(
            groups(&g.by_industry),
            [group("C", "Manufacturing", 3, 0, 1), group("J", "Finance", 1, 1, 0)]
        );
        assert_eq!(groups(&g.by_region), [group("EAST", "East China", 4, 1, 1)]);
        let status = report(&mut client, pb::GetCompetitorReportRequest { rollup_depth: 9, ..this_hour() })
            .await
            .expect_err("deeper than any tree");
        assert_invalid_argument(&status, "rollup_depth");

        // Narrowed and rolled up together: the breakdowns count only the accounts in the filter.
        let both = report(&mut client, in_segments("C", "", 1)).await.expect("industry C rolled up");
        let a = row(&both, "Acme");
        assert_eq!(groups(&a.by_industry), [group("C", "Manufacturing", 4, 1, 1)]);
        assert_eq!(
            groups(&a.by_region),
            [group("EAST", "East China", 3, 1, 1), group("WEST", "West China", 1, 0, 0)]
        );
        let both = report(&mut client, in_segments("", "EAST", 1)).await.expect("East China rolled up");
        let a = row(&both, "Acme");
        assert_eq!(
            groups(&a.by_industry),
            [group("C", "Manufacturing", 3, 1, 1), group("J", "Finance", 1, 1, 0)]
        );
        assert_eq!(groups(&a.by_region), [group("EAST", "East China", 4, 2, 1)]);

        // The tree is read when reporting: Zhejiang moved under West China takes its accounts along.
        move_region(server, "ZJ", "WEST").await;
        let moved = report(&mut client, in_segments("", "EAST", 1)).await.expect("East China after the move");
        assert_eq!(counts(row(&moved, "Acme")), (1, 1, 0, 0, 0, 1.0));
        assert_eq!(groups(&row(&moved, "Acme").by_region), [group("EAST", "East China", 1, 1, 0)]);
        let moved = report(&mut client, in_segments("", "WEST", 1)).await.expect("West China after the move");
        let a = row(&moved, "Acme");
        assert_eq!(counts(a), (4, 1, 1, 1, 1, 0.5));
        assert_eq!(groups(&a.by_region), [group("WEST", "West China", 4, 1, 1)]);
        // Zhejiang moved to the top: Hangzhou now lies at depth 2.
        move_region(server, "ZJ", "").await;
        let expected = [
            (
                1,
                vec![
                    unclassified_region.clone(),
                    group("EAST", "East China", 1, 1, 0),
                    group("WEST", "West China", 1, 0, 0),
                    group("ZJ", "Zhejiang", 3, 1, 1),
                ],
            ),
            (
                2,
                vec![
                    unclassified_region,
                    group("EAST", "East China", 1, 1, 0),
                    group("HZ", "Hangzhou", 2, 1, 1),
                    group("WEST", "West China", 1, 0, 0),
                    group("ZJ", "Zhejiang", 1, 0, 0),
                ],
            ),
        ];
        for (depth, regions) in expected {
            let rolled = report(&mut client, pb::GetCompetitorReportRequest { rollup_depth: depth, ..this_hour() })
                .await
                .unwrap_or_else(|status| panic!("rollup_depth {depth} after the move: {status:?}"));
            assert_eq!(groups(&row(&rolled, "Acme").by_region), regions, "rollup_depth {depth} after the move");
        }
    }

    async fn a_region_a_competitor_calls_home_is_not_deleted_from_under_it(server: &TestServer) {
        create_region(server, "NORTH", "", "North China", RegionLevel::SalesRegion).await;
        let mut client = client(server);
        let at_home = create_at_home(&mut client, "Northern Pumps", &["NORTH"]).await;
        let delete = || async {
            SegmentServiceClient::new(server.channel())
                .delete_region(pb::DeleteRegionRequest { code: "NORTH".into(), etag: String::new() })
                .await
        };

        let refused = delete().await.expect_err("a competitor is at home there");
        assert_failed_precondition(&refused, "SEGMENT_IN_USE");
        assert_eq!(at_home_in(&mut client, "NORTH", 10).await.expect("still listed"), vec!["Northern Pumps"]);

        let moved = pb::Competitor { id: at_home.id.clone(), home_region_codes: vec![], ..Default::default() };
        try_update(&mut client, moved, &["home_region_codes"]).await.expect("no home region any more");
        delete().await.expect("nothing names the region now");
    }
}
