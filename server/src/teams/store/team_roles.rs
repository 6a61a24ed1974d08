//! Team roles as a handover area: the seats a person holds on account teams.

use std::collections::{BTreeSet, HashMap};

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{
    active_members_of_staff,
    members::{active_seat_counts, end_membership, insert_seat},
    person_of, seats_of_accounts, staff_row,
};
use crate::{
    error::Result,
    teams::{
        handover::{AreaHandover, HandoverScope, Moved, ResponsibilityArea},
        rules::plan_seat_handover,
    },
};

pub struct TeamRoles;

#[async_trait::async_trait]
impl ResponsibilityArea for TeamRoles {
    fn name(&self) -> &'static str {
        "team_roles"
    }

    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        Ok(active_members_of_staff(txn, staff)
            .await?
            .into_iter()
            .map(|m| m.account_id)
            .collect())
    }

    async fn open_items(&self, txn: &DatabaseTransaction, staff: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
        Ok(active_seat_counts(txn, staff).await?.into_iter().collect())
    }

    async fn hand_over(&self, txn: &DatabaseTransaction, scope: &HandoverScope) -> Result<AreaHandover> {
        let receiver_row = staff_row(txn, scope.to).await?;
        let receiver = person_of(txn, &receiver_row).await?;
        let teams = seats_of_accounts(txn, &scope.accounts).await?;
        let plan = plan_seat_handover(
            scope.from,
            &receiver,
            receiver_row.department_id,
            &scope.accounts,
            &teams,
            Uuid::now_v7,
        );
        let apply = !scope.dry_run && plan.breaks.is_empty();
        let mut moves = Vec::with_capacity(plan.moves.len());
        for planned in &plan.moves {
            if apply {
                // End first: the new seat may be the account's one manager or one liaison.
                end_membership(txn, planned.old.membership_id, &scope.reason).await?;
                insert_seat(txn, planned.account_id, &planned.new).await?;
            }
            moves.push(Moved {
                area: self.name(),
                account_id: planned.account_id,
                item_id: planned.old.membership_id,
                description: planned.old.role.as_str().to_owned(),
                new_item_id: apply.then_some(planned.new.membership_id),
            });
        }
        Ok(AreaHandover {
            moves,
            breaks: plan.breaks,
        })
    }
}
