//! What other areas ask of the teams area: whether a person exists and is active, their stage
//! specialties, who sits on an account's team now, and which accounts a person's teams serve (the rows a
//! MEMBER may see). Each answer is a small value, never a row: the tables stay this area's own.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, sea_query::SelectStatement,
};
use uuid::Uuid;

use super::entity::{department, staff, team_member};
use crate::{
    platform::{
        db::now,
        error::{Error, Result},
    },
    teams::model::TeamRole,
};

/// Whether staff member `id` is active: NOT_FOUND for an id that is nobody.
pub async fn is_active_staff(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(super::staff_row(conn, id).await?.active)
}

/// The id of the staff member with `email` (lower-cased), if any.
pub async fn staff_id_by_email(conn: &impl ConnectionTrait, email: &str) -> Result<Option<Uuid>> {
    Ok(staff::Entity::find()
        .select_only()
        .column(staff::Column::Id)
        .filter(staff::Column::Email.eq(email))
        .into_tuple()
        .one(conn)
        .await?)
}

/// How many of `ids` are active staff members.
pub async fn count_active_staff(conn: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(staff::Entity::find()
        .filter(staff::Column::Id.is_in(ids))
        .filter(staff::Column::Active.eq(true))
        .count(conn)
        .await?)
}

/// Adds a technical staff member in the EXECUTIVE department who serves no accounts (capacity 0): a
/// person that exists to hold a credential, such as the first start's ADMIN key.
pub async fn insert_technical_staff(
    txn: &impl ConnectionTrait,
    email: &str,
    full_name: &str,
    title: &str,
) -> Result<Uuid> {
    let executive = department::Entity::find()
        .filter(department::Column::Code.eq("EXECUTIVE"))
        .one(txn)
        .await?
        .ok_or_else(|| {
            Error::Database(sea_orm::DbErr::Custom(
                "the EXECUTIVE department is missing".into(),
            ))
        })?;
    let id = Uuid::now_v7();
    let time = now();
    staff::Entity::insert(staff::ActiveModel {
        id: Set(id),
        full_name: Set(full_name.to_owned()),
        email: Set(email.to_owned()),
        department_id: Set(executive.id),
        level: Set("STAFF".to_owned()),
        title: Set(title.to_owned()),
        active: Set(true),
        max_accounts: Set(0),
        create_time: Set(time),
        update_time: Set(time),
        revision: Set(1),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}

/// A staff member as other areas name and group them: who, in which department now, and whether
/// active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRef {
    pub id: Uuid,
    pub full_name: String,
    pub department_id: Uuid,
    pub active: bool,
}

/// Of `ids`, the staff members that exist (active or not), by id: one query per 500 ids.
pub async fn staff_refs(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, StaffRef>> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(500) {
        let rows: Vec<(Uuid, String, Uuid, bool)> = staff::Entity::find()
            .select_only()
            .columns([
                staff::Column::Id,
                staff::Column::FullName,
                staff::Column::DepartmentId,
                staff::Column::Active,
            ])
            .filter(staff::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(rows.into_iter().map(|(id, full_name, department_id, active)| {
            let person = StaffRef {
                id,
                full_name,
                department_id,
                active,
            };
            (id, person)
        }));
    }
    Ok(found)
}

/// The display name of every department, by id (a handful of rows).
pub async fn department_names(conn: &impl ConnectionTrait) -> Result<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = department::Entity::find()
        .select_only()
        .columns([department::Column::Id, department::Column::DisplayName])
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The funnel stages `staff_id` specialises in (stage keys).
pub async fn stage_specialties(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<BTreeSet<String>> {
    let mut stages = super::staff::stages_of(conn, vec![staff_id]).await?;
    Ok(stages.remove(&staff_id).unwrap_or_default().into_iter().collect())
}

/// One active seat on an account's team, as other areas need it (for example to tell the holders of a
/// role, or a department's liaison, that a service request escalated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveSeat {
    pub staff_id: Uuid,
    /// The team role's proto name.
    pub role: String,
    pub is_department_liaison: bool,
    /// The code of the department the person was in when the seat began.
    pub department_code: String,
}

/// The active seats of `account_id`'s team, in the order they began.
pub async fn active_seats(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<Vec<ActiveSeat>> {
    let seats = team_member::Entity::find()
        .filter(team_member::Column::AccountId.eq(account_id))
        .filter(team_member::Column::EndTime.is_null())
        .order_by_asc(team_member::Column::StartTime)
        .order_by_asc(team_member::Column::Id)
        .all(conn)
        .await?;
    let department_ids: BTreeSet<Uuid> = seats.iter().map(|seat| seat.department_id).collect();
    let codes: HashMap<Uuid, String> = department::Entity::find()
        .filter(department::Column::Id.is_in(department_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|department| (department.id, department.code))
        .collect();
    Ok(seats
        .into_iter()
        .map(|seat| ActiveSeat {
            staff_id: seat.staff_id,
            role: seat.role,
            is_department_liaison: seat.is_department_liaison,
            department_code: codes.get(&seat.department_id).cloned().unwrap_or_default(),
        })
        .collect())
}

/// The ids of the accounts on whose team `staff_id` has an active seat, as a subquery other areas'
/// list queries filter by (`account_id IN (…)`).
pub fn accounts_served_by(staff_id: Uuid) -> SelectStatement {
    served_by(staff_id).into_query()
}

/// The accounts of `staff_id`'s active seats, as a query: one definition for the subquery, the list
/// and the check below.
fn served_by(staff_id: Uuid) -> Select<team_member::Entity> {
    team_member::Entity::find()
        .select_only()
        .column(team_member::Column::AccountId)
        .filter(team_member::Column::StaffId.eq(staff_id))
        .filter(team_member::Column::EndTime.is_null())
}

/// The same as [`accounts_served_by`] in SQL text, for queries written by hand: `staff` is the bind
/// placeholder holding the person's id (`$1`, `?`).
pub fn accounts_served_by_sql(staff: &str) -> String {
    format!("SELECT account_id FROM team_members WHERE staff_id = {staff} AND end_time IS NULL")
}

/// Whether `staff_id` has an active seat on `account_id`'s team.
pub async fn serves_account(conn: &impl ConnectionTrait, staff_id: Uuid, account_id: Uuid) -> Result<bool> {
    let seats = served_by(staff_id).filter(team_member::Column::AccountId.eq(account_id));
    Ok(seats.count(conn).await? > 0)
}

/// The ids of the accounts on whose team `staff_id` has an active seat, read now.
pub async fn served_account_ids(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(served_by(staff_id).into_tuple().all(conn).await?)
}

/// The active seats in `roles` of every account's team, by account: who to tell of what happens to it.
pub async fn seats_in_roles(
    conn: &impl ConnectionTrait,
    roles: &[TeamRole],
) -> Result<HashMap<Uuid, Vec<(Uuid, TeamRole)>>> {
    let rows: Vec<(Uuid, Uuid, String)> = team_member::Entity::find()
        .select_only()
        .columns([
            team_member::Column::AccountId,
            team_member::Column::StaffId,
            team_member::Column::Role,
        ])
        .filter(team_member::Column::Role.is_in(roles.iter().map(|role| role.as_str())))
        .filter(team_member::Column::EndTime.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut seats: HashMap<Uuid, Vec<(Uuid, TeamRole)>> = HashMap::new();
    for (account, staff, role) in rows {
        let role = TeamRole::from_name(&role)
            .ok_or_else(|| Error::unknown_stored_value("team_members.role", &role))?;
        seats.entry(account).or_default().push((staff, role));
    }
    Ok(seats)
}
