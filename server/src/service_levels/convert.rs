//! The wire edge of service levels: proto messages in, validated domain values out, and back. Proto
//! messages are destructured in full, so a field added to the proto fails to compile here until it is
//! handled.

use chrono::{NaiveDate, Weekday};
use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use super::{
    model::{
        AppliedSla, Calendar, CalendarFields, CalendarPatch, Category, DEFAULT_WARNING_PERCENT, DayWindow,
        Escalation, EscalationStep, Holiday, NewRequest, Policy, PolicyFields, PolicyFilter, PolicyMatch,
        PolicyPatch, Priority, PriorityTargets, RequestFields, RequestFilter, RequestPatch, RequestRecord,
        RequestStatus, ServiceRequest, SlaState, StatusChange, TargetKind, TargetView, Trigger,
    },
    rules,
};
use crate::platform::wire::{PatchFields, Update};
use crate::{
    accounts::model::Tier,
    platform::{
        error::{FieldViolation, Result, Violations},
        etag,
        fields::{external_id, optional_id, optional_text, required_id, text},
        wire::{WireEnum, date_to_proto, instant, required_enum, timestamp},
    },
    teams::model::{TeamRole, code},
};

crate::wire_enums!(
    Priority => pb::Priority,
    Category => pb::service_request::Category,
    RequestStatus => pb::service_request::Status,
    SlaState => pb::sla_target::State,
    TargetKind => pb::SlaTargetKind,
    Trigger => pb::escalation_step::Trigger,
    PolicyMatch => pb::SlaPolicyMatch,
);

const CALENDAR_OUTPUT_ONLY: &[&str] = &["id", "create_time", "update_time", "etag"];
const POLICY_OUTPUT_ONLY: &[&str] = &["id", "is_default", "create_time", "update_time", "etag"];
const REQUEST_OUTPUT_ONLY: &[&str] = &[
    "id",
    "status",
    "sla",
    "first_response",
    "resolution",
    "first_response_time",
    "status_time",
    "resolve_time",
    "close_time",
    "create_time",
    "update_time",
    "etag",
];

// ----- calendars -----

fn weekday_from_proto(field: &str, raw: i32) -> Result<Weekday, FieldViolation> {
    use pb::DayOfWeek as D;
    match D::try_from(raw) {
        Ok(D::Monday) => Ok(Weekday::Mon),
        Ok(D::Tuesday) => Ok(Weekday::Tue),
        Ok(D::Wednesday) => Ok(Weekday::Wed),
        Ok(D::Thursday) => Ok(Weekday::Thu),
        Ok(D::Friday) => Ok(Weekday::Fri),
        Ok(D::Saturday) => Ok(Weekday::Sat),
        Ok(D::Sunday) => Ok(Weekday::Sun),
        Ok(D::Unspecified) => Err(FieldViolation::new(field, "must be set")),
        Err(_) => Err(FieldViolation::new(field, format!("unknown value {raw}"))),
    }
}

fn weekday_to_proto(day: Weekday) -> pb::DayOfWeek {
    use pb::DayOfWeek as D;
    match day {
        Weekday::Mon => D::Monday,
        Weekday::Tue => D::Tuesday,
        Weekday::Wed => D::Wednesday,
        Weekday::Thu => D::Thursday,
        Weekday::Fri => D::Friday,
        Weekday::Sat => D::Saturday,
        Weekday::Sun => D::Sunday,
    }
}

/// "HH:MM" as minutes since midnight: hours 00..=24, minutes 00..=59, at most 24:00.
fn clock_time(field: &str, raw: &str) -> Result<u16, FieldViolation> {
    let malformed = || FieldViolation::new(field, format!("{raw:?} is not a time \"HH:MM\" (00:00..=24:00)"));
    let (hours, minutes) = raw.trim().split_once(':').ok_or_else(malformed)?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(malformed());
    }
    let (hours, minutes): (u16, u16) = (
        hours.parse().map_err(|_| malformed())?,
        minutes.parse().map_err(|_| malformed())?,
    );
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > 1440 {
        return Err(malformed());
    }
    Ok(total)
}

