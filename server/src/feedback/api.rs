//! `kam.v1.FeedbackService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, feedback_service_server::FeedbackService};
use tonic::{Request, Response, Status};

use super::{convert, store};
use crate::platform::{
    db::Db, etag, fields::required_id, idempotency::IdempotencyKey, paging::PageRequest,
    request::RequestContext,
};

pub struct FeedbackApi {
    db: Db,
}

impl FeedbackApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl FeedbackService for FeedbackApi {
    async fn create_feedback_round(
        &self,
        request: Request<pb::CreateFeedbackRoundRequest>,
    ) -> Reply<pb::FeedbackRound> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateFeedbackRoundRequest {
            feedback_round,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, feedback_round.as_ref())?;
        let new = convert::new_round(feedback_round, convert::today())?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let round = store::create_round(&self.db, &ctx, new, key).await?;
        Ok(Response::new(convert::round_to_proto(round)))
    }

    async fn get_feedback_round(
        &self,
        request: Request<pb::GetFeedbackRoundRequest>,
    ) -> Reply<pb::FeedbackRound> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let round = store::get_round(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::round_to_proto(round)))
    }

    async fn list_feedback_rounds(
        &self,
        request: Request<pb::ListFeedbackRoundsRequest>,
    ) -> Reply<pb::ListFeedbackRoundsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::round_filter(&request)?;
        let page = PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("feedback_rounds {filter:?}"),
        )?;
        let found =
            store::list_rounds(&self.db, ctx.visibility(), &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListFeedbackRoundsResponse {
            feedback_rounds: found.items.into_iter().map(convert::round_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_feedback_round(
        &self,
        request: Request<pb::UpdateFeedbackRoundRequest>,
    ) -> Reply<pb::FeedbackRound> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateFeedbackRoundRequest {
            feedback_round,
            update_mask,
        } = request.into_inner();
        let update = convert::round_update(feedback_round, update_mask)?;
        let round = store::update_round(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::round_to_proto(round)))
    }

    async fn delete_feedback_round(
        &self,
        request: Request<pb::DeleteFeedbackRoundRequest>,
    ) -> Reply<pb::DeleteFeedbackRoundResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::DeleteFeedbackRoundRequest { id, etag: sent } = request.into_inner();
        let id = required_id("id", &id)?;
        store::delete_round(&self.db, &ctx, id, etag::sent(&sent)).await?;
        Ok(Response::new(pb::DeleteFeedbackRoundResponse {}))
    }

    async fn import_feedback_rounds(
        &self,
        request: Request<pb::ImportFeedbackRoundsRequest>,
    ) -> Reply<pb::ImportFeedbackRoundsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ImportFeedbackRoundsRequest { feedback_rounds } = request.into_inner();
        let records = convert::round_records(feedback_rounds, convert::today())?;
        let outcome = store::import_rounds(&self.db, &ctx, records).await?;
        Ok(Response::new(convert::import_to_proto(outcome)))
    }

    async fn get_feedback_report(
        &self,
        request: Request<pb::GetFeedbackReportRequest>,
    ) -> Reply<pb::FeedbackReport> {
        let ctx = RequestContext::from_request(&request)?;
        let query = convert::report_query(request.into_inner(), convert::today())?;
        let report = store::report(&self.db.for_reports(), ctx.visibility(), &query).await?;
        Ok(Response::new(convert::report_to_proto(report)))
    }
}
