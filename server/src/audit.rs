//! The audit trail and the domain-event outbox. Every mutation calls [`record`] inside its own
//! transaction, so the change, who made it and the event announcing it commit together or not at all.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    bulk::{Columns, Kind},
    error::Result,
    request::RequestContext,
};

/// One mutation of one resource.
pub struct Change<'a, P: Serialize> {
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    /// The field paths written (for a create: every field given).
    pub changed_fields: Vec<String>,
    /// e.g. `AccountCreated`.
    pub event_type: &'static str,
    /// The resource after the change.
    pub payload: &'a P,
}

impl<'a, P: Serialize> Change<'a, P> {
    pub fn new(
        resource_type: &'static str,
        resource_id: Uuid,
        event_type: &'static str,
        payload: &'a P,
        changed_fields: Vec<String>,
    ) -> Self {
        Self {
            resource_type,
            resource_id,
            changed_fields,
            event_type,
            payload,
        }
    }
}

/// Writes the audit row and the outbox event of `change`.
pub async fn record<P: Serialize>(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    change: Change<'_, P>,
) -> Result<()> {
    write(txn, Author::of(ctx), change).await
}

/// Who [`record_system`] names in the audit trail: no staff member (the nil id), the component's name as
/// the credential and the method.
pub struct SystemActor {
    /// e.g. `sla-monitor`.
    pub name: &'static str,
}

/// [`record`] for a change the server makes on its own (the breach monitor), with no caller: the audit
/// row names the component instead of a principal, so the trail still says who wrote what.
pub async fn record_system<P: Serialize>(
    txn: &impl ConnectionTrait,
    actor: &SystemActor,
    change: Change<'_, P>,
) -> Result<()> {
    let author = Author {
        principal: Uuid::nil().to_string(),
        credential: format!("system/{}", actor.name),
        method: actor.name.to_owned(),
        request_id: None,
    };
    write(txn, author, change).await
}

/// Who an audit row names.
struct Author {
    principal: String,
    credential: String,
    method: String,
    request_id: Option<Uuid>,
}

impl Author {
    fn of(ctx: &RequestContext) -> Self {
        Self {
            principal: ctx.principal.staff_id.to_string(),
            credential: ctx.principal.credential.to_string(),
            method: ctx.method.clone(),
            request_id: ctx.request_id,
        }
    }
}

async fn write<P: Serialize>(
    txn: &impl ConnectionTrait,
    author: Author,
    change: Change<'_, P>,
) -> Result<()> {
    write_all(txn, &author, vec![change]).await
}

const AUDIT_ENTRIES: Columns = Columns {
    table: "audit_entries",
    columns: &[
        ("id", Kind::Uuid),
        ("occurred_at", Kind::Time),
        ("principal", Kind::Text),
        ("credential", Kind::Text),
        ("method", Kind::Text),
        ("resource_type", Kind::Text),
        ("resource_id", Kind::Text),
        ("changed_fields", Kind::Json),
        ("request_id", Kind::NullableUuid),
    ],
};

/// The event's id is the table's sequence; its `txid` the column's default (the writing transaction's
/// id on PostgreSQL).
const OUTBOX_EVENTS: Columns = Columns {
    table: "outbox_events",
    columns: &[
        ("occurred_at", Kind::Time),
        ("event_type", Kind::Text),
        ("resource_type", Kind::Text),
        ("resource_id", Kind::Text),
        ("payload", Kind::Json),
        ("account_id", Kind::NullableUuid),
    ],
};

/// The changes an import batch records, one a resource it wrote: a creation (event `events[0]`,
/// naming `all_fields`) when no changed fields are given, else an update (`events[1]`, naming them).
pub fn imported<'a, P: Serialize>(
    resource_type: &'static str,
    events: [&'static str; 2],
    all_fields: &[impl AsRef<str>],
    written: impl IntoIterator<Item = (Uuid, &'a P, Option<&'a [String]>)>,
) -> Vec<Change<'a, P>> {
    written
        .into_iter()
        .map(|(id, payload, changed)| match changed {
            None => Change::new(
                resource_type,
                id,
                events[0],
                payload,
                all_fields.iter().map(|f| f.as_ref().to_owned()).collect(),
            ),
            Some(fields) => Change::new(resource_type, id, events[1], payload, fields.to_vec()),
        })
        .collect()
}

/// [`record`] for many changes of one call (a ranking that moves a thousand accounts' tiers), in
/// multi-row inserts rather than two statements per change.
pub async fn record_many<P: Serialize>(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    changes: Vec<Change<'_, P>>,
) -> Result<()> {
    write_all(txn, &Author::of(ctx), changes).await
}

