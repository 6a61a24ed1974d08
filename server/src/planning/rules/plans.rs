//! The rules of account plans and their actions, pure: which status moves are allowed,
//! when an action is overdue, and the scorecard's arithmetic (integers only, rounded down).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::named_enum;

named_enum!(PlanStatus { Draft = "DRAFT", Active = "ACTIVE", Closed = "CLOSED" });
named_enum!(ActionStatus {
    Open = "OPEN",
    InProgress = "IN_PROGRESS",
    Done = "DONE",
    Cancelled = "CANCELLED",
});
named_enum!(SwotKind {
    Strength = "STRENGTH",
    Weakness = "WEAKNESS",
    Opportunity = "OPPORTUNITY",
    Threat = "THREAT",
});
named_enum!(ThreatLevel { Low = "LOW", Medium = "MEDIUM", High = "HIGH" });
named_enum!(WhitespaceStatus { Current = "CURRENT", Potential = "POTENTIAL", None = "NONE" });

pub const ONE_ACTIVE_PLAN: &str = "ONE_ACTIVE_PLAN";
pub const PLAN_STATUS: &str = "PLAN_STATUS";

/// A measurable objective of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    pub metric: String,
    pub target_value: i64,
    pub current_value: i64,
    pub due_date: Option<NaiveDate>,
}

impl Objective {
    /// `current / target` in percent, rounded down, between 0 and 100.
    pub fn progress_percent(&self) -> i32 {
        percent(i128::from(self.current_value), i128::from(self.target_value)).clamp(0, 100)
    }

    /// Not reached, and its due date has passed.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.current_value < self.target_value && self.due_date.is_some_and(|due| due < today)
    }
}

/// Plans move forward only: DRAFT → ACTIVE → CLOSED.
pub fn plan_transition_allowed(from: PlanStatus, to: PlanStatus) -> bool {
    matches!(
        (from, to),
        (PlanStatus::Draft, PlanStatus::Active) | (PlanStatus::Active, PlanStatus::Closed)
    )
}

impl ActionStatus {
    /// Still to be done: OPEN or IN_PROGRESS.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// An action is overdue when it is still open and was due before `today`.
pub fn action_overdue(status: ActionStatus, due_date: NaiveDate, today: NaiveDate) -> bool {
    status.is_open() && due_date < today
}

/// `part / whole` in percent, rounded down; 0 when `whole` is not positive.
pub fn percent(part: i128, whole: i128) -> i32 {
    if whole <= 0 {
        return 0;
    }
    i32::try_from(part.saturating_mul(100) / whole).unwrap_or(if part < 0 { i32::MIN } else { i32::MAX })
}

/// The action counts of a scorecard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActionCounts {
    pub total: i32,
    pub done: i32,
    pub open: i32,
    pub overdue: i32,
    pub cancelled: i32,
}

impl ActionCounts {
    pub fn of(actions: &[(ActionStatus, NaiveDate)], today: NaiveDate) -> Self {
        let mut counts = Self::default();
        for &(status, due) in actions {
            counts.total += 1;
            match status {
                ActionStatus::Done => counts.done += 1,
                ActionStatus::Cancelled => counts.cancelled += 1,
                ActionStatus::Open | ActionStatus::InProgress => counts.open += 1,
            }
            if action_overdue(status, due, today) {
                counts.overdue += 1;
            }
        }
        counts
    }

    /// Done out of everything not cancelled.
    pub fn done_percent(&self) -> i32 {
        percent(i128::from(self.done), i128::from(self.total - self.cancelled))
    }
}

/// The mean progress of `objectives`, rounded down; 0 without objectives.
pub fn mean_progress(objectives: &[Objective]) -> i32 {
    if objectives.is_empty() {
        return 0;
    }
    let sum: i64 = objectives.iter().map(|o| i64::from(o.progress_percent())).sum();
    (sum / objectives.len() as i64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn plans_move_forward_only() {
        use PlanStatus::*;
        for from in PlanStatus::ALL {
            for to in PlanStatus::ALL {
                let allowed = plan_transition_allowed(*from, *to);
                assert_eq!(
                    allowed,
                    matches!((from, to), (Draft, Active) | (Active, Closed)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn an_open_action_due_before_today_is_overdue() {
        let today = day("2026-12-05");
        assert!(action_overdue(ActionStatus::Open, day("2026-12-04"), today));
        assert!(action_overdue(ActionStatus::InProgress, day("2026-01-01"), today));
        assert!(
            !action_overdue(ActionStatus::Open, today, today),
            "due today is not late yet"
        );
        assert!(!action_overdue(ActionStatus::Done, day("2026-12-01"), today));
        assert!(!action_overdue(ActionStatus::Cancelled, day("2026-12-01"), today));
    }

    #[test]
    fn counts_and_done_percent_leave_cancelled_actions_out() {
        let today = day("2026-12-05");
        let counts = ActionCounts::of(
            &[
                (ActionStatus::Done, day("2026-11-01")),
                (ActionStatus::Open, day("2026-11-01")),
                (ActionStatus::InProgress, day("2026-12-31")),
                (ActionStatus::Cancelled, day("2026-11-01")),
            ],
            today,
        );
        assert_eq!(
            counts,
            ActionCounts {
                total: 4,
                done: 1,
                open: 2,
                overdue: 1,
                cancelled: 1
            }
        );
        assert_eq!(counts.done_percent(), 33);
        assert_eq!(ActionCounts::default().done_percent(), 0);
    }

    #[test]
    fn objective_progress_is_capped_and_rounded_down() {
        let objective = |current, target| Objective {
            metric: "pumps".into(),
            target_value: target,
            current_value: current,
            due_date: Some(day("2026-06-30")),
        };
        assert_eq!(objective(2, 3).progress_percent(), 66);
        assert_eq!(objective(5, 3).progress_percent(), 100);
        assert_eq!(objective(-1, 3).progress_percent(), 0);
        assert!(objective(2, 3).is_overdue(day("2026-07-01")));
        assert!(!objective(3, 3).is_overdue(day("2026-07-01")), "reached");
        assert!(!objective(2, 3).is_overdue(day("2026-06-30")));
        assert_eq!(mean_progress(&[objective(1, 2), objective(4, 4)]), 75);
        assert_eq!(mean_progress(&[]), 0);
    }

    #[test]
    fn percent_of_nothing_is_zero() {
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(150, 100), 150);
    }

    proptest! {
        #[test]
        fn counts_add_up(statuses in prop::collection::vec((0usize..4, -30i64..30), 0..50)) {
            let today = day("2026-12-05");
            let actions: Vec<(ActionStatus, NaiveDate)> = statuses
                .iter()
                .map(|(s, offset)| (ActionStatus::ALL[*s], today + chrono::Duration::days(*offset)))
                .collect();
            let counts = ActionCounts::of(&actions, today);
            prop_assert_eq!(counts.done + counts.open + counts.cancelled, counts.total);
            prop_assert!(counts.overdue <= counts.open);
            prop_assert!((0..=100).contains(&counts.done_percent()));
        }
    }
}
