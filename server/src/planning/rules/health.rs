//! Account health and churn early warning (a key account rarely leaves without signs: falling revenue,
//! silence, lost deals, a sponsor gone cold), pure: each
//! signal is a rule over what was observed of the account, explained by its evidence; a triggered
//! signal takes its weight off a score of 100. Weights and thresholds come from the configuration.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    feedback::{model::RoundScores, rules as feedback_rules},
    named_enum,
};

named_enum!(HealthSignalKind {
    RevenueDecline = "REVENUE_DECLINE",
    SlaBreaches = "SLA_BREACHES",
    ExecutiveVisitOverdue = "EXECUTIVE_VISIT_OVERDUE",
    Silence = "SILENCE",
    KeyPeopleAtRisk = "KEY_PEOPLE_AT_RISK",
    LostOpportunities = "LOST_OPPORTUNITIES",
    LowSatisfaction = "LOW_SATISFACTION",
    LowTeamFeedback = "LOW_TEAM_FEEDBACK",
});

named_enum!(HealthLevel { Healthy = "HEALTHY", Watch = "WATCH", AtRisk = "AT_RISK" });

/// What each signal weighs and when it triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Points each triggered signal takes off 100.
    pub weights: HealthWeights,
    /// Revenue of the last 3 full months down by at least this percentage against the same months a
    /// year before.
    pub revenue_decline_percent: u32,
    /// At least this many SLA targets breached (due) in the last 90 days.
    pub sla_breaches: u32,
    /// No interaction of any kind for this many days.
    pub silence_days: u32,
    /// At least this many opportunities lost in the last 180 days.
    pub lost_opportunities: u32,
    /// The mean satisfaction rated in the last 180 days is below this (1–5).
    pub satisfaction_below: u32,
    /// The mean of the account's latest feedback round on the team (every rated dimension of every
    /// person, the round whose period ends last and not more than 365 days ago) is below this (1–5).
    pub team_feedback_below: u32,
    /// A score below this is AT_RISK …
    pub at_risk_below: u32,
    /// … and below this WATCH.
    pub watch_below: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthWeights {
    pub revenue_decline: u32,
    pub sla_breaches: u32,
    pub executive_visit_overdue: u32,
    pub silence: u32,
    pub key_people_at_risk: u32,
    pub lost_opportunities: u32,
    pub low_satisfaction: u32,
    pub low_team_feedback: u32,
}

impl Default for HealthWeights {
    fn default() -> Self {
        Self {
            revenue_decline: 25,
            sla_breaches: 15,
            executive_visit_overdue: 15,
            silence: 15,
            key_people_at_risk: 15,
            lost_opportunities: 10,
            low_satisfaction: 10,
            low_team_feedback: 10,
        }
    }
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            weights: HealthWeights::default(),
            revenue_decline_percent: 20,
            sla_breaches: 2,
            silence_days: 45,
            lost_opportunities: 1,
            satisfaction_below: 3,
            team_feedback_below: 3,
            at_risk_below: 60,
            watch_below: 80,
        }
    }
}

impl HealthConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.at_risk_below > self.watch_below || self.watch_below > 100 {
            return Err("planning.health: at_risk_below ≤ watch_below ≤ 100".to_owned());
        }
        if !(1..=5).contains(&self.satisfaction_below) || self.silence_days == 0 {
            return Err("planning.health: satisfaction_below within 1..=5, silence_days ≥ 1".to_owned());
        }
        if !(1..=5).contains(&self.team_feedback_below) {
            return Err("planning.health: team_feedback_below within 1..=5".to_owned());
        }
        Ok(())
    }

    fn weight(&self, kind: HealthSignalKind) -> u32 {
        let w = &self.weights;
        match kind {
            HealthSignalKind::RevenueDecline => w.revenue_decline,
            HealthSignalKind::SlaBreaches => w.sla_breaches,
            HealthSignalKind::ExecutiveVisitOverdue => w.executive_visit_overdue,
            HealthSignalKind::Silence => w.silence,
            HealthSignalKind::KeyPeopleAtRisk => w.key_people_at_risk,
            HealthSignalKind::LostOpportunities => w.lost_opportunities,
            HealthSignalKind::LowSatisfaction => w.low_satisfaction,
            HealthSignalKind::LowTeamFeedback => w.low_team_feedback,
        }
    }
}

