//! Service-request assignments as a handover area (DESIGN 4.2): the open requests a person is assigned
//! move with their accounts, count in their workload, and keep them from being deactivated.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    db::now,
    entity::service_request,
    error::Result,
    service_levels::model::RequestStatus,
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

impl ServiceRequestAssignments {
    fn open_assigned_to(staff: Uuid) -> sea_orm::Select<service_request::Entity> {
        service_request::Entity::find()
            .filter(service_request::Column::AssigneeStaffId.eq(staff))
            .filter(service_request::Column::Status.is_not_in(DONE.map(|s| s.as_str())))
    }
}

#[async_trait::async_trait]
impl ResponsibilityArea for ServiceRequestAssignments {
    fn name(&self) -> &'static str {
        "service_requests"
    }

    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        let accounts: Vec<Uuid> = Self::open_assigned_to(staff)
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
    /// client holding the old etag learns of the move.
    async fn hand_over(&self, txn: &DatabaseTransaction, scope: &HandoverScope) -> Result<AreaHandover> {
        let requests = Self::open_assigned_to(scope.from)
            .filter(service_request::Column::AccountId.is_in(scope.accounts.iter().copied()))
            .order_by_asc(service_request::Column::Id)
            .all(txn)
            .await?;
        let mut moves = Vec::with_capacity(requests.len());
        for request in requests {
            if !scope.dry_run {
                service_request::Entity::update(service_request::ActiveModel {
                    id: Set(request.id),
                    assignee_staff_id: Set(Some(scope.to)),
                    update_time: Set(now()),
                    revision: Set(request.revision + 1),
                    ..Default::default()
                })
                .exec(txn)
                .await?;
            }
            moves.push(Moved {
                area: self.name(),
                account_id: request.account_id,
                item_id: request.id,
                description: format!(
                    "{} ({}, {}): assignee",
                    request.title, request.priority, request.status
                ),
                new_item_id: None,
            });
        }
        Ok(AreaHandover {
            moves,
            breaks: Vec::new(),
        })
    }
}
