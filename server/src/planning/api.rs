//! `kam.v1.PlanningService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, planning_service_server::PlanningService};
use tonic::{Request, Response, Status};

use super::{
    convert::{self, month, month_range, override_to_proto, revenue_to_proto, tier_change_to_proto},
    model::RevenueFilter,
    store,
};
use crate::{
    config::PlanningConfig,
    db::{Db, now},
    error::Violations,
    fields::{optional_id, required_id},
    paging::PageRequest,
    request::RequestContext,
    wire::instant,
};

pub struct PlanningApi {
    db: Db,
    config: PlanningConfig,
}

impl PlanningApi {
    pub fn new(db: Db, config: PlanningConfig) -> Self {
        Self { db, config }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl PlanningService for PlanningApi {
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
        } = request.into_inner();
        let mut v = Violations::default();
        let filter = RevenueFilter {
            account_id: v.take(optional_id("account_id", &account_id)).flatten(),
            from_period: v.take(month("from_period", from_period)).flatten(),
            to_period: v.take(month("to_period", to_period)).flatten(),
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
        let table = store::recompute_tiers(
            &self.db,
            &ctx,
            as_of.unwrap_or_else(now),
            &self.config.tiers,
            &self.config.reporting_currency,
            !validate_only,
        )
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
        } = request.into_inner();
        let account_id = optional_id("account_id", &account_id)?;
        let page = PageRequest::parse(page_size, &page_token, format!("tier_changes {account_id:?}"))?;
        let found = store::list_tier_changes(
            &self.db,
            ctx.visibility(),
            account_id,
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
}
