//! Reading the outbox as a feed: positions, and batches of events that can no longer change.
//!
//! An event's position is (txid, id): the id of the transaction that wrote it (PostgreSQL; 0 on
//! SQLite) and its own sequence id. A batch holds only events of transactions older than every
//! transaction still running (the reading snapshot's xmin): no event can appear later before the end of
//! such a batch, so a reader that resumes after the last position it saw misses nothing, however the
//! writers' commits interleave (migration 000012). SQLite runs one writer at a time, so ids already
//! follow commit order there.
//!
//! Old events are pruned (`retention`), always a prefix of the feed, and `feed_horizon` names the last
//! position deleted (migration 000013). A reader whose position lies before it may have missed events:
//! it is refused (CURSOR_EXPIRED, or SYNC_TOKEN_EXPIRED for a sync token) rather than resumed with a
//! gap, and the check is made on the same snapshot as the read, so a pruning that commits in between
//! cannot slip through. [`FeedPosition::START`] is the exception: it means "from the oldest event kept".

use std::collections::HashSet;

use kam_proto::v1 as pb;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, sea_query::ExprTrait,
};
use uuid::Uuid;

use super::legacy_events;
use crate::{
    identity::{Visibility, access::visible_account_ids, store::IDENTITY_RESOURCE_TYPES},
    integration::entity::feed_horizon,
    platform::{
        db::Db,
        entity::outbox_event::{self, Column},
        error::{Error, Result},
        events,
        wire::timestamp,
    },
};

/// Where a reader stands in the feed: after the event at (txid, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedPosition {
    pub txid: i64,
    pub id: i64,
}

impl FeedPosition {
    /// Before every event: ids start at 1, and transaction ids are positive (0 on SQLite).
    pub const START: FeedPosition = FeedPosition { txid: 0, id: 0 };

    const PREFIX: &'static str = "e1-";

    /// The opaque cursor clients hold: `e1-<txid>-<id>`.
    pub fn to_cursor(self) -> String {
        format!("{}{}-{}", Self::PREFIX, self.txid, self.id)
    }

    /// Parses a cursor made by [`Self::to_cursor`]; anything else is INVALID_ARGUMENT on `field`.
    pub fn from_cursor(cursor: &str, field: &str) -> Result<Self> {
        let invalid = || Error::invalid(field, "not a cursor this server issued");
        let rest = cursor.strip_prefix(Self::PREFIX).ok_or_else(invalid)?;
        let (txid, id) = rest.split_once('-').ok_or_else(invalid)?;
        // Digits only: i64's own parser would also take a sign, which a cursor never has.
        let number = |text: &str| -> Result<i64> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            text.parse().map_err(|_| invalid())
        };
        Ok(FeedPosition {
            txid: number(txid)?,
            id: number(id)?,
        })
    }

    fn of(event: &outbox_event::Model) -> Self {
        FeedPosition {
            txid: event.txid,
            id: event.id,
        }
    }
}

/// Which events a reader wants (applied in SQL).
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Empty: every type.
    pub event_types: HashSet<String>,
    /// Empty: every resource type.
    pub resource_types: HashSet<String>,
    /// Whether events about credentials and roles (`IDENTITY_RESOURCE_TYPES`) are read too: only for
    /// those who may read the audit trail.
    pub identity_events: bool,
}

/// The events after a position that a reader may see, and where to resume after them.
#[derive(Debug)]
pub struct FeedBatch {
    pub events: Vec<outbox_event::Model>,
    /// After the last event read, including those visibility left out; the position given when
    /// nothing was read.
    pub next: FeedPosition,
    /// Whether the read took as many events as it could: more may follow at once.
    pub full: bool,
}

/// Where a reader starts that wants only what commits from now on: after every event of the
/// transactions that have ended.
pub async fn current_position(db: &Db) -> Result<FeedPosition> {
    let txn = db.snapshot().await?;
    let position = match horizon(&txn).await? {
        Some(xmin) => FeedPosition { txid: xmin, id: 0 },
        None => {
            let last: Option<i64> = outbox_event::Entity::find()
                .select_only()
                .column_as(Column::Id.max(), "id")
                .into_tuple::<Option<i64>>()
                .one(&txn)
                .await?
                .flatten();
            FeedPosition {
                txid: 0,
                id: last.unwrap_or(0),
            }
        }
    };
    txn.commit().await?;
    Ok(position)
}

