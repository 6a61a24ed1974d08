//! The funnel's rules as pure functions over loaded facts: what a pipeline must look like,
//! which stage changes are allowed, and the conversion arithmetic. The store loads, asks, then writes.

use std::collections::HashSet;

use super::model::{ForecastCategory, Opportunity, Outcome, Pipeline, PipelineFields, Qualification};
use crate::platform::error::{FieldViolation, RuleViolation};

pub const MAN_REQUIRED: &str = "MAN_REQUIRED";
pub const CLOSE_THROUGH_CLOSE: &str = "CLOSE_THROUGH_CLOSE";
pub const OPPORTUNITY_CLOSED: &str = "OPPORTUNITY_CLOSED";
pub const OPPORTUNITY_OPEN: &str = "OPPORTUNITY_OPEN";
pub const STAGE_NOT_IN_PIPELINE: &str = "STAGE_NOT_IN_PIPELINE";
pub const STAGE_IN_USE: &str = "STAGE_IN_USE";
pub const ALREADY_IN_STAGE: &str = "ALREADY_IN_STAGE";
/// A competitor named by id (in a plan's assessment) that does not exist.
pub const COMPETITOR_NOT_FOUND: &str = "COMPETITOR_NOT_FOUND";
/// A competitor named both by id and by a name that is none of its names or aliases.
pub const COMPETITOR_NAME_MISMATCH: &str = "COMPETITOR_NAME_MISMATCH";

fn violation(rule: &'static str, subject: String, description: String) -> RuleViolation {
    RuleViolation {
        rule,
        subject,
        description,
    }
}

/// Every problem with a pipeline's shape, as field violations of `pipeline.*`.
pub fn check_pipeline_shape(fields: &PipelineFields) -> Vec<FieldViolation> {
    let mut problems = Vec::new();
    let stages = &fields.stages;
    let mut keys = HashSet::new();
    for (i, stage) in stages.iter().enumerate() {
        let field = |name: &str| format!("pipeline.stages[{i}].{name}");
        if !keys.insert(stage.key.as_str()) {
            problems.push(FieldViolation::new(
                field("key"),
                format!("{} appears twice", stage.key),
            ));
        }
        if !(0..=100).contains(&stage.probability) {
            problems.push(FieldViolation::new(
                field("probability"),
                "must be within 0..=100",
            ));
        }
        if stage.stall_after_days < 0 {
            problems.push(FieldViolation::new(
                field("stall_after_days"),
                "must not be negative",
            ));
        }
        if stage.closed_won && stage.closed_lost {
            problems.push(FieldViolation::new(
                field("closed_won"),
                "a stage is won or lost, not both",
            ));
        }
        let expected = match (stage.closed_won, stage.closed_lost) {
            (true, _) => Some((100, ForecastCategory::Closed)),
            (_, true) => Some((0, ForecastCategory::Omitted)),
            _ => None,
        };
        match expected {
            Some((probability, category))
                if stage.probability != probability || stage.forecast_category != category =>
            {
                problems.push(FieldViolation::new(
                    field("probability"),
                    format!(
                        "the {} stage has probability {probability} and category {}",
                        if stage.closed_won { "won" } else { "lost" },
                        category.as_str()
                    ),
                ));
            }
            Some(_) => {}
            None if stage.forecast_category == ForecastCategory::Closed => {
                problems.push(FieldViolation::new(
                    field("forecast_category"),
                    "CLOSED is for the won stage only",
                ));
            }
            None => {}
        }
    }
    let open = stages.iter().filter(|s| s.is_open()).count();
    let won = stages.iter().filter(|s| s.closed_won).count();
    let lost = stages.iter().filter(|s| s.closed_lost).count();
    if open == 0 {
        problems.push(FieldViolation::new(
            "pipeline.stages",
            "needs at least one open stage",
        ));
    }
    if won != 1 || lost != 1 {
        problems.push(FieldViolation::new(
            "pipeline.stages",
            "needs exactly one won and one lost stage",
        ));
    }
    if stages.iter().skip(open).any(|s| s.is_open()) {
        problems.push(FieldViolation::new(
            "pipeline.stages",
            "the won and lost stages come after every open stage",
        ));
    }
    let qualification = &fields.qualification_stage_key;
    if !qualification.is_empty() && !stages.iter().any(|s| s.is_open() && &s.key == qualification) {
        problems.push(FieldViolation::new(
            "pipeline.qualification_stage_key",
            "must be empty or the key of an open stage",
        ));
    }
    problems
}