/// A decision maker or champion who is gone or against us.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyPerson {
    pub contact_id: Uuid,
    pub full_name: String,
    /// DECISION_MAKER or CHAMPION.
    pub buying_role: String,
    pub inactive: bool,
    pub opposed: bool,
}

/// A lost deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LostDeal {
    pub opportunity_id: Uuid,
    pub display_name: String,
    pub lost_to: String,
}

/// What was observed of one account; amounts in billionths of the reporting currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observations {
    /// Revenue of the last 3 full months, and of the same months a year before.
    pub revenue_recent: i128,
    pub revenue_year_before: i128,
    pub sla_breaches: i64,
    /// Days past a due executive visit (the tier's cadence); `None` when none is due.
    pub executive_visit_days_overdue: Option<i64>,
    /// Days since the last interaction, or since the account was created when it never had one.
    pub days_silent: i64,
    pub had_interaction: bool,
    pub key_people: Vec<KeyPerson>,
    pub lost_deals: Vec<LostDeal>,
    /// Satisfaction ratings of the last 180 days: their sum and count.
    pub satisfaction_sum: i64,
    pub satisfaction_count: i64,
    /// The account's latest feedback round on the team (its period ending not more than 365 days ago).
    pub team_feedback: Option<RoundScores>,
}

/// One signal's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signal {
    pub kind: HealthSignalKind,
    pub triggered: bool,
    pub weight: u32,
    /// Points taken off: the weight when triggered, else 0.
    pub penalty: u32,
    /// What was seen, in words, whether triggered or not.
    pub evidence: String,
    /// The resources behind it (contacts, opportunities).
    pub related_ids: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    /// 0..=100, 100 for an account nothing is wrong with.
    pub score: u32,
    pub level: HealthLevel,
    pub signals: Vec<Signal>,
}

/// The health of an account from what was observed of it.
pub fn assess(seen: &Observations, config: &HealthConfig) -> Health {
    let signals: Vec<Signal> = HealthSignalKind::ALL
        .iter()
        .map(|&kind| {
            let (triggered, evidence, related_ids) = judge(kind, seen, config);
            let weight = config.weight(kind);
            Signal {
                kind,
                triggered,
                weight,
                penalty: if triggered { weight } else { 0 },
                evidence,
                related_ids,
            }
        })
        .collect();
    let lost: u32 = signals.iter().map(|s| s.penalty).sum();
    let score = 100u32.saturating_sub(lost);
    let level = if score < config.at_risk_below {
        HealthLevel::AtRisk
    } else if score < config.watch_below {
        HealthLevel::Watch
    } else {
        HealthLevel::Healthy
    };
    Health {
        score,
        level,
        signals,
    }
}

/// A group's health from its members' (`(account id, display name, health)`, in the group's order): the
/// weakest member's score and level (the first of equals), and for each signal kind the member where
/// its penalty is highest (ties: the weaker member, then the earlier one), its evidence prefixed with
/// that member's name and its related ids followed by the member's account id. `None` without members.
pub fn roll_up(members: &[(Uuid, &str, &Health)]) -> Option<Health> {
    let weakest = members.iter().min_by_key(|(_, _, health)| health.score)?;
    let signals = HealthSignalKind::ALL
        .iter()
        .filter_map(|&kind| {
            let signal_of = |health: &Health| health.signals.iter().find(|s| s.kind == kind).cloned();
            let (account_id, name, signal) = members
                .iter()
                .filter_map(|(id, name, health)| Some((*id, *name, health.score, signal_of(health)?)))
                .enumerate()
                // Highest penalty, then lowest score, then earliest.
                .min_by_key(|(index, (_, _, score, signal))| {
                    (std::cmp::Reverse(signal.penalty), *score, *index)
                })
                .map(|(_, (id, name, _, signal))| (id, name, signal))?;
            let mut related_ids = signal.related_ids;
            related_ids.push(account_id);
            Some(Signal {
                evidence: format!("{name}: {}", signal.evidence),
                related_ids,
                ..signal
            })
        })
        .collect();
    Some(Health {
        score: weakest.2.score,
        level: weakest.2.level,
        signals,
    })
}

