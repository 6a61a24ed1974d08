//! The change feed (`ListChanges`): which resources of one type changed since a sync token, read from
//! the outbox feed (so commit-safe like the event stream), and each one's state now.
//!
//! A resource that changed several times in one page comes once, at the place of its last change. Its
//! state is read when the page is served, by its owning area (visibility included) in one query per
//! page (and the few a resource needs besides its row), so a client receives what it may see now; a resource gone (NOT_FOUND, or hidden from a MEMBER) becomes
//! a tombstone, sent to those who could see the account it belonged to. A MEMBER's view also changes
//! with its seats: when it joins or leaves an account's team, every resource of that account comes again,
//! as it is now or as a tombstone, so a phone drops what its holder may no longer see.
//!
//! A REGIONAL_MANAGER's feed covers what it may see when the page is read: the resources of its teams'
//! accounts (seats followed as for a MEMBER) and of the accounts in the regions it manages or below
//! them. Changes to the regions themselves are not followed: when its regions change
//! (`Region.manager_staff_ids`, a region moved in the tree) or an account moves to another region, the
//! resources it gains come with their next change, and those it loses bring no tombstone at all (a
//! resource the caller may not see becomes a tombstone only when the change is made on an account it
//! still sees). A client that must match the new view exactly starts a full sync again.
//!
//! A token stops being good in two ways, both answered SYNC_TOKEN_EXPIRED: it is older than
//! `integration.sync_token_retention_days`, or the changes after its position have been pruned from the
//! outbox (`retention`), which the read checks on its own snapshot. So that a client of a quiet
//! resource type is not sent back to a full sync only because nothing changed, a page that reads to the
//! end of the feed moves the token past every event settled before the read, not only past its own
//! type's last one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::feed::{self, EventFilter, FeedPosition, may_see};
use crate::{
    accounts::{self, model::Account},
    identity::{
        Visibility,
        access::{visible_account_ids, visible_account_query},
    },
    opportunities::{self, model::Opportunity},
    planning::{
        self,
        model::{AccountPlan, Interaction, PlanAction, RevenueRecord, TierChange},
    },
    platform::{
        db::Db,
        entity::outbox_event,
        error::{Error, Result},
        events::Payload,
        id_scan::IdScan,
    },
    service_levels::{self, model::ServiceRequest},
    teams::{
        self,
        model::{Staff, TeamMember},
    },
};

/// The resource types the change feed follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncResource {
    Accounts,
    Contacts,
    Opportunities,
    ServiceRequests,
    PlanActions,
    Interactions,
    AccountPlans,
    TeamMembers,
    Staff,
    RevenueRecords,
    TierChanges,
}

/// Which events of the outbox tell that a resource of a type changed.
enum Follows {
    /// Those about resources of this type: the event's resource is the one that changed.
    ResourceType(&'static str),
    /// Those of this event type, whose payload names what changed (a tier change is announced on its
    /// account).
    EventType(&'static str),
}

impl SyncResource {
    /// Which events announce this type's changes.
    fn follows(self) -> Follows {
        Follows::ResourceType(match self {
            Self::Accounts => "account",
            Self::Contacts => "contact",
            Self::Opportunities => "opportunity",
            Self::ServiceRequests => "service_request",
            Self::PlanActions => "plan_action",
            Self::Interactions => "interaction",
            Self::AccountPlans => "account_plan",
            Self::TeamMembers => TEAM_MEMBER,
            Self::Staff => "staff",
            // One event a batch, naming the records' external ids.
            Self::RevenueRecords => "revenue_record",
            Self::TierChanges => return Follows::EventType("TierChanged"),
        })
    }

    /// Its number in tokens (the proto enum's).
    fn code(self) -> u8 {
        match self {
            Self::Accounts => 1,
            Self::Contacts => 2,
            Self::Opportunities => 3,
            Self::ServiceRequests => 4,
            Self::PlanActions => 5,
            Self::Interactions => 6,
            Self::AccountPlans => 7,
            Self::TeamMembers => 8,
            Self::Staff => 9,
            Self::RevenueRecords => 10,
            Self::TierChanges => 11,
        }
    }
}

/// Where a client's sync of one resource type stands, and when the server said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncToken {
    pub resource: SyncResource,
    pub from: SyncFrom,
    /// Whole seconds.
    pub issue_time: DateTime<Utc>,
}

/// Where the next page of a sync starts.
///
/// A full sync cannot read the feed from its beginning: the outbox is pruned (`retention`), so a resource
/// unchanged for longer would never come. It scans the resource's table instead, in id order, and then
/// hands over to the feed at a position taken before the scan began: what changed meanwhile comes again
/// from there (a resource may come twice; applying a change is an upsert).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFrom {
    /// The table scan, after this id (nil: from the first); then the feed after `then`.
    Scan { after: Uuid, then: FeedPosition },
    /// The feed, after this position.
    Feed(FeedPosition),
}

