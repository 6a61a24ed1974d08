//! The change feed's six newer resource types end to end (`ListChanges` for interactions, account
//! plans, team seats, staff, revenue records and tier changes), on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! What it proves, for each type: a full sync holds exactly the resources that exist (each once; for
//! seats, the active ones only), and a later change comes in a delta as the resource is now: an ended
//! seat with its `end_time` (not a tombstone), a revenue record through its batch's external ids (and
//! only the records of that batch), a tier change once (an older one does not come again). For a
//! MEMBER: revenue records, interactions and seats of its team's account only (not even tombstones of
//! another account's), tombstones for them all once it leaves the team, and the whole staff directory.
//! Every change received, in every test, carries the oneof case of its type and a `change_time`. A
//! revenue record an upsert moves to another account is dropped by a MEMBER of the account it left.
//!
//! The older five types are tested in `events.rs`; both use the change-feed client in
//! `kam_tests::changes`.

use kam_tests::{
    Authed, Backend, Caller, TestServer,
    changes::{applied, ids, sync_all, sync_until, tombstone},
    pb::{
        self, SyncResource, integration_service_client::IntegrationServiceClient,
        planning_service_client::PlanningServiceClient, resource_change::Resource,
    },
    pbjson_types::{FieldMask, Timestamp},
};

/// The largest page ListChanges serves.
const LARGEST_PAGE: i32 = 500;

fn client(channel: Authed) -> IntegrationServiceClient<Authed> {
    IntegrationServiceClient::new(channel)
}

fn planning(server: &TestServer) -> PlanningServiceClient<Authed> {
    PlanningServiceClient::new(server.channel())
}

// ----- syncing -----

/// Asserts what every change must be: a `change_time`, and either a bare tombstone or the resource of
/// the type synced (its oneof case) under the change's id.
fn assert_well_formed(resource: SyncResource, changes: &[pb::ResourceChange]) {
    for change in changes {
        assert!(
            change.change_time.as_ref().is_some_and(|time| time.seconds > 0),
            "no change_time: {change:?}"
        );
        match (&change.resource, change.deleted) {
            // Only a deleted account keeps its last state; the six types' tombstones are bare.
            (None, true) => {}
            (Some(carried), false) => {
                assert_eq!(type_and_id(carried), (resource, change.id.as_str()), "{change:?}")
            }
            _ => panic!("neither a resource nor a bare tombstone: {change:?}"),
        }
    }
}

/// The type a oneof case belongs to, and the id of the resource it holds.
fn type_and_id(resource: &Resource) -> (SyncResource, &str) {
    match resource {
        Resource::Interaction(interaction) => (SyncResource::Interactions, &interaction.id),
        Resource::AccountPlan(plan) => (SyncResource::AccountPlans, &plan.id),
        Resource::TeamMember(seat) => (SyncResource::TeamMembers, &seat.id),
        Resource::Staff(staff) => (SyncResource::Staff, &staff.id),
        Resource::RevenueRecord(record) => (SyncResource::RevenueRecords, &record.id),
        Resource::TierChange(change) => (SyncResource::TierChanges, &change.id),
        other => panic!("not one of the six types this file syncs: {other:?}"),
    }
}

/// One ListChanges call, its changes checked by [`assert_well_formed`].
async fn list_changes(
    channel: Authed,
    resource: SyncResource,
    token: &str,
    page_size: i32,
) -> pb::ListChangesResponse {
    let page = client(channel)
        .list_changes(pb::ListChangesRequest {
            resource_type: resource as i32,
            sync_token: token.to_owned(),
            page_size,
        })
        .await
        .expect("list changes")
        .into_inner();
    assert_well_formed(resource, &page.changes);
    page
}

/// The first page of a full sync, as large as pages come: the type's table as it is now (read
/// directly, so on both backends exactly what has been written, each resource once), and the token
/// that goes on with the changes made since.
async fn scan(channel: Authed, resource: SyncResource) -> (Vec<pb::ResourceChange>, String) {
    let page = list_changes(channel, resource, "", LARGEST_PAGE).await;
    (page.changes, page.next_sync_token)
}