/// Whether `kind` triggers, with its evidence.
fn judge(kind: HealthSignalKind, seen: &Observations, config: &HealthConfig) -> (bool, String, Vec<Uuid>) {
    match kind {
        HealthSignalKind::RevenueDecline => {
            let (recent, before) = (seen.revenue_recent, seen.revenue_year_before);
            if before <= 0 {
                return (
                    false,
                    "no revenue in the same months a year before to compare with".to_owned(),
                    vec![],
                );
            }
            // Decline in percent, exactly: (before − recent) / before ≥ threshold.
            let declined = (before - recent).saturating_mul(100)
                >= before.saturating_mul(i128::from(config.revenue_decline_percent));
            let change = (recent - before).saturating_mul(100) / before;
            (
                declined,
                format!(
                    "revenue of the last 3 months {} against {} a year before ({change:+} %; alarm at -{} %)",
                    units(recent),
                    units(before),
                    config.revenue_decline_percent
                ),
                vec![],
            )
        }
        HealthSignalKind::SlaBreaches => (
            seen.sla_breaches >= i64::from(config.sla_breaches),
            format!(
                "{} SLA targets breached in the last 90 days (alarm at {})",
                seen.sla_breaches, config.sla_breaches
            ),
            vec![],
        ),
        HealthSignalKind::ExecutiveVisitOverdue => match seen.executive_visit_days_overdue {
            Some(days) => (true, format!("executive visit overdue by {days} days"), vec![]),
            None => (false, "no executive visit overdue".to_owned(), vec![]),
        },
        HealthSignalKind::Silence => {
            let silent = seen.days_silent >= i64::from(config.silence_days);
            let evidence = if seen.had_interaction {
                format!(
                    "last interaction {} days ago (alarm at {})",
                    seen.days_silent, config.silence_days
                )
            } else {
                format!(
                    "no interaction logged since the account was created {} days ago (alarm at {})",
                    seen.days_silent, config.silence_days
                )
            };
            (silent, evidence, vec![])
        }
        HealthSignalKind::KeyPeopleAtRisk => {
            let names: Vec<String> = seen
                .key_people
                .iter()
                .map(|p| {
                    let why = match (p.inactive, p.opposed) {
                        (true, true) => "left and opposed",
                        (true, false) => "left",
                        _ => "opposed",
                    };
                    format!("{} ({}, {why})", p.full_name, p.buying_role)
                })
                .collect();
            let evidence = if names.is_empty() {
                "every decision maker and champion is in place and not opposed".to_owned()
            } else {
                names.join("; ")
            };
            (
                !seen.key_people.is_empty(),
                evidence,
                seen.key_people.iter().map(|p| p.contact_id).collect(),
            )
        }
        HealthSignalKind::LostOpportunities => {
            let lost = i64::try_from(seen.lost_deals.len()).unwrap_or(i64::MAX);
            let names: Vec<String> = seen
                .lost_deals
                .iter()
                .map(|d| {
                    if d.lost_to.is_empty() {
                        d.display_name.clone()
                    } else {
                        format!("{} (to {})", d.display_name, d.lost_to)
                    }
                })
                .collect();
            (
                lost >= i64::from(config.lost_opportunities),
                format!(
                    "{lost} opportunities lost in the last 180 days{}",
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", names.join("; "))
                    }
                ),
                seen.lost_deals.iter().map(|d| d.opportunity_id).collect(),
            )
        }
        HealthSignalKind::LowSatisfaction => {
            if seen.satisfaction_count == 0 {
                return (
                    false,
                    "no satisfaction rated in the last 180 days".to_owned(),
                    vec![],
                );
            }
            // mean < threshold, exactly: sum < threshold × count.
            let low = seen.satisfaction_sum < i64::from(config.satisfaction_below) * seen.satisfaction_count;
            let tenths = seen.satisfaction_sum * 10 / seen.satisfaction_count;
            (
                low,
                format!(
                    "mean satisfaction {}.{} of {} ratings in the last 180 days (alarm below {})",
                    tenths / 10,
                    tenths % 10,
                    seen.satisfaction_count,
                    config.satisfaction_below
                ),
                vec![],
            )
        }
        HealthSignalKind::LowTeamFeedback => judge_team_feedback(seen, config),
    }
}