impl SyncFrom {
    /// The feed position the sync stands at, or will continue from after its scan.
    pub fn position(self) -> FeedPosition {
        match self {
            Self::Scan { then, .. } => then,
            Self::Feed(position) => position,
        }
    }
}

impl SyncToken {
    const PREFIX: &'static str = "s1-";

    /// `s1-<resource>-<txid>-<id>-<issued, unix seconds>`, and during a full sync `-<last id scanned, 32
    /// hex digits>`: opaque to clients.
    pub fn encode(&self) -> String {
        let position = self.from.position();
        let token = format!(
            "{}{}-{}-{}-{}",
            Self::PREFIX,
            self.resource.code(),
            position.txid,
            position.id,
            self.issue_time.timestamp()
        );
        match self.from {
            SyncFrom::Scan { after, .. } => format!("{token}-{}", after.simple()),
            SyncFrom::Feed(_) => token,
        }
    }

    /// Reads a token for `resource` (INVALID_ARGUMENT on `sync_token` otherwise) that is at most
    /// `retention_days` old at `now` (FAILED_PRECONDITION SYNC_TOKEN_EXPIRED otherwise).
    pub fn decode(
        text: &str,
        resource: SyncResource,
        now: DateTime<Utc>,
        retention_days: u32,
    ) -> Result<Self> {
        let invalid = |why: &str| Error::invalid("sync_token", why.to_owned());
        let mut parts: Vec<&str> = text
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| invalid("not a sync token this server issued"))?
            .split('-')
            .collect();
        let scanned = match parts.len() {
            5 => {
                let last = parts.pop().unwrap_or_default();
                let id = (last.len() == 32)
                    .then(|| Uuid::try_parse(last).ok())
                    .flatten()
                    .ok_or_else(|| invalid("not a sync token this server issued"))?;
                Some(id)
            }
            _ => None,
        };
        let numbers: Vec<i64> = parts
            .iter()
            .map(
                |part| match part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
                    true => part.parse().ok(),
                    false => None,
                },
            )
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("not a sync token this server issued"))?;
        let [code, txid, id, issued] = numbers[..] else {
            return Err(invalid("not a sync token this server issued"));
        };
        if code != i64::from(resource.code()) {
            return Err(invalid("issued for another resource type"));
        }
        let issue_time = DateTime::from_timestamp(issued, 0)
            .ok_or_else(|| invalid("not a sync token this server issued"))?;
        if now - issue_time > chrono::Duration::days(i64::from(retention_days)) {
            return Err(Error::rule(
                "SYNC_TOKEN_EXPIRED",
                "sync_token",
                format!("the sync token is older than {retention_days} days; start over with a full sync"),
            ));
        }
        let position = FeedPosition { txid, id };
        Ok(SyncToken {
            resource,
            from: match scanned {
                Some(after) => SyncFrom::Scan {
                    after,
                    then: position,
                },
                None => SyncFrom::Feed(position),
            },
            issue_time,
        })
    }
}

/// A resource's state now.
#[derive(Debug)]
pub enum CurrentState {
    Account(Account),
    Contact(accounts::model::Contact),
    Opportunity(Opportunity),
    ServiceRequest(ServiceRequest),
    PlanAction(PlanAction),
    Interaction(Interaction),
    AccountPlan(AccountPlan),
    TeamMember(TeamMember),
    Staff(Staff),
    RevenueRecord(RevenueRecord),
    TierChange(TierChange),
}

impl CurrentState {
    fn id(&self) -> Uuid {
        match self {
            Self::Account(account) => account.id,
            Self::Contact(contact) => contact.id,
            Self::Opportunity(opportunity) => opportunity.id,
            Self::ServiceRequest(request) => request.id,
            Self::PlanAction(action) => action.id,
            Self::Interaction(interaction) => interaction.id,
            Self::AccountPlan(plan) => plan.id,
            Self::TeamMember(seat) => seat.id,
            Self::Staff(staff) => staff.id,
            Self::RevenueRecord(record) => record.id,
            Self::TierChange(change) => change.id,
        }
    }

