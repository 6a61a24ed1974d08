//! Opportunity ownership as a handover area: the open deals a person owns (or works as stage owner) move
//! with their accounts, count in their workload, and keep them from being deactivated.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{opportunities::with_pipelines, opportunity_change};
use crate::{
    opportunities::store::entity::opportunity,
    platform::{audit, db::now, error::Result, events::Payload, request::RequestContext},
    teams,
    teams::handover::{AreaHandover, HandoverScope, Moved, ResponsibilityArea},
};

pub struct OpportunityOwnership;

impl OpportunityOwnership {
    /// Open deals `staff` owns or works as stage owner.
    fn open_held_by(staff: Uuid) -> sea_orm::Select<opportunity::Entity> {
        opportunity::Entity::find()
            .filter(
                Condition::any()
                    .add(opportunity::Column::OwnerStaffId.eq(staff))
                    .add(opportunity::Column::StageOwnerStaffId.eq(staff)),
            )
            .filter(opportunity::Column::Outcome.is_null())
    }
}

#[async_trait::async_trait]
impl ResponsibilityArea for OpportunityOwnership {
    fn name(&self) -> &'static str {
        "opportunities"
    }

    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        let accounts: Vec<Uuid> = Self::open_held_by(staff)
            .select_only()
            .column(opportunity::Column::AccountId)
            .distinct()
            .into_tuple()
            .all(txn)
            .await?;
        Ok(accounts.into_iter().collect())
    }

    /// Open deals held as owner or as stage owner (a deal both owned and stage-owned counts once).
    async fn open_items(&self, txn: &DatabaseTransaction, staff: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
        let owned: Vec<(Uuid, i64)> = opportunity::Entity::find()
            .select_only()
            .column(opportunity::Column::OwnerStaffId)
            .column_as(opportunity::Column::Id.count(), "open")
            .filter(opportunity::Column::OwnerStaffId.is_in(staff.iter().copied()))
            .filter(opportunity::Column::Outcome.is_null())
            .group_by(opportunity::Column::OwnerStaffId)
            .into_tuple()
            .all(txn)
            .await?;
        let stage_owned: Vec<(Uuid, i64)> = opportunity::Entity::find()
            .select_only()
            .column(opportunity::Column::StageOwnerStaffId)
            .column_as(opportunity::Column::Id.count(), "open")
            .filter(opportunity::Column::StageOwnerStaffId.is_in(staff.iter().copied()))
            .filter(
                opportunity::Column::StageOwnerStaffId
                    .into_expr()
                    .ne(opportunity::Column::OwnerStaffId.into_expr()),
            )
            .filter(opportunity::Column::Outcome.is_null())
            .group_by(opportunity::Column::StageOwnerStaffId)
            .into_tuple()
            .all(txn)
            .await?;
        let mut counts = HashMap::new();
        for (person, held) in owned.into_iter().chain(stage_owned) {
            *counts.entry(person).or_insert(0) += held;
        }
        Ok(counts)
    }

    /// Every open deal `from` holds on the handed-over accounts moves: ownership always (any active
    /// person may own a deal); stage ownership only to a specialist of the deal's stage, else it is
    /// cleared and the move says so. Each deal moved is announced as OpportunityUpdated, naming the
    /// owner fields written.
    async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover> {
        let deals = Self::open_held_by(scope.from)
            .filter(opportunity::Column::AccountId.is_in(scope.accounts.iter().copied()))
            .all(txn)
            .await?;
        let receiver_stages = teams::store::stage_specialties(txn, scope.to).await?;
        let mut moves = Vec::with_capacity(deals.len());
        let (mut saved, mut written) = (Vec::new(), Vec::new());
        for deal in deals {
            let mut change = opportunity::ActiveModel {
                id: Set(deal.id),
                update_time: Set(now()),
                revision: Set(deal.revision + 1),
                ..Default::default()
            };
            let (mut what, mut fields) = (Vec::new(), Vec::new());
            if deal.owner_staff_id == scope.from {
                change.owner_staff_id = Set(scope.to);
                what.push("owner".to_owned());
                fields.push("owner_staff_id".to_owned());
            }
            if deal.stage_owner_staff_id == Some(scope.from) {
                if receiver_stages.contains(&deal.stage) {
                    change.stage_owner_staff_id = Set(Some(scope.to));
                    what.push(format!("stage owner of {}", deal.stage));
                } else {
                    change.stage_owner_staff_id = Set(None);
                    what.push(format!(
                        "stage owner of {} cleared (the receiver does not specialise in it)",
                        deal.stage
                    ));
                }
                fields.push("stage_owner_staff_id".to_owned());
            }
            moves.push(Moved {
                area: self.name(),
                account_id: deal.account_id,
                item_id: deal.id,
                description: format!("{}: {}", deal.display_name, what.join(", ")),
                new_item_id: None,
            });
            if !scope.dry_run {
                saved.push(opportunity::Entity::update(change).exec(txn).await?);
                written.push(fields);
            }
        }
        if !saved.is_empty() {
            let changes = with_pipelines(txn, saved)
                .await?
                .iter()
                .zip(written)
                .map(|(deal, fields)| opportunity_change(deal, Payload::OpportunityUpdated, fields))
                .collect();
            audit::record_many(txn, ctx, changes).await?;
        }
        Ok(AreaHandover {
            moves,
            breaks: Vec::new(),
        })
    }
}