/// STAGE_IN_USE for each stage that opportunities are in and that `next` drops or turns from open to
/// closed (or back).
pub fn check_stages_kept(
    pipeline: &Pipeline,
    next: &PipelineFields,
    stages_in_use: &[String],
) -> Vec<RuleViolation> {
    stages_in_use
        .iter()
        .filter(|key| {
            let before = pipeline.stage(key).map(|(_, s)| s.is_open());
            let after = next.stages.iter().find(|s| &&s.key == key).map(|s| s.is_open());
            after.is_none() || before != after
        })
        .map(|key| {
            violation(
                STAGE_IN_USE,
                format!("pipelines/{}/stages/{key}", pipeline.id),
                format!("opportunities are in stage {key}: move them first"),
            )
        })
        .collect()
}

/// MAN_REQUIRED when an opportunity with `qualification` may not be in `stage` of `pipeline`.
fn check_qualified(
    pipeline: &Pipeline,
    stage: &str,
    qualification: Qualification,
    subject: &str,
) -> Option<RuleViolation> {
    (pipeline.needs_qualification(stage) && !qualification.is_complete()).then(|| {
        violation(
            MAN_REQUIRED,
            subject.to_owned(),
            format!(
                "stage {stage} needs budget, authority and need confirmed; missing: {}",
                qualification.missing().join(", ")
            ),
        )
    })
}

fn check_open_stage(pipeline: &Pipeline, stage: &str, subject: &str) -> Option<RuleViolation> {
    match pipeline.stage(stage) {
        None => Some(violation(
            STAGE_NOT_IN_PIPELINE,
            subject.to_owned(),
            format!("pipeline {} has no stage {stage}", pipeline.id),
        )),
        Some((_, s)) if !s.is_open() => Some(violation(
            CLOSE_THROUGH_CLOSE,
            subject.to_owned(),
            format!("{stage} is reached only through CloseOpportunity"),
        )),
        Some(_) => None,
    }
}

/// A new opportunity in `stage`.
pub fn check_create(pipeline: &Pipeline, stage: &str, qualification: Qualification) -> Vec<RuleViolation> {
    let subject = "opportunities/new";
    check_open_stage(pipeline, stage, subject)
        .or_else(|| check_qualified(pipeline, stage, qualification, subject))
        .into_iter()
        .collect()
}

/// Changing the deal of `current` (its qualification may change).
pub fn check_update(
    pipeline: &Pipeline,
    current: &Opportunity,
    qualification: Qualification,
) -> Vec<RuleViolation> {
    let subject = format!("opportunities/{}", current.id);
    if current.is_closed() {
        return vec![closed(&subject)];
    }
    check_qualified(pipeline, &current.stage, qualification, &subject)
        .into_iter()
        .collect()
}

/// Moving `current` to the open stage `to`.
pub fn check_move(pipeline: &Pipeline, current: &Opportunity, to: &str) -> Vec<RuleViolation> {
    let subject = format!("opportunities/{}", current.id);
    if current.is_closed() {
        return vec![closed(&subject)];
    }
    if current.stage == to {
        return vec![violation(
            ALREADY_IN_STAGE,
            subject,
            format!("the opportunity is already in {to}"),
        )];
    }
    check_open_stage(pipeline, to, &subject)
        .or_else(|| check_qualified(pipeline, to, current.deal.qualification, &subject))
        .into_iter()
        .collect()
}

/// MAN_REQUIRED for each open, unqualified opportunity (`id`, stage) that `next` would put at or after
/// its qualification stage.
pub fn check_qualification_kept(
    pipeline: &Pipeline,
    next: &PipelineFields,
    unqualified_open: &[(uuid::Uuid, String)],
) -> Vec<RuleViolation> {
    let next_pipeline = Pipeline {
        fields: next.clone(),
        ..pipeline.clone()
    };
    unqualified_open
        .iter()
        .filter(|(_, stage)| next_pipeline.needs_qualification(stage))
        .map(|(id, stage)| {
            violation(
                MAN_REQUIRED,
                format!("opportunities/{id}"),
                format!("would need MAN qualification in {stage}: qualify or move it first"),
            )
        })
        .collect()
}