    /// When the resource last changed.
    fn update_time(&self) -> DateTime<Utc> {
        match self {
            Self::Account(account) => account.update_time,
            Self::Contact(contact) => contact.update_time,
            Self::Opportunity(opportunity) => opportunity.update_time,
            Self::ServiceRequest(request) => request.update_time,
            Self::PlanAction(action) => action.update_time,
            Self::Interaction(interaction) => interaction.update_time,
            Self::AccountPlan(plan) => plan.update_time,
            // A seat changes when it starts and when it ends (its role in between, rarely).
            Self::TeamMember(seat) => seat.end_time.unwrap_or(seat.start_time),
            Self::Staff(staff) => staff.update_time,
            Self::RevenueRecord(record) => record.update_time,
            Self::TierChange(change) => change.change_time,
        }
    }
}

/// One changed resource: its state now, or `None` when it is gone.
#[derive(Debug)]
pub struct ChangedResource {
    pub id: Uuid,
    pub change_time: DateTime<Utc>,
    pub current: Option<CurrentState>,
}

#[derive(Debug)]
pub struct ChangePage {
    pub changes: Vec<ChangedResource>,
    pub next: SyncFrom,
    /// More changes are waiting.
    pub more: bool,
}

/// The next page of a sync of `resource`'s type from `from` (`None`: a full sync from the start): at
/// most `page_size` resources scanned or changes read, those `visibility` may see.
pub async fn list_changes(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    from: Option<SyncFrom>,
    page_size: u64,
) -> Result<ChangePage> {
    let from = match from {
        // Taken before the scan: whatever changes while it runs comes again through the feed.
        None => SyncFrom::Scan {
            after: Uuid::nil(),
            then: feed::current_position(db).await?,
        },
        Some(from) => from,
    };
    match from {
        SyncFrom::Scan { after, then } => scan_page(db, visibility, resource, after, then, page_size).await,
        SyncFrom::Feed(after) => feed_page(db, visibility, resource, after, page_size).await,
    }
}

/// One page of a full sync's table scan: the next `page_size` resources by id, as they are now; the
/// feed takes over once the scan comes back short.
async fn scan_page(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    after: Uuid,
    then: FeedPosition,
    page_size: u64,
) -> Result<ChangePage> {
    // Before the table is read: a token the pruner has passed since the scan began is expired now
    // rather than when the scan hands over.
    if !feed::is_kept(then, feed::pruned_through(db.conn()).await?) {
        return Err(changes_pruned());
    }
    let ids = ids_after(db, visibility, resource, after, page_size).await?;
    let mut current = load_many(db, visibility, resource, &ids).await?;
    let changes = ids
        .iter()
        .filter_map(|id| current.remove(id))
        .map(|current| ChangedResource {
            id: current.id(),
            change_time: current.update_time(),
            current: Some(current),
        })
        .collect();
    let next = match ids.last() {
        Some(&last) if ids.len() as u64 == page_size => SyncFrom::Scan { after: last, then },
        _ => SyncFrom::Feed(then),
    };
    Ok(ChangePage {
        changes,
        next,
        // The feed's changes since the scan began follow, even when the scan is through.
        more: true,
    })
}

/// The ids after `after` of `resource`'s table that the caller may see, in id order (UUIDv7: creation
/// order), read by the table's owner: only ids, the state still comes through each area's `get`. A
/// MEMBER's scan reads only its teams' accounts' rows, so its pages are not mostly rows it would skip.
async fn ids_after(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    after: Uuid,
    limit: u64,
) -> Result<Vec<Uuid>> {
    let accounts = visible_account_query(visibility).map(Box::new);
    owned_ids(
        db,
        resource,
        &IdScan::Page {
            after,
            limit,
            accounts,
        },
    )
    .await
}

