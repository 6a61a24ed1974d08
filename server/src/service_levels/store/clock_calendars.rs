//! Business calendars as the clock and the other store modules read them: loaded one or many at a time
//! with their windows and holidays, and turned into the clock's [`BusinessCalendar`].

use std::collections::HashMap;

use chrono::Weekday;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    CALENDAR,
    entity::{
        business_calendar as calendar_entity, business_calendar_holiday as holiday_entity,
        business_calendar_window as window_entity,
    },
};
use crate::{
    platform::error::{Error, Result},
    service_levels::{
        clock::BusinessCalendar,
        model::{Calendar, CalendarFields, DayWindow, Holiday},
        rules,
    },
};

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
pub(super) async fn calendars_from_rows(
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
