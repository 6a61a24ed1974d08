//! The change feed (`ListChanges`): which resources of one type changed since a sync token, read from
//! the outbox feed (so commit-safe like the event stream), and each one's state now.
//!
//! A resource that changed several times in one page comes once, at the place of its last change. Its
//! state is read when the page is served, through the owning area's own `get` (visibility included), so
//! a client receives what it may see now; a resource gone (NOT_FOUND) becomes a tombstone, sent to
//! those who could see the account it belonged to.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::feed::{self, EventFilter, FeedPosition, may_see};
use crate::{
    accounts::{self, model::Account},
    db::Db,
    error::{Error, Result},
    identity::{Visibility, access::visible_account_ids},
    opportunities::{self, model::Opportunity},
    planning::{self, model::PlanAction},
    service_levels::{self, model::ServiceRequest},
};

/// The resource types the change feed follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncResource {
    Accounts,
    Contacts,
    Opportunities,
    ServiceRequests,
    PlanActions,
}

impl SyncResource {
    /// The outbox's name for the resource type of its events.
    fn resource_type(self) -> &'static str {
        match self {
            Self::Accounts => "account",
            Self::Contacts => "contact",
            Self::Opportunities => "opportunity",
            Self::ServiceRequests => "service_request",
            Self::PlanActions => "plan_action",
        }
    }

    /// Its number in tokens (the proto enum's).
    fn code(self) -> u8 {
        match self {
            Self::Accounts => 1,
            Self::Contacts => 2,
            Self::Opportunities => 3,
            Self::ServiceRequests => 4,
            Self::PlanActions => 5,
        }
    }
}

/// Where a client's sync of one resource type stands, and when the server said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncToken {
    pub resource: SyncResource,
    pub position: FeedPosition,
    /// Whole seconds.
    pub issue_time: DateTime<Utc>,
}

impl SyncToken {
    const PREFIX: &'static str = "s1-";

    /// `s1-<resource>-<txid>-<id>-<issued, unix seconds>`: opaque to clients.
    pub fn encode(&self) -> String {
        format!(
            "{}{}-{}-{}-{}",
            Self::PREFIX,
            self.resource.code(),
            self.position.txid,
            self.position.id,
            self.issue_time.timestamp()
        )
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
        let parts: Vec<&str> = text
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| invalid("not a sync token this server issued"))?
            .split('-')
            .collect();
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
        Ok(SyncToken {
            resource,
            position: FeedPosition { txid, id },
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
    pub next: FeedPosition,
    /// More changes are waiting.
    pub more: bool,
}

/// The resources of `resource`'s type changed after `after` (reading at most `page_size` changes) that
/// `visibility` may see.
pub async fn list_changes(
    db: &Db,
    visibility: Visibility,
    resource: SyncResource,
    after: FeedPosition,
    page_size: u64,
) -> Result<ChangePage> {
    let filter = EventFilter {
        resource_types: [resource.resource_type().to_owned()].into(),
        ..Default::default()
    };
    // Every change, whatever account it concerns: the owning area decides what the caller sees.
    let batch = feed::read_after(db, after, page_size, &filter, Visibility::All).await?;
    let visible = visible_account_ids(db.conn(), visibility).await?;

    let mut latest: Vec<(Uuid, DateTime<Utc>, Option<Uuid>)> = Vec::new();
    for event in batch.events.iter().rev() {
        let Ok(id) = event.resource_id.parse::<Uuid>() else {
            continue;
        };
        if !latest.iter().any(|(seen, _, _)| *seen == id) {
            latest.push((id, event.occurred_at, event.account_id));
        }
    }
    latest.reverse();

    let mut changes = Vec::with_capacity(latest.len());
    for (id, change_time, account) in latest {
        match load(db, visibility, resource, id).await {
            Ok(current) => changes.push(ChangedResource {
                id,
                change_time,
                current: Some(current),
            }),
            Err(Error::NotFound { .. }) if may_see(visible.as_ref(), account) => {
                changes.push(ChangedResource {
                    id,
                    change_time,
                    current: None,
                })
            }
            Err(Error::NotFound { .. } | Error::PermissionDenied(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(ChangePage {
        changes,
        next: batch.next,
        more: batch.full,
    })
}

/// The resource as its area's `get` shows it to the caller.
async fn load(db: &Db, visibility: Visibility, resource: SyncResource, id: Uuid) -> Result<CurrentState> {
    Ok(match resource {
        SyncResource::Accounts => {
            CurrentState::Account(accounts::store::get_account(db, visibility, id).await?)
        }
        SyncResource::Contacts => {
            CurrentState::Contact(accounts::store::get_contact(db, visibility, id).await?)
        }
        SyncResource::Opportunities => {
            CurrentState::Opportunity(opportunities::store::get_opportunity(db, visibility, id).await?)
        }
        SyncResource::ServiceRequests => {
            CurrentState::ServiceRequest(service_levels::store::get_request(db, visibility, id).await?)
        }
        SyncResource::PlanActions => {
            CurrentState::PlanAction(planning::store::get_action(db, visibility, id).await?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap()
    }

    #[test]
    fn tokens_round_trip() {
        let token = SyncToken {
            resource: SyncResource::Contacts,
            position: FeedPosition { txid: 812, id: 77 },
            issue_time: now(),
        };
        assert_eq!(token.encode(), "s1-2-812-77-1796000000");
        assert_eq!(
            SyncToken::decode(&token.encode(), SyncResource::Contacts, now(), 30).unwrap(),
            token
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
        ] {
            let err = SyncToken::decode(bad, SyncResource::Contacts, now(), 30).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?} was accepted");
        }
        let accounts = "s1-1-812-77-1796000000";
        let err = SyncToken::decode(accounts, SyncResource::Contacts, now(), 30).unwrap_err();
        assert!(err.to_string().contains("another resource type"), "{err}");
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
