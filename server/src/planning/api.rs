//! `kam.v1.PlanningService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, planning_service_server::PlanningService};
use tonic::{Request, Response, Status};

use super::{
    convert::{self, month, month_range, override_to_proto, revenue_to_proto, tier_change_to_proto},
    model::RevenueFilter,
    store,
};
use crate::segments::convert::segment_filter;
use crate::{
    config::PlanningConfig,
    platform::{
        db::{Db, now},
        error::Violations,
        fields::{optional_id, required_id},
        idempotency::IdempotencyKey,
        paging::PageRequest,
        request::RequestContext,
        wire::instant,
    },
    teams::store::CoveragePolicy,
};

pub struct PlanningApi {
    db: Db,
    config: PlanningConfig,
    /// What each tier's team must hold (the group summary reports the members' gaps).
    coverage: CoveragePolicy,
}

impl PlanningApi {
    pub fn new(db: Db, config: PlanningConfig) -> Self {
        Self {
            db,
            config,
            coverage: CoveragePolicy::default(),
        }
    }

    /// The coverage requirements the group summary checks the members' teams against.
    pub fn with_coverage(self, coverage: CoveragePolicy) -> Self {
        Self { coverage, ..self }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl PlanningService for PlanningApi {
    async fn get_revenue_report(
        &self,
        request: Request<pb::GetRevenueReportRequest>,
    ) -> Reply<pb::GetRevenueReportResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let query =
            convert::revenue_report_query(request.into_inner(), &self.config.reporting_currency, now())?;
        let report = store::revenue_report(&self.db.for_reports(), ctx.visibility(), &query).await?;
        Ok(Response::new(convert::revenue_report_to_proto(&query, report)))
    }
    async fn upsert_revenue_records(
        &self,
        request: Request<pb::UpsertRevenueRecordsRequest>,
    ) -> Reply<pb::UpsertRevenueRecordsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpsertRevenueRecordsRequest { records } = request.into_inner();
        let records = convert::revenue_records(records, &self.config.reporting_currency)?;
        let outcome = store::upsert_revenue(&self.db, &ctx, records).await?;
        Ok(Response::new(pb::UpsertRevenueRecordsResponse {
            created: outcome.created as i32,
            updated: outcome.updated as i32,
            unchanged: outcome.unchanged as i32,
        }))
    }

