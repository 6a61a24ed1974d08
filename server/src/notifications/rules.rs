//! Who hears of what, and when a condition is news: pure, so the watcher's choices are tested without a
//! database.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::model::{Reason, Recipient};
use crate::{
    planning::rules::health::{Health, HealthLevel, HealthSignalKind},
    teams::model::TeamRole,
};

/// Who a kind of warning is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The account managers.
    Managers,
    /// The account managers and the executive sponsors: what the customer's leadership notices.
    ManagersAndSponsors,
    /// An action's owner, and the account managers who answer for the plan.
    OwnerAndManagers(Uuid),
}

/// The people to tell among an account's active seats (`(staff, role)`), each once, under the first
/// reason that applies in the order ACCOUNT_MANAGER, EXECUTIVE_SPONSOR, ACTION_OWNER; sorted by reason,
/// then staff id, so the same seats always name the same recipients in the same order.
pub fn recipients(seats: &[(Uuid, TeamRole)], audience: Audience) -> Vec<Recipient> {
    let mut told: Vec<Recipient> = Vec::new();
    let mut tell = |staff_id: Uuid, reason: Reason| {
        if !told.iter().any(|r| r.staff_id == staff_id) {
            told.push(Recipient { staff_id, reason });
        }
    };
    let holders = |role: TeamRole| -> BTreeSet<Uuid> {
        seats
            .iter()
            .filter(|(_, r)| *r == role)
            .map(|(staff, _)| *staff)
            .collect()
    };
    for staff in holders(TeamRole::AccountManager) {
        tell(staff, Reason::AccountManager);
    }
    if audience == Audience::ManagersAndSponsors {
        for staff in holders(TeamRole::ExecutiveSponsor) {
            tell(staff, Reason::ExecutiveSponsor);
        }
    }
    if let Audience::OwnerAndManagers(owner) = audience {
        tell(owner, Reason::ActionOwner);
    }
    told
}

/// The health level and the signals triggered when it was last announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announced {
    pub level: HealthLevel,
    pub score: u32,
    pub triggered: BTreeSet<HealthSignalKind>,
}

impl Announced {
    pub fn of(health: &Health) -> Self {
        Self {
            level: health.level,
            score: health.score,
            triggered: health
                .signals
                .iter()
                .filter(|signal| signal.triggered)
                .map(|signal| signal.kind)
                .collect(),
        }
    }
}

/// What the watcher does with an account's health now, given what it last announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthNews {
    /// The level is the one announced: nothing to say.
    Unchanged,
    /// First seen HEALTHY: remember it without a word.
    Remember,
    /// The level changed (or was first seen below HEALTHY): announce it, with the signals that moved:
    /// those triggered now and not then, or then and not now.
    Changed { moved: Vec<HealthSignalKind> },
}

pub fn health_news(before: Option<&Announced>, now: &Announced) -> HealthNews {
    match before {
        None if now.level == HealthLevel::Healthy => HealthNews::Remember,
        None => HealthNews::Changed {
            moved: now.triggered.iter().copied().collect(),
        },
        Some(before) if before.level == now.level => HealthNews::Unchanged,
        Some(before) => HealthNews::Changed {
            moved: before
                .triggered
                .symmetric_difference(&now.triggered)
                .copied()
                .collect(),
        },
    }
}

/// Whether a date `days_until` away is announced under `notice` days of notice.
pub fn within_notice(days_until: i64, notice: u32) -> bool {
    (0..=i64::from(notice)).contains(&days_until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn each_person_is_told_once_under_the_first_reason() {
        let seats = [
            (id(3), TeamRole::ExecutiveSponsor),
            (id(2), TeamRole::AccountManager),
            (id(1), TeamRole::AccountManager),
            (id(4), TeamRole::SalesSpecialist),
        ];
        let told = |audience| -> Vec<(Uuid, Reason)> {
            recipients(&seats, audience)
                .into_iter()
                .map(|r| (r.staff_id, r.reason))
                .collect()
        };
        assert_eq!(
            told(Audience::Managers),
            [(id(1), Reason::AccountManager), (id(2), Reason::AccountManager)]
        );
        assert_eq!(
            told(Audience::ManagersAndSponsors),
            [
                (id(1), Reason::AccountManager),
                (id(2), Reason::AccountManager),
                (id(3), Reason::ExecutiveSponsor)
            ]
        );
        // The owner who manages the account is told as its manager; a specialist owner as the owner.
        assert_eq!(told(Audience::OwnerAndManagers(id(2))).len(), 2);
        assert_eq!(
            told(Audience::OwnerAndManagers(id(4))).last(),
            Some(&(id(4), Reason::ActionOwner))
        );
        assert!(recipients(&[], Audience::ManagersAndSponsors).is_empty());
    }

    fn announced(level: HealthLevel, triggered: &[HealthSignalKind]) -> Announced {
        Announced {
            level,
            score: 0,
            triggered: triggered.iter().copied().collect(),
        }
    }

    #[test]
    fn health_is_news_when_its_level_changes() {
        use HealthSignalKind::*;
        let healthy = announced(HealthLevel::Healthy, &[]);
        let watch = announced(HealthLevel::Watch, &[Silence]);
        let at_risk = announced(HealthLevel::AtRisk, &[Silence, RevenueDecline, LostOpportunities]);
        assert_eq!(health_news(None, &healthy), HealthNews::Remember);
        assert_eq!(
            health_news(None, &watch),
            HealthNews::Changed { moved: vec![Silence] }
        );
        assert_eq!(
            health_news(Some(&watch), &announced(HealthLevel::Watch, &[SlaBreaches])),
            HealthNews::Unchanged
        );
        assert_eq!(
            health_news(Some(&watch), &at_risk),
            HealthNews::Changed {
                moved: vec![RevenueDecline, LostOpportunities]
            }
        );
        assert_eq!(
            health_news(Some(&at_risk), &healthy),
            HealthNews::Changed {
                moved: vec![RevenueDecline, Silence, LostOpportunities]
            },
            "a recovery is news too"
        );
    }

    #[test]
    fn a_date_is_announced_from_its_notice_to_its_day() {
        assert!(within_notice(0, 0));
        assert!(within_notice(7, 7));
        assert!(!within_notice(8, 7));
        assert!(!within_notice(-1, 7));
    }
}