/// Closing `current` as `outcome`.
pub fn check_close(pipeline: &Pipeline, current: &Opportunity, outcome: Outcome) -> Vec<RuleViolation> {
    let subject = format!("opportunities/{}", current.id);
    if current.is_closed() {
        return vec![closed(&subject)];
    }
    let target = match outcome {
        Outcome::Won => &pipeline.won_stage().key,
        Outcome::Lost => &pipeline.lost_stage().key,
    };
    check_qualified(pipeline, target, current.deal.qualification, &subject)
        .into_iter()
        .collect()
}

/// Reopening `current` into the open stage `to`.
pub fn check_reopen(pipeline: &Pipeline, current: &Opportunity, to: &str) -> Vec<RuleViolation> {
    let subject = format!("opportunities/{}", current.id);
    if !current.is_closed() {
        return vec![violation(
            OPPORTUNITY_OPEN,
            subject,
            "only a closed opportunity is reopened".to_owned(),
        )];
    }
    check_open_stage(pipeline, to, &subject)
        .or_else(|| check_qualified(pipeline, to, current.deal.qualification, &subject))
        .into_iter()
        .collect()
}

fn closed(subject: &str) -> RuleViolation {
    violation(
        OPPORTUNITY_CLOSED,
        subject.to_owned(),
        "the opportunity is closed: reopen it first".to_owned(),
    )
}

/// reached(k) for stages `0..stage_count`, from how many opportunities got at most as far as each
/// position (`furthest[p]` = opportunities whose furthest stage is position p). Reaching a stage means
/// reaching it or any later one, so reached(k) = Σ furthest\[p\] for p ≥ k.
pub fn reached_counts(furthest: &[i64]) -> Vec<i64> {
    let mut reached = vec![0; furthest.len()];
    let mut running = 0;
    for position in (0..furthest.len()).rev() {
        running += furthest[position];
        reached[position] = running;
    }
    reached
}

/// `next / reached`, in [0, 1]; 0 when nothing reached the stage.
pub fn rate(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part.clamp(0, whole) as f64) / (whole as f64)
    }
}

// ----- competitors -----

/// The key a competitor name is matched by: trimmed, lower case. A deal's name is the competitor one of
/// whose names or aliases has the same key; keys are unique across competitors.
pub fn competitor_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The names and aliases of one competitor that repeat an earlier one (ignoring case), as violations
/// of `competitor.aliases[i]`.
pub fn repeated_competitor_names(name: &str, aliases: &[String]) -> Vec<FieldViolation> {
    let mut seen = HashSet::from([competitor_key(name)]);
    aliases
        .iter()
        .enumerate()
        .filter(|(_, alias)| !seen.insert(competitor_key(alias)))
        .map(|(i, alias)| {
            FieldViolation::new(
                format!("competitor.aliases[{i}]"),
                format!("{alias:?} repeats the name or another alias (ignoring case)"),
            )
        })
        .collect()
}

