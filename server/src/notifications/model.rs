//! The notifications area's domain: who is told of a warning and why, and a person's notification as
//! the store keeps it. No I/O here.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{named_enum, platform::events::Payload};

named_enum!(Reason {
    AccountManager = "ACCOUNT_MANAGER",
    ExecutiveSponsor = "EXECUTIVE_SPONSOR",
    ActionOwner = "ACTION_OWNER",
});

/// A person to tell, and the first reason that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub staff_id: Uuid,
    pub reason: Reason,
}

/// One warning for one person.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub reason: Reason,
    /// e.g. `KeyDateUpcoming`.
    pub event_type: String,
    pub account_id: Uuid,
    pub account_display_name: String,
    /// The event's payload, as the event stream carries it.
    pub payload: Payload,
    pub create_time: DateTime<Utc>,
    pub read_time: Option<DateTime<Utc>>,
}

/// What one watch announced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WatchReport {
    pub health_changes: usize,
    pub key_dates: usize,
    pub cadences: usize,
    pub overdue_actions: usize,
    /// Notifications filed, all announcements together.
    pub notifications: usize,
}

impl WatchReport {
    /// Counts the notifications of an announcement this watch made (`Some(people told)`); whether it
    /// made it.
    pub fn tally(&mut self, made: Option<usize>) -> bool {
        if let Some(told) = made {
            self.notifications += told;
        }
        made.is_some()
    }
}