/// The audit rows and events of many changes, built but not written: building them (thousands of
/// payloads serialized) is work a caller can do while the database runs its own statements.
pub struct Prepared {
    entries: Vec<Vec<Value>>,
    events: Vec<Vec<Value>>,
}

/// Builds what [`record_many`] writes, to be written by [`write_prepared`].
pub fn prepare_many<P: Serialize>(ctx: &RequestContext, changes: Vec<Change<'_, P>>) -> Prepared {
    prepare(&Author::of(ctx), changes)
}

/// Writes what [`prepare_many`] built.
pub async fn write_prepared(txn: &impl ConnectionTrait, prepared: Prepared) -> Result<()> {
    AUDIT_ENTRIES.insert(txn, prepared.entries).await?;
    OUTBOX_EVENTS.insert(txn, prepared.events).await?;
    Ok(())
}

/// Writes the audit rows and events of `changes` in bulk (`crate::bulk`): two statements on PostgreSQL
/// however many changes, a chunked few on SQLite.
async fn write_all<P: Serialize>(
    txn: &impl ConnectionTrait,
    author: &Author,
    changes: Vec<Change<'_, P>>,
) -> Result<()> {
    write_prepared(txn, prepare(author, changes)).await
}

fn prepare<P: Serialize>(author: &Author, changes: Vec<Change<'_, P>>) -> Prepared {
    let now = Utc::now();
    let mut entries = Vec::with_capacity(changes.len());
    let mut events = Vec::with_capacity(changes.len());
    for change in &changes {
        entries.push(vec![
            Uuid::now_v7().into(),
            now.into(),
            author.principal.clone().into(),
            author.credential.clone().into(),
            author.method.clone().into(),
            change.resource_type.into(),
            change.resource_id.to_string().into(),
            serde_json::to_string(&change.changed_fields)
                .expect("field names always serialize")
                .into(),
            author.request_id.into(),
        ]);
        // Written as JSON text: a document tree would only be built to be printed again (and, on
        // SQLite, deep-copied on the way to the statement).
        let payload = serde_json::to_string(change.payload).expect("domain payloads always serialize");
        let account_id = account_of(change.resource_type, change.resource_id, &payload);
        events.push(vec![
            now.into(),
            change.event_type.into(),
            change.resource_type.into(),
            change.resource_id.to_string().into(),
            payload.into(),
            account_id.into(),
        ]);
    }
    Prepared { entries, events }
}

/// The account an event concerns: the resource itself for an account (or its tier and override), else
/// the `account_id` its payload names (contacts, team seats, opportunities, service requests, plans,
/// actions, interactions); `None` for what belongs to no one account (staff, policies, revenue batches).
fn account_of(resource_type: &str, resource_id: Uuid, payload: &str) -> Option<Uuid> {
    if resource_type == "account" || resource_type == "tier_override" {
        return Some(resource_id);
    }
    /// The one field read of a payload (domain structs name it `account_id`, proto JSON `accountId`).
    #[derive(serde::Deserialize)]
    struct Owner {
        #[serde(alias = "accountId")]
        account_id: Option<String>,
    }
    serde_json::from_str::<Owner>(payload)
        .ok()?
        .account_id?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_import_records_creations_with_every_field_and_updates_with_theirs() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let changed = vec!["region".to_owned()];
        let written = [(a, &1, None), (b, &2, Some(changed.as_slice()))];
        let changes = imported(
            "account",
            ["AccountCreated", "AccountUpdated"],
            &["name", "region"],
            written,
        );
        let summary: Vec<_> = changes
            .iter()
            .map(|c| (c.resource_id, c.event_type, c.changed_fields.clone(), *c.payload))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    a,
                    "AccountCreated",
                    vec!["name".to_owned(), "region".to_owned()],
                    1
                ),
                (b, "AccountUpdated", vec!["region".to_owned()], 2),
            ]
        );
    }

    #[test]
    fn an_event_concerns_the_account_it_names() {
        let account = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert_eq!(account_of("account", account, "{}"), Some(account));
        assert_eq!(account_of("tier_override", account, "{}"), Some(account));
        let contact = json!({"id": other.to_string(), "account_id": account.to_string()});
        assert_eq!(account_of("contact", other, &contact.to_string()), Some(account));
        let proto_json = json!({"accountId": account.to_string()});
        assert_eq!(
            account_of("opportunity", other, &proto_json.to_string()),
            Some(account)
        );
        assert_eq!(
            account_of("staff", other, &json!({"department_id": "x"}).to_string()),
            None
        );
        assert_eq!(
            account_of("contact", other, &json!({"account_id": "not a uuid"}).to_string()),
            None
        );
        assert_eq!(account_of("revenue_record", other, "[1, 2]"), None);
    }
}
