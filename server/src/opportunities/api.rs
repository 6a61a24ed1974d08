//! `kam.v1.OpportunityService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, opportunity_service_server::OpportunityService};
use tonic::{Request, Response, Status};

use super::{
    convert::{self, competitor_to_proto, opportunity_to_proto, pipeline_to_proto},
    model::OpportunityOrder,
    store::{self, FunnelScope},
};
use crate::{
    platform::{
        db::{Db, now},
        etag,
        fields::{required_id, text},
        idempotency::IdempotencyKey,
        paging::{self, PageRequest},
        request::RequestContext,
    },
    teams::model::code,
};

pub struct OpportunityApi {
    db: Db,
}

impl OpportunityApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The analytics scope of `filter` for the caller: the pipeline loaded, the caller's visibility.
    async fn scope(
        &self,
        ctx: &RequestContext,
        filter: Option<pb::FunnelFilter>,
    ) -> Result<FunnelScope, Status> {
        let parts = convert::funnel_filter(filter)?;
        let pipeline = store::pipeline_or_default(&self.db, parts.pipeline_id).await?;
        Ok(FunnelScope {
            pipeline,
            owner_staff_id: parts.owner_staff_id,
            account_id: parts.account_id,
            tier: parts.tier,
            start: parts.start,
            end: parts.end,
            visibility: ctx.visibility(),
            segments: parts.segments,
        })
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl OpportunityService for OpportunityApi {
    async fn create_pipeline(&self, request: Request<pb::CreatePipelineRequest>) -> Reply<pb::Pipeline> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreatePipelineRequest { pipeline, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, pipeline.as_ref())?;
        let fields = convert::new_pipeline(pipeline)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_pipeline(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(pipeline_to_proto(created)))
    }

    async fn get_pipeline(&self, request: Request<pb::GetPipelineRequest>) -> Reply<pb::Pipeline> {
        let id = required_id("id", &request.get_ref().id)?;
        Ok(Response::new(pipeline_to_proto(
            store::get_pipeline(&self.db, id).await?,
        )))
    }

    async fn list_pipelines(
        &self,
        request: Request<pb::ListPipelinesRequest>,
    ) -> Reply<pb::ListPipelinesResponse> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token, "pipelines".to_owned())?;
        let found = store::list_pipelines(&self.db, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListPipelinesResponse {
            pipelines: found.items.into_iter().map(pipeline_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_pipeline(&self, request: Request<pb::UpdatePipelineRequest>) -> Reply<pb::Pipeline> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdatePipelineRequest {
            pipeline,
            update_mask,
        } = request.into_inner();
        let update = convert::pipeline_update(pipeline, update_mask)?;
        let updated = store::update_pipeline(&self.db, &ctx, update).await?;
        Ok(Response::new(pipeline_to_proto(updated)))
    }

    async fn create_opportunity(
        &self,
        request: Request<pb::CreateOpportunityRequest>,
    ) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateOpportunityRequest {
            opportunity,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, opportunity.as_ref())?;
        let new = convert::new_opportunity(opportunity)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_opportunity(&self.db, &ctx, new, key).await?;
        Ok(Response::new(opportunity_to_proto(created)))
    }

    async fn get_opportunity(&self, request: Request<pb::GetOpportunityRequest>) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let found = store::get_opportunity(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(opportunity_to_proto(found)))
    }

    async fn list_opportunities(
        &self,
        request: Request<pb::ListOpportunitiesRequest>,
    ) -> Reply<pb::ListOpportunitiesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::opportunity_filter(&request)?;
        let order = OpportunityOrder::parse(&request.order_by)?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{filter:?}{order:?}"),
        )?;
        let found = store::list_opportunities(
            &self.db,
            ctx.visibility(),
            &filter,
            order,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListOpportunitiesResponse {
            opportunities: found.items.into_iter().map(opportunity_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_opportunity(
        &self,
        request: Request<pb::UpdateOpportunityRequest>,
    ) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateOpportunityRequest {
            opportunity,
            update_mask,
        } = request.into_inner();
        let update = convert::opportunity_update(opportunity, update_mask)?;
        let updated = store::update_opportunity(&self.db, &ctx, update).await?;
        Ok(Response::new(opportunity_to_proto(updated)))
    }

    async fn move_opportunity_stage(
        &self,
        request: Request<pb::MoveOpportunityStageRequest>,
    ) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let stage = code("stage", &request.stage)?;
        let stage_owner =
            crate::platform::fields::optional_id("stage_owner_staff_id", &request.stage_owner_staff_id)?;
        let moved =
            store::move_stage(&self.db, &ctx, id, stage, stage_owner, etag::sent(&request.etag)).await?;
        Ok(Response::new(opportunity_to_proto(moved)))
    }

    async fn close_opportunity(
        &self,
        request: Request<pb::CloseOpportunityRequest>,
    ) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let (id, close) = convert::close_request(&request)?;
        let closed = store::close_opportunity(&self.db, &ctx, id, close, etag::sent(&request.etag)).await?;
        Ok(Response::new(opportunity_to_proto(closed)))
    }

    async fn reopen_opportunity(
        &self,
        request: Request<pb::ReopenOpportunityRequest>,
    ) -> Reply<pb::Opportunity> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let mut v = crate::platform::error::Violations::default();
        let id = v.take(required_id("id", &request.id));
        let stage = if request.stage.is_empty() {
            None
        } else {
            v.take(code("stage", &request.stage))
        };
        let reason = v.take(text("reason", &request.reason, 500, true));
        v.into_result()?;
        let reopened = store::reopen_opportunity(
            &self.db,
            &ctx,
            id.expect("checked above"),
            stage,
            reason.expect("checked above"),
            etag::sent(&request.etag),
        )
        .await?;
        Ok(Response::new(opportunity_to_proto(reopened)))
    }

    async fn list_stage_history(
        &self,
        request: Request<pb::ListStageHistoryRequest>,
    ) -> Reply<pb::ListStageHistoryResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("opportunity_id", &request.opportunity_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, id.to_string())?;
        let found =
            store::list_stage_history(&self.db, ctx.visibility(), id, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListStageHistoryResponse {
            changes: found
                .items
                .into_iter()
                .map(convert::stage_change_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn get_funnel_summary(
        &self,
        request: Request<pb::GetFunnelSummaryRequest>,
    ) -> Reply<pb::GetFunnelSummaryResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetFunnelSummaryRequest { filter, group_by } = request.into_inner();
        let group_by = convert::segment_grouping("group_by", group_by.as_ref())?;
        let scope = self.scope(&ctx, filter).await?;
        let summary = store::funnel_summary(&self.db.for_reports(), &scope, group_by).await?;
        Ok(Response::new(convert::funnel_summary_to_proto(
            scope.pipeline.id,
            summary,
        )))
    }

    async fn get_conversion_report(
        &self,
        request: Request<pb::GetConversionReportRequest>,
    ) -> Reply<pb::GetConversionReportResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let scope = self.scope(&ctx, request.into_inner().filter).await?;
        let report = store::conversion_report(&self.db.for_reports(), &scope).await?;
        Ok(Response::new(pb::GetConversionReportResponse {
            pipeline_id: scope.pipeline.id.to_string(),
            stages: report
                .stages
                .into_iter()
                .map(|s| pb::StageConversion {
                    stage: s.stage,
                    reached: s.reached,
                    reached_next: s.reached_next,
                    conversion_rate: s.rate,
                })
                .collect(),
            won: report.won,
            lost: report.lost,
            win_rate: report.win_rate,
        }))
    }

    async fn get_velocity_report(
        &self,
        request: Request<pb::GetVelocityReportRequest>,
    ) -> Reply<pb::GetVelocityReportResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let scope = self.scope(&ctx, request.into_inner().filter).await?;
        let report = store::velocity_report(&self.db.for_reports(), &scope).await?;
        Ok(Response::new(pb::GetVelocityReportResponse {
            pipeline_id: scope.pipeline.id.to_string(),
            stages: report
                .stages
                .into_iter()
                .map(|s| pb::StageVelocity {
                    stage: s.stage,
                    stays: s.stays,
                    mean_days: s.mean_days,
                    median_days: s.median_days,
                })
                .collect(),
            won: report.won,
            mean_cycle_days: report.mean_cycle_days,
        }))
    }

    async fn get_forecast(&self, request: Request<pb::GetForecastRequest>) -> Reply<pb::GetForecastResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetForecastRequest { filter, group_by } = request.into_inner();
        let group_by = convert::segment_grouping("group_by", group_by.as_ref())?;
        let scope = self.scope(&ctx, filter).await?;
        let forecast = store::forecast(&self.db.for_reports(), &scope, group_by).await?;
        Ok(Response::new(convert::forecast_to_proto(
            scope.pipeline.id,
            forecast,
        )))
    }

    async fn list_stalled_opportunities(
        &self,
        request: Request<pb::ListStalledOpportunitiesRequest>,
    ) -> Reply<pb::ListStalledOpportunitiesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let scope = self.scope(&ctx, request.filter.clone()).await?;
        let page = paging::PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{:?}", request.filter),
        )?;
        let (stalled, next) = store::stalled_opportunities(
            &self.db.for_reports(),
            &scope,
            now(),
            page.size,
            page.after.as_ref(),
        )
        .await?;
        Ok(Response::new(pb::ListStalledOpportunitiesResponse {
            opportunities: stalled
                .into_iter()
                .map(|s| pb::StalledOpportunity {
                    opportunity: Some(opportunity_to_proto(s.opportunity)),
                    days_in_stage: s.days_in_stage,
                    stall_after_days: s.stall_after_days,
                })
                .collect(),
            next_page_token: page.next_token(next),
        }))
    }

    async fn create_competitor(
        &self,
        request: Request<pb::CreateCompetitorRequest>,
    ) -> Reply<pb::Competitor> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateCompetitorRequest {
            competitor,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, competitor.as_ref())?;
        let fields = convert::new_competitor(competitor)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_competitor(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(competitor_to_proto(created)))
    }

    async fn get_competitor(&self, request: Request<pb::GetCompetitorRequest>) -> Reply<pb::Competitor> {
        let id = required_id("id", &request.get_ref().id)?;
        let found = store::get_competitor(&self.db, id).await?;
        Ok(Response::new(competitor_to_proto(found)))
    }

    async fn list_competitors(
        &self,
        request: Request<pb::ListCompetitorsRequest>,
    ) -> Reply<pb::ListCompetitorsResponse> {
        let request = request.into_inner();
        let filter = convert::competitor_filter(&request)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, format!("{filter:?}"))?;
        let found = store::list_competitors(&self.db, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListCompetitorsResponse {
            competitors: found.items.into_iter().map(competitor_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_competitor(
        &self,
        request: Request<pb::UpdateCompetitorRequest>,
    ) -> Reply<pb::Competitor> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateCompetitorRequest {
            competitor,
            update_mask,
        } = request.into_inner();
        let update = convert::competitor_update(competitor, update_mask)?;
        let updated = store::update_competitor(&self.db, &ctx, update).await?;
        Ok(Response::new(competitor_to_proto(updated)))
    }

    async fn delete_competitor(
        &self,
        request: Request<pb::DeleteCompetitorRequest>,
    ) -> Reply<pb::DeleteCompetitorResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::DeleteCompetitorRequest { id, etag: sent } = request.into_inner();
        let id = required_id("id", &id)?;
        store::delete_competitor(&self.db, &ctx, id, etag::sent(&sent)).await?;
        Ok(Response::new(pb::DeleteCompetitorResponse {}))
    }

    async fn get_competitor_report(
        &self,
        request: Request<pb::GetCompetitorReportRequest>,
    ) -> Reply<pb::GetCompetitorReportResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let query = convert::competitor_report_query(request.get_ref())?;
        let report = store::competitor_report(&self.db.for_reports(), ctx.visibility(), &query).await?;
        Ok(Response::new(convert::competitor_report_to_proto(report)))
    }
}
