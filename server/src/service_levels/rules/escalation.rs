//! Whom an escalation step tells: a pure function of the step, the request's assignee and the
//! account's team as it is now, so the monitor's store only loads and records.

use std::collections::HashSet;

use uuid::Uuid;

use crate::{
    service_levels::model::{EscalationStep, Recipient},
    teams::store::ActiveSeat,
};

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
    use crate::{
        service_levels::model::{TargetKind, Trigger},
        teams::model::TeamRole,
    };

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
}
