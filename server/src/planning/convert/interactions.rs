//! The wire edge of interactions, the cadence report and the key-date calendar.

use std::{cmp::Reverse, collections::HashSet};

use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use crate::platform::wire::{PatchFields, Update};
use crate::{
    accounts::model::Tier,
    planning::model::{
        CadenceKind, Interaction, InteractionFields, InteractionFilter, InteractionPatch, InteractionType,
        OverdueCadence, UpcomingKeyDate,
    },
    platform::{
        error::{FieldViolation, Result, Violations},
        etag,
        fields::{optional_id, required_id, text},
        paging::Cursor,
        wire::{WireEnum, date_to_proto, instant, required_enum, timestamp},
    },
    segments::{convert::segment_filter, model::SegmentFilter},
};

crate::wire_enums!(
    InteractionType => pb::interaction::Type,
    CadenceKind => pb::CadenceKind,
);

const MAX_STAFF: usize = 20;
const MAX_CONTACTS: usize = 50;
const OUTPUT_ONLY: &[&str] = &["id", "logged_by_staff_id", "create_time", "update_time", "etag"];

/// Ids, each once, `1..=max` of them (or `0..=max` when not `required`).
fn ids(field: &str, raw: &[String], max: usize, required: bool) -> Result<Vec<Uuid>, FieldViolation> {
    if required && raw.is_empty() {
        return Err(FieldViolation::new(field, "at least one"));
    }
    if raw.len() > max {
        return Err(FieldViolation::new(field, format!("at most {max}")));
    }
    let mut seen = HashSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, id)| {
            let id = required_id(&format!("{field}[{i}]"), id)?;
            if !seen.insert(id) {
                return Err(FieldViolation::new(format!("{field}[{i}]"), "named twice"));
            }
            Ok(id)
        })
        .collect()
}

fn satisfaction(raw: i32) -> Result<i32, FieldViolation> {
    if (0..=5).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldViolation::new(
            "interaction.satisfaction",
            "must be 1 (very unhappy) to 5 (delighted), or 0 for not rated",
        ))
    }
}

