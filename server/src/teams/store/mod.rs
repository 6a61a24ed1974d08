//! The teams area's database side: departments, staff, memberships, the reports, and team roles as a
//! handover area. Other areas reach this data only through these functions.

mod departments;
mod directory;
mod entity;
mod members;
mod reports;
mod staff;
mod team_roles;
mod transfer;

use std::collections::{BTreeMap, BTreeSet};

use kam_proto::v1 as pb;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

pub use departments::{create_department, list_departments};
pub use directory::{
    ActiveSeat, StaffRef, accounts_served_by, accounts_served_by_sql, active_seats, count_active_staff,
    department_names, insert_technical_staff, is_active_staff, seats_in_roles, served_account_ids,
    serves_account, staff_id_by_email, staff_refs, stage_specialties,
};
pub use members::{
    MemberPatch, NewMember, add_member, list_members, member_ids, members_by_ids, remove_member,
    update_member,
};
pub use reports::coverage_of_accounts;
pub use reports::{AccountCoverage, CoveragePolicy, Workload, coverage_report, workload};
pub use staff::{
    create_staff, deactivate_staff, get_staff, list_staff, reactivate_staff, staff_by_email, staff_by_ids,
    staff_ids, update_staff,
};
pub use team_roles::TeamRoles;
pub use transfer::{HandoverRequest, transfer_responsibilities};

use super::{
    convert,
    model::{Staff, StaffLevel, TeamMember, TeamRole},
    rules::{Person, RuleBreak, Seat},
};
use crate::{
    platform::{
        audit::Change,
        error::{Error, Result, RuleViolation},
        events::Payload,
    },
    teams::store::entity::{staff as staff_entity, team_member},
};

const STAFF: &str = "staff";
const TEAM_MEMBER: &str = "team_member";
const DEPARTMENT: &str = "department";

/// The change of `staff` announced as `event`, which carries the person as GetStaff returns them.
fn staff_change(staff: &Staff, event: fn(pb::Staff) -> Payload, changed_fields: Vec<String>) -> Change {
    let message = convert::staff_to_proto(staff.clone());
    Change::new(STAFF, staff.id, None, event(message), changed_fields)
}

/// The change of a team seat announced as `event`, which carries the seat as ListTeamMembers shows it.
fn member_change(
    member: &TeamMember,
    event: fn(pb::TeamMember) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = convert::member_to_proto(member.clone());
    Change::new(
        TEAM_MEMBER,
        member.id,
        Some(member.account_id),
        event(message),
        changed_fields,
    )
}

/// Rule breaks as the one error a refused write answers with.
fn refuse(breaks: Vec<RuleBreak>, subject: &str) -> Error {
    Error::FailedPrecondition(
        breaks
            .into_iter()
            .map(|b| RuleViolation {
                rule: b.rule,
                subject: b
                    .account_id
                    .map_or_else(|| subject.to_owned(), |a| format!("accounts/{a}")),
                description: b.description,
            })
            .collect(),
    )
}

/// The department of `staff_id`, who must be active to be given work (an owner, an assignee):
/// NOT_FOUND for an unknown id, STAFF_INACTIVE for someone who left. `department_id`, when given,
/// must exist (DEPARTMENT_NOT_FOUND) and is answered instead of the person's own.
pub async fn require_active_staff(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    department_id: Option<Uuid>,
) -> Result<Uuid> {
    let row = staff_row(conn, staff_id).await?;
    if !row.active {
        return Err(Error::rule(
            super::rules::STAFF_INACTIVE,
            format!("staff/{staff_id}"),
            "inactive staff cannot be given work",
        ));
    }
    match department_id {
        Some(department) => {
            departments::require_department(conn, department).await?;
            Ok(department)
        }
        None => Ok(row.department_id),
    }
}

/// The active holder of `role` on each account's team that has one.
pub async fn holders_of_role(
    conn: &impl ConnectionTrait,
    role: TeamRole,
) -> Result<std::collections::HashMap<Uuid, Uuid>> {
    let rows: Vec<(Uuid, Uuid)> = team_member::Entity::find()
        .select_only()
        .columns([team_member::Column::AccountId, team_member::Column::StaffId])
        .filter(team_member::Column::Role.eq(role.as_str()))
        .filter(team_member::Column::EndTime.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Every one of `ids` must be staff (active or not: an interaction may be logged after someone left).
pub async fn require_staff(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
    let found: BTreeSet<Uuid> = staff_entity::Entity::find()
        .select_only()
        .column(staff_entity::Column::Id)
        .filter(staff_entity::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(Error::not_found(STAFF, missing)),
        None => Ok(()),
    }
}

async fn staff_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<staff_entity::Model> {
    staff_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(STAFF, id))
}

fn level_of(row: &staff_entity::Model) -> Result<StaffLevel> {
    StaffLevel::from_name(&row.level).ok_or_else(|| Error::unknown_stored_value("level", &row.level))
}

/// The person as the rules see them: their level, capacity and the accounts they serve now.
async fn person_of(conn: &impl ConnectionTrait, row: &staff_entity::Model) -> Result<Person> {
    let accounts: Vec<Uuid> = active_members_of_staff(conn, row.id)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    Ok(Person {
        id: row.id,
        active: row.active,
        level: level_of(row)?,
        max_accounts: row.max_accounts,
        accounts: accounts.into_iter().collect::<BTreeSet<_>>(),
    })
}

async fn active_members_of_staff(conn: &impl ConnectionTrait, staff: Uuid) -> Result<Vec<TeamMember>> {
    team_member::Entity::find()
        .filter(team_member::Column::StaffId.eq(staff))
        .filter(team_member::Column::EndTime.is_null())
        .order_by_asc(team_member::Column::StartTime)
        .all(conn)
        .await?
        .into_iter()
        .map(member_from_row)
        .collect()
}

/// The active seats of each of `accounts` (accounts without any are absent).
async fn seats_of_accounts(
    conn: &impl ConnectionTrait,
    accounts: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<Seat>>> {
    let mut teams: BTreeMap<Uuid, Vec<Seat>> = BTreeMap::new();
    // Bounded IN lists keep every statement far under both backends' parameter limits.
    for chunk in accounts.chunks(500) {
        let rows = team_member::Entity::find()
            .filter(team_member::Column::AccountId.is_in(chunk.iter().copied()))
            .filter(team_member::Column::EndTime.is_null())
            .order_by_asc(team_member::Column::StartTime)
            .all(conn)
            .await?;
        for row in rows {
            let member = member_from_row(row)?;
            teams.entry(member.account_id).or_default().push(seat_of(&member));
        }
    }
    Ok(teams)
}

fn seat_of(member: &TeamMember) -> Seat {
    Seat {
        membership_id: member.id,
        staff_id: member.staff_id,
        role: member.role,
        is_department_liaison: member.is_department_liaison,
        department_id: member.department_id,
    }
}

fn member_from_row(row: team_member::Model) -> Result<TeamMember> {
    Ok(TeamMember {
        id: row.id,
        account_id: row.account_id,
        staff_id: row.staff_id,
        role: TeamRole::from_name(&row.role).ok_or_else(|| Error::unknown_stored_value("role", &row.role))?,
        is_department_liaison: row.is_department_liaison,
        department_id: row.department_id,
        start_time: row.start_time,
        end_time: row.end_time,
        end_reason: row.end_reason,
        revision: row.revision,
    })
}
