//! The business clock applied to stored requests: their status histories read in bulk, the clock run
//! off the async workers, a batch of rows evaluated into requests, and the stored SLA columns of every
//! open request re-derived when its calendar changes.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{
    TARGET_UNREACHABLE,
    clock_calendars::{clock_calendar, load_calendars},
    entity::{service_request as row_entity, service_request_status_change as change_entity},
    rows::{applied_of, recorded_of, request_from_row, stored_columns, subject},
};
use crate::{
    platform::error::{Error, Result},
    service_levels::{
        clock::{
            BusinessCalendar, BusinessTimeError, PauseStatuses, SlaClock, SlaError, SlaEvaluation,
            SlaTargets, Target,
        },
        model::{AppliedSla, RequestStatus, ServiceRequest},
        rules,
    },
};

/// A request's status history as the clock reads it.
type History = Vec<(DateTime<Utc>, RequestStatus)>;

/// How many requests' histories one query loads (well under either backend's parameter limit).
const HISTORY_CHUNK: usize = 500;

/// Re-derives the stored SLA columns of every request counting on calendar `calendar_id` that is not
/// CLOSED or CANCELLED, after the calendar changed. Their data, revision and etag stay as they are.
pub(super) async fn rederive_calendar_requests(
    txn: &impl ConnectionTrait,
    calendar_id: Uuid,
    calendar: &BusinessCalendar,
    time: DateTime<Utc>,
) -> Result<()> {
    use row_entity::Column as C;
    let finals = [RequestStatus::Closed, RequestStatus::Cancelled].map(|s| s.as_str());
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = row_entity::Entity::find()
            .filter(C::CalendarId.eq(calendar_id))
            .filter(C::Status.is_not_in(finals))
            .order_by_asc(C::Id)
            .limit(HISTORY_CHUNK as u64);
        if let Some(last) = after {
            select = select.filter(C::Id.gt(last));
        }
        let rows = select.all(txn).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some(last.id);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut histories = histories(txn, &ids).await?;
        let calendar = calendar.clone();
        let changes = off_the_workers(move || {
            rows.into_iter()
                .map(|row| {
                    let history = histories.remove(&row.id).unwrap_or_default();
                    let sla = applied_of(&row)?;
                    let evaluation = evaluate(&calendar, &history, &sla, row.first_response_time, time)
                        .map_err(|e| clock_error(&subject(row.id), e))?;
                    let stored =
                        rules::stored_sla(&evaluation, recorded_of(&row)?, row.next_check_time, time);
                    let mut change = row_entity::ActiveModel {
                        id: Set(row.id),
                        ..Default::default()
                    };
                    stored_columns(&mut change, &stored);
                    Ok(change)
                })
                .collect::<Result<Vec<_>>>()
        })
        .await?;
        for change in changes {
            row_entity::Entity::update(change).exec(txn).await?;
        }
    }
}

/// Rows as requests with their SLA evaluated at `time`: one query for all their histories and three for
/// their calendars, however many rows.
pub(super) async fn evaluated(
    conn: &impl ConnectionTrait,
    rows: Vec<row_entity::Model>,
    time: DateTime<Utc>,
) -> Result<Vec<ServiceRequest>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = histories(conn, &ids).await?;
    let mut calendar_ids: Vec<Uuid> = rows.iter().map(|r| r.calendar_id).collect();
    calendar_ids.sort();
    calendar_ids.dedup();
    let calendars: HashMap<Uuid, BusinessCalendar> = load_calendars(conn, &calendar_ids)
        .await?
        .values()
        .map(|c| clock_calendar(c).map(|clock| (c.id, clock)))
        .collect::<Result<_>>()?;
    off_the_workers(move || {
        rows.into_iter()
            .map(|row| {
                let history = histories.remove(&row.id).unwrap_or_default();
                let calendar = calendars
                    .get(&row.calendar_id)
                    .ok_or_else(|| Error::not_found(super::CALENDAR, row.calendar_id))?;
                let sla = applied_of(&row)?;
                let evaluation = evaluate(calendar, &history, &sla, row.first_response_time, time)
                    .map_err(|e| clock_error(&subject(row.id), e))?;
                request_from_row(row, &evaluation)
            })
            .collect()
    })
    .await
}

/// The status histories of `ids`, oldest first, in one query per [`HISTORY_CHUNK`] requests.
pub(super) async fn histories(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, History>> {
    let mut histories: HashMap<Uuid, History> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(HISTORY_CHUNK) {
        let rows: Vec<(Uuid, DateTime<Utc>, String)> = change_entity::Entity::find()
            .select_only()
            .column(change_entity::Column::ServiceRequestId)
            .column(change_entity::Column::ChangeTime)
            .column(change_entity::Column::ToStatus)
            .filter(change_entity::Column::ServiceRequestId.is_in(chunk.iter().copied()))
            .order_by_asc(change_entity::Column::ServiceRequestId)
            .order_by_asc(change_entity::Column::ChangeTime)
            .order_by_asc(change_entity::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        for (request, time, status) in rows {
            let status = RequestStatus::from_name(&status)
                .ok_or_else(|| Error::unknown_stored_value("status", &status))?;
            histories.entry(request).or_default().push((time, status));
        }
    }
    Ok(histories)
}

pub(super) fn evaluate(
    calendar: &BusinessCalendar,
    history: &[(DateTime<Utc>, RequestStatus)],
    sla: &AppliedSla,
    first_response_time: Option<DateTime<Utc>>,
    time: DateTime<Utc>,
) -> Result<SlaEvaluation, crate::service_levels::clock::SlaError> {
    let pause = PauseStatuses::new(sla.pause_statuses.iter().copied())?;
    let targets = SlaTargets {
        first_response: Target::new(i64::from(sla.first_response_minutes), sla.warning_percent)?,
        resolution: Target::new(i64::from(sla.resolution_minutes), sla.warning_percent)?,
    };
    SlaClock::new(calendar, history, &pause)?.evaluate(targets, first_response_time, time)
}

/// Runs `work` (SLA clocks: a day of the calendar per step from each request's opening, so a long-open
/// request costs milliseconds and a batch more) on tokio's blocking pool, off the async workers: a heavy
/// read never stalls the other RPCs, and the caller's deadline (the timeout layer dropping the future)
/// answers on time. At most one evaluation per CPU runs at once, so a flood of heavy reads queues here
/// rather than taking every thread of the pool. Work already started finishes in the background (it
/// holds its permit until then); its result is dropped.
pub(super) async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Arc::new(Semaphore::new(cpus))
    });
    let permit = Arc::clone(permits)
        .acquire_owned()
        .await
        .map_err(|closed| Error::Database(sea_orm::DbErr::Custom(format!("SLA evaluation: {closed}"))))?;
    let evaluation = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    });
    match evaluation.await {
        Ok(result) => result,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => Err(Error::Database(sea_orm::DbErr::Custom(format!(
            "SLA evaluation did not finish: {join}"
        )))),
    }
}

/// A clock that cannot answer: TARGET_UNREACHABLE for a target beyond the horizon (a write refuses it);
/// anything else means the stored history is inconsistent, which is our fault.
pub(super) fn clock_error(subject: &str, err: SlaError) -> Error {
    match err {
        SlaError::BusinessTime(BusinessTimeError::BeyondHorizon { .. }) => Error::rule(
            TARGET_UNREACHABLE,
            subject,
            "the SLA target is not reached within 20 years of the calendar's working time",
        ),
        other => Error::Database(sea_orm::DbErr::Custom(format!("sla clock: {other}"))),
    }
}
