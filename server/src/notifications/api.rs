//! `kam.v1.NotificationService`: each person's warnings.

use kam_proto::v1::{self as pb, notification_service_server::NotificationService};
use tonic::{Request, Response, Status};

use super::{convert, store};
use crate::{
    identity::principal::Role,
    platform::{
        db::{Db, now},
        error::{Error, Violations},
        paging::PageRequest,
        request::RequestContext,
    },
};

pub struct NotificationApi {
    db: Db,
}

impl NotificationApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type Reply<T> = Result<Response<T>, Status>;

/// The roles that may read someone else's notifications: those who oversee the people who get them.
const OVERSEERS: [Role; 3] = [Role::Admin, Role::Executive, Role::Manager];

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Reply<pb::ListNotificationsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListNotificationsRequest {
            staff_id,
            unread_only,
            page_size,
            page_token,
        } = request.into_inner();
        let mut v = Violations::default();
        let named = v.take(convert::whose(&staff_id)).flatten();
        v.into_result()?;
        let me = ctx.principal.staff_id;
        let whose = named.unwrap_or(me);
        if whose != me && !OVERSEERS.iter().any(|role| ctx.principal.has(*role)) {
            return Err(Error::PermissionDenied(
                "staff_id: only ADMIN, EXECUTIVE and MANAGER read another person's notifications".to_owned(),
            )
            .into());
        }
        let page = PageRequest::parse(
            page_size,
            &page_token,
            format!("notifications {whose} {unread_only}"),
        )?;
        let (found, unread) =
            store::list_notifications(&self.db, whose, unread_only, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: found
                .items
                .into_iter()
                .map(convert::notification_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
            unread_count: i32::try_from(unread).unwrap_or(i32::MAX),
        }))
    }

    async fn mark_notifications_read(
        &self,
        request: Request<pb::MarkNotificationsReadRequest>,
    ) -> Reply<pb::MarkNotificationsReadResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::MarkNotificationsReadRequest { ids, unread } = request.into_inner();
        let ids = convert::notification_ids(&ids)?;
        let changed = store::mark_read(&self.db, ctx.principal.staff_id, &ids, unread, now()).await?;
        Ok(Response::new(pb::MarkNotificationsReadResponse {
            changed: i32::try_from(changed).unwrap_or(i32::MAX),
        }))
    }
}
