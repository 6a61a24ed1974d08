//! The audit trail and the domain-event outbox. Every mutation calls [`record`] inside its own
//! transaction, so the change, who made it and the event announcing it commit together or not at all.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use crate::platform::{
    bulk::{Columns, Kind},
    error::Result,
    events::{self, Payload},
    request::RequestContext,
};

/// One mutation of one resource, and the event announcing it.
pub struct Change {
    /// e.g. `account`.
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    /// The account the change concerns (the resource itself for an account): a MEMBER's stream shows
    /// the event when the account is one of theirs. `None` for what belongs to no one account (staff,
    /// policies, revenue batches), shown only to those who see every account.
    pub account_id: Option<Uuid>,
    /// The event: its variant names it, its message is the payload.
    pub event: Payload,
    /// The field paths written (for a create: every field given).
    pub changed_fields: Vec<String>,
    /// The resource's id when it is not a UUID (a segment's code, see [`Change::keyed`]); written
    /// instead of `resource_id`.
    pub resource_key: Option<String>,
}

impl Change {
    pub fn new(
        resource_type: &'static str,
        resource_id: Uuid,
        account_id: Option<Uuid>,
        event: Payload,
        changed_fields: Vec<String>,
    ) -> Self {
        Self {
            resource_type,
            resource_id,
            account_id,
            event,
            changed_fields,
            resource_key: None,
        }
    }

    /// A change of a resource whose id is a key rather than a UUID (an industry's code): the audit row
    /// and the event name it by that key.
    pub fn keyed(
        resource_type: &'static str,
        key: impl Into<String>,
        account_id: Option<Uuid>,
        event: Payload,
        changed_fields: Vec<String>,
    ) -> Self {
        Self {
            resource_key: Some(key.into()),
            ..Self::new(resource_type, Uuid::nil(), account_id, event, changed_fields)
        }
    }

    /// The id the audit row and the event name.
    fn id_text(&self) -> String {
        self.resource_key
            .clone()
            .unwrap_or_else(|| self.resource_id.to_string())
    }
}

/// Writes the audit row and the outbox event of `change`.
pub async fn record(txn: &impl ConnectionTrait, ctx: &RequestContext, change: Change) -> Result<()> {
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
pub async fn record_system(txn: &impl ConnectionTrait, actor: &SystemActor, change: Change) -> Result<()> {
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

async fn write(txn: &impl ConnectionTrait, author: Author, change: Change) -> Result<()> {
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
        ("payload_version", Kind::SmallInt),
        ("changed_fields", Kind::Json),
    ],
};

/// One resource an import wrote: its id, its account, the event payload's message, and the fields
/// it changed (`None` for a creation).
pub type Imported<'a, M> = (Uuid, Option<Uuid>, M, Option<&'a [String]>);

/// The changes an import batch records, one a resource it wrote: a creation (event `events[0]`,
/// naming `all_fields`) when no changed fields are given, else an update (`events[1]`, naming them).
pub fn imported<'a, M>(
    resource_type: &'static str,
    events: [fn(M) -> Payload; 2],
    all_fields: &[impl AsRef<str>],
    written: impl IntoIterator<Item = Imported<'a, M>>,
) -> Vec<Change> {
    let [created, updated] = events;
    written
        .into_iter()
        .map(|(id, account_id, message, changed)| match changed {
            None => Change::new(
                resource_type,
                id,
                account_id,
                created(message),
                all_fields.iter().map(|f| f.as_ref().to_owned()).collect(),
            ),
            Some(fields) => Change::new(resource_type, id, account_id, updated(message), fields.to_vec()),
        })
        .collect()
}

/// [`record`] for many changes of one call (a ranking that moves a thousand accounts' tiers), in
/// multi-row inserts rather than two statements per change.
pub async fn record_many(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    changes: Vec<Change>,
) -> Result<()> {
    write_all(txn, &Author::of(ctx), changes).await
}