/// One page of the feed after `after`.
async fn feed_page(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    after: FeedPosition,
    page_size: u64,
) -> Result<ChangePage> {
    // A MEMBER's view changes with its seats: a seat taken or given up brings the account's resources
    // (as upserts, or tombstones for a client that must forget them), so the member's events come too.
    // A REGIONAL_MANAGER's teams are part of its view as well; its regions are not followed (see the
    // module's comment).
    let seats_of = match visibility {
        Visibility::TeamsOf(staff_id) | Visibility::RegionsOf(staff_id) => Some(staff_id),
        Visibility::All => None,
    };
    let follows = resource.follows();
    let mut filter = EventFilter::default();
    match follows {
        Follows::ResourceType(name) => filter.resource_types.insert(name.to_owned()),
        Follows::EventType(name) => filter.event_types.insert(name.to_owned()),
    };
    if seats_of.is_some() {
        match follows {
            Follows::ResourceType(_) => {
                filter.resource_types.insert(TEAM_MEMBER.to_owned());
            }
            Follows::EventType(_) => filter.event_types.extend(SEAT_EVENTS.map(str::to_owned)),
        }
    }
    // Taken before the read: every event up to it has settled, so a read that comes back short has seen
    // all of this type's among them.
    let settled = feed::current_position(db).await?;
    // Every change, whatever account it concerns: the owning area decides what the caller sees.
    let batch = feed::read_kept(db, after, page_size, &filter, Visibility::All, changes_pruned).await?;
    let visible = visible_account_ids(db.conn(), visibility).await?;

    // Each resource once, at its last change in the page. `account` is the account the change was
    // made on; `None` for the resources of an account whose team the member joined or left.
    let mut touched: Vec<(Uuid, DateTime<Utc>, Option<Uuid>)> = Vec::new();
    for event in &batch.events {
        let announces = match follows {
            Follows::ResourceType(name) => event.resource_type == name,
            Follows::EventType(name) => event.event_type == name,
        };
        if announces {
            for (id, account) in changed_by(db, resource, event).await? {
                touched.push((id, event.occurred_at, account));
            }
        }
        let own_seat =
            event.resource_type == TEAM_MEMBER && seats_of.is_some_and(|staff| seat_of(event, staff));
        if let Some(account) = event.account_id.filter(|_| own_seat) {
            for id in ids_of_account(db, resource, account).await? {
                touched.push((id, event.occurred_at, None));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<_> = touched
        .into_iter()
        .rev()
        .filter(|(id, ..)| seen.insert(*id))
        .collect();
    latest.reverse();

    let ids: Vec<Uuid> = latest.iter().map(|(id, ..)| *id).collect();
    let mut current = load_many(db, visibility, resource, &ids).await?;
    let mut changes = Vec::with_capacity(latest.len());
    for (id, change_time, account) in latest {
        match current.remove(&id) {
            Some(current) => changes.push(ChangedResource {
                id,
                change_time,
                current: Some(current),
            }),
            // Gone, or no longer the caller's to see: a client that may have held it must forget it.
            None if account.is_none_or(|account| may_see(visible.as_ref(), Some(account))) => {
                changes.push(ChangedResource {
                    id,
                    change_time,
                    current: None,
                })
            }
            None => {}
        }
    }
    Ok(ChangePage {
        changes,
        next: SyncFrom::Feed(next_position(batch.next, batch.full, settled)),
        more: batch.full,
    })
}

/// The outbox's resource type of team seats.
const TEAM_MEMBER: &str = "team_member";

/// The events of team seats, which a MEMBER's sync of any type follows too.
const SEAT_EVENTS: [&str; 3] = ["TeamMemberAdded", "TeamMemberUpdated", "TeamMemberRemoved"];

/// The resources of `resource`'s type that `event` (one that announces changes of that type) says
/// changed, each with its account: the event's own resource, except for a tier change (named by its
/// payload) and a batch of revenue records (named by their external ids; a record the batch moved to
/// another account comes with the account it left, whose holders must be told to drop it).
async fn changed_by(
    db: &Db,
    resource: SyncResource,
    event: &outbox_event::Model,
) -> Result<Vec<(Uuid, Option<Uuid>)>> {
    Ok(match (resource, feed::payload_of(event)) {
        (SyncResource::TierChanges, Some(Payload::TierChanged(change))) => change
            .id
            .parse()
            .ok()
            .map(|id| (id, event.account_id))
            .into_iter()
            .collect(),
        (SyncResource::TierChanges, _) => Vec::new(),
        (SyncResource::RevenueRecords, Some(Payload::RevenueRecordsUpserted(batch))) => {
            let left: std::collections::HashMap<Uuid, Uuid> = batch
                .moves
                .iter()
                .filter_map(|moved| {
                    Some((
                        moved.revenue_record_id.parse().ok()?,
                        moved.from_account_id.parse().ok()?,
                    ))
                })
                .collect();
            planning::store::revenue_ids_by_external_ids(db, &batch.external_ids)
                .await?
                .into_iter()
                .map(|(id, account)| (id, Some(left.get(&id).copied().unwrap_or(account))))
                .collect()
        }
        (SyncResource::RevenueRecords, _) => Vec::new(),
        _ => event
            .resource_id
            .parse()
            .ok()
            .map(|id| (id, event.account_id))
            .into_iter()
            .collect(),
    })
}

/// Whether a team-seat event is about `staff_id`'s seat.
fn seat_of(event: &outbox_event::Model, staff_id: Uuid) -> bool {
    let holder = match feed::payload_of(event) {
        Some(
            Payload::TeamMemberAdded(seat)
            | Payload::TeamMemberUpdated(seat)
            | Payload::TeamMemberRemoved(seat),
        ) => seat.staff_id,
        _ => return false,
    };
    holder.parse::<Uuid>().ok() == Some(staff_id)
}

/// The ids of `resource`'s rows that belong to `account` (for accounts, the account itself), whatever
/// their state: soft-deleted accounts too, so a client holding one learns it is gone.
async fn ids_of_account(db: &Db, resource: SyncResource, account: Uuid) -> Result<Vec<Uuid>> {
    owned_ids(db, resource, &IdScan::OfAccount(account)).await
}

/// Asks the area that owns `resource`'s table for the ids `scan` covers.
async fn owned_ids(db: &Db, resource: SyncResource, scan: &IdScan) -> Result<Vec<Uuid>> {
    match resource {
        SyncResource::Accounts => accounts::store::account_ids(db, scan).await,
        SyncResource::Contacts => accounts::store::contact_ids(db, scan).await,
        SyncResource::Opportunities => opportunities::store::opportunity_ids(db, scan).await,
        SyncResource::ServiceRequests => service_levels::store::request_ids(db, scan).await,
        SyncResource::PlanActions => planning::store::action_ids(db, scan).await,
        SyncResource::Interactions => planning::store::interaction_ids(db, scan).await,
        SyncResource::AccountPlans => planning::store::plan_ids(db, scan).await,
        SyncResource::TeamMembers => teams::store::member_ids(db, scan).await,
        SyncResource::Staff => teams::store::staff_ids(db, scan).await,
        SyncResource::RevenueRecords => planning::store::revenue_ids(db, scan).await,
        SyncResource::TierChanges => planning::store::tier_change_ids(db, scan).await,
    }
}

/// Where the next page starts: after the last event read, or, when the read reached the end (not
/// `full`), after everything `settled` before it if that is further.
fn next_position(last_read: FeedPosition, full: bool, settled: FeedPosition) -> FeedPosition {
    match full {
        true => last_read,
        false => last_read.max(settled),
    }
}

/// SYNC_TOKEN_EXPIRED for a token whose position lies before the pruned horizon.
fn changes_pruned() -> Error {
    Error::rule(
        "SYNC_TOKEN_EXPIRED",
        "sync_token",
        "changes after this sync token have been pruned (integration.outbox_retention_days); start over \
         with a full sync",
    )
}

/// Of `ids`, the resources the caller may see, as their areas' `get` shows them; those gone or hidden
/// are left out.
async fn load_many(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, CurrentState>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<CurrentState> = match resource {
        SyncResource::Interactions => states(
            planning::store::interactions_by_ids(db, visibility, ids).await?,
            CurrentState::Interaction,
        ),
        SyncResource::AccountPlans => states(
            planning::store::plans_by_ids(db, visibility, ids).await?,
            CurrentState::AccountPlan,
        ),
        SyncResource::TeamMembers => states(
            teams::store::members_by_ids(db, visibility, ids).await?,
            CurrentState::TeamMember,
        ),
        SyncResource::Staff => states(teams::store::staff_by_ids(db, ids).await?, CurrentState::Staff),
        SyncResource::RevenueRecords => states(
            planning::store::revenue_by_ids(db, visibility, ids).await?,
            CurrentState::RevenueRecord,
        ),
        SyncResource::TierChanges => states(
            planning::store::tier_changes_by_ids(db, visibility, ids).await?,
            CurrentState::TierChange,
        ),
        SyncResource::Accounts => states(
            accounts::store::accounts_by_ids(db, visibility, ids).await?,
            CurrentState::Account,
        ),
        SyncResource::Contacts => states(
            accounts::store::contacts_by_ids(db, visibility, ids).await?,
            CurrentState::Contact,
        ),
        SyncResource::Opportunities => states(
            opportunities::store::opportunities_by_ids(db, visibility, ids).await?,
            CurrentState::Opportunity,
        ),
        SyncResource::ServiceRequests => states(
            service_levels::store::requests_by_ids(db, visibility, ids).await?,
            CurrentState::ServiceRequest,
        ),
        SyncResource::PlanActions => states(
            planning::store::actions_by_ids(db, visibility, ids).await?,
            CurrentState::PlanAction,
        ),
    };
    Ok(found.into_iter().map(|current| (current.id(), current)).collect())
}

fn states<T>(found: Vec<T>, state: fn(T) -> CurrentState) -> Vec<CurrentState> {
    found.into_iter().map(state).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap()
    }

    #[test]
    fn tokens_round_trip() {
        let position = FeedPosition { txid: 812, id: 77 };
        let token = SyncToken {
            resource: SyncResource::Contacts,
            from: SyncFrom::Feed(position),
            issue_time: now(),
        };
        assert_eq!(token.encode(), "s1-2-812-77-1796000000");
        assert_eq!(
            SyncToken::decode(&token.encode(), SyncResource::Contacts, now(), 30).unwrap(),
            token
        );
        let scanned = Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_00ff);
        let scanning = SyncToken {
            from: SyncFrom::Scan {
                after: scanned,
                then: position,
            },
            ..token
        };
        assert_eq!(
            scanning.encode(),
            "s1-2-812-77-1796000000-019200000000700080000000000000ff"
        );
        assert_eq!(
            SyncToken::decode(&scanning.encode(), SyncResource::Contacts, now(), 30).unwrap(),
            scanning
        );
    }

    #[test]
    fn tokens_of_strangers_or_other_types_are_refused() {
        for bad in [
            "",
            "e1-0-3",
            "s1-2-812-77",
            "s1-2-812-77-x",
            "s1-2--77-1796000000",
            "s1-2-812-77-1796000000-1",
            "s1-2-812-77-1796000000-0192000000007000800000000000000g",
            "s1-2-812-77-1796000000-01920000-0000-7000-8000-0000000000ff",
        ] {
            let err = SyncToken::decode(bad, SyncResource::Contacts, now(), 30).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?} was accepted");
        }
        let accounts = "s1-1-812-77-1796000000";
        let err = SyncToken::decode(accounts, SyncResource::Contacts, now(), 30).unwrap_err();
        assert!(err.to_string().contains("another resource type"), "{err}");
    }

    #[test]
    fn a_page_that_reaches_the_end_moves_past_other_types_events() {
        let last_read = FeedPosition { txid: 10, id: 5 };
        let settled = FeedPosition { txid: 14, id: 0 };
        assert_eq!(next_position(last_read, false, settled), settled);
        assert_eq!(
            next_position(last_read, true, settled),
            last_read,
            "more of the type may follow the last one read"
        );
        let ahead = FeedPosition { txid: 15, id: 9 };
        assert_eq!(
            next_position(ahead, false, settled),
            ahead,
            "never back, e.g. when events settled after the position was taken"
        );
        let err = changes_pruned();
        assert!(
            matches!(&err, Error::FailedPrecondition(rules) if rules[0].rule == "SYNC_TOKEN_EXPIRED"),
            "{err:?}"
        );
    }

    #[test]
    fn a_token_expires_after_the_retention_window() {
        let issued = "s1-1-0-5-1796000000";
        let thirty_days = now() + chrono::Duration::days(30);
        assert!(SyncToken::decode(issued, SyncResource::Accounts, thirty_days, 30).is_ok());
        let err = SyncToken::decode(
            issued,
            SyncResource::Accounts,
            thirty_days + chrono::Duration::seconds(1),
            30,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::FailedPrecondition(rules) if rules[0].rule == "SYNC_TOKEN_EXPIRED"),
            "{err:?}"
        );
    }
}
