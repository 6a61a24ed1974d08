//! `kam.v1.TeamService`: each handler validates, calls the store, and converts the answer.

use std::sync::Arc;

use kam_proto::v1::{self as pb, team_service_server::TeamService};
use tonic::{Request, Response, Status};

use super::{
    convert,
    handover::Responsibilities,
    store::{self, CoveragePolicy},
};
use crate::platform::{
    db::Db, etag, fields::required_id, idempotency::IdempotencyKey, paging::PageRequest,
    request::RequestContext,
};

pub struct TeamApi {
    db: Db,
    responsibilities: Responsibilities,
    coverage: Arc<CoveragePolicy>,
}

impl TeamApi {
    pub fn new(db: Db, responsibilities: Responsibilities, coverage: CoveragePolicy) -> Self {
        Self {
            db,
            responsibilities,
            coverage: Arc::new(coverage),
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl TeamService for TeamApi {
    async fn create_department(
        &self,
        request: Request<pb::CreateDepartmentRequest>,
    ) -> Reply<pb::Department> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateDepartmentRequest {
            department,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, department.as_ref())?;
        let (code, display_name) = convert::new_department(department)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_department(&self.db, &ctx, code, display_name, key).await?;
        Ok(Response::new(convert::department_to_proto(created)))
    }

    async fn list_departments(
        &self,
        _: Request<pb::ListDepartmentsRequest>,
    ) -> Reply<pb::ListDepartmentsResponse> {
        let departments = store::list_departments(self.db.conn()).await?;
        Ok(Response::new(pb::ListDepartmentsResponse {
            departments: departments
                .into_iter()
                .map(convert::department_to_proto)
                .collect(),
        }))
    }

    async fn create_staff(&self, request: Request<pb::CreateStaffRequest>) -> Reply<pb::Staff> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateStaffRequest { staff, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, staff.as_ref())?;
        let fields = convert::new_staff(staff)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let created = store::create_staff(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(convert::staff_to_proto(created)))
    }

    async fn get_staff(&self, request: Request<pb::GetStaffRequest>) -> Reply<pb::Staff> {
        let id = required_id("id", &request.get_ref().id)?;
        let staff = store::get_staff(&self.db, id).await?;
        Ok(Response::new(convert::staff_to_proto(staff)))
    }

    async fn list_staff(&self, request: Request<pb::ListStaffRequest>) -> Reply<pb::ListStaffResponse> {
        let request = request.into_inner();
        let filter = convert::staff_filter(&request)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, format!("{filter:?}"))?;
        let found = store::list_staff(&self.db, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListStaffResponse {
            staff: found.items.into_iter().map(convert::staff_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_staff(&self, request: Request<pb::UpdateStaffRequest>) -> Reply<pb::Staff> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateStaffRequest { staff, update_mask } = request.into_inner();
        let update = convert::staff_update(staff, update_mask)?;
        let staff = store::update_staff(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::staff_to_proto(staff)))
    }

    async fn deactivate_staff(&self, request: Request<pb::DeactivateStaffRequest>) -> Reply<pb::Staff> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let staff = store::deactivate_staff(
            &self.db,
            &ctx,
            &self.responsibilities,
            id,
            etag::sent(&request.etag),
        )
        .await?;
        Ok(Response::new(convert::staff_to_proto(staff)))
    }

    async fn reactivate_staff(&self, request: Request<pb::ReactivateStaffRequest>) -> Reply<pb::Staff> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let staff = store::reactivate_staff(&self.db, &ctx, id, etag::sent(&request.etag)).await?;
        Ok(Response::new(convert::staff_to_proto(staff)))
    }

    async fn add_team_member(&self, request: Request<pb::AddTeamMemberRequest>) -> Reply<pb::TeamMember> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::AddTeamMemberRequest { member, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, member.as_ref())?;
        let new = convert::new_member(member)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let added = store::add_member(&self.db, &ctx, new, key).await?;
        Ok(Response::new(convert::member_to_proto(added)))
    }

    async fn update_team_member(
        &self,
        request: Request<pb::UpdateTeamMemberRequest>,
    ) -> Reply<pb::TeamMember> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateTeamMemberRequest { member, update_mask } = request.into_inner();
        let update = convert::member_update(member, update_mask)?;
        let member = store::update_member(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::member_to_proto(member)))
    }

    async fn remove_team_member(
        &self,
        request: Request<pb::RemoveTeamMemberRequest>,
    ) -> Reply<pb::TeamMember> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let reason = convert::removal_reason(&request.reason)?;
        let member = store::remove_member(&self.db, &ctx, id, etag::sent(&request.etag), reason).await?;
        Ok(Response::new(convert::member_to_proto(member)))
    }

    async fn list_team_members(
        &self,
        request: Request<pb::ListTeamMembersRequest>,
    ) -> Reply<pb::ListTeamMembersResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let scope = convert::member_scope(&request.account_id, &request.staff_id)?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{scope:?}{}", request.include_history),
        )?;
        let found = store::list_members(
            &self.db,
            ctx.visibility(),
            scope,
            request.include_history,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListTeamMembersResponse {
            members: found.items.into_iter().map(convert::member_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn get_coverage_report(
        &self,
        request: Request<pb::GetCoverageReportRequest>,
    ) -> Reply<pb::GetCoverageReportResponse> {
        let pb::GetCoverageReportRequest {
            tiers,
            gaps_only,
            segments,
        } = request.into_inner();
        let (tiers, segments) = convert::coverage_filter(&tiers, segments.as_ref())?;
        let report = store::coverage_report(
            &self.db.for_reports(),
            &self.coverage,
            &tiers,
            &segments,
            gaps_only,
        )
        .await?;
        let covered_count = report.iter().filter(|a| a.is_covered()).count();
        Ok(Response::new(pb::GetCoverageReportResponse {
            accounts: report.into_iter().map(convert::coverage_to_proto).collect(),
            covered_count: i32::try_from(covered_count).unwrap_or(i32::MAX),
        }))
    }

    async fn get_workload(&self, request: Request<pb::GetWorkloadRequest>) -> Reply<pb::GetWorkloadResponse> {
        let staff = convert::staff_ids(&request.get_ref().staff_ids)?;
        let workloads = store::workload(&self.db.for_reports(), &self.responsibilities, &staff).await?;
        Ok(Response::new(pb::GetWorkloadResponse {
            workloads: workloads.into_iter().map(convert::workload_to_proto).collect(),
        }))
    }

    async fn transfer_responsibilities(
        &self,
        request: Request<pb::TransferResponsibilitiesRequest>,
    ) -> Reply<pb::TransferResponsibilitiesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let handover = convert::handover_request(request.into_inner())?;
        let outcome =
            store::transfer_responsibilities(&self.db, &ctx, &self.responsibilities, handover).await?;
        Ok(Response::new(convert::handover_to_proto(outcome)))
    }
}
