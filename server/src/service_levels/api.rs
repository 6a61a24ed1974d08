//! `kam.v1.ServiceLevelService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, service_level_service_server::ServiceLevelService};
use tonic::{Request, Response, Status};

use super::{
    convert::{self, calendar_to_proto, policy_to_proto, request_to_proto},
    model::{Priority, RequestOrder},
    store::{self, ComplianceScope, RecalculateRequest},
};
use crate::{
    accounts::model::Tier,
    platform::{
        db::Db,
        error::Violations,
        etag,
        fields::{optional_id, required_id},
        idempotency::IdempotencyKey,
        paging::PageRequest,
        request::RequestContext,
        wire::{WireEnum, instant},
    },
    segments::convert::{segment_filter, segment_grouping},
};

pub struct ServiceLevelApi {
    db: Db,
}

impl ServiceLevelApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ServiceLevelService for ServiceLevelApi {
    async fn create_business_calendar(
        &self,
        request: Request<pb::CreateBusinessCalendarRequest>,
    ) -> Reply<pb::BusinessCalendar> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateBusinessCalendarRequest { calendar, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, calendar.as_ref())?;
        let fields = convert::new_calendar(calendar)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_calendar(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(calendar_to_proto(created)))
    }

    async fn get_business_calendar(
        &self,
        request: Request<pb::GetBusinessCalendarRequest>,
    ) -> Reply<pb::BusinessCalendar> {
        let id = required_id("id", &request.get_ref().id)?;
        Ok(Response::new(calendar_to_proto(
            store::get_calendar(&self.db, id).await?,
        )))
    }

    async fn list_business_calendars(
        &self,
        request: Request<pb::ListBusinessCalendarsRequest>,
    ) -> Reply<pb::ListBusinessCalendarsResponse> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token, "calendars".to_owned())?;
        let found = store::list_calendars(&self.db, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListBusinessCalendarsResponse {
            calendars: found.items.into_iter().map(calendar_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_business_calendar(
        &self,
        request: Request<pb::UpdateBusinessCalendarRequest>,
    ) -> Reply<pb::BusinessCalendar> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateBusinessCalendarRequest {
            calendar,
            update_mask,
        } = request.into_inner();
        let update = convert::calendar_update(calendar, update_mask)?;
        let updated = store::update_calendar(&self.db, &ctx, update).await?;
        Ok(Response::new(calendar_to_proto(updated)))
    }

    async fn create_sla_policy(&self, request: Request<pb::CreateSlaPolicyRequest>) -> Reply<pb::SlaPolicy> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateSlaPolicyRequest { policy, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, policy.as_ref())?;
        let fields = convert::new_policy(policy)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_policy(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(policy_to_proto(created)))
    }

    async fn get_sla_policy(&self, request: Request<pb::GetSlaPolicyRequest>) -> Reply<pb::SlaPolicy> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        Ok(Response::new(policy_to_proto(
            store::get_policy(&self.db, ctx.visibility(), id).await?,
        )))
    }

    async fn list_sla_policies(
        &self,
        request: Request<pb::ListSlaPoliciesRequest>,
    ) -> Reply<pb::ListSlaPoliciesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::policy_filter(&request)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, format!("{filter:?}"))?;
        let found =
            store::list_policies(&self.db, ctx.visibility(), &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListSlaPoliciesResponse {
            policies: found.items.into_iter().map(policy_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_sla_policy(&self, request: Request<pb::UpdateSlaPolicyRequest>) -> Reply<pb::SlaPolicy> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateSlaPolicyRequest { policy, update_mask } = request.into_inner();
        let update = convert::policy_update(policy, update_mask)?;
        let updated = store::update_policy(&self.db, &ctx, update).await?;
        Ok(Response::new(policy_to_proto(updated)))
    }

    async fn delete_sla_policy(
        &self,
        request: Request<pb::DeleteSlaPolicyRequest>,
    ) -> Reply<pb::DeleteSlaPolicyResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        store::delete_policy(&self.db, &ctx, id, etag::sent(&request.etag)).await?;
        Ok(Response::new(pb::DeleteSlaPolicyResponse {}))
    }

    async fn create_service_request(
        &self,
        request: Request<pb::CreateServiceRequestRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateServiceRequestRequest {
            service_request,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, service_request.as_ref())?;
        let new = convert::new_request(service_request)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_request(&self.db, &ctx, new, key).await?;
        Ok(Response::new(request_to_proto(created)))
    }

    async fn get_service_request(
        &self,
        request: Request<pb::GetServiceRequestRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let found = store::get_request(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(request_to_proto(found)))
    }

    async fn list_service_requests(
        &self,
        request: Request<pb::ListServiceRequestsRequest>,
    ) -> Reply<pb::ListServiceRequestsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::request_filter(&request)?;
        let order = RequestOrder::parse(&request.order_by)?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{filter:?}{order:?}"),
        )?;
        let found = store::list_requests(
            &self.db,
            ctx.visibility(),
            &filter,
            order,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListServiceRequestsResponse {
            service_requests: found.items.into_iter().map(request_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_service_request(
        &self,
        request: Request<pb::UpdateServiceRequestRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateServiceRequestRequest {
            service_request,
            update_mask,
        } = request.into_inner();
        let update = convert::request_update(service_request, update_mask)?;
        let updated = store::update_request(&self.db, &ctx, update).await?;
        Ok(Response::new(request_to_proto(updated)))
    }

    async fn change_service_request_status(
        &self,
        request: Request<pb::ChangeServiceRequestStatusRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ChangeServiceRequestStatusRequest {
            id,
            status,
            note,
            etag: sent_etag,
        } = request.into_inner();
        let mut v = Violations::default();
        let id = v.take(required_id("id", &id));
        let status = v.take(convert::new_status(status));
        let note = v.take(convert::note(&note));
        v.into_result()?;
        let changed = store::change_status(
            &self.db,
            &ctx,
            id.expect("checked above"),
            status.expect("checked above"),
            note.expect("checked above"),
            etag::sent(&sent_etag),
        )
        .await?;
        Ok(Response::new(request_to_proto(changed)))
    }

    async fn record_first_response(
        &self,
        request: Request<pb::RecordFirstResponseRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let recorded = store::record_first_response(&self.db, &ctx, id, etag::sent(&request.etag)).await?;
        Ok(Response::new(request_to_proto(recorded)))
    }

    async fn recalculate_sla(
        &self,
        request: Request<pb::RecalculateSlaRequest>,
    ) -> Reply<pb::ServiceRequest> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::RecalculateSlaRequest {
            id,
            policy_id,
            priority,
            etag: sent_etag,
        } = request.into_inner();
        let mut v = Violations::default();
        let id = v.take(required_id("id", &id));
        let policy_id = v.take(optional_id("policy_id", &policy_id));
        let priority = v.take(Priority::from_wire("priority", priority));
        v.into_result()?;
        let recalculated = store::recalculate_sla(
            &self.db,
            &ctx,
            id.expect("checked above"),
            RecalculateRequest {
                policy_id: policy_id.flatten(),
                priority: priority.flatten(),
            },
            etag::sent(&sent_etag),
        )
        .await?;
        Ok(Response::new(request_to_proto(recalculated)))
    }

    async fn list_status_history(
        &self,
        request: Request<pb::ListStatusHistoryRequest>,
    ) -> Reply<pb::ListStatusHistoryResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("service_request_id", &request.service_request_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, id.to_string())?;
        let found =
            store::list_status_history(&self.db, ctx.visibility(), id, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListStatusHistoryResponse {
            changes: found
                .items
                .into_iter()
                .map(convert::status_change_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn list_escalations(
        &self,
        request: Request<pb::ListEscalationsRequest>,
    ) -> Reply<pb::ListEscalationsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("service_request_id", &request.service_request_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, id.to_string())?;
        let found =
            store::list_escalations(&self.db, ctx.visibility(), id, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListEscalationsResponse {
            escalations: found
                .items
                .into_iter()
                .map(convert::escalation_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn get_sla_compliance_report(
        &self,
        request: Request<pb::GetSlaComplianceReportRequest>,
    ) -> Reply<pb::GetSlaComplianceReportResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::GetSlaComplianceReportRequest {
            start_time,
            end_time,
            tiers,
            account_id,
            segments,
            group_by,
        } = request.into_inner();
        let mut v = Violations::default();
        let start = v.take(instant("start_time", start_time)).flatten();
        let end = v.take(instant("end_time", end_time)).flatten();
        if start.is_none() {
            v.add("start_time", "required");
        }
        if end.is_none() {
            v.add("end_time", "required");
        }
        if let (Some(start), Some(end)) = (start, end)
            && start >= end
        {
            v.add("end_time", "must be after start_time");
        }
        let tiers: Vec<Tier> = v
            .take(crate::platform::wire::bounded_list("tiers", &tiers))
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, raw)| {
                let field = format!("tiers[{i}]");
                v.take(crate::platform::wire::required_enum(
                    &field,
                    Tier::from_wire(&field, *raw),
                ))
            })
            .collect();
        let account_id = v.take(optional_id("account_id", &account_id)).flatten();
        let segments = v
            .take(segment_filter("segments", segments.as_ref()))
            .unwrap_or_default();
        let group_by = v.take(segment_grouping("group_by", group_by.as_ref())).flatten();
        v.into_result()?;
        let scope = ComplianceScope {
            start: start.expect("checked above"),
            end: end.expect("checked above"),
            tiers,
            account_id,
            visibility: ctx.visibility(),
            segments,
            group_by,
        };
        let report = store::compliance_report(&self.db.for_reports(), &scope).await?;
        let compliance = |c: &store::Compliance| pb::SlaCompliance {
            met: c.met(),
            breached: c.breached(),
            percent_met: c.percent_met(),
            first_response_met: c.first_response_met,
            first_response_breached: c.first_response_breached,
            resolution_met: c.resolution_met,
            resolution_breached: c.resolution_breached,
            mean_first_response_minutes: c.mean_first_response_minutes(),
            first_responses: c.first_responses,
            mean_resolution_minutes: c.mean_resolution_minutes(),
            resolutions: c.resolutions,
        };
        Ok(Response::new(pb::GetSlaComplianceReportResponse {
            rows: report
                .rows
                .iter()
                .map(|(tier, priority, c)| pb::SlaComplianceRow {
                    tier: tier.to_wire(),
                    priority: priority.to_wire(),
                    compliance: Some(compliance(c)),
                })
                .collect(),
            total: Some(compliance(&report.total)),
            segments: report
                .segments
                .iter()
                .map(|s| pb::SegmentSlaCompliance {
                    segment: Some(pb::SegmentKey {
                        code: s.code.clone(),
                        name: s.name.clone(),
                    }),
                    compliance: Some(compliance(&s.compliance)),
                })
                .collect(),
        }))
    }
}