/// Reads up to `limit` events after `after`, keeps those `filter` wants and `visibility` may see, on
/// one snapshot. FAILED_PRECONDITION CURSOR_EXPIRED when events after `after` have been pruned.
pub async fn read_after(
    db: &Db,
    after: FeedPosition,
    limit: u64,
    filter: &EventFilter,
    visibility: Visibility,
) -> Result<FeedBatch> {
    read_kept(db, after, limit, filter, visibility, cursor_expired).await
}

/// [`read_after`], refusing with `expired()` when events after `after` have been pruned.
pub async fn read_kept(
    db: &Db,
    after: FeedPosition,
    limit: u64,
    filter: &EventFilter,
    visibility: Visibility,
    expired: fn() -> Error,
) -> Result<FeedBatch> {
    let txn = db.snapshot().await?;
    if !is_kept(after, pruned_through(&txn).await?) {
        txn.commit().await?;
        return Err(expired());
    }
    let horizon = horizon(&txn).await?;
    let mut query = outbox_event::Entity::find()
        .filter(
            Column::Txid
                .gt(after.txid)
                .or(Column::Txid.eq(after.txid).and(Column::Id.gt(after.id))),
        )
        .order_by_asc(Column::Txid)
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(xmin) = horizon {
        query = query.filter(Column::Txid.lt(xmin));
    }
    // The type filters in SQL, so that a reader of rare events does not page through all the others.
    if !filter.event_types.is_empty() {
        query = query.filter(Column::EventType.is_in(filter.event_types.iter().cloned()));
    }
    if !filter.resource_types.is_empty() {
        query = query.filter(Column::ResourceType.is_in(filter.resource_types.iter().cloned()));
    }
    if !filter.identity_events {
        query = query.filter(Column::ResourceType.is_not_in(IDENTITY_RESOURCE_TYPES.iter().copied()));
    }
    let read = query.all(&txn).await?;
    let visible = visible_account_ids(&txn, visibility).await?;
    txn.commit().await?;

    let full = read.len() as u64 == limit;
    let next = read.last().map_or(after, FeedPosition::of);
    let events = read
        .into_iter()
        .filter(|event| may_see(visible.as_ref(), event.account_id))
        .collect();
    Ok(FeedBatch { events, next, full })
}

/// The position of the last event pruned: every event at or before it is gone. [`FeedPosition::START`]
/// while none has been.
pub async fn pruned_through(conn: &impl ConnectionTrait) -> Result<FeedPosition> {
    let row = feed_horizon::Entity::find_by_id(1).one(conn).await?;
    Ok(row.map_or(FeedPosition::START, |row| FeedPosition {
        txid: row.txid,
        id: row.event_id,
    }))
}

/// `position` when no event after it has been pruned; FAILED_PRECONDITION CURSOR_EXPIRED otherwise.
/// What `WatchEvents` checks a cursor with before it opens the stream (each read checks again).
pub async fn require_kept(conn: &impl ConnectionTrait, position: FeedPosition) -> Result<FeedPosition> {
    match is_kept(position, pruned_through(conn).await?) {
        true => Ok(position),
        false => Err(cursor_expired()),
    }
}

/// Whether a reader after `position` misses nothing when events through `pruned` are gone. START reads
/// from the oldest event kept, whatever has been pruned.
pub fn is_kept(position: FeedPosition, pruned: FeedPosition) -> bool {
    position == FeedPosition::START || position >= pruned
}

fn cursor_expired() -> Error {
    Error::rule(
        "CURSOR_EXPIRED",
        "cursor",
        "events after this cursor have been pruned (integration.outbox_retention_days); start again \
         from EARLIEST, the oldest event kept, or from NOW",
    )
}

/// Whether a reader who sees `visible` accounts (all of them: `None`) may see an event concerning
/// `account`. Events that concern no one account are for those who see every account.
pub fn may_see(visible: Option<&HashSet<Uuid>>, account: Option<Uuid>) -> bool {
    match (visible, account) {
        (None, _) => true,
        (Some(visible), Some(account)) => visible.contains(&account),
        (Some(_), None) => false,
    }
}

/// On PostgreSQL, the oldest transaction id still running when the snapshot was taken: events of
/// older transactions are final. `None` on SQLite, where every committed event is.
pub(super) async fn horizon(conn: &impl ConnectionTrait) -> Result<Option<i64>> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let row = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        ))
        .await?
        .ok_or_else(|| Error::Database(DbErr::Custom("the snapshot has no xmin".to_owned())))?;
    Ok(Some(row.try_get_by_index(0)?))
}

