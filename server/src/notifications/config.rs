//! The notifications area's settings (`[notifications]`): how often the watcher looks, and how long
//! before a key date its kind is announced.

use serde::Deserialize;

use crate::accounts::model::KeyDateKind;

/// The watcher that turns conditions into warnings (NotificationService).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Seconds between two watches; 0 turns the watcher off on this replica. Of several replicas on one
    /// database, the one holding the watcher's lease watches (`jobs.lease_seconds`).
    pub watch_interval_seconds: u64,
    /// How many days ahead a key date is announced, per kind.
    pub key_date_notice_days: KeyDateNotice,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            watch_interval_seconds: 300,
            key_date_notice_days: KeyDateNotice::default(),
        }
    }
}

/// Days of notice per key-date kind: 0 announces a date on its day, at most 366.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct KeyDateNotice {
    pub birthday: u32,
    pub work_anniversary: u32,
    pub other: u32,
    pub founding_anniversary: u32,
    /// A renewal wants the most time: the offer, the negotiation.
    pub contract_renewal: u32,
    pub customer_event: u32,
}

impl Default for KeyDateNotice {
    fn default() -> Self {
        Self {
            birthday: 7,
            work_anniversary: 7,
            other: 7,
            founding_anniversary: 30,
            contract_renewal: 90,
            customer_event: 30,
        }
    }
}

/// The most notice a kind may be given: a date recurs within a year.
const MAX_NOTICE_DAYS: u32 = 366;
/// A day: watching less often than that would miss a key date's own day.
const MAX_WATCH_INTERVAL_SECONDS: u64 = 86_400;

impl KeyDateNotice {
    pub fn of(&self, kind: KeyDateKind) -> u32 {
        match kind {
            KeyDateKind::Birthday => self.birthday,
            KeyDateKind::WorkAnniversary => self.work_anniversary,
            KeyDateKind::Other => self.other,
            KeyDateKind::FoundingAnniversary => self.founding_anniversary,
            KeyDateKind::ContractRenewal => self.contract_renewal,
            KeyDateKind::CustomerEvent => self.customer_event,
        }
    }

    /// The longest notice of any kind: how far ahead the watcher reads the calendar.
    pub fn longest(&self) -> u32 {
        KeyDateKind::ALL
            .iter()
            .map(|kind| self.of(*kind))
            .max()
            .unwrap_or(0)
    }
}

impl NotificationsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.watch_interval_seconds > MAX_WATCH_INTERVAL_SECONDS {
            return Err(format!(
                "notifications.watch_interval_seconds: 0 (off) to {MAX_WATCH_INTERVAL_SECONDS}, not {}",
                self.watch_interval_seconds
            ));
        }
        for kind in KeyDateKind::ALL {
            let days = self.key_date_notice_days.of(*kind);
            if days > MAX_NOTICE_DAYS {
                return Err(format!(
                    "notifications.key_date_notice_days.{}: 0 to {MAX_NOTICE_DAYS}, not {days}",
                    kind.as_str().to_ascii_lowercase()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_is_per_kind_and_bounded() {
        let config = NotificationsConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.key_date_notice_days.of(KeyDateKind::ContractRenewal), 90);
        assert_eq!(config.key_date_notice_days.longest(), 90);
        let mut long = config;
        long.key_date_notice_days.customer_event = 367;
        assert_eq!(
            long.validate().unwrap_err(),
            "notifications.key_date_notice_days.customer_event: 0 to 366, not 367"
        );
        let mut slow = config;
        slow.watch_interval_seconds = 86_401;
        assert!(slow.validate().is_err());
    }
}