    async fn list_revenue_records(
        &self,
        request: Request<pb::ListRevenueRecordsRequest>,
    ) -> Reply<pb::ListRevenueRecordsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListRevenueRecordsRequest {
            page_size,
            page_token,
            account_id,
            from_period,
            to_period,
            order_by,
            segments,
        } = request.into_inner();
        let mut v = Violations::default();
        let filter = RevenueFilter {
            account_id: v.take(optional_id("account_id", &account_id)).flatten(),
            from_period: v.take(month("from_period", from_period)).flatten(),
            to_period: v.take(month("to_period", to_period)).flatten(),
            segments: v
                .take(segment_filter("segments", segments.as_ref()))
                .unwrap_or_default(),
        };
        let by_external_id = match order_by.as_str() {
            "" => false,
            "external_id" => true,
            other => {
                v.add(
                    "order_by",
                    format!("unknown order {other:?}; use \"\" or \"external_id\""),
                );
                false
            }
        };
        v.into_result()?;
        let query = format!("revenue_records {filter:?} by_external_id={by_external_id}");
        let page = PageRequest::parse(page_size, &page_token, query)?;
        let found = store::list_revenue(
            &self.db,
            ctx.visibility(),
            &filter,
            by_external_id,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListRevenueRecordsResponse {
            records: found.items.into_iter().map(revenue_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn get_monthly_revenue(
        &self,
        request: Request<pb::GetMonthlyRevenueRequest>,
    ) -> Reply<pb::MonthlyRevenue> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetMonthlyRevenueRequest {
            account_id,
            from_period,
            to_period,
        } = request.into_inner();
        let account_id = required_id("account_id", &account_id)?;
        let months = month_range(from_period, to_period, now())?;
        let currency = &self.config.reporting_currency;
        let totals =
            store::monthly_revenue(&self.db, ctx.visibility(), account_id, &months, currency).await?;
        Ok(Response::new(convert::monthly_to_proto(
            account_id, currency, totals,
        )))
    }

    async fn recompute_tiers(
        &self,
        request: Request<pb::RecomputeTiersRequest>,
    ) -> Reply<pb::RecomputeTiersResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::RecomputeTiersRequest {
            as_of,
            validate_only,
            row_limit,
            changed_only,
        } = request.into_inner();
        let mut v = Violations::default();
        let as_of = v.take(instant("as_of", as_of)).flatten();
        let selection = v.take(convert::row_selection(row_limit, changed_only));
        v.into_result()?;
        let selection = selection.expect("checked above");
        // A preview is a report; applying the ranking writes.
        let db = match validate_only {
            true => self.db.for_reports(),
            false => self.db.clone(),
        };
        let table =
            store::recompute_tiers(&db, &ctx, as_of.unwrap_or_else(now), &self.config, !validate_only)
                .await?;
        Ok(Response::new(convert::tier_table_to_proto(table, &selection)))
    }

    async fn list_tier_changes(
        &self,
        request: Request<pb::ListTierChangesRequest>,
    ) -> Reply<pb::ListTierChangesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListTierChangesRequest {
            page_size,
            page_token,
            account_id,
            segments,
        } = request.into_inner();
        let mut v = Violations::default();
        let account_id = v.take(optional_id("account_id", &account_id)).flatten();
        let segments = v
            .take(segment_filter("segments", segments.as_ref()))
            .unwrap_or_default();
        v.into_result()?;
        let page = PageRequest::parse(
            page_size,
            &page_token,
            format!("tier_changes {account_id:?} {segments:?}"),
        )?;
        let found = store::list_tier_changes(
            &self.db,
            ctx.visibility(),
            account_id,
            &segments,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListTierChangesResponse {
            tier_changes: found.items.into_iter().map(tier_change_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn set_tier_override(
        &self,
        request: Request<pb::SetTierOverrideRequest>,
    ) -> Reply<pb::TierOverride> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::SetTierOverrideRequest { tier_override } = request.into_inner();
        let at = now();
        let new = convert::new_override(tier_override, at)?;
        let record = store::set_override(
            &self.db,
            &ctx,
            new.account_id,
            new.tier,
            &new.reason,
            new.expire_time,
        )
        .await?;
        Ok(Response::new(override_to_proto(record, at)))
    }

    async fn clear_tier_override(
        &self,
        request: Request<pb::ClearTierOverrideRequest>,
    ) -> Reply<pb::ClearTierOverrideResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let account_id = required_id("account_id", &request.get_ref().account_id)?;
        store::clear_override(&self.db, &ctx, account_id).await?;
        Ok(Response::new(pb::ClearTierOverrideResponse {}))
    }

    async fn list_tier_overrides(
        &self,
        request: Request<pb::ListTierOverridesRequest>,
    ) -> Reply<pb::ListTierOverridesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListTierOverridesRequest {
            page_size,
            page_token,
            show_expired,
        } = request.into_inner();
        let page = PageRequest::parse(page_size, &page_token, format!("tier_overrides {show_expired}"))?;
        let found = store::list_overrides(
            &self.db,
            ctx.visibility(),
            show_expired,
            page.size,
            page.after.clone(),
        )
        .await?;
        let at = now();
        Ok(Response::new(pb::ListTierOverridesResponse {
            tier_overrides: found
                .items
                .into_iter()
                .map(|o| override_to_proto(o, at))
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn create_account_plan(
        &self,
        request: Request<pb::CreateAccountPlanRequest>,
    ) -> Reply<pb::AccountPlan> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateAccountPlanRequest { plan, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, plan.as_ref())?;
        let (account_id, fields) = convert::new_plan(plan, &self.config.reporting_currency)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_plan(&self.db, &ctx, account_id, fields, key).await?;
        Ok(Response::new(convert::plan_to_proto(created)))
    }

    async fn get_account_plan(&self, request: Request<pb::GetAccountPlanRequest>) -> Reply<pb::AccountPlan> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let plan = store::get_plan(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::plan_to_proto(plan)))
    }

    async fn list_account_plans(
        &self,
        request: Request<pb::ListAccountPlansRequest>,
    ) -> Reply<pb::ListAccountPlansResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListAccountPlansRequest {
            page_size,
            page_token,
            account_id,
            status,
            segments,
        } = request.into_inner();
        let filter = convert::plan_filter(&account_id, status, segments.as_ref())?;
        let page = PageRequest::parse(page_size, &page_token, format!("account_plans {filter:?}"))?;
        let found =
            store::list_plans(&self.db, ctx.visibility(), &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListAccountPlansResponse {
            plans: found.items.into_iter().map(convert::plan_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_account_plan(
        &self,
        request: Request<pb::UpdateAccountPlanRequest>,
    ) -> Reply<pb::AccountPlan> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateAccountPlanRequest { plan, update_mask } = request.into_inner();
        let update = convert::plan_update(plan, update_mask, &self.config.reporting_currency)?;
        let plan = store::update_plan(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::plan_to_proto(plan)))
    }

    async fn change_account_plan_status(
        &self,
        request: Request<pb::ChangeAccountPlanStatusRequest>,
    ) -> Reply<pb::AccountPlan> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ChangeAccountPlanStatusRequest { id, status, etag } = request.into_inner();
        let mut v = Violations::default();
        let id = v.take(required_id("id", &id));
        let status = v.take(convert::plan_status_target(status));
        v.into_result()?;
        let plan = store::change_plan_status(
            &self.db,
            &ctx,
            id.expect("checked above"),
            status.expect("checked above"),
            crate::platform::etag::sent(&etag),
        )
        .await?;
        Ok(Response::new(convert::plan_to_proto(plan)))
    }

    async fn get_plan_scorecard(
        &self,
        request: Request<pb::GetPlanScorecardRequest>,
    ) -> Reply<pb::PlanScorecard> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("plan_id", &request.get_ref().plan_id)?;
        let currency = &self.config.reporting_currency;
        let card = store::scorecard(&self.db, ctx.visibility(), id, currency, convert::today(now())).await?;
        Ok(Response::new(convert::scorecard_to_proto(card, currency)))
    }

    async fn create_plan_action(
        &self,
        request: Request<pb::CreatePlanActionRequest>,
    ) -> Reply<pb::PlanAction> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreatePlanActionRequest { action, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, action.as_ref())?;
        let (plan_id, fields) = convert::new_action(action)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_action(&self.db, &ctx, plan_id, fields, key).await?;
        Ok(Response::new(convert::action_to_proto(created)))
    }