// ----- what a client holds -----

/// (id, deleted) of each change, sorted: a resource that came twice shows twice.
fn sorted_ids(changes: &[pb::ResourceChange]) -> Vec<(String, bool)> {
    let mut ids = ids(changes);
    ids.sort();
    ids
}

/// Each of `ids` once, held (not deleted), sorted: what a scan of exactly these resources gives.
fn live<S: AsRef<str>>(ids: &[S]) -> Vec<(String, bool)> {
    let mut live: Vec<_> = ids.iter().map(|id| (id.as_ref().to_owned(), false)).collect();
    live.sort();
    live
}

/// Each of `ids` once, as a tombstone, sorted.
fn dropped<S: AsRef<str>>(ids: &[S]) -> Vec<(String, bool)> {
    live(ids).into_iter().map(|(id, _)| (id, true)).collect()
}

/// [`applied`], sorted, to compare with [`live`] or [`dropped`].
fn applied_sorted(changes: &[pb::ResourceChange]) -> Vec<(String, bool)> {
    let mut held = applied(changes);
    held.sort();
    held
}

/// The last change of `id` among `changes`.
fn last_change<'a>(changes: &'a [pb::ResourceChange], id: &str) -> Option<&'a pb::ResourceChange> {
    changes.iter().rev().find(|change| change.id == id)
}

/// Whether the last change of `id` is live and `now` holds of it.
fn comes_as<'a>(
    id: &'a str,
    now: impl Fn(&pb::ResourceChange) -> bool + 'a,
) -> impl Fn(&[pb::ResourceChange]) -> bool + 'a {
    move |changes| last_change(changes, id).is_some_and(|change| !change.deleted && now(change))
}

/// Asserts that none of `others` came, not even as a tombstone.
fn assert_none_of<S: AsRef<str>>(changes: &[pb::ResourceChange], others: &[S]) {
    for other in others {
        assert!(
            changes.iter().all(|change| change.id != other.as_ref()),
            "{} came: {:?}",
            other.as_ref(),
            ids(changes)
        );
    }
}

// ----- the resource a change carries (panics on another case or a tombstone) -----

fn as_interaction(change: &pb::ResourceChange) -> &pb::Interaction {
    match &change.resource {
        Some(Resource::Interaction(interaction)) => interaction,
        other => panic!("not an interaction: {other:?}"),
    }
}

fn as_plan(change: &pb::ResourceChange) -> &pb::AccountPlan {
    match &change.resource {
        Some(Resource::AccountPlan(plan)) => plan,
        other => panic!("not an account plan: {other:?}"),
    }
}

fn as_seat(change: &pb::ResourceChange) -> &pb::TeamMember {
    match &change.resource {
        Some(Resource::TeamMember(seat)) => seat,
        other => panic!("not a team seat: {other:?}"),
    }
}

fn as_staff(change: &pb::ResourceChange) -> &pb::Staff {
    match &change.resource {
        Some(Resource::Staff(staff)) => staff,
        other => panic!("not a staff member: {other:?}"),
    }
}

fn as_record(change: &pb::ResourceChange) -> &pb::RevenueRecord {
    match &change.resource {
        Some(Resource::RevenueRecord(record)) => record,
        other => panic!("not a revenue record: {other:?}"),
    }
}

fn as_tier_change(change: &pb::ResourceChange) -> &pb::TierChange {
    match &change.resource {
        Some(Resource::TierChange(change)) => change,
        other => panic!("not a tier change: {other:?}"),
    }
}

/// The account of a revenue record, interaction or seat.
fn account_of(change: &pb::ResourceChange) -> &str {
    match &change.resource {
        Some(Resource::RevenueRecord(record)) => &record.account_id,
        Some(Resource::Interaction(interaction)) => &interaction.account_id,
        Some(Resource::TeamMember(seat)) => &seat.account_id,
        other => panic!("not a record, interaction or seat: {other:?}"),
    }
}

