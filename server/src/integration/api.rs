//! `kam.v1.IntegrationService`: the event stream (a task per open stream, reading the feed) and the
//! change feed.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use futures::Stream;
use kam_proto::v1::{
    self as pb, integration_service_server::IntegrationService, watch_events_request::Start,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::feed::{self, EventFilter, FeedBatch, FeedPosition, event_to_proto};
use super::import::{
    AccountImporter, ContactImporter, ImportTally, OpportunityImporter, RequestImporter, RevenueImporter,
    import_stream,
};
use super::streams::{StreamCredential, StreamSlot, StreamSlots};
use super::sync::{self, ChangedResource, CurrentState, SyncResource, SyncToken};
use crate::{
    accounts::convert::{account_to_proto, contact_to_proto},
    config::IntegrationConfig,
    identity::{
        Visibility,
        gate::Gate,
        permissions::{self, Permission},
    },
    opportunities::convert::opportunity_to_proto,
    planning::convert::{
        action_to_proto, interaction_to_proto, plan_to_proto, revenue_to_proto, tier_change_to_proto,
    },
    platform::{
        db::{Db, now},
        error::{Error, Result},
        fields::texts,
        request::RequestContext,
        wire::timestamp,
    },
    service_levels::convert::request_to_proto,
    teams::convert::{member_to_proto, staff_to_proto},
};

/// Events per response unless the caller asks otherwise, and at most.
const DEFAULT_BATCH: i32 = 100;
const MAX_BATCH: i32 = 1000;
/// Responses buffered per stream before the reader waits for the client.
const STREAM_BUFFER: usize = 4;
/// Changes read per `ListChanges` call unless the caller asks otherwise, and at most.
const DEFAULT_CHANGES: i32 = 100;
const MAX_CHANGES: i32 = 500;

pub struct IntegrationApi {
    db: Db,
    config: IntegrationConfig,
    /// The one currency revenue is imported in (`planning.reporting_currency`).
    reporting_currency: String,
    /// Turns true when the server begins to shut down: open streams end then.
    shutdown: watch::Receiver<bool>,
    /// Open streams re-check their credentials through it.
    gate: Arc<Gate>,
    slots: Arc<StreamSlots>,
}

impl IntegrationApi {
    pub fn new(
        db: Db,
        config: IntegrationConfig,
        reporting_currency: String,
        shutdown: watch::Receiver<bool>,
        gate: Arc<Gate>,
    ) -> Self {
        let slots = StreamSlots::new(config.max_streams_per_principal);
        Self {
            db,
            config,
            reporting_currency,
            shutdown,
            gate,
            slots,
        }
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::WatchEventsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl IntegrationService for IntegrationApi {
    type WatchEventsStream = EventStream;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let pb::WatchEventsRequest {
            cursor,
            start,
            event_types,
            resource_types,
            batch_size,
        } = request.into_inner();
        let batch = match batch_size {
            0 => DEFAULT_BATCH,
            1..=MAX_BATCH => batch_size,
            _ => return Err(Error::invalid("batch_size", format!("must be 1 to {MAX_BATCH}")).into()),
        };
        crate::platform::wire::bounded_list("event_types", &event_types)?;
        crate::platform::wire::bounded_list("resource_types", &resource_types)?;
        let event_types = texts("event_types", &event_types, 200)?;
        let resource_types = texts("resource_types", &resource_types, 200)?;
        let from = if cursor.is_empty() {
            match Start::try_from(start) {
                Ok(Start::Unspecified | Start::Now) => feed::current_position(&self.db).await?,
                Ok(Start::Earliest) => FeedPosition::START,
                Err(_) => return Err(Error::invalid("start", "unknown value").into()),
            }
        } else {
            feed::require_kept(self.db.conn(), FeedPosition::from_cursor(&cursor, "cursor")?).await?
        };
        let slot = self.slots.take(ctx.principal.staff_id)?;
        let identity_events = permissions::scope_of(&ctx.principal.roles, Permission::ReadAudit).is_some();
        let watcher = Watcher {
            db: self.db.clone(),
            filter: EventFilter {
                event_types: event_types.into_iter().collect(),
                resource_types: resource_types.into_iter().collect(),
                identity_events,
            },
            visibility: ctx.visibility(),
            batch: batch as u64,
            poll: Duration::from_millis(self.config.watch_poll_millis),
            shutdown: self.shutdown.clone(),
            credential: StreamCredential::new(Arc::clone(&self.gate), header, ctx.method, ctx.principal),
            _slot: slot,
        };
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(watcher.run(from, sender));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn list_changes(
        &self,
        request: Request<pb::ListChangesRequest>,
    ) -> Result<Response<pb::ListChangesResponse>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListChangesRequest {
            resource_type,
            sync_token,
            page_size,
        } = request.into_inner();
        let resource = sync_resource(resource_type)?;
        let page_size = match page_size {
            0 => DEFAULT_CHANGES,
            1..=MAX_CHANGES => page_size,
            _ => return Err(Error::invalid("page_size", format!("must be 1 to {MAX_CHANGES}")).into()),
        };
        let at = now();
        let from = match sync_token.is_empty() {
            true => None,
            false => {
                let retention = self.config.sync_token_retention_days;
                Some(SyncToken::decode(&sync_token, resource, at, retention)?.from)
            }
        };
        let page = sync::list_changes(&self.db, ctx.visibility(), resource, from, page_size as u64).await?;
        let next = SyncToken {
            resource,
            from: page.next,
            issue_time: DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at),
        };
        Ok(Response::new(pb::ListChangesResponse {
            changes: page.changes.into_iter().map(change_to_proto).collect(),
            next_sync_token: next.encode(),
            more: page.more,
        }))
    }

    async fn import_revenue(
        &self,
        request: Request<Streaming<pb::ImportRevenueRequest>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let importer = RevenueImporter::new(&self.db, &ctx, &self.reporting_currency);
        let tally = import_stream(&importer, request.into_inner()).await?;
        Ok(Response::new(summary_to_proto(tally)))
    }

    async fn import_accounts(
        &self,
        request: Request<Streaming<pb::ImportAccountsRequest>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let importer = AccountImporter {
            db: &self.db,
            ctx: &ctx,
        };
        let tally = import_stream(&importer, request.into_inner()).await?;
        Ok(Response::new(summary_to_proto(tally)))
    }

    async fn import_opportunities(
        &self,
        request: Request<Streaming<pb::ImportOpportunitiesRequest>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let importer = OpportunityImporter {
            db: &self.db,
            ctx: &ctx,
        };
        let tally = import_stream(&importer, request.into_inner()).await?;
        Ok(Response::new(summary_to_proto(tally)))
    }

    async fn import_service_requests(
        &self,
        request: Request<Streaming<pb::ImportServiceRequestsRequest>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let importer = RequestImporter {
            db: &self.db,
            ctx: &ctx,
            open_time_horizon_days: self.config.open_time_horizon_days,
        };
        let tally = import_stream(&importer, request.into_inner()).await?;
        Ok(Response::new(summary_to_proto(tally)))
    }

    async fn import_contacts(
        &self,
        request: Request<Streaming<pb::ImportContactsRequest>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let ctx = RequestContext::from_request(&request)?;
        let importer = ContactImporter {
            db: &self.db,
            ctx: &ctx,
        };
        let tally = import_stream(&importer, request.into_inner()).await?;
        Ok(Response::new(summary_to_proto(tally)))
    }
}

fn summary_to_proto(tally: ImportTally) -> pb::ImportSummary {
    pb::ImportSummary {
        created: tally.created as i64,
        updated: tally.updated as i64,
        unchanged: tally.unchanged as i64,
        failed: tally.failed as i64,
        errors: tally
            .errors
            .into_iter()
            .map(|error| pb::ImportRowError {
                index: error.index as i64,
                external_id: error.external_id,
                code: error.refusal.code.to_owned(),
                field: error.refusal.field,
                description: error.refusal.description,
            })
            .collect(),
    }
}

fn sync_resource(value: i32) -> Result<SyncResource> {
    match pb::SyncResource::try_from(value) {
        Ok(pb::SyncResource::Accounts) => Ok(SyncResource::Accounts),
        Ok(pb::SyncResource::Contacts) => Ok(SyncResource::Contacts),
        Ok(pb::SyncResource::Opportunities) => Ok(SyncResource::Opportunities),
        Ok(pb::SyncResource::ServiceRequests) => Ok(SyncResource::ServiceRequests),
        Ok(pb::SyncResource::PlanActions) => Ok(SyncResource::PlanActions),
        Ok(pb::SyncResource::Interactions) => Ok(SyncResource::Interactions),
        Ok(pb::SyncResource::AccountPlans) => Ok(SyncResource::AccountPlans),
        Ok(pb::SyncResource::TeamMembers) => Ok(SyncResource::TeamMembers),
        Ok(pb::SyncResource::Staff) => Ok(SyncResource::Staff),
        Ok(pb::SyncResource::RevenueRecords) => Ok(SyncResource::RevenueRecords),
        Ok(pb::SyncResource::TierChanges) => Ok(SyncResource::TierChanges),
        Ok(pb::SyncResource::Unspecified) => Err(Error::invalid("resource_type", "required")),
        Err(_) => Err(Error::invalid("resource_type", "unknown value")),
    }
}

fn change_to_proto(change: ChangedResource) -> pb::ResourceChange {
    use pb::resource_change::Resource;
    let (deleted, resource) = match change.current {
        None => (true, None),
        Some(CurrentState::Account(account)) => (
            account.delete_time.is_some(),
            Some(Resource::Account(account_to_proto(account))),
        ),
        Some(CurrentState::Contact(contact)) => (false, Some(Resource::Contact(contact_to_proto(contact)))),
        Some(CurrentState::Opportunity(opportunity)) => (
            false,
            Some(Resource::Opportunity(opportunity_to_proto(opportunity))),
        ),
        Some(CurrentState::ServiceRequest(request)) => {
            (false, Some(Resource::ServiceRequest(request_to_proto(request))))
        }
        Some(CurrentState::PlanAction(action)) => {
            (false, Some(Resource::PlanAction(action_to_proto(action))))
        }
        Some(CurrentState::Interaction(interaction)) => (
            false,
            Some(Resource::Interaction(interaction_to_proto(interaction))),
        ),
        Some(CurrentState::AccountPlan(plan)) => (false, Some(Resource::AccountPlan(plan_to_proto(plan)))),
        Some(CurrentState::TeamMember(seat)) => (false, Some(Resource::TeamMember(member_to_proto(seat)))),
        Some(CurrentState::Staff(staff)) => (false, Some(Resource::Staff(staff_to_proto(staff)))),
        Some(CurrentState::RevenueRecord(record)) => {
            (false, Some(Resource::RevenueRecord(revenue_to_proto(record))))
        }
        Some(CurrentState::TierChange(change)) => {
            (false, Some(Resource::TierChange(tier_change_to_proto(change))))
        }
    };
    pb::ResourceChange {
        id: change.id.to_string(),
        deleted,
        change_time: Some(timestamp(change.change_time)),
        resource,
    }
}

/// One open `WatchEvents` stream: reads the feed from a position and sends what the caller may see.
struct Watcher {
    db: Db,
    filter: EventFilter,
    visibility: Visibility,
    batch: u64,
    poll: Duration,
    shutdown: watch::Receiver<bool>,
    /// The stream ends soon after this stops being good.
    credential: StreamCredential,
    /// Held while the stream runs.
    _slot: StreamSlot,
}

type Sender = mpsc::Sender<Result<pb::WatchEventsResponse, Status>>;

impl Watcher {
    /// Sends batches until the client goes away, the database fails, the credential stops being good or
    /// the server shuts down. When a read finds nothing new it waits `poll` before the next.
    async fn run(mut self, mut position: FeedPosition, sender: Sender) {
        // Whether the client has been told the stream is caught up, since it last was not.
        let mut told_caught_up = false;
        loop {
            if *self.shutdown.borrow() {
                let _ = sender.send(Err(shutting_down(position))).await;
                return;
            }
            if let Err(refused) = self.credential.still_good().await {
                let _ = sender.send(Err(refused.into())).await;
                return;
            }
            let read = self.read(position).await;
            let FeedBatch { events, next, full } = match read {
                Ok(batch) => batch,
                Err(err) => {
                    let _ = sender.send(Err(err.into())).await;
                    return;
                }
            };
            let caught_up = !full;
            if next != position || (caught_up && !told_caught_up) {
                let response = pb::WatchEventsResponse {
                    events: events.into_iter().map(event_to_proto).collect(),
                    cursor: next.to_cursor(),
                    caught_up,
                };
                if sender.send(Ok(response)).await.is_err() {
                    return; // the client went away
                }
                position = next;
                told_caught_up = caught_up;
            }
            if !full {
                // Woken at the credential's expiry at the latest, so the stream ends on time.
                let wait = self
                    .credential
                    .expires_in()
                    .map_or(self.poll, |left| left.min(self.poll));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = sender.closed() => return,
                    _ = self.shutdown.changed() => {}
                }
            }
        }
    }
}

