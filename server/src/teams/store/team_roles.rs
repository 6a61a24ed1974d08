//! Team roles as a handover area: the seats a person holds on account teams.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    TEAM_MEMBER, active_members_of_staff, member_change, member_from_row,
    members::{active_seat_counts, end_membership, insert_seat},
    person_of, seats_of_accounts, staff_row,
};
use crate::{
    platform::{
        audit,
        error::{Error, Result},
        events::Payload,
        request::RequestContext,
    },
    teams::store::entity::team_member,
    teams::{
        handover::{AreaHandover, HandoverScope, Moved, ResponsibilityArea},
        model::TeamMember,
        rules::{SeatMove, plan_seat_handover},
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

    /// Ends each seat of `from` on the handed-over accounts and gives `to` the same seat, each
    /// announced as RemoveTeamMember and AddTeamMember would announce it. Nothing is written when a
    /// rule would break.
    async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover> {
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
        if apply {
            record_moved_seats(txn, ctx, &plan.moves).await?;
        }
        Ok(AreaHandover {
            moves,
            breaks: plan.breaks,
        })
    }
}

/// The fields RemoveTeamMember writes, which a handover writes on the seat it ends.
const ENDED_FIELDS: [&str; 2] = ["end_time", "end_reason"];
/// The fields AddTeamMember is given, which a handover gives the seat it creates.
const ADDED_FIELDS: [&str; 4] = ["account_id", "staff_id", "role", "is_department_liaison"];

/// Records, for each seat moved, TeamMemberRemoved for the ended seat and TeamMemberAdded for the new
/// one, carrying them as written (their times are the database's): read back in a few statements
/// and recorded in bulk, however many seats a leaver held.
async fn record_moved_seats(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    moved: &[SeatMove],
) -> Result<()> {
    let ids: Vec<Uuid> = moved
        .iter()
        .flat_map(|m| [m.old.membership_id, m.new.membership_id])
        .collect();
    let mut seats = members_by_id(txn, &ids).await?;
    let mut seat = |id: Uuid| seats.remove(&id).ok_or_else(|| Error::not_found(TEAM_MEMBER, id));
    let mut changes = Vec::with_capacity(ids.len());
    for m in moved {
        changes.push(member_change(
            &seat(m.old.membership_id)?,
            Payload::TeamMemberRemoved,
            ENDED_FIELDS.map(str::to_owned).to_vec(),
        ));
        changes.push(member_change(
            &seat(m.new.membership_id)?,
            Payload::TeamMemberAdded,
            ADDED_FIELDS.map(str::to_owned).to_vec(),
        ));
    }
    audit::record_many(txn, ctx, changes).await
}

/// The memberships `ids`, by id, in one query per 500 (far under both backends' parameter limits).
async fn members_by_id(txn: &DatabaseTransaction, ids: &[Uuid]) -> Result<HashMap<Uuid, TeamMember>> {
    let mut members = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = team_member::Entity::find()
            .filter(team_member::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        for row in rows {
            let member = member_from_row(row)?;
            members.insert(member.id, member);
        }
    }
    Ok(members)
}
