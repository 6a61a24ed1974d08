//! Business calendars with their windows and holidays (child tables, replaced as a whole).

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    CALENDAR,
    clock_calendars::{calendars_from_rows, clock_calendar, load_calendar},
    evaluation::rederive_calendar_requests,
};
use crate::platform::wire::Update;
use crate::{
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    service_levels::store::entity::{
        business_calendar as calendar_entity, business_calendar_holiday as holiday_entity,
        business_calendar_window as window_entity,
    },
    service_levels::{
        convert::calendar_to_proto,
        model::{Calendar, CalendarFields, CalendarPatch},
        rules,
    },
};

pub async fn create_calendar(
    db: &Db,
    ctx: &RequestContext,
    fields: CalendarFields,
    key: Option<IdempotencyKey>,
) -> Result<Calendar> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_calendar(txn, id).await;
        }
        let id = Uuid::now_v7();
        let time = now();
        calendar_entity::Entity::insert(calendar_entity::ActiveModel {
            id: Set(id),
            display_name: Set(fields.display_name.clone()),
            time_zone: Set(fields.time_zone.clone()),
            always_open: Set(fields.always_open),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
        })
        .exec_without_returning(txn)
        .await?;
        insert_children(txn, id, fields).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_calendar(txn, id).await?;
        let changed = ["display_name", "time_zone", "always_open", "windows", "holidays"]
            .map(str::to_owned)
            .to_vec();
        audit::record(
            txn,
            ctx,
            Change::new(
                CALENDAR,
                id,
                None,
                Payload::BusinessCalendarCreated(calendar_to_proto(created.clone())),
                changed,
            ),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_calendar(db: &Db, id: Uuid) -> Result<Calendar> {
    load_calendar(db.conn(), id).await
}

pub async fn list_calendars(db: &Db, page_size: u64, after: Option<Cursor>) -> Result<Page<Calendar>> {
    let keyset = Keyset {
        sort: None,
        id: calendar_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(
            calendar_entity::Entity::find(),
            db.conn(),
            page_size,
            after.as_ref(),
            |row| (row.id, None),
        )
        .await?;
    let items = calendars_from_rows(db.conn(), rows).await?;
    Ok(Page { items, next })
}

/// Changes a calendar. The clock reads calendars as they are, so the SLA columns of every request that
/// counts on this one and is not CLOSED or CANCELLED are re-derived in the same transaction.
pub async fn update_calendar(
    db: &Db,
    ctx: &RequestContext,
    update: Update<CalendarPatch>,
) -> Result<Calendar> {
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
        let current = load_calendar(txn, id).await?;
        etag::check(CALENDAR, id, current.revision, sent_etag)?;
        let mut next = current.fields.clone();
        patch.apply_to(&mut next);
        let shape = rules::check_calendar(&next);
        if !shape.is_empty() {
            return Err(Error::InvalidArgument(shape));
        }
        let next = rules::normalize_calendar(next);
        let hours_changed = next.time_zone != current.fields.time_zone
            || next.always_open != current.fields.always_open
            || next.windows != current.fields.windows
            || next.holidays != current.fields.holidays;
        if patch.windows.is_some() || patch.holidays.is_some() || hours_changed {
            window_entity::Entity::delete_many()
                .filter(window_entity::Column::CalendarId.eq(id))
                .exec(txn)
                .await?;
            holiday_entity::Entity::delete_many()
                .filter(holiday_entity::Column::CalendarId.eq(id))
                .exec(txn)
                .await?;
            insert_children(txn, id, &next).await?;
        }
        let time = now();
        calendar_entity::Entity::update(calendar_entity::ActiveModel {
            id: Set(id),
            display_name: Set(next.display_name.clone()),
            time_zone: Set(next.time_zone.clone()),
            always_open: Set(next.always_open),
            update_time: Set(time),
            revision: Set(current.revision + 1),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let updated = load_calendar(txn, id).await?;
        if hours_changed {
            rederive_calendar_requests(txn, id, &clock_calendar(&updated)?, time).await?;
        }
        audit::record(
            txn,
            ctx,
            Change::new(
                CALENDAR,
                id,
                None,
                Payload::BusinessCalendarUpdated(calendar_to_proto(updated.clone())),
                changed_fields.clone(),
            ),
        )
        .await?;
        Ok(updated)
    })
    .await
}

async fn insert_children(conn: &impl ConnectionTrait, id: Uuid, fields: &CalendarFields) -> Result<()> {
    if !fields.windows.is_empty() {
        let rows = fields.windows.iter().map(|w| window_entity::ActiveModel {
            calendar_id: Set(id),
            weekday: Set(w.weekday.number_from_monday() as i32),
            start_minute: Set(i32::from(w.start_minute)),
            end_minute: Set(i32::from(w.end_minute)),
        });
        window_entity::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    // At most 1000 holidays of three columns: far below either backend's parameter limit.
    if !fields.holidays.is_empty() {
        let rows = fields.holidays.iter().map(|h| holiday_entity::ActiveModel {
            calendar_id: Set(id),
            holiday_date: Set(h.date),
            display_name: Set(h.display_name.clone()),
        });
        holiday_entity::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
