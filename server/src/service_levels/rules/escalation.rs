//! The breach monitor's decisions, pure: what one check of a request records (its AT_RISK and BREACHED
//! transitions), which escalation steps are due, whom a step tells, and when to look again. The
//! monitor's store claims the request, loads the facts, asks these functions and writes the answer.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{escalation_rank, stored_sla};
use crate::{
    service_levels::{
        clock::{BusinessCalendar, SlaEvaluation, TargetStatus},
        model::{EscalationStep, Recipient, SlaState, TargetKind, Trigger},
    },
    teams::store::ActiveSeat,
};

/// The targets in the order a check handles them.
pub const TARGETS: [TargetKind; 2] = [TargetKind::FirstResponse, TargetKind::Resolution];

/// A target whose recorded state moves up (toward BREACHED) in this check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub target: TargetKind,
    /// What was recorded before: the compare-and-set's expected value.
    pub from: SlaState,
    pub to: SlaState,
    /// The states to announce, in order: a target that went from IN_PROGRESS straight to BREACHED
    /// between two checks passed AT_RISK on the way, and both are announced, so every ladder runs in
    /// full.
    pub announced: Vec<SlaState>,
}

/// An escalation step due now for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueStep {
    pub target: TargetKind,
    /// The step's place in the policy's ladder.
    pub index: i32,
    pub step: EscalationStep,
}

/// What one check of a request decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDecision {
    pub transitions: Vec<Transition>,
    pub due_steps: Vec<DueStep>,
    /// When to look at the request again: always after `now`, so a scan never sees it twice; `None`
    /// when nothing can happen any more.
    pub next_check_time: Option<DateTime<Utc>>,
}

/// Decides one check at `now` of a request whose clock says `evaluation`, whose recorded states are
/// `recorded` (first response, resolution), whose policy's ladder is `ladder` on `calendar`, and of
/// whose ladder the steps in `ran` (target, index) already ran for this application of the policy.
pub fn decide(
    calendar: &BusinessCalendar,
    ladder: &[EscalationStep],
    evaluation: &SlaEvaluation,
    recorded: (SlaState, SlaState),
    ran: &HashSet<(TargetKind, i32)>,
    now: DateTime<Utc>,
) -> CheckDecision {
    let mut recorded = recorded;
    let mut transitions = Vec::new();
    for target in TARGETS {
        let state = evaluation.get(target).state;
        let from = recorded_of(recorded, target);
        let (low, high) = (escalation_rank(from), escalation_rank(state));
        if high <= low {
            continue;
        }
        let announced = (low + 1..=high)
            .map(|rank| {
                if rank == 1 {
                    SlaState::AtRisk
                } else {
                    SlaState::Breached
                }
            })
            .collect();
        transitions.push(Transition {
            target,
            from,
            to: state,
            announced,
        });
        match target {
            TargetKind::FirstResponse => recorded.0 = state,
            TargetKind::Resolution => recorded.1 = state,
        }
    }
    let mut due_steps = Vec::new();
    let mut pending: Option<DateTime<Utc>> = None;
    for (index, step) in ladder.iter().enumerate() {
        let index = i32::try_from(index).unwrap_or(i32::MAX);
        for target in TARGETS {
            if step.target.is_some_and(|t| t != target) || ran.contains(&(target, index)) {
                continue;
            }
            let Some(at) = step_time(
                calendar,
                step,
                evaluation.get(target),
                recorded_of(recorded, target),
            ) else {
                continue;
            };
            if at > now {
                pending = Some(pending.map_or(at, |p| p.min(at)));
            } else {
                due_steps.push(DueStep {
                    target,
                    index,
                    step: step.clone(),
                });
            }
        }
    }
    // A write's rule for the next check, with what was just recorded, plus the delayed steps still to
    // come; never at or before `now`, so this scan moves past the request.
    let stored = stored_sla(evaluation, recorded, None, now);
    let next_check_time = [stored.next_check_time, pending]
        .into_iter()
        .flatten()
        .min()
        .map(|t| t.max(now + Duration::microseconds(1)));
    CheckDecision {
        transitions,
        due_steps,
        next_check_time,
    }
}

fn recorded_of(recorded: (SlaState, SlaState), target: TargetKind) -> SlaState {
    match target {
        TargetKind::FirstResponse => recorded.0,
        TargetKind::Resolution => recorded.1,
    }
}

/// When `step` is due for a target in `status` whose recorded state is `recorded`: None when it does
/// not apply (not reached yet, no longer in the trigger's state, or fulfilled before the step's instant).
fn step_time(
    calendar: &BusinessCalendar,
    step: &EscalationStep,
    status: &TargetStatus,
    recorded: SlaState,
) -> Option<DateTime<Utc>> {
    let (rank, start) = match step.trigger {
        Trigger::AtRisk => (1, status.at_risk_time),
        Trigger::Breached => (2, status.due_time),
    };
    if escalation_rank(recorded) < rank || escalation_rank(status.state) < rank {
        return None;
    }
    // A delay beyond the calendar's horizon never comes.
    let at = calendar
        .add_business_minutes(start, i64::from(step.delay_minutes))
        .ok()?;
    match status.fulfilled_time {
        Some(fulfilled) if fulfilled <= at => None,
        _ => Some(at),
    }
}