/// How many of the lowest-rated people the LOW_TEAM_FEEDBACK evidence names.
const LOWEST_RATED_NAMED: usize = 3;

/// LOW_TEAM_FEEDBACK: the latest round's mean below the threshold, exactly (sum < threshold × count).
fn judge_team_feedback(seen: &Observations, config: &HealthConfig) -> (bool, String, Vec<Uuid>) {
    let Some(round) = seen.team_feedback.as_ref().filter(|r| r.score.count > 0) else {
        return (
            false,
            "no feedback round on the team whose period ended in the last 365 days".to_owned(),
            vec![],
        );
    };
    let below = i64::from(config.team_feedback_below);
    let low = round.score.sum < below * round.score.count;
    let lowest = feedback_rules::lowest_rated(&round.people, LOWEST_RATED_NAMED);
    let names: Vec<String> = lowest
        .iter()
        .map(|p| {
            let name = if p.full_name.is_empty() {
                p.staff_id.to_string()
            } else {
                p.full_name.clone()
            };
            format!("{name} {}", feedback_rules::decimal(p.score))
        })
        .collect();
    let evidence = format!(
        "feedback round feedbackRounds/{} ({} to {}): mean {} over {} scores (alarm below {}); lowest \
         rated: {}",
        round.round_id,
        round.period_start,
        round.period_end,
        feedback_rules::decimal(round.score),
        round.score.count,
        config.team_feedback_below,
        names.join(", ")
    );
    let related = std::iter::once(round.round_id)
        .chain(lowest.iter().map(|p| p.staff_id))
        .collect();
    (low, evidence, related)
}

