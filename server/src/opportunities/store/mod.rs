//! The funnel's database side: pipelines, opportunities with their stage history, the analytics
//! queries, and opportunity ownership as a handover area.

mod analytics;
mod competitor_report;
mod competitors;
mod entity;
mod for_planning;
mod history;
mod import;
mod opportunities;
mod ownership;
mod pipelines;
pub mod read_model;

pub use analytics::{
    Amounts, ConversionReport, Forecast, FunnelScope, FunnelSummary, SegmentRow, StageConversion,
    StageSummary, StageVelocity, Stalled, VelocityReport, conversion_report, forecast, funnel_summary,
    queries_by_rpc, stalled_opportunities, velocity_report,
};
pub use competitor_report::{
    AccountPresence, CompetitorReport, CompetitorReportRow, Outcomes, SegmentOutcomes, UnmatchedName,
    competitor_report,
};
pub use competitors::{
    competitor_name_for, competitors_at_home_in, create_competitor, delete_competitor, get_competitor,
    ids_by_names, list_competitors, update_competitor,
};
pub use for_planning::{LostOpportunity, lost_since, open_weighted_pipeline_by_account};
pub use for_planning::{OpenPipeline, open_pipeline_of_accounts};
pub use history::list_stage_history;
pub use import::import_opportunities;
pub use opportunities::{
    CloseRequest, close_opportunity, create_opportunity, get_opportunity, list_opportunities, move_stage,
    opportunities_by_ids, opportunity_ids, reopen_opportunity, update_opportunity,
};
pub use ownership::OpportunityOwnership;
pub use pipelines::{create_pipeline, get_pipeline, list_pipelines, pipeline_or_default, update_pipeline};

use kam_proto::v1 as pb;

use super::{convert::opportunity_to_proto, model::Opportunity};
use crate::platform::{
    audit::Change,
    error::{Error, RuleViolation},
    events::Payload,
};

const PIPELINE: &str = "pipeline";
const OPPORTUNITY: &str = "opportunity";

/// The change of `opportunity` announced as `event`, which carries the deal as GetOpportunity returns
/// it.
fn opportunity_change(
    opportunity: &Opportunity,
    event: fn(pb::Opportunity) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let (id, account_id) = (opportunity.id, Some(opportunity.account_id));
    let message = opportunity_to_proto(opportunity.clone());
    Change::new(OPPORTUNITY, id, account_id, event(message), changed_fields)
}

/// Broken rules as the one error a refused write answers with.
fn refuse(violations: Vec<RuleViolation>) -> Error {
    Error::FailedPrecondition(violations)
}