    async fn get_plan_action(&self, request: Request<pb::GetPlanActionRequest>) -> Reply<pb::PlanAction> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let action = store::get_action(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::action_to_proto(action)))
    }

    async fn list_plan_actions(
        &self,
        request: Request<pb::ListPlanActionsRequest>,
    ) -> Reply<pb::ListPlanActionsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::action_filter(&request, ctx.principal.staff_id, convert::today(now()))?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("plan_actions {filter:?}"),
        )?;
        let found =
            store::list_actions(&self.db, ctx.visibility(), &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListPlanActionsResponse {
            actions: found.items.into_iter().map(convert::action_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_plan_action(
        &self,
        request: Request<pb::UpdatePlanActionRequest>,
    ) -> Reply<pb::PlanAction> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdatePlanActionRequest { action, update_mask } = request.into_inner();
        let update = convert::action_update(action, update_mask)?;
        let action = store::update_action(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::action_to_proto(action)))
    }

    async fn log_interaction(&self, request: Request<pb::LogInteractionRequest>) -> Reply<pb::Interaction> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::LogInteractionRequest {
            interaction,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, interaction.as_ref())?;
        let (account_id, fields) = convert::new_interaction(interaction)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let logged = store::log_interaction(&self.db, &ctx, account_id, fields, key).await?;
        Ok(Response::new(convert::interaction_to_proto(logged)))
    }

    async fn get_interaction(&self, request: Request<pb::GetInteractionRequest>) -> Reply<pb::Interaction> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let interaction = store::get_interaction(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::interaction_to_proto(interaction)))
    }

    async fn list_interactions(
        &self,
        request: Request<pb::ListInteractionsRequest>,
    ) -> Reply<pb::ListInteractionsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::interaction_filter(&request)?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("interactions {filter:?}"),
        )?;
        let found =
            store::list_interactions(&self.db, ctx.visibility(), &filter, page.size, page.after.clone())
                .await?;
        Ok(Response::new(pb::ListInteractionsResponse {
            interactions: found
                .items
                .into_iter()
                .map(convert::interaction_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_interaction(
        &self,
        request: Request<pb::UpdateInteractionRequest>,
    ) -> Reply<pb::Interaction> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateInteractionRequest {
            interaction,
            update_mask,
        } = request.into_inner();
        let update = convert::interaction_update(interaction, update_mask)?;
        let interaction = store::update_interaction(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::interaction_to_proto(interaction)))
    }

    async fn list_overdue_cadence(
        &self,
        request: Request<pb::ListOverdueCadenceRequest>,
    ) -> Reply<pb::ListOverdueCadenceResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListOverdueCadenceRequest {
            page_size,
            page_token,
            tier,
            kind,
            segments,
        } = request.into_inner();
        let (tier, kind, segments) = convert::cadence_filter(tier, kind, segments.as_ref())?;
        let page = PageRequest::parse(
            page_size,
            &page_token,
            format!("overdue_cadence {tier:?} {kind:?} {segments:?}"),
        )?;
        let reports = self.db.for_reports();
        let in_segments = store::accounts_in_segments(reports.conn(), &segments).await?;
        let mut rows =
            store::overdue_cadence(&reports, ctx.visibility(), &self.config, now(), tier, kind).await?;
        rows.retain(|row| {
            in_segments
                .as_ref()
                .is_none_or(|ids| ids.contains(&row.account_id))
        });
        let mut rows = convert::cadence_after(rows, page.after.as_ref())?;
        let next = (rows.len() as u64 > page.size).then(|| {
            rows.truncate(page.size as usize);
            rows.last().map(convert::cadence_cursor)
        });
        Ok(Response::new(pb::ListOverdueCadenceResponse {
            overdue: rows.into_iter().map(convert::overdue_to_proto).collect(),
            next_page_token: page.next_token(next.flatten()),
        }))
    }

    async fn list_upcoming_key_dates(
        &self,
        request: Request<pb::ListUpcomingKeyDatesRequest>,
    ) -> Reply<pb::ListUpcomingKeyDatesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListUpcomingKeyDatesRequest {
            days,
            account_id,
            segments,
        } = request.into_inner();
        let mut v = Violations::default();
        let days = v.take(convert::key_date_window(days));
        let account_id = v.take(optional_id("account_id", &account_id)).flatten();
        let segments = v
            .take(segment_filter("segments", segments.as_ref()))
            .unwrap_or_default();
        v.into_result()?;
        let mut upcoming = store::upcoming_key_dates(
            &self.db,
            ctx.visibility(),
            account_id,
            &segments,
            convert::today(now()),
            days.expect("checked above"),
        )
        .await?;
        let truncated = upcoming.len() > MAX_KEY_DATES;
        upcoming.truncate(MAX_KEY_DATES);
        Ok(Response::new(pb::ListUpcomingKeyDatesResponse {
            key_dates: upcoming.into_iter().map(convert::upcoming_to_proto).collect(),
            truncated,
        }))
    }

    async fn get_account_health(
        &self,
        request: Request<pb::GetAccountHealthRequest>,
    ) -> Reply<pb::AccountHealth> {
        let ctx = RequestContext::from_request(&request)?;
        let account_id = required_id("account_id", &request.get_ref().account_id)?;
        // Visibility and existence first; a deleted account has no health to speak of.
        let account = crate::accounts::store::get_account(&self.db, ctx.visibility(), account_id).await?;
        if account.delete_time.is_some() {
            return Err(crate::platform::error::Error::rule(
                "ACCOUNT_DELETED",
                format!("accounts/{account_id}"),
                "the account is deleted",
            )
            .into());
        }
        let scope = store::HealthScope {
            account_id: Some(account_id),
            tier: None,
            visibility: ctx.visibility(),
        };
        let at = now();
        let (summary, health) = store::assess_accounts(&self.db, &scope, &self.config, at)
            .await?
            .pop()
            .ok_or_else(|| crate::platform::error::Error::not_found("account", account_id))?;
        Ok(Response::new(convert::health_to_proto(summary, health, at)))
    }

    async fn list_at_risk_accounts(
        &self,
        request: Request<pb::ListAtRiskAccountsRequest>,
    ) -> Reply<pb::ListAtRiskAccountsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListAtRiskAccountsRequest {
            page_size,
            page_token,
            tier,
            max_score,
            segments,
        } = request.into_inner();
        let (tier, below, segments) = convert::at_risk_filter(
            tier,
            max_score,
            segments.as_ref(),
            self.config.health.at_risk_below,
        )?;
        let page = PageRequest::parse(
            page_size,
            &page_token,
            format!("at_risk {tier:?} {below} {segments:?}"),
        )?;
        let reports = self.db.for_reports();
        let in_segments = store::accounts_in_segments(reports.conn(), &segments).await?;
        let scope = store::HealthScope {
            account_id: None,
            tier,
            visibility: ctx.visibility(),
        };
        let at = now();
        let mut rows: Vec<_> = store::assess_accounts(&reports, &scope, &self.config, at)
            .await?
            .into_iter()
            .filter(|(_, health)| health.score < below)
            .filter(|(account, _)| in_segments.as_ref().is_none_or(|ids| ids.contains(&account.id)))
            .collect();
        rows.sort_by_key(|(account, health)| (health.score, account.id));
        let mut rows = convert::health_after(rows, page.after.as_ref())?;
        let next = (rows.len() as u64 > page.size).then(|| {
            rows.truncate(page.size as usize);
            rows.last()
                .map(|(account, health)| convert::health_cursor(account, health))
        });
        Ok(Response::new(pb::ListAtRiskAccountsResponse {
            accounts: rows
                .into_iter()
                .map(|(account, health)| convert::health_to_proto(account, health, at))
                .collect(),
            next_page_token: page.next_token(next.flatten()),
        }))
    }

    async fn get_account_brief(
        &self,
        request: Request<pb::GetAccountBriefRequest>,
    ) -> Reply<pb::AccountBrief> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetAccountBriefRequest {
            account_id,
            horizon_days,
        } = request.into_inner();
        let mut v = Violations::default();
        let account_id = v.take(required_id("account_id", &account_id));
        let horizon = v.take(convert::brief_horizon(horizon_days));
        v.into_result()?;
        let brief = store::account_brief(
            &self.db,
            ctx.visibility(),
            &self.config,
            account_id.expect("checked above"),
            now(),
            horizon.expect("checked above"),
        )
        .await?;
        Ok(Response::new(convert::brief_to_proto(
            brief,
            &self.config.reporting_currency,
        )))
    }

    async fn get_group_summary(
        &self,
        request: Request<pb::GetGroupSummaryRequest>,
    ) -> Reply<pb::GroupSummary> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetGroupSummaryRequest { account_id } = request.into_inner();
        let account_id = required_id("account_id", &account_id)?;
        let summary = store::group_summary(
            &self.db,
            ctx.visibility(),
            &self.config,
            &self.coverage,
            account_id,
            now(),
        )
        .await?;
        Ok(Response::new(convert::group_summary_to_proto(
            summary,
            &self.config.reporting_currency,
        )))
    }
}

/// The most key dates one ListUpcomingKeyDates answers.
const MAX_KEY_DATES: usize = 1000;
