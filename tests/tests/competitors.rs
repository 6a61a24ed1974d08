//! Competitors end to end, on SQLite and PostgreSQL: created, read, listed, changed and deleted with
//! their etags; every field validated; names and aliases unique ignoring case; deals matched to
//! competitors by name at read time (a name a deal carried before the competitor existed counts for it
//! after, and nothing of the deal changes when the competitor goes); the lost-to competitor; the
//! ListOpportunities filter; and GetCompetitorReport on a small hand-computed scenario, as an ADMIN and
//! as a MEMBER who sees only its teams' deals.

use chrono::{Duration, Utc};
use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{self, Outcome, StaffLevel, opportunity_service_client::OpportunityServiceClient},
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
}
