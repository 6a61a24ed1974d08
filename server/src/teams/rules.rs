//! The team rules as pure functions over plain values: who may take which seat on an
//! account's team, what a change to a person may not break, what an account's tier still lacks, and
//! how a handover plays out seat by seat. The store loads the facts, these functions judge them.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::model::{StaffLevel, TeamRole};

pub const ONE_ACCOUNT_MANAGER: &str = "ONE_ACCOUNT_MANAGER";
pub const SPONSOR_MUST_BE_EXECUTIVE: &str = "SPONSOR_MUST_BE_EXECUTIVE";
pub const ONE_LIAISON_PER_DEPARTMENT: &str = "ONE_LIAISON_PER_DEPARTMENT";
pub const CAPACITY_EXCEEDED: &str = "CAPACITY_EXCEEDED";
pub const STAFF_INACTIVE: &str = "STAFF_INACTIVE";
pub const STAFF_ACTIVE: &str = "STAFF_ACTIVE";
pub const MAX_TWO_STAGES: &str = "MAX_TWO_STAGES";
pub const ALREADY_ON_TEAM: &str = "ALREADY_ON_TEAM";

/// A person handles one or two steps of the funnel, never more: specialists, not generalists.
pub const MAX_STAGE_SPECIALTIES: usize = 2;

/// A broken rule: which, where, and why in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleBreak {
    pub rule: &'static str,
    pub account_id: Option<Uuid>,
    pub description: String,
}

impl RuleBreak {
    fn new(rule: &'static str, account_id: Option<Uuid>, description: impl Into<String>) -> Self {
        Self {
            rule,
            account_id,
            description: description.into(),
        }
    }
}

/// What the rules need to know about a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub active: bool,
    pub level: StaffLevel,
    pub max_accounts: i32,
    /// The accounts on whose team the person holds an active seat.
    pub accounts: BTreeSet<Uuid>,
}

/// An active membership: one person's seat on one account's team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seat {
    pub membership_id: Uuid,
    pub staff_id: Uuid,
    pub role: TeamRole,
    pub is_department_liaison: bool,
    /// The department the person represents on this team.
    pub department_id: Uuid,
}

/// Every rule `person` taking `seat` on `account`'s team would break. `team` is the account's active
/// seats; a seat with the same membership id is the one being changed and does not count against it.
pub fn check_seat(account: Uuid, person: &Person, seat: &Seat, team: &[Seat]) -> Vec<RuleBreak> {
    let others = || team.iter().filter(|s| s.membership_id != seat.membership_id);
    let at = Some(account);
    let mut breaks = Vec::new();
    if !person.active {
        breaks.push(RuleBreak::new(
            STAFF_INACTIVE,
            at,
            "inactive staff cannot be assigned",
        ));
    }
    if seat.role == TeamRole::ExecutiveSponsor && person.level != StaffLevel::Executive {
        breaks.push(RuleBreak::new(
            SPONSOR_MUST_BE_EXECUTIVE,
            at,
            "an executive sponsor must be staff of level EXECUTIVE",
        ));
    }
    if seat.role == TeamRole::AccountManager && others().any(|s| s.role == TeamRole::AccountManager) {
        breaks.push(RuleBreak::new(
            ONE_ACCOUNT_MANAGER,
            at,
            "the account already has an active account manager",
        ));
    }
    if seat.is_department_liaison
        && others().any(|s| s.is_department_liaison && s.department_id == seat.department_id)
    {
        breaks.push(RuleBreak::new(
            ONE_LIAISON_PER_DEPARTMENT,
            at,
            "the department already has a liaison for this account",
        ));
    }
    if others().any(|s| s.staff_id == person.id) {
        breaks.push(RuleBreak::new(
            ALREADY_ON_TEAM,
            at,
            "the person is already on this account's team",
        ));
    }
    if !person.accounts.contains(&account) && person.accounts.len() as i64 >= i64::from(person.max_accounts) {
        breaks.push(RuleBreak::new(
            CAPACITY_EXCEEDED,
            at,
            format!(
                "the person already serves {} of at most {} accounts",
                person.accounts.len(),
                person.max_accounts
            ),
        ));
    }
    breaks
}

