//! Staff: our people, their capacity and stage specialties, and deactivation once they hold nothing.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    STAFF, active_members_of_staff, departments::require_department, level_of, person_of, refuse,
    staff_change, staff_row,
};
use crate::platform::wire::Update;
use crate::{
    identity::store::{require_another_admin, require_covers},
    platform::{
        audit,
        bulk::find_by_keys,
        db::{Db, contains_ignoring_case, now},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey},
        request::RequestContext,
    },
    teams::store::entity::{staff as staff_entity, staff_stage_specialty},
    teams::{
        handover::Responsibilities,
        model::{Staff, StaffFields, StaffFilter, StaffPatch, TeamRole},
        rules::{self, Person},
    },
};

pub async fn create_staff(
    db: &Db,
    ctx: &RequestContext,
    fields: StaffFields,
    key: Option<IdempotencyKey>,
) -> Result<Staff> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_staff(txn, id).await;
        }
        require_department(txn, fields.department_id).await?;
        let id = Uuid::now_v7();
        let newcomer = Person {
            id,
            active: true,
            level: fields.level,
            max_accounts: fields.max_accounts,
            accounts: Default::default(),
        };
        let breaks = rules::check_person(&newcomer, 0, fields.stage_specialties.len());
        if !breaks.is_empty() {
            // Nobody exists yet to name; the email is what the caller knows the person by.
            return Err(refuse(breaks, &format!("staff/{}", fields.email)));
        }
        let time = now();
        staff_entity::Entity::insert(staff_entity::ActiveModel {
            id: Set(id),
            active: Set(true),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
            ..staff_columns(fields)
        })
        .exec_without_returning(txn)
        .await
        .map_err(|e| Error::unique_violation(e, STAFF, "email", Some(&fields.email)))?;
        replace_stages(txn, id, &fields.stage_specialties).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_staff(txn, id).await?;
        audit::record(
            txn,
            ctx,
            staff_change(&created, Payload::StaffCreated, staff_field_names()),
        )
        .await?;
        Ok(created)
    })
    .await
}

/// Of `emails`, the staff members they belong to, each with its id and whether it is active: for
/// imports whose rows name people the way other systems know them.
pub async fn staff_by_email(
    conn: &impl ConnectionTrait,
    emails: &[&str],
) -> Result<HashMap<String, (Uuid, bool)>> {
    let mut unique = emails.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let rows = find_by_keys::<staff_entity::Entity>(conn, staff_entity::Column::Email, &unique).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.email, (row.id, row.active)))
        .collect())
}

pub async fn get_staff(db: &Db, id: Uuid) -> Result<Staff> {
    load_staff(db.conn(), id).await
}

pub async fn list_staff(
    db: &Db,
    filter: &StaffFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Staff>> {
    let mut select = staff_entity::Entity::find();
    if let Some(department) = filter.department_id {
        select = select.filter(staff_entity::Column::DepartmentId.eq(department));
    }
    if let Some(level) = filter.level {
        select = select.filter(staff_entity::Column::Level.eq(level.as_str()));
    }
    if !filter.show_inactive {
        select = select.filter(staff_entity::Column::Active.eq(true));
    }
    if let Some(query) = &filter.query {
        select = select.filter(
            Condition::any()
                .add(contains_ignoring_case(staff_entity::Column::FullName, query))
                .add(contains_ignoring_case(staff_entity::Column::Email, query)),
        );
    }
    let keyset = Keyset {
        sort: Some(SortKey::Text(staff_entity::Column::FullName)),
        id: staff_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, Some(row.full_name.clone()))
        })
        .await?;
    let mut stages = stages_of(db.conn(), rows.iter().map(|r| r.id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let stages = stages.remove(&row.id).unwrap_or_default();
            staff_from_row(row, stages)
        })
        .collect::<Result<_>>()?;
    Ok(Page { items, next })
}