fn windows_from_proto(windows: Vec<pb::WorkingWindow>, v: &mut Violations) -> Vec<DayWindow> {
    windows
        .into_iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let pb::WorkingWindow {
                day,
                start_time,
                end_time,
            } = w;
            let field = |name: &str| format!("calendar.windows[{i}].{name}");
            let weekday = v.take(weekday_from_proto(&field("day"), day));
            let start = v.take(clock_time(&field("start_time"), &start_time));
            let end = v.take(clock_time(&field("end_time"), &end_time));
            Some(DayWindow {
                weekday: weekday?,
                start_minute: start?,
                end_minute: end?,
            })
        })
        .collect()
}

/// A full date, required.
pub fn date_from_proto(field: &str, raw: Option<pb::Date>) -> Result<NaiveDate, FieldViolation> {
    crate::platform::wire::date(field, raw)?.ok_or_else(|| FieldViolation::new(field, "required"))
}

fn holidays_from_proto(holidays: Vec<pb::Holiday>, v: &mut Violations) -> Vec<Holiday> {
    holidays
        .into_iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let pb::Holiday { date, display_name } = h;
            let date = v.take(date_from_proto(&format!("calendar.holidays[{i}].date"), date));
            let name = v.take(text(
                &format!("calendar.holidays[{i}].display_name"),
                &display_name,
                100,
                false,
            ));
            Some(Holiday {
                date: date?,
                display_name: name?,
            })
        })
        .collect()
}

fn time_zone(raw: &str) -> Result<String, FieldViolation> {
    text("calendar.time_zone", raw, 64, true)
}

pub fn new_calendar(calendar: Option<pb::BusinessCalendar>) -> Result<CalendarFields> {
    let pb::BusinessCalendar {
        id: _,
        display_name,
        time_zone: zone,
        always_open,
        windows,
        holidays,
        create_time: _,
        update_time: _,
        etag: _,
    } = calendar.unwrap_or_default();
    let mut v = Violations::default();
    let name = v.take(text("calendar.display_name", &display_name, 200, true));
    let zone = v.take(time_zone(&zone));
    let windows = windows_from_proto(windows, &mut v);
    let holidays = holidays_from_proto(holidays, &mut v);
    v.into_result()?;
    let fields = CalendarFields {
        display_name: name.expect("checked above"),
        time_zone: zone.expect("checked above"),
        always_open,
        windows,
        holidays,
    };
    let shape = rules::check_calendar(&fields);
    if !shape.is_empty() {
        return Err(crate::platform::error::Error::InvalidArgument(shape));
    }
    Ok(rules::normalize_calendar(fields))
}