/// The distinct names a deal faces, by key, as the deal first spells each.
pub fn faced_names(competitors: &[String]) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    competitors
        .iter()
        .filter_map(|name| {
            let key = competitor_key(name);
            (!key.is_empty() && seen.insert(key.clone())).then(|| (key, name.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::opportunities::model::{Closing, DealFields, Stage};

    fn stage(key: &str, probability: i32, category: ForecastCategory, won: bool, lost: bool) -> Stage {
        Stage {
            key: key.into(),
            display_name: key.into(),
            probability,
            forecast_category: category,
            stall_after_days: 30,
            closed_won: won,
            closed_lost: lost,
        }
    }

    fn default_fields() -> PipelineFields {
        use ForecastCategory::*;
        PipelineFields {
            display_name: "Default".into(),
            stages: vec![
                stage("LEAD", 10, Pipeline, false, false),
                stage("CONTACTED", 20, Pipeline, false, false),
                stage("QUALIFIED", 40, Pipeline, false, false),
                stage("PROPOSAL", 60, BestCase, false, false),
                stage("NEGOTIATION", 80, Commit, false, false),
                stage("WON", 100, Closed, true, false),
                stage("LOST", 0, Omitted, false, true),
            ],
            qualification_stage_key: "QUALIFIED".into(),
        }
    }

    fn pipeline() -> super::Pipeline {
        super::Pipeline {
            id: Uuid::nil(),
            fields: default_fields(),
            is_default: true,
            create_time: Utc::now(),
            update_time: Utc::now(),
            revision: 1,
        }
    }

    fn opportunity(stage: &str, qualification: Qualification, closed: Option<Outcome>) -> Opportunity {
        Opportunity {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            pipeline_id: Uuid::nil(),
            stage: stage.into(),
            deal: DealFields {
                qualification,
                ..DealFields::default()
            },
            probability: 10,
            forecast_category: ForecastCategory::Pipeline,
            closing: closed.map(|outcome| Closing {
                outcome,
                reason: "PRICE".into(),
                note: String::new(),
                lost_to_competitor: String::new(),
                time: Utc::now(),
            }),
            stage_enter_time: Utc::now(),
            create_time: Utc::now(),
            update_time: Utc::now(),
            revision: 1,
            competitor_ids: Vec::new(),
            lost_to_competitor_id: None,
        }
    }

    const FULL: Qualification = Qualification {
        budget: true,
        authority: true,
        need: true,
    };
    const NO_NEED: Qualification = Qualification {
        budget: true,
        authority: true,
        need: false,
    };

    fn rules(violations: Vec<RuleViolation>) -> Vec<&'static str> {
        violations.into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn the_default_pipeline_is_well_formed() {
        assert_eq!(check_pipeline_shape(&default_fields()), vec![]);
    }

    #[test]
    fn malformed_pipelines_name_their_fields() {
        let mut fields = default_fields();
        fields.stages[1].key = "LEAD".into();
        fields.stages[2].probability = 140;
        fields.stages[3].forecast_category = ForecastCategory::Closed;
        fields.stages[5].probability = 90;
        fields.qualification_stage_key = "WON".into();
        let named: Vec<String> = check_pipeline_shape(&fields)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            named,
            [
                "pipeline.stages[1].key",
                "pipeline.stages[2].probability",
                "pipeline.stages[3].forecast_category",
                "pipeline.stages[5].probability",
                "pipeline.qualification_stage_key",
            ]
        );
        let mut no_lost = default_fields();
        no_lost.stages.pop();
        assert!(!check_pipeline_shape(&no_lost).is_empty());
        let mut open_after_won = default_fields();
        open_after_won.stages.swap(4, 5);
        assert!(!check_pipeline_shape(&open_after_won).is_empty());
    }

    #[test]
    fn qualification_is_needed_from_the_qualification_stage_on_and_to_win() {
        let pipeline = pipeline();
        let needs: Vec<bool> = pipeline
            .stages()
            .iter()
            .map(|s| pipeline.needs_qualification(&s.key))
            .collect();
        assert_eq!(needs, [false, false, true, true, true, true, false]);
    }

    #[test]
    fn the_man_rule_guards_every_way_into_a_qualified_stage() {
        let p = pipeline();
        assert_eq!(rules(check_create(&p, "QUALIFIED", NO_NEED)), [MAN_REQUIRED]);
        assert_eq!(rules(check_create(&p, "QUALIFIED", FULL)), Vec::<&str>::new());
        let lead = opportunity("LEAD", NO_NEED, None);
        assert_eq!(rules(check_move(&p, &lead, "NEGOTIATION")), [MAN_REQUIRED]);
        assert_eq!(rules(check_move(&p, &lead, "CONTACTED")), Vec::<&str>::new());
        assert_eq!(rules(check_close(&p, &lead, Outcome::Won)), [MAN_REQUIRED]);
        assert_eq!(rules(check_close(&p, &lead, Outcome::Lost)), Vec::<&str>::new());
        let proposal = opportunity("PROPOSAL", FULL, None);
        assert_eq!(rules(check_update(&p, &proposal, NO_NEED)), [MAN_REQUIRED]);
        let lost = opportunity("LOST", NO_NEED, Some(Outcome::Lost));
        assert_eq!(rules(check_reopen(&p, &lost, "PROPOSAL")), [MAN_REQUIRED]);
        assert_eq!(rules(check_reopen(&p, &lost, "LEAD")), Vec::<&str>::new());
    }

    #[test]
    fn won_and_lost_are_reached_only_by_closing() {
        let p = pipeline();
        let open = opportunity("NEGOTIATION", FULL, None);
        assert_eq!(rules(check_move(&p, &open, "WON")), [CLOSE_THROUGH_CLOSE]);
        assert_eq!(rules(check_move(&p, &open, "LOST")), [CLOSE_THROUGH_CLOSE]);
        assert_eq!(rules(check_create(&p, "WON", FULL)), [CLOSE_THROUGH_CLOSE]);
        assert_eq!(rules(check_move(&p, &open, "NOPE")), [STAGE_NOT_IN_PIPELINE]);
        assert_eq!(rules(check_move(&p, &open, "NEGOTIATION")), [ALREADY_IN_STAGE]);
    }

    #[test]
    fn closed_opportunities_are_frozen_until_reopened() {
        let p = pipeline();
        let won = opportunity("WON", FULL, Some(Outcome::Won));
        assert_eq!(rules(check_move(&p, &won, "LEAD")), [OPPORTUNITY_CLOSED]);
        assert_eq!(rules(check_close(&p, &won, Outcome::Lost)), [OPPORTUNITY_CLOSED]);
        assert_eq!(rules(check_update(&p, &won, FULL)), [OPPORTUNITY_CLOSED]);
        let open = opportunity("LEAD", FULL, None);
        assert_eq!(rules(check_reopen(&p, &open, "LEAD")), [OPPORTUNITY_OPEN]);
    }

    #[test]
    fn stages_in_use_cannot_go_or_change_nature() {
        let p = pipeline();
        let mut next = default_fields();
        next.stages.retain(|s| s.key != "CONTACTED" && s.key != "LEAD");
        let in_use = ["CONTACTED".to_owned(), "PROPOSAL".to_owned()];
        assert_eq!(rules(check_stages_kept(&p, &next, &in_use)), [STAGE_IN_USE]);
        assert_eq!(
            rules(check_stages_kept(&p, &default_fields(), &in_use)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn moving_the_qualification_stage_earlier_must_not_strand_unqualified_deals() {
        let p = pipeline();
        let mut earlier = default_fields();
        earlier.qualification_stage_key = "CONTACTED".into();
        let deals = [
            (Uuid::nil(), "CONTACTED".to_owned()),
            (Uuid::nil(), "LEAD".to_owned()),
        ];
        assert_eq!(
            rules(check_qualification_kept(&p, &earlier, &deals)),
            [MAN_REQUIRED]
        );
        assert_eq!(
            rules(check_qualification_kept(&p, &default_fields(), &deals)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn reached_counts_are_suffix_sums() {
        assert_eq!(reached_counts(&[2, 0, 3, 1]), [6, 4, 4, 1]);
        assert_eq!(rate(3, 4), 0.75);
        assert_eq!(rate(0, 0), 0.0);
    }

    proptest! {
        /// Whatever got how far, reached(k) never grows with k and every conversion is in [0, 1].
        #[test]
        fn conversion_is_monotone_and_bounded(furthest in prop::collection::vec(0i64..1000, 1..12)) {
            let reached = reached_counts(&furthest);
            for k in 1..reached.len() {
                prop_assert!(reached[k] <= reached[k - 1]);
                let conversion = rate(reached[k], reached[k - 1]);
                prop_assert!((0.0..=1.0).contains(&conversion));
            }
            prop_assert_eq!(reached[0], furthest.iter().sum::<i64>());
        }
    }

    #[test]
    fn competitor_names_match_ignoring_case_and_space() {
        assert_eq!(competitor_key("  ACME Corp "), competitor_key("acme corp"));
        assert_ne!(competitor_key("Acme  Corp"), competitor_key("Acme Corp"));
    }

    #[test]
    fn a_competitor_names_each_key_once() {
        let aliases = vec!["Acme Inc".to_owned(), "ACME".to_owned(), "acme inc ".to_owned()];
        let repeats = repeated_competitor_names("Acme", &aliases);
        let fields: Vec<_> = repeats.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["competitor.aliases[1]", "competitor.aliases[2]"]);
        assert!(repeated_competitor_names("Acme", &["Acme Inc".to_owned()]).is_empty());
    }

    #[test]
    fn a_deal_faces_each_name_once_as_first_spelled() {
        let names = vec!["Acme".to_owned(), " acme".to_owned(), "Globex".to_owned()];
        assert_eq!(
            faced_names(&names),
            [
                ("acme".to_owned(), "Acme".to_owned()),
                ("globex".to_owned(), "Globex".to_owned())
            ]
        );
    }
}