pub async fn update_staff(db: &Db, ctx: &RequestContext, update: Update<StaffPatch>) -> Result<Staff> {
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
        let current = load_staff(txn, id).await?;
        etag::check(STAFF, id, current.revision, sent_etag)?;
        let mut fields = current.fields.clone();
        patch.apply_to(&mut fields);
        // Bearer tokens find staff by email: whoever sets an email may sign in as its holder.
        if fields.email != current.fields.email && !ctx.principal.is_admin() {
            return Err(Error::PermissionDenied(format!(
                "only an ADMIN changes the email of staff {id}"
            )));
        }
        if fields.department_id != current.fields.department_id {
            require_department(txn, fields.department_id).await?;
        }
        let row = staff_row(txn, id).await?;
        let seats = active_members_of_staff(txn, id).await?;
        let sponsor_seats = seats
            .iter()
            .filter(|m| m.role == TeamRole::ExecutiveSponsor)
            .count();
        let after = Person {
            level: fields.level,
            max_accounts: fields.max_accounts,
            ..person_of(txn, &row).await?
        };
        let breaks = rules::check_person(&after, sponsor_seats, fields.stage_specialties.len());
        if !breaks.is_empty() {
            return Err(refuse(breaks, &format!("staff/{id}")));
        }
        staff_entity::Entity::update(staff_entity::ActiveModel {
            id: Set(id),
            update_time: Set(now()),
            revision: Set(current.revision + 1),
            ..staff_columns(&fields)
        })
        .exec(txn)
        .await
        .map_err(|e| Error::unique_violation(e, STAFF, "email", Some(&fields.email)))?;
        if patch.stage_specialties.is_some() {
            replace_stages(txn, id, &fields.stage_specialties).await?;
        }
        let updated = load_staff(txn, id).await?;
        audit::record(
            txn,
            ctx,
            staff_change(&updated, Payload::StaffUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Refused while the person holds anything in any area: hand it over first, so no account is left
/// without its people.
pub async fn deactivate_staff(
    db: &Db,
    ctx: &RequestContext,
    responsibilities: &Responsibilities,
    id: Uuid,
    sent_etag: Option<&str>,
) -> Result<Staff> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = to_switch(txn, ctx, id, sent_etag, true).await?;
        require_another_admin(txn, id).await?;
        let held = responsibilities
            .open_items(txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        if !held.is_empty() {
            let listed: Vec<String> = held.iter().map(|(area, n)| format!("{n} {area}")).collect();
            return Err(Error::rule(
                "HAS_RESPONSIBILITIES",
                format!("staff/{id}"),
                format!("still holds {}: transfer them first", listed.join(", ")),
            ));
        }
        set_active(txn, ctx, row, false).await
    })
    .await
}

/// Makes an inactive staff member active again, as `deactivate_staff` made them inactive.
pub async fn reactivate_staff(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
) -> Result<Staff> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = to_switch(txn, ctx, id, sent_etag, false).await?;
        set_active(txn, ctx, row, true).await
    })
    .await
}

/// The staff member whose being active the caller would switch, when it is `active` now, matches
/// `sent_etag`, and the caller holds as much as they do.
async fn to_switch(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
    active: bool,
) -> Result<staff_entity::Model> {
    let row = staff_row(txn, id).await?;
    require_covers(txn, &ctx.principal, id).await?;
    etag::check(STAFF, id, row.revision, sent_etag)?;
    match (row.active, active) {
        (true, false) => Err(Error::rule(
            rules::STAFF_ACTIVE,
            format!("staff/{id}"),
            "already active",
        )),
        (false, true) => Err(Error::rule(
            rules::STAFF_INACTIVE,
            format!("staff/{id}"),
            "already inactive",
        )),
        _ => Ok(row),
    }
}

