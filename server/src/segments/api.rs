//! `kam.v1.SegmentService`: each handler validates, calls the store, and converts the answer. Industries
//! and regions share one implementation; the handlers differ only in their messages.

use kam_proto::v1::{self as pb, segment_service_server::SegmentService};
use tonic::{Request, Response, Status};

use super::{
    convert::{self, industry_to_proto, region_to_proto},
    model::SegmentKind,
    store,
};
use crate::platform::{db::Db, etag, paging::PageRequest, request::RequestContext};

pub struct SegmentApi {
    db: Db,
}

impl SegmentApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: SegmentKind,
        code: &str,
        sent: &str,
    ) -> Result<(), Status> {
        let code = convert::code("code", code)?;
        store::delete_segment(&self.db, ctx, kind, &code, etag::sent(sent)).await?;
        Ok(())
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl SegmentService for SegmentApi {
    async fn create_industry(&self, request: Request<pb::CreateIndustryRequest>) -> Reply<pb::Industry> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateIndustryRequest { industry } = request.into_inner();
        let new = convert::new_segment(SegmentKind::Industry, convert::industry_in(industry))?;
        let created = store::create_segment(&self.db, &ctx, new).await?;
        Ok(Response::new(industry_to_proto(created)))
    }

    async fn get_industry(&self, request: Request<pb::GetIndustryRequest>) -> Reply<pb::Industry> {
        let code = convert::code("code", &request.get_ref().code)?;
        let found = store::get_segment(self.db.conn(), SegmentKind::Industry, &code).await?;
        Ok(Response::new(industry_to_proto(found)))
    }

    async fn list_industries(
        &self,
        request: Request<pb::ListIndustriesRequest>,
    ) -> Reply<pb::ListIndustriesResponse> {
        let pb::ListIndustriesRequest {
            page_size,
            page_token,
            parent_code,
            descendants,
            query,
            manager_staff_id,
        } = request.into_inner();
        let kind = SegmentKind::Industry;
        let filter = convert::segment_query(kind, &parent_code, descendants, &query, &manager_staff_id, 0)?;
        let page = PageRequest::parse(page_size, &page_token, format!("industries {filter:?}"))?;
        let found = store::list_segments(&self.db, kind, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListIndustriesResponse {
            industries: found.items.into_iter().map(industry_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_industry(&self, request: Request<pb::UpdateIndustryRequest>) -> Reply<pb::Industry> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateIndustryRequest {
            industry,
            update_mask,
        } = request.into_inner();
        let update =
            convert::segment_update(SegmentKind::Industry, convert::industry_in(industry), update_mask)?;
        let updated = store::update_segment(&self.db, &ctx, update).await?;
        Ok(Response::new(industry_to_proto(updated)))
    }

    async fn delete_industry(
        &self,
        request: Request<pb::DeleteIndustryRequest>,
    ) -> Reply<pb::DeleteIndustryResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::DeleteIndustryRequest { code, etag } = request.into_inner();
        self.delete(&ctx, SegmentKind::Industry, &code, &etag).await?;
        Ok(Response::new(pb::DeleteIndustryResponse {}))
    }

    async fn create_region(&self, request: Request<pb::CreateRegionRequest>) -> Reply<pb::Region> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateRegionRequest { region } = request.into_inner();
        let new = convert::new_segment(SegmentKind::Region, convert::region_in(region))?;
        let created = store::create_segment(&self.db, &ctx, new).await?;
        Ok(Response::new(region_to_proto(created)))
    }

    async fn get_region(&self, request: Request<pb::GetRegionRequest>) -> Reply<pb::Region> {
        let code = convert::code("code", &request.get_ref().code)?;
        let found = store::get_segment(self.db.conn(), SegmentKind::Region, &code).await?;
        Ok(Response::new(region_to_proto(found)))
    }

    async fn list_regions(&self, request: Request<pb::ListRegionsRequest>) -> Reply<pb::ListRegionsResponse> {
        let pb::ListRegionsRequest {
            page_size,
            page_token,
            parent_code,
            descendants,
            query,
            manager_staff_id,
            level,
        } = request.into_inner();
        let kind = SegmentKind::Region;
        let filter =
            convert::segment_query(kind, &parent_code, descendants, &query, &manager_staff_id, level)?;
        let page = PageRequest::parse(page_size, &page_token, format!("regions {filter:?}"))?;
        let found = store::list_segments(&self.db, kind, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListRegionsResponse {
            regions: found.items.into_iter().map(region_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_region(&self, request: Request<pb::UpdateRegionRequest>) -> Reply<pb::Region> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateRegionRequest { region, update_mask } = request.into_inner();
        let update = convert::segment_update(SegmentKind::Region, convert::region_in(region), update_mask)?;
        let updated = store::update_segment(&self.db, &ctx, update).await?;
        Ok(Response::new(region_to_proto(updated)))
    }

    async fn delete_region(
        &self,
        request: Request<pb::DeleteRegionRequest>,
    ) -> Reply<pb::DeleteRegionResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::DeleteRegionRequest { code, etag } = request.into_inner();
        self.delete(&ctx, SegmentKind::Region, &code, &etag).await?;
        Ok(Response::new(pb::DeleteRegionResponse {}))
    }
}