/// Whom `step` notifies, in the step's order: the assignee, the holders of its roles (in the order
/// the roles are listed, each role's holders in the order they joined), then its department liaisons
/// (in the order the departments are listed). Someone named twice for different reasons is listed
/// under each; the same person for the same reason, once.
pub fn recipients(step: &EscalationStep, assignee: Option<Uuid>, seats: &[ActiveSeat]) -> Vec<Recipient> {
    let mut recipients = Vec::new();
    if step.notify_assignee
        && let Some(assignee) = assignee
    {
        recipients.push(Recipient {
            staff_id: assignee,
            reason: "ASSIGNEE".to_owned(),
        });
    }
    for role in &step.roles {
        for seat in seats.iter().filter(|seat| seat.role == role.as_str()) {
            recipients.push(Recipient {
                staff_id: seat.staff_id,
                reason: role.as_str().to_owned(),
            });
        }
    }
    for code in &step.liaison_department_codes {
        for seat in seats
            .iter()
            .filter(|seat| seat.is_department_liaison && &seat.department_code == code)
        {
            recipients.push(Recipient {
                staff_id: seat.staff_id,
                reason: format!("LIAISON:{code}"),
            });
        }
    }
    let mut seen = HashSet::new();
    recipients.retain(|r| seen.insert((r.staff_id, r.reason.clone())));
    recipients
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teams::model::TeamRole;

    fn seat(n: u128, role: TeamRole, liaison_of: Option<&str>) -> ActiveSeat {
        ActiveSeat {
            staff_id: Uuid::from_u128(n),
            role: role.as_str().to_owned(),
            is_department_liaison: liaison_of.is_some(),
            department_code: liaison_of.unwrap_or("SALES").to_owned(),
        }
    }

    fn step(roles: Vec<TeamRole>, liaisons: &[&str]) -> EscalationStep {
        EscalationStep {
            trigger: Trigger::Breached,
            target: Some(TargetKind::Resolution),
            delay_minutes: 0,
            notify_assignee: true,
            roles,
            liaison_department_codes: liaisons.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn named(recipients: &[Recipient]) -> Vec<(u128, &str)> {
        recipients
            .iter()
            .map(|r| (r.staff_id.as_u128(), r.reason.as_str()))
            .collect()
    }

    #[test]
    fn the_assignee_then_roles_in_step_order_then_liaisons() {
        let seats = [
            seat(1, TeamRole::ServiceLead, None),
            seat(2, TeamRole::AccountManager, None),
            seat(3, TeamRole::SolutionEngineer, Some("QUALITY")),
        ];
        let step = step(
            vec![TeamRole::AccountManager, TeamRole::ServiceLead],
            &["QUALITY"],
        );
        assert_eq!(
            named(&recipients(&step, Some(Uuid::from_u128(9)), &seats)),
            [
                (9, "ASSIGNEE"),
                (2, "ACCOUNT_MANAGER"),
                (1, "SERVICE_LEAD"),
                (3, "LIAISON:QUALITY")
            ]
        );
    }

    #[test]
    fn a_person_named_for_two_reasons_comes_under_each_but_once_per_reason() {
        let seats = [seat(1, TeamRole::AccountManager, Some("SALES"))];
        let step = step(
            vec![TeamRole::AccountManager, TeamRole::AccountManager],
            &["SALES"],
        );
        assert_eq!(
            named(&recipients(&step, Some(Uuid::from_u128(1)), &seats)),
            [(1, "ASSIGNEE"), (1, "ACCOUNT_MANAGER"), (1, "LIAISON:SALES")]
        );
    }

    #[test]
    fn a_seat_that_is_no_liaison_is_not_told_as_one() {
        let seats = [seat(1, TeamRole::SolutionEngineer, None)];
        let mut step = step(vec![], &["SALES"]);
        step.notify_assignee = false;
        assert!(recipients(&step, None, &seats).is_empty());
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn ladder_step(trigger: Trigger, delay_minutes: i32) -> EscalationStep {
        EscalationStep {
            trigger,
            target: None,
            delay_minutes,
            notify_assignee: false,
            roles: vec![TeamRole::ExecutiveSponsor],
            liaison_department_codes: vec![],
        }
    }

    fn target_in(state: SlaState, fulfilled: Option<&str>) -> TargetStatus {
        TargetStatus {
            state,
            due_time: at("2024-03-04T10:00:00Z"),
            at_risk_time: at("2024-03-04T09:48:00Z"),
            elapsed: Duration::minutes(70),
            paused: Duration::zero(),
            fulfilled_time: fulfilled.map(at),
        }
    }

    #[test]
    fn a_step_counts_its_delay_from_the_trigger_in_business_time() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let breached = target_in(SlaState::Breached, None);
        assert_eq!(
            step_time(
                &always,
                &ladder_step(Trigger::Breached, 30),
                &breached,
                SlaState::Breached
            ),
            Some(at("2024-03-04T10:30:00Z"))
        );
        assert_eq!(
            step_time(
                &always,
                &ladder_step(Trigger::AtRisk, 0),
                &breached,
                SlaState::Breached
            ),
            Some(at("2024-03-04T09:48:00Z")),
            "a breached target has passed at risk"
        );
    }

    #[test]
    fn a_step_waits_for_its_transition_to_be_recorded_and_the_target_to_stay_in_it() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let breach = ladder_step(Trigger::Breached, 0);
        assert_eq!(
            step_time(
                &always,
                &breach,
                &target_in(SlaState::Breached, None),
                SlaState::AtRisk
            ),
            None,
            "not recorded yet"
        );
        assert_eq!(
            step_time(
                &always,
                &breach,
                &target_in(SlaState::Paused, None),
                SlaState::Breached
            ),
            None,
            "paused"
        );
        assert_eq!(
            step_time(
                &always,
                &ladder_step(Trigger::AtRisk, 0),
                &target_in(SlaState::Met, None),
                SlaState::AtRisk
            ),
            None,
            "met in time"
        );
    }

    #[test]
    fn a_target_fulfilled_before_the_steps_instant_no_longer_escalates() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let late = target_in(SlaState::Breached, Some("2024-03-04T10:10:00Z"));
        // The breach itself (at the due time) is still escalated: the response came after it.
        assert!(
            step_time(
                &always,
                &ladder_step(Trigger::Breached, 0),
                &late,
                SlaState::Breached
            )
            .is_some()
        );
        // The sponsor, 30 minutes after the due time, is not: the response came before.
        assert_eq!(
            step_time(
                &always,
                &ladder_step(Trigger::Breached, 30),
                &late,
                SlaState::Breached
            ),
            None
        );
    }

    fn ran_none() -> HashSet<(TargetKind, i32)> {
        HashSet::new()
    }

    #[test]
    fn a_target_that_went_straight_to_breached_announces_at_risk_first() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let evaluation = SlaEvaluation {
            first_response: target_in(SlaState::Met, Some("2024-03-04T09:00:00Z")),
            resolution: target_in(SlaState::Breached, None),
        };
        let recorded = (SlaState::InProgress, SlaState::InProgress);
        let decision = decide(
            &always,
            &[],
            &evaluation,
            recorded,
            &ran_none(),
            at("2024-03-04T11:00:00Z"),
        );
        assert_eq!(
            decision.transitions,
            [Transition {
                target: TargetKind::Resolution,
                from: SlaState::InProgress,
                to: SlaState::Breached,
                announced: vec![SlaState::AtRisk, SlaState::Breached],
            }]
        );
        assert!(decision.due_steps.is_empty());
    }

    #[test]
    fn due_steps_run_once_and_delayed_ones_set_the_next_check() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let evaluation = SlaEvaluation {
            first_response: target_in(SlaState::Met, Some("2024-03-04T09:00:00Z")),
            resolution: target_in(SlaState::Breached, None),
        };
        let mut ladder = vec![
            ladder_step(Trigger::Breached, 0),
            ladder_step(Trigger::Breached, 120),
        ];
        ladder[0].target = Some(TargetKind::Resolution);
        ladder[1].target = Some(TargetKind::Resolution);
        let now = at("2024-03-04T11:00:00Z");
        let recorded = (SlaState::Met, SlaState::Breached);
        let decision = decide(&always, &ladder, &evaluation, recorded, &ran_none(), now);
        assert!(decision.transitions.is_empty(), "already recorded");
        let due: Vec<_> = decision.due_steps.iter().map(|d| (d.target, d.index)).collect();
        assert_eq!(due, [(TargetKind::Resolution, 0)]);
        assert_eq!(
            decision.next_check_time,
            Some(at("2024-03-04T12:00:00Z")),
            "the delayed step"
        );
        let ran = HashSet::from([(TargetKind::Resolution, 0)]);
        let again = decide(&always, &ladder, &evaluation, recorded, &ran, now);
        assert!(again.due_steps.is_empty(), "a step that ran does not run again");
    }

    #[test]
    fn the_next_check_is_always_after_now() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let evaluation = SlaEvaluation {
            first_response: target_in(SlaState::InProgress, None),
            resolution: target_in(SlaState::InProgress, None),
        };
        let now = at("2024-03-04T09:00:00Z");
        let recorded = (SlaState::InProgress, SlaState::InProgress);
        let decision = decide(&always, &[], &evaluation, recorded, &ran_none(), now);
        assert!(decision.next_check_time.is_some_and(|next| next > now));
    }
}