/// Whether a revenue record with `external_id` came (its id is the server's).
fn has_record(external_id: &str) -> impl Fn(&[pb::ResourceChange]) -> bool + '_ {
    move |changes| {
        changes
            .iter()
            .any(|change| !change.deleted && as_record(change).external_id == external_id)
    }
}

// ----- writing what is synced -----

fn mask(path: &str) -> Option<FieldMask> {
    Some(FieldMask {
        paths: vec![path.to_owned()],
    })
}

fn an_hour_ago() -> Timestamp {
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// A call on `account_id` the ADMIN took part in, logged by the ADMIN.
async fn log_call(server: &TestServer, account_id: &str, summary: &str) -> pb::Interaction {
    planning(server)
        .log_interaction(pb::LogInteractionRequest {
            interaction: Some(pb::Interaction {
                account_id: account_id.to_owned(),
                r#type: pb::interaction::Type::Call as i32,
                occur_time: Some(an_hour_ago()),
                staff_ids: vec![server.admin().staff_id.clone()],
                summary: summary.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("log an interaction")
        .into_inner()
}

async fn resummarize(server: &TestServer, interaction: &pb::Interaction, summary: &str) {
    planning(server)
        .update_interaction(pb::UpdateInteractionRequest {
            interaction: Some(pb::Interaction {
                id: interaction.id.clone(),
                etag: interaction.etag.clone(),
                summary: summary.to_owned(),
                ..Default::default()
            }),
            update_mask: mask("summary"),
        })
        .await
        .expect("update the interaction's summary");
}

/// `staff_id`'s new seat (as a sales specialist) on `account_id`'s team.
async fn add_seat(server: &TestServer, account_id: &str, staff_id: &str) -> pb::TeamMember {
    server
        .teams()
        .add_team_member(pb::AddTeamMemberRequest {
            member: Some(pb::TeamMember {
                account_id: account_id.to_owned(),
                staff_id: staff_id.to_owned(),
                role: pb::TeamRole::SalesSpecialist as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("add a seat")
        .into_inner()
}

async fn remove_seat(server: &TestServer, seat_id: &str, reason: &str) {
    server
        .teams()
        .remove_team_member(pb::RemoveTeamMemberRequest {
            id: seat_id.to_owned(),
            etag: String::new(),
            reason: reason.to_owned(),
        })
        .await
        .expect("remove a seat");
}

/// The id of `staff_id`'s active seat on `account_id`'s team.
async fn seat_of(server: &TestServer, account_id: &str, staff_id: &str) -> String {
    server
        .teams()
        .list_team_members(pb::ListTeamMembersRequest {
            account_id: account_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("list the team")
        .into_inner()
        .members
        .into_iter()
        .find(|seat| seat.staff_id == staff_id)
        .expect("the seat")
        .id
}

/// The ids of the whole staff directory, deactivated people included.
async fn directory(server: &TestServer) -> Vec<String> {
    server
        .teams()
        .list_staff(pb::ListStaffRequest {
            page_size: 1000,
            show_inactive: true,
            ..Default::default()
        })
        .await
        .expect("list staff")
        .into_inner()
        .staff
        .into_iter()
        .map(|staff| staff.id)
        .collect()
}

async fn retitle(server: &TestServer, staff_id: &str, title: &str) {
    server
        .teams()
        .update_staff(pb::UpdateStaffRequest {
            staff: Some(pb::Staff {
                id: staff_id.to_owned(),
                title: title.to_owned(),
                ..Default::default()
            }),
            update_mask: mask("title"),
        })
        .await
        .expect("update the staff member's title");
}

/// A record of `units` EUR for January 2026.
fn record(external_id: &str, account_id: &str, units: i64) -> pb::RevenueRecord {
    pb::RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(pb::Month { year: 2026, month: 1 }),
        amount: Some(pb::Money {
            currency_code: "EUR".to_owned(),
            units,
            nanos: 0,
        }),
        ..Default::default()
    }
}

/// Upserts `records` as one batch (one RevenueRecordsUpserted event).
async fn upsert(server: &TestServer, records: Vec<pb::RevenueRecord>) {
    planning(server)
        .upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records })
        .await
        .expect("upsert revenue records");
}

/// The server's id of the revenue record stored under `external_id`.
async fn record_id(server: &TestServer, external_id: &str) -> String {
    planning(server)
        .list_revenue_records(pb::ListRevenueRecordsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list revenue records")
        .into_inner()
        .records
        .into_iter()
        .find(|record| record.external_id == external_id)
        .unwrap_or_else(|| panic!("no record {external_id}"))
        .id
}

async fn override_tier(server: &TestServer, account_id: &str, tier: pb::Tier) {
    planning(server)
        .set_tier_override(pb::SetTierOverrideRequest {
            tier_override: Some(pb::TierOverride {
                account_id: account_id.to_owned(),
                tier: tier as i32,
                reason: "reference customer".to_owned(),
                ..Default::default()
            }),
        })
        .await
        .expect("set a tier override");
}

// ----- each type, as the ADMIN -----

async fn an_interaction_syncs_as_it_is_now(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let account = server.create_account("Alpha").await.id;
    let call = log_call(&server, &account, "Discussed the line 3 retrofit").await;

    // A fresh server holds this one interaction and no other.
    let (full, token) = scan(server.channel(), SyncResource::Interactions).await;
    assert_eq!(sorted_ids(&full), live(&[&call.id]));
    assert_eq!(as_interaction(&full[0]).summary, "Discussed the line 3 retrofit");

    resummarize(&server, &call, "Agreed on the line 3 retrofit").await;
    let resummarized = comes_as(&call.id, |change| {
        as_interaction(change).summary == "Agreed on the line 3 retrofit"
    });
    let (delta, _) = sync_until(
        server.channel(),
        SyncResource::Interactions,
        &token,
        0,
        resummarized,
    )
    .await;
    assert_eq!(applied(&delta), [(call.id.clone(), false)]);
    server.stop().await;
}

async fn an_account_plan_syncs_as_it_is_now(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let account = server.create_account("Alpha").await.id;
    let january = |year| pb::Date {
        year,
        month: 1,
        day: 1,
    };
    let plan = planning(&server)
        .create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                account_id: account.clone(),
                name: "Plan 2027".into(),
                period_start: Some(january(2027)),
                period_end: Some(pb::Date {
                    year: 2027,
                    month: 12,
                    day: 31,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a plan")
        .into_inner();

    let (full, token) = scan(server.channel(), SyncResource::AccountPlans).await;
    assert_eq!(sorted_ids(&full), live(&[&plan.id]));
    assert_eq!(as_plan(&full[0]).name, "Plan 2027");

    planning(&server)
        .update_account_plan(pb::UpdateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                id: plan.id.clone(),
                name: "Plan 2027: three plants".into(),
                ..Default::default()
            }),
            update_mask: mask("name"),
        })
        .await
        .expect("rename the plan");
    let renamed = comes_as(&plan.id, |change| {
        as_plan(change).name == "Plan 2027: three plants"
    });
    let (delta, _) = sync_until(server.channel(), SyncResource::AccountPlans, &token, 0, renamed).await;
    assert_eq!(applied(&delta), [(plan.id.clone(), false)]);
    server.stop().await;
}

async fn a_removed_seat_comes_with_its_end_time(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let account = server.create_account("Alpha").await.id;
    let staying = server.create_staff(pb::StaffLevel::Staff).await.id;
    let seat = add_seat(&server, &account, &staying).await;
    // A seat that ended before the full sync: the team as it is does not hold it.
    let gone = server.create_staff(pb::StaffLevel::Staff).await.id;
    let ended = add_seat(&server, &account, &gone).await.id;
    remove_seat(&server, &ended, "moved on").await;

    let (full, token) = scan(server.channel(), SyncResource::TeamMembers).await;
    assert_eq!(sorted_ids(&full), live(&[&seat.id]), "the active seats only");
    assert!(as_seat(&full[0]).end_time.is_none());

    // Seats are kept as history: an ADMIN, who still sees the account, gets the ended seat itself.
    remove_seat(&server, &seat.id, "reassigned").await;
    let ended_now = comes_as(&seat.id, |change| as_seat(change).end_time.is_some());
    let (delta, _) = sync_until(server.channel(), SyncResource::TeamMembers, &token, 0, ended_now).await;
    let removal = last_change(&delta, &seat.id).expect("the removal");
    assert!(!removal.deleted, "an ended seat, not a tombstone: {removal:?}");
    let removed = as_seat(removal);
    assert_eq!(
        (removed.staff_id.as_str(), removed.end_reason.as_str()),
        (staying.as_str(), "reassigned")
    );
    server.stop().await;
}

async fn the_staff_directory_syncs_whole(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let ada = server.create_staff(pb::StaffLevel::Staff).await.id;
    server.create_staff(pb::StaffLevel::Manager).await;
    let everyone = directory(&server).await;
    assert!(
        everyone.len() == 3 && everyone.contains(&server.admin().staff_id),
        "the ADMIN and the two: {everyone:?}"
    );

    let (full, token) = scan(server.channel(), SyncResource::Staff).await;
    assert_eq!(sorted_ids(&full), live(&everyone));
    // Page by page too: one person a page, then the feed; applied, the same directory.
    let (paged, _) = sync_all(server.channel(), SyncResource::Staff, "", 1).await;
    assert_eq!(applied_sorted(&paged), live(&everyone));

    retitle(&server, &ada, "Key account lead").await;
    let retitled = comes_as(&ada, |change| as_staff(change).title == "Key account lead");
    let (delta, _) = sync_until(server.channel(), SyncResource::Staff, &token, 0, retitled).await;
    assert!(
        applied(&delta).iter().all(|(_, deleted)| !deleted),
        "{:?}",
        ids(&delta)
    );
    server.stop().await;
}

async fn revenue_records_come_by_their_batchs_external_ids(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let account = server.create_account("Alpha").await.id;
    upsert(
        &server,
        vec![record("INV-1", &account, 100), record("INV-2", &account, 50)],
    )
    .await;
    let (first, second) = (
        record_id(&server, "INV-1").await,
        record_id(&server, "INV-2").await,
    );

    let (full, token) = scan(server.channel(), SyncResource::RevenueRecords).await;
    assert_eq!(sorted_ids(&full), live(&[&first, &second]));

    // The full sync's token goes on from where its scan began, which on PostgreSQL may lie before the
    // first batch (another transaction of the cluster still running), so that batch may come again.
    // A later batch, once received, puts the token past it.
    upsert(&server, vec![record("INV-3", &account, 10)]).await;
    let (_, token) = sync_until(
        server.channel(),
        SyncResource::RevenueRecords,
        &token,
        0,
        has_record("INV-3"),
    )
    .await;

    // INV-1 again, with another amount: its batch names INV-1 only.
    upsert(&server, vec![record("INV-1", &account, 120)]).await;
    let corrected = comes_as(&first, |change| {
        as_record(change).amount.as_ref().map(|amount| amount.units) == Some(120)
    });
    let (delta, _) = sync_until(
        server.channel(),
        SyncResource::RevenueRecords,
        &token,
        0,
        corrected,
    )
    .await;
    assert_eq!(
        applied(&delta),
        [(first.clone(), false)],
        "INV-2 and INV-3 were not in the batch"
    );
    server.stop().await;
}

async fn each_tier_change_comes_once(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let alpha = server.create_account("Alpha").await.id;
    let beta = server.create_account("Beta").await.id;
    // A new account is STANDARD: the override changes its tier, which the history records.
    override_tier(&server, &alpha, pb::Tier::Key).await;

    let (full, token) = scan(server.channel(), SyncResource::TierChanges).await;
    assert_eq!(full.len(), 1, "{:?}", ids(&full));
    let first = as_tier_change(&full[0]);
    assert_eq!(
        (
            first.account_id.as_str(),
            first.old_tier(),
            first.new_tier(),
            first.source.as_str()
        ),
        (alpha.as_str(), pb::Tier::Standard, pb::Tier::Key, "OVERRIDE")
    );

    // As with revenue: a change on another account, once received, puts the token past the first.
    override_tier(&server, &beta, pb::Tier::Growth).await;
    let of_beta = |changes: &[pb::ResourceChange]| {
        changes
            .iter()
            .any(|change| as_tier_change(change).account_id == beta)
    };
    let (_, token) = sync_until(server.channel(), SyncResource::TierChanges, &token, 0, of_beta).await;

    // A second override of the same account: a new history row, and only it.
    override_tier(&server, &alpha, pb::Tier::Strategic).await;
    let to_strategic = |changes: &[pb::ResourceChange]| {
        changes
            .iter()
            .any(|change| as_tier_change(change).new_tier() == pb::Tier::Strategic)
    };
    let (delta, _) = sync_until(
        server.channel(),
        SyncResource::TierChanges,
        &token,
        0,
        to_strategic,
    )
    .await;
    assert_eq!(delta.len(), 1, "the first change came again: {:?}", ids(&delta));
    let second = as_tier_change(&delta[0]);
    assert_ne!(second.id, first.id);
    assert_eq!(
        (second.account_id.as_str(), second.old_tier(), second.new_tier()),
        (alpha.as_str(), pb::Tier::Key, pb::Tier::Strategic)
    );
    server.stop().await;
}

// ----- a MEMBER's view -----

/// Two accounts, each with a revenue record, an interaction and a seat; a MEMBER on the team of the
/// first ("ours") only. All written by the ADMIN.
struct TwoTeams {
    server: TestServer,
    ours: String,
    theirs: String,
    member: Caller,
    member_seat: String,
    /// A colleague's seat on our team.
    colleague_seat: String,
    our_record: String,
    our_call: String,
    their_record: String,
    their_call: pb::Interaction,
    their_seat: String,
}

impl TwoTeams {
    async fn start(backend: Backend) -> Option<Self> {
        let server = TestServer::start(backend).await?;
        let ours = server.create_account("Ours").await.id;
        let theirs = server.create_account("Theirs").await.id;
        let member = server.member_on_team(&ours).await;
        let member_seat = seat_of(&server, &ours, &member.staff_id).await;
        let colleague = server.create_staff(pb::StaffLevel::Staff).await.id;
        let colleague_seat = add_seat(&server, &ours, &colleague).await.id;
        let stranger = server.create_staff(pb::StaffLevel::Staff).await.id;
        let their_seat = add_seat(&server, &theirs, &stranger).await.id;
        // One batch for both accounts: its event names no account, each record's own decides.
        upsert(
            &server,
            vec![record("OURS-1", &ours, 100), record("THEIRS-1", &theirs, 200)],
        )
        .await;
        let our_record = record_id(&server, "OURS-1").await;
        let their_record = record_id(&server, "THEIRS-1").await;
        let our_call = log_call(&server, &ours, "Our call").await.id;
        let their_call = log_call(&server, &theirs, "Their call").await;
        Some(Self {
            server,
            ours,
            theirs,
            member,
            member_seat,
            colleague_seat,
            our_record,
            our_call,
            their_record,
            their_call,
            their_seat,
        })
    }

    /// What the MEMBER must never receive.
    fn theirs(&self) -> [&str; 3] {
        [&self.their_record, &self.their_call.id, &self.their_seat]
    }
}

/// Asserts every live change is of `account`'s.
fn assert_all_of(account: &str, changes: &[pb::ResourceChange]) {
    for change in changes.iter().filter(|change| !change.deleted) {
        assert_eq!(account_of(change), account, "{change:?}");
    }
}

async fn a_member_syncs_its_teams_revenue_interactions_and_seats_only(backend: Backend) {
    let Some(teams) = TwoTeams::start(backend).await else {
        return;
    };
    let (server, member) = (&teams.server, teams.member.channel());
    let (records, records_token) = scan(member.clone(), SyncResource::RevenueRecords).await;
    assert_eq!(sorted_ids(&records), live(&[&teams.our_record]));
    let (calls, calls_token) = scan(member.clone(), SyncResource::Interactions).await;
    assert_eq!(sorted_ids(&calls), live(&[&teams.our_call]));
    let (seats, seats_token) = scan(member.clone(), SyncResource::TeamMembers).await;
    assert_eq!(
        sorted_ids(&seats),
        live(&[&teams.member_seat, &teams.colleague_seat])
    );

    // The other team's resources change...
    upsert(server, vec![record("THEIRS-1", &teams.theirs, 250)]).await;
    resummarize(server, &teams.their_call, "Their call, corrected").await;
    remove_seat(server, &teams.their_seat, "moved on").await;
    // ...then ours, each written after: once it has come, the other team's change has been read too.
    upsert(server, vec![record("OURS-2", &teams.ours, 10)]).await;
    let later_call = log_call(server, &teams.ours, "Our later call").await.id;
    remove_seat(server, &teams.colleague_seat, "moved on").await;

    let (records, _) = sync_until(
        member.clone(),
        SyncResource::RevenueRecords,
        &records_token,
        0,
        has_record("OURS-2"),
    )
    .await;
    let (calls, _) = sync_until(
        member.clone(),
        SyncResource::Interactions,
        &calls_token,
        0,
        comes_as(&later_call, |_| true),
    )
    .await;
    // A colleague leaving our team: the member still sees the account, so it gets the ended seat.
    let ended = comes_as(&teams.colleague_seat, |change| as_seat(change).end_time.is_some());
    let (seats, _) = sync_until(member, SyncResource::TeamMembers, &seats_token, 0, ended).await;
    for changes in [&records, &calls, &seats] {
        assert_none_of(changes, &teams.theirs());
        assert_all_of(&teams.ours, changes);
    }
    teams.server.stop().await;
}

async fn a_member_who_leaves_the_team_is_told_to_drop_its_resources(backend: Backend) {
    let Some(teams) = TwoTeams::start(backend).await else {
        return;
    };
    let member = teams.member.channel();
    let (_, records_token) = scan(member.clone(), SyncResource::RevenueRecords).await;
    let (_, calls_token) = scan(member.clone(), SyncResource::Interactions).await;
    let (_, seats_token) = scan(member.clone(), SyncResource::TeamMembers).await;

    remove_seat(&teams.server, &teams.member_seat, "left the team").await;

    let (records, _) = sync_until(
        member.clone(),
        SyncResource::RevenueRecords,
        &records_token,
        0,
        tombstone(&teams.our_record),
    )
    .await;
    assert_eq!(applied_sorted(&records), dropped(&[&teams.our_record]));
    let (calls, _) = sync_until(
        member.clone(),
        SyncResource::Interactions,
        &calls_token,
        0,
        tombstone(&teams.our_call),
    )
    .await;
    assert_eq!(applied_sorted(&calls), dropped(&[&teams.our_call]));
    // Its own seat too: the member may no longer see the team, ended seats included.
    let both_seats = |changes: &[pb::ResourceChange]| {
        tombstone(&teams.member_seat)(changes) && tombstone(&teams.colleague_seat)(changes)
    };
    let (seats, _) = sync_until(member, SyncResource::TeamMembers, &seats_token, 0, both_seats).await;
    assert_eq!(
        applied_sorted(&seats),
        dropped(&[&teams.member_seat, &teams.colleague_seat])
    );
    for changes in [&records, &calls, &seats] {
        assert_none_of(changes, &teams.theirs());
    }
    teams.server.stop().await;
}

async fn a_member_syncs_the_whole_staff_directory(backend: Backend) {
    let Some(teams) = TwoTeams::start(backend).await else {
        return;
    };
    let (server, member) = (&teams.server, teams.member.channel());
    let everyone = directory(server).await;
    let (full, token) = scan(member.clone(), SyncResource::Staff).await;
    assert_eq!(
        sorted_ids(&full),
        live(&everyone),
        "the same directory as the ADMIN's"
    );

    // The ADMIN is on no team: its change reaches the member all the same.
    let admin = server.admin().staff_id.clone();
    retitle(server, &admin, "Administrator").await;
    let retitled = comes_as(&admin, |change| as_staff(change).title == "Administrator");
    let (_, token) = sync_until(member.clone(), SyncResource::Staff, &token, 0, retitled).await;

    // Leaving its team changes nothing of the directory: no tombstones.
    remove_seat(server, &teams.member_seat, "left the team").await;
    retitle(server, &admin, "Root").await;
    let retitled = comes_as(&admin, |change| as_staff(change).title == "Root");
    let (delta, _) = sync_until(member, SyncResource::Staff, &token, 0, retitled).await;
    assert!(delta.iter().all(|change| !change.deleted), "{:?}", ids(&delta));
    teams.server.stop().await;
}

/// An upsert may move a record to another account (its external id is the ERP's key). A MEMBER that
/// held it as one of its account's records may no longer hold it: it must get a tombstone.
async fn a_revenue_record_moved_to_another_account_leaves_a_members_copy(backend: Backend) {
    let Some(teams) = TwoTeams::start(backend).await else {
        return;
    };
    let (server, member) = (&teams.server, teams.member.channel());
    let (records, token) = scan(member.clone(), SyncResource::RevenueRecords).await;
    assert_eq!(sorted_ids(&records), live(&[&teams.our_record]));

    upsert(server, vec![record("OURS-1", &teams.theirs, 100)]).await;
    // The member's own reads no longer show it: the move is real, and hides the record from it.
    let listed = PlanningServiceClient::new(member.clone())
        .list_revenue_records(pb::ListRevenueRecordsRequest::default())
        .await
        .expect("the member lists revenue records")
        .into_inner()
        .records;
    assert!(
        listed.iter().all(|record| record.external_id != "OURS-1"),
        "{listed:?}"
    );

    // Written after the move: once it has come, the move has been read too.
    upsert(server, vec![record("OURS-2", &teams.ours, 10)]).await;
    let (records, _) = sync_until(
        member,
        SyncResource::RevenueRecords,
        &token,
        0,
        has_record("OURS-2"),
    )
    .await;
    // KNOWN SERVER BUG (kept failing on purpose): the feed resolves a batch's external ids to the
    // records' accounts *now*, and skips a record hidden from a MEMBER without a tombstone unless its
    // current account is visible, so a record moved away from the member's account is never dropped.
    assert!(
        applied(&records).contains(&(teams.our_record.clone(), true)),
        "the member still holds OURS-1, now a record of another account: {:?}",
        ids(&records)
    );
    teams.server.stop().await;
}

kam_tests::on_both_backends!(
    an_interaction_syncs_as_it_is_now,
    an_account_plan_syncs_as_it_is_now,
    a_removed_seat_comes_with_its_end_time,
    the_staff_directory_syncs_whole,
    revenue_records_come_by_their_batchs_external_ids,
    each_tier_change_comes_once,
    a_member_syncs_its_teams_revenue_interactions_and_seats_only,
    a_member_who_leaves_the_team_is_told_to_drop_its_resources,
    a_member_syncs_the_whole_staff_directory,
    a_revenue_record_moved_to_another_account_leaves_a_members_copy,
);