pub fn new_interaction(raw: Option<pb::Interaction>) -> Result<(Uuid, InteractionFields)> {
    let pb::Interaction {
        id: _,
        account_id,
        r#type,
        occur_time,
        staff_ids,
        contact_ids,
        summary,
        outcome,
        next_step,
        satisfaction: rating,
        logged_by_staff_id: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("interaction.account_id", &account_id));
    let kind = v.take(required_enum(
        "interaction.type",
        InteractionType::from_wire("interaction.type", r#type),
    ));
    let occur_time = v.take(
        instant("interaction.occur_time", occur_time)
            .and_then(|t| t.ok_or_else(|| FieldViolation::new("interaction.occur_time", "required"))),
    );
    let staff_ids = v.take(ids("interaction.staff_ids", &staff_ids, MAX_STAFF, true));
    let contact_ids = v.take(ids("interaction.contact_ids", &contact_ids, MAX_CONTACTS, false));
    let summary = v.take(text("interaction.summary", &summary, 2000, true));
    let outcome = v.take(text("interaction.outcome", &outcome, 2000, false));
    let next_step = v.take(text("interaction.next_step", &next_step, 2000, false));
    let rating = v.take(satisfaction(rating));
    v.into_result()?;
    Ok((
        account_id.expect("checked above"),
        InteractionFields {
            kind: kind.expect("checked above"),
            occur_time: occur_time.expect("checked above"),
            staff_ids: staff_ids.expect("checked above"),
            contact_ids: contact_ids.expect("checked above"),
            summary: summary.expect("checked above"),
            outcome: outcome.expect("checked above"),
            next_step: next_step.expect("checked above"),
            satisfaction: rating.expect("checked above"),
        },
    ))
}

pub fn interaction_update(
    raw: Option<pb::Interaction>,
    mask: Option<FieldMask>,
) -> Result<Update<InteractionPatch>> {
    let i = raw.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("interaction.id", &i.id));
    let (patch, paths) = PatchFields::new()
        .field("type", i.r#type != 0, |patch: &mut InteractionPatch, v| {
            patch.kind = v.take(required_enum(
                "interaction.type",
                InteractionType::from_wire("interaction.type", i.r#type),
            ))
        })
        .field("occur_time", i.occur_time.is_some(), |patch, v| {
            patch.occur_time = v.take(
                instant("interaction.occur_time", i.occur_time)
                    .and_then(|t| t.ok_or_else(|| FieldViolation::new("interaction.occur_time", "required"))),
            )
        })
        .field("staff_ids", !i.staff_ids.is_empty(), |patch, v| {
            patch.staff_ids = v.take(ids("interaction.staff_ids", &i.staff_ids, MAX_STAFF, true))
        })
        .field("contact_ids", !i.contact_ids.is_empty(), |patch, v| {
            patch.contact_ids = v.take(ids(
                "interaction.contact_ids",
                &i.contact_ids,
                MAX_CONTACTS,
                false,
            ))
        })
        .field("summary", !i.summary.is_empty(), |patch, v| {
            patch.summary = v.take(text("interaction.summary", &i.summary, 2000, true))
        })
        .field("outcome", !i.outcome.is_empty(), |patch, v| {
            patch.outcome = v.take(text("interaction.outcome", &i.outcome, 2000, false))
        })
        .field("next_step", !i.next_step.is_empty(), |patch, v| {
            patch.next_step = v.take(text("interaction.next_step", &i.next_step, 2000, false))
        })
        .field("satisfaction", i.satisfaction != 0, |patch, v| {
            patch.satisfaction = v.take(satisfaction(i.satisfaction))
        })
        .read(mask, OUTPUT_ONLY, &["account_id"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&i.etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn interaction_filter(request: &pb::ListInteractionsRequest) -> Result<InteractionFilter> {
    let mut v = Violations::default();
    let filter = InteractionFilter {
        account_id: v.take(optional_id("account_id", &request.account_id)).flatten(),
        kind: v
            .take(InteractionType::from_wire("type", request.r#type))
            .flatten(),
        staff_id: v.take(optional_id("staff_id", &request.staff_id)).flatten(),
        since: v.take(instant("since", request.since)).flatten(),
        until: v.take(instant("until", request.until)).flatten(),
        segments: v
            .take(segment_filter("segments", request.segments.as_ref()))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn interaction_to_proto(interaction: Interaction) -> pb::Interaction {
    let Interaction {
        id,
        account_id,
        fields,
        logged_by,
        create_time,
        update_time,
        revision,
    } = interaction;
    pb::Interaction {
        id: id.to_string(),
        account_id: account_id.to_string(),
        r#type: fields.kind.to_wire(),
        occur_time: Some(timestamp(fields.occur_time)),
        staff_ids: fields.staff_ids.iter().map(Uuid::to_string).collect(),
        contact_ids: fields.contact_ids.iter().map(Uuid::to_string).collect(),
        summary: fields.summary,
        outcome: fields.outcome,
        next_step: fields.next_step,
        satisfaction: fields.satisfaction,
        logged_by_staff_id: logged_by.to_string(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

pub fn cadence_filter(
    tier: i32,
    kind: i32,
    segments: Option<&pb::SegmentFilter>,
) -> Result<(Option<Tier>, Option<CadenceKind>, SegmentFilter)> {
    let mut v = Violations::default();
    let tier = v.take(Tier::from_wire("tier", tier)).flatten();
    let kind = v.take(CadenceKind::from_wire("kind", kind)).flatten();
    let segments = v.take(segment_filter("segments", segments)).unwrap_or_default();
    v.into_result()?;
    Ok((tier, kind, segments))
}

/// The cursor of a row of the cadence report, which is computed whole and sorted by
/// (days overdue descending, account, kind).
pub fn cadence_cursor(row: &OverdueCadence) -> Cursor {
    Cursor {
        key: Some(format!("{}|{}", row.days_overdue, row.kind.as_str())),
        id: row.account_id,
    }
}

/// The rows after `cursor` in the report's order.
pub fn cadence_after(
    rows: Vec<OverdueCadence>,
    cursor: Option<&Cursor>,
) -> Result<Vec<OverdueCadence>, FieldViolation> {
    let Some(cursor) = cursor else {
        return Ok(rows);
    };
    let malformed = || FieldViolation::new("page_token", "malformed page token");
    let (days, kind) = cursor
        .key
        .as_deref()
        .and_then(|k| k.split_once('|'))
        .ok_or_else(malformed)?;
    let days: i64 = days.parse().map_err(|_| malformed())?;
    let kind = CadenceKind::from_name(kind).ok_or_else(malformed)?;
    let last = (Reverse(days), cursor.id, kind);
    Ok(rows
        .into_iter()
        .filter(|r| (Reverse(r.days_overdue), r.account_id, r.kind) > last)
        .collect())
}

pub fn overdue_to_proto(row: OverdueCadence) -> pb::OverdueCadence {
    pb::OverdueCadence {
        account_id: row.account_id.to_string(),
        account_display_name: row.account_display_name,
        tier: row.tier.to_wire(),
        kind: row.kind.to_wire(),
        interval_days: i32::try_from(row.interval_days).unwrap_or(i32::MAX),
        last_time: row.last_time.map(timestamp),
        due_time: Some(timestamp(row.due_time)),
        days_overdue: i32::try_from(row.days_overdue).unwrap_or(i32::MAX),
        account_manager_staff_id: row.account_manager.map(|m| m.to_string()).unwrap_or_default(),
    }
}

/// `days` of ListUpcomingKeyDates: 1..=366.
pub fn key_date_window(days: i32) -> Result<u32, FieldViolation> {
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=366).contains(d))
        .ok_or_else(|| FieldViolation::new("days", "must be within 1..=366"))
}

pub fn upcoming_to_proto(upcoming: UpcomingKeyDate) -> pb::UpcomingKeyDate {
    let UpcomingKeyDate {
        date,
        next_occurrence,
        days_until,
        years,
    } = upcoming;
    pb::UpcomingKeyDate {
        account_id: date.account_id.to_string(),
        account_display_name: date.account_display_name,
        contact_id: date
            .contact
            .as_ref()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        contact_full_name: date.contact.map(|(_, name)| name).unwrap_or_default(),
        kind: date.key_date.kind.to_wire(),
        label: date.key_date.label,
        date: Some(pb::Date {
            year: date.key_date.year,
            month: date.key_date.month as i32,
            day: date.key_date.day as i32,
        }),
        next_occurrence: Some(date_to_proto(next_occurrence)),
        days_until: i32::try_from(days_until).unwrap_or(i32::MAX),
        years,
        one_time: date.key_date.one_time,
    }
}
