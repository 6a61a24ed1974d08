//! A change-feed client for the tests: `ListChanges` followed to the end, or until what a test waits
//! for has come, and what a client holds after applying the changes.

use std::time::Duration;

use kam_proto::v1::{self as pb, SyncResource, integration_service_client::IntegrationServiceClient};

use crate::Authed;

/// How long a sync waits for changes that must come.
const PATIENCE: Duration = Duration::from_secs(10);

/// Calls ListChanges from `token` until `more` is unset; returns every change and the last token.
pub async fn sync_all(
    channel: Authed,
    resource: SyncResource,
    token: &str,
    page_size: i32,
) -> (Vec<pb::ResourceChange>, String) {
    let (mut changes, mut token) = (Vec::new(), token.to_owned());
    loop {
        let page = IntegrationServiceClient::new(channel.clone())
            .list_changes(pb::ListChangesRequest {
                resource_type: resource as i32,
                sync_token: token.clone(),
                page_size,
            })
            .await
            .expect("list changes")
            .into_inner();
        changes.extend(page.changes);
        token = page.next_sync_token;
        if !page.more {
            return (changes, token);
        }
    }
}

/// Syncs, again and again from each new token, until the changes received satisfy `done` (panics after
/// ten seconds). On PostgreSQL the feed holds changes back while any older transaction of the cluster
/// runs (other tests' too), so what was just written may come a call or two later.
pub async fn sync_until(
    channel: Authed,
    resource: SyncResource,
    token: &str,
    page_size: i32,
    done: impl Fn(&[pb::ResourceChange]) -> bool,
) -> (Vec<pb::ResourceChange>, String) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (mut changes, mut token) = (Vec::new(), token.to_owned());
    loop {
        let (more, next) = sync_all(channel.clone(), resource, &token, page_size).await;
        changes.extend(more);
        token = next;
        if done(&changes) {
            return (changes, token);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the changes never came: {:?}",
            ids(&changes)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// (id, deleted) of each change.
pub fn ids(changes: &[pb::ResourceChange]) -> Vec<(String, bool)> {
    changes.iter().map(|c| (c.id.clone(), c.deleted)).collect()
}

/// What a client holds after applying `changes` in order, as upserts by id: (id, deleted), in the
/// order of each id's last change.
pub fn applied(changes: &[pb::ResourceChange]) -> Vec<(String, bool)> {
    let mut held: Vec<(String, bool)> = Vec::new();
    for change in ids(changes) {
        held.retain(|(id, _)| *id != change.0);
        held.push(change);
    }
    held
}

/// Whether `id` came at all.
pub fn has(id: &str) -> impl Fn(&[pb::ResourceChange]) -> bool + '_ {
    move |changes| changes.iter().any(|c| c.id == id)
}

/// Whether the last change of `id` is a tombstone.
pub fn tombstone(id: &str) -> impl Fn(&[pb::ResourceChange]) -> bool + '_ {
    move |changes| applied(changes).contains(&(id.to_owned(), true))
}