/// The audit rows and events of many changes, built but not written: building them (thousands of
/// payloads serialized) is work a caller can do while the database runs its own statements.
pub struct Prepared {
    entries: Vec<Vec<Value>>,
    events: Vec<Vec<Value>>,
}

/// Builds what [`record_many`] writes of the `changes` a closure makes, on a thread of its own, to be
/// written by [`write_prepared`]: the future is ready when they are built. A caller writing thousands
/// of rows meanwhile has them built on the other core.
pub fn prepare_apart<F>(ctx: &RequestContext, changes: F) -> impl Future<Output = Prepared> + Send + use<F>
where
    F: FnOnce() -> Vec<Change> + Send + 'static,
{
    let author = Author::of(ctx);
    let building = tokio::task::spawn_blocking(move || prepare(&author, changes()));
    async move {
        building
            .await
            .unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
    }
}

/// Writes what [`prepare_apart`] built.
pub async fn write_prepared(txn: &impl ConnectionTrait, prepared: Prepared) -> Result<()> {
    AUDIT_ENTRIES.insert(txn, prepared.entries).await?;
    OUTBOX_EVENTS.insert(txn, prepared.events).await?;
    Ok(())
}

/// Writes the audit rows and events of `changes` in bulk (`crate::platform::bulk`): two statements on PostgreSQL
/// however many changes, a chunked few on SQLite.
async fn write_all(txn: &impl ConnectionTrait, author: &Author, changes: Vec<Change>) -> Result<()> {
    write_prepared(txn, prepare(author, changes)).await
}

fn prepare(author: &Author, changes: Vec<Change>) -> Prepared {
    let now = Utc::now();
    let mut entries = Vec::with_capacity(changes.len());
    let mut outbox = Vec::with_capacity(changes.len());
    // An import's creations all name the same fields: their JSON is written once and copied.
    let mut last_fields: Option<(&[String], String)> = None;
    for change in &changes {
        let changed_fields = match &last_fields {
            Some((fields, json)) if *fields == change.changed_fields.as_slice() => json.clone(),
            _ => {
                let json =
                    serde_json::to_string(&change.changed_fields).expect("field names always serialize");
                last_fields = Some((&change.changed_fields, json.clone()));
                json
            }
        };
        let id_text = change.id_text();
        entries.push(vec![
            Uuid::now_v7().into(),
            now.into(),
            author.principal.clone().into(),
            author.credential.clone().into(),
            author.method.clone().into(),
            change.resource_type.into(),
            id_text.clone().into(),
            changed_fields.clone().into(),
            author.request_id.into(),
        ]);
        let event = events::encode(&change.event);
        outbox.push(vec![
            now.into(),
            event.event_type.into(),
            change.resource_type.into(),
            id_text.into(),
            // Written as JSON text: a document tree would only be built to be printed again (and, on
            // SQLite, deep-copied on the way to the statement).
            event.payload_json.into(),
            change.account_id.into(),
            events::PUBLIC_PAYLOAD.into(),
            changed_fields.into(),
        ]);
    }
    Prepared {
        entries,
        events: outbox,
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1 as pb;

    use super::*;

    #[test]
    fn an_import_records_creations_with_every_field_and_updates_with_theirs() {
        let (a, b, account) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let changed = vec!["title".to_owned()];
        let contact = |name: &str| pb::Contact {
            full_name: name.into(),
            ..Default::default()
        };
        let written = [
            (a, Some(account), contact("new"), None),
            (b, Some(account), contact("old"), Some(changed.as_slice())),
        ];
        let changes = imported(
            "contact",
            [Payload::ContactCreated, Payload::ContactUpdated],
            &["full_name", "title"],
            written,
        );
        let summary: Vec<_> = changes
            .into_iter()
            .map(|c| (c.resource_id, c.account_id, c.event, c.changed_fields))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    a,
                    Some(account),
                    Payload::ContactCreated(contact("new")),
                    vec!["full_name".to_owned(), "title".to_owned()],
                ),
                (
                    b,
                    Some(account),
                    Payload::ContactUpdated(contact("old")),
                    vec!["title".to_owned()]
                ),
            ]
        );
    }
}