/// The rules a change to a person must keep: `after` is the person as changed, `sponsor_seats` how many
/// active executive-sponsor seats they hold, `stage_count` their stage specialties.
pub fn check_person(after: &Person, sponsor_seats: usize, stage_count: usize) -> Vec<RuleBreak> {
    let mut breaks = Vec::new();
    if stage_count > MAX_STAGE_SPECIALTIES {
        breaks.push(RuleBreak::new(
            MAX_TWO_STAGES,
            None,
            format!("a person specialises in at most {MAX_STAGE_SPECIALTIES} funnel stages"),
        ));
    }
    if after.accounts.len() as i64 > i64::from(after.max_accounts) {
        breaks.push(RuleBreak::new(
            CAPACITY_EXCEEDED,
            None,
            format!(
                "the person serves {} accounts, more than max_accounts {}",
                after.accounts.len(),
                after.max_accounts
            ),
        ));
    }
    if sponsor_seats > 0 && after.level != StaffLevel::Executive {
        breaks.push(RuleBreak::new(
            SPONSOR_MUST_BE_EXECUTIVE,
            None,
            "the person is an executive sponsor and must stay of level EXECUTIVE",
        ));
    }
    breaks
}

/// What an account's tier requires of its team.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirement {
    pub roles: Vec<TeamRole>,
    /// Department ids that need a liaison, in the configured order.
    pub liaison_departments: Vec<Uuid>,
}

/// What `team` lacks of `requirement`: roles with no holder and departments with no liaison, each in
/// the requirement's order.
pub fn coverage_gaps(requirement: &Requirement, team: &[Seat]) -> (Vec<TeamRole>, Vec<Uuid>) {
    let missing_roles = requirement
        .roles
        .iter()
        .filter(|role| !team.iter().any(|s| s.role == **role))
        .copied()
        .collect();
    let missing_liaisons = requirement
        .liaison_departments
        .iter()
        .filter(|department| {
            !team
                .iter()
                .any(|s| s.is_department_liaison && s.department_id == **department)
        })
        .copied()
        .collect();
    (missing_roles, missing_liaisons)
}

/// One seat changing hands in a handover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatMove {
    pub account_id: Uuid,
    pub old: Seat,
    pub new: Seat,
}

/// A handover of team seats, judged as a whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatHandover {
    pub moves: Vec<SeatMove>,
    pub breaks: Vec<RuleBreak>,
}

