//! The service-level area's database side: calendars, policies, service requests with their status
//! history and SLA columns, and the escalations list. Other areas reach this data only through these
//! functions.

mod assignments;
mod calendars;
mod clock_calendars;
mod compliance;
mod entity;
mod evaluation;
mod history;
mod import;
mod monitor;
mod policies;
mod requests;
mod rows;

pub use assignments::ServiceRequestAssignments;
pub use calendars::{create_calendar, get_calendar, list_calendars, update_calendar};
pub use compliance::compliance_of_accounts;
pub use compliance::{
    Compliance, ComplianceReport, ComplianceScope, SegmentCompliance, breached_targets_by_account,
    compliance_report,
};
pub use history::{list_escalations, list_status_history};
pub use import::import_requests;
pub use monitor::{ScanReport, scan_once};
pub use policies::{create_policy, delete_policy, get_policy, list_policies, update_policy};
pub use requests::{
    RecalculateRequest, change_status, create_request, get_request, list_requests, recalculate_sla,
    record_first_response, request_ids, requests_by_ids, update_request,
};

use kam_proto::v1 as pb;

use super::{convert::request_to_proto, model::ServiceRequest};
use crate::platform::{
    audit::Change,
    error::{Error, RuleViolation},
    events::Payload,
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
