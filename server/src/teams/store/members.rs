//! Account team memberships: joining, changing role or liaison duty, and leaving (which keeps the row as
//! history). Every write is judged by the team rules against the account's team as it is in the same
//! transaction.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{
    TEAM_MEMBER, member_change, member_from_row, person_of, refuse, seat_of, seats_of_accounts, staff_row,
};
use crate::platform::wire::Update;
use crate::{
    accounts::store::require_live_account,
    identity::{Visibility, access::visible_accounts},
    platform::{
        audit,
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    teams::store::entity::team_member,
    teams::{
        model::{MemberScope, TeamMember, TeamRole},
        rules::{self, Seat},
    },
};

/// Who joins which account's team in which role.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub account_id: Uuid,
    pub staff_id: Uuid,
    pub role: TeamRole,
    pub is_department_liaison: bool,
}

pub async fn add_member(
    db: &Db,
    ctx: &RequestContext,
    new: NewMember,
    key: Option<IdempotencyKey>,
) -> Result<TeamMember> {
    let (new, key) = (&new, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_member(txn, id).await;
        }
        require_live_account(txn, new.account_id).await?;
        let staff = staff_row(txn, new.staff_id).await?;
        let person = person_of(txn, &staff).await?;
        let team = seats_of_accounts(txn, &[new.account_id])
            .await?
            .remove(&new.account_id)
            .unwrap_or_default();
        let seat = Seat {
            membership_id: Uuid::now_v7(),
            staff_id: staff.id,
            role: new.role,
            is_department_liaison: new.is_department_liaison,
            department_id: staff.department_id,
        };
        let breaks = rules::check_seat(new.account_id, &person, &seat, &team);
        if !breaks.is_empty() {
            return Err(refuse(breaks, &format!("staff/{}", staff.id)));
        }
        insert_seat(txn, new.account_id, &seat).await?;
        if let Some(key) = key {
            key.remember(txn, seat.membership_id).await?;
        }
        let added = load_member(txn, seat.membership_id).await?;
        audit::record(
            txn,
            ctx,
            member_change(
                &added,
                Payload::TeamMemberAdded,
                vec![
                    "account_id".into(),
                    "staff_id".into(),
                    "role".into(),
                    "is_department_liaison".into(),
                ],
            ),
        )
        .await?;
        Ok(added)
    })
    .await
}

/// The fields of a membership an update writes.
#[derive(Clone, Debug, Default)]
pub struct MemberPatch {
    pub role: Option<TeamRole>,
    pub is_department_liaison: Option<bool>,
}

