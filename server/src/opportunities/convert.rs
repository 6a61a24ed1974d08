//! The wire edge of the funnel: proto messages in, validated domain values out, and back.

use chrono::NaiveDate;
use kam_proto::{
    pbjson_types::{self, FieldMask},
    v1 as pb,
};
use uuid::Uuid;

use super::{
    model::{
        Competitor, CompetitorFields, CompetitorFilter, CompetitorPatch, CompetitorReportQuery, DealFields,
        DealPatch, ForecastCategory, NewOpportunity, Opportunity, OpportunityFilter, OpportunityRecord,
        Outcome, Pipeline, PipelineFields, PipelinePatch, Qualification, Stage, StageChange,
    },
    rules,
    store::{
        Amounts, CloseRequest, CompetitorReport, Forecast, FunnelSummary, Outcomes, SegmentOutcomes,
        StageSummary,
    },
};
use crate::platform::wire::{PatchFields, Update};
use crate::segments::convert::code as code_of_segment;
pub use crate::segments::convert::{segment_filter, segment_grouping};
use crate::{
    accounts::model::Tier,
    platform::{
        error::{FieldViolation, Result, Violations},
        etag,
        fields::{external_id, optional_id, optional_text, required_id, text},
        money::Money,
        wire::{WireEnum, instant, timestamp},
    },
    teams::model::code,
};

crate::wire_enums!(ForecastCategory => pb::ForecastCategory, Outcome => pb::Outcome);

const PIPELINE_OUTPUT_ONLY: &[&str] = &["id", "is_default", "create_time", "update_time", "etag"];
const DEAL_OUTPUT_ONLY: &[&str] = &[
    "id",
    "stage",
    "probability",
    "forecast_category",
    "outcome",
    "close_reason",
    "close_note",
    "lost_to_competitor",
    "close_time",
    "stage_enter_time",
    "create_time",
    "update_time",
    "etag",
    "competitor_ids",
    "lost_to_competitor_id",
];
const MAX_COMPETITORS: usize = 20;

// ----- pipelines -----

fn stages_from_proto(stages: Vec<pb::PipelineStage>, v: &mut Violations) -> Vec<Stage> {
    stages
        .into_iter()
        .enumerate()
        .filter_map(|(i, stage)| {
            let field = |name: &str| format!("pipeline.stages[{i}].{name}");
            let key = v.take(code(&field("key"), &stage.key));
            let name = v.take(text(&field("display_name"), &stage.display_name, 100, true));
            let category = v.take(ForecastCategory::from_wire(
                &field("forecast_category"),
                stage.forecast_category,
            ));
            let category = match category {
                Some(Some(category)) => Some(category),
                Some(None) => {
                    v.add(field("forecast_category"), "must be set");
                    None
                }
                None => None,
            };
            Some(Stage {
                key: key?,
                display_name: name?,
                probability: stage.probability,
                forecast_category: category?,
                stall_after_days: stage.stall_after_days,
                closed_won: stage.closed_won,
                closed_lost: stage.closed_lost,
            })
        })
        .collect()
}

fn qualification_key(raw: &str) -> Result<String, FieldViolation> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        code("pipeline.qualification_stage_key", raw)
    }
}

pub fn new_pipeline(pipeline: Option<pb::Pipeline>) -> Result<PipelineFields> {
    let pipeline = pipeline.unwrap_or_default();
    let mut v = Violations::default();
    let name = v.take(text("pipeline.display_name", &pipeline.display_name, 200, true));
    let stages = stages_from_proto(pipeline.stages, &mut v);
    let qualification = v.take(qualification_key(&pipeline.qualification_stage_key));
    v.into_result()?;
    let fields = PipelineFields {
        display_name: name.expect("checked above"),
        stages,
        qualification_stage_key: qualification.expect("checked above"),
    };
    let shape = rules::check_pipeline_shape(&fields);
    if !shape.is_empty() {
        return Err(crate::platform::error::Error::InvalidArgument(shape));
    }
    Ok(fields)
}