/// Whole units of an amount in billionths, for evidence text.
fn units(nanos: i128) -> i128 {
    nanos / crate::platform::money::NANOS_PER_UNIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UNIT: i128 = 1_000_000_000;

    /// An account nothing is wrong with.
    fn calm() -> Observations {
        Observations {
            revenue_recent: 100 * UNIT,
            revenue_year_before: 100 * UNIT,
            sla_breaches: 0,
            executive_visit_days_overdue: None,
            days_silent: 3,
            had_interaction: true,
            key_people: vec![],
            lost_deals: vec![],
            satisfaction_sum: 9,
            satisfaction_count: 2,
            team_feedback: None,
        }
    }

    fn triggered(health: &Health) -> Vec<HealthSignalKind> {
        health
            .signals
            .iter()
            .filter(|s| s.triggered)
            .map(|s| s.kind)
            .collect()
    }

    #[test]
    fn a_calm_account_is_healthy_and_every_signal_explains_itself() {
        let health = assess(&calm(), &HealthConfig::default());
        assert_eq!((health.score, health.level), (100, HealthLevel::Healthy));
        assert_eq!(health.signals.len(), HealthSignalKind::ALL.len());
        assert!(
            health
                .signals
                .iter()
                .all(|s| !s.evidence.is_empty() && s.penalty == 0)
        );
    }

    #[test]
    fn revenue_down_a_fifth_triggers_and_less_does_not() {
        let config = HealthConfig::default();
        let mut seen = calm();
        seen.revenue_recent = 80 * UNIT;
        let health = assess(&seen, &config);
        assert_eq!(triggered(&health), vec![HealthSignalKind::RevenueDecline]);
        assert_eq!(health.score, 75);
        assert_eq!(health.level, HealthLevel::Watch);
        assert!(
            health.signals[0].evidence.contains("80 against 100"),
            "{}",
            health.signals[0].evidence
        );
        seen.revenue_recent = 80 * UNIT + 1;
        assert!(triggered(&assess(&seen, &config)).is_empty());
        seen.revenue_year_before = 0;
        seen.revenue_recent = 0;
        assert!(
            triggered(&assess(&seen, &config)).is_empty(),
            "nothing to compare with"
        );
    }

    #[test]
    fn sla_breaches_trigger_at_the_threshold() {
        let mut seen = calm();
        seen.sla_breaches = 1;
        assert!(triggered(&assess(&seen, &HealthConfig::default())).is_empty());
        seen.sla_breaches = 2;
        assert_eq!(
            triggered(&assess(&seen, &HealthConfig::default())),
            vec![HealthSignalKind::SlaBreaches]
        );
    }

    #[test]
    fn an_overdue_executive_visit_triggers() {
        let mut seen = calm();
        seen.executive_visit_days_overdue = Some(12);
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health), vec![HealthSignalKind::ExecutiveVisitOverdue]);
        assert!(health.signals[2].evidence.contains("12 days"));
    }

    #[test]
    fn silence_triggers_after_the_configured_days_also_for_an_account_never_visited() {
        let mut seen = calm();
        seen.days_silent = 45;
        assert_eq!(
            triggered(&assess(&seen, &HealthConfig::default())),
            vec![HealthSignalKind::Silence]
        );
        seen.days_silent = 44;
        assert!(triggered(&assess(&seen, &HealthConfig::default())).is_empty());
        seen.had_interaction = false;
        seen.days_silent = 100;
        let health = assess(&seen, &HealthConfig::default());
        assert!(health.signals[3].triggered && health.signals[3].evidence.contains("no interaction"));
    }

    #[test]
    fn a_decision_maker_who_left_or_a_champion_against_us_triggers_with_their_names() {
        let mut seen = calm();
        let gone = Uuid::now_v7();
        seen.key_people = vec![KeyPerson {
            contact_id: gone,
            full_name: "Li Wei".into(),
            buying_role: "DECISION_MAKER".into(),
            inactive: true,
            opposed: false,
        }];
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health), vec![HealthSignalKind::KeyPeopleAtRisk]);
        assert_eq!(health.signals[4].related_ids, vec![gone]);
        assert!(
            health.signals[4]
                .evidence
                .contains("Li Wei (DECISION_MAKER, left)")
        );
    }

    #[test]
    fn a_lost_deal_triggers_and_names_the_winner() {
        let mut seen = calm();
        seen.lost_deals = vec![LostDeal {
            opportunity_id: Uuid::now_v7(),
            display_name: "Pumps for line 3".into(),
            lost_to: "KSB".into(),
        }];
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health), vec![HealthSignalKind::LostOpportunities]);
        assert!(health.signals[5].evidence.contains("Pumps for line 3 (to KSB)"));
    }

    #[test]
    fn a_mean_satisfaction_below_three_triggers() {
        let mut seen = calm();
        (seen.satisfaction_sum, seen.satisfaction_count) = (5, 2);
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health), vec![HealthSignalKind::LowSatisfaction]);
        assert!(health.signals[6].evidence.contains("2.5 of 2"));
        (seen.satisfaction_sum, seen.satisfaction_count) = (6, 2);
        assert!(
            triggered(&assess(&seen, &HealthConfig::default())).is_empty(),
            "3.0 is not below 3"
        );
        (seen.satisfaction_sum, seen.satisfaction_count) = (0, 0);
        assert!(
            triggered(&assess(&seen, &HealthConfig::default())).is_empty(),
            "nothing rated"
        );
    }

    /// A round rating each `(name, sum, count)`.
    fn round(people: &[(&str, i64, i64)]) -> RoundScores {
        use crate::feedback::model::{Mean, PersonScores};
        let people: Vec<PersonScores> = people
            .iter()
            .map(|(name, sum, count)| PersonScores {
                staff_id: Uuid::now_v7(),
                full_name: (*name).to_owned(),
                score: Mean {
                    sum: *sum,
                    count: *count,
                },
            })
            .collect();
        RoundScores {
            round_id: Uuid::now_v7(),
            period_start: "2026-01-01".parse().unwrap(),
            period_end: "2026-03-31".parse().unwrap(),
            score: people.iter().fold(Mean::default(), |total, p| total + p.score),
            people,
        }
    }

    #[test]
    fn low_feedback_on_the_team_triggers_and_names_the_round_and_the_lowest_rated() {
        let mut seen = calm();
        // Li 1.33, Wang 2.00, Chen 4.00, Zhao 5.00: 25 / 9 = 2.78.
        seen.team_feedback = Some(round(&[
            ("Chen", 12, 3),
            ("Li", 4, 3),
            ("Wang", 4, 2),
            ("Zhao", 5, 1),
        ]));
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health), vec![HealthSignalKind::LowTeamFeedback]);
        let signal = &health.signals[7];
        assert_eq!((signal.penalty, health.score), (10, 90));
        let feedback = seen.team_feedback.as_ref().unwrap();
        assert!(
            signal
                .evidence
                .contains("mean 2.78 over 9 scores (alarm below 3)")
                && signal
                    .evidence
                    .contains("lowest rated: Li 1.33, Wang 2.00, Chen 4.00")
                && signal.evidence.contains(&feedback.round_id.to_string()),
            "{}",
            signal.evidence
        );
        assert_eq!(
            signal.related_ids.len(),
            4,
            "the round and the three lowest rated"
        );
        assert_eq!(signal.related_ids[0], feedback.round_id);
        assert_eq!(signal.related_ids[1], feedback.people[1].staff_id);

        // Exactly 3 is not below 3; good feedback and no feedback trigger nothing.
        seen.team_feedback = Some(round(&[("Chen", 6, 2), ("Li", 3, 1)]));
        assert!(triggered(&assess(&seen, &HealthConfig::default())).is_empty());
        seen.team_feedback = Some(round(&[("Chen", 15, 3)]));
        assert!(triggered(&assess(&seen, &HealthConfig::default())).is_empty());
        seen.team_feedback = None;
        let quiet = assess(&seen, &HealthConfig::default());
        assert!(quiet.signals[7].evidence.contains("no feedback round"));
        let strict = HealthConfig {
            team_feedback_below: 5,
            ..HealthConfig::default()
        };
        seen.team_feedback = Some(round(&[("Chen", 14, 3)]));
        assert_eq!(
            triggered(&assess(&seen, &strict)),
            vec![HealthSignalKind::LowTeamFeedback]
        );
        assert!(
            HealthConfig {
                team_feedback_below: 0,
                ..HealthConfig::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn everything_wrong_at_once_bottoms_out_at_zero() {
        let seen = Observations {
            revenue_recent: 0,
            revenue_year_before: 100 * UNIT,
            sla_breaches: 5,
            executive_visit_days_overdue: Some(40),
            days_silent: 200,
            had_interaction: true,
            key_people: vec![KeyPerson {
                contact_id: Uuid::now_v7(),
                full_name: "Zhang Min".into(),
                buying_role: "CHAMPION".into(),
                inactive: false,
                opposed: true,
            }],
            lost_deals: vec![LostDeal {
                opportunity_id: Uuid::now_v7(),
                display_name: "Retrofit".into(),
                lost_to: String::new(),
            }],
            satisfaction_sum: 1,
            satisfaction_count: 1,
            team_feedback: Some(round(&[("Wang Fang", 2, 2)])),
        };
        let health = assess(&seen, &HealthConfig::default());
        assert_eq!(triggered(&health).len(), 8);
        assert_eq!((health.score, health.level), (0, HealthLevel::AtRisk));
    }

    #[test]
    fn configured_weights_and_levels_apply() {
        let config = HealthConfig {
            weights: HealthWeights {
                silence: 50,
                ..HealthWeights::default()
            },
            at_risk_below: 51,
            ..HealthConfig::default()
        };
        let mut seen = calm();
        seen.days_silent = 60;
        let health = assess(&seen, &config);
        assert_eq!((health.score, health.level), (50, HealthLevel::AtRisk));
        assert!(
            HealthConfig {
                at_risk_below: 90,
                watch_below: 80,
                ..HealthConfig::default()
            }
            .validate()
            .is_err()
        );
    }

    proptest! {
        /// The score is 100 minus the weights of the triggered signals, never below 0, and adding a
        /// problem never raises it.
        #[test]
        fn the_score_is_what_the_triggered_signals_take_off(
            breaches in 0i64..5, silent in 0i64..100, overdue in proptest::option::of(1i64..50), recent in 0i128..200,
        ) {
            let config = HealthConfig::default();
            let mut seen = calm();
            seen.sla_breaches = breaches;
            seen.days_silent = silent;
            seen.executive_visit_days_overdue = overdue;
            seen.revenue_recent = recent * UNIT;
            let health = assess(&seen, &config);
            let taken: u32 = health.signals.iter().filter(|s| s.triggered).map(|s| s.weight).sum();
            prop_assert_eq!(health.score, 100u32.saturating_sub(taken));
            let mut worse = seen.clone();
            worse.sla_breaches += 10;
            prop_assert!(assess(&worse, &config).score <= health.score);
        }
    }

    #[test]
    fn a_group_is_as_healthy_as_its_weakest_member_and_each_signal_names_where_it_weighs_most() {
        let config = HealthConfig::default();
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let healthy = assess(&calm(), &config);
        let mut silent = calm();
        silent.days_silent = 90;
        let silent = assess(&silent, &config);
        let mut breached = calm();
        breached.sla_breaches = 5;
        breached.days_silent = 60;
        let breached = assess(&breached, &config);
        let group = roll_up(&[
            (a, "Holding", &healthy),
            (b, "North", &silent),
            (c, "South", &breached),
        ])
        .unwrap();
        // South loses 15 + 15, North 15.
        assert_eq!((group.score, group.level), (breached.score, breached.level));
        assert_eq!(group.score, 70);
        let signal = |kind| group.signals.iter().find(|s| s.kind == kind).unwrap();
        let sla = signal(HealthSignalKind::SlaBreaches);
        assert!(sla.triggered);
        assert_eq!(sla.penalty, 15);
        assert!(
            sla.evidence.starts_with("South: 5 SLA targets breached"),
            "{}",
            sla.evidence
        );
        assert_eq!(sla.related_ids, vec![c]);
        // Both silent ones weigh 15: the weaker member (South) is named.
        let silence = signal(HealthSignalKind::Silence);
        assert!(silence.evidence.starts_with("South: "), "{}", silence.evidence);
        // Nobody triggers: the weakest member speaks for the group.
        let lost = signal(HealthSignalKind::LostOpportunities);
        assert!(!lost.triggered && lost.evidence.starts_with("South: "));
        assert_eq!(group.signals.len(), HealthSignalKind::ALL.len());
        assert_eq!(roll_up(&[]), None);
        let alone = roll_up(&[(a, "Holding", &healthy)]).unwrap();
        assert_eq!((alone.score, alone.level), (healthy.score, healthy.level));
    }
}