/// Plays the handover of `giver`'s seats on `accounts` to `receiver` seat by seat, each judged against
/// the team as the earlier moves left it, so a receiver filling up part-way is caught where it happens.
/// `new_membership_id` names each new seat.
pub fn plan_seat_handover(
    giver: Uuid,
    receiver: &Person,
    receiver_department: Uuid,
    accounts: &[Uuid],
    teams: &BTreeMap<Uuid, Vec<Seat>>,
    mut new_membership_id: impl FnMut() -> Uuid,
) -> SeatHandover {
    let mut receiver = receiver.clone();
    let mut plan = SeatHandover::default();
    for &account in accounts {
        let Some(team) = teams.get(&account) else { continue };
        let (given, mut remaining): (Vec<Seat>, Vec<Seat>) = team.iter().partition(|s| s.staff_id == giver);
        for old in given {
            let new = Seat {
                membership_id: new_membership_id(),
                staff_id: receiver.id,
                role: old.role,
                is_department_liaison: old.is_department_liaison,
                department_id: receiver_department,
            };
            plan.breaks
                .extend(check_seat(account, &receiver, &new, &remaining));
            remaining.push(new);
            receiver.accounts.insert(account);
            plan.moves.push(SeatMove {
                account_id: account,
                old,
                new,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn person(n: u128, level: StaffLevel, max_accounts: i32) -> Person {
        Person {
            id: id(n),
            active: true,
            level,
            max_accounts,
            accounts: BTreeSet::new(),
        }
    }

    fn seat(membership: u128, staff: u128, role: TeamRole, liaison: bool, department: u128) -> Seat {
        Seat {
            membership_id: id(membership),
            staff_id: id(staff),
            role,
            is_department_liaison: liaison,
            department_id: id(department),
        }
    }

    fn rules(breaks: &[RuleBreak]) -> Vec<&'static str> {
        breaks.iter().map(|b| b.rule).collect()
    }

    const ACCOUNT: u128 = 1000;

    #[test]
    fn a_free_seat_for_an_able_person_breaks_nothing() {
        let p = person(1, StaffLevel::Staff, 5);
        let s = seat(10, 1, TeamRole::SalesSpecialist, true, 7);
        assert!(check_seat(id(ACCOUNT), &p, &s, &[]).is_empty());
    }

    #[test]
    fn one_account_manager_per_account() {
        let team = [seat(10, 2, TeamRole::AccountManager, false, 7)];
        let p = person(1, StaffLevel::Manager, 5);
        let candidate = seat(11, 1, TeamRole::AccountManager, false, 7);
        assert_eq!(
            rules(&check_seat(id(ACCOUNT), &p, &candidate, &team)),
            [ONE_ACCOUNT_MANAGER]
        );
        // The manager's own seat, being changed, does not count against itself.
        let same = seat(10, 2, TeamRole::AccountManager, false, 7);
        let holder = person(2, StaffLevel::Manager, 5);
        assert!(
            check_seat(
                id(ACCOUNT),
                &Person {
                    accounts: [id(ACCOUNT)].into(),
                    ..holder
                },
                &same,
                &team
            )
            .is_empty()
        );
    }

    #[test]
    fn sponsors_are_executives() {
        let s = seat(10, 1, TeamRole::ExecutiveSponsor, false, 7);
        assert_eq!(
            rules(&check_seat(
                id(ACCOUNT),
                &person(1, StaffLevel::Manager, 5),
                &s,
                &[]
            )),
            [SPONSOR_MUST_BE_EXECUTIVE]
        );
        assert!(check_seat(id(ACCOUNT), &person(1, StaffLevel::Executive, 5), &s, &[]).is_empty());
    }

    #[test]
    fn one_liaison_per_department() {
        let team = [seat(10, 2, TeamRole::ServiceLead, true, 7)];
        let p = person(1, StaffLevel::Staff, 5);
        let same_department = seat(11, 1, TeamRole::SolutionEngineer, true, 7);
        let other_department = seat(11, 1, TeamRole::SolutionEngineer, true, 8);
        let not_liaison = seat(11, 1, TeamRole::SolutionEngineer, false, 7);
        assert_eq!(
            rules(&check_seat(id(ACCOUNT), &p, &same_department, &team)),
            [ONE_LIAISON_PER_DEPARTMENT]
        );
        assert!(check_seat(id(ACCOUNT), &p, &other_department, &team).is_empty());
        assert!(check_seat(id(ACCOUNT), &p, &not_liaison, &team).is_empty());
    }

    #[test]
    fn capacity_counts_distinct_accounts() {
        let mut p = person(1, StaffLevel::Staff, 2);
        p.accounts = [id(1), id(2)].into();
        let s = seat(10, 1, TeamRole::SalesSpecialist, false, 7);
        assert_eq!(rules(&check_seat(id(3), &p, &s, &[])), [CAPACITY_EXCEEDED]);
        // A seat on an account already served adds no account.
        assert!(check_seat(id(2), &p, &s, &[]).is_empty());
    }

    #[test]
    fn inactive_people_and_double_seats_are_refused() {
        let mut p = person(1, StaffLevel::Staff, 5);
        p.active = false;
        let s = seat(11, 1, TeamRole::SalesSpecialist, false, 7);
        assert_eq!(rules(&check_seat(id(ACCOUNT), &p, &s, &[])), [STAFF_INACTIVE]);
        let team = [seat(10, 1, TeamRole::ServiceLead, false, 7)];
        let p = person(1, StaffLevel::Staff, 5);
        assert_eq!(rules(&check_seat(id(ACCOUNT), &p, &s, &team)), [ALREADY_ON_TEAM]);
    }

    #[test]
    fn a_change_to_a_person_keeps_their_seats_valid() {
        let mut p = person(1, StaffLevel::Manager, 1);
        p.accounts = [id(1), id(2)].into();
        assert_eq!(
            rules(&check_person(&p, 1, 3)),
            [MAX_TWO_STAGES, CAPACITY_EXCEEDED, SPONSOR_MUST_BE_EXECUTIVE]
        );
        let fine = Person {
            max_accounts: 2,
            level: StaffLevel::Executive,
            ..p
        };
        assert!(check_person(&fine, 1, 2).is_empty());
    }

    #[test]
    fn coverage_lists_what_is_missing_in_requirement_order() {
        let requirement = Requirement {
            roles: vec![TeamRole::AccountManager, TeamRole::ExecutiveSponsor],
            liaison_departments: vec![id(7), id(8)],
        };
        let team = [
            seat(10, 1, TeamRole::ExecutiveSponsor, false, 9),
            seat(11, 2, TeamRole::ServiceLead, true, 8),
            // A non-liaison of department 7 does not cover it.
            seat(12, 3, TeamRole::SolutionEngineer, false, 7),
        ];
        assert_eq!(
            coverage_gaps(&requirement, &team),
            (vec![TeamRole::AccountManager], vec![id(7)])
        );
        assert_eq!(
            coverage_gaps(&requirement, &[]),
            (requirement.roles.clone(), requirement.liaison_departments.clone())
        );
    }

    #[test]
    fn a_handover_is_judged_as_the_receiver_fills_up() {
        let giver = 1;
        let teams = BTreeMap::from([
            (id(100), vec![seat(10, giver, TeamRole::AccountManager, true, 7)]),
            (id(101), vec![seat(11, giver, TeamRole::AccountManager, false, 7)]),
        ]);
        let receiver = person(2, StaffLevel::Manager, 1);
        let mut next = 500;
        let plan = plan_seat_handover(id(giver), &receiver, id(8), &[id(100), id(101)], &teams, || {
            next += 1;
            id(next)
        });
        assert_eq!(plan.moves.len(), 2);
        assert_eq!(
            plan.moves[0].new.department_id,
            id(8),
            "the receiver represents their own department"
        );
        assert_eq!(plan.breaks.len(), 1);
        assert_eq!(
            (plan.breaks[0].rule, plan.breaks[0].account_id),
            (CAPACITY_EXCEEDED, Some(id(101)))
        );
    }

    #[test]
    fn a_handover_to_a_teammate_collides() {
        let teams = BTreeMap::from([(
            id(100),
            vec![
                seat(10, 1, TeamRole::AccountManager, false, 7),
                seat(11, 2, TeamRole::ServiceLead, true, 8),
            ],
        )]);
        let plan = plan_seat_handover(
            id(1),
            &person(2, StaffLevel::Staff, 5),
            id(8),
            &[id(100)],
            &teams,
            Uuid::now_v7,
        );
        assert_eq!(rules(&plan.breaks), [ALREADY_ON_TEAM]);
    }

    fn any_role() -> impl Strategy<Value = TeamRole> {
        proptest::sample::select(TeamRole::ALL.to_vec())
    }

    proptest! {
        /// Whatever is asked in whatever order, a team built only from seats the rules accept keeps every
        /// invariant: one manager per account, one liaison per department, sponsors are executives, and
        /// nobody over capacity or on a team twice.
        #[test]
        fn accepted_seats_never_break_an_invariant(
            requests in proptest::collection::vec((0u128..4, 0u128..6, any_role(), any::<bool>()), 0..60),
        ) {
            let people: Vec<Person> = (0..6)
                .map(|n| person(n, if n % 3 == 0 { StaffLevel::Executive } else { StaffLevel::Staff }, 2))
                .collect();
            let mut people = people;
            let mut teams: BTreeMap<u128, Vec<Seat>> = BTreeMap::new();
            for (i, (account, staff, role, liaison)) in requests.into_iter().enumerate() {
                let p = &people[staff as usize];
                let candidate = seat(10_000 + i as u128, staff, role, liaison, staff % 2);
                let team = teams.entry(account).or_default();
                if check_seat(id(account), p, &candidate, team).is_empty() {
                    team.push(candidate);
                    people[staff as usize].accounts.insert(id(account));
                }
            }
            for team in teams.values() {
                prop_assert!(team.iter().filter(|s| s.role == TeamRole::AccountManager).count() <= 1);
                for department in 0..2u128 {
                    prop_assert!(team.iter().filter(|s| s.is_department_liaison && s.department_id == id(department)).count() <= 1);
                }
                let members: BTreeSet<Uuid> = team.iter().map(|s| s.staff_id).collect();
                prop_assert_eq!(members.len(), team.len());
                for s in team.iter().filter(|s| s.role == TeamRole::ExecutiveSponsor) {
                    prop_assert_eq!(people[s.staff_id.as_u128() as usize].level, StaffLevel::Executive);
                }
            }
            for p in &people {
                prop_assert!(p.accounts.len() as i64 <= i64::from(p.max_accounts));
            }
        }
    }
}