/// Stores whether the staff member is active, with its audit row and event.
async fn set_active(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    row: staff_entity::Model,
    active: bool,
) -> Result<Staff> {
    let (id, revision) = (row.id, row.revision);
    let mut changed = row.into_active_model();
    changed.active = Set(active);
    changed.update_time = Set(now());
    changed.revision = Set(revision + 1);
    staff_entity::Entity::update(changed).exec(txn).await?;
    let stored = load_staff(txn, id).await?;
    let event = match active {
        true => Payload::StaffReactivated,
        false => Payload::StaffDeactivated,
    };
    audit::record(txn, ctx, staff_change(&stored, event, vec!["active".to_owned()])).await?;
    Ok(stored)
}

pub(super) async fn load_staff(conn: &impl ConnectionTrait, id: Uuid) -> Result<Staff> {
    let row = staff_row(conn, id).await?;
    let stages = stages_of(conn, vec![id]).await?.remove(&id).unwrap_or_default();
    staff_from_row(row, stages)
}

async fn replace_stages(txn: &DatabaseTransaction, staff: Uuid, stages: &[String]) -> Result<()> {
    staff_stage_specialty::Entity::delete_many()
        .filter(staff_stage_specialty::Column::StaffId.eq(staff))
        .exec(txn)
        .await?;
    if stages.is_empty() {
        return Ok(());
    }
    staff_stage_specialty::Entity::insert_many(stages.iter().map(|stage| {
        staff_stage_specialty::ActiveModel {
            staff_id: Set(staff),
            stage_key: Set(stage.clone()),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

pub(super) async fn stages_of(
    conn: &impl ConnectionTrait,
    staff: Vec<Uuid>,
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut by_staff: HashMap<Uuid, Vec<String>> = HashMap::new();
    if staff.is_empty() {
        return Ok(by_staff);
    }
    let rows = staff_stage_specialty::Entity::find()
        .filter(staff_stage_specialty::Column::StaffId.is_in(staff))
        .order_by_asc(staff_stage_specialty::Column::StageKey)
        .all(conn)
        .await?;
    for row in rows {
        by_staff.entry(row.staff_id).or_default().push(row.stage_key);
    }
    Ok(by_staff)
}

fn staff_columns(fields: &StaffFields) -> staff_entity::ActiveModel {
    staff_entity::ActiveModel {
        full_name: Set(fields.full_name.clone()),
        email: Set(fields.email.clone()),
        department_id: Set(fields.department_id),
        level: Set(fields.level.as_str().to_owned()),
        title: Set(fields.title.clone()),
        max_accounts: Set(fields.max_accounts),
        ..Default::default()
    }
}

fn staff_from_row(row: staff_entity::Model, stage_specialties: Vec<String>) -> Result<Staff> {
    Ok(Staff {
        id: row.id,
        fields: StaffFields {
            level: level_of(&row)?,
            full_name: row.full_name,
            email: row.email,
            department_id: row.department_id,
            title: row.title,
            max_accounts: row.max_accounts,
            stage_specialties,
        },
        active: row.active,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    })
}

fn staff_field_names() -> Vec<String> {
    [
        "full_name",
        "email",
        "department_id",
        "level",
        "title",
        "max_accounts",
        "stage_specialties",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The ids of staff members a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
/// The directory is the same whoever's teams the caller is on.
pub async fn staff_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids_of_shared::<staff_entity::Entity>(db.conn(), staff_entity::Column::Id)
        .await
}

/// Of `ids`, the staff members that exist, in one query (and one for their stage specialties).
pub async fn staff_by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Staff>> {
    let rows = staff_entity::Entity::find()
        .filter(staff_entity::Column::Id.is_in(ids.iter().copied()))
        .all(db.conn())
        .await?;
    let mut stages = stages_of(db.conn(), rows.iter().map(|row| row.id).collect()).await?;
    rows.into_iter()
        .map(|row| {
            let specialties = stages.remove(&row.id).unwrap_or_default();
            staff_from_row(row, specialties)
        })
        .collect()
}
