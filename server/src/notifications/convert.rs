//! The wire edge of the notifications area.

use kam_proto::v1 as pb;
use uuid::Uuid;

use super::model::{Notification, Reason, Recipient};
use crate::platform::{
    error::{FieldViolation, Result, Violations},
    events::Payload,
    fields::optional_id,
    wire::{WireEnum, timestamp},
};

crate::wire_enums!(Reason => pb::recipient::Reason);

/// Most ids one MarkNotificationsRead takes.
const MAX_IDS: usize = 1000;

pub fn recipients_to_proto(recipients: &[Recipient]) -> Vec<pb::Recipient> {
    recipients
        .iter()
        .map(|recipient| pb::Recipient {
            staff_id: recipient.staff_id.to_string(),
            reason: recipient.reason.to_wire(),
        })
        .collect()
}

/// `staff_id` of ListNotifications: `None` for the caller's own.
pub fn whose(staff_id: &str) -> Result<Option<Uuid>, FieldViolation> {
    optional_id("staff_id", staff_id)
}

/// The ids of MarkNotificationsRead: 1..=1000 well-formed ids.
pub fn notification_ids(ids: &[String]) -> Result<Vec<Uuid>> {
    let mut v = Violations::default();
    if ids.is_empty() || ids.len() > MAX_IDS {
        v.add("ids", format!("1..={MAX_IDS} notification ids"));
    }
    let parsed: Vec<Uuid> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            v.take(Uuid::parse_str(id).map_err(|_| FieldViolation::new(format!("ids[{i}]"), "not a UUID")))
        })
        .collect();
    v.into_result()?;
    Ok(parsed)
}

pub fn notification_to_proto(notification: Notification) -> pb::Notification {
    use pb::notification::Payload as Wire;
    let Notification {
        id,
        staff_id,
        reason,
        event_type,
        account_id,
        account_display_name,
        payload,
        create_time,
        read_time,
    } = notification;
    let payload = match payload {
        Payload::AccountHealthChanged(event) => Some(Wire::AccountHealthChanged(event)),
        Payload::KeyDateUpcoming(event) => Some(Wire::KeyDateUpcoming(event)),
        Payload::CadenceOverdue(event) => Some(Wire::CadenceOverdue(event)),
        Payload::PlanActionOverdue(event) => Some(Wire::PlanActionOverdue(event)),
        // The watcher files only its own event types.
        _ => None,
    };
    pb::Notification {
        id: id.to_string(),
        staff_id: staff_id.to_string(),
        reason: reason.to_wire(),
        event_type,
        account_id: account_id.to_string(),
        account_display_name,
        create_time: Some(timestamp(create_time)),
        read_time: read_time.map(timestamp),
        payload,
    }
}