pub fn calendar_update(
    calendar: Option<pb::BusinessCalendar>,
    mask: Option<FieldMask>,
) -> Result<Update<CalendarPatch>> {
    let pb::BusinessCalendar {
        id,
        display_name,
        time_zone: zone,
        always_open,
        windows,
        holidays,
        create_time: _,
        update_time: _,
        etag: sent_etag,
    } = calendar.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("calendar.id", &id));
    let (patch, paths) = PatchFields::new()
        .field(
            "display_name",
            !display_name.is_empty(),
            |patch: &mut CalendarPatch, v| {
                patch.display_name = v.take(text("calendar.display_name", &display_name, 200, true));
            },
        )
        .field("time_zone", !zone.is_empty(), |patch, v| {
            patch.time_zone = v.take(time_zone(&zone))
        })
        .field("always_open", always_open, |patch, _| {
            patch.always_open = Some(always_open)
        })
        .field("windows", !windows.is_empty(), |patch, v| {
            patch.windows = Some(windows_from_proto(windows, v))
        })
        .field("holidays", !holidays.is_empty(), |patch, v| {
            patch.holidays = Some(holidays_from_proto(holidays, v))
        })
        .read(mask, CALENDAR_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&sent_etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn calendar_to_proto(calendar: Calendar) -> pb::BusinessCalendar {
    let Calendar {
        id,
        fields,
        create_time,
        update_time,
        revision,
    } = calendar;
    let CalendarFields {
        display_name,
        time_zone,
        always_open,
        windows,
        holidays,
    } = fields;
    pb::BusinessCalendar {
        id: id.to_string(),
        display_name,
        time_zone,
        always_open,
        windows: windows
            .into_iter()
            .map(|w| pb::WorkingWindow {
                day: weekday_to_proto(w.weekday) as i32,
                start_time: rules::hh_mm(w.start_minute),
                end_time: rules::hh_mm(w.end_minute),
            })
            .collect(),
        holidays: holidays
            .into_iter()
            .map(|h| pb::Holiday {
                date: Some(date_to_proto(h.date)),
                display_name: h.display_name,
            })
            .collect(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

// ----- policies -----

fn targets_from_proto(targets: Vec<pb::PriorityTargets>, v: &mut Violations) -> Vec<PriorityTargets> {
    targets
        .into_iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let pb::PriorityTargets {
                priority,
                first_response_minutes,
                resolution_minutes,
            } = t;
            let field = format!("policy.targets[{i}].priority");
            let priority = v.take(required_enum(&field, Priority::from_wire(&field, priority)))?;
            Some(PriorityTargets {
                priority,
                first_response_minutes,
                resolution_minutes,
            })
        })
        .collect()
}

fn pause_statuses_from_proto(raw: Option<pb::PauseStatuses>, v: &mut Violations) -> Vec<RequestStatus> {
    let Some(pb::PauseStatuses { statuses }) = raw else {
        return vec![
            RequestStatus::WaitingOnCustomer,
            RequestStatus::WaitingOnThirdParty,
        ];
    };
    statuses
        .into_iter()
        .enumerate()
        .filter_map(|(i, raw)| {
            let field = format!("policy.pause_statuses.statuses[{i}]");
            v.take(required_enum(&field, RequestStatus::from_wire(&field, raw)))
        })
        .collect()
}

fn steps_from_proto(steps: Vec<pb::EscalationStep>, v: &mut Violations) -> Vec<EscalationStep> {
    steps
        .into_iter()
        .enumerate()
        .filter_map(|(i, step)| {
            let pb::EscalationStep {
                trigger,
                target,
                delay_minutes,
                notify_assignee,
                roles,
                liaison_department_codes,
            } = step;
            let field = |name: &str| format!("policy.escalation_steps[{i}].{name}");
            let trigger = v.take(required_enum(
                &field("trigger"),
                Trigger::from_wire(&field("trigger"), trigger),
            ));
            let target = v.take(TargetKind::from_wire(&field("target"), target));
            let roles: Vec<TeamRole> = roles
                .into_iter()
                .enumerate()
                .filter_map(|(j, raw)| {
                    let name = format!("policy.escalation_steps[{i}].roles[{j}]");
                    v.take(required_enum(&name, TeamRole::from_wire(&name, raw)))
                })
                .collect();
            let codes: Vec<String> = liaison_department_codes
                .iter()
                .enumerate()
                .filter_map(|(j, raw)| {
                    v.take(code(
                        &format!("policy.escalation_steps[{i}].liaison_department_codes[{j}]"),
                        raw,
                    ))
                })
                .collect();
            Some(EscalationStep {
                trigger: trigger?,
                target: target?,
                delay_minutes,
                notify_assignee,
                roles,
                liaison_department_codes: codes,
            })
        })
        .collect()
}

fn warning_percent(raw: i32) -> Result<u8, FieldViolation> {
    u8::try_from(raw)
        .ok()
        .filter(|p| (1..=100).contains(p))
        .ok_or_else(|| FieldViolation::new("policy.warning_percent", "must be within 1..=100"))
}

pub fn new_policy(policy: Option<pb::SlaPolicy>) -> Result<PolicyFields> {
    let pb::SlaPolicy {
        id: _,
        display_name,
        account_id,
        tier,
        is_default: _,
        calendar_id,
        targets,
        warning_percent: warning,
        pause_statuses,
        escalation_steps,
        create_time: _,
        update_time: _,
        etag: _,
    } = policy.unwrap_or_default();
    let mut v = Violations::default();
    let name = v.take(text("policy.display_name", &display_name, 200, true));
    let account = v.take(optional_id("policy.account_id", &account_id)).flatten();
    let tier = v.take(Tier::from_wire("policy.tier", tier)).flatten();
    let scope = match rules::scope_of(account, tier) {
        Ok(super::model::PolicyScope::Default) => {
            v.add(
                "policy.account_id",
                "a new policy is for an account or a tier (the one default policy exists already)",
            );
            None
        }
        other => v.take(other),
    };
    let calendar_id = v.take(required_id("policy.calendar_id", &calendar_id));
    let targets = targets_from_proto(targets, &mut v);
    let warning = if warning == 0 {
        Some(DEFAULT_WARNING_PERCENT)
    } else {
        v.take(warning_percent(warning))
    };
    let pause = pause_statuses_from_proto(pause_statuses, &mut v);
    let steps = steps_from_proto(escalation_steps, &mut v);
    v.into_result()?;
    let fields = PolicyFields {
        display_name: name.expect("checked above"),
        scope: scope.expect("checked above"),
        calendar_id: calendar_id.expect("checked above"),
        targets,
        warning_percent: warning.expect("checked above"),
        pause_statuses: pause,
        escalation_steps: steps,
    };
    let shape = rules::check_policy(&fields);
    if !shape.is_empty() {
        return Err(crate::platform::error::Error::InvalidArgument(shape));
    }
    Ok(rules::normalize_policy(fields))
}

pub fn policy_update(policy: Option<pb::SlaPolicy>, mask: Option<FieldMask>) -> Result<Update<PolicyPatch>> {
    let pb::SlaPolicy {
        id,
        display_name,
        account_id,
        tier,
        is_default: _,
        calendar_id,
        targets,
        warning_percent: warning,
        pause_statuses,
        escalation_steps,
        create_time: _,
        update_time: _,
        etag: sent_etag,
    } = policy.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("policy.id", &id));
    let (patch, paths) = PatchFields::new()
        .field(
            "display_name",
            !display_name.is_empty(),
            |patch: &mut PolicyPatch, v| {
                patch.display_name = v.take(text("policy.display_name", &display_name, 200, true));
            },
        )
        .field("account_id", !account_id.is_empty(), |patch, v| {
            patch.account_id = v.take(optional_id("policy.account_id", &account_id))
        })
        .field("tier", tier != 0, |patch, v| {
            patch.tier = v.take(Tier::from_wire("policy.tier", tier))
        })
        .field("calendar_id", !calendar_id.is_empty(), |patch, v| {
            patch.calendar_id = v.take(required_id("policy.calendar_id", &calendar_id))
        })
        .field("targets", !targets.is_empty(), |patch, v| {
            patch.targets = Some(targets_from_proto(targets, v))
        })
        .field("warning_percent", warning != 0, |patch, v| {
            patch.warning_percent = v.take(warning_percent(warning))
        })
        .field("pause_statuses", pause_statuses.is_some(), |patch, v| {
            // Named in the mask but unset: nothing pauses.
            let raw = pause_statuses.unwrap_or_default();
            patch.pause_statuses = Some(pause_statuses_from_proto(Some(raw), v));
        })
        .field("escalation_steps", !escalation_steps.is_empty(), |patch, v| {
            patch.escalation_steps = Some(steps_from_proto(escalation_steps, v))
        })
        .read(mask, POLICY_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&sent_etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn policy_filter(request: &pb::ListSlaPoliciesRequest) -> Result<PolicyFilter> {
    let pb::ListSlaPoliciesRequest {
        page_size: _,
        page_token: _,
        account_id,
        tier,
    } = request;
    let mut v = Violations::default();
    let filter = PolicyFilter {
        account_id: v.take(optional_id("account_id", account_id)).flatten(),
        tier: v.take(Tier::from_wire("tier", *tier)).flatten(),
    };
    v.into_result()?;
    Ok(filter)
}

fn step_to_proto(step: EscalationStep) -> pb::EscalationStep {
    let EscalationStep {
        trigger,
        target,
        delay_minutes,
        notify_assignee,
        roles,
        liaison_department_codes,
    } = step;
    pb::EscalationStep {
        trigger: trigger.to_wire(),
        target: target.map_or(0, |t| t.to_wire()),
        delay_minutes,
        notify_assignee,
        roles: roles.into_iter().map(|r| r.to_wire()).collect(),
        liaison_department_codes,
    }
}

pub fn policy_to_proto(policy: Policy) -> pb::SlaPolicy {
    let is_default = policy.is_default();
    let Policy {
        id,
        fields,
        create_time,
        update_time,
        revision,
    } = policy;
    let PolicyFields {
        display_name,
        scope,
        calendar_id,
        targets,
        warning_percent,
        pause_statuses,
        escalation_steps,
    } = fields;
    pb::SlaPolicy {
        id: id.to_string(),
        display_name,
        account_id: scope.account_id().map(|a| a.to_string()).unwrap_or_default(),
        tier: scope.tier().map_or(0, |t| t.to_wire()),
        is_default,
        calendar_id: calendar_id.to_string(),
        targets: targets
            .into_iter()
            .map(|t| pb::PriorityTargets {
                priority: t.priority.to_wire(),
                first_response_minutes: t.first_response_minutes,
                resolution_minutes: t.resolution_minutes,
            })
            .collect(),
        warning_percent: i32::from(warning_percent),
        pause_statuses: Some(pb::PauseStatuses {
            statuses: pause_statuses.into_iter().map(|s| s.to_wire()).collect(),
        }),
        escalation_steps: escalation_steps.into_iter().map(step_to_proto).collect(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

// ----- service requests -----

fn contact(raw: &str) -> Result<Option<Uuid>, FieldViolation> {
    optional_id("service_request.contact_id", raw)
}

fn title(raw: &str) -> Result<String, FieldViolation> {
    text("service_request.title", raw, 200, true)
}

fn description(raw: &str) -> Result<String, FieldViolation> {
    text("service_request.description", raw, 10_000, false)
}

fn assignee(raw: &str) -> Result<Option<Uuid>, FieldViolation> {
    optional_id("service_request.assignee_staff_id", raw)
}

pub fn new_request(request: Option<pb::ServiceRequest>) -> Result<NewRequest> {
    let pb::ServiceRequest {
        id: _,
        external_id: external,
        account_id,
        contact_id,
        title: title_raw,
        description: description_raw,
        category,
        priority,
        status: _,
        assignee_staff_id,
        sla: _,
        first_response: _,
        resolution: _,
        first_response_time: _,
        status_time: _,
        resolve_time: _,
        close_time: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = request.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("service_request.account_id", &account_id));
    let priority = v
        .take(Priority::from_wire("service_request.priority", priority))
        .flatten()
        .unwrap_or(Priority::P3);
    let fields = RequestFields {
        external_id: v
            .take(external_id("service_request.external_id", &external))
            .flatten(),
        contact_id: v.take(contact(&contact_id)).flatten(),
        title: v.take(title(&title_raw)).unwrap_or_default(),
        description: v.take(description(&description_raw)).unwrap_or_default(),
        category: v
            .take(Category::from_wire("service_request.category", category))
            .flatten()
            .unwrap_or(Category::Other),
        assignee_staff_id: v.take(assignee(&assignee_staff_id)).flatten(),
    };
    v.into_result()?;
    Ok(NewRequest {
        account_id: account_id.expect("checked above"),
        priority,
        fields,
    })
}

/// One imported service request record, checked like CreateServiceRequest checks a request; the first
/// fault, named by its field within the record.
pub fn request_record(record: pb::ServiceRequestRecord) -> Result<RequestRecord, FieldViolation> {
    let pb::ServiceRequestRecord {
        external_id: external,
        account_external_id,
        contact_external_id,
        title: title_raw,
        description: description_raw,
        category,
        priority,
        assignee_email,
        open_time,
    } = record;
    let required = |field: &str, raw: &str| {
        external_id(field, raw)?.ok_or_else(|| FieldViolation::new(field, "required"))
    };
    Ok(RequestRecord {
        external_id: required("external_id", &external)?,
        account_external_id: required("account_external_id", &account_external_id)?,
        contact_external_id: external_id("contact_external_id", &contact_external_id)?,
        title: text("title", &title_raw, 200, true)?,
        description: text("description", &description_raw, 10_000, false)?,
        category: Category::from_wire("category", category)?.unwrap_or(Category::Other),
        priority: Priority::from_wire("priority", priority)?.unwrap_or(Priority::P3),
        assignee_email: Some(text("assignee_email", &assignee_email, 254, false)?).filter(|e| !e.is_empty()),
        open_time: instant("open_time", open_time)?,
    })
}

pub fn request_update(
    request: Option<pb::ServiceRequest>,
    mask: Option<FieldMask>,
) -> Result<Update<RequestPatch>> {
    let pb::ServiceRequest {
        id,
        external_id: external,
        account_id: _,
        contact_id,
        title: title_raw,
        description: description_raw,
        category,
        priority: _,
        status: _,
        assignee_staff_id,
        sla: _,
        first_response: _,
        resolution: _,
        first_response_time: _,
        status_time: _,
        resolve_time: _,
        close_time: _,
        create_time: _,
        update_time: _,
        etag: sent_etag,
    } = request.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("service_request.id", &id));
    let (patch, paths) = PatchFields::new()
        .field(
            "external_id",
            !external.is_empty(),
            |patch: &mut RequestPatch, v| {
                patch.external_id = v.take(external_id("service_request.external_id", &external))
            },
        )
        .field("contact_id", !contact_id.is_empty(), |patch, v| {
            patch.contact_id = v.take(contact(&contact_id))
        })
        .field("title", !title_raw.is_empty(), |patch, v| {
            patch.title = v.take(title(&title_raw))
        })
        .field("description", !description_raw.is_empty(), |patch, v| {
            patch.description = v.take(description(&description_raw))
        })
        .field("category", category != 0, |patch, v| {
            patch.category = v.take(required_enum(
                "service_request.category",
                Category::from_wire("service_request.category", category),
            ))
        })
        .field("assignee_staff_id", !assignee_staff_id.is_empty(), |patch, v| {
            patch.assignee_staff_id = v.take(assignee(&assignee_staff_id))
        })
        .read(mask, REQUEST_OUTPUT_ONLY, &["account_id", "priority"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&sent_etag).map(str::to_owned),
        patch,
        paths,
    })
}

/// The new status of a ChangeServiceRequestStatus: set, and not NEW (nothing goes back to NEW; the
/// graph would refuse it anyway, but as a rule, not as bad input).
pub fn new_status(raw: i32) -> Result<RequestStatus, FieldViolation> {
    required_enum("status", RequestStatus::from_wire("status", raw))
}

pub fn note(raw: &str) -> Result<String, FieldViolation> {
    text("note", raw, 2000, false)
}

pub fn request_filter(request: &pb::ListServiceRequestsRequest) -> Result<RequestFilter> {
    let pb::ListServiceRequestsRequest {
        page_size: _,
        page_token: _,
        account_id,
        assignee_staff_id,
        status,
        open_only,
        priority,
        category,
        sla_state,
        sla_target,
        due_before,
        query,
        order_by: _,
        segments,
    } = request;
    let mut v = Violations::default();
    let filter = RequestFilter {
        account_id: v.take(optional_id("account_id", account_id)).flatten(),
        assignee_staff_id: v
            .take(optional_id("assignee_staff_id", assignee_staff_id))
            .flatten(),
        status: v.take(RequestStatus::from_wire("status", *status)).flatten(),
        open_only: *open_only,
        priority: v.take(Priority::from_wire("priority", *priority)).flatten(),
        category: v.take(Category::from_wire("category", *category)).flatten(),
        sla_state: v.take(SlaState::from_wire("sla_state", *sla_state)).flatten(),
        sla_target: v.take(TargetKind::from_wire("sla_target", *sla_target)).flatten(),
        due_before: v.take(instant("due_before", *due_before)).flatten(),
        query: v.take(optional_text("query", query, 200)).flatten(),
        segments: v
            .take(crate::segments::convert::segment_filter(
                "segments",
                segments.as_ref(),
            ))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(filter)
}

fn target_to_proto(target: TargetView) -> pb::SlaTarget {
    let TargetView {
        state,
        due_time,
        at_risk_time,
        elapsed_business_minutes,
        paused_business_minutes,
        target_minutes,
        fulfilled_time,
    } = target;
    pb::SlaTarget {
        state: state.to_wire(),
        due_time: Some(timestamp(due_time)),
        at_risk_time: Some(timestamp(at_risk_time)),
        elapsed_business_minutes,
        paused_business_minutes,
        target_minutes,
        fulfilled_time: fulfilled_time.map(timestamp),
    }
}

fn applied_to_proto(sla: AppliedSla) -> pb::AppliedSla {
    let AppliedSla {
        policy_id,
        policy_match,
        calendar_id,
        first_response_minutes,
        resolution_minutes,
        warning_percent,
        pause_statuses,
        apply_time,
    } = sla;
    pb::AppliedSla {
        policy_id: policy_id.to_string(),
        r#match: policy_match.to_wire(),
        calendar_id: calendar_id.to_string(),
        first_response_minutes,
        resolution_minutes,
        warning_percent: i32::from(warning_percent),
        pause_statuses: pause_statuses.into_iter().map(|s| s.to_wire()).collect(),
        apply_time: Some(timestamp(apply_time)),
    }
}

pub fn request_to_proto(request: ServiceRequest) -> pb::ServiceRequest {
    let ServiceRequest {
        id,
        account_id,
        priority,
        status,
        fields,
        sla,
        first_response,
        resolution,
        first_response_time,
        status_time,
        resolve_time,
        close_time,
        create_time,
        update_time,
        revision,
    } = request;
    let RequestFields {
        external_id,
        contact_id,
        title,
        description,
        category,
        assignee_staff_id,
    } = fields;
    pb::ServiceRequest {
        id: id.to_string(),
        external_id: external_id.unwrap_or_default(),
        account_id: account_id.to_string(),
        contact_id: contact_id.map(|c| c.to_string()).unwrap_or_default(),
        title,
        description,
        category: category.to_wire(),
        priority: priority.to_wire(),
        status: status.to_wire(),
        assignee_staff_id: assignee_staff_id.map(|a| a.to_string()).unwrap_or_default(),
        sla: Some(applied_to_proto(sla)),
        first_response: Some(target_to_proto(first_response)),
        resolution: Some(target_to_proto(resolution)),
        first_response_time: first_response_time.map(timestamp),
        status_time: Some(timestamp(status_time)),
        resolve_time: resolve_time.map(timestamp),
        close_time: close_time.map(timestamp),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

pub fn status_change_to_proto(change: StatusChange) -> pb::StatusChange {
    let StatusChange {
        id,
        service_request_id,
        from_status,
        to_status,
        change_time,
        changed_by,
        note,
    } = change;
    pb::StatusChange {
        id: id.to_string(),
        service_request_id: service_request_id.to_string(),
        from_status: from_status.map_or(0, |s| s.to_wire()),
        to_status: to_status.to_wire(),
        change_time: Some(timestamp(change_time)),
        changed_by: changed_by.to_string(),
        note,
    }
}

pub fn escalation_to_proto(escalation: Escalation) -> pb::Escalation {
    let Escalation {
        id,
        service_request_id,
        target,
        trigger,
        step_index,
        recipients,
        escalate_time,
    } = escalation;
    pb::Escalation {
        id: id.to_string(),
        service_request_id: service_request_id.to_string(),
        target: target.to_wire(),
        trigger: trigger.to_wire(),
        step_index,
        recipients: recipients
            .into_iter()
            .map(|r| pb::EscalationRecipient {
                staff_id: r.staff_id.to_string(),
                reason: r.reason,
            })
            .collect(),
        escalate_time: Some(timestamp(escalate_time)),
    }
}