/// The stored event's payload, typed: as written for a public payload, converted for one written
/// before the contract existed. `None` for an event type this version does not know, or a stored
/// payload that does not read as its type's message (logged: it would be a bug).
pub fn payload_of(event: &outbox_event::Model) -> Option<events::Payload> {
    let typed = match event.payload_version {
        events::PUBLIC_PAYLOAD => events::decode(&event.event_type, event.payload.clone()),
        _ => legacy_events::convert(&event.event_type, &event.resource_id, &event.payload),
    };
    if typed.is_none() {
        tracing::warn!(
            event_id = event.id,
            event_type = %event.event_type,
            payload_version = event.payload_version,
            "a stored event's payload does not read as its type's message"
        );
    }
    typed
}

/// An outbox row as the public `Event` the stream, the webhooks and the change feed's clients read.
pub fn event_to_proto(event: outbox_event::Model) -> pb::Event {
    let cursor = FeedPosition {
        txid: event.txid,
        id: event.id,
    }
    .to_cursor();
    let payload = payload_of(&event);
    // Written again from the typed payload: canonical whatever the database did to the stored JSON
    // (PostgreSQL's jsonb reorders keys), and converted for events stored before the contract.
    let payload_json = match &payload {
        Some(payload) => events::encode(payload).payload_json,
        None => event.payload.to_string(),
    };
    pb::Event {
        event_type: event.event_type,
        resource_type: event.resource_type,
        resource_id: event.resource_id,
        account_id: event.account_id.map(|id| id.to_string()).unwrap_or_default(),
        occur_time: Some(timestamp(event.occurred_at)),
        payload_json,
        cursor,
        changed_fields: serde_json::from_value(event.changed_fields).unwrap_or_default(),
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        for position in [
            FeedPosition::START,
            FeedPosition { txid: 0, id: 17 },
            FeedPosition {
                txid: 4_000_000_123,
                id: i64::MAX,
            },
        ] {
            assert_eq!(
                FeedPosition::from_cursor(&position.to_cursor(), "cursor").unwrap(),
                position
            );
        }
        assert_eq!(FeedPosition { txid: 7, id: 3 }.to_cursor(), "e1-7-3");
        for bad in [
            "", "7-3", "e1-7", "e1-x-3", "e1-7-", "e1-+7-3", "e1--2-0", "e2-7-3", "e1-7-3-1",
        ] {
            let err = FeedPosition::from_cursor(bad, "cursor").unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?} was accepted");
        }
    }

    #[test]
    fn positions_order_by_transaction_then_id() {
        let early_transaction_late_id = FeedPosition { txid: 5, id: 90 };
        let late_transaction_early_id = FeedPosition { txid: 6, id: 10 };
        assert!(early_transaction_late_id < late_transaction_early_id);
        assert!(FeedPosition::START < FeedPosition { txid: 0, id: 1 });
        assert_eq!(FeedPosition::START.to_cursor(), "e1-0-0");
    }

    #[test]
    fn positions_before_the_pruned_horizon_are_not_kept() {
        let pruned = FeedPosition { txid: 812, id: 40 };
        assert!(is_kept(pruned, pruned), "the last event deleted was already read");
        assert!(is_kept(FeedPosition { txid: 813, id: 1 }, pruned));
        assert!(is_kept(FeedPosition { txid: 812, id: 41 }, pruned));
        assert!(!is_kept(FeedPosition { txid: 812, id: 39 }, pruned));
        assert!(
            !is_kept(FeedPosition { txid: 811, id: 900 }, pruned),
            "an older transaction, a later id"
        );
        assert!(
            is_kept(FeedPosition::START, pruned),
            "START is the oldest event kept"
        );
        assert!(is_kept(FeedPosition { txid: 0, id: 3 }, FeedPosition::START));
        let err = cursor_expired();
        assert!(
            matches!(&err, Error::FailedPrecondition(rules) if rules[0].rule == "CURSOR_EXPIRED"),
            "{err:?}"
        );
    }

    #[test]
    fn members_see_their_accounts_events_only() {
        let mine = Uuid::now_v7();
        let theirs = Uuid::now_v7();
        let visible: HashSet<Uuid> = [mine].into();
        assert!(may_see(None, Some(theirs)));
        assert!(may_see(None, None));
        assert!(may_see(Some(&visible), Some(mine)));
        assert!(!may_see(Some(&visible), Some(theirs)));
        assert!(
            !may_see(Some(&visible), None),
            "staff and policy events are for those who see all"
        );
    }
}