impl Watcher {
    /// The next batch after `position`. A stream filtered by type reads only the events it wants, so
    /// its cursor would stay at the last one it was sent: quiet for longer than the outbox keeps events,
    /// it would be refused as expired though it missed nothing. When such a read reaches the end, the
    /// cursor moves on to the position every event had settled at before the read.
    async fn read(&self, position: FeedPosition) -> Result<FeedBatch> {
        let filtered = !self.filter.event_types.is_empty() || !self.filter.resource_types.is_empty();
        let settled = match filtered {
            true => Some(feed::current_position(&self.db).await?),
            false => None,
        };
        let mut batch =
            feed::read_after(&self.db, position, self.batch, &self.filter, self.visibility).await?;
        if let Some(settled) = settled
            && !batch.full
        {
            batch.next = batch.next.max(settled);
        }
        Ok(batch)
    }
}

/// The end of a stream when the server shuts down: the client resumes elsewhere, or later, from the
/// cursor it last received (also named here).
fn shutting_down(position: FeedPosition) -> Status {
    Status::unavailable(format!(
        "the server is shutting down; resume with cursor {}",
        position.to_cursor()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{entity::outbox_event, events};

    #[test]
    fn a_shutdown_names_where_to_resume() {
        let status = shutting_down(FeedPosition { txid: 0, id: 42 });
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(
            status.message().ends_with("resume with cursor e1-0-42"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn events_carry_their_own_cursor_account_fields_and_typed_payload() {
        let account = uuid::Uuid::now_v7();
        let event = event_to_proto(outbox_event::Model {
            id: 9,
            occurred_at: chrono::Utc::now(),
            event_type: "AccountUpdated".to_owned(),
            resource_type: "account".to_owned(),
            resource_id: account.to_string(),
            // As PostgreSQL's jsonb gives it back: keys reordered.
            payload: serde_json::json!({"region": "East", "displayName": "Acme"}),
            txid: 77,
            account_id: Some(account),
            payload_version: events::PUBLIC_PAYLOAD,
            changed_fields: serde_json::json!(["region"]),
        });
        assert_eq!(event.cursor, "e1-77-9");
        assert_eq!(event.account_id, account.to_string());
        assert_eq!(event.changed_fields, ["region"]);
        let expected = pb::Account {
            display_name: "Acme".into(),
            region: "East".into(),
            ..Default::default()
        };
        assert_eq!(event.payload, Some(pb::event::Payload::AccountUpdated(expected)));
        assert_eq!(
            event.payload_json, r#"{"displayName":"Acme","region":"East"}"#,
            "in the message's field order"
        );
    }

    #[test]
    fn an_event_of_a_type_this_version_does_not_know_keeps_its_stored_json() {
        let event = event_to_proto(outbox_event::Model {
            id: 1,
            occurred_at: chrono::Utc::now(),
            event_type: "AccountTeleported".to_owned(),
            resource_type: "account".to_owned(),
            resource_id: "x".to_owned(),
            payload: serde_json::json!({"to": "Mars"}),
            txid: 0,
            account_id: None,
            payload_version: events::PUBLIC_PAYLOAD,
            changed_fields: serde_json::json!([]),
        });
        assert_eq!(event.payload, None);
        assert_eq!(event.payload_json, r#"{"to":"Mars"}"#);
    }
}
