//! The service-level area's database side: calendars, policies, service requests with their status
//! history and SLA columns, and the escalations list. Other areas reach this data only through these
//! functions.

mod assignments;
mod calendars;
mod compliance;
mod entity;
mod history;
mod import;
mod monitor;
mod policies;
mod requests;

pub use assignments::ServiceRequestAssignments;
pub use calendars::{create_calendar, get_calendar, list_calendars, update_calendar};
pub use compliance::{
    Compliance, ComplianceReport, ComplianceScope, breached_targets_by_account, compliance_report,
};
pub use history::{list_escalations, list_status_history};
pub use import::import_requests;
pub use monitor::{ScanReport, scan_once};
pub use policies::{create_policy, delete_policy, get_policy, list_policies, update_policy};
pub use requests::{
    RecalculateRequest, change_status, create_request, get_request, list_requests, recalculate_sla,
    record_first_response, request_ids, requests_by_ids, update_request,
};

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use kam_proto::v1 as pb;

use super::{convert::request_to_proto, model::ServiceRequest};
use crate::{
    platform::{
        audit::Change,
        error::{Error, Result, RuleViolation},
        events::Payload,
    },
    service_levels::clock::{BusinessTimeError, SlaError},
};

/// The change of `request` announced as `event`, which carries the request as GetServiceRequest returns
/// it.
fn request_change(
    request: &ServiceRequest,
    event: fn(pb::ServiceRequest) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let (id, account_id) = (request.id, Some(request.account_id));
    let message = request_to_proto(request.clone());
    Change::new(SERVICE_REQUEST, id, account_id, event(message), changed_fields)
}

const CALENDAR: &str = "business_calendar";
const POLICY: &str = "sla_policy";
const SERVICE_REQUEST: &str = "service_request";

/// A target that cannot be reached within the clock's search horizon (about 20 years of the calendar's
/// dates): too large a target on too sparse a calendar.
pub const TARGET_UNREACHABLE: &str = "TARGET_UNREACHABLE";

/// Broken rules as the one error a refused write answers with.
fn refuse(violations: Vec<RuleViolation>) -> Error {
    Error::FailedPrecondition(violations)
}

/// Runs `work` (SLA clocks: a day of the calendar per step from each request's opening, so a long-open
/// request costs milliseconds and a batch more) on tokio's blocking pool, off the async workers: a heavy
/// read never stalls the other RPCs, and the caller's deadline (the timeout layer dropping the future)
/// answers on time. At most one evaluation per CPU runs at once, so a flood of heavy reads queues here
/// rather than taking every thread of the pool. Work already started finishes in the background (it
/// holds its permit until then); its result is dropped.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
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
fn clock_error(subject: &str, err: SlaError) -> Error {
    match err {
        SlaError::BusinessTime(BusinessTimeError::BeyondHorizon { .. }) => Error::rule(
            TARGET_UNREACHABLE,
            subject,
            "the SLA target is not reached within 20 years of the calendar's working time",
        ),
        other => Error::Database(sea_orm::DbErr::Custom(format!("sla clock: {other}"))),
    }
}
