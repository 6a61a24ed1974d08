//! Business calendars with their windows and holidays (child tables, replaced as a whole).

use std::collections::HashMap;

use chrono::Weekday;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{CALENDAR, requests::rederive_calendar_requests};
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
    service_levels::clock::BusinessCalendar,
    service_levels::store::entity::{
        business_calendar as calendar_entity, business_calendar_holiday as holiday_entity,
        business_calendar_window as window_entity,
    },
    service_levels::{
        convert::calendar_to_proto,
        model::{Calendar, CalendarFields, CalendarPatch, DayWindow, Holiday},
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
    id: Uuid,
    sent_etag: Option<&str>,
    patch: CalendarPatch,
    changed_fields: Vec<String>,
) -> Result<Calendar> {
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

/// NOT_FOUND unless calendar `id` exists.
pub(super) async fn require_calendar(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    calendar_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| Error::not_found(CALENDAR, id))
}

pub(super) async fn load_calendar(conn: &impl ConnectionTrait, id: Uuid) -> Result<Calendar> {
    let row = calendar_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(CALENDAR, id))?;
    let mut calendars = calendars_from_rows(conn, vec![row]).await?;
    Ok(calendars.remove(0))
}

/// The calendars `ids` (those that exist), by id: three queries however many.
pub(super) async fn load_calendars(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Calendar>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = calendar_entity::Entity::find()
        .filter(calendar_entity::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    Ok(calendars_from_rows(conn, rows)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// Rows with their windows and holidays, loaded for all rows at once.
async fn calendars_from_rows(
    conn: &impl ConnectionTrait,
    rows: Vec<calendar_entity::Model>,
) -> Result<Vec<Calendar>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut windows: HashMap<Uuid, Vec<DayWindow>> = HashMap::new();
    for row in window_entity::Entity::find()
        .filter(window_entity::Column::CalendarId.is_in(ids.iter().copied()))
        .order_by_asc(window_entity::Column::Weekday)
        .order_by_asc(window_entity::Column::StartMinute)
        .all(conn)
        .await?
    {
        let weekday = weekday_of(row.weekday)?;
        let minute = |m: i32| {
            u16::try_from(m).map_err(|_| Error::unknown_stored_value("window minute", &m.to_string()))
        };
        windows.entry(row.calendar_id).or_default().push(DayWindow {
            weekday,
            start_minute: minute(row.start_minute)?,
            end_minute: minute(row.end_minute)?,
        });
    }
    let mut holidays: HashMap<Uuid, Vec<Holiday>> = HashMap::new();
    for row in holiday_entity::Entity::find()
        .filter(holiday_entity::Column::CalendarId.is_in(ids.iter().copied()))
        .order_by_asc(holiday_entity::Column::HolidayDate)
        .all(conn)
        .await?
    {
        holidays.entry(row.calendar_id).or_default().push(Holiday {
            date: row.holiday_date,
            display_name: row.display_name,
        });
    }
    Ok(rows
        .into_iter()
        .map(|row| Calendar {
            id: row.id,
            fields: CalendarFields {
                display_name: row.display_name,
                time_zone: row.time_zone,
                always_open: row.always_open,
                windows: windows.remove(&row.id).unwrap_or_default(),
                holidays: holidays.remove(&row.id).unwrap_or_default(),
            },
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        })
        .collect())
}

fn weekday_of(stored: i32) -> Result<Weekday> {
    Ok(match stored {
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        6 => Weekday::Sat,
        7 => Weekday::Sun,
        other => return Err(Error::unknown_stored_value("weekday", &other.to_string())),
    })
}

/// The clock's view of a stored calendar; stored calendars were validated, so failing here is ours.
pub(super) fn clock_calendar(calendar: &Calendar) -> Result<BusinessCalendar> {
    rules::business_calendar(&calendar.fields).map_err(|e| {
        Error::Database(sea_orm::DbErr::Custom(format!(
            "stored calendar {}: {e}",
            calendar.id
        )))
    })
}