pub fn pipeline_update(
    pipeline: Option<pb::Pipeline>,
    mask: Option<FieldMask>,
) -> Result<Update<PipelinePatch>> {
    let pipeline = pipeline.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("pipeline.id", &pipeline.id));
    let (patch, paths) = PatchFields::new()
        .field(
            "display_name",
            !pipeline.display_name.is_empty(),
            |patch: &mut PipelinePatch, v| {
                patch.display_name = v.take(text("pipeline.display_name", &pipeline.display_name, 200, true));
            },
        )
        .field("stages", !pipeline.stages.is_empty(), |patch, v| {
            patch.stages = Some(stages_from_proto(pipeline.stages.clone(), v))
        })
        .field(
            "qualification_stage_key",
            !pipeline.qualification_stage_key.is_empty(),
            |patch, v| {
                patch.qualification_stage_key = v.take(qualification_key(&pipeline.qualification_stage_key));
            },
        )
        .read(mask, PIPELINE_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&pipeline.etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn pipeline_to_proto(pipeline: Pipeline) -> pb::Pipeline {
    let Pipeline {
        id,
        fields,
        is_default,
        create_time,
        update_time,
        revision,
    } = pipeline;
    pb::Pipeline {
        id: id.to_string(),
        display_name: fields.display_name,
        stages: fields
            .stages
            .into_iter()
            .map(|s| pb::PipelineStage {
                key: s.key,
                display_name: s.display_name,
                probability: s.probability,
                forecast_category: s.forecast_category.to_wire(),
                stall_after_days: s.stall_after_days,
                closed_won: s.closed_won,
                closed_lost: s.closed_lost,
            })
            .collect(),
        qualification_stage_key: fields.qualification_stage_key,
        is_default,
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

// ----- opportunities -----

fn amount(field: &str, raw: Option<pb::Money>) -> Result<Option<Money>, FieldViolation> {
    raw.map(|m| Money::non_negative(field, m)).transpose()
}

/// The API's date range holds: a date past 9999 would be stored, and SQLite's text order would then
/// break every range filter on it.
fn close_date(field: &str, raw: Option<pb::Date>) -> Result<Option<NaiveDate>, FieldViolation> {
    crate::platform::wire::date(field, raw)
}

fn probability(raw: Option<i32>) -> Result<Option<i32>, FieldViolation> {
    match raw {
        Some(p) if !(0..=100).contains(&p) => Err(FieldViolation::new(
            "opportunity.probability_override",
            "must be within 0..=100",
        )),
        other => Ok(other),
    }
}

fn category_override(raw: i32) -> Result<Option<ForecastCategory>, FieldViolation> {
    let field = "opportunity.forecast_category_override";
    match ForecastCategory::from_wire(field, raw)? {
        Some(ForecastCategory::Closed) => Err(FieldViolation::new(field, "CLOSED is for won opportunities")),
        other => Ok(other),
    }
}

fn competitors(raw: Vec<String>) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_COMPETITORS {
        return Err(FieldViolation::new(
            "opportunity.competitors",
            format!("at most {MAX_COMPETITORS}"),
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, name)| text(&format!("opportunity.competitors[{i}]"), name, 200, true))
        .collect()
}

fn qualification(raw: Option<pb::Qualification>) -> Qualification {
    let q = raw.unwrap_or_default();
    Qualification {
        budget: q.budget_confirmed,
        authority: q.authority_confirmed,
        need: q.need_confirmed,
    }
}

pub fn new_opportunity(opportunity: Option<pb::Opportunity>) -> Result<NewOpportunity> {
    let o = opportunity.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("opportunity.account_id", &o.account_id));
    let pipeline_id = v.take(optional_id("opportunity.pipeline_id", &o.pipeline_id));
    let stage = v.take(if o.stage.is_empty() {
        Ok(None)
    } else {
        code("opportunity.stage", &o.stage).map(Some)
    });
    let deal = DealFields {
        external_id: v
            .take(external_id("opportunity.external_id", &o.external_id))
            .flatten(),
        display_name: v
            .take(text("opportunity.display_name", &o.display_name, 200, true))
            .unwrap_or_default(),
        amount: v.take(amount("opportunity.amount", o.amount)).flatten(),
        expected_close_date: v
            .take(close_date(
                "opportunity.expected_close_date",
                o.expected_close_date,
            ))
            .flatten(),
        probability_override: v.take(probability(o.probability_override)).flatten(),
        forecast_category_override: v.take(category_override(o.forecast_category_override)).flatten(),
        owner_staff_id: v
            .take(required_id("opportunity.owner_staff_id", &o.owner_staff_id))
            .unwrap_or_default(),
        stage_owner_staff_id: v
            .take(optional_id(
                "opportunity.stage_owner_staff_id",
                &o.stage_owner_staff_id,
            ))
            .flatten(),
        competitors: v.take(competitors(o.competitors)).unwrap_or_default(),
        source: v
            .take(text("opportunity.source", &o.source, 100, false))
            .unwrap_or_default(),
        next_step: v
            .take(text("opportunity.next_step", &o.next_step, 500, false))
            .unwrap_or_default(),
        qualification: qualification(o.qualification),
    };
    v.into_result()?;
    Ok(NewOpportunity {
        account_id: account_id.expect("checked above"),
        pipeline_id: pipeline_id.flatten(),
        stage: stage.flatten(),
        deal,
    })
}

/// One imported opportunity record, checked like CreateOpportunity checks an opportunity; the first
/// fault, named by its field within the record.
pub fn opportunity_record(record: pb::OpportunityRecord) -> Result<OpportunityRecord, FieldViolation> {
    let pb::OpportunityRecord {
        external_id,
        account_external_id,
        display_name,
        amount: raw_amount,
        expected_close_date,
        owner_email,
        stage,
        source,
        next_step,
    } = record;
    Ok(OpportunityRecord {
        external_id: external_id_required("external_id", &external_id)?,
        account_external_id: external_id_required("account_external_id", &account_external_id)?,
        display_name: text("display_name", &display_name, 200, true)?,
        amount: amount("amount", raw_amount)?,
        expected_close_date: close_date("expected_close_date", expected_close_date)?,
        owner_email: text("owner_email", &owner_email, 254, true)?,
        stage: if stage.is_empty() {
            None
        } else {
            Some(code("stage", &stage)?)
        },
        source: text("source", &source, 100, false)?,
        next_step: text("next_step", &next_step, 500, false)?,
    })
}

/// An import upserts by external id and names the account by its own.
fn external_id_required(field: &str, raw: &str) -> Result<String, FieldViolation> {
    external_id(field, raw)?.ok_or_else(|| FieldViolation::new(field, "required"))
}

pub fn opportunity_update(
    opportunity: Option<pb::Opportunity>,
    mask: Option<FieldMask>,
) -> Result<Update<DealPatch>> {
    let o = opportunity.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("opportunity.id", &o.id));
    let (patch, paths) = PatchFields::new()
        .field(
            "external_id",
            !o.external_id.is_empty(),
            |patch: &mut DealPatch, v| {
                patch.external_id = v.take(external_id("opportunity.external_id", &o.external_id))
            },
        )
        .field("display_name", !o.display_name.is_empty(), |patch, v| {
            patch.display_name = v.take(text("opportunity.display_name", &o.display_name, 200, true));
        })
        .field("amount", o.amount.is_some(), |patch, v| {
            patch.amount = v.take(amount("opportunity.amount", o.amount.clone()))
        })
        .field(
            "expected_close_date",
            o.expected_close_date.is_some(),
            |patch, v| {
                patch.expected_close_date = v.take(close_date(
                    "opportunity.expected_close_date",
                    o.expected_close_date,
                ))
            },
        )
        .field(
            "probability_override",
            o.probability_override.is_some(),
            |patch, v| patch.probability_override = v.take(probability(o.probability_override)),
        )
        .field(
            "forecast_category_override",
            o.forecast_category_override != 0,
            |patch, v| {
                patch.forecast_category_override = v.take(category_override(o.forecast_category_override));
            },
        )
        .field("owner_staff_id", !o.owner_staff_id.is_empty(), |patch, v| {
            patch.owner_staff_id = v.take(required_id("opportunity.owner_staff_id", &o.owner_staff_id));
        })
        .field(
            "stage_owner_staff_id",
            !o.stage_owner_staff_id.is_empty(),
            |patch, v| {
                patch.stage_owner_staff_id = v.take(optional_id(
                    "opportunity.stage_owner_staff_id",
                    &o.stage_owner_staff_id,
                ));
            },
        )
        .field("competitors", !o.competitors.is_empty(), |patch, v| {
            patch.competitors = v.take(competitors(o.competitors.clone()))
        })
        .field("source", !o.source.is_empty(), |patch, v| {
            patch.source = v.take(text("opportunity.source", &o.source, 100, false))
        })
        .field("next_step", !o.next_step.is_empty(), |patch, v| {
            patch.next_step = v.take(text("opportunity.next_step", &o.next_step, 500, false))
        })
        .field("qualification", o.qualification.is_some(), |patch, _| {
            patch.qualification = Some(qualification(o.qualification))
        })
        .read(mask, DEAL_OUTPUT_ONLY, &["account_id", "pipeline_id"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&o.etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn close_request(request: &pb::CloseOpportunityRequest) -> Result<(Uuid, CloseRequest)> {
    let mut v = Violations::default();
    let id = v.take(required_id("id", &request.id));
    let outcome = match Outcome::from_wire("outcome", request.outcome) {
        Ok(Some(outcome)) => Some(outcome),
        Ok(None) => {
            v.add("outcome", "must be WON or LOST");
            None
        }
        Err(violation) => {
            v.take::<()>(Err(violation));
            None
        }
    };
    let reason = v.take(code("reason_code", &request.reason_code));
    let note = v.take(text("note", &request.note, 2000, false));
    let lost_to = v.take(text(
        "lost_to_competitor",
        &request.lost_to_competitor,
        200,
        false,
    ));
    if outcome == Some(Outcome::Won) && lost_to.as_deref().is_some_and(|l| !l.is_empty()) {
        v.add(
            "lost_to_competitor",
            "only a lost opportunity is lost to a competitor",
        );
    }
    v.into_result()?;
    Ok((
        id.expect("checked above"),
        CloseRequest {
            outcome: outcome.expect("checked above"),
            reason: reason.expect("checked above"),
            note: note.expect("checked above"),
            lost_to_competitor: lost_to.expect("checked above"),
        },
    ))
}

pub fn opportunity_filter(request: &pb::ListOpportunitiesRequest) -> Result<OpportunityFilter> {
    let mut v = Violations::default();
    let filter = OpportunityFilter {
        account_id: v.take(optional_id("account_id", &request.account_id)).flatten(),
        pipeline_id: v.take(optional_id("pipeline_id", &request.pipeline_id)).flatten(),
        owner_staff_id: v
            .take(optional_id("owner_staff_id", &request.owner_staff_id))
            .flatten(),
        stage: v.take(optional_text("stage", &request.stage, 200)).flatten(),
        open_only: request.open_only,
        query: v.take(optional_text("query", &request.query, 200)).flatten(),
        competitor_id: v
            .take(optional_id("competitor_id", &request.competitor_id))
            .flatten(),
        segments: v
            .take(segment_filter("segments", request.segments.as_ref()))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn amounts_to_proto(amounts: Amounts) -> Vec<pb::CurrencyAmount> {
    amounts
        .into_iter()
        .map(|(currency, (count, money))| pb::CurrencyAmount {
            currency_code: currency,
            count,
            amount: Some(money.to_proto()),
        })
        .collect()
}

fn stage_summary_to_proto(summary: StageSummary) -> pb::StageSummary {
    let StageSummary {
        stage,
        count,
        amounts,
        weighted,
    } = summary;
    pb::StageSummary {
        stage,
        count,
        amounts: amounts_to_proto(amounts),
        weighted_amounts: amounts_to_proto(weighted),
    }
}

fn segment_key(code: String, name: String) -> Option<pb::SegmentKey> {
    Some(pb::SegmentKey { code, name })
}

pub fn funnel_summary_to_proto(pipeline_id: Uuid, summary: FunnelSummary) -> pb::GetFunnelSummaryResponse {
    let FunnelSummary { stages, segments } = summary;
    pb::GetFunnelSummaryResponse {
        pipeline_id: pipeline_id.to_string(),
        stages: stages.into_iter().map(stage_summary_to_proto).collect(),
        segments: segments
            .into_iter()
            .map(|s| pb::SegmentFunnel {
                segment: segment_key(s.code, s.name),
                stages: s.value.into_iter().map(stage_summary_to_proto).collect(),
            })
            .collect(),
    }
}

fn forecast_categories_to_proto(
    categories: Vec<(ForecastCategory, Amounts)>,
) -> Vec<pb::ForecastCategorySum> {
    categories
        .into_iter()
        .map(|(category, amounts)| pb::ForecastCategorySum {
            category: category.to_wire(),
            amounts: amounts_to_proto(amounts),
        })
        .collect()
}

pub fn forecast_to_proto(pipeline_id: Uuid, forecast: Forecast) -> pb::GetForecastResponse {
    let Forecast {
        categories,
        weighted_pipeline,
        closed_won,
        segments,
    } = forecast;
    pb::GetForecastResponse {
        pipeline_id: pipeline_id.to_string(),
        categories: forecast_categories_to_proto(categories),
        weighted_pipeline: amounts_to_proto(weighted_pipeline),
        closed_won: amounts_to_proto(closed_won),
        segments: segments
            .into_iter()
            .map(|s| pb::SegmentForecast {
                segment: segment_key(s.code, s.name),
                categories: forecast_categories_to_proto(s.value.categories),
                weighted_pipeline: amounts_to_proto(s.value.weighted_pipeline),
                closed_won: amounts_to_proto(s.value.closed_won),
            })
            .collect(),
    }
}

/// The parts of a FunnelFilter besides the pipeline: owner, account, tier, range, segments.
pub struct FunnelFilterParts {
    pub pipeline_id: Option<Uuid>,
    pub owner_staff_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub tier: Option<Tier>,
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    pub segments: crate::segments::model::SegmentFilter,
}

pub fn funnel_filter(filter: Option<pb::FunnelFilter>) -> Result<FunnelFilterParts> {
    let f = filter.unwrap_or_default();
    let mut v = Violations::default();
    let parts = FunnelFilterParts {
        pipeline_id: v
            .take(optional_id("filter.pipeline_id", &f.pipeline_id))
            .flatten(),
        owner_staff_id: v
            .take(optional_id("filter.owner_staff_id", &f.owner_staff_id))
            .flatten(),
        account_id: v.take(optional_id("filter.account_id", &f.account_id)).flatten(),
        tier: v.take(Tier::from_wire("filter.tier", f.tier)).flatten(),
        start: v.take(instant("filter.start_time", f.start_time)).flatten(),
        end: v.take(instant("filter.end_time", f.end_time)).flatten(),
        segments: v
            .take(segment_filter("filter.segments", f.segments.as_ref()))
            .unwrap_or_default(),
    };
    if let (Some(start), Some(end)) = (parts.start, parts.end)
        && start >= end
    {
        v.add("filter.end_time", "must be after start_time");
    }
    v.into_result()?;
    Ok(parts)
}

pub fn opportunity_to_proto(opportunity: Opportunity) -> pb::Opportunity {
    let Opportunity {
        id,
        account_id,
        pipeline_id,
        stage,
        deal,
        probability,
        forecast_category,
        closing,
        stage_enter_time,
        create_time,
        update_time,
        revision,
        competitor_ids,
        lost_to_competitor_id,
    } = opportunity;
    let competitor_ids: Vec<String> = (0..deal.competitors.len())
        .map(|i| {
            competitor_ids
                .get(i)
                .copied()
                .flatten()
                .map(|id| id.to_string())
                .unwrap_or_default()
        })
        .collect();
    let DealFields {
        external_id,
        display_name,
        amount,
        expected_close_date,
        probability_override,
        forecast_category_override,
        owner_staff_id,
        stage_owner_staff_id,
        competitors,
        source,
        next_step,
        qualification,
    } = deal;
    let closing = closing.as_ref();
    pb::Opportunity {
        id: id.to_string(),
        external_id: external_id.unwrap_or_default(),
        account_id: account_id.to_string(),
        pipeline_id: pipeline_id.to_string(),
        stage,
        display_name,
        amount: amount.map(|m| m.to_proto()),
        expected_close_date: expected_close_date.map(|d| {
            use chrono::Datelike;
            pb::Date {
                year: d.year(),
                month: d.month() as i32,
                day: d.day() as i32,
            }
        }),
        probability,
        probability_override,
        forecast_category: forecast_category.to_wire(),
        forecast_category_override: forecast_category_override.map_or(0, |c| c.to_wire()),
        owner_staff_id: owner_staff_id.to_string(),
        stage_owner_staff_id: stage_owner_staff_id.map(|s| s.to_string()).unwrap_or_default(),
        competitors,
        source,
        next_step,
        qualification: Some(pb::Qualification {
            budget_confirmed: qualification.budget,
            authority_confirmed: qualification.authority,
            need_confirmed: qualification.need,
        }),
        outcome: closing.map_or(0, |c| c.outcome.to_wire()),
        close_reason: closing.map(|c| c.reason.clone()).unwrap_or_default(),
        close_note: closing.map(|c| c.note.clone()).unwrap_or_default(),
        lost_to_competitor: closing.map(|c| c.lost_to_competitor.clone()).unwrap_or_default(),
        close_time: closing.map(|c| timestamp(c.time)),
        stage_enter_time: Some(timestamp(stage_enter_time)),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
        competitor_ids,
        lost_to_competitor_id: lost_to_competitor_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

pub fn stage_change_to_proto(change: StageChange) -> pb::StageChange {
    let StageChange {
        id,
        opportunity_id,
        from_stage,
        to_stage,
        change_time,
        changed_by,
        reason,
    } = change;
    pb::StageChange {
        id: id.to_string(),
        opportunity_id: opportunity_id.to_string(),
        from_stage: from_stage.unwrap_or_default(),
        to_stage,
        change_time: Some(timestamp(change_time)),
        changed_by: changed_by.to_string(),
        reason,
    }
}

// ----- competitors -----

const COMPETITOR_OUTPUT_ONLY: &[&str] = &["id", "create_time", "update_time", "etag"];
const MAX_ALIASES: usize = 20;
const MAX_HOME_REGIONS: usize = 50;

fn competitor_aliases(raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_ALIASES {
        return Err(FieldViolation::new(
            "competitor.aliases",
            format!("at most {MAX_ALIASES}"),
        ));
    }
    crate::platform::fields::texts("competitor.aliases", raw, 200)
}

fn home_region_codes(raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_HOME_REGIONS {
        return Err(FieldViolation::new(
            "competitor.home_region_codes",
            format!("at most {MAX_HOME_REGIONS}"),
        ));
    }
    let mut codes: Vec<String> = Vec::with_capacity(raw.len());
    for (i, code) in raw.iter().enumerate() {
        let code = code_of_segment(&format!("competitor.home_region_codes[{i}]"), code)?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// The fields of a new competitor, every bad one named.
pub fn new_competitor(competitor: Option<pb::Competitor>) -> Result<CompetitorFields> {
    let pb::Competitor {
        id: _,
        name,
        aliases,
        strengths,
        weaknesses,
        home_region_codes: regions,
        website,
        create_time: _,
        update_time: _,
        etag: _,
    } = competitor.unwrap_or_default();
    let mut v = Violations::default();
    let fields = CompetitorFields {
        name: v
            .take(text("competitor.name", &name, 200, true))
            .unwrap_or_default(),
        aliases: v.take(competitor_aliases(&aliases)).unwrap_or_default(),
        strengths: v
            .take(text("competitor.strengths", &strengths, 2000, false))
            .unwrap_or_default(),
        weaknesses: v
            .take(text("competitor.weaknesses", &weaknesses, 2000, false))
            .unwrap_or_default(),
        home_region_codes: v.take(home_region_codes(&regions)).unwrap_or_default(),
        website: v
            .take(text("competitor.website", &website, 500, false))
            .unwrap_or_default(),
    };
    v.into_result()?;
    check_competitor_names(&fields)?;
    Ok(fields)
}

/// INVALID_ARGUMENT when a competitor's names repeat one another (ignoring case).
pub fn check_competitor_names(fields: &CompetitorFields) -> Result<()> {
    let repeats = rules::repeated_competitor_names(&fields.name, &fields.aliases);
    if repeats.is_empty() {
        Ok(())
    } else {
        Err(crate::platform::error::Error::InvalidArgument(repeats))
    }
}

pub fn competitor_update(
    competitor: Option<pb::Competitor>,
    mask: Option<FieldMask>,
) -> Result<Update<CompetitorPatch>> {
    let pb::Competitor {
        id,
        name,
        aliases,
        strengths,
        weaknesses,
        home_region_codes: regions,
        website,
        create_time: _,
        update_time: _,
        etag: sent_etag,
    } = competitor.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("competitor.id", &id));
    let (patch, paths) = PatchFields::new()
        .field("name", !name.is_empty(), |patch: &mut CompetitorPatch, v| {
            patch.name = v.take(text("competitor.name", &name, 200, true));
        })
        .field("aliases", !aliases.is_empty(), |patch, v| {
            patch.aliases = v.take(competitor_aliases(&aliases));
        })
        .field("strengths", !strengths.is_empty(), |patch, v| {
            patch.strengths = v.take(text("competitor.strengths", &strengths, 2000, false));
        })
        .field("weaknesses", !weaknesses.is_empty(), |patch, v| {
            patch.weaknesses = v.take(text("competitor.weaknesses", &weaknesses, 2000, false));
        })
        .field("home_region_codes", !regions.is_empty(), |patch, v| {
            patch.home_region_codes = v.take(home_region_codes(&regions));
        })
        .field("website", !website.is_empty(), |patch, v| {
            patch.website = v.take(text("competitor.website", &website, 500, false));
        })
        .read(mask, COMPETITOR_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&sent_etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn competitor_filter(request: &pb::ListCompetitorsRequest) -> Result<CompetitorFilter> {
    let pb::ListCompetitorsRequest {
        page_size: _,
        page_token: _,
        query,
        region_code: region,
    } = request;
    let mut v = Violations::default();
    let filter = CompetitorFilter {
        query: v.take(optional_text("query", query, 200)).flatten(),
        region_code: if region.is_empty() {
            None
        } else {
            v.take(code_of_segment("region_code", region))
        },
    };
    v.into_result()?;
    Ok(filter)
}

pub fn competitor_to_proto(competitor: Competitor) -> pb::Competitor {
    let Competitor {
        id,
        fields,
        create_time,
        update_time,
        revision,
    } = competitor;
    let CompetitorFields {
        name,
        aliases,
        strengths,
        weaknesses,
        home_region_codes,
        website,
    } = fields;
    pb::Competitor {
        id: id.to_string(),
        name,
        aliases,
        strengths,
        weaknesses,
        home_region_codes,
        website,
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

const DEFAULT_TOP_ACCOUNTS: i32 = 5;
const MAX_TOP_ACCOUNTS: i32 = 50;

pub fn competitor_report_query(request: &pb::GetCompetitorReportRequest) -> Result<CompetitorReportQuery> {
    let pb::GetCompetitorReportRequest {
        start_time,
        end_time,
        segments,
        competitor_id,
        top_accounts,
        rollup_depth,
    } = request;
    let mut v = Violations::default();
    let required = |field: &str, raw: Option<pbjson_types::Timestamp>| {
        instant(field, raw)?.ok_or_else(|| FieldViolation::new(field, "required"))
    };
    let start = v.take(required("start_time", *start_time));
    let end = v.take(required("end_time", *end_time));
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        v.add("end_time", "must be after start_time");
    }
    let competitor_id = v.take(optional_id("competitor_id", competitor_id)).flatten();
    let top_accounts = match *top_accounts {
        0 => Some(DEFAULT_TOP_ACCOUNTS),
        n if (1..=MAX_TOP_ACCOUNTS).contains(&n) => Some(n),
        _ => {
            v.add("top_accounts", format!("must be within 0..={MAX_TOP_ACCOUNTS}"));
            None
        }
    };
    if !(0..=crate::segments::model::MAX_DEPTH).contains(rollup_depth) {
        v.add(
            "rollup_depth",
            format!("must be within 0..={}", crate::segments::model::MAX_DEPTH),
        );
    }
    let segments = v.take(segment_filter("segments", segments.as_ref()));
    v.into_result()?;
    Ok(CompetitorReportQuery {
        start: start.expect("checked above"),
        end: end.expect("checked above"),
        competitor_id,
        top_accounts: top_accounts.expect("checked above") as u32,
        rollup_depth: *rollup_depth,
        segments: segments.unwrap_or_default(),
    })
}

fn outcomes_to_proto(outcomes: Outcomes) -> pb::CompetitorOutcomes {
    let win_rate = outcomes.win_rate();
    let Outcomes {
        faced,
        won,
        lost_to,
        lost_to_others,
        open,
        faced_amounts,
        won_amounts,
        lost_amounts,
    } = outcomes;
    pb::CompetitorOutcomes {
        faced,
        won,
        lost_to,
        lost_to_others,
        open,
        win_rate,
        faced_amounts: amounts_to_proto(faced_amounts),
        won_amounts: amounts_to_proto(won_amounts),
        lost_amounts: amounts_to_proto(lost_amounts),
    }
}

fn segment_outcomes_to_proto(
    segments: Vec<SegmentOutcomes>,
) -> Vec<pb::competitor_report_row::SegmentOutcomes> {
    segments
        .into_iter()
        .map(|s| pb::competitor_report_row::SegmentOutcomes {
            segment: Some(pb::SegmentKey {
                code: s.code,
                name: s.name,
            }),
            outcomes: Some(outcomes_to_proto(s.outcomes)),
        })
        .collect()
}

pub fn competitor_report_to_proto(report: CompetitorReport) -> pb::GetCompetitorReportResponse {
    let CompetitorReport { rows, unmatched } = report;
    pb::GetCompetitorReportResponse {
        rows: rows
            .into_iter()
            .map(|row| pb::CompetitorReportRow {
                competitor_id: row.competitor_id.to_string(),
                competitor_name: row.competitor_name,
                outcomes: Some(outcomes_to_proto(row.outcomes)),
                by_industry: segment_outcomes_to_proto(row.by_industry),
                by_region: segment_outcomes_to_proto(row.by_region),
                top_accounts: row
                    .top_accounts
                    .into_iter()
                    .map(|a| pb::competitor_report_row::AccountPresence {
                        account_id: a.account_id.to_string(),
                        account_display_name: a.display_name,
                        faced: a.faced,
                        won: a.won,
                        lost_to: a.lost_to,
                    })
                    .collect(),
            })
            .collect(),
        unmatched: unmatched
            .into_iter()
            .map(|u| pb::UnmatchedCompetitorName {
                name: u.name,
                faced: u.faced,
                lost_to: u.lost_to,
            })
            .collect(),
    }
}