pub async fn update_member(db: &Db, ctx: &RequestContext, update: Update<MemberPatch>) -> Result<TeamMember> {
    let Update {
        id,
        etag,
        patch,
        paths: changed_fields,
    } = update;
    let sent_etag = etag.as_deref();
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = active_member(txn, id, sent_etag).await?;
        let staff = staff_row(txn, current.staff_id).await?;
        let person = person_of(txn, &staff).await?;
        let team = seats_of_accounts(txn, &[current.account_id])
            .await?
            .remove(&current.account_id)
            .unwrap_or_default();
        let seat = Seat {
            role: patch.role.unwrap_or(current.role),
            is_department_liaison: patch
                .is_department_liaison
                .unwrap_or(current.is_department_liaison),
            ..seat_of(&current)
        };
        let breaks = rules::check_seat(current.account_id, &person, &seat, &team);
        if !breaks.is_empty() {
            return Err(refuse(breaks, &format!("staff/{}", staff.id)));
        }
        let mut row = member_row(txn, id).await?.into_active_model();
        row.role = Set(seat.role.as_str().to_owned());
        row.is_department_liaison = Set(seat.is_department_liaison);
        row.revision = Set(current.revision + 1);
        team_member::Entity::update(row)
            .exec(txn)
            .await
            .map_err(Error::contention_on_unique)?;
        let updated = load_member(txn, id).await?;
        audit::record(
            txn,
            ctx,
            member_change(&updated, Payload::TeamMemberUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Ends the membership; the row stays as history.
pub async fn remove_member(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
    reason: String,
) -> Result<TeamMember> {
    let reason = &reason;
    db.write(|txn| async move {
        let txn = &*txn;
        active_member(txn, id, sent_etag).await?;
        end_membership(txn, id, reason).await?;
        let removed = load_member(txn, id).await?;
        audit::record(
            txn,
            ctx,
            member_change(
                &removed,
                Payload::TeamMemberRemoved,
                vec!["end_time".into(), "end_reason".into()],
            ),
        )
        .await?;
        Ok(removed)
    })
    .await
}

pub async fn list_members(
    db: &Db,
    visibility: Visibility,
    scope: MemberScope,
    include_history: bool,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<TeamMember>> {
    let mut select = team_member::Entity::find();
    if let Some(visible) = visible_accounts(visibility, team_member::Column::AccountId) {
        select = select.filter(visible);
    }
    select = match scope {
        MemberScope::Account(account) => select.filter(team_member::Column::AccountId.eq(account)),
        MemberScope::Staff(staff) => select.filter(team_member::Column::StaffId.eq(staff)),
    };
    if !include_history {
        select = select.filter(team_member::Column::EndTime.is_null());
    }
    // Membership ids are UUIDv7, so id order is the order people joined.
    let keyset = Keyset::<team_member::Column> {
        sort: None,
        id: team_member::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: rows.into_iter().map(member_from_row).collect::<Result<_>>()?,
        next,
    })
}

/// Writes a new active seat. A concurrent writer that took the same single-holder seat first trips a
/// partial unique index; the transaction is then retried and the rules see that writer's seat.
pub(super) async fn insert_seat(txn: &impl ConnectionTrait, account_id: Uuid, seat: &Seat) -> Result<()> {
    team_member::Entity::insert(team_member::ActiveModel {
        id: Set(seat.membership_id),
        account_id: Set(account_id),
        staff_id: Set(seat.staff_id),
        role: Set(seat.role.as_str().to_owned()),
        is_department_liaison: Set(seat.is_department_liaison),
        department_id: Set(seat.department_id),
        start_time: Set(now()),
        end_time: Set(None),
        end_reason: Set(String::new()),
        revision: Set(1),
    })
    .exec_without_returning(txn)
    .await
    .map_err(Error::contention_on_unique)?;
    Ok(())
}

pub(super) async fn end_membership(txn: &impl ConnectionTrait, id: Uuid, reason: &str) -> Result<()> {
    let row = member_row(txn, id).await?;
    let revision = row.revision;
    let mut row = row.into_active_model();
    row.end_time = Set(Some(now()));
    row.end_reason = Set(reason.to_owned());
    row.revision = Set(revision + 1);
    team_member::Entity::update(row).exec(txn).await?;
    Ok(())
}

/// The membership, which must still be active and match `sent_etag`.
async fn active_member(conn: &impl ConnectionTrait, id: Uuid, sent_etag: Option<&str>) -> Result<TeamMember> {
    let current = load_member(conn, id).await?;
    etag::check(TEAM_MEMBER, id, current.revision, sent_etag)?;
    if !current.is_active() {
        return Err(Error::rule(
            "MEMBERSHIP_ENDED",
            format!("team_members/{id}"),
            "the membership has already ended",
        ));
    }
    Ok(current)
}

async fn member_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<team_member::Model> {
    team_member::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(TEAM_MEMBER, id))
}

pub(super) async fn load_member(conn: &impl ConnectionTrait, id: Uuid) -> Result<TeamMember> {
    member_from_row(member_row(conn, id).await?)
}

/// How many active seats each of `staff` holds.
pub(super) async fn active_seat_counts(
    conn: &impl ConnectionTrait,
    staff: &[Uuid],
) -> Result<Vec<(Uuid, i64)>> {
    let mut counts = Vec::new();
    for chunk in staff.chunks(500) {
        let rows: Vec<(Uuid, i64)> = team_member::Entity::find()
            .select_only()
            .column(team_member::Column::StaffId)
            .column_as(team_member::Column::AccountId.count(), "seats")
            .filter(team_member::Column::StaffId.is_in(chunk.iter().copied()))
            .filter(team_member::Column::EndTime.is_null())
            .group_by(team_member::Column::StaffId)
            .into_tuple()
            .all(conn)
            .await?;
        counts.extend(rows);
    }
    Ok(counts)
}

/// The ids of team seats a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
/// The teams as they are: ended seats come only as changes.
pub async fn member_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<team_member::Entity>(
        db.conn(),
        team_member::Column::Id,
        team_member::Column::AccountId,
        Condition::all().add(team_member::Column::EndTime.is_null()),
    )
    .await
}

/// Of `ids`, the team seats (active or ended) of the accounts the caller may see, in one query.
pub async fn members_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<TeamMember>> {
    let mut select = team_member::Entity::find().filter(team_member::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, team_member::Column::AccountId) {
        select = select.filter(visible);
    }
    select
        .all(db.conn())
        .await?
        .into_iter()
        .map(member_from_row)
        .collect()
}
