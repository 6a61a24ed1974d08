//! Service-request assignments as a handover area: the open requests a person is assigned
//! move with their accounts, count in their workload, and keep them from being deactivated.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{evaluation::evaluated, request_change};
use crate::{
    platform::{audit, db::now, error::Result, events::Payload, request::RequestContext},
    service_levels::model::RequestStatus,
    service_levels::store::entity::service_request,
    teams::handover::{AreaHandover, HandoverScope, Moved, ResponsibilityArea},
};

pub struct ServiceRequestAssignments;

/// RESOLVED, CLOSED and CANCELLED: no longer anyone's work (a reopened request is open again and
/// comes back with its assignee).
const DONE: [RequestStatus; 3] = [
    RequestStatus::Resolved,
    RequestStatus::Closed,
    RequestStatus::Cancelled,
];

/// The open requests assigned to `staff`.
fn open_assigned_to(staff: Uuid) -> Condition {
    Condition::all()
        .add(service_request::Column::AssigneeStaffId.eq(staff))
        .add(service_request::Column::Status.is_not_in(DONE.map(|s| s.as_str())))
}

/// The open requests a handover moves.
fn handed_over(scope: &HandoverScope) -> Condition {
    open_assigned_to(scope.from).add(service_request::Column::AccountId.is_in(scope.accounts.iter().copied()))
}

/// Gives the open requests a handover moves their new assignee, records a ServiceRequestUpdated for
/// each, and returns them as moved, in id order. A leaver may hold hundreds of tickets: one statement
/// moves them all and answers them as written, and the events are written in bulk; only evaluating
/// their SLA for the payloads reads a little more (`evaluated`: histories and calendars).
async fn reassign(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    scope: &HandoverScope,
) -> Result<Vec<service_request::Model>> {
    let at = now();
    let mut moved = service_request::Entity::update_many()
        .col_expr(service_request::Column::AssigneeStaffId, Expr::value(scope.to))
        .col_expr(service_request::Column::UpdateTime, Expr::value(at))
        .col_expr(
            service_request::Column::Revision,
            Expr::col(service_request::Column::Revision).add(1),
        )
        .filter(handed_over(scope))
        .exec_with_returning(txn)
        .await?;
    if moved.is_empty() {
        // Nothing to evaluate: spare the queue of SLA evaluations (`off_the_workers`).
        return Ok(moved);
    }
    moved.sort_by_key(|request| request.id);
    let changes = evaluated(txn, moved.clone(), at)
        .await?
        .iter()
        .map(|request| {
            request_change(
                request,
                Payload::ServiceRequestUpdated,
                vec!["assignee_staff_id".to_owned()],
            )
        })
        .collect();
    audit::record_many(txn, ctx, changes).await?;
    Ok(moved)
}

#[async_trait::async_trait]
impl ResponsibilityArea for ServiceRequestAssignments {
    fn name(&self) -> &'static str {
        "service_requests"
    }

    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        let accounts: Vec<Uuid> = service_request::Entity::find()
            .filter(open_assigned_to(staff))
            .select_only()
            .column(service_request::Column::AccountId)
            .distinct()
            .into_tuple()
            .all(txn)
            .await?;
        Ok(accounts.into_iter().collect())
    }

    async fn open_items(&self, txn: &DatabaseTransaction, staff: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
        let counts: Vec<(Uuid, i64)> = service_request::Entity::find()
            .select_only()
            .column(service_request::Column::AssigneeStaffId)
            .column_as(service_request::Column::Id.count(), "open")
            .filter(service_request::Column::AssigneeStaffId.is_in(staff.iter().copied()))
            .filter(service_request::Column::Status.is_not_in(DONE.map(|s| s.as_str())))
            .group_by(service_request::Column::AssigneeStaffId)
            .into_tuple()
            .all(txn)
            .await?;
        Ok(counts.into_iter().collect())
    }

    /// Every open request assigned to `from` on the handed-over accounts gets `to` as assignee. The
    /// SLA does not change (the clock does not care who works the request); the revision does, so a
    /// client holding the old etag learns of the move, and each request moved is announced as
    /// ServiceRequestUpdated.
    async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover> {
        let requests = if scope.dry_run {
            service_request::Entity::find()
                .filter(handed_over(scope))
                .order_by_asc(service_request::Column::Id)
                .all(txn)
                .await?
        } else {
            reassign(txn, ctx, scope).await?
        };
        let moves = requests
            .into_iter()
            .map(|request| Moved {
                area: self.name(),
                account_id: request.account_id,
                item_id: request.id,
                description: format!(
                    "{} ({}, {}): assignee",
                    request.title, request.priority, request.status
                ),
                new_item_id: None,
            })
            .collect();
        Ok(AreaHandover {
            moves,
            breaks: Vec::new(),
        })
    }
}
